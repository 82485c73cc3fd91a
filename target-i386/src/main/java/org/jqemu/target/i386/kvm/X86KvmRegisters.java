package org.jqemu.target.i386.kvm;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.jqemu.accel.kvm.KvmConstants;
import org.jqemu.accel.kvm.KvmIoctl;
import org.jqemu.accel.kvm.KvmStructs;
import org.jqemu.accel.kvm.KvmVcpu;
import org.jqemu.target.i386.SystemInsns;
import org.jqemu.target.i386.X86Cpu;
import org.jqemu.target.i386.fpu.FpuState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves x86 architectural state between an {@link X86Cpu} and KVM (KVM_GET/SET_REGS, _SREGS,
 * _MSRS). The Java CPU's segment caches hold descriptor attribute bits 8..23 ({@code segAttr}:
 * type, S, DPL, P, AVL, L, D/B, G) and byte-granular limits; KVM wants one byte per attribute and
 * the same byte-granular limit. A segment that is not present is "unusable" to KVM.
 *
 * <p>Also copied both ways: EFER and CR8 (kvm_sregs), the x87/MMX/SSE registers (kvm_fpu, FXSAVE's
 * image) and the MSRs {@link SystemInsns} models ({@link #SYNCED_MSRS}). What the Java CPU does
 * not model (the APIC base, the pending-interrupt bitmap, the local APIC) is read back from KVM
 * before each write so a pause/resume never changes it; at power-on and reset it gets its reset
 * value instead (the local APIC the state KVM created it with), and the TSC restarts at 0.
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

    /**
     * The MSRs the Java CPU models (SystemInsns), copied both ways with the other registers. The
     * TSC is not among them: it is the kernel's (it runs at the host's rate), except that a reset
     * sets it to 0, as the SDM's reset table says.
     */
    static final int[] SYNCED_MSRS = {
        SystemInsns.MSR_SYSENTER_CS, SystemInsns.MSR_SYSENTER_ESP, SystemInsns.MSR_SYSENTER_EIP,
        SystemInsns.MSR_PAT, SystemInsns.MSR_MISC_ENABLE,
        SystemInsns.MSR_STAR, SystemInsns.MSR_LSTAR, SystemInsns.MSR_CSTAR, SystemInsns.MSR_FMASK,
        SystemInsns.MSR_KERNEL_GS_BASE, SystemInsns.MSR_TSC_AUX,
    };
    private static final long MSR_HEADER = KvmStructs.KVM_MSRS.byteSize();
    private static final long MSR_ENTRY = KvmStructs.KVM_MSR_ENTRY.byteSize();
    private static final long MSR_INDEX = KvmStructs.offset(KvmStructs.KVM_MSR_ENTRY, "index");
    private static final long MSR_DATA = KvmStructs.offset(KvmStructs.KVM_MSR_ENTRY, "data");
    private static final long MSR_NMSRS = KvmStructs.offset(KvmStructs.KVM_MSRS, "nmsrs");

    private final X86Cpu cpu;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment regs = arena.allocate(KvmStructs.KVM_REGS);
    private final MemorySegment sregs = arena.allocate(KvmStructs.KVM_SREGS);
    private final MemorySegment fpuState = arena.allocate(KvmStructs.KVM_FPU);
    private final MemorySegment mpState = arena.allocate(KvmStructs.KVM_MP_STATE);
    private final MemorySegment msrs = arena.allocate(MSR_HEADER + (SYNCED_MSRS.length + 1) * MSR_ENTRY, 8);
    /** The local APIC as KVM created it (its reset state, LINT0 in ExtINT mode on the BSP). */
    private MemorySegment lapicAtReset;
    /** MSRs KVM refused (an older or foreign kernel); logged once, then left out. */
    private final boolean[] msrRefused = new boolean[SYNCED_MSRS.length];

    X86KvmRegisters(X86Cpu cpu) {
        this.cpu = cpu;
    }

    /** Remembers the vCPU's fresh local APIC state, restored on every reset (KVM_SET_LAPIC). */
    void captureLapicResetState(KvmVcpu vcpu) {
        lapicAtReset = arena.allocate(KvmStructs.KVM_LAPIC_STATE);
        vcpu.ioctl(KvmIoctl.KVM_GET_LAPIC, lapicAtReset);
    }

    private static long off(String... path) {
        return KvmStructs.offset(KvmStructs.KVM_SREGS, path);
    }

    @Override
    public void put(KvmVcpu vcpu, boolean afterReset) {
        writeRegs(regs);
        vcpu.ioctl(KvmIoctl.KVM_SET_REGS, regs);
        vcpu.ioctl(KvmIoctl.KVM_GET_SREGS, sregs); // keeps the APIC base and pending interrupts
        writeSregs(sregs, afterReset);
        vcpu.ioctl(KvmIoctl.KVM_SET_SREGS, sregs);
        writeFpu(fpuState);
        vcpu.ioctl(KvmIoctl.KVM_SET_FPU, fpuState);
        putMsrs(vcpu, afterReset);
        if (afterReset && lapicAtReset != null) {
            // After the APIC base (SET_SREGS): KVM checks the state against it.
            vcpu.ioctl(KvmIoctl.KVM_SET_LAPIC, lapicAtReset);
            // The boot CPU runs; the others wait for INIT/SIPI, which the in-kernel APICs handle.
            mpState.set(JAVA_INT, 0, cpu.index() == 0 ? KvmConstants.KVM_MP_STATE_RUNNABLE
                    : KvmConstants.KVM_MP_STATE_UNINITIALIZED);
            vcpu.ioctl(KvmIoctl.KVM_SET_MP_STATE, mpState);
        }
    }

    @Override
    public void get(KvmVcpu vcpu) {
        vcpu.ioctl(KvmIoctl.KVM_GET_REGS, regs);
        vcpu.ioctl(KvmIoctl.KVM_GET_SREGS, sregs);
        readRegs(regs, (sregs.get(JAVA_LONG, off("efer")) & EFER_LMA) != 0);
        readSregs(sregs);
        vcpu.ioctl(KvmIoctl.KVM_GET_FPU, fpuState);
        readFpu(fpuState);
        getMsrs(vcpu);
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
        sregs.set(JAVA_LONG, off("cr8"), cpu.cr8);
        sregs.set(JAVA_LONG, off("efer"), cpu.efer);
        if (afterReset) {
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
        cpu.cr8 = sregs.get(JAVA_LONG, off("cr8"));
        cpu.efer = sregs.get(JAVA_LONG, off("efer"));
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

    // ---- x87/SSE state (kvm_fpu is FXSAVE's content: registers in ST(i) order) -----------

    private static final long FPR = KvmStructs.offset(KvmStructs.KVM_FPU, "fpr");
    private static final long FCW = KvmStructs.offset(KvmStructs.KVM_FPU, "fcw");
    private static final long FSW = KvmStructs.offset(KvmStructs.KVM_FPU, "fsw");
    private static final long FTWX = KvmStructs.offset(KvmStructs.KVM_FPU, "ftwx");
    private static final long FOP = KvmStructs.offset(KvmStructs.KVM_FPU, "last_opcode");
    private static final long FIP = KvmStructs.offset(KvmStructs.KVM_FPU, "last_ip");
    private static final long FDP = KvmStructs.offset(KvmStructs.KVM_FPU, "last_dp");
    private static final long XMM = KvmStructs.offset(KvmStructs.KVM_FPU, "xmm");
    private static final long MXCSR = KvmStructs.offset(KvmStructs.KVM_FPU, "mxcsr");

    /** The Java CPU's x87, MMX and SSE registers into a kvm_fpu. */
    void writeFpu(MemorySegment f) {
        FpuState x = cpu.fpu;
        f.fill((byte) 0);
        for (int i = 0; i < 8; i++) {
            int r = x.phys(i);
            f.set(JAVA_LONG, FPR + 16L * i, x.mant[r]);
            f.set(JAVA_SHORT, FPR + 16L * i + 8, (short) x.sexp[r]);
        }
        f.set(JAVA_SHORT, FCW, (short) x.fcw);
        f.set(JAVA_SHORT, FSW, (short) x.statusWord());
        f.set(JAVA_BYTE, FTWX, (byte) x.abridgedTag());
        f.set(JAVA_SHORT, FOP, (short) x.fop);
        f.set(JAVA_LONG, FIP, x.fip);
        f.set(JAVA_LONG, FDP, x.fdp);
        for (int i = 0; i < 32; i++) {
            f.set(JAVA_LONG, XMM + 8L * i, x.xmm[i]);
        }
        f.set(JAVA_INT, MXCSR, x.mxcsr);
    }

    /** A kvm_fpu into the Java CPU. */
    void readFpu(MemorySegment f) {
        FpuState x = cpu.fpu;
        x.fcw = f.get(JAVA_SHORT, FCW) & 0xffff;
        x.setStatusWord(f.get(JAVA_SHORT, FSW) & 0xffff);
        x.empty = ~f.get(JAVA_BYTE, FTWX) & 0xff;
        for (int i = 0; i < 8; i++) {
            int r = x.phys(i);
            x.mant[r] = f.get(JAVA_LONG, FPR + 16L * i);
            x.sexp[r] = f.get(JAVA_SHORT, FPR + 16L * i + 8) & 0xffff;
        }
        x.fop = f.get(JAVA_SHORT, FOP) & 0x7ff;
        x.fip = f.get(JAVA_LONG, FIP);
        x.fdp = f.get(JAVA_LONG, FDP);
        for (int i = 0; i < 32; i++) {
            x.xmm[i] = f.get(JAVA_LONG, XMM + 8L * i);
        }
        x.mxcsr = f.get(JAVA_INT, MXCSR);
    }

    // ---- MSRs -----------------------------------------------------------------------------

    /** The value the Java CPU holds for one of {@link #SYNCED_MSRS}. */
    long msrValue(int index) {
        SystemInsns s = cpu.sys;
        return switch (index) {
            case SystemInsns.MSR_SYSENTER_CS -> s.sysenterCs & 0xffffL;
            case SystemInsns.MSR_SYSENTER_ESP -> s.sysenterEsp;
            case SystemInsns.MSR_SYSENTER_EIP -> s.sysenterEip;
            case SystemInsns.MSR_PAT -> s.pat;
            case SystemInsns.MSR_MISC_ENABLE -> s.miscEnable;
            case SystemInsns.MSR_STAR -> s.star;
            case SystemInsns.MSR_LSTAR -> s.lstar;
            case SystemInsns.MSR_CSTAR -> s.cstar;
            case SystemInsns.MSR_FMASK -> s.fmask & 0xffffffffL;
            case SystemInsns.MSR_KERNEL_GS_BASE -> s.kernelGsBase;
            case SystemInsns.MSR_TSC_AUX -> s.tscAux & 0xffffffffL;
            default -> throw new IllegalArgumentException("MSR 0x" + Integer.toHexString(index));
        };
    }

    void setMsrValue(int index, long v) {
        SystemInsns s = cpu.sys;
        switch (index) {
            case SystemInsns.MSR_SYSENTER_CS -> s.sysenterCs = (int) v & 0xffff;
            case SystemInsns.MSR_SYSENTER_ESP -> s.sysenterEsp = v;
            case SystemInsns.MSR_SYSENTER_EIP -> s.sysenterEip = v;
            case SystemInsns.MSR_PAT -> s.pat = v;
            case SystemInsns.MSR_MISC_ENABLE -> s.miscEnable = v;
            case SystemInsns.MSR_STAR -> s.star = v;
            case SystemInsns.MSR_LSTAR -> s.lstar = v;
            case SystemInsns.MSR_CSTAR -> s.cstar = v;
            case SystemInsns.MSR_FMASK -> s.fmask = (int) v;
            case SystemInsns.MSR_KERNEL_GS_BASE -> s.kernelGsBase = v;
            case SystemInsns.MSR_TSC_AUX -> s.tscAux = (int) v;
            default -> throw new IllegalArgumentException("MSR 0x" + Integer.toHexString(index));
        }
    }

    /** Fills {@link #msrs} with the MSRs KVM accepts (plus the TSC after a reset); returns their count. */
    private int fillMsrs(boolean withValues, boolean afterReset) {
        int n = 0;
        for (int i = 0; i < SYNCED_MSRS.length; i++) {
            if (!msrRefused[i]) {
                long e = MSR_HEADER + n * MSR_ENTRY;
                msrs.set(JAVA_INT, e + MSR_INDEX, SYNCED_MSRS[i]);
                msrs.set(JAVA_LONG, e + MSR_DATA, withValues ? msrValue(SYNCED_MSRS[i]) : 0L);
                n++;
            }
        }
        if (afterReset) {
            long e = MSR_HEADER + n * MSR_ENTRY;
            msrs.set(JAVA_INT, e + MSR_INDEX, SystemInsns.MSR_TSC);
            msrs.set(JAVA_LONG, e + MSR_DATA, 0L);
            n++;
        }
        msrs.set(JAVA_INT, MSR_NMSRS, n);
        return n;
    }

    private void putMsrs(KvmVcpu vcpu, boolean afterReset) {
        int n = fillMsrs(true, afterReset);
        int done = vcpu.ioctl(KvmIoctl.KVM_SET_MSRS, msrs);
        if (done < n) {
            refuse((int) msrs.get(JAVA_INT, MSR_HEADER + done * MSR_ENTRY + MSR_INDEX), "set");
        }
    }

    private void getMsrs(KvmVcpu vcpu) {
        int n = fillMsrs(false, false);
        int done = vcpu.ioctl(KvmIoctl.KVM_GET_MSRS, msrs);
        for (int i = 0; i < done; i++) {
            long e = MSR_HEADER + i * MSR_ENTRY;
            setMsrValue(msrs.get(JAVA_INT, e + MSR_INDEX), msrs.get(JAVA_LONG, e + MSR_DATA));
        }
        if (done < n) {
            refuse((int) msrs.get(JAVA_INT, MSR_HEADER + done * MSR_ENTRY + MSR_INDEX), "get");
        }
    }

    /** KVM stops at the first MSR it refuses: leave that one out from now on. */
    private void refuse(int index, String what) {
        for (int i = 0; i < SYNCED_MSRS.length; i++) {
            if (SYNCED_MSRS[i] == index && !msrRefused[i]) {
                msrRefused[i] = true;
                LOG.warn("kvm: vCPU {}: KVM cannot {} MSR 0x{}; it is no longer synchronised", cpu.index(), what,
                        Integer.toHexString(index));
            }
        }
    }
}
