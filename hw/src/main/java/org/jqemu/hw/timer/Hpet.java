package org.jqemu.hw.timer;

import java.util.function.IntFunction;
import org.jqemu.system.clock.Timer;
import org.jqemu.system.device.Device;
import org.jqemu.system.irq.IrqLine;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.memory.MemoryOps;

/**
 * The IA-PC High Precision Event Timer as QEMU's pc has it (IA-PC HPET Specification 1.0a:
 * 2.3 "Register Definition and Address Ranges", 2.3.4 capabilities, 2.3.5 configuration incl.
 * LEG_RT_CNF, 2.3.6 interrupt status, 2.3.7 main counter, 2.3.8 timer N configuration, 2.3.9
 * comparator; 2.4 "Timer Operation" one-shot and periodic; 2.4.6 legacy replacement routing).
 * 1 KiB of registers at 0xFED00000; a 64-bit main counter at 100 MHz (10 ns period) derived
 * from the virtual clock, and three comparators.
 *
 * <p>Routing: timer N interrupts on the GSI its Tn_INT_ROUTE_CNF names (the board's I/O APIC
 * inputs), except that in legacy replacement mode timer 0 drives GSI 0 and timer 1 GSI 8, and
 * the PIT's and RTC's own interrupts, which the board passes through {@link #pitInput()} and
 * {@link #rtcInput()}, are cut off. Level-triggered timers hold their line until the guest
 * clears the status bit; edge-triggered ones pulse it.
 */
public final class Hpet implements Device {
    public static final int TIMERS = 3;
    public static final long PERIOD_FS = 10_000_000L; // 10 ns
    static final int ENABLE = 1, LEGACY = 2;
    static final long TN_LEVEL = 1 << 1, TN_ENABLE = 1 << 2, TN_PERIODIC = 1 << 3, TN_PERIODIC_CAP = 1 << 4,
            TN_SIZE_CAP = 1 << 5, TN_SETVAL = 1 << 6, TN_32BIT = 1 << 8, TN_ROUTE = 0x1f << 9, TN_FSB = 1 << 14;
    static final long TN_WRITABLE = TN_LEVEL | TN_ENABLE | TN_PERIODIC | TN_SETVAL | TN_32BIT | TN_ROUTE;
    /** I/O APIC inputs a timer may use: 2, 8 and 16-23 (QEMU's pc advertises the same kind of set). */
    static final long ROUTE_CAP = 0x00ff_0104L;

    private final Machine machine;
    private final String name;
    private final IntFunction<IrqLine> gsi;
    private final Timer[] timers = new Timer[TIMERS];
    private final long[] config = new long[TIMERS];
    private final long[] comparator = new long[TIMERS];
    private final long[] period = new long[TIMERS];
    private final boolean[] lineHigh = new boolean[TIMERS];
    private long generalConfig;
    private long interruptStatus;
    private long counterAtStart; // main counter value when it was last enabled (or its frozen value)
    private long startNs;
    private boolean pitLevel;
    private boolean rtcLevel;

    /** @param gsi the interrupt line of each GSI number (0-23) */
    public Hpet(Machine machine, String name, IntFunction<IrqLine> gsi) {
        this.machine = machine;
        this.name = name;
        this.gsi = gsi;
        for (int i = 0; i < TIMERS; i++) {
            int n = i;
            timers[i] = machine.newTimer(name + "-timer" + i, () -> expired(n));
        }
        reset();
    }

    @Override
    public String id() {
        return name;
    }

    @Override
    public void reset() {
        for (int i = 0; i < TIMERS; i++) {
            timers[i].cancel();
            config[i] = TN_PERIODIC_CAP | TN_SIZE_CAP | ROUTE_CAP << 32;
            comparator[i] = -1L;
            period[i] = 0;
            setLine(i, false);
        }
        generalConfig = 0;
        interruptStatus = 0;
        counterAtStart = 0;
        startNs = 0;
        updateLegacyPassThrough();
    }

    // ---- legacy pass-through ----------------------------------------------------------------------

    /** Where the PIT's counter 0 output goes: on to GSI 0 unless legacy replacement is on. */
    public IrqLine pitInput() {
        return level -> {
            pitLevel = level;
            if (!legacy()) {
                gsi.apply(0).set(level);
            }
        };
    }

    /** Where the RTC's IRQ goes: on to GSI 8 unless legacy replacement is on. */
    public IrqLine rtcInput() {
        return level -> {
            rtcLevel = level;
            if (!legacy()) {
                gsi.apply(8).set(level);
            }
        };
    }

    private void updateLegacyPassThrough() {
        if (!legacy()) {
            gsi.apply(0).set(pitLevel);
            gsi.apply(8).set(rtcLevel);
        }
    }

    private boolean legacy() {
        return (generalConfig & LEGACY) != 0;
    }

    private boolean enabled() {
        return (generalConfig & ENABLE) != 0;
    }

    // ---- counter -------------------------------------------------------------------------------

    /** The main counter now. */
    public long counter() {
        if (!enabled()) {
            return counterAtStart;
        }
        return counterAtStart + (machine.clock().nanos() - startNs) / 10;
    }

    private boolean is32(int n) {
        return (config[n] & TN_32BIT) != 0;
    }

    /** Arms timer {@code n} for the next match of its comparator. */
    private void arm(int n) {
        if (!enabled()) {
            timers[n].cancel();
            return;
        }
        long now = counter();
        long diff = is32(n) ? ((comparator[n] - now) & 0xffff_ffffL) : comparator[n] - now;
        if (!is32(n) && diff < 0) {
            // A 64-bit comparator in the past matches only after the counter wraps: never, in practice.
            timers[n].cancel();
            return;
        }
        long ns = machine.clock().nanos() + diff * 10;
        timers[n].modNs(ns < 0 ? Long.MAX_VALUE / 4 : ns);
    }

    private void expired(int n) {
        long now = counter();
        if ((config[n] & TN_PERIODIC) != 0 && period[n] != 0) {
            // Advance past now by whole periods, then fire once.
            long p = is32(n) ? period[n] & 0xffff_ffffL : period[n];
            long c = comparator[n];
            long behind = is32(n) ? (now - c) & 0xffff_ffffL : now - c;
            if (behind >= 0) {
                c += (behind / p + 1) * p;
            }
            comparator[n] = is32(n) ? c & 0xffff_ffffL : c;
            arm(n);
        }
        fire(n);
    }

    private void fire(int n) {
        if ((config[n] & TN_ENABLE) == 0) {
            return;
        }
        if ((config[n] & TN_LEVEL) != 0) {
            interruptStatus |= 1L << n;
            setLine(n, true);
        } else {
            IrqLine l = route(n);
            l.pulse();
        }
    }

    private IrqLine route(int n) {
        if (legacy() && n < 2) {
            return gsi.apply(n == 0 ? 0 : 8);
        }
        return gsi.apply((int) ((config[n] & TN_ROUTE) >> 9));
    }

    private void setLine(int n, boolean level) {
        if (lineHigh[n] != level) {
            lineHigh[n] = level;
            route(n).set(level);
        }
    }

    // ---- registers -------------------------------------------------------------------------------

    public MemoryOps mmio() {
        return new MemoryOps() {
            @Override
            public long read(long offset, int size) {
                long reg = readRegister(offset & ~7L);
                return reg >>> ((offset & 7) * 8);
            }

            @Override
            public void write(long offset, int size, long value) {
                int shift = (int) (offset & 7) * 8;
                long mask = (size == 8 ? -1L : (1L << (8 * size)) - 1) << shift;
                long reg = offset & ~7L;
                long old = readRegister(reg);
                writeRegister(reg, (old & ~mask) | ((value << shift) & mask), mask);
            }
        };
    }

    private long readRegister(long reg) {
        if (reg == 0x000) {
            return PERIOD_FS << 32 | 0x8086L << 16 | 1 << 15 | 1 << 13 | (TIMERS - 1) << 8 | 0x01;
        }
        if (reg == 0x010) {
            return generalConfig;
        }
        if (reg == 0x020) {
            return interruptStatus;
        }
        if (reg == 0x0f0) {
            return counter();
        }
        if (reg >= 0x100 && reg < 0x100 + 0x20 * TIMERS) {
            int n = (int) ((reg - 0x100) >> 5);
            return switch ((int) (reg & 0x1f)) {
                case 0x00 -> config[n];
                case 0x08 -> comparator[n];
                default -> 0;
            };
        }
        return 0;
    }

    private void writeRegister(long reg, long value, long mask) {
        if (reg == 0x010) {
            boolean wasEnabled = enabled();
            boolean wasLegacy = legacy();
            long now = counter();
            generalConfig = value & (ENABLE | LEGACY);
            if (enabled() && !wasEnabled) {
                counterAtStart = now;
                startNs = machine.clock().nanos();
            } else if (!enabled() && wasEnabled) {
                counterAtStart = now;
            }
            if (wasLegacy != legacy()) {
                for (int i = 0; i < 2; i++) {
                    boolean high = lineHigh[i];
                    lineHigh[i] = false;
                    if (high) {
                        routeFor(i, wasLegacy).set(false);
                        setLine(i, true);
                    }
                }
                updateLegacyPassThrough();
            }
            for (int i = 0; i < TIMERS; i++) {
                arm(i);
            }
        } else if (reg == 0x020) {
            // Write 1 to clear a level-triggered timer's status and drop its line.
            for (int i = 0; i < TIMERS; i++) {
                if ((value & mask & (1L << i)) != 0 && (interruptStatus & (1L << i)) != 0) {
                    interruptStatus &= ~(1L << i);
                    setLine(i, false);
                }
            }
        } else if (reg == 0x0f0) {
            if (enabled()) {
                if (machine.log().guestErrors) {
                    machine.log().guestError("%s: main counter written while running", name);
                }
                return;
            }
            counterAtStart = value;
        } else if (reg >= 0x100 && reg < 0x100 + 0x20 * TIMERS) {
            int n = (int) ((reg - 0x100) >> 5);
            switch ((int) (reg & 0x1f)) {
                case 0x00 -> {
                    long keep = config[n] & ~TN_WRITABLE;
                    boolean wasHigh = lineHigh[n];
                    if (wasHigh) {
                        setLine(n, false);
                    }
                    config[n] = keep | (value & TN_WRITABLE);
                    if (is32(n)) {
                        comparator[n] &= 0xffff_ffffL;
                        period[n] &= 0xffff_ffffL;
                    }
                    if ((config[n] & TN_LEVEL) == 0) {
                        interruptStatus &= ~(1L << n);
                    } else if (wasHigh && (interruptStatus & (1L << n)) != 0) {
                        setLine(n, true);
                    }
                    arm(n);
                }
                case 0x08 -> {
                    long v = is32(n) ? value & 0xffff_ffffL : value;
                    if ((config[n] & TN_PERIODIC) == 0 || (config[n] & TN_SETVAL) != 0) {
                        comparator[n] = v;
                    }
                    period[n] = v;
                    config[n] &= ~TN_SETVAL;
                    arm(n);
                }
                default -> { }
            }
        }
    }

    private IrqLine routeFor(int n, boolean legacyMode) {
        if (legacyMode && n < 2) {
            return gsi.apply(n == 0 ? 0 : 8);
        }
        return gsi.apply((int) ((config[n] & TN_ROUTE) >> 9));
    }
}
