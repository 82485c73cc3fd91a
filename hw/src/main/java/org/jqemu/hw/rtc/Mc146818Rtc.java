package org.jqemu.hw.rtc;

import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import org.jqemu.system.clock.Timer;
import org.jqemu.system.device.Device;
import org.jqemu.system.irq.IrqLine;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.memory.MemoryOps;

/**
 * Motorola MC146818A real-time clock with 128 bytes of CMOS RAM (MC146818A datasheet: "Address
 * Map", "Time, Calendar and Alarm Locations", "Register A-D", "Update Cycle", "Interrupts"), at
 * I/O ports 0x70 (index; bit 7 masks NMI on the PC) and 0x71 (data), interrupting on IRQ8.
 *
 * <p>The time starts from the host clock (UTC, as QEMU's default {@code -rtc base=utc}) and then
 * advances with the machine's virtual clock, so it stands still while the VM is paused. It is kept
 * as an offset from virtual time; the time registers are encoded on every read in the format
 * register B asks for (BCD or binary, 12 or 24 hours). While B.SET is 1 or register A's divider
 * is not in its normal 32.768 kHz setting the clock stops and the registers hold what the guest
 * wrote; releasing it restarts the clock from them.
 *
 * <p>Interrupt flags (register C) are computed when C is read or when a timer fires, so a guest
 * polling with interrupts disabled sees PF, AF and UF as it would on the chip. Timers are armed
 * only while the matching enable bit in register B is set. UIP reads 1 during the 244 µs before
 * each update, as on the chip.
 */
public final class Mc146818Rtc implements Device {
    public static final int REG_SECONDS = 0x00;
    public static final int REG_SECONDS_ALARM = 0x01;
    public static final int REG_MINUTES = 0x02;
    public static final int REG_MINUTES_ALARM = 0x03;
    public static final int REG_HOURS = 0x04;
    public static final int REG_HOURS_ALARM = 0x05;
    public static final int REG_DAY_OF_WEEK = 0x06;
    public static final int REG_DAY_OF_MONTH = 0x07;
    public static final int REG_MONTH = 0x08;
    public static final int REG_YEAR = 0x09;
    public static final int REG_A = 0x0a;
    public static final int REG_B = 0x0b;
    public static final int REG_C = 0x0c;
    public static final int REG_D = 0x0d;
    /** Century byte, as the PC BIOS (and ACPI's FADT "CENTURY") place it. */
    public static final int REG_CENTURY = 0x32;

    static final int A_UIP = 0x80;
    static final int B_SET = 0x80;
    static final int B_PIE = 0x40;
    static final int B_AIE = 0x20;
    static final int B_UIE = 0x10;
    static final int B_SQWE = 0x08;
    static final int B_DM_BINARY = 0x04;
    static final int B_24H = 0x02;
    static final int C_IRQF = 0x80;
    static final int C_PF = 0x40;
    static final int C_AF = 0x20;
    static final int C_UF = 0x10;
    static final int D_VRT = 0x80;

    private static final long NS_PER_S = 1_000_000_000L;
    /** UIP is set this long before each update: 8 cycles of the 32.768 kHz time base. */
    static final long UIP_HOLD_NS = 8 * NS_PER_S / 32768;

    private final Machine machine;
    private final String id;
    private final IrqLine irq;
    private final int[] cmos = new int[128];
    private final Timer periodicTimer;
    private final Timer updateTimer;

    private int index;
    private boolean nmiMasked;
    /** Guest time (ns since 1970 UTC) = virtual clock + offset, while the clock runs. */
    private long offsetNs;
    private boolean running;
    private long lastSecond;       // last update (second edge) accounted in register C
    private long lastPeriod;       // last periodic edge accounted in register C
    private boolean irqLevel;

    /** @param startEpochNs the guest's time at virtual time 0 (normally the host's clock) */
    public Mc146818Rtc(Machine machine, String id, IrqLine irq, long startEpochNs) {
        this.machine = machine;
        this.id = id;
        this.irq = irq;
        this.periodicTimer = machine.newTimer(id + ".periodic", this::onPeriodic);
        this.updateTimer = machine.newTimer(id + ".update", this::onUpdate);
        cmos[REG_A] = 0x26; // 32.768 kHz time base, 1024 Hz periodic rate
        cmos[REG_B] = B_24H;
        cmos[REG_D] = D_VRT;
        running = true;
        offsetNs = startEpochNs - now();
        lastSecond = Math.floorDiv(guestNs(now()), NS_PER_S);
        lastPeriod = currentPeriod(now());
    }

    /** Uses the host's clock as the starting time. */
    public Mc146818Rtc(Machine machine, String id, IrqLine irq) {
        this(machine, id, irq, hostEpochNs());
    }

    private static long hostEpochNs() {
        java.time.Instant t = java.time.Instant.now();
        return t.getEpochSecond() * NS_PER_S + t.getNano();
    }

    @Override
    public String id() {
        return id;
    }

    /** A system reset clears the interrupt enables and flags; time and CMOS RAM survive it. */
    @Override
    public void reset() {
        cmos[REG_B] &= ~(B_PIE | B_AIE | B_SQWE);
        cmos[REG_C] = 0;
        setIrq(false);
        rearmTimers();
    }

    /** For the board: fills a CMOS RAM byte (memory sizes, equipment, ...). */
    public void setCmos(int address, int value) {
        cmos[address & 0x7f] = value & 0xff;
    }

    public int cmos(int address) {
        return cmos[address & 0x7f];
    }

    /** Bit 7 of the last write to port 0x70. */
    public boolean nmiMasked() {
        return nmiMasked;
    }

    private long now() {
        return machine.clock().nanos();
    }

    private long guestNs(long now) {
        return now + offsetNs;
    }

    /** Guest wall-clock time in nanoseconds since 1970 (UTC), as the guest would read it. */
    public long guestEpochNs() {
        return running ? guestNs(now()) : registersToEpochSeconds() * NS_PER_S;
    }

    // ---- ports ----------------------------------------------------------------------------

    public MemoryOps ports() {
        return new MemoryOps() {
            @Override
            public long read(long offset, int size) {
                return (offset & 1) == 0 ? 0xff : readRegister(index);
            }

            @Override
            public void write(long offset, int size, long value) {
                if ((offset & 1) == 0) {
                    index = (int) value & 0x7f;
                    nmiMasked = (value & 0x80) != 0;
                } else {
                    writeRegister(index, (int) value & 0xff);
                }
            }
        };
    }

    int readRegister(int reg) {
        long now = now();
        switch (reg) {
            case REG_SECONDS, REG_MINUTES, REG_HOURS, REG_DAY_OF_WEEK, REG_DAY_OF_MONTH, REG_MONTH, REG_YEAR,
                    REG_CENTURY -> {
                if (running) {
                    encodeTime(Math.floorDiv(guestNs(now), NS_PER_S));
                }
                return cmos[reg];
            }
            case REG_A -> {
                boolean uip = running && Math.floorMod(guestNs(now), NS_PER_S) >= NS_PER_S - UIP_HOLD_NS;
                return (cmos[REG_A] & 0x7f) | (uip ? A_UIP : 0);
            }
            case REG_C -> {
                catchUp(now);
                int v = cmos[REG_C];
                cmos[REG_C] = 0;
                setIrq(false);
                return v;
            }
            default -> {
                return cmos[reg];
            }
        }
    }

    void writeRegister(int reg, int value) {
        long now = now();
        switch (reg) {
            case REG_SECONDS, REG_MINUTES, REG_HOURS, REG_DAY_OF_WEEK, REG_DAY_OF_MONTH, REG_MONTH, REG_YEAR,
                    REG_CENTURY -> {
                if (running) {
                    // Set one field of the running clock: keep the others and the fraction of a second.
                    long fraction = Math.floorMod(guestNs(now), NS_PER_S);
                    encodeTime(Math.floorDiv(guestNs(now), NS_PER_S));
                    cmos[reg] = value;
                    offsetNs = registersToEpochSeconds() * NS_PER_S + fraction - now;
                    lastSecond = Math.floorDiv(guestNs(now), NS_PER_S);
                    rearmTimers();
                } else {
                    cmos[reg] = value;
                }
            }
            case REG_A -> {
                catchUp(now);
                cmos[REG_A] = value & 0x7f;
                lastPeriod = currentPeriod(now);
                updateRunning(now, true);
            }
            case REG_B -> {
                catchUp(now);
                if ((value & B_SET) != 0) {
                    value &= ~B_UIE; // the datasheet: setting SET clears UIE
                }
                if (running) {
                    encodeTime(Math.floorDiv(guestNs(now), NS_PER_S)); // in the old format
                }
                cmos[REG_B] = value;
                updateRunning(now, false);
                updateIrqFlag();
            }
            case REG_C, REG_D -> {
                if (machine.log().guestErrors) {
                    machine.log().guestError("%s: write 0x%02x to read-only register %c", id, value, 'A' + reg - REG_A);
                }
            }
            default -> cmos[reg] = value;
        }
    }

    private boolean dividerNormal() {
        return ((cmos[REG_A] >> 4) & 7) == 2;
    }

    /** Stops or restarts the clock after a change of B.SET or the divider bits. */
    private void updateRunning(long now, boolean dividerChanged) {
        boolean shouldRun = (cmos[REG_B] & B_SET) == 0 && dividerNormal();
        if (shouldRun && !running) {
            // The divider chain restarts: the first update comes half a second after a divider
            // reset ends, a full second after SET is cleared.
            long firstUpdateIn = dividerChanged ? NS_PER_S / 2 : NS_PER_S;
            offsetNs = registersToEpochSeconds() * NS_PER_S + (NS_PER_S - firstUpdateIn) - now;
            running = true;
            lastSecond = Math.floorDiv(guestNs(now), NS_PER_S);
        } else if (!shouldRun && running) {
            encodeTime(Math.floorDiv(guestNs(now), NS_PER_S));
            running = false;
        }
        rearmTimers();
    }

    // ---- time encoding --------------------------------------------------------------------

    private int toReg(int v) {
        return (cmos[REG_B] & B_DM_BINARY) != 0 ? v : ((v / 10) << 4) | (v % 10);
    }

    private int fromReg(int v) {
        return (cmos[REG_B] & B_DM_BINARY) != 0 ? v : ((v >> 4) & 0xf) * 10 + (v & 0xf);
    }

    private int encodeHour(int hour) {
        if ((cmos[REG_B] & B_24H) != 0) {
            return toReg(hour);
        }
        int h12 = hour % 12 == 0 ? 12 : hour % 12;
        return toReg(h12) | (hour >= 12 ? 0x80 : 0);
    }

    private int decodeHour(int v) {
        if ((cmos[REG_B] & B_24H) != 0) {
            return fromReg(v);
        }
        return fromReg(v & 0x7f) % 12 + ((v & 0x80) != 0 ? 12 : 0);
    }

    /** Writes {@code epochSecond} into the time registers in the current format. */
    private void encodeTime(long epochSecond) {
        LocalDateTime t = LocalDateTime.ofEpochSecond(epochSecond, 0, ZoneOffset.UTC);
        cmos[REG_SECONDS] = toReg(t.getSecond());
        cmos[REG_MINUTES] = toReg(t.getMinute());
        cmos[REG_HOURS] = encodeHour(t.getHour());
        cmos[REG_DAY_OF_WEEK] = toReg(t.getDayOfWeek().getValue() % 7 + 1); // Sunday = 1
        cmos[REG_DAY_OF_MONTH] = toReg(t.getDayOfMonth());
        cmos[REG_MONTH] = toReg(t.getMonthValue());
        cmos[REG_YEAR] = toReg(t.getYear() % 100);
        cmos[REG_CENTURY] = toReg(t.getYear() / 100);
    }

    /** The time the registers hold; out-of-range fields carry over rather than fail. */
    private long registersToEpochSeconds() {
        int year = fromReg(cmos[REG_CENTURY]) * 100 + fromReg(cmos[REG_YEAR]);
        LocalDateTime t = LocalDate.of(Math.clamp(year, 1, 9999), 1, 1).atStartOfDay()
                .plusMonths(Math.max(0, fromReg(cmos[REG_MONTH]) - 1))
                .plusDays(Math.max(0, fromReg(cmos[REG_DAY_OF_MONTH]) - 1))
                .plusHours(decodeHour(cmos[REG_HOURS]))
                .plusMinutes(fromReg(cmos[REG_MINUTES]))
                .plusSeconds(fromReg(cmos[REG_SECONDS]));
        return t.toEpochSecond(ZoneOffset.UTC);
    }

    // ---- interrupts -----------------------------------------------------------------------

    /** Periodic interrupt period from register A's rate bits, or 0 when off. */
    long periodicPeriodNs() {
        int rate = cmos[REG_A] & 0x0f;
        if (rate == 0 || !dividerNormal()) {
            return 0;
        }
        if (rate <= 2) {
            rate += 7; // rates 1 and 2 repeat 8 and 9 with the 32.768 kHz time base
        }
        return (1L << (rate - 1)) * NS_PER_S / 32768;
    }

    private long currentPeriod(long now) {
        long p = periodicPeriodNs();
        return p == 0 ? 0 : now / p;
    }

    private boolean alarmMatches(long epochSecond) {
        LocalDateTime t = LocalDateTime.ofEpochSecond(epochSecond, 0, ZoneOffset.UTC);
        return alarmField(cmos[REG_SECONDS_ALARM], toReg(t.getSecond()))
                && alarmField(cmos[REG_MINUTES_ALARM], toReg(t.getMinute()))
                && alarmField(cmos[REG_HOURS_ALARM], encodeHour(t.getHour()));
    }

    private static boolean alarmField(int alarm, int value) {
        return (alarm & 0xc0) == 0xc0 || alarm == value; // 11xxxxxx is "don't care"
    }

    /** Sets the register C flags for every update and periodic edge passed since the last look. */
    private void catchUp(long now) {
        if (running) {
            long second = Math.floorDiv(guestNs(now), NS_PER_S);
            if (second > lastSecond) {
                cmos[REG_C] |= C_UF;
                // The alarm pattern repeats at most daily: a day of seconds covers every match.
                for (long s = Math.max(lastSecond + 1, second - 86_399); s <= second; s++) {
                    if (alarmMatches(s)) {
                        cmos[REG_C] |= C_AF;
                        break;
                    }
                }
                lastSecond = second;
            }
        }
        long period = currentPeriod(now);
        if (periodicPeriodNs() != 0 && period > lastPeriod) {
            cmos[REG_C] |= C_PF;
        }
        lastPeriod = period;
        updateIrqFlag();
    }

    private void updateIrqFlag() {
        int enabled = cmos[REG_B] & (B_PIE | B_AIE | B_UIE); // same bit positions as PF, AF, UF
        if ((cmos[REG_C] & enabled) != 0) {
            cmos[REG_C] |= C_IRQF;
            setIrq(true);
        }
    }

    private void setIrq(boolean level) {
        if (level != irqLevel) {
            irqLevel = level;
            irq.set(level);
        }
    }

    private void rearmTimers() {
        long now = now();
        long p = periodicPeriodNs();
        if (p != 0 && (cmos[REG_B] & B_PIE) != 0) {
            periodicTimer.modNs((lastPeriod + 1) * p);
        } else {
            periodicTimer.cancel();
        }
        if (running && (cmos[REG_B] & (B_UIE | B_AIE)) != 0) {
            long nextSecond = Math.floorDiv(guestNs(now), NS_PER_S) + 1;
            updateTimer.modNs(nextSecond * NS_PER_S - offsetNs);
        } else {
            updateTimer.cancel();
        }
    }

    private void onPeriodic() {
        catchUp(now());
        rearmTimers();
    }

    private void onUpdate() {
        catchUp(now());
        rearmTimers();
    }
}
