package org.jqemu.target.i386.fpu;

/**
 * The x87 FPU's architectural state (Intel SDM vol. 1, 8.1): eight 80-bit data registers held by
 * physical number, TOP, the control, status and tag words, and the last-instruction pointers
 * that FNSTENV/FNSAVE report. The tag word is kept as "empty" bits only; the stored tag word is
 * computed from the register contents (as the FXSAVE-era hardware does).
 *
 * <p>Also holds the SSE state (XMM registers, MXCSR) so one object carries what FXSAVE saves.
 */
public final class FpuState {
    public static final int SW_IE = 1, SW_DE = 2, SW_ZE = 4, SW_OE = 8, SW_UE = 0x10, SW_PE = 0x20;
    public static final int SW_SF = 0x40, SW_ES = 0x80, SW_C0 = 0x100, SW_C1 = 0x200, SW_C2 = 0x400;
    public static final int SW_C3 = 0x4000, SW_B = 0x8000;

    /** Data registers by physical number: significand and sign/exponent word. */
    public final long[] mant = new long[8];
    public final int[] sexp = new int[8];
    /** Bit n set: physical register n is empty. */
    public int empty;
    public int top;
    public int fcw;
    /** Status word without the TOP field (bits 11-13 kept zero). */
    public int fsw;
    public long fip;
    public int fcs;
    public int fop;
    public long fdp;
    public int fds;

    public int mxcsr;
    /** XMM0..XMM15, two longs each (low quadword first); 32-33 are scratch for MMX operations. */
    public final long[] xmm = new long[34];
    /** Scratch for one 128-bit source operand (SSE instructions); not architectural. */
    public final long[] src = new long[2];
    /** Scratch for FRSTOR/FXRSTOR, which read the whole image before changing anything. */
    public final long[] loadM = new long[8];
    public final int[] loadSe = new int[8];
    public final long[] loadXmm = new long[16];
    /** Scratch: a 128-bit result being assembled, and MXCSR flags of the executing instruction. */
    public long res0, res1;
    public int simdFlags;

    /**
     * Legacy FERR# output (IRQ 13 through the chipset) for unmasked exceptions when CR0.NE = 0.
     * Null when the board wired nothing; then the event is only logged.
     */
    public Runnable ferr;

    /** The soft-float result register used by the x87 instructions of this CPU. */
    public final Fp80 fp = new Fp80();

    public FpuState() {
        reset();
    }

    /** Power-on / RESET state (SDM vol. 3, table 10-1): FCW 0040, FSW 0, all tags valid zero. */
    public void reset() {
        java.util.Arrays.fill(mant, 0);
        java.util.Arrays.fill(sexp, 0);
        empty = 0;
        top = 0;
        fcw = 0x40;
        fsw = 0;
        clearPointers();
        mxcsr = 0x1f80;
        java.util.Arrays.fill(xmm, 0);
    }

    /** FNINIT (SDM vol. 2, FINIT/FNINIT): registers keep their contents but are tagged empty. */
    public void init() {
        fcw = 0x37f;
        fsw = 0;
        top = 0;
        empty = 0xff;
        clearPointers();
    }

    private void clearPointers() {
        fip = 0;
        fcs = 0;
        fop = 0;
        fdp = 0;
        fds = 0;
    }

    public int statusWord() {
        return (fsw & ~0x3800) | (top << 11);
    }

    public void setStatusWord(int v) {
        top = (v >> 11) & 7;
        fsw = v & ~0x3800 & 0xffff;
        // B mirrors ES on everything since the 387
        fsw = (fsw & ~SW_B) | ((fsw & SW_ES) != 0 ? SW_B : 0);
    }

    /** The tag word as FNSTENV stores it: 00 valid, 01 zero, 10 special, 11 empty per physical register. */
    public int tagWord() {
        int t = 0;
        for (int r = 7; r >= 0; r--) {
            t <<= 2;
            t |= tag(r);
        }
        return t;
    }

    public int tag(int r) {
        if ((empty & (1 << r)) != 0) {
            return 3;
        }
        int e = sexp[r] & 0x7fff;
        long m = mant[r];
        if (e == 0 && m == 0) {
            return 1;
        }
        if (e == 0 || e == 0x7fff || m >= 0) {
            return 2;
        }
        return 0;
    }

    /** FLDENV/FRSTOR: only "empty or not" is taken from a loaded tag word. */
    public void setTagWord(int t) {
        int e = 0;
        for (int r = 0; r < 8; r++) {
            if (((t >> (2 * r)) & 3) == 3) {
                e |= 1 << r;
            }
        }
        empty = e;
    }

    /** FXSAVE's abridged tag byte: bit n set when physical register n is not empty. */
    public int abridgedTag() {
        return ~empty & 0xff;
    }

    public int phys(int st) {
        return (top + st) & 7;
    }

    public boolean isEmpty(int st) {
        return (empty & (1 << phys(st))) != 0;
    }

    /** Rounding control (FCW bits 10-11). */
    public int rc() {
        return (fcw >> 10) & 3;
    }

    /** Significand bits of the precision control (FCW bits 8-9): 24, 53 or 64. */
    public int precBits() {
        int pc = (fcw >> 8) & 3;
        return pc == 0 ? 24 : pc == 2 ? 53 : 64;
    }
}
