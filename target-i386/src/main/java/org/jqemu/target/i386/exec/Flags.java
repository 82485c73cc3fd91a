package org.jqemu.target.i386.exec;

/**
 * Lazily evaluated x86 arithmetic flags (CF PF AF ZF SF OF).
 *
 * <p>An instruction records what it did — the kind of operation, the operand size, both inputs
 * and the result — and the six flags are derived only when something reads them. Most results
 * are only ever read by the next conditional jump, and {@link #cond} answers the common
 * "compare then branch" cases straight from the operands without building EFLAGS.
 *
 * <p>Values are stored already masked to the operand size.
 */
public final class Flags {
    public static final int CF = 0x001, PF = 0x004, AF = 0x010, ZF = 0x040, SF = 0x080, OF = 0x800;
    public static final int ARITH = CF | PF | AF | ZF | SF | OF;

    /** Flags are in {@link #fl} as bits. */
    public static final int EFL = 0;
    public static final int ADD = 1, ADC = 2, SUB = 3, SBB = 4, LOGIC = 5, INC = 6, DEC = 7;
    /** Shifts: CF is in {@code cin}, OF in bit 0 of {@code b}; AF reads as 0. */
    public static final int SHIFT = 8;
    /** Multiplies: CF = OF = {@code cin}; SF ZF PF from the low result. */
    public static final int MUL = 9;

    private static final byte[] PARITY = new byte[256];

    static {
        for (int i = 0; i < 256; i++) {
            PARITY[i] = (byte) ((Integer.bitCount(i) & 1) == 0 ? PF : 0);
        }
    }

    public int op;
    /** Operand size in bytes: 1, 2, 4 or 8. */
    public int size = 4;
    public long a, b, res;
    public int cin;
    public int fl;

    public void set(int op, int size, long a, long b, long res) {
        this.op = op;
        this.size = size;
        this.a = a;
        this.b = b;
        this.res = res;
    }

    /** Sets the flags from explicit bits (only the ARITH ones are kept). */
    public void load(int bits) {
        op = EFL;
        fl = bits & ARITH;
    }

    private static long signBit(int size) {
        return 1L << (size * 8 - 1);
    }

    /** The carry flag as 0 or 1. */
    public int cf() {
        switch (op) {
            case EFL:
                return fl & 1;
            case ADD:
                return Long.compareUnsigned(res, a) < 0 ? 1 : 0;
            case ADC:
                return (cin != 0 ? Long.compareUnsigned(res, a) <= 0 : Long.compareUnsigned(res, a) < 0) ? 1 : 0;
            case SUB:
                return Long.compareUnsigned(a, b) < 0 ? 1 : 0;
            case SBB:
                return (cin != 0 ? Long.compareUnsigned(a, b) <= 0 : Long.compareUnsigned(a, b) < 0) ? 1 : 0;
            case LOGIC:
                return 0;
            default: // INC DEC SHIFT MUL keep CF in cin
                return cin & 1;
        }
    }

    /** All six arithmetic flags as EFLAGS bits. */
    public int compute() {
        if (op == EFL) {
            return fl;
        }
        long r = res;
        long sign = signBit(size);
        int f = cf();
        f |= PARITY[(int) r & 0xff];
        if (r == 0) {
            f |= ZF;
        }
        if ((r & sign) != 0) {
            f |= SF;
        }
        switch (op) {
            case ADD, ADC, INC -> {
                f |= (int) (a ^ b ^ r) & AF;
                if (((a ^ r) & (b ^ r) & sign) != 0) {
                    f |= OF;
                }
            }
            case SUB, SBB, DEC -> {
                f |= (int) (a ^ b ^ r) & AF;
                if (((a ^ b) & (a ^ r) & sign) != 0) {
                    f |= OF;
                }
            }
            case SHIFT -> {
                if ((b & 1) != 0) {
                    f |= OF;
                }
            }
            case MUL -> {
                if (cin != 0) {
                    f |= OF;
                }
            }
            default -> { }
        }
        return f;
    }

    private long sext(long v) {
        int sh = 64 - size * 8;
        return (v << sh) >> sh;
    }

    /** Evaluates condition code {@code cc} (0 = O ... 15 = G) as Jcc/SETcc/CMOVcc do. */
    public boolean cond(int cc) {
        if (op == SUB) {
            boolean r;
            switch (cc >> 1) {
                case 1: r = Long.compareUnsigned(a, b) < 0; break;
                case 2: r = a == b; break;
                case 3: r = Long.compareUnsigned(a, b) <= 0; break;
                case 6: r = sext(a) < sext(b); break;
                case 7: r = sext(a) <= sext(b); break;
                default: return condSlow(cc);
            }
            return r ^ ((cc & 1) != 0);
        }
        if (op == LOGIC || op == INC || op == DEC || op == ADD) {
            switch (cc >> 1) {
                case 2: return (res == 0) ^ ((cc & 1) != 0);
                case 4: return ((res & signBit(size)) != 0) ^ ((cc & 1) != 0);
                default: return condSlow(cc);
            }
        }
        return condSlow(cc);
    }

    private boolean condSlow(int cc) {
        int f = compute();
        boolean r;
        switch (cc >> 1) {
            case 0: r = (f & OF) != 0; break;
            case 1: r = (f & CF) != 0; break;
            case 2: r = (f & ZF) != 0; break;
            case 3: r = (f & (CF | ZF)) != 0; break;
            case 4: r = (f & SF) != 0; break;
            case 5: r = (f & PF) != 0; break;
            case 6: r = ((f & SF) != 0) != ((f & OF) != 0); break;
            default: r = (f & ZF) != 0 || (((f & SF) != 0) != ((f & OF) != 0)); break;
        }
        return r ^ ((cc & 1) != 0);
    }
}
