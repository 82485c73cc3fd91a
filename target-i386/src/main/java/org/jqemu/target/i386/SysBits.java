package org.jqemu.target.i386;

/** Bit names of EFLAGS, CR0, CR4 and segment descriptors (Intel SDM vol. 3, chapters 2 and 3). */
public final class SysBits {
    private SysBits() {}

    public static final int CF = 1 << 0, PF = 1 << 2, AF = 1 << 4, ZF = 1 << 6, SF = 1 << 7;
    public static final int TF = 1 << 8, IF = 1 << 9, DF = 1 << 10, OF = 1 << 11;
    public static final int IOPL = 3 << 12, NT = 1 << 14, RF = 1 << 16, VM = 1 << 17;
    public static final int AC = 1 << 18, VIF = 1 << 19, VIP = 1 << 20, ID = 1 << 21;
    public static final int IOPL_SHIFT = 12;

    public static final long CR0_PE = 1L << 0, CR0_MP = 1L << 1, CR0_EM = 1L << 2, CR0_TS = 1L << 3;
    public static final long CR0_ET = 1L << 4, CR0_NE = 1L << 5, CR0_WP = 1L << 16, CR0_AM = 1L << 18;
    public static final long CR0_NW = 1L << 29, CR0_CD = 1L << 30, CR0_PG = 1L << 31;

    public static final long CR4_VME = 1L << 0, CR4_PVI = 1L << 1, CR4_TSD = 1L << 2, CR4_DE = 1L << 3;
    public static final long CR4_PSE = 1L << 4, CR4_PAE = 1L << 5, CR4_PGE = 1L << 7;
    public static final long CR4_OSFXSR = 1L << 9, CR4_OSXMMEXCPT = 1L << 10;

    // Descriptor cache attribute bits, as stored in X86Cpu.segAttr: (dword2 >> 8) & 0xf0ff.
    public static final int ATTR_TYPE = 0xf, ATTR_A = 1, ATTR_W = 2, ATTR_R = 2, ATTR_C = 4, ATTR_E = 4;
    public static final int ATTR_CODE = 8, ATTR_S = 1 << 4, ATTR_DPL_SHIFT = 5, ATTR_P = 1 << 7;
    public static final int ATTR_AVL = 1 << 12, ATTR_L = 1 << 13, ATTR_DB = 1 << 14, ATTR_G = 1 << 15;

    // Same bits in the high descriptor dword.
    public static final int D_A = 1 << 8, D_TSS_BUSY = 1 << 9, D_CONFORMING = 1 << 10, D_CODE = 1 << 11;
    public static final int D_S = 1 << 12, D_P = 1 << 15, D_DB = 1 << 22, D_G = 1 << 23;
}
