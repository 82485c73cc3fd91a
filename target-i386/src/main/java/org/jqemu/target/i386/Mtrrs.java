package org.jqemu.target.i386;

/**
 * Memory type range registers (Intel SDM vol. 3, 11.11): IA32_MTRRCAP, IA32_MTRR_DEF_TYPE, the
 * eleven fixed-range registers and eight variable-range base/mask pairs, as QEMU offers them
 * (MTRRCAP 0x508: 8 variable ranges, fixed ranges, write combining). Memory types only matter to
 * caches, which jqemu does not model, so the registers are stored and checked, nothing more.
 * INIT keeps them (SDM 9.1 table 9-1); RESET clears them, leaving MTRRs disabled until firmware
 * sets them.
 */
public final class Mtrrs {
    public static final int MSR_MTRRCAP = 0xfe, MSR_DEF_TYPE = 0x2ff, MSR_PHYS_BASE0 = 0x200;
    public static final int MSR_FIX64K_00000 = 0x250, MSR_FIX16K_80000 = 0x258, MSR_FIX16K_A0000 = 0x259;
    public static final int MSR_FIX4K_C0000 = 0x268;
    static final int VARIABLE = 8;
    static final long CAP = VARIABLE | (1 << 8) | (1 << 10);
    /** Memory types 0 UC, 1 WC, 4 WT, 5 WP, 6 WB; 2, 3 and 7 are reserved. */
    private static final int VALID_TYPES = 0b0111_0011;

    private long defType;
    /** 0x250, 0x258, 0x259, 0x268-0x26F. */
    private final long[] fixed = new long[11];
    /** PhysBase0, PhysMask0, PhysBase1 ... */
    private final long[] variable = new long[VARIABLE * 2];

    void reset() {
        defType = 0;
        java.util.Arrays.fill(fixed, 0);
        java.util.Arrays.fill(variable, 0);
    }

    private static int fixedIndex(int msr) {
        if (msr == MSR_FIX64K_00000) {
            return 0;
        } else if (msr == MSR_FIX16K_80000 || msr == MSR_FIX16K_A0000) {
            return 1 + msr - MSR_FIX16K_80000;
        } else if (msr >= MSR_FIX4K_C0000 && msr < MSR_FIX4K_C0000 + 8) {
            return 3 + msr - MSR_FIX4K_C0000;
        }
        return -1;
    }

    static boolean handles(int msr) {
        return msr == MSR_MTRRCAP || msr == MSR_DEF_TYPE || fixedIndex(msr) >= 0
                || msr >= MSR_PHYS_BASE0 && msr < MSR_PHYS_BASE0 + VARIABLE * 2;
    }

    public long read(int msr) {
        if (msr == MSR_MTRRCAP) {
            return CAP;
        } else if (msr == MSR_DEF_TYPE) {
            return defType;
        }
        int f = fixedIndex(msr);
        return f >= 0 ? fixed[f] : variable[msr - MSR_PHYS_BASE0];
    }

    private static boolean validType(long t) {
        return t < 8 && (VALID_TYPES & (1 << t)) != 0;
    }

    /** False for a write that raises #GP: MTRRCAP, reserved bits or an undefined memory type. */
    public boolean write(int msr, long v) {
        if (msr == MSR_MTRRCAP) {
            return false;
        }
        long physMask = (1L << X86Mmu.PHYS_BITS) - 1;
        if (msr == MSR_DEF_TYPE) {
            if ((v & ~0xcffL) != 0 || !validType(v & 0xff)) {
                return false;
            }
            defType = v;
            return true;
        }
        int f = fixedIndex(msr);
        if (f >= 0) {
            for (int i = 0; i < 8; i++) {
                if (!validType((v >>> (8 * i)) & 0xff)) {
                    return false;
                }
            }
            fixed[f] = v;
            return true;
        }
        int i = msr - MSR_PHYS_BASE0;
        boolean base = (i & 1) == 0;
        long allowed = base ? (physMask & ~0xfffL) | 0xff : (physMask & ~0xfffL) | 0x800;
        if ((v & ~allowed) != 0 || base && !validType(v & 0xff)) {
            return false;
        }
        variable[i] = v;
        return true;
    }
}
