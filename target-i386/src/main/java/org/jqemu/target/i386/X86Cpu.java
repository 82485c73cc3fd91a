package org.jqemu.target.i386;

import org.jqemu.accel.tcg.CodePageMap;
import org.jqemu.accel.tcg.TcgCpu;
import org.jqemu.system.cpu.CpuExecutor;
import org.jqemu.system.cpu.InterruptAcknowledge;
import org.jqemu.system.irq.IrqLine;
import org.jqemu.system.machine.Machine;
import org.jqemu.target.i386.exec.Executor;
import org.jqemu.target.i386.exec.Flags;
import org.jqemu.target.i386.fpu.FpuState;

/**
 * An x86 CPU (8086 through Pentium integer instruction set, 16/32-bit, and x86-64 long mode,
 * with the x87 FPU, MMX, FXSR, SSE, SSE2 and SSE3 whose state lives in {@link FpuState}):
 * architectural state plus the tcg execution loop.
 *
 * <p>State layout (shared contract between the interpreter and the system-level code):
 * general registers in {@link #regs} indexed by the x86 encoding (0=RAX ... 7=RDI, 8..15 =
 * R8..R15; outside 64-bit mode only the low 32 bits are used), {@link #rip}, segment registers indexed ES=0 CS=1 SS=2 DS=3 FS=4 GS=5 with their hidden
 * descriptor caches ({@code segAttr} = descriptor dword 2 bits 8..23: type, S, DPL, P, AVL, L,
 * D/B, G; {@code segLimit} byte granular), system registers, and the non-arithmetic EFLAGS bits in
 * {@link #eflags}. Arithmetic flags are lazy ({@link Flags}); use {@link #getEflags()} /
 * {@link #setEflags(int)} for the architectural value.
 *
 * <p>The system half — paging ({@link X86Mmu}), segmentation and task switches
 * ({@link Segmentation}), exception delivery ({@link InterruptUnit}) and control registers,
 * CPUID and MSRs ({@link SystemInsns}) — lives in its own classes; the instruction set in
 * {@code decode} and {@code exec}.
 */
public final class X86Cpu implements TcgCpu {
    public static final int ES = 0, CS = 1, SS = 2, DS = 3, FS = 4, GS = 5;
    /** CPUID leaf 1 EAX, also left in EDX by reset: family 6, model 3, stepping 3. */
    public static final int SIGNATURE = 0x633;
    public static final long EFER_SCE = 1L, EFER_LME = 1L << 8, EFER_LMA = 1L << 10, EFER_NXE = 1L << 11;

    final Machine machine;
    final int index;
    /**
     * The -cpu model is a 64-bit one ({@code qemu64}, {@code max}): CPUID advertises long mode,
     * NX, SYSCALL and the other features listed in {@link SystemInsns}. The default stays the
     * 32-bit {@code qemu32}-like model the 32-bit guest suite was recorded with.
     */
    public final boolean model64;

    public final long[] regs = new long[16];
    public long rip;
    /** EFLAGS without the lazily computed arithmetic flags (CF PF AF ZF SF OF). */
    public int eflags = 0x2;

    public final int[] segSel = new int[6];
    public final long[] segBase = new long[6];
    public final int[] segLimit = new int[6];
    /** Descriptor attribute bits 8..23 of the descriptor's second dword (type, S, DPL, P, AVL, L, D/B, G). */
    public final int[] segAttr = new int[6];

    public long gdtBase;
    public int gdtLimit;
    public long idtBase;
    public int idtLimit;
    public int ldtSel;
    public long ldtBase;
    public int ldtLimit;
    public int ldtAttr;
    public int trSel;
    public long trBase;
    public int trLimit;
    public int trAttr;

    public long cr0 = 0x60000010L;
    public long cr2;
    public long cr3;
    public long cr4;
    /** CR8 without a local APIC (unit tests); with one, CR8 is the APIC's TPR (see {@link #readCr8()}). */
    public long cr8;
    /** IA32_EFER (MSR 0xC0000080): SCE, LME, LMA (set by the CPU when paging turns on), NXE. */
    public long efer;
    public final long[] dr = new long[8];
    public int cpl;
    public boolean halted;
    /**
     * The wait-for-SIPI state of an application processor (SDM vol. 3, 9.4.2 and 10.6.1): after
     * RESET or INIT it executes nothing and only a startup IPI, or another INIT, wakes it.
     */
    public volatile boolean waitForSipi;
    /** NMIs are blocked from the delivery of one until the next IRET (SDM 6.7.1). */
    public boolean nmiBlocked;
    /** The initial APIC ID CPUID leaf 1 reports in EBX[31:24] (the board's topology; default the index). */
    private int initialApicId;
    /** Cores per package and threads per core, for CPUID leaves 1 and 4. */
    private int coresPerPackage = 1;
    private int threadsPerCore = 1;
    /** Address mask for the A20 gate: ~0 when enabled, ~(1 << 20) when disabled. */
    public long a20Mask = ~0L;

    /** x87 and SSE register state (FXSAVE's contents). */
    public final FpuState fpu = new FpuState();
    public final InterruptUnit intr;
    public final X86Mmu mmu;
    public final Segmentation seg;
    public final SystemInsns sys;
    public final CodePageMap codePages;
    private final Flags flags = new Flags();
    private final Executor executor;

    private volatile boolean exitRequest;
    private volatile boolean intrLevel;
    private volatile boolean nmiPending;
    private volatile boolean initPending;
    private volatile boolean sipiPending;
    private volatile int sipiVector;
    private InterruptAcknowledge pic;
    private X86InterruptSource apic;
    private final SerialExecution serial;
    private Runnable kicker = () -> {};

    public X86Cpu(Machine machine, int index) {
        this.machine = machine;
        this.index = index;
        this.model64 = isModel64(machine.config().cpuModel);
        this.initialApicId = index;
        this.serial = SerialExecution.of(machine);
        intr = new InterruptUnit(this);
        mmu = new X86Mmu(this, intr);
        seg = new Segmentation(this, mmu, intr);
        sys = new SystemInsns(this, mmu, intr, seg);
        codePages = CodePageMap.of(machine);
        mmu.setCodeTracking(codePages::contains, this::invalidateCode);
        executor = new Executor(this, flags, codePages);
        reset();
    }

    /**
     * The 64-bit -cpu models; the name is the part before the first comma. Without -cpu the model
     * is {@code qemu64}, as with qemu-system-x86_64.
     */
    public static boolean isModel64(String cpuModel) {
        if (cpuModel == null) {
            return true;
        }
        String name = cpuModel.split(",", 2)[0];
        return name.equals("qemu64") || name.equals("max");
    }

    public Machine machine() {
        return machine;
    }

    @Override
    public int index() {
        return index;
    }

    /**
     * Architectural power-on/RESET state (SDM vol. 3, 10.1 table 10-1). The boot processor (index
     * 0) then fetches from the reset vector; an application processor waits for a startup IPI.
     */
    @Override
    public void reset() {
        resetRegisters();
        fpu.reset();
        sys.resetInitPreserved();
        nmiPending = false;
        initPending = false;
        sipiPending = false;
        waitForSipi = !isBsp();
    }

    /** The boot processor: CPU 0, as IA32_APIC_BASE.BSP says on a PC. */
    public boolean isBsp() {
        return apic != null ? (apic.apicBase() & (1L << 8)) != 0 : index == 0;
    }

    /**
     * INIT (SDM vol. 3, 9.1 table 9-1 "INIT" column): RESET's register state, but the x87/SSE
     * registers, PAT and the other init-preserved MSRs keep their values; then the processor waits
     * for a startup IPI, except the boot processor, which restarts at the reset vector.
     */
    private void init() {
        resetRegisters();
        nmiPending = false;
        waitForSipi = !isBsp();
    }

    /**
     * A startup IPI (SDM vol. 3, 10.6.1 "Startup"): leave wait-for-SIPI in real mode at
     * {@code vector << 12}: CS selector {@code vector << 8}, IP 0.
     */
    private void startup(int vector) {
        segSel[CS] = (vector & 0xff) << 8;
        segBase[CS] = (long) (vector & 0xff) << 12;
        segLimit[CS] = 0xffff;
        segAttr[CS] = 0x9b;
        rip = 0;
        halted = false;
        waitForSipi = false;
    }

    private void resetRegisters() {
        java.util.Arrays.fill(regs, 0);
        regs[2] = SIGNATURE;
        rip = 0xfff0;
        setEflags(0x2);
        for (int s = 0; s < 6; s++) {
            segSel[s] = 0;
            segBase[s] = 0;
            segLimit[s] = 0xffff;
            segAttr[s] = 0x93;
        }
        segSel[CS] = 0xf000;
        segBase[CS] = 0xffff0000L;
        segAttr[CS] = 0x9b;
        gdtBase = 0;
        gdtLimit = 0xffff;
        idtBase = 0;
        idtLimit = 0xffff;
        ldtSel = 0;
        ldtBase = 0;
        ldtLimit = 0xffff;
        ldtAttr = 0x82;
        trSel = 0;
        trBase = 0;
        trLimit = 0xffff;
        trAttr = 0x8b;
        cr0 = 0x60000010L;
        cr2 = 0;
        cr3 = 0;
        cr4 = 0;
        cr8 = 0;
        efer = 0;
        java.util.Arrays.fill(dr, 0);
        dr[6] = 0xffff0ff0L;
        dr[7] = 0x400;
        cpl = 0;
        halted = false;
        nmiBlocked = false;
        executor.clearIrqInhibit();
        executor.flushAll();
        mmu.reset();
        intr.reset();
        sys.reset();
    }

    @Override
    public boolean hasWork() {
        if (initPending) {
            return true;
        }
        if (waitForSipi) {
            return sipiPending;
        }
        return nmiPending && !nmiBlocked || intrLevel && (eflags & 0x200) != 0;
    }

    @Override
    public String dumpRegisters() {
        return X86CpuDump.registers(this);
    }

    @Override
    public long translate(long vaddr) {
        return X86CpuDump.translate(this, vaddr);
    }

    @Override
    public void setKicker(Runnable kicker) {
        this.kicker = kicker;
    }

    /** The INTR input pin, driven by the interrupt controller. */
    public IrqLine intrLine() {
        return level -> {
            intrLevel = level;
            if (level) {
                kicker.run();
            }
        };
    }

    /** Who answers the interrupt-acknowledge cycle (the 8259 pair on a PC). */
    public void setInterruptController(InterruptAcknowledge pic) {
        this.pic = pic;
    }

    /**
     * Connects this CPU to its local APIC (see {@link X86InterruptSource} for the contract): the
     * APIC drives INTR, NMI, INIT and SIPI and answers the acknowledge cycle; MSR 0x1B, CR8 and
     * CPUID's APIC flag read it.
     */
    public void setInterruptSource(X86InterruptSource source) {
        this.apic = source;
        this.pic = source;
        source.setTscHz(SystemInsns.TSC_HZ);
        IrqLine intr = intrLine();
        source.connect(new X86InterruptSource.Pins() {
            @Override
            public void interruptRequest(boolean pending) {
                intr.set(pending);
            }

            @Override
            public void nmi() {
                nmiPending = true;
                kicker.run();
            }

            @Override
            public void init() {
                initPending = true;
                kicker.run();
            }

            @Override
            public void startup(int vector) {
                // Latched even if INIT has not been processed yet; dropped unless the CPU then waits for SIPI.
                sipiVector = vector;
                sipiPending = true;
                kicker.run();
            }
        });
    }

    /** The local APIC, or null when the CPU runs without one (unit tests, bare INTR boards). */
    public X86InterruptSource interruptSource() {
        return apic;
    }

    /** Sets what CPUID reports of the topology: the initial APIC ID, cores per package, threads per core. */
    public void setTopology(int initialApicId, int coresPerPackage, int threadsPerCore) {
        this.initialApicId = initialApicId;
        this.coresPerPackage = Math.max(1, coresPerPackage);
        this.threadsPerCore = Math.max(1, threadsPerCore);
    }

    public int initialApicId() {
        return initialApicId;
    }

    /** Logical processors per package (CPUID leaf 1 EBX[23:16] when above one). */
    public int logicalPerPackage() {
        return coresPerPackage * threadsPerCore;
    }

    public int coresPerPackage() {
        return coresPerPackage;
    }

    public int threadsPerCore() {
        return threadsPerCore;
    }

    /** MOV from CR8: the APIC's task priority class (SDM 10.8.6.1). */
    long readCr8() {
        return apic != null ? (apic.tpr() >> 4) & 0xf : cr8;
    }

    /** MOV to CR8: TPR[7:4] = value[3:0], TPR[3:0] = 0. */
    void writeCr8(long v) {
        if (apic != null) {
            machine.lock();
            try {
                apic.setTpr((int) (v & 0xf) << 4);
            } finally {
                machine.unlock();
            }
        } else {
            cr8 = v;
        }
    }

    /** Port 0x92 / keyboard controller A20 gate (the board applies it to every CPU). */
    public void setA20(boolean enabled) {
        long m = enabled ? ~0L : ~(1L << 20);
        if (m != a20Mask) {
            a20Mask = m;
            mmu.flushAll();
        }
    }

    /**
     * Multiboot entry state (Multiboot 0.6.96, 3.2 "Machine state"): 32-bit protected mode, flat
     * 4 GiB code and data segments (selectors 0x08/0x10 as QEMU's loader uses), paging off,
     * interrupts off, EIP = entry, EAX = magic, EBX = info address.
     */
    public void enterMultiboot(long entry, int eax, int ebx) {
        regs[0] = eax & 0xffffffffL;
        regs[3] = ebx & 0xffffffffL;
        cr0 = 0x11;
        for (int s = 0; s < 6; s++) {
            segSel[s] = s == CS ? 0x08 : 0x10;
            segBase[s] = 0;
            segLimit[s] = -1;
            segAttr[s] = s == CS ? 0xc09b : 0xc093;
        }
        cpl = 0;
        setEflags(0x2);
        rip = entry & 0xffffffffL;
        halted = false;
        setA20(true);
        mmu.flushAll();
    }

    /**
     * The Linux x86 32-bit boot protocol's entry state (Documentation/arch/x86/boot.rst, "32-bit
     * boot protocol"): protected mode with paging and interrupts off, a loaded GDT whose
     * {@code cs}/{@code ds} selectors are flat 4 GiB code and data (CS, DS, ES, SS = those; FS
     * and GS too, harmlessly), ESI = the boot_params address, EBP, EDI, EBX and EAX zero.
     */
    public void enterLinux32(long eip, long bootParams, long gdtBase, int gdtLimit, int cs, int ds) {
        enterMultiboot(eip, 0, 0);
        for (int s = 0; s < 6; s++) {
            segSel[s] = s == CS ? cs : ds;
        }
        this.gdtBase = gdtBase;
        this.gdtLimit = gdtLimit;
        regs[5] = 0;
        regs[6] = bootParams & 0xffffffffL;
        regs[7] = 0;
    }

    /** IA-32e mode is active (EFER.LMA): 64-bit or compatibility mode. */
    public boolean longMode() {
        return (efer & EFER_LMA) != 0;
    }

    /** 64-bit mode: IA-32e mode with CS.L set. */
    public boolean code64() {
        return (efer & EFER_LMA) != 0 && (segAttr[CS] & SysBits.ATTR_L) != 0;
    }

    /** The architectural EFLAGS value. */
    public int getEflags() {
        return (eflags & ~Flags.ARITH) | flags.compute() | 0x2;
    }

    /** Sets all of EFLAGS, arithmetic flags included; no privilege rules are applied here. */
    public void setEflags(int value) {
        eflags = (value & ~Flags.ARITH & ~0x8028) | 0x2;
        flags.load(value);
    }

    /** A guest write hit {@code physAddr}, a page holding translated code. */
    public void invalidateCode(long physAddr) {
        codePages.invalidate(physAddr);
    }

    /** Instructions executed so far (for speed measurements). */
    public long instructionCount() {
        return executor.insnCount;
    }

    /** Blocks translated to bytecode so far (tier 2, for tests and measurements). */
    public long compiledBlockCount() {
        return executor.compiledBlocks;
    }

    @Override
    public int execute() {
        executor.bindThread();
        if (serial == null) {
            return executeLoop();
        }
        serial.acquire(this);
        try {
            return executeLoop();
        } finally {
            serial.release();
        }
    }

    private int executeLoop() {
        while (true) {
            if (exitRequest) {
                exitRequest = false;
                return CpuExecutor.EXIT_KICKED;
            }
            executor.drainInvalidations();
            if (initPending || sipiPending) {
                initAndStartup();
            }
            if (waitForSipi) {
                return CpuExecutor.EXIT_HALTED;
            }
            if (nmiPending && !nmiBlocked && !executor.irqInhibited()) {
                nmiPending = false;
                nmiBlocked = true;
                halted = false;
                intr.deliverExternal(InterruptUnit.NMI);
                continue;
            }
            if (halted) {
                if (!hasWork()) {
                    return CpuExecutor.EXIT_HALTED;
                }
                halted = false;
            }
            if (intrLevel && (eflags & 0x200) != 0 && !executor.irqInhibited() && pic != null) {
                takeInterrupt();
                continue;
            }
            executor.clearIrqInhibit();
            executor.runBlocks();
        }
    }

    /** INIT first, then a startup IPI, which only a CPU in wait-for-SIPI honours. */
    private void initAndStartup() {
        if (initPending) {
            initPending = false;
            init();
        }
        if (sipiPending) {
            sipiPending = false;
            if (waitForSipi) {
                startup(sipiVector);
            }
        }
    }

    private void takeInterrupt() {
        int vector;
        machine.lock();
        try {
            vector = pic.acknowledge();
        } finally {
            machine.unlock();
        }
        intr.deliverExternal(vector & 0xff);
    }

    /** True when the execute loop must look at exits, interrupts or invalidations before the next block. */
    public boolean needsAttention() {
        return exitRequest || (intrLevel && (eflags & 0x200) != 0) || executor.foreignPending()
                || nmiPending && !nmiBlocked || initPending;
    }

    @Override
    public void requestExit() {
        exitRequest = true;
    }
}
