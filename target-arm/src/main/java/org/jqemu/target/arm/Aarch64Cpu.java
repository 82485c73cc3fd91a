package org.jqemu.target.arm;

import org.jqemu.accel.tcg.CodePageMap;
import org.jqemu.accel.tcg.TcgCpu;
import org.jqemu.system.cpu.CpuExecutor;
import org.jqemu.system.irq.IrqLine;
import org.jqemu.system.log.LogCategory;
import org.jqemu.system.machine.Machine;

/**
 * An ARMv8-A CPU in AArch64 state at EL0/EL1 (Arm ARM DDI 0487).
 *
 * <p>CONTRACT between target-arm and the {@code virt} board (hw.arm), fixed before either was
 * written so the two could be built in parallel. The board:
 * <ul>
 *   <li>creates CPU i with {@code new Aarch64Cpu(machine, i, model)}; guest memory is
 *       {@code machine.memory()}, time is {@code machine.clock()} (generic timer counter at
 *       {@link #CNTFRQ_HZ});</li>
 *   <li>drives {@link #irqLine()} and {@link #fiqLine()} from the GIC CPU interface;</li>
 *   <li>receives the generic timer outputs through {@link #connectTimers} (level-sensitive;
 *       on virt: PPI 30 phys NS, 27 virt, 26 hyp, 29 phys S);</li>
 *   <li>implements PSCI through {@link #setFirmwareCallHandler};</li>
 *   <li>starts the boot CPU with {@link #bootAt} (Linux arm64 boot protocol: EL1h, MMU and
 *       caches off, DAIF masked, x0 = DTB address, x1..x3 = 0) and keeps secondaries
 *       {@link #powerOff() off} until PSCI CPU_ON calls {@link #powerOn}.</li>
 * </ul>
 * {@link #mpidr()} gives the affinity value the board writes into the DTB's cpu nodes.
 *
 * <p>State layout shared by the classes of this package: {@link #x} holds x0..x30 and, in slot
 * 31, the stack pointer selected by the current EL and PSTATE.SP (the other one is banked in
 * {@link #spEl0}/{@link #spEl1}); NZCV is kept in bits 31..28 of {@link #nzcv}, DAIF in bits
 * 9..6 of {@link #daif} (their SPSR positions). The MMU is {@link A64Mmu}, the instruction set
 * {@link A64Interpreter}/{@link A64Simd}, system registers {@link A64SysRegs}, the generic timer
 * {@link GenericTimer}.
 */
public final class Aarch64Cpu implements TcgCpu {
    /** The generic timer's counter frequency (CNTFRQ_EL0), QEMU's 62.5 MHz. */
    public static final long CNTFRQ_HZ = 62_500_000L;

    /** Exception classes (ESR_ELx.EC) this CPU raises. */
    static final int EC_UNKNOWN = 0x00, EC_WFX = 0x01, EC_FP = 0x07, EC_ILLEGAL = 0x0e, EC_SVC = 0x15,
            EC_HVC = 0x16, EC_SMC = 0x17, EC_SYSREG = 0x18, EC_IABT_LOWER = 0x20, EC_IABT_SAME = 0x21,
            EC_PC_ALIGN = 0x22, EC_DABT_LOWER = 0x24, EC_DABT_SAME = 0x25, EC_SP_ALIGN = 0x26,
            EC_BRK = 0x3c;
    static final int VEC_SYNC = 0, VEC_IRQ = 1, VEC_FIQ = 2, VEC_SERROR = 3;

    final Machine machine;
    private final int index;
    private final ArmCpuModel model;

    /** x0..x30, and the current stack pointer in slot 31. */
    public final long[] x = new long[32];
    public long pc;
    /** The address of the next instruction, set by branches and exception entry. */
    long nextPc;
    /** N Z C V in bits 31..28. */
    int nzcv;
    /** D A I F in bits 9..6. */
    int daif;
    /** Current exception level, 0 or 1. */
    int el;
    /** PSTATE.SP: at EL1, use SP_EL1 (true) or SP_EL0 (false). */
    boolean spSel;
    long spEl0, spEl1;

    // EL1 exception state
    long elrEl1, spsrEl1, esrEl1, farEl1;

    /** FP/SIMD registers v0..v31 as two 64-bit halves (little-endian lanes). */
    final long[] vlo = new long[32];
    final long[] vhi = new long[32];
    int fpcr, fpsr;

    // exclusive monitor (physical address, size, value loaded); addr -1 = open
    long exclAddr = -1;
    long exclValue, exclValue2;
    int exclSize;

    final A64SysRegs sys;
    final A64Mmu mmu;
    final GenericTimer timer;
    private final A64Executor executor;
    final CodePageMap codePages;

    private volatile boolean exitRequest;
    /** Another CPU broadcast a TLB invalidation (TLBI ...IS); done before our next block. */
    private volatile boolean tlbFlushRequest;
    volatile boolean irqLevel;
    volatile boolean fiqLevel;
    boolean halted;
    private volatile boolean poweredOff;
    private Runnable kicker = () -> {};
    private FirmwareCallHandler firmware;

    // pending synchronous exception, filled in before throwing ArmFault
    int faultEc;
    int faultIss;
    long faultFar;
    boolean faultHasFar;

    public Aarch64Cpu(Machine machine, int index, ArmCpuModel model) {
        this.machine = machine;
        this.index = index;
        this.model = model;
        this.codePages = CodePageMap.of(machine);
        this.sys = new A64SysRegs(this);
        this.mmu = new A64Mmu(this);
        this.timer = new GenericTimer(this);
        this.executor = new A64Executor(this);
        reset();
    }

    public Machine machine() {
        return machine;
    }

    public ArmCpuModel model() {
        return model;
    }

    /** FEAT_LSE (atomic memory operations, CAS/CASP): advertised and implemented on {@code max}. */
    boolean hasLse() {
        return model == ArmCpuModel.MAX;
    }

    /** MPIDR_EL1 as the guest reads it: Aff0 = index % 8, Aff1 = index / 8 (QEMU's GICv2 clustering), bit 31 RES1. */
    public long mpidr() {
        return 0x8000_0000L | ((long) (index / 8) << 8) | (index % 8);
    }

    /** The CPU's IRQ input (level). */
    public IrqLine irqLine() {
        return level -> {
            irqLevel = level;
            if (level) {
                kicker.run();
            }
        };
    }

    /** The CPU's FIQ input (level). */
    public IrqLine fiqLine() {
        return level -> {
            fiqLevel = level;
            if (level) {
                kicker.run();
            }
        };
    }

    /** The generic timer outputs: EL1 physical (non-secure), virtual, EL2 physical, secure physical. */
    public void connectTimers(IrqLine physNs, IrqLine virt, IrqLine hyp, IrqLine physSecure) {
        timer.connect(physNs, virt);
    }

    public void setFirmwareCallHandler(FirmwareCallHandler handler) {
        this.firmware = handler;
    }

    /** General register xN (n in 0..30); 31 reads as zero. */
    public long xreg(int n) {
        return n == 31 ? 0 : x[n];
    }

    public void setXreg(int n, long value) {
        if (n != 31) {
            x[n] = value;
        }
    }

    /** The stack pointer in use. */
    public long sp() {
        return x[31];
    }

    public long pc() {
        return pc;
    }

    /** Current exception level (0 or 1). */
    public int currentEl() {
        return el;
    }

    /** Linux arm64 boot entry: EL1h, MMU off, DAIF masked, PC = entry, x0 = dtb, x1..x3 = 0. */
    public void bootAt(long entry, long dtb) {
        reset();
        x[0] = dtb;
        pc = entry;
        poweredOff = false;
    }

    /** PSCI CPU_ON: the CPU starts at EL1h, MMU off, PC = entry, x0 = contextId. */
    public void powerOn(long entry, long contextId) {
        reset();
        x[0] = contextId;
        pc = entry;
        poweredOff = false;
        kicker.run();
    }

    /** PSCI CPU_OFF, and the state of secondaries at reset: the CPU runs nothing until powerOn. */
    public void powerOff() {
        poweredOff = true;
        exitRequest = true;
    }

    public boolean isPoweredOff() {
        return poweredOff;
    }

    @Override
    public int index() {
        return index;
    }

    /** Architectural reset into AArch64 EL1h with the MMU off (the highest EL we implement). */
    @Override
    public void reset() {
        java.util.Arrays.fill(x, 0);
        java.util.Arrays.fill(vlo, 0);
        java.util.Arrays.fill(vhi, 0);
        spEl0 = 0;
        spEl1 = 0;
        el = 1;
        spSel = true;
        nzcv = 0;
        daif = 0xf << 6;
        pc = 0;
        fpcr = 0;
        fpsr = 0;
        elrEl1 = spsrEl1 = esrEl1 = farEl1 = 0;
        exclAddr = -1;
        halted = false;
        sys.reset();
        timer.reset();
        mmu.flushAll();
        executor.flushAll();
    }

    @Override
    public boolean hasWork() {
        // WFI wakes on a pending interrupt even when PSTATE masks it (Arm ARM D1.16.2).
        return !poweredOff && (!halted || irqLevel || fiqLevel);
    }

    @Override
    public void setKicker(Runnable kicker) {
        this.kicker = kicker;
    }

    void kick() {
        kicker.run();
    }

    @Override
    public int execute() {
        executor.bindThread();
        while (true) {
            if (exitRequest) {
                exitRequest = false;
                return CpuExecutor.EXIT_KICKED;
            }
            if (poweredOff) {
                return CpuExecutor.EXIT_HALTED;
            }
            executor.drainInvalidations();
            if (tlbFlushRequest) {
                tlbFlushRequest = false;
                mmu.flushAll();
            }
            if (halted) {
                if (!hasWork()) {
                    return CpuExecutor.EXIT_HALTED;
                }
                halted = false;
            }
            if (fiqLevel && (daif & 0x40) == 0) {
                takeException(VEC_FIQ, 0, 0, pc);
                continue;
            }
            if (irqLevel && (daif & 0x80) == 0) {
                takeException(VEC_IRQ, 0, 0, pc);
                continue;
            }
            executor.runBlocks();
        }
    }

    /** True when the block loop must return to {@link #execute()} before the next block. */
    boolean needsAttention() {
        return exitRequest || halted || tlbFlushRequest || executor.foreignPending()
                || (irqLevel && (daif & 0x80) == 0) || (fiqLevel && (daif & 0x40) == 0);
    }

    @Override
    public void requestExit() {
        exitRequest = true;
    }

    /** A TLB maintenance broadcast from another CPU: flushed before this CPU runs its next block. */
    void requestTlbFlush() {
        tlbFlushRequest = true;
    }

    /** Instructions executed so far (for speed measurements). */
    public long instructionCount() {
        return executor.insnCount;
    }

    // ---- PSTATE -----------------------------------------------------------------------------

    /** PSTATE as SPSR_EL1 stores it (AArch64 format). */
    long pstate() {
        return (nzcv & 0xf000_0000L) | daif | ((long) el << 2) | (spSel ? 1 : 0);
    }

    /** Switches EL and stack pointer selection, banking SP. */
    void setMode(int newEl, boolean newSpSel) {
        if (el == 0 || !spSel) {
            spEl0 = x[31];
        } else {
            spEl1 = x[31];
        }
        el = newEl;
        spSel = newSpSel;
        x[31] = (el == 0 || !spSel) ? spEl0 : spEl1;
    }

    /** SP_EL0 / SP_EL1 as MRS/MSR see them, whichever is banked. */
    long readSpEl(int n) {
        boolean current = n == 0 ? (el == 0 || !spSel) : (el == 1 && spSel);
        return current ? x[31] : (n == 0 ? spEl0 : spEl1);
    }

    void writeSpEl(int n, long v) {
        boolean current = n == 0 ? (el == 0 || !spSel) : (el == 1 && spSel);
        if (current) {
            x[31] = v;
        } else if (n == 0) {
            spEl0 = v;
        } else {
            spEl1 = v;
        }
    }

    // ---- exceptions -------------------------------------------------------------------------

    /** Records a synchronous exception and unwinds to the block loop. */
    ArmFault fault(int ec, int iss) {
        faultEc = ec;
        faultIss = iss;
        faultHasFar = false;
        return ArmFault.INSTANCE;
    }

    ArmFault undefined() {
        return fault(EC_UNKNOWN, 0);
    }

    /** Takes the pending synchronous exception of the instruction at {@link #pc}. */
    void deliverFault() {
        // EL1 only: at EL0, UNDEFINED is routine (Linux emulates EL0 reads of the ID registers)
        if (faultEc == EC_UNKNOWN && el == 1 && machine.log().unimp) {
            String word;
            try {
                word = String.format("%08x", mmu.readPhys(mmu.translateCode(pc), 4));
            } catch (ArmFault f) {
                word = "(unmapped)";
            }
            machine.log().unimplemented("cpu%d: undefined instruction %s at pc 0x%x (EL%d)", index, word, pc, el);
        }
        if (faultHasFar) {
            farEl1 = faultFar;
        }
        takeException(VEC_SYNC, faultEc, faultIss, pc);
    }

    /**
     * Exception entry to EL1 (Arm ARM D1.10): saves PSTATE and the return address, masks DAIF,
     * selects SP_EL1 and jumps to VBAR_EL1 + the vector of (source, kind).
     */
    void takeException(int kind, int ec, int iss, long returnAddr) {
        if (machine.log().interrupts) {
            machine.log().log(LogCategory.INT, "cpu%d: exception kind %d ec 0x%x iss 0x%x at 0x%x (EL%d) -> vbar 0x%x",
                    index, kind, ec, iss, returnAddr, el, sys.vbarEl1);
        }
        long offset = el == 0 ? 0x400 : spSel ? 0x200 : 0;
        spsrEl1 = pstate();
        elrEl1 = returnAddr;
        if (kind == VEC_SYNC) {
            esrEl1 = ((long) ec << 26) | (1L << 25) | (iss & 0x1ff_ffffL);
        }
        setMode(1, true);
        daif = 0xf << 6;
        exclAddr = -1;
        pc = sys.vbarEl1 + offset + kind * 0x80L;
        nextPc = pc;
    }

    /** ERET: returns to ELR_EL1 with PSTATE from SPSR_EL1. */
    void exceptionReturn() {
        long spsr = spsrEl1;
        int m = (int) spsr & 0x1f;
        int target;
        boolean sel;
        if (m == 0 || m == 4 || m == 5) {
            target = m >> 2;
            sel = (m & 1) != 0;
        } else {
            // An illegal return (AArch32 or a higher EL): stay at EL1 with PSTATE.IL (we do not
            // model IL; the guest sees the return happen at EL1h).
            machine.log().guestError("cpu%d: ERET with unsupported SPSR.M 0x%x", index, m);
            target = 1;
            sel = true;
        }
        nzcv = (int) (spsr & 0xf000_0000L);
        daif = (int) spsr & 0x3c0;
        setMode(target, sel);
        exclAddr = -1;
        nextPc = elrEl1;
    }

    /** HVC/SMC: the board's firmware, or UNDEFINED when nothing answers. */
    void firmwareCall(FirmwareCallHandler.Conduit conduit, int imm16) {
        FirmwareCallHandler h = firmware;
        if (el == 0 || h == null || !h.call(this, conduit, imm16)) {
            throw undefined();
        }
    }
}
