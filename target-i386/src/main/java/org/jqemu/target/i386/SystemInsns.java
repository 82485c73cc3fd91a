package org.jqemu.target.i386;

import static org.jqemu.target.i386.InterruptUnit.GP;
import static org.jqemu.target.i386.InterruptUnit.UD;
import static org.jqemu.target.i386.SysBits.*;

import org.jqemu.system.machine.Machine;

/**
 * The privileged and identification instructions the interpreter hands over: MOV to and from
 * CRn/DRn, LMSW/SMSW/CLTS, INVLPG, CPUID, RDTSC, RDMSR/WRMSR, and port I/O with its permission
 * check.
 *
 * <p>With a 64-bit -cpu model ({@code qemu64}, {@code max}; {@link X86Cpu#model64}) CPUID
 * additionally advertises what the long-mode work implements: PAE, PGE, SEP, PAT, CX16 in leaf 1;
 * LM, NX, SYSCALL, RDTSCP and LAHF/SAHF in 64-bit mode in leaf 0x80000001; 40 physical and 48
 * linear address bits in leaf 0x80000008.
 *
 * <p>The default CPU model ("qemu32-like"): vendor GenuineIntel, family 6 model 3 stepping 3 (X86Cpu.SIGNATURE, also EDX after reset), brand
 * "jqemu Virtual CPU", and CPUID.1:EDX advertising exactly what jqemu implements: FPU (x87), DE,
 * PSE, TSC, MSR, CX8, CMOV, MMX, FXSR, SSE and SSE2 (as QEMU's qemu32 model; exec.SseOps lists
 * the few SSE/SSE2 instructions still missing), and CPUID.1:ECX SSE3; no PAE, PGE, APIC, SEP,
 * CLFSH, MONITOR or SSSE3.
 * The TSC counts at {@link #TSC_HZ} of the machine's virtual clock.
 */
public final class SystemInsns {
    /** CPUID.1:EDX feature bits. */
    public static final int FEAT_FPU = 1, FEAT_DE = 1 << 2, FEAT_PSE = 1 << 3, FEAT_TSC = 1 << 4, FEAT_MSR = 1 << 5;
    public static final int FEAT_CX8 = 1 << 8, FEAT_CMOV = 1 << 15, FEAT_MMX = 1 << 23, FEAT_FXSR = 1 << 24;
    public static final int FEAT_SSE = 1 << 25, FEAT_SSE2 = 1 << 26;
    /** CPUID.1:ECX: SSE3 (with FISTTP; no MONITOR/MWAIT). */
    public static final int FEAT_ECX_SSE3 = 1, FEATURES_ECX = FEAT_ECX_SSE3;
    public static final int FEATURES_EDX = FEAT_FPU | FEAT_DE | FEAT_PSE | FEAT_TSC | FEAT_MSR | FEAT_CX8 | FEAT_CMOV
            | FEAT_MMX | FEAT_FXSR | FEAT_SSE | FEAT_SSE2;
    /** CPUID.1:EDX on-chip APIC (while IA32_APIC_BASE enables it) and HTT (EBX[23:16] is valid). */
    public static final int FEAT_APIC = 1 << 9, FEAT_HTT = 1 << 28;
    /**
     * CPUID.1:ECX[31], "running under a hypervisor", as QEMU sets it for every model: Linux then
     * expects absent performance counters instead of reporting missing MSRs as a firmware bug.
     */
    public static final int FEAT_ECX_HYPERVISOR = 1 << 31;
    public static final int FEAT_PAE = 1 << 6, FEAT_SEP = 1 << 11, FEAT_PGE = 1 << 13, FEAT_PAT = 1 << 16;
    /** CPUID.1:ECX CMPXCHG16B. */
    public static final int FEAT_CX16 = 1 << 13;
    /** CPUID.1:EDX machine-check exception and architecture, MTRRs (in QEMU's qemu64 too). */
    public static final int FEAT_MCE = 1 << 7, FEAT_MTRR = 1 << 12, FEAT_MCA = 1 << 14;
    public static final int FEATURES64_EDX = FEATURES_EDX | FEAT_PAE | FEAT_SEP | FEAT_PGE | FEAT_PAT | FEAT_MCE
            | FEAT_MTRR | FEAT_MCA;
    /** CPUID.80000001:EDX SYSCALL, NX, RDTSCP, LM; ECX LAHF/SAHF in 64-bit mode. */
    public static final int EXT_SYSCALL = 1 << 11, EXT_NX = 1 << 20, EXT_RDTSCP = 1 << 27, EXT_LM = 1 << 29;
    public static final int EXT_LAHF_LM = 1;
    /** Family 6, model 3, stepping 3. */
    public static final int SIGNATURE = X86Cpu.SIGNATURE;
    /**
     * The TSC rate: 100 MHz of the machine's virtual clock, the same on every CPU. Linux checks its
     * timer interrupt by waiting 40e9 / HZ TSC cycles for five ticks (io_apic.c timer_irq_works):
     * at 100 MHz that is 1.6 s (at a host-like 2 GHz only 80 ms), so a busy host that delays the
     * vCPU thread does not make the kernel think IRQ0 is not wired (QEMU's TCG fails that check
     * under load). Linux measures the rate against the HPET or PM timer; nothing assumes a value.
     */
    public static final long TSC_HZ = 100_000_000L;
    private static final long NANOS_PER_TSC_TICK = 1_000_000_000L / TSC_HZ;
    private static final String VENDOR = "GenuineIntel";
    private static final String BRAND = "jqemu Virtual CPU";

    public static final int MSR_TSC = 0x10, MSR_APIC_BASE = 0x1b, MSR_UCODE_REV = 0x8b, MSR_MISC_ENABLE = 0x1a0;
    /** IA32_MISC_ENABLE as QEMU reports it: fast string operations enabled. */
    private static final long MISC_ENABLE_DEFAULT = 1;
    public static final int MSR_SYSENTER_CS = 0x174, MSR_SYSENTER_ESP = 0x175, MSR_SYSENTER_EIP = 0x176;
    /** What IA32_APIC_BASE reads without a local APIC (unit tests): 0xfee00000, enabled. */
    private static final long APIC_BASE_VALUE = 0xfee00000L | (1 << 11);
    private static final long APIC_BASE_ENABLE = 1 << 11;

    private static final long CR0_BITS = CR0_PE | CR0_MP | CR0_EM | CR0_TS | CR0_ET | CR0_NE | CR0_WP | CR0_AM
            | CR0_NW | CR0_CD | CR0_PG;
    private static final long CR4_MCE = 1L << 6;
    private static final long CR4_BITS = CR4_TSD | CR4_DE | CR4_PSE | CR4_PAE | CR4_MCE | CR4_PGE | CR4_OSFXSR
            | CR4_OSXMMEXCPT;
    private static final long CR4_PAGING = CR4_PSE | CR4_PAE | CR4_PGE;
    private static final long EFER_BITS = X86Cpu.EFER_SCE | X86Cpu.EFER_LME | X86Cpu.EFER_LMA | X86Cpu.EFER_NXE;

    public static final int MSR_PAT = 0x277, MSR_EFER = 0xc0000080, MSR_STAR = 0xc0000081, MSR_LSTAR = 0xc0000082;
    public static final int MSR_CSTAR = 0xc0000083, MSR_FMASK = 0xc0000084, MSR_FS_BASE = 0xc0000100;
    public static final int MSR_GS_BASE = 0xc0000101, MSR_KERNEL_GS_BASE = 0xc0000102, MSR_TSC_AUX = 0xc0000103;
    /** Power-on PAT: WB WT UC- UC, twice (SDM 11.12.4). */
    private static final long PAT_RESET = 0x0007040600070406L;

    private final X86Cpu cpu;
    private final Machine machine;
    private final X86Mmu mmu;
    private final InterruptUnit intr;
    private final Segmentation seg;

    private long tscOffset;
    public int sysenterCs;
    public long sysenterEsp;
    public long sysenterEip;
    public long star, lstar, cstar;
    public int fmask;
    public long kernelGsBase;
    public long pat = PAT_RESET;
    public int tscAux;
    public long miscEnable = MISC_ENABLE_DEFAULT;
    private final MachineCheck machineCheck = new MachineCheck();
    /** The MTRRs (firmware, or a direct kernel boot standing in for it, sets them). */
    public final Mtrrs mtrrs = new Mtrrs();

    public SystemInsns(X86Cpu cpu, X86Mmu mmu, InterruptUnit intr, Segmentation seg) {
        this.cpu = cpu;
        this.machine = cpu.machine;
        this.mmu = mmu;
        this.intr = intr;
        this.seg = seg;
    }

    /** RESET and INIT: the MSRs both clear. */
    public void reset() {
        sysenterCs = 0;
        sysenterEsp = 0;
        sysenterEip = 0;
        star = lstar = cstar = 0;
        fmask = 0;
        kernelGsBase = 0;
        tscAux = 0;
        miscEnable = MISC_ENABLE_DEFAULT;
    }

    /**
     * RESET only: what INIT leaves alone (SDM vol. 3, 9.1 table 9-1; QEMU keeps the same): PAT.
     * The TSC is not reset per CPU: every CPU reads the machine's virtual clock, so the CPUs'
     * TSCs agree, as Linux's TSC synchronisation check expects of one package.
     */
    public void resetInitPreserved() {
        tscOffset = 0;
        pat = PAT_RESET;
        mtrrs.reset();
        machineCheck.reset();
    }

    private void requireCpl0() {
        if ((cpu.cr0 & CR0_PE) != 0 && cpu.cpl != 0) {
            throw intr.fault(GP, 0);
        }
    }

    // ---- control registers ----------------------------------------------------------------

    public long readCr(int n) {
        requireCpl0();
        return switch (n) {
            case 0 -> cpu.cr0;
            case 2 -> cpu.cr2;
            case 3 -> cpu.cr3;
            case 4 -> cpu.cr4;
            case 8 -> {
                if (!cpu.longMode()) {
                    throw intr.fault(UD);
                }
                yield cpu.readCr8();
            }
            default -> throw intr.fault(UD);
        };
    }

    public void writeCr(int n, long v) {
        requireCpl0();
        switch (n) {
            case 0 -> setCr0(v);
            case 2 -> cpu.cr2 = cpu.longMode() ? v : v & 0xffffffffL;
            case 3 -> setCr3(v);
            case 4 -> setCr4(v);
            case 8 -> {
                if (!cpu.longMode()) {
                    throw intr.fault(UD);
                }
                if ((v & ~0xfL) != 0) {
                    throw intr.fault(GP, 0);
                }
                cpu.writeCr8(v);
            }
            default -> throw intr.fault(UD);
        }
    }

    /** Legacy PAE paging is on: CR3 loads (and paging-mode changes) fetch the four PDPTEs. */
    private boolean legacyPae(long cr0, long cr4) {
        return (cr0 & CR0_PG) != 0 && (cr4 & CR4_PAE) != 0 && !cpu.longMode();
    }

    private void setCr3(long v) {
        if (cpu.longMode()) {
            if ((v >>> X86Mmu.PHYS_BITS) != 0) {
                throw intr.fault(GP, 0);
            }
        } else {
            v &= 0xffffffffL;
        }
        if (legacyPae(cpu.cr0, cpu.cr4) && !mmu.loadPdptes(v)) {
            throw intr.fault(GP, 0);
        }
        cpu.cr3 = v;
        mmu.flushNonGlobal();
    }

    /**
     * CR0 (SDM 2.5). Setting PG with EFER.LME activates IA-32e mode (LMA), which needs CR4.PAE
     * and a CS without the L bit (SDM 9.8.5); clearing PG leaves it.
     */
    private void setCr0(long v) {
        if ((v >>> 32) != 0) {
            throw intr.fault(GP, 0);
        }
        if ((v & CR0_PG) != 0 && (v & CR0_PE) == 0 || (v & CR0_NW) != 0 && (v & CR0_CD) == 0) {
            throw intr.fault(GP, 0);
        }
        v = (v & CR0_BITS) | CR0_ET;
        long changed = v ^ cpu.cr0;
        boolean pgOn = (changed & CR0_PG) != 0 && (v & CR0_PG) != 0;
        boolean pgOff = (changed & CR0_PG) != 0 && (v & CR0_PG) == 0;
        if (pgOn && (cpu.efer & X86Cpu.EFER_LME) != 0) {
            if ((cpu.cr4 & CR4_PAE) == 0 || (cpu.segAttr[X86Cpu.CS] & ATTR_L) != 0) {
                throw intr.fault(GP, 0);
            }
            cpu.efer |= X86Cpu.EFER_LMA;
        } else if (pgOff && cpu.longMode()) {
            if (cpu.code64()) {
                throw intr.fault(GP, 0);
            }
            cpu.efer &= ~X86Cpu.EFER_LMA;
        } else if (pgOn && legacyPae(v, cpu.cr4) && !mmu.loadPdptes(cpu.cr3)) {
            throw intr.fault(GP, 0);
        }
        cpu.cr0 = v;
        if ((changed & (CR0_PG | CR0_WP | CR0_PE)) != 0) {
            mmu.flushAll();
        }
        if ((v & CR0_PE) == 0) {
            cpu.cpl = 0;
        }
    }

    private void setCr4(long v) {
        if ((v & ~CR4_BITS) != 0) {
            throw intr.fault(GP, 0);
        }
        if (cpu.longMode() && (v & CR4_PAE) == 0) {
            throw intr.fault(GP, 0);
        }
        long changed = v ^ cpu.cr4;
        if ((changed & CR4_PAGING) != 0 && legacyPae(cpu.cr0, v) && !mmu.loadPdptes(cpu.cr3)) {
            throw intr.fault(GP, 0);
        }
        cpu.cr4 = v;
        if ((changed & CR4_PAGING) != 0) {
            mmu.flushAll();
        }
    }

    /** EFER write: LME may only change while paging is off; LMA is the CPU's (SDM 2.2.1). */
    public void setEfer(long v) {
        if ((v & ~EFER_BITS) != 0) {
            throw intr.fault(GP, 0);
        }
        long old = cpu.efer;
        if ((cpu.cr0 & CR0_PG) != 0 && ((v ^ old) & X86Cpu.EFER_LME) != 0) {
            throw intr.fault(GP, 0);
        }
        cpu.efer = (v & ~X86Cpu.EFER_LMA) | (old & X86Cpu.EFER_LMA);
        if (((v ^ old) & X86Cpu.EFER_NXE) != 0) {
            mmu.flushAll();
        }
    }

    public void lmsw(int v) {
        requireCpl0();
        setCr0((cpu.cr0 & ~0xfL) | (v & 0xf) | (cpu.cr0 & CR0_PE));
    }

    public int smsw() {
        return (int) cpu.cr0;
    }

    public void clts() {
        requireCpl0();
        cpu.cr0 &= ~CR0_TS;
    }

    public void invlpg(long linear) {
        requireCpl0();
        mmu.flushPage(linear);
    }

    // ---- debug registers (recorded; hardware breakpoints are not implemented) -------------

    private int debugIndex(int n) {
        requireCpl0();
        if (n == 4 || n == 5) {
            if ((cpu.cr4 & CR4_DE) != 0) {
                throw intr.fault(UD);
            }
            return n + 2;
        }
        return n;
    }

    public long readDr(int n) {
        int i = debugIndex(n);
        return switch (i) {
            case 6 -> (cpu.dr[6] & 0xe00f) | 0xffff0ff0L;
            case 7 -> (cpu.dr[7] & 0xffff2bffL) | 0x400;
            default -> cpu.dr[i] & 0xffffffffL;
        };
    }

    public void writeDr(int n, long v) {
        int i = debugIndex(n);
        cpu.dr[i] = v & 0xffffffffL;
        if (i == 7 && (v & 0xff) != 0 && machine.log().unimp) {
            machine.log().unimplemented("hardware breakpoints (DR7=0x%x) are not implemented", v);
        }
    }

    // ---- identification and time ----------------------------------------------------------

    /** CPUID: reads EAX (and ECX), writes EAX, EBX, ECX, EDX. */
    public void cpuid() {
        int leaf = (int) cpu.regs[0];
        int maxBasic = cpu.model64 ? 4 : 1;
        if (leaf > maxBasic) {
            leaf = maxBasic; // as Intel: a basic leaf above the maximum reads as the maximum
        }
        int a = 0;
        int b = 0;
        int c = 0;
        int d = 0;
        if (leaf == 0) {
            a = maxBasic;
            b = word(VENDOR, 0);
            d = word(VENDOR, 4);
            c = word(VENDOR, 8);
        } else if (leaf == 2) {
            a = 1; // one round of descriptors, all null: caches and TLBs are described by leaf 4
        } else if (leaf == 3) {
            // no processor serial number
        } else if (leaf == 4) {
            int[] r = cacheParameters((int) cpu.regs[1]);
            a = r[0];
            b = r[1];
            c = r[2];
            d = r[3];
        } else if (leaf == 0x80000000) {
            a = cpu.model64 ? 0x80000008 : 0x80000004;
        } else if (leaf == 0x80000001) {
            if (cpu.model64) {
                c = EXT_LAHF_LM;
                d = EXT_SYSCALL | EXT_NX | EXT_RDTSCP | EXT_LM;
            }
        } else if (leaf >= 0x80000005 && leaf <= 0x80000008 && cpu.model64) {
            if (leaf == 0x80000008) {
                a = X86Mmu.PHYS_BITS | (48 << 8);
            }
        } else if (leaf >= 0x80000002 && leaf <= 0x80000004) {
            int base = (leaf - 0x80000002) * 16;
            a = word(BRAND, base);
            b = word(BRAND, base + 4);
            c = word(BRAND, base + 8);
            d = word(BRAND, base + 12);
        } else {
            // Leaf 1, and (as on Intel) any leaf above the maximum.
            a = SIGNATURE;
            b = cpu.initialApicId() << 24;
            d = cpu.model64 ? FEATURES64_EDX : FEATURES_EDX;
            c = (cpu.model64 ? FEATURES_ECX | FEAT_CX16 : FEATURES_ECX) | FEAT_ECX_HYPERVISOR;
            X86InterruptSource apic = cpu.interruptSource();
            if (apic != null && (apic.apicBase() & APIC_BASE_ENABLE) != 0) {
                d |= FEAT_APIC; // the flag follows IA32_APIC_BASE's global enable (SDM 10.4.3)
            }
            if (cpu.logicalPerPackage() > 1) {
                // As QEMU: more than one logical processor per package sets HTT and the count.
                b |= (cpu.logicalPerPackage() & 0xff) << 16;
                d |= FEAT_HTT;
            }
        }
        cpu.regs[0] = a & 0xffffffffL;
        cpu.regs[3] = b & 0xffffffffL;
        cpu.regs[1] = c & 0xffffffffL;
        cpu.regs[2] = d & 0xffffffffL;
    }

    /**
     * CPUID leaf 4 sub-leaf {@code index} (SDM vol. 2A, CPUID "Deterministic Cache Parameters"):
     * QEMU's legacy caches (L1d and L1i 32 KiB 8-way, L2 4 MiB 16-way, 64-byte lines, each per
     * core), then the null type. EAX[31:26] carries the cores per package, which Linux needs to
     * tell cores from hyper-threads when CPUID.1 reports several logical processors.
     */
    private int[] cacheParameters(int index) {
        int type;
        int level;
        int ways;
        int sets;
        switch (index) {
            case 0 -> { type = 1; level = 1; ways = 8; sets = 64; }
            case 1 -> { type = 2; level = 1; ways = 8; sets = 64; }
            case 2 -> { type = 3; level = 2; ways = 16; sets = 4096; }
            default -> {
                return new int[4];
            }
        }
        int eax = type | (level << 5) | (1 << 8) | ((cpu.threadsPerCore() - 1) << 14)
                | ((cpu.coresPerPackage() - 1) << 26);
        int ebx = (ways - 1) << 22 | 63; // one partition, 64-byte lines
        return new int[] {eax, ebx, sets - 1, level == 2 ? 1 : 0}; // EDX[0]: WBINVD reaches lower levels' sharers
    }

    /** Four characters of {@code s} from {@code at}, little-endian, NUL-padded. */
    private static int word(String s, int at) {
        int v = 0;
        for (int i = 0; i < 4; i++) {
            int ch = at + i < s.length() ? s.charAt(at + i) : 0;
            v |= (ch & 0xff) << (8 * i);
        }
        return v;
    }

    public long tsc() {
        return machine.clock().nanos() / NANOS_PER_TSC_TICK + tscOffset;
    }

    /** RDTSC: EDX:EAX = TSC; #GP(0) at CPL > 0 when CR4.TSD is set. */
    public void rdtsc() {
        if ((cpu.cr4 & CR4_TSD) != 0 && (cpu.cr0 & CR0_PE) != 0 && cpu.cpl != 0) {
            throw intr.fault(GP, 0);
        }
        long t = tsc();
        cpu.regs[0] = t & 0xffffffffL;
        cpu.regs[2] = t >>> 32;
    }

    public void rdmsr() {
        requireCpl0();
        long v = rdmsrValue((int) cpu.regs[1]);
        cpu.regs[0] = v & 0xffffffffL;
        cpu.regs[2] = v >>> 32;
    }

    /** The value of MSR {@code index}; #GP(0) for an unknown one. */
    public long rdmsrValue(int index) {
        return switch (index) {
            case MSR_TSC -> tsc();
            case MSR_APIC_BASE -> apicBase();
            case MSR_SYSENTER_CS -> sysenterCs & 0xffffL;
            case MSR_SYSENTER_ESP -> sysenterEsp;
            case MSR_SYSENTER_EIP -> sysenterEip;
            case MSR_PAT -> pat;
            case MSR_UCODE_REV -> 0L; // Linux reads it unguarded on Intel family 6
            case MSR_MISC_ENABLE -> miscEnable;
            case MSR_EFER -> cpu.efer;
            case MSR_STAR -> star;
            case MSR_LSTAR -> lstar;
            case MSR_CSTAR -> cstar;
            case MSR_FMASK -> fmask & 0xffffffffL;
            case MSR_FS_BASE -> cpu.segBase[X86Cpu.FS];
            case MSR_GS_BASE -> cpu.segBase[X86Cpu.GS];
            case MSR_KERNEL_GS_BASE -> kernelGsBase;
            case MSR_TSC_AUX -> tscAux & 0xffffffffL;
            default -> {
                if (cpu.model64 && MachineCheck.handles(index)) {
                    yield machineCheck.read(index);
                } else if (cpu.model64 && Mtrrs.handles(index)) {
                    yield mtrrs.read(index);
                }
                throw unknownMsr("rdmsr", index);
            }
        };
    }

    public void wrmsr() {
        requireCpl0();
        wrmsrValue((int) cpu.regs[1], (cpu.regs[0] & 0xffffffffL) | (cpu.regs[2] << 32));
    }

    /** Writes MSR {@code index}; #GP(0) for an unknown one or a bad value. */
    public void wrmsrValue(int index, long v) {
        switch (index) {
            case MSR_TSC -> tscOffset = v - machine.clock().nanos() / NANOS_PER_TSC_TICK;
            case MSR_APIC_BASE -> setApicBase(v);
            case MSR_SYSENTER_CS -> sysenterCs = (int) v & 0xffff;
            case MSR_SYSENTER_ESP -> sysenterEsp = canonical(v);
            case MSR_SYSENTER_EIP -> sysenterEip = canonical(v);
            case MSR_PAT -> pat = v;
            case MSR_UCODE_REV -> { } // writing 0 before reading the revision: nothing to do
            case MSR_MISC_ENABLE -> miscEnable = v;
            case MSR_EFER -> setEfer(v);
            case MSR_STAR -> star = v;
            case MSR_LSTAR -> lstar = canonical(v);
            case MSR_CSTAR -> cstar = canonical(v);
            case MSR_FMASK -> fmask = (int) v;
            case MSR_FS_BASE -> cpu.segBase[X86Cpu.FS] = canonical(v);
            case MSR_GS_BASE -> cpu.segBase[X86Cpu.GS] = canonical(v);
            case MSR_KERNEL_GS_BASE -> kernelGsBase = canonical(v);
            case MSR_TSC_AUX -> tscAux = (int) v;
            default -> {
                boolean ok;
                if (cpu.model64 && MachineCheck.handles(index)) {
                    ok = machineCheck.write(index, v);
                } else if (cpu.model64 && Mtrrs.handles(index)) {
                    ok = mtrrs.write(index, v);
                } else {
                    throw unknownMsr("wrmsr", index);
                }
                if (!ok) {
                    if (machine.log().guestErrors) {
                        machine.log().guestError("wrmsr 0x%x value 0x%x refused (#GP)", index, v);
                    }
                    throw intr.fault(GP, 0);
                }
            }
        }
    }

    private long apicBase() {
        X86InterruptSource apic = cpu.interruptSource();
        if (apic == null) {
            return APIC_BASE_VALUE;
        }
        machine.lock();
        try {
            return apic.apicBase();
        } finally {
            machine.unlock();
        }
    }

    /** WRMSR IA32_APIC_BASE: the APIC checks the reserved bits (#GP(0) when set). */
    private void setApicBase(long v) {
        X86InterruptSource apic = cpu.interruptSource();
        if (apic == null) {
            if (v != APIC_BASE_VALUE && machine.log().unimp) {
                machine.log().unimplemented("wrmsr APIC_BASE 0x%x ignored (no local APIC)", v);
            }
            return;
        }
        boolean ok;
        machine.lock();
        try {
            ok = apic.setApicBase(v);
        } finally {
            machine.unlock();
        }
        if (!ok) {
            throw intr.fault(GP, 0);
        }
    }

    /** An address MSR accepts only canonical values: #GP(0) otherwise. */
    private long canonical(long v) {
        if (((v << 16) >> 16) != v) {
            throw intr.fault(GP, 0);
        }
        return v;
    }

    /** RDTSCP: RDTSC plus ECX = IA32_TSC_AUX. */
    public void rdtscp() {
        rdtsc();
        cpu.regs[1] = tscAux & 0xffffffffL;
    }

    /** SWAPGS (64-bit mode, CPL 0): exchanges GS.base with IA32_KERNEL_GS_BASE. */
    public void swapgs() {
        if (!cpu.code64()) {
            throw intr.fault(UD);
        }
        requireCpl0();
        long t = cpu.segBase[X86Cpu.GS];
        cpu.segBase[X86Cpu.GS] = kernelGsBase;
        kernelGsBase = t;
    }

    private X86Fault unknownMsr(String insn, int index) {
        if (machine.log().unimp) {
            machine.log().unimplemented("%s to unknown MSR 0x%x", insn, index);
        }
        return intr.fault(GP, 0);
    }

    // ---- port I/O -------------------------------------------------------------------------

    /** IN: permission check, then the I/O address space under the machine lock. */
    public int in(int port, int size) {
        seg.checkIo(port, size);
        machine.lock();
        try {
            return (int) machine.io().read(port & 0xffff, size);
        } finally {
            machine.unlock();
        }
    }

    public void out(int port, int size, int value) {
        seg.checkIo(port, size);
        machine.lock();
        try {
            machine.io().write(port & 0xffff, size, value & (size == 4 ? 0xffffffffL : (1L << (8 * size)) - 1));
        } finally {
            machine.unlock();
        }
    }
}
