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
    /** CR8: the task-priority register (stored; no local APIC is wired to the CPU yet). */
    public long cr8;
    /** IA32_EFER (MSR 0xC0000080): SCE, LME, LMA (set by the CPU when paging turns on), NXE. */
    public long efer;
    public final long[] dr = new long[8];
    public int cpl;
    public boolean halted;
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
    private InterruptAcknowledge pic;
    private Runnable kicker = () -> {};

    public X86Cpu(Machine machine, int index) {
        this.machine = machine;
        this.index = index;
        this.model64 = isModel64(machine.config().cpuModel);
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

    /** Architectural power-on/RESET state (SDM vol. 3, 10.1 table 10-1). */
    @Override
    public void reset() {
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
        executor.clearIrqInhibit();
        executor.flushAll();
        mmu.reset();
        intr.reset();
        sys.reset();
        fpu.reset();
    }

    @Override
    public boolean hasWork() {
        return intrLevel && (eflags & 0x200) != 0;
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

    /** Port 0x92 / keyboard controller A20 gate. */
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
        while (true) {
            if (exitRequest) {
                exitRequest = false;
                return CpuExecutor.EXIT_KICKED;
            }
            executor.drainInvalidations();
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
        return exitRequest || (intrLevel && (eflags & 0x200) != 0) || executor.foreignPending();
    }

    @Override
    public void requestExit() {
        exitRequest = true;
    }
}
