package org.jqemu.target.i386.kvm;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.jqemu.accel.kvm.KvmIoctl;
import org.jqemu.accel.kvm.KvmStructs;
import org.jqemu.accel.kvm.KvmVcpu;
import org.jqemu.target.i386.X86Cpu;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves x86 architectural state between an {@link X86Cpu} and KVM (KVM_GET/SET_REGS, _SREGS,
 * _MSRS). The Java CPU's segment caches hold descriptor attribute bits 8..23 ({@code segAttr}:
 * type, S, DPL, P, AVL, L, D/B, G) and byte-granular limits; KVM wants one byte per attribute and
 * the same byte-granular limit. A segment that is not present is "unusable" to KVM.
 *
 * <p>What the Java CPU does not model (EFER, CR8, the APIC base, pending-interrupt bitmap) is read
 * back from KVM before each write so a pause/resume never changes it; at power-on and reset it gets
 * its reset value instead, together with the MSRs a reset clears.
 */
final class X86KvmRegisters implements KvmVcpu.RegisterSync {
    private static final Logger LOG = LoggerFactory.getLogger(X86KvmRegisters.class);

    /** kvm_regs index of each x86 register number (0=EAX 1=ECX 2=EDX 3=EBX 4=ESP 5=EBP 6=ESI 7=EDI, 8..15). */
    private static final int[] KVM_REG_OF = {0, 2, 3, 1, 6, 7, 4, 5, 8, 9, 10, 11, 12, 13, 14, 15};
    private static final int KVM_RIP = 16;
    private static final int KVM_RFLAGS = 17;
    /** X86Cpu segment index (ES CS SS DS FS GS) → kvm_sregs member. */
    private static final String[] SEG_NAMES = {"es", "cs", "ss", "ds", "fs", "gs"};

    private static final long APIC_BASE_DEFAULT = 0xfee00000L;
    private static final long APIC_ENABLE = 0x800;
    private static final long APIC_BSP = 0x100;
    private static final long EFER_LMA = 0x400;

    /** MSRs a reset sets, and their reset values (SDM vol. 3, table 10-1; QEMU's reset list). */
    private static final long[][] RESET_MSRS = {
        {0x10, 0},                // IA32_TIME_STAMP_COUNTER
        {0x174, 0}, {0x175, 0}, {0x176, 0}, // IA32_SYSENTER_CS/ESP/EIP
        {0x1a0, 1},               // IA32_MISC_ENABLE: fast strings
        {0xc0000081L, 0}, {0xc0000082L, 0}, {0xc0000083L, 0}, {0xc0000084L, 0}, // STAR LSTAR CSTAR FMASK
        {0xc0000102L, 0},         // KERNEL_GS_BASE
    };

    private final X86Cpu cpu;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment regs = arena.allocate(KvmStructs.KVM_REGS);
    private final MemorySegment sregs = arena.allocate(KvmStructs.KVM_SREGS);

    X86KvmRegisters(X86Cpu cpu) {
        this.cpu = cpu;
    }

    private static long off(String... path) {
        return KvmStructs.offset(KvmStructs.KVM_SREGS, path);
    }

    @Override
    public void put(KvmVcpu vcpu, boolean afterReset) {
        writeRegs(regs);
        vcpu.ioctl(KvmIoctl.KVM_SET_REGS, regs);
        vcpu.ioctl(KvmIoctl.KVM_GET_SREGS, sregs); // keeps EFER, CR8, APIC base, pending interrupts
        writeSregs(sregs, afterReset);
        vcpu.ioctl(KvmIoctl.KVM_SET_SREGS, sregs);
        if (afterReset) {
            resetMsrs(vcpu);
        }
    }

    @Override
    public void get(KvmVcpu vcpu) {
        vcpu.ioctl(KvmIoctl.KVM_GET_REGS, regs);
        vcpu.ioctl(KvmIoctl.KVM_GET_SREGS, sregs);
        readRegs(regs, (sregs.get(JAVA_LONG, off("efer")) & EFER_LMA) != 0);
        readSregs(sregs);
    }

    /** The Java CPU's general registers, RIP and RFLAGS into a kvm_regs. */
    void writeRegs(MemorySegment regs) {
        for (int i = 0; i < 16; i++) {
            regs.set(JAVA_LONG, 8L * KVM_REG_OF[i], cpu.regs[i]);
        }
        regs.set(JAVA_LONG, 8L * KVM_RIP, cpu.rip);
        regs.set(JAVA_LONG, 8L * KVM_RFLAGS, cpu.getEflags() & 0xffffffffL);
    }

    /** The Java CPU's segments, tables and control registers into a kvm_sregs read from KVM. */
    void writeSregs(MemorySegment sregs, boolean afterReset) {
        for (int s = 0; s < 6; s++) {
            putSegment(sregs, SEG_NAMES[s], cpu.segSel[s], cpu.segBase[s], cpu.segLimit[s], cpu.segAttr[s]);
        }
        putSegment(sregs, "ldt", cpu.ldtSel, cpu.ldtBase, cpu.ldtLimit, cpu.ldtAttr);
        putSegment(sregs, "tr", cpu.trSel, cpu.trBase, cpu.trLimit, cpu.trAttr);
        sregs.set(JAVA_LONG, off("gdt", "base"), cpu.gdtBase);
        sregs.set(JAVA_SHORT, off("gdt", "limit"), (short) cpu.gdtLimit);
        sregs.set(JAVA_LONG, off("idt", "base"), cpu.idtBase);
        sregs.set(JAVA_SHORT, off("idt", "limit"), (short) cpu.idtLimit);
        sregs.set(JAVA_LONG, off("cr0"), cpu.cr0);
        sregs.set(JAVA_LONG, off("cr2"), cpu.cr2);
        sregs.set(JAVA_LONG, off("cr3"), cpu.cr3);
        sregs.set(JAVA_LONG, off("cr4"), cpu.cr4);
        if (afterReset) {
            sregs.set(JAVA_LONG, off("cr8"), 0L);
            sregs.set(JAVA_LONG, off("efer"), 0L);
            sregs.set(JAVA_LONG, off("apic_base"),
                    APIC_BASE_DEFAULT | APIC_ENABLE | (cpu.index() == 0 ? APIC_BSP : 0));
            sregs.asSlice(off("interrupt_bitmap"), 32).fill((byte) 0);
        }
    }

    private static void putSegment(MemorySegment sregs, String name, int selector, long base, int limit, int attr) {
        boolean present = (attr & 0x80) != 0;
        sregs.set(JAVA_LONG, off(name, "base"), base);
        sregs.set(JAVA_INT, off(name, "limit"), limit);
        sregs.set(JAVA_SHORT, off(name, "selector"), (short) selector);
        sregs.set(JAVA_BYTE, off(name, "type"), (byte) (attr & 0xf));
        sregs.set(JAVA_BYTE, off(name, "s"), (byte) ((attr >> 4) & 1));
        sregs.set(JAVA_BYTE, off(name, "dpl"), (byte) ((attr >> 5) & 3));
        sregs.set(JAVA_BYTE, off(name, "present"), (byte) (present ? 1 : 0));
        sregs.set(JAVA_BYTE, off(name, "avl"), (byte) ((attr >> 12) & 1));
        sregs.set(JAVA_BYTE, off(name, "l"), (byte) ((attr >> 13) & 1));
        sregs.set(JAVA_BYTE, off(name, "db"), (byte) ((attr >> 14) & 1));
        sregs.set(JAVA_BYTE, off(name, "g"), (byte) ((attr >> 15) & 1));
        sregs.set(JAVA_BYTE, off(name, "unusable"), (byte) (present ? 0 : 1));
    }

    /** A kvm_regs into the Java CPU; outside long mode registers keep their low 32 bits. */
    void readRegs(MemorySegment regs, boolean longMode) {
        for (int i = 0; i < 16; i++) {
            long v = regs.get(JAVA_LONG, 8L * KVM_REG_OF[i]);
            cpu.regs[i] = longMode ? v : v & 0xffffffffL;
        }
        long rip = regs.get(JAVA_LONG, 8L * KVM_RIP);
        cpu.rip = longMode ? rip : rip & 0xffffffffL;
        cpu.setEflags((int) regs.get(JAVA_LONG, 8L * KVM_RFLAGS));
    }

    /** A kvm_sregs into the Java CPU (after {@link #readRegs}: the CPL depends on EFLAGS.VM). */
    void readSregs(MemorySegment sregs) {
        for (int s = 0; s < 6; s++) {
            String n = SEG_NAMES[s];
            cpu.segSel[s] = selector(sregs, n);
            cpu.segBase[s] = sregs.get(JAVA_LONG, off(n, "base"));
            cpu.segLimit[s] = sregs.get(JAVA_INT, off(n, "limit"));
            cpu.segAttr[s] = attributes(sregs, n);
        }
        cpu.ldtSel = selector(sregs, "ldt");
        cpu.ldtBase = sregs.get(JAVA_LONG, off("ldt", "base"));
        cpu.ldtLimit = sregs.get(JAVA_INT, off("ldt", "limit"));
        cpu.ldtAttr = attributes(sregs, "ldt");
        cpu.trSel = selector(sregs, "tr");
        cpu.trBase = sregs.get(JAVA_LONG, off("tr", "base"));
        cpu.trLimit = sregs.get(JAVA_INT, off("tr", "limit"));
        cpu.trAttr = attributes(sregs, "tr");
        cpu.gdtBase = sregs.get(JAVA_LONG, off("gdt", "base"));
        cpu.gdtLimit = sregs.get(JAVA_SHORT, off("gdt", "limit")) & 0xffff;
        cpu.idtBase = sregs.get(JAVA_LONG, off("idt", "base"));
        cpu.idtLimit = sregs.get(JAVA_SHORT, off("idt", "limit")) & 0xffff;
        cpu.cr0 = sregs.get(JAVA_LONG, off("cr0"));
        cpu.cr2 = sregs.get(JAVA_LONG, off("cr2"));
        cpu.cr3 = sregs.get(JAVA_LONG, off("cr3"));
        cpu.cr4 = sregs.get(JAVA_LONG, off("cr4"));
        boolean protectedMode = (cpu.cr0 & 1) != 0;
        boolean vm86 = (cpu.getEflags() & 0x20000) != 0;
        // SS.DPL is the CPL in protected mode (what both VMX and SVM report).
        cpu.cpl = !protectedMode ? 0 : vm86 ? 3 : (sregs.get(JAVA_BYTE, off("ss", "dpl")) & 3);
    }

    private static int selector(MemorySegment sregs, String name) {
        return sregs.get(JAVA_SHORT, off(name, "selector")) & 0xffff;
    }

    private static int attributes(MemorySegment sregs, String name) {
        int attr = sregs.get(JAVA_BYTE, off(name, "type")) & 0xf;
        attr |= (sregs.get(JAVA_BYTE, off(name, "s")) & 1) << 4;
        attr |= (sregs.get(JAVA_BYTE, off(name, "dpl")) & 3) << 5;
        boolean present = sregs.get(JAVA_BYTE, off(name, "present")) != 0
                && sregs.get(JAVA_BYTE, off(name, "unusable")) == 0;
        attr |= present ? 0x80 : 0;
        attr |= (sregs.get(JAVA_BYTE, off(name, "avl")) & 1) << 12;
        attr |= (sregs.get(JAVA_BYTE, off(name, "l")) & 1) << 13;
        attr |= (sregs.get(JAVA_BYTE, off(name, "db")) & 1) << 14;
        attr |= (sregs.get(JAVA_BYTE, off(name, "g")) & 1) << 15;
        return attr;
    }

    private void resetMsrs(KvmVcpu vcpu) {
        long header = KvmStructs.KVM_MSRS.byteSize();
        long entry = KvmStructs.KVM_MSR_ENTRY.byteSize();
        long index = KvmStructs.offset(KvmStructs.KVM_MSR_ENTRY, "index");
        long data = KvmStructs.offset(KvmStructs.KVM_MSR_ENTRY, "data");
        try (Arena a = Arena.ofConfined()) {
            MemorySegment msrs = a.allocate(header + RESET_MSRS.length * entry, 8);
            msrs.set(JAVA_INT, KvmStructs.offset(KvmStructs.KVM_MSRS, "nmsrs"), RESET_MSRS.length);
            for (int i = 0; i < RESET_MSRS.length; i++) {
                msrs.set(JAVA_INT, header + i * entry + index, (int) RESET_MSRS[i][0]);
                msrs.set(JAVA_LONG, header + i * entry + data, RESET_MSRS[i][1]);
            }
            int done = vcpu.ioctl(KvmIoctl.KVM_SET_MSRS, msrs);
            if (done < RESET_MSRS.length) {
                // KVM stops at the first MSR it refuses; the rest keep their values.
                LOG.warn("kvm: vCPU {}: KVM refused to reset MSR 0x{}", cpu.index(),
                        Long.toHexString(RESET_MSRS[done][0]));
            }
        }
    }
}
