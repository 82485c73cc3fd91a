package org.jqemu.target.i386;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.machine.MachineConfig;
import org.jqemu.system.memory.RamRegion;
import org.junit.jupiter.api.function.Executable;

/**
 * A machine with 8 MiB of RAM at 0 and one x86 CPU, plus helpers that build descriptor tables,
 * page tables and a TSS in guest memory, for the system-level tests (Mmu*, Seg*, Intr*, Sys*).
 *
 * <p>Fixed layout: GDT at 0x1000, IDT at 0x2000, TSS A at 0x3000, TSS B at 0x3200,
 * ring-0 stack top 0x9000, ring-3 stack top 0x8000.
 */
final class SysRig {
    static final long GDT = 0x1000, IDT = 0x2000, TSS_A = 0x3000, TSS_B = 0x3200;
    static final int CODE0 = 0x08, DATA0 = 0x10, CODE3 = 0x1b, DATA3 = 0x23, TSS_A_SEL = 0x28, TSS_B_SEL = 0x30;
    static final int CALL_GATE = 0x38 | 3, DATA0_ABSENT = 0x40, CODE_EXEC_ONLY = 0x48, CODE0_16 = 0x50;
    static final int TASK_GATE = 0x58 | 3, CODE0_CONFORMING = 0x60, DATA3_ABSENT = 0x68, LDT_SEL = 0x70, DATA2 = 0x78 | 2;

    final MachineConfig config = qemu32();

    /** The rig's CPU is the 32-bit model; the default (-cpu omitted) is qemu64. */
    private static MachineConfig qemu32() {
        MachineConfig c = new MachineConfig();
        c.cpuModel = "qemu32";
        return c;
    }
    final Machine machine;
    final X86Cpu cpu;
    final MemorySegment ram;

    SysRig() {
        this(false);
    }

    SysRig(boolean noReboot) {
        config.noReboot = noReboot;
        machine = new Machine(config);
        RamRegion r = RamRegion.allocate(machine.arena(), "ram", 8 << 20, false);
        machine.memory().root().add(0, r);
        ram = r.segment();
        cpu = new X86Cpu(machine, 0);
    }

    int r8(long a) {
        return ram.get(ValueLayout.JAVA_BYTE, a) & 0xff;
    }

    int r16(long a) {
        return ram.get(ValueLayout.JAVA_SHORT_UNALIGNED, a) & 0xffff;
    }

    int r32(long a) {
        return ram.get(ValueLayout.JAVA_INT_UNALIGNED, a);
    }

    void w16(long a, int v) {
        ram.set(ValueLayout.JAVA_SHORT_UNALIGNED, a, (short) v);
    }

    void w32(long a, int v) {
        ram.set(ValueLayout.JAVA_INT_UNALIGNED, a, v);
    }

    void w64(long a, long v) {
        ram.set(ValueLayout.JAVA_LONG_UNALIGNED, a, v);
    }

    /** A segment descriptor; {@code access} is byte 5 (P DPL S type), {@code flags} is G D/B L AVL. */
    static long desc(long base, long limit, int access, int flags) {
        long e1 = ((base & 0xffff) << 16) | (limit & 0xffff);
        long e2 = ((base >>> 16) & 0xff) | ((long) access << 8) | (limit & 0xf0000) | ((long) flags << 20)
                | (base & 0xff000000L);
        return (e2 << 32) | e1;
    }

    static long gate(int sel, long offset, int access, int params) {
        long e1 = ((long) sel << 16) | (offset & 0xffff);
        long e2 = (offset & 0xffff0000L) | ((long) access << 8) | params;
        return (e2 << 32) | e1;
    }

    void gdt(int sel, long d) {
        w64(GDT + (sel & ~7), d);
    }

    void idt(int vector, long g) {
        w64(IDT + vector * 8L, g);
    }

    long gdtEntry(int sel) {
        return ram.get(ValueLayout.JAVA_LONG_UNALIGNED, GDT + (sel & ~7));
    }

    /** Flat protected mode at CPL 0 with the standard GDT, IDT and TSS A loaded. */
    void protectedMode() {
        gdt(CODE0, desc(0, 0xfffff, 0x9a, 0xc));
        gdt(DATA0, desc(0, 0xfffff, 0x92, 0xc));
        gdt(CODE3, desc(0, 0xfffff, 0xfa, 0xc));
        gdt(DATA3, desc(0, 0xfffff, 0xf2, 0xc));
        gdt(TSS_A_SEL, desc(TSS_A, 0x67, 0x89, 0));
        gdt(TSS_B_SEL, desc(TSS_B, 0x67, 0x89, 0));
        gdt(CALL_GATE, gate(CODE0, 0x5000, 0xec, 2));
        gdt(DATA0_ABSENT, desc(0, 0xfffff, 0x12, 0xc));
        gdt(CODE_EXEC_ONLY, desc(0, 0xfffff, 0x98, 0xc));
        gdt(CODE0_16, desc(0, 0xffff, 0x9a, 0));
        gdt(TASK_GATE, gate(TSS_B_SEL, 0, 0xe5, 0));
        gdt(CODE0_CONFORMING, desc(0, 0xfffff, 0x9e, 0xc));
        gdt(DATA3_ABSENT, desc(0, 0xfffff, 0x72, 0xc));
        gdt(DATA2, desc(0, 0xfffff, 0xd2, 0xc));
        cpu.gdtBase = GDT;
        cpu.gdtLimit = 0xff;
        cpu.idtBase = IDT;
        cpu.idtLimit = 0x7ff;
        cpu.cr0 |= SysBits.CR0_PE;
        cpu.cpl = 0;
        load(X86Cpu.CS, CODE0);
        for (int s : new int[] {X86Cpu.SS, X86Cpu.DS, X86Cpu.ES, X86Cpu.FS, X86Cpu.GS}) {
            load(s, DATA0);
        }
        w32(TSS_A + 4, 0x9000); // ESP0
        w32(TSS_A + 8, DATA0); // SS0
        w16(TSS_A + 0x66, 0x68); // I/O bitmap right after the 0x68-byte TSS
        cpu.seg.ltr(TSS_A_SEL);
        cpu.regs[4] = 0x9000;
    }

    /** Puts the descriptor of {@code sel} into the cache of {@code seg} without checks. */
    void load(int seg, int sel) {
        cpu.seg.loadCache(seg, sel, gdtEntry(sel));
    }

    void ring3(long esp) {
        load(X86Cpu.CS, CODE3);
        load(X86Cpu.SS, DATA3);
        load(X86Cpu.DS, DATA3);
        load(X86Cpu.ES, DATA3);
        cpu.cpl = 3;
        cpu.regs[4] = esp;
    }

    static X86Fault expectFault(int vector, int errorCode, Executable e) {
        X86Fault f = assertThrows(X86Fault.class, e);
        assertEquals(vector, f.vector, "vector");
        assertEquals(errorCode, f.errorCode, "error code");
        return f;
    }
}
