package org.jqemu.target.i386;

import org.jqemu.accel.tcg.TcgCpu;
import org.jqemu.system.cpu.CpuExecutor;
import org.jqemu.system.cpu.InterruptAcknowledge;
import org.jqemu.system.irq.IrqLine;
import org.jqemu.system.machine.Machine;

/**
 * An x86 CPU: architectural state plus the tcg execution loop.
 *
 * <p>SKELETON written by the lead so that the CPU, MMU/system and board work can proceed in
 * parallel; the CPU engineers own this file and replace the bodies below.
 *
 * <p>State layout (shared contract between the interpreter and the system-level code):
 * general registers in {@link #regs} indexed by the x86 encoding (0=EAX/RAX ... 7=EDI, 8..15 for
 * long mode later), {@link #rip}, segment registers indexed ES=0 CS=1 SS=2 DS=3 FS=4 GS=5 with
 * their hidden descriptor caches, system registers, and the non-arithmetic EFLAGS bits in
 * {@link #eflags} (arithmetic flags are computed lazily by the interpreter; use
 * {@link #getEflags()} / {@link #setEflags(int)} for the architectural value).
 */
public final class X86Cpu implements TcgCpu {
    public static final int ES = 0, CS = 1, SS = 2, DS = 3, FS = 4, GS = 5;

    final Machine machine;
    final int index;

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
    public final long[] dr = new long[8];
    public int cpl;
    public boolean halted;
    /** Address mask for the A20 gate: ~0 when enabled, ~(1 << 20) when disabled. */
    public long a20Mask = ~0L;

    private volatile boolean exitRequest;
    private volatile boolean intrLevel;
    private InterruptAcknowledge pic;
    private Runnable kicker = () -> {};

    public X86Cpu(Machine machine, int index) {
        this.machine = machine;
        this.index = index;
        reset();
    }

    @Override
    public int index() {
        return index;
    }

    @Override
    public void reset() {
        // Replaced by the CPU engineers: architectural reset to F000:FFF0.
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
        a20Mask = enabled ? ~0L : ~(1L << 20);
    }

    /**
     * Multiboot entry state: 32-bit protected mode, flat 4 GiB code and data segments, paging
     * off, interrupts off, EIP = entry, EAX = magic, EBX = info address.
     */
    public void enterMultiboot(long entry, int eax, int ebx) {
        throw new UnsupportedOperationException("skeleton");
    }

    public int getEflags() {
        return eflags;
    }

    public void setEflags(int value) {
        eflags = value | 0x2;
    }

    @Override
    public int execute() {
        exitRequest = false;
        return CpuExecutor.EXIT_HALTED;
    }

    @Override
    public void requestExit() {
        exitRequest = true;
    }
}
