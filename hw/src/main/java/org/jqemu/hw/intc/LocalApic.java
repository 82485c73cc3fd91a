package org.jqemu.hw.intc;

import org.jqemu.system.clock.Timer;
import org.jqemu.system.cpu.InterruptAcknowledge;
import org.jqemu.system.device.Device;
import org.jqemu.system.irq.IrqLine;
import org.jqemu.system.machine.Machine;
import org.jqemu.target.i386.X86InterruptSource;

/**
 * The xAPIC local APIC of one CPU (Intel SDM vol. 3, chapter 10 "Advanced Programmable Interrupt
 * Controller": 10.4 "Local APIC" incl. 10.4.4 IA32_APIC_BASE and 10.4.7.2 software disable;
 * 10.5 LVT, timer (10.5.4, incl. 10.5.4.1 TSC-deadline mode) and ESR (10.5.3); 10.6 IPIs through
 * the ICR; 10.8 interrupt handling: IRR, ISR, TMR, TPR, PPR, EOI; 10.9 spurious interrupt).
 * Version register 0x50014 (version 0x14, six LVT entries), as QEMU's.
 *
 * <p>Registers are the 4 KiB xAPIC page at 0xFEE00000 (dword registers on 16-byte boundaries;
 * narrower reads see part of the dword). The page is shared: {@link ApicBus#mmio()} sends each
 * access to the accessing CPU's APIC.
 *
 * <p>The timer counts at 1 GHz / divisor on the machine's virtual clock (QEMU's APIC bus rate);
 * the current count is computed from the time the initial count was written, never ticked.
 *
 * <p>The 8259 path: the master 8259's INT drives {@link #lint0()}. With LINT0 in ExtINT mode and
 * unmasked (the BSP's reset value here, as in QEMU, standing in for the BIOS's virtual-wire
 * setup), or with the APIC globally disabled in IA32_APIC_BASE, the 8259's request reaches the
 * CPU's INTR and {@link #acknowledge()} lets the 8259 pair answer when no APIC vector is ready.
 *
 * <p>To the CPU it is an {@link X86InterruptSource}; see that interface for the CPU's side.
 */
public final class LocalApic implements Device, X86InterruptSource {
    public static final int VERSION = 0x0005_0014;
    static final long BASE_BSP = 1L << 8;
    static final long BASE_ENABLE = 1L << 11;
    static final long BASE_RESERVED = ~0x000f_ffff_ffff_f900L; // 52-bit physical address
    static final int SVR_ENABLE = 0x100;
    static final int LVT_MASKED = 1 << 16;
    static final int LVT_LEVEL = 1 << 15;
    static final int LVT_TIMER = 0, LVT_THERMAL = 1, LVT_PERF = 2, LVT_LINT0 = 3, LVT_LINT1 = 4, LVT_ERROR = 5;
    static final int TIMER_ONESHOT = 0, TIMER_PERIODIC = 1, TIMER_TSC_DEADLINE = 2;
    static final int ESR_SEND_ILLEGAL_VECTOR = 1 << 5;
    static final int ESR_RECEIVE_ILLEGAL_VECTOR = 1 << 6;
    static final int ESR_ILLEGAL_REGISTER = 1 << 7;
    /** Writable bits of each LVT register (timer, thermal, perf, LINT0, LINT1, error). */
    private static final int[] LVT_WRITABLE = {0x700ff, 0x107ff, 0x107ff, 0x1a7ff, 0x1a7ff, 0x100ff};

    private final Machine machine;
    private final ApicBus bus;
    private final int cpuIndex;
    private final boolean bsp;
    private final String name;
    private final Timer timer;

    private int apicId;
    private long apicBase;
    private int tpr;
    private int ldr;
    private int dfr;
    private int svr;
    private final int[] isr = new int[8];
    private final int[] tmr = new int[8];
    private final int[] irr = new int[8];
    private int esr;
    private int esrPending;
    private int icrLow;
    private int icrHigh;
    private final int[] lvt = new int[6];
    private int initialCount;
    private int divideConfig;
    private int countShift;
    private long loadTime;
    private long tscDeadline;
    private long tscHz = 1_000_000_000L;
    private boolean lint0Level;
    private boolean lint1Level;

    private InterruptAcknowledge pic;
    private Pins pins;
    private volatile boolean output;

    /**
     * @param cpuIndex the CPU this APIC belongs to ({@code Cpu.index()})
     * @param apicId its APIC ID (equal to the CPU index on a PC)
     */
    public LocalApic(Machine machine, ApicBus bus, int cpuIndex, int apicId) {
        this.machine = machine;
        this.bus = bus;
        this.cpuIndex = cpuIndex;
        this.bsp = cpuIndex == 0;
        this.apicId = apicId;
        this.name = "apic" + cpuIndex;
        this.timer = machine.newTimer(name + "-timer", this::timerExpired);
        bus.register(this);
        reset();
    }

    @Override
    public String id() {
        return name;
    }

    public int cpuIndex() {
        return cpuIndex;
    }

    public int apicId() {
        return apicId;
    }

    int ldr() {
        return ldr;
    }

    int dfr() {
        return dfr;
    }

    /** The 8259 pair answering ExtINT acknowledge cycles. */
    public void setPic(InterruptAcknowledge pic) {
        this.pic = pic;
    }

    /** LINT0: the master 8259's INT on the BSP (ExtINT by default). */
    public IrqLine lint0() {
        return level -> {
            boolean rising = level && !lint0Level;
            lint0Level = level;
            lintChanged(LVT_LINT0, rising);
        };
    }

    /** LINT1: NMI by convention. */
    public IrqLine lint1() {
        return level -> {
            boolean rising = level && !lint1Level;
            lint1Level = level;
            lintChanged(LVT_LINT1, rising);
        };
    }

    // ---- reset -----------------------------------------------------------------------------------

    @Override
    public void reset() {
        apicBase = ApicBus.DEFAULT_BASE | BASE_ENABLE | (bsp ? BASE_BSP : 0);
        tscDeadline = 0;
        initReset();
        if (bsp) {
            lvt[LVT_LINT0] = ApicBus.DM_EXTINT << 8; // virtual wire, as QEMU's BSP comes up
        }
        update();
    }

    /** What INIT does (SDM 10.4.7.3): everything but the ID and IA32_APIC_BASE. */
    private void initReset() {
        tpr = 0;
        ldr = 0;
        dfr = -1;
        svr = 0xff;
        java.util.Arrays.fill(isr, 0);
        java.util.Arrays.fill(tmr, 0);
        java.util.Arrays.fill(irr, 0);
        esr = 0;
        esrPending = 0;
        icrLow = 0;
        icrHigh = 0;
        java.util.Arrays.fill(lvt, LVT_MASKED);
        initialCount = 0;
        divideConfig = 0;
        countShift = 1;
        loadTime = 0;
        tscDeadline = 0;
        timer.cancel();
    }

    // ---- X86InterruptSource ----------------------------------------------------------------------

    @Override
    public void connect(Pins cpu) {
        this.pins = cpu;
        cpu.interruptRequest(output);
    }

    @Override
    public boolean hasInterrupt() {
        return output;
    }

    @Override
    public int acknowledge() {
        if (softwareEnabled()) {
            int v = highestDeliverable();
            if (v >= 0) {
                clearBit(irr, v);
                setBit(isr, v);
                update();
                return v;
            }
        }
        if (picAccepted() && lint0Level && pic != null) {
            int v = pic.acknowledge();
            update();
            return v;
        }
        update();
        return svr & 0xff;
    }

    @Override
    public int tpr() {
        return tpr;
    }

    @Override
    public void setTpr(int value) {
        tpr = value & 0xff;
        update();
    }

    @Override
    public long apicBase() {
        return apicBase;
    }

    @Override
    public boolean setApicBase(long value) {
        if ((value & BASE_RESERVED) != 0) {
            return false;
        }
        long newBase = (value & ~0xfffL) | (apicBase & BASE_BSP);
        boolean enable = (value & BASE_ENABLE) != 0;
        if ((apicBase & BASE_ENABLE) != 0 && !enable) {
            // Global disable (SDM 10.4.3): the APIC forgets its state as after power-up.
            initReset();
        }
        if ((newBase & ~0xfffL) != ApicBus.DEFAULT_BASE && machine.log().unimp) {
            machine.log().unimplemented("APIC base relocation to 0x%x (the window stays at 0xfee00000)",
                    newBase & ~0xfffL);
        }
        apicBase = (newBase & ~BASE_ENABLE) | (enable ? BASE_ENABLE : 0);
        update();
        return true;
    }

    @Override
    public long tscDeadline() {
        return timerMode() == TIMER_TSC_DEADLINE ? tscDeadline : 0;
    }

    @Override
    public void setTscDeadline(long tsc) {
        if (timerMode() != TIMER_TSC_DEADLINE) {
            return; // ignored outside TSC-deadline mode (SDM 10.5.4.1)
        }
        deliverDueExpiry(machine.clock().nanos());
        tscDeadline = tsc;
        if (tsc == 0) {
            timer.cancel();
        } else {
            timer.modNs(tscToNs(tsc));
        }
    }

    @Override
    public void setTscHz(long hz) {
        if (hz > 0) {
            tscHz = hz;
        }
    }

    private long tscToNs(long tsc) {
        double ticks = tsc < 0 ? 0x1p64 + tsc : tsc;
        return (long) Math.min(ticks * 1e9 / tscHz, Long.MAX_VALUE / 4);
    }

    // ---- interrupt state -------------------------------------------------------------------------

    private boolean globallyEnabled() {
        return (apicBase & BASE_ENABLE) != 0;
    }

    private boolean softwareEnabled() {
        return globallyEnabled() && (svr & SVR_ENABLE) != 0;
    }

    /** The 8259's INT reaches INTR: APIC off, or LINT0 unmasked in ExtINT mode. */
    private boolean picAccepted() {
        int l = lvt[LVT_LINT0];
        return !globallyEnabled() || ((l & LVT_MASKED) == 0 && ((l >> 8) & 7) == ApicBus.DM_EXTINT);
    }

    private static int highest(int[] bits) {
        for (int i = 7; i >= 0; i--) {
            if (bits[i] != 0) {
                return i * 32 + 31 - Integer.numberOfLeadingZeros(bits[i]);
            }
        }
        return -1;
    }

    private static void setBit(int[] bits, int v) {
        bits[v >> 5] |= 1 << (v & 31);
    }

    private static void clearBit(int[] bits, int v) {
        bits[v >> 5] &= ~(1 << (v & 31));
    }

    private static boolean testBit(int[] bits, int v) {
        return (bits[v >> 5] & (1 << (v & 31))) != 0;
    }

    /** PPR (SDM 10.8.3.1): the higher of TPR and the in-service priority class. */
    int ppr() {
        int isrv = Math.max(highest(isr), 0);
        return (tpr >> 4) >= (isrv >> 4) ? tpr : isrv & 0xf0;
    }

    /** The IRR vector the CPU would take now, or -1. */
    private int highestDeliverable() {
        int v = highest(irr);
        if (v < 0 || (v & 0xf0) <= (ppr() & 0xf0)) {
            return -1;
        }
        return v;
    }

    /** Re-evaluates the CPU's INTR. */
    private void update() {
        boolean level = (softwareEnabled() && highestDeliverable() >= 0) || (picAccepted() && lint0Level);
        output = level;
        if (pins != null) {
            pins.interruptRequest(level);
        }
    }

    /** A fixed-mode interrupt accepted into IRR (from the bus, an LVT or an IPI). */
    private void acceptFixed(int vector, boolean levelTriggered) {
        if (vector < 16) {
            error(ESR_RECEIVE_ILLEGAL_VECTOR);
            return;
        }
        setBit(irr, vector);
        if (levelTriggered) {
            setBit(tmr, vector);
        } else {
            clearBit(tmr, vector);
        }
        update();
    }

    /** An interrupt message from the APIC bus (I/O APIC, IPI or MSI). */
    void receive(int mode, int vector, boolean levelTriggered) {
        switch (mode) {
            case ApicBus.DM_FIXED, ApicBus.DM_LOWEST -> acceptFixed(vector, levelTriggered);
            case ApicBus.DM_NMI -> {
                if (pins != null) {
                    pins.nmi();
                }
            }
            case ApicBus.DM_INIT -> {
                initReset();
                update();
                if (pins != null) {
                    pins.init();
                }
            }
            case ApicBus.DM_STARTUP -> {
                if (pins != null) {
                    pins.startup(vector & 0xff);
                }
            }
            case ApicBus.DM_EXTINT -> update();
            default -> {
                if (machine.log().unimp) {
                    machine.log().unimplemented("%s: delivery mode %d (SMI) not supported", name, mode);
                }
            }
        }
    }

    /** Delivers through LVT entry {@code index} (timer, LINTn, error ...) unless masked. */
    private void localDeliver(int index) {
        int l = lvt[index];
        if ((l & LVT_MASKED) != 0) {
            return;
        }
        int mode = index == LVT_TIMER || index == LVT_ERROR ? ApicBus.DM_FIXED : (l >> 8) & 7;
        boolean level = (index == LVT_LINT0 || index == LVT_LINT1) && (l & LVT_LEVEL) != 0;
        receive(mode, l & 0xff, level);
    }

    private void lintChanged(int index, boolean rising) {
        int l = lvt[index];
        int mode = (l >> 8) & 7;
        if (index == LVT_LINT0 && (mode == ApicBus.DM_EXTINT || !globallyEnabled())) {
            update();
            return;
        }
        if (rising) {
            localDeliver(index);
        }
    }

    private void error(int bits) {
        esrPending |= bits;
        localDeliver(LVT_ERROR);
    }

    private void eoi() {
        int v = highest(isr);
        if (v < 0) {
            return;
        }
        clearBit(isr, v);
        if (testBit(tmr, v)) {
            bus.broadcastEoi(v);
        }
        update();
    }

    // ---- timer -----------------------------------------------------------------------------------

    private int timerMode() {
        return (lvt[LVT_TIMER] >> 17) & 3;
    }

    /** Current count (SDM 10.5.4): counts down from the initial count at the divided bus rate. */
    int currentCount() {
        return currentCount(machine.clock().nanos());
    }

    private int currentCount(long now) {
        if (initialCount == 0 || timerMode() == TIMER_TSC_DEADLINE) {
            return 0;
        }
        long ticks = (now - loadTime) >> countShift;
        long period = (initialCount & 0xffff_ffffL) + 1;
        if (timerMode() == TIMER_PERIODIC) {
            return (int) ((initialCount & 0xffff_ffffL) - ticks % period);
        }
        return ticks >= (initialCount & 0xffff_ffffL) ? 0 : (int) ((initialCount & 0xffff_ffffL) - ticks);
    }

    /**
     * Arms the timer for the next time the count reaches 0 after {@code now}, or disarms it.
     *
     * <p>{@code now} must be the instant the caller based its change on (the TMICT write's load
     * time, the divider change). Reading the clock again here let host time pass between the two
     * reads, so a short one-shot count (Linux programs a few ticks when its next event is already
     * due, which a loaded host makes common) looked expired and was disarmed without its
     * interrupt: the guest then waited forever for a timer tick with every CPU halted.
     */
    private void armTimer(long now) {
        if (timerMode() == TIMER_TSC_DEADLINE) {
            return;
        }
        long init = initialCount & 0xffff_ffffL;
        if (init == 0) {
            timer.cancel();
            return;
        }
        long ticks = (now - loadTime) >> countShift;
        long next;
        if (timerMode() == TIMER_PERIODIC) {
            next = (ticks / (init + 1) + 1) * (init + 1);
        } else {
            if (ticks >= init) {
                timer.cancel(); // already reached 0 (callers deliver a due expiry first)
                return;
            }
            next = init;
        }
        timer.modNs(loadTime + (next << countShift));
    }

    /**
     * Delivers an expiry whose time has come but whose callback the main loop has not run yet
     * (a loaded host delays it), before a register write re-arms or disarms the timer: the count
     * reached 0 before the write, so its interrupt happened, and cancelling it would lose it.
     */
    private void deliverDueExpiry(long now) {
        if (timer.pending() && timer.deadline() <= now) {
            timer.cancel();
            expire(now);
        }
    }

    private void timerExpired() {
        expire(machine.clock().nanos());
    }

    private void expire(long now) {
        localDeliver(LVT_TIMER);
        if (timerMode() == TIMER_TSC_DEADLINE) {
            tscDeadline = 0;
        } else if (timerMode() == TIMER_PERIODIC) {
            armTimer(now);
        }
    }

    // ---- registers -------------------------------------------------------------------------------

    long mmioRead(long offset, int size) {
        int reg = (int) (offset & 0xff0);
        long v = readRegister(reg) & 0xffff_ffffL;
        int shift = (int) (offset & 3) * 8;
        return v >>> shift;
    }

    void mmioWrite(long offset, int size, long value) {
        if ((offset & 0xf) != 0 || size < 4) {
            if (machine.log().guestErrors) {
                machine.log().guestError("%s: %d-byte write at offset 0x%x ignored", name, size, offset);
            }
            return;
        }
        writeRegister((int) (offset & 0xff0), (int) value);
    }

    private int readRegister(int reg) {
        return switch (reg) {
            case 0x020 -> apicId << 24;
            case 0x030 -> VERSION;
            case 0x080 -> tpr;
            case 0x090 -> 0; // APR: no arbitration priority modelled
            case 0x0a0 -> ppr();
            case 0x0d0 -> ldr;
            case 0x0e0 -> dfr;
            case 0x0f0 -> svr;
            case 0x280 -> esr;
            case 0x300 -> icrLow;
            case 0x310 -> icrHigh;
            case 0x320, 0x330, 0x340, 0x350, 0x360, 0x370 -> lvt[(reg - 0x320) >> 4];
            case 0x380 -> initialCount;
            case 0x390 -> currentCount();
            case 0x3e0 -> divideConfig;
            default -> {
                if (reg >= 0x100 && reg < 0x180) {
                    yield isr[(reg - 0x100) >> 4];
                } else if (reg >= 0x180 && reg < 0x200) {
                    yield tmr[(reg - 0x180) >> 4];
                } else if (reg >= 0x200 && reg < 0x280) {
                    yield irr[(reg - 0x200) >> 4];
                }
                yield 0;
            }
        };
    }

    private void writeRegister(int reg, int v) {
        switch (reg) {
            case 0x020 -> apicId = v >>> 24;
            case 0x080 -> {
                tpr = v & 0xff;
                update();
            }
            case 0x0b0 -> eoi();
            case 0x0d0 -> ldr = v & 0xff00_0000;
            case 0x0e0 -> dfr = v | 0x0fff_ffff;
            case 0x0f0 -> {
                svr = v & 0x3ff;
                if ((svr & SVR_ENABLE) == 0) {
                    for (int i = 0; i < lvt.length; i++) {
                        lvt[i] |= LVT_MASKED;
                    }
                }
                update();
            }
            case 0x280 -> {
                esr = esrPending;
                esrPending = 0;
            }
            case 0x300 -> {
                icrLow = v & ~(1 << 12);
                sendIpi();
            }
            case 0x310 -> icrHigh = v & 0xff00_0000;
            case 0x320, 0x330, 0x340, 0x350, 0x360, 0x370 -> writeLvt((reg - 0x320) >> 4, v);
            case 0x380 -> {
                if (timerMode() != TIMER_TSC_DEADLINE) {
                    long now = machine.clock().nanos();
                    deliverDueExpiry(now);
                    initialCount = v;
                    loadTime = now;
                    armTimer(now);
                }
            }
            case 0x3e0 -> {
                // Divide value: bits 3,1,0; 0b111 divides by 1, otherwise by 2^(value+1).
                divideConfig = v & 0xb;
                int d = (v & 3) | ((v >> 1) & 4);
                int shift = (d + 1) & 7;
                // Keep the count continuous across a divider change.
                long now = machine.clock().nanos();
                deliverDueExpiry(now);
                int current = currentCount(now);
                countShift = shift;
                if (initialCount != 0 && timerMode() != TIMER_TSC_DEADLINE) {
                    loadTime = now - (((initialCount & 0xffff_ffffL) - (current & 0xffff_ffffL)) << countShift);
                    armTimer(now);
                }
            }
            default -> {
                error(ESR_ILLEGAL_REGISTER);
                if (machine.log().guestErrors) {
                    machine.log().guestError("%s: write 0x%x to read-only or reserved register 0x%x", name, v, reg);
                }
            }
        }
    }

    private void writeLvt(int index, int v) {
        long now = machine.clock().nanos();
        if (index == LVT_TIMER) {
            deliverDueExpiry(now); // through the old entry: it happened before this write
        }
        int oldMode = timerMode();
        int val = (lvt[index] & ~LVT_WRITABLE[index]) | (v & LVT_WRITABLE[index]);
        if ((svr & SVR_ENABLE) == 0) {
            val |= LVT_MASKED; // software-disabled: masks stay set (SDM 10.4.7.2)
        }
        lvt[index] = val;
        if (index == LVT_TIMER && timerMode() != oldMode) {
            // Switching between count and TSC-deadline modes disarms the timer (SDM 10.5.4.1).
            timer.cancel();
            tscDeadline = 0;
            if (timerMode() != TIMER_TSC_DEADLINE) {
                armTimer(now);
            } else {
                initialCount = 0;
            }
        }
        if (index == LVT_LINT0) {
            update();
        }
    }

    /** Sends the IPI the ICR describes (SDM 10.6.1). */
    private void sendIpi() {
        int vector = icrLow & 0xff;
        int mode = (icrLow >> 8) & 7;
        boolean logical = (icrLow & (1 << 11)) != 0;
        boolean assert_ = (icrLow & (1 << 14)) != 0;
        boolean levelTrig = (icrLow & (1 << 15)) != 0;
        int shorthand = (icrLow >> 18) & 3;
        int dest = icrHigh >>> 24;
        if (mode == ApicBus.DM_INIT && levelTrig && !assert_) {
            return; // INIT level de-assert: only synchronises arbitration IDs
        }
        if ((mode == ApicBus.DM_FIXED || mode == ApicBus.DM_LOWEST) && vector < 16) {
            error(ESR_SEND_ILLEGAL_VECTOR);
            return;
        }
        switch (shorthand) {
            case 1 -> receive(mode, vector, false);
            case 2 -> {
                for (LocalApic a : bus.apics()) {
                    a.receive(mode, vector, false);
                }
            }
            case 3 -> {
                for (LocalApic a : bus.apics()) {
                    if (a != this) {
                        a.receive(mode, vector, false);
                    }
                }
            }
            default -> bus.deliver(dest, logical, mode, vector, false);
        }
    }

    // ---- inspection for tests and the monitor ----------------------------------------------------

    public boolean irrSet(int vector) {
        return testBit(irr, vector);
    }

    public boolean isrSet(int vector) {
        return testBit(isr, vector);
    }
}
