package org.jqemu.target.arm;

/**
 * The system registers of EL0/EL1 reached by MRS/MSR, and the SYS instructions (AT, DC, IC,
 * TLBI). Registers are named by their (op0, op1, CRn, CRm, op2) encoding (Arm ARM D17).
 *
 * <p>The ID registers advertise exactly what this CPU implements: AArch64-only EL0/EL1, no
 * EL2/EL3, FP and Advanced SIMD, the GIC through memory-mapped registers only, 4 KiB granule
 * only, 44-bit physical addresses, 16-bit ASIDs, no PMU, CRC32, and on {@code -cpu max} the
 * LSE atomics; no other optional ISA extension (no crypto, PAuth, BTI, RCpc, SVE, ...). Debug and PMU registers read as zero and ignore writes (the
 * ID registers tell the guest they do nothing); any other unknown register is UNDEFINED.
 */
final class A64SysRegs {
    static int enc(int op0, int op1, int crn, int crm, int op2) {
        return (op0 << 14) | (op1 << 11) | (crn << 7) | (crm << 3) | op2;
    }

    static final int MIDR = 0xc000, MPIDR = 0xc005, REVIDR = 0xc006;
    static final int ID_AA64PFR0 = 0xc020, ID_AA64PFR1 = 0xc021, ID_AA64DFR0 = 0xc028, ID_AA64ISAR0 = 0xc030,
            ID_AA64ISAR1 = 0xc031, ID_AA64MMFR0 = 0xc038, ID_AA64MMFR1 = 0xc039, ID_AA64MMFR2 = 0xc03a;
    static final int SCTLR = 0xc080, ACTLR = 0xc081, CPACR = 0xc082;
    static final int TTBR0 = 0xc100, TTBR1 = 0xc101, TCR = 0xc102;
    static final int SPSR_EL1 = 0xc200, ELR_EL1 = 0xc201, SP_EL0 = 0xc208, SPSEL = 0xc210, CURRENT_EL = 0xc212;
    static final int AFSR0 = 0xc288, AFSR1 = 0xc289, ESR = 0xc290, FAR = 0xc300, PAR = 0xc3a0;
    static final int MAIR = 0xc510, AMAIR = 0xc518, VBAR = 0xc600, ISR = 0xc608;
    static final int CONTEXTIDR = 0xc681, TPIDR_EL1 = 0xc684, CNTKCTL = 0xc708;
    static final int CCSIDR = 0xc800, CLIDR = 0xc801, CSSELR = 0xd000;
    static final int CTR = 0xd801, DCZID = 0xd807, NZCV = 0xda10, DAIF = 0xda11, FPCR = 0xda20, FPSR = 0xda21;
    static final int TPIDR_EL0 = 0xde82, TPIDRRO_EL0 = 0xde83;
    static final int CNTFRQ = 0xdf00, CNTPCT = 0xdf01, CNTVCT = 0xdf02, CNTP_TVAL = 0xdf10, CNTP_CTL = 0xdf11,
            CNTP_CVAL = 0xdf12, CNTV_TVAL = 0xdf18, CNTV_CTL = 0xdf19, CNTV_CVAL = 0xdf1a;
    static final int MDSCR = 0x8012;

    /** SCTLR_EL1 bits. */
    static final long SCTLR_M = 1, SCTLR_UMA = 1 << 9, SCTLR_DZE = 1 << 14, SCTLR_UCT = 1 << 15,
            SCTLR_NTWI = 1 << 16, SCTLR_NTWE = 1 << 18, SCTLR_UCI = 1 << 26;
    private static final long SCTLR_RES1 = 0x30d0_0800L;

    private final Aarch64Cpu cpu;
    long sctlrEl1, actlrEl1, cpacrEl1, ttbr0El1, ttbr1El1, tcrEl1, parEl1, mairEl1, amairEl1, vbarEl1;
    long contextidrEl1, tpidrEl1, tpidrEl0, tpidrroEl0, csselrEl1, afsr0, afsr1, mdscrEl1;

    A64SysRegs(Aarch64Cpu cpu) {
        this.cpu = cpu;
    }

    void reset() {
        sctlrEl1 = SCTLR_RES1;
        actlrEl1 = cpacrEl1 = ttbr0El1 = ttbr1El1 = tcrEl1 = parEl1 = mairEl1 = amairEl1 = vbarEl1 = 0;
        contextidrEl1 = tpidrEl1 = tpidrEl0 = tpidrroEl0 = csselrEl1 = afsr0 = afsr1 = mdscrEl1 = 0;
    }

    long midr() {
        return 0x411f_d070L; // Arm Cortex-A57 r1p0, for both models
    }

    long idAa64pfr0() {
        return 0x11; // EL0 and EL1 AArch64 only; EL2/EL3 absent; FP and AdvSIMD implemented (0)
    }

    long idAa64mmfr0() {
        // TGran4 supported (0), TGran64 not (0xf), TGran16 not (0), 16-bit ASIDs, PARange 44 bits
        return 0x0f00_0024L;
    }

    private static boolean isIdSpace(int e) {
        // op0=3 op1=0 CRn=0 CRm=1..7: the feature ID registers, RAZ when not listed
        return (e & 0xfff8) >= 0xc008 && (e & 0xfff8) <= 0xc038 && (e >>> 7) == (0xc000 >>> 7);
    }

    private boolean el0Allowed(int e, boolean write) {
        return switch (e) {
            case NZCV, FPCR, FPSR, TPIDR_EL0 -> true;
            case DAIF -> (sctlrEl1 & SCTLR_UMA) != 0;
            case TPIDRRO_EL0 -> !write;
            case CTR -> !write && (sctlrEl1 & SCTLR_UCT) != 0;
            case DCZID, CNTFRQ -> !write;
            case CNTVCT -> !write && (cpu.timer.cntkctl & 2) != 0;
            case CNTPCT -> !write && (cpu.timer.cntkctl & 1) != 0;
            case CNTV_CTL, CNTV_CVAL, CNTV_TVAL -> (cpu.timer.cntkctl & (1 << 8)) != 0;
            case CNTP_CTL, CNTP_CVAL, CNTP_TVAL -> (cpu.timer.cntkctl & (1 << 9)) != 0;
            default -> false;
        };
    }

    /** ISS of a trapped MSR/MRS (EC 0x18), as the guest's UNDEFINED handler does not look at it. */
    private ArmFault undef() {
        return cpu.undefined();
    }

    long read(int e) {
        if (cpu.el == 0 && !el0Allowed(e, false)) {
            throw undef();
        }
        GenericTimer t = cpu.timer;
        switch (e) {
            case MIDR: return midr();
            case MPIDR: return cpu.mpidr();
            case REVIDR: return 0;
            case ID_AA64PFR0: return idAa64pfr0();
            case ID_AA64ISAR0: return cpu.hasLse() ? 0x0021_0000L : 0x0001_0000L; // CRC32; Atomic on max
            case ID_AA64DFR0: return 0x6; // Armv8 debug architecture, no PMU, 1 breakpoint/watchpoint
            case ID_AA64MMFR0: return idAa64mmfr0();
            case SCTLR: return sctlrEl1;
            case ACTLR: return actlrEl1;
            case CPACR: return cpacrEl1;
            case TTBR0: return ttbr0El1;
            case TTBR1: return ttbr1El1;
            case TCR: return tcrEl1;
            case SPSR_EL1: return cpu.spsrEl1;
            case ELR_EL1: return cpu.elrEl1;
            case SP_EL0: return cpu.readSpEl(0);
            case SPSEL: return cpu.spSel ? 1 : 0;
            case CURRENT_EL: return (long) cpu.el << 2;
            case AFSR0: return afsr0;
            case AFSR1: return afsr1;
            case ESR: return cpu.esrEl1;
            case FAR: return cpu.farEl1;
            case PAR: return parEl1;
            case MAIR: return mairEl1;
            case AMAIR: return amairEl1;
            case VBAR: return vbarEl1;
            case ISR: return (cpu.irqLevel ? 0x80 : 0) | (cpu.fiqLevel ? 0x40 : 0);
            case CONTEXTIDR: return contextidrEl1;
            case TPIDR_EL1: return tpidrEl1;
            case CNTKCTL: return t.cntkctl;
            case CCSIDR: return (csselrEl1 & 1) != 0 ? 0x201f_e00aL : 0x701f_e00aL;
            case CLIDR: return 0x0a20_0023L;
            case CSSELR: return csselrEl1;
            case CTR: return 0x8444_c004L;
            case DCZID: return (sctlrEl1 & SCTLR_DZE) != 0 || cpu.el == 1 ? 4 : 0x14;
            case NZCV: return cpu.nzcv & 0xf000_0000L;
            case DAIF: return cpu.daif;
            case FPCR: return cpu.fpcr;
            case FPSR: return cpu.fpsr;
            case TPIDR_EL0: return tpidrEl0;
            case TPIDRRO_EL0: return tpidrroEl0;
            case CNTFRQ: return Aarch64Cpu.CNTFRQ_HZ;
            case CNTPCT, CNTVCT: return t.counter();
            case CNTP_CTL: return t.readCtl(GenericTimer.PHYS);
            case CNTP_CVAL: return t.readCval(GenericTimer.PHYS);
            case CNTP_TVAL: return t.readTval(GenericTimer.PHYS);
            case CNTV_CTL: return t.readCtl(GenericTimer.VIRT);
            case CNTV_CVAL: return t.readCval(GenericTimer.VIRT);
            case CNTV_TVAL: return t.readTval(GenericTimer.VIRT);
            case MDSCR: return mdscrEl1;
            default:
                if (isIdSpace(e) || isRazWi(e)) {
                    return 0;
                }
                unknown(e, "read");
                throw undef();
        }
    }

    void write(int e, long v) {
        if (cpu.el == 0 && !el0Allowed(e, true)) {
            throw undef();
        }
        GenericTimer t = cpu.timer;
        switch (e) {
            case SCTLR -> {
                sctlrEl1 = v | SCTLR_RES1;
                cpu.mmu.flushAll();
            }
            case ACTLR -> actlrEl1 = v;
            case CPACR -> cpacrEl1 = v & (3L << 20);
            case TTBR0 -> {
                ttbr0El1 = v;
                cpu.mmu.flushAll();
            }
            case TTBR1 -> {
                ttbr1El1 = v;
                cpu.mmu.flushAll();
            }
            case TCR -> {
                tcrEl1 = v;
                cpu.mmu.flushAll();
            }
            case SPSR_EL1 -> cpu.spsrEl1 = v & 0xf03f_ffffL;
            case ELR_EL1 -> cpu.elrEl1 = v;
            case SP_EL0 -> cpu.writeSpEl(0, v);
            case SPSEL -> cpu.setMode(cpu.el, (v & 1) != 0);
            case AFSR0 -> afsr0 = v;
            case AFSR1 -> afsr1 = v;
            case ESR -> cpu.esrEl1 = v & 0xffff_ffffL;
            case FAR -> cpu.farEl1 = v;
            case PAR -> parEl1 = v;
            case MAIR -> mairEl1 = v;
            case AMAIR -> amairEl1 = v;
            case VBAR -> vbarEl1 = v & ~0x7ffL;
            case CONTEXTIDR -> contextidrEl1 = v & 0xffff_ffffL;
            case TPIDR_EL1 -> tpidrEl1 = v;
            case CNTKCTL -> t.cntkctl = v & 0x3ff;
            case CSSELR -> csselrEl1 = v & 0xf;
            case NZCV -> cpu.nzcv = (int) (v & 0xf000_0000L);
            case DAIF -> cpu.daif = (int) v & 0x3c0;
            case FPCR -> cpu.fpcr = (int) v & 0x07ff_9f00;
            case FPSR -> cpu.fpsr = (int) v & 0xf800_009f;
            case TPIDR_EL0 -> tpidrEl0 = v;
            case TPIDRRO_EL0 -> tpidrroEl0 = v;
            case CNTP_CTL -> t.writeCtl(GenericTimer.PHYS, v);
            case CNTP_CVAL -> t.writeCval(GenericTimer.PHYS, v);
            case CNTP_TVAL -> t.writeTval(GenericTimer.PHYS, v);
            case CNTV_CTL -> t.writeCtl(GenericTimer.VIRT, v);
            case CNTV_CVAL -> t.writeCval(GenericTimer.VIRT, v);
            case CNTV_TVAL -> t.writeTval(GenericTimer.VIRT, v);
            case MDSCR -> mdscrEl1 = v;
            default -> {
                if (!isRazWi(e)) {
                    unknown(e, "write");
                    throw undef();
                }
            }
        }
    }

    /** Debug (op0 = 2) and PMU (CRn = 9) registers: nothing is advertised, so they do nothing. */
    private static boolean isRazWi(int e) {
        int op0 = e >>> 14;
        int crn = (e >>> 7) & 0xf;
        return op0 == 2 || (op0 == 3 && crn == 9) || (op0 == 3 && crn == 15);
    }

    private void unknown(int e, String what) {
        if (cpu.machine.log().unimp) {
            cpu.machine.log().unimplemented("cpu%d: %s of system register S%d_%d_C%d_C%d_%d at pc 0x%x", cpu.index(), what,
                    e >>> 14, (e >>> 11) & 7, (e >>> 7) & 15, (e >>> 3) & 15, e & 7, cpu.pc);
        }
    }

    /**
     * SYS (op0 = 1): AT, DC, IC and TLBI. Caches are not modelled, so DC/IC only check the
     * address (DC ZVA zeroes a 64-byte block); every TLBI flushes the whole TLB.
     */
    void sys(int op1, int crn, int crm, int op2, long xt) {
        if (crn == 8) { // TLBI
            if (cpu.el == 0) {
                throw undef();
            }
            cpu.mmu.flushAll();
            if (crm == 3 || crm == 1 || crm == 2 || crm == 5) {
                // the Inner Shareable forms reach every CPU of the machine
                for (var other : cpu.machine.cpus()) {
                    if (other != cpu && other instanceof Aarch64Cpu a) {
                        a.requestTlbFlush();
                    }
                }
            }
            return;
        }
        if (crn == 7 && crm == 8) { // AT S1E1R/W (op2 0/1), S1E0R/W (op2 2/3)
            if (cpu.el == 0 || op1 != 0 || op2 > 3) {
                throw undef();
            }
            parEl1 = cpu.mmu.addressTranslate(xt, (op2 & 1) != 0, (op2 & 2) != 0);
            return;
        }
        if (crn == 7) {
            if (op1 == 3 && crm == 4 && op2 == 1) { // DC ZVA
                if (cpu.el == 0 && (sctlrEl1 & SCTLR_DZE) == 0) {
                    throw cpu.fault(Aarch64Cpu.EC_SYSREG, 0);
                }
                long a = xt & ~63L;
                for (int k = 0; k < 64; k += 8) {
                    cpu.mmu.write(a + k, 8, 0);
                }
                return;
            }
            if (cpu.el == 0 && op1 != 3) {
                throw undef();
            }
            if (cpu.el == 0 && crm == 5 && (sctlrEl1 & SCTLR_UCI) == 0) {
                throw undef();
            }
            // IC IALLU/IALLUIS/IVAU and DC C*: no caches to maintain; translated code is
            // already invalidated by the stores themselves.
            return;
        }
        unknown(enc(1, op1, crn, crm, op2), "SYS");
        throw undef();
    }
}
