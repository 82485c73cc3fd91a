package org.jqemu.target.i386;

import org.jqemu.system.memory.AddressSpace;
import org.jqemu.target.i386.fpu.FpuState;

/**
 * What the monitor shows of an x86 CPU: the register dump of HMP's {@code info registers}, laid
 * out as QEMU's (64-bit layout while the CPU runs 64-bit code, 32-bit otherwise), and the
 * virtual-to-physical translation behind {@code x} and {@code memsave}.
 *
 * <p>The translation walks the guest's page tables (Intel SDM vol. 3, 4.3 32-bit paging, 4.4 PAE,
 * 4.5 4-level paging) by reading physical memory only: unlike the MMU it sets no accessed/dirty
 * bits, checks no permissions, fills no TLB and raises no fault, so looking never changes the guest.
 * Reads race with a running vCPU, as in QEMU: a running guest's dump is a snapshot, not an atomic one.
 */
final class X86CpuDump {
    private static final long ADDR_MASK = ((1L << X86Mmu.PHYS_BITS) - 1) & ~0xfffL;
    private static final String[] SEG_NAMES = {"ES", "CS", "SS", "DS", "FS", "GS"};
    private static final String[] REG64 = {"RAX", "RBX", "RCX", "RDX", "RSI", "RDI", "RBP", "RSP",
            "R8 ", "R9 ", "R10", "R11", "R12", "R13", "R14", "R15"};
    private static final String[] REG32 = {"EAX", "EBX", "ECX", "EDX", "ESI", "EDI", "EBP", "ESP"};
    // regs[] is in encoding order (RAX RCX RDX RBX RSP RBP RSI RDI); QEMU prints A B C D SI DI BP SP.
    private static final int[] ORDER = {0, 3, 1, 2, 6, 7, 5, 4, 8, 9, 10, 11, 12, 13, 14, 15};

    private X86CpuDump() {}

    static String registers(X86Cpu cpu) {
        StringBuilder out = new StringBuilder();
        boolean wide = cpu.code64();
        boolean lma = cpu.longMode();
        int fl = cpu.getEflags();
        if (wide) {
            for (int i = 0; i < 16; i++) {
                out.append(REG64[i]).append('=').append(hex(cpu.regs[ORDER[i]], 16)).append(i % 4 == 3 ? "\n" : " ");
            }
            out.append("RIP=").append(hex(cpu.rip, 16)).append(" RFL=").append(hex(fl, 8));
        } else {
            for (int i = 0; i < 8; i++) {
                out.append(REG32[i]).append('=').append(hex(cpu.regs[ORDER[i]], 8)).append(i % 4 == 3 ? "\n" : " ");
            }
            out.append("EIP=").append(hex(cpu.rip, 8)).append(" EFL=").append(hex(fl, 8));
        }
        out.append(" [").append(flag(fl, 10, 'D')).append(flag(fl, 11, 'O')).append(flag(fl, 7, 'S'))
                .append(flag(fl, 6, 'Z')).append(flag(fl, 4, 'A')).append(flag(fl, 2, 'P')).append(flag(fl, 0, 'C'))
                .append("] CPL=").append(cpu.cpl).append(" II=0 A20=").append(cpu.a20Mask == ~0L ? 1 : 0)
                .append(" SMM=0 HLT=").append(cpu.halted ? 1 : 0).append('\n');
        boolean pe = (cpu.cr0 & 1) != 0;
        int segDigits = wide ? 16 : 8;
        for (int s = 0; s < 6; s++) {
            segment(out, SEG_NAMES[s] + " ", cpu.segSel[s], cpu.segBase[s], cpu.segLimit[s], cpu.segAttr[s], segDigits, pe, lma);
        }
        segment(out, "LDT", cpu.ldtSel, cpu.ldtBase, cpu.ldtLimit, cpu.ldtAttr, segDigits, pe, lma);
        segment(out, "TR ", cpu.trSel, cpu.trBase, cpu.trLimit, cpu.trAttr, segDigits, pe, lma);
        int baseDigits = lma ? 16 : 8;
        out.append("GDT=     ").append(hex(cpu.gdtBase, baseDigits)).append(' ').append(hex(cpu.gdtLimit, 8)).append('\n');
        out.append("IDT=     ").append(hex(cpu.idtBase, baseDigits)).append(' ').append(hex(cpu.idtLimit, 8)).append('\n');
        out.append("CR0=").append(hex(cpu.cr0, 8)).append(" CR2=").append(hex(cpu.cr2, baseDigits))
                .append(" CR3=").append(hex(cpu.cr3, baseDigits)).append(" CR4=").append(hex(cpu.cr4, 8)).append('\n');
        // debug registers are target_ulong in qemu-system-x86_64: 16 digits in every mode
        for (int i = 0; i < 4; i++) {
            out.append("DR").append(i).append('=').append(hex(cpu.dr[i], 16)).append(' ');
        }
        out.append('\n');
        out.append("DR6=").append(hex(cpu.dr[6], 16)).append(" DR7=").append(hex(cpu.dr[7], 16)).append('\n');
        out.append("EFER=").append(hex(cpu.efer, 16)).append('\n');
        fpu(out, cpu.fpu, wide ? 16 : 8);
        return out.toString();
    }

    /** The x87 and SSE part HMP adds: control/status/tag words, FPR0-7 by physical register, XMMs. */
    private static void fpu(StringBuilder out, FpuState f, int xmms) {
        out.append("FCW=").append(hex(f.fcw, 4)).append(" FSW=").append(hex(f.statusWord(), 4)).append(" [ST=")
                .append(f.top).append("] FTW=").append(hex(f.abridgedTag(), 2)).append(" MXCSR=").append(hex(f.mxcsr, 8))
                .append('\n');
        for (int i = 0; i < 8; i++) {
            out.append("FPR").append(i).append('=').append(hex(f.mant[i], 16)).append(' ').append(hex(f.sexp[i] & 0xffff, 4))
                    .append(i % 2 == 1 ? "\n" : " ");
        }
        for (int i = 0; i < xmms; i++) {
            out.append(String.format("XMM%02d=", i)).append(hex(f.xmm[2 * i + 1], 16)).append(' ')
                    .append(hex(f.xmm[2 * i], 16)).append(i % 2 == 1 ? "\n" : " ");
        }
    }

    private static final String[][] SYSTEM_TYPES = {
        {"Reserved", "TSS16-avl", "LDT", "TSS16-busy", "CallGate16", "TaskGate", "IntGate16", "TrapGate16",
            "Reserved", "TSS32-avl", "Reserved", "TSS32-busy", "CallGate32", "Reserved", "IntGate32", "TrapGate32"},
        {"<hiword>", "Reserved", "LDT", "Reserved", "Reserved", "Reserved", "Reserved", "Reserved",
            "Reserved", "TSS64-avl", "Reserved", "TSS64-busy", "CallGate64", "Reserved", "IntGate64", "TrapGate64"}};

    /**
     * One segment line: selector, base, limit, QEMU's flags word (descriptor bits 8..23 in place)
     * and, for a present segment in protected mode, what the descriptor is (SDM vol. 3, 3.4.5).
     */
    private static void segment(StringBuilder out, String name, int sel, long base, int limit, int attr, int digits,
            boolean pe, boolean lma) {
        out.append(name).append('=').append(hex(sel & 0xffff, 4)).append(' ').append(hex(base, digits)).append(' ')
                .append(hex(limit & 0xffffffffL, 8)).append(' ').append(hex((attr << 8) & 0x00ffff00L, 8));
        if (pe && (attr & 0x80) != 0) {
            out.append(" DPL=").append(attr >> 5 & 3).append(' ');
            if ((attr & 0x10) != 0) {
                if ((attr & 0x08) != 0) {
                    out.append((attr & 0x2000) != 0 ? "CS64" : (attr & 0x4000) != 0 ? "CS32" : "CS16")
                            .append(" [").append(flag(attr, 2, 'C')).append(flag(attr, 1, 'R'));
                } else {
                    out.append((attr & 0x4000) != 0 || lma ? "DS  " : "DS16")
                            .append(" [").append(flag(attr, 2, 'E')).append(flag(attr, 1, 'W'));
                }
                out.append(flag(attr, 0, 'A')).append(']');
            } else {
                out.append(SYSTEM_TYPES[lma ? 1 : 0][attr & 0xf]);
            }
        }
        out.append('\n');
    }

    private static char flag(int fl, int bit, char c) {
        return (fl >>> bit & 1) != 0 ? c : '-';
    }

    private static String hex(long v, int digits) {
        String h = Long.toHexString(digits == 8 ? v & 0xffffffffL : v);
        return h.length() >= digits ? h : "0".repeat(digits - h.length()) + h;
    }

    /** The physical address of {@code vaddr} under the CPU's current paging mode, or -1 when unmapped. */
    static long translate(X86Cpu cpu, long vaddr) {
        AddressSpace mem = cpu.machine().memory();
        long a20 = cpu.a20Mask;
        if ((cpu.cr0 & 0x80000000L) == 0) {
            return vaddr & 0xffffffffL & a20;
        }
        if ((cpu.cr4 & SysBits.CR4_PAE) == 0) {
            long la = vaddr & 0xffffffffL;
            long pde = mem.read32(((cpu.cr3 & 0xfffff000L) | (la >>> 22) << 2) & a20) & 0xffffffffL;
            if ((pde & 1) == 0) {
                return -1;
            }
            if ((pde & 0x80) != 0 && (cpu.cr4 & SysBits.CR4_PSE) != 0) {
                // 4 MiB page: bits 13..20 of the PDE are physical address bits 32..39
                long base = (pde & 0xffc00000L) | (pde & 0x1fe000L) << 19;
                return (base | (la & 0x3fffff)) & a20;
            }
            long pte = mem.read32(((pde & 0xfffff000L) | (la >>> 12 & 0x3ff) << 2) & a20) & 0xffffffffL;
            return (pte & 1) == 0 ? -1 : ((pte & 0xfffff000L) | (la & 0xfff)) & a20;
        }
        long table;
        int levels;
        if (cpu.longMode()) {
            // canonical: bits 63..47 all equal
            if ((vaddr >> 47) != 0 && (vaddr >> 47) != -1) {
                return -1;
            }
            table = cpu.cr3 & ADDR_MASK;
            levels = 4;
        } else {
            long la = vaddr & 0xffffffffL;
            long pdpte = mem.read64(((cpu.cr3 & 0xffffffe0L) | (la >>> 30) << 3) & a20);
            if ((pdpte & 1) == 0) {
                return -1;
            }
            vaddr = la;
            table = pdpte & ADDR_MASK;
            levels = 2;
        }
        for (int level = levels; level >= 1; level--) {
            int shift = 12 + 9 * (level - 1);
            long entry = mem.read64((table | (vaddr >>> shift & 0x1ff) << 3) & a20);
            if ((entry & 1) == 0) {
                return -1;
            }
            if (level == 1 || (level <= 3 && (entry & 0x80) != 0)) {
                long pageMask = (1L << shift) - 1;
                return ((entry & ADDR_MASK & ~pageMask) | (vaddr & pageMask)) & a20;
            }
            table = entry & ADDR_MASK;
        }
        return -1; // not reached
    }
}
