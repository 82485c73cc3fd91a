package org.jqemu.target.i386.fpu;

/**
 * Soft-float helper for the x87 80-bit extended format (Intel SDM vol. 1, 4.2.2 and 8.2): a
 * sign/exponent word {@code se} (sign bit 15, biased exponent bits 0-14, bias 16383) and a 64-bit
 * significand {@code m} with an explicit integer bit 63.
 *
 * <p>Exact, rounding-mode aware conversions: m32/m64/m80 loads and stores, integers of all
 * sizes, FRNDINT, FSCALE-style repacking, comparisons. Arithmetic ({@link #add}, {@link #mul},
 * {@link #div}, {@link #sqrt}) runs on the significands as Java doubles with the exponent kept
 * separately, so the full 80-bit exponent range is honoured but <b>the significand of a result is
 * only 53 bits</b> (then rounded to the precision-control width when that is narrower), rounded
 * to nearest-even whatever RC says. Exact results (the common case in integer-valued code) are
 * identical to a real x87; inexact ones may differ in the low 11 bits, and PE / C1 reflect the
 * 53-bit rounding.
 *
 * <p>An instance is a result register: operations leave their value in {@link #m}/{@link #se} and
 * OR exception bits into {@link #flags}. One instance per CPU, so nothing allocates.
 */
public final class Fp80 {
    public static final int IE = 1, DE = 2, ZE = 4, OE = 8, UE = 0x10, PE = 0x20;
    public static final long INDEF_M = 0xC000000000000000L;
    public static final int INDEF_SE = 0xffff;
    public static final int RC_NEAR = 0, RC_DOWN = 1, RC_UP = 2, RC_ZERO = 3;
    private static final int BIAS = 16383;

    public long m;
    public int se;
    /** Exception bits (IE..PE) raised since the caller last cleared them. */
    public int flags;
    /** The last rounding went away from zero (the x87 reports it in C1). */
    public boolean roundedUp;

    // ---- classification --------------------------------------------------------------------

    public static boolean isNaN(long m, int se) {
        return (se & 0x7fff) == 0x7fff && (m << 1) != 0;
    }

    public static boolean isSNaN(long m, int se) {
        return isNaN(m, se) && (m & 0x4000000000000000L) == 0;
    }

    public static boolean isInf(long m, int se) {
        return (se & 0x7fff) == 0x7fff && (m << 1) == 0;
    }

    public static boolean isZero(long m, int se) {
        return (se & 0x7fff) == 0 && m == 0;
    }

    /** Unnormals, pseudo-NaNs/infinities and pseudo-zeros: invalid operands on a 387 and later. */
    public static boolean isUnsupported(long m, int se) {
        int e = se & 0x7fff;
        return e != 0 && m >= 0;
    }

    public static boolean neg(int se) {
        return (se & 0x8000) != 0;
    }

    private void set(long m, int se) {
        this.m = m;
        this.se = se;
    }

    public void setIndefinite() {
        set(INDEF_M, INDEF_SE);
    }

    // ---- loads (exact) ---------------------------------------------------------------------

    public void fromDouble(double d) {
        fromDoubleBits(Double.doubleToRawLongBits(d));
    }

    public void fromDoubleBits(long bits) {
        int sign = (int) (bits >>> 48) & 0x8000;
        int e = (int) (bits >>> 52) & 0x7ff;
        long f = bits & ((1L << 52) - 1);
        if (e == 0x7ff) {
            if (f != 0 && (f & (1L << 51)) == 0) {
                flags |= IE; // SNaN operand: quieted on load
                f |= 1L << 51;
            }
            set(0x8000000000000000L | (f << 11), sign | 0x7fff);
        } else if (e == 0) {
            if (f == 0) {
                set(0, sign);
            } else {
                flags |= DE;
                int lz = Long.numberOfLeadingZeros(f);
                set(f << lz, sign | (1 - 1023 + BIAS - (lz - 11)));
            }
        } else {
            set(0x8000000000000000L | (f << 11), sign | (e - 1023 + BIAS));
        }
    }

    public void fromFloatBits(int bits) {
        int sign = (bits >>> 16) & 0x8000;
        int e = (bits >>> 23) & 0xff;
        long f = bits & 0x7fffff;
        if (e == 0xff) {
            if (f != 0 && (f & (1 << 22)) == 0) {
                flags |= IE;
                f |= 1 << 22;
            }
            set(0x8000000000000000L | (f << 40), sign | 0x7fff);
        } else if (e == 0) {
            if (f == 0) {
                set(0, sign);
            } else {
                flags |= DE;
                int lz = Long.numberOfLeadingZeros(f);
                set(f << lz, sign | (1 - 127 + BIAS - (lz - 40)));
            }
        } else {
            set(0x8000000000000000L | (f << 40), sign | (e - 127 + BIAS));
        }
    }

    public void fromLong(long v) {
        if (v == 0) {
            set(0, 0);
            return;
        }
        int sign = v < 0 ? 0x8000 : 0;
        long mag = v < 0 ? -v : v; // Long.MIN_VALUE stays 2^63 as an unsigned value
        int lz = Long.numberOfLeadingZeros(mag);
        set(mag << lz, sign | (BIAS + 63 - lz));
    }

    // ---- rounding core ---------------------------------------------------------------------

    /** {@code mag >>> sh} rounded by {@code rc} (sh may exceed 63); sets PE and roundedUp. */
    long shr(long mag, int sh, boolean negative, int rc) {
        return shr(mag, sh, negative, rc, 0);
    }

    /** As {@link #shr(long, int, boolean, int)} with {@code below}: 64 more bits under {@code mag}. */
    long shr(long mag, int sh, boolean negative, int rc, long below) {
        if (sh <= 0 && below == 0) {
            return mag;
        }
        long q;
        boolean half;
        boolean rest;
        if (sh <= 0) {
            q = mag;
            half = below < 0;
            rest = (below << 1) != 0;
        } else if (sh >= 64) {
            q = 0;
            half = sh == 64 && mag < 0;
            rest = (sh == 64 ? (mag << 1) != 0 : mag != 0) || below != 0;
        } else {
            q = mag >>> sh;
            long r = mag << (64 - sh);
            half = r < 0;
            rest = (r << 1) != 0 || below != 0;
        }
        if (!half && !rest) {
            return q;
        }
        flags |= PE;
        boolean up = switch (rc) {
            case RC_NEAR -> half && (rest || (q & 1) != 0);
            case RC_DOWN -> negative;
            case RC_UP -> !negative;
            default -> false;
        };
        if (up) {
            q++;
            roundedUp = true;
        }
        return q;
    }

    /** Unbiased exponent of the leading one of a finite nonzero value, significand normalised into {@link #nm}. */
    private long nm;

    private int normalise(long m, int se) {
        int e = se & 0x7fff;
        if (e == 0) {
            int lz = Long.numberOfLeadingZeros(m);
            nm = m << lz;
            return 1 - BIAS - lz;
        }
        nm = m;
        return e - BIAS;
    }

    /**
     * Packs sign, unbiased exponent {@code e} of bit 63 and normalised significand {@code mant}
     * into the result, rounding to {@code precBits} (24, 53 or 64) and to the denormal range.
     * {@code inexact} marks a value already rounded by the caller (for PE and UE).
     */
    public void pack(boolean negative, int e, long mant, boolean inexact, int rc, int precBits) {
        if (inexact) {
            flags |= PE;
        }
        pack(negative, e, mant, inexact ? 1 : 0, rc, precBits);
    }

    /** As above, {@code below} holding the 64 bits under {@code mant} (exact arithmetic results). */
    public void pack(boolean negative, int e, long mant, long below, int rc, int precBits) {
        int sign = negative ? 0x8000 : 0;
        boolean inexact = below != 0;
        int biased = e + BIAS;
        if (biased >= 1) {
            int sh = 64 - precBits;
            long q = shr(mant, sh, negative, rc, below);
            if (sh > 0 && q == 1L << precBits) {
                q >>>= 1;
                biased++;
            } else if (sh == 0 && q == 0) { // 0xFFFF...F rounded up
                q = 1L << 63;
                biased++;
            }
            if (biased >= 0x7fff) {
                overflow(negative, rc, precBits);
                return;
            }
            set(q << sh, sign | biased);
            return;
        }
        int den = 1 - biased;
        int sh = Math.max(64 - precBits, den);
        int before = flags;
        long q = shr(mant, sh, negative, rc, below);
        long r = sh - den >= 64 ? 0 : q << (sh - den);
        if (((flags & ~before) & PE) != 0 || inexact) {
            flags |= UE;
        }
        set(r, sign | (r < 0 ? 1 : 0));
    }

    private void overflow(boolean negative, int rc, int precBits) {
        flags |= OE | PE;
        boolean inf = rc == RC_NEAR || (rc == RC_DOWN && negative) || (rc == RC_UP && !negative);
        int sign = negative ? 0x8000 : 0;
        if (inf) {
            set(0x8000000000000000L, sign | 0x7fff);
        } else {
            roundedUp = false;
            set(precBits == 64 ? -1L : ((1L << precBits) - 1) << (64 - precBits), sign | 0x7ffe);
        }
    }

    // ---- stores ----------------------------------------------------------------------------

    /** The value as IEEE bits with {@code fracBits} (52 or 23) and {@code expBits} (11 or 8), rounded by rc. */
    private long toIeee(long m, int se, int rc, int fracBits, int expBits) {
        int ieeeBias = (1 << (expBits - 1)) - 1;
        int maxE = (1 << expBits) - 1;
        long sign = neg(se) ? 1L << (fracBits + expBits) : 0;
        int e = se & 0x7fff;
        if (isUnsupported(m, se)) {
            flags |= IE;
            return sign == 0 ? qnanBits(fracBits, expBits) | (1L << (fracBits + expBits)) : qnanBits(fracBits, expBits) | sign;
        }
        if (e == 0x7fff) {
            if ((m << 1) == 0) {
                return sign | ((long) maxE << fracBits);
            }
            if ((m & 0x4000000000000000L) == 0) {
                flags |= IE;
            }
            long payload = (m << 2) >>> (64 - (fracBits - 1));
            return sign | ((long) maxE << fracBits) | (1L << (fracBits - 1)) | payload;
        }
        if (m == 0) {
            return sign;
        }
        boolean negative = sign != 0;
        int ue = normalise(m, se);
        long mant = nm;
        int biased = ue + ieeeBias;
        int keep = fracBits + 1;
        if (biased >= 1) {
            long q = shr(mant, 64 - keep, negative, rc);
            if (q == 1L << keep) {
                q >>>= 1;
                biased++;
            }
            if (biased >= maxE) {
                flags |= OE | PE;
                boolean inf = rc == RC_NEAR || (rc == RC_DOWN && negative) || (rc == RC_UP && !negative);
                return inf ? sign | ((long) maxE << fracBits) : sign | (((long) maxE << fracBits) - 1);
            }
            return sign | ((long) biased << fracBits) | (q & ((1L << fracBits) - 1));
        }
        int before = flags;
        long q = shr(mant, 64 - keep + (1 - biased), negative, rc);
        if (((flags & ~before) & PE) != 0) {
            flags |= UE;
        }
        return sign | q; // q == 1 << fracBits becomes the smallest normal by itself
    }

    private static long qnanBits(int fracBits, int expBits) {
        return ((long) ((1 << expBits) - 1) << fracBits) | (1L << (fracBits - 1));
    }

    public long toDoubleBits(long m, int se, int rc) {
        return toIeee(m, se, rc, 52, 11);
    }

    public int toFloatBits(long m, int se, int rc) {
        return (int) toIeee(m, se, rc, 23, 8);
    }

    /** Nearest double (for transcendental functions and tests); no flags. */
    public static double toDouble(long m, int se) {
        Fp80 t = new Fp80();
        return Double.longBitsToDouble(t.toDoubleBits(m, se, RC_NEAR));
    }

    /**
     * The value rounded by rc to a signed integer of {@code bits} (16, 32, 64); IE and the integer
     * indefinite (only the sign bit set) when it is a NaN, infinite or out of range.
     */
    public long toInt(long m, int se, int rc, int bits) {
        long indef = 1L << (bits - 1);
        if (isNaN(m, se) || isInf(m, se) || isUnsupported(m, se)) {
            flags |= IE;
            return bits == 64 ? Long.MIN_VALUE : -indef;
        }
        if (m == 0) {
            return 0;
        }
        boolean negative = neg(se);
        int e = normalise(m, se);
        if (e > 63) {
            flags |= IE;
            return bits == 64 ? Long.MIN_VALUE : -indef;
        }
        int savedFlags = flags;
        boolean savedUp = roundedUp;
        long q = e == 63 ? nm : shr(nm, 63 - e, negative, rc);
        // q is an unsigned magnitude (up to 2^64-1 when e == 63)
        boolean fits = negative ? Long.compareUnsigned(q, indef) <= 0 : Long.compareUnsigned(q, indef - 1) <= 0;
        if (bits == 64) {
            fits = negative ? Long.compareUnsigned(q, 1L << 63) <= 0 : q >= 0;
        }
        if (!fits) {
            flags = savedFlags | IE;
            roundedUp = savedUp;
            return bits == 64 ? Long.MIN_VALUE : -indef;
        }
        return negative ? -q : q;
    }

    /** FRNDINT: the value rounded to an integer by rc, into the result. */
    public void roundToInt(long m, int se, int rc) {
        if (isNaN(m, se) || isUnsupported(m, se)) {
            nanResult(m, se, m, se);
            return;
        }
        if (isInf(m, se) || m == 0) {
            set(m, se);
            return;
        }
        boolean negative = neg(se);
        int e = normalise(m, se);
        if (e >= 63) {
            set(m, se);
            return;
        }
        long q = shr(nm, 63 - e, negative, rc);
        if (q == 0) {
            set(0, negative ? 0x8000 : 0);
            return;
        }
        int lz = Long.numberOfLeadingZeros(q);
        set(q << lz, (negative ? 0x8000 : 0) | (BIAS + 63 - lz));
    }

    // ---- comparison ------------------------------------------------------------------------

    public static final int LESS = -1, EQUAL = 0, GREATER = 1, UNORDERED = 2;

    /** Compares a with b; {@code quiet} (FUCOM) raises IE only for signalling NaNs. */
    public int compare(long am, int ase, long bm, int bse, boolean quiet) {
        boolean an = isNaN(am, ase) || isUnsupported(am, ase);
        boolean bn = isNaN(bm, bse) || isUnsupported(bm, bse);
        if (an || bn) {
            if (!quiet || isSNaN(am, ase) || isSNaN(bm, bse) || isUnsupported(am, ase) || isUnsupported(bm, bse)) {
                flags |= IE;
            }
            return UNORDERED;
        }
        if ((ase & 0x7fff) == 0 && am != 0 || (bse & 0x7fff) == 0 && bm != 0) {
            flags |= DE;
        }
        boolean az = am == 0;
        boolean bz = bm == 0;
        if (az && bz) {
            return EQUAL;
        }
        boolean aneg = neg(ase);
        boolean bneg = neg(bse);
        if (az) {
            return bneg ? GREATER : LESS;
        }
        if (bz) {
            return aneg ? LESS : GREATER;
        }
        if (aneg != bneg) {
            return aneg ? LESS : GREATER;
        }
        int c;
        if (isInf(am, ase) || isInf(bm, bse)) {
            c = isInf(am, ase) && isInf(bm, bse) ? 0 : isInf(am, ase) ? 1 : -1;
        } else {
            int ea = normalise(am, ase);
            long ma = nm;
            int eb = normalise(bm, bse);
            long mb = nm;
            c = ea != eb ? Integer.compare(ea, eb) : Long.compareUnsigned(ma, mb);
        }
        return aneg ? -c : c;
    }

    // ---- NaN propagation -------------------------------------------------------------------

    /** Result for an operation with at least one NaN or unsupported operand (x87 rules, SDM 4.8.3.5). */
    public void nanResult(long am, int ase, long bm, int bse) {
        if (isUnsupported(am, ase) || isUnsupported(bm, bse)) {
            flags |= IE;
            setIndefinite();
            return;
        }
        boolean an = isNaN(am, ase);
        boolean bn = isNaN(bm, bse);
        if (isSNaN(am, ase) || isSNaN(bm, bse)) {
            flags |= IE;
        }
        long q = 0x4000000000000000L;
        if (an && bn) {
            int c = Long.compareUnsigned(am | q, bm | q);
            if (c > 0 || (c == 0 && !neg(ase))) {
                set(am | q, ase);
            } else {
                set(bm | q, bse);
            }
        } else if (an) {
            set(am | q, ase);
        } else {
            set(bm | q, bse);
        }
    }

    private boolean special(long am, int ase, long bm, int bse) {
        if (isNaN(am, ase) || isNaN(bm, bse) || isUnsupported(am, ase) || isUnsupported(bm, bse)) {
            nanResult(am, ase, bm, bse);
            return true;
        }
        return false;
    }

    private void invalid() {
        flags |= IE;
        setIndefinite();
    }

    // ---- arithmetic (exact, then one rounding) ----------------------------------------------

    private int ea;
    private long ma;

    /** Normalises a finite nonzero operand into {@link #ea}/{@link #ma}; DE for a denormal. */
    private void operand(long m, int se) {
        if ((se & 0x7fff) == 0) {
            flags |= DE;
        }
        ea = normalise(m, se);
        ma = nm;
    }

    /** a + b (or a - b when {@code subtract}), rounded once by rc to precBits. */
    public void add(long am, int ase, long bm, int bse, boolean subtract, int rc, int precBits) {
        if (special(am, ase, bm, bse)) {
            return;
        }
        int bse2 = subtract ? bse ^ 0x8000 : bse;
        boolean ainf = isInf(am, ase);
        boolean binf = isInf(bm, bse2);
        if (ainf || binf) {
            if (ainf && binf && neg(ase) != neg(bse2)) {
                invalid();
            } else {
                set(0x8000000000000000L, ainf ? ase : bse2);
            }
            return;
        }
        boolean az = am == 0;
        boolean bz = bm == 0;
        if (az && bz) {
            boolean n = neg(ase) && neg(bse2) || (neg(ase) != neg(bse2) && rc == RC_DOWN);
            set(0, n ? 0x8000 : 0);
            return;
        }
        if (az || bz) {
            long m = az ? bm : am;
            int s = az ? bse2 : ase;
            operand(m, s);
            pack(neg(s), ea, ma, 0L, rc, precBits);
            return;
        }
        operand(am, ase);
        int e1 = ea;
        long m1 = ma;
        boolean n1 = neg(ase);
        operand(bm, bse2);
        int e2 = ea;
        long m2 = ma;
        boolean n2 = neg(bse2);
        if (e1 < e2 || (e1 == e2 && Long.compareUnsigned(m1, m2) < 0)) {
            int te = e1;
            e1 = e2;
            e2 = te;
            long tm = m1;
            m1 = m2;
            m2 = tm;
            boolean tn = n1;
            n1 = n2;
            n2 = tn;
        }
        int d = e1 - e2;
        long bh;
        long bl;
        if (d == 0) {
            bh = m2;
            bl = 0;
        } else if (d < 64) {
            bh = m2 >>> d;
            bl = m2 << (64 - d);
        } else if (d < 128) {
            bh = 0;
            bl = m2 >>> (d - 64);
            if (d > 64 && (m2 << (128 - d)) != 0) {
                bl |= 1; // jam the bits shifted out
            }
        } else {
            bh = 0;
            bl = 1;
        }
        int e = e1;
        long rh;
        long rl;
        if (n1 == n2) {
            rl = bl;
            rh = m1 + bh;
            if (Long.compareUnsigned(rh, m1) < 0) { // carry out of bit 63
                long jam = rl & 1;
                rl = (rl >>> 1) | (rh << 63) | jam;
                rh = (rh >>> 1) | 0x8000000000000000L;
                e++;
            }
        } else {
            rl = -bl;
            rh = m1 - bh - (bl != 0 ? 1 : 0);
            if (rh == 0 && rl == 0) {
                set(0, rc == RC_DOWN ? 0x8000 : 0);
                return;
            }
            int lz = rh != 0 ? Long.numberOfLeadingZeros(rh) : 64 + Long.numberOfLeadingZeros(rl);
            if (lz >= 64) {
                rh = rl << (lz - 64);
                rl = 0;
            } else if (lz > 0) {
                rh = (rh << lz) | (rl >>> (64 - lz));
                rl <<= lz;
            }
            e -= lz;
        }
        pack(n1, e, rh, rl, rc, precBits);
    }

    public void mul(long am, int ase, long bm, int bse, int rc, int precBits) {
        if (special(am, ase, bm, bse)) {
            return;
        }
        int sign = (ase ^ bse) & 0x8000;
        boolean ainf = isInf(am, ase);
        boolean binf = isInf(bm, bse);
        if (ainf || binf) {
            if (am == 0 || bm == 0) {
                invalid();
            } else {
                set(0x8000000000000000L, sign | 0x7fff);
            }
            return;
        }
        if (am == 0 || bm == 0) {
            set(0, sign);
            return;
        }
        operand(am, ase);
        int e1 = ea;
        long m1 = ma;
        operand(bm, bse);
        long hi = Math.unsignedMultiplyHigh(m1, ma);
        long lo = m1 * ma;
        int e = e1 + ea + 1;
        if (hi >= 0) {
            hi = (hi << 1) | (lo >>> 63);
            lo <<= 1;
            e--;
        }
        pack(sign != 0, e, hi, lo, rc, precBits);
    }

    /** a / b. */
    public void div(long am, int ase, long bm, int bse, int rc, int precBits) {
        if (special(am, ase, bm, bse)) {
            return;
        }
        int sign = (ase ^ bse) & 0x8000;
        boolean ainf = isInf(am, ase);
        boolean binf = isInf(bm, bse);
        if (ainf && binf || am == 0 && bm == 0) {
            invalid();
            return;
        }
        if (ainf) {
            set(0x8000000000000000L, sign | 0x7fff);
            return;
        }
        if (binf || am == 0) {
            set(0, sign);
            return;
        }
        if (bm == 0) {
            flags |= ZE;
            set(0x8000000000000000L, sign | 0x7fff);
            return;
        }
        operand(am, ase);
        int e1 = ea;
        long r = ma;
        operand(bm, bse);
        long mb = ma;
        int e = e1 - ea;
        long q = 0;
        int bits = 64;
        if (Long.compareUnsigned(r, mb) >= 0) {
            r -= mb;
            q = 1;
            bits = 63;
        } else {
            e--;
        }
        for (int k = 0; k < bits; k++) { // restoring division: r < mb throughout
            boolean carry = r < 0;
            r <<= 1;
            q <<= 1;
            if (carry || Long.compareUnsigned(r, mb) >= 0) {
                r -= mb;
                q |= 1;
            }
        }
        long below;
        if (r == 0) {
            below = 0;
        } else {
            int c = r < 0 ? 1 : Long.compareUnsigned(r << 1, mb); // 2r against mb: the next bit and beyond
            below = c > 0 ? 0xC000000000000000L : c == 0 ? 0x8000000000000000L : 0x4000000000000000L;
        }
        pack(sign != 0, e, q, below, rc, precBits);
    }

    public void sqrt(long am, int ase, int rc, int precBits) {
        if (special(am, ase, am, ase)) {
            return;
        }
        if (am == 0) {
            set(0, ase);
            return;
        }
        if (neg(ase)) {
            invalid();
            return;
        }
        if (isInf(am, ase)) {
            set(am, ase);
            return;
        }
        operand(am, ase);
        int k = ea - 63; // value = ma * 2^k
        int j = ((k - 63) & 1) == 0 ? 63 : 64; // radicand ma * 2^j with (k - j) even
        java.math.BigInteger radicand = java.math.BigInteger.valueOf(ma >>> 1).shiftLeft(1)
                .or(java.math.BigInteger.valueOf(ma & 1)).shiftLeft(j);
        java.math.BigInteger[] sr = radicand.sqrtAndRemainder();
        long s = sr[0].longValue();
        long below;
        if (sr[1].signum() == 0) {
            below = 0;
        } else { // the fraction is above one half exactly when the remainder exceeds s
            boolean above = sr[1].compareTo(sr[0]) > 0;
            below = above ? 0xC000000000000000L : 0x4000000000000000L;
        }
        pack(false, 63 + (k - j) / 2, s, below, rc, precBits);
    }

    /** FSCALE's core: a * 2^n exactly (then rounded into range). */
    public void scale(long am, int ase, int n, int rc) {
        if (isNaN(am, ase) || isUnsupported(am, ase)) {
            nanResult(am, ase, am, ase);
            return;
        }
        if (isInf(am, ase) || am == 0) {
            set(am, ase);
            return;
        }
        int e = normalise(am, ase);
        long en = (long) e + n;
        en = Math.max(Math.min(en, 40000), -40000);
        pack(neg(ase), (int) en, nm, false, rc, 64);
    }

    /** Unbiased exponent of a finite nonzero value (FXTRACT), and its significand scaled to [1, 2) in {@link #m}. */
    public int extract(long am, int ase) {
        int e = normalise(am, ase);
        set(nm, (ase & 0x8000) | BIAS);
        return e;
    }

    /**
     * FPREM (round toward zero) or FPREM1 (nearest) of finite nonzero a by b, when their exponents
     * differ by at most {@code maxDiff}: remainder into the result, returns the low quotient bits.
     * b's exponent is first raised by {@code shiftB} (partial remainder steps).
     */
    public long remainder(long am, int ase, long bm, int bse, boolean nearest, int shiftB) {
        int ea = normalise(am, ase);
        long ma = nm;
        int eb = normalise(bm, bse) + shiftB;
        long mb = nm;
        boolean negative = neg(ase);
        if (ea < eb - 1 || (ea == eb - 1 && !nearest)) {
            set(am, ase);
            return 0;
        }
        long q = 0;
        long r;
        if (ea < eb) { // ea == eb - 1, nearest: |a| < |b|, quotient 0 or 1 after rounding
            r = ma;
            // compare 2r (=a relative to b's scale times 2) handled below with a half step
            // a = ma*2^(ea-63), b = mb*2^(eb-63) = 2*mb*2^(ea-63)
            // a > b/2  <=> ma > mb
            if (Long.compareUnsigned(ma, mb) > 0) {
                // remainder = a - b = (ma - 2mb) * 2^(ea-63), negative, magnitude 2mb - ma
                long mag2 = 2 * mb - ma; // may overflow into bit 64 only if mb >= 2^63 and ma small; ma > mb keeps it < 2^64
                q = 1;
                packInt(!negative, ea - 63, mag2);
                return q;
            }
            set(am, ase);
            return 0;
        }
        r = ma;
        int d = ea - eb;
        if (Long.compareUnsigned(r, mb) >= 0) {
            r -= mb;
            q = 1;
        }
        for (int k = 1; k <= d; k++) {
            boolean carry = r < 0; // 2r would need bit 64: it is certainly >= mb
            r <<= 1;
            q <<= 1;
            if (carry || Long.compareUnsigned(r, mb) >= 0) {
                r -= mb;
                q |= 1;
            }
        }
        // a = q*b + r*2^(eb-63), 0 <= r < mb
        if (nearest) {
            int c = Long.compareUnsigned(r, mb - r);
            if (c > 0 || (c == 0 && (q & 1) != 0)) {
                r = mb - r;
                negative = !negative;
                q++;
            }
        }
        if (r == 0) {
            set(0, ase & 0x8000);
            return q;
        }
        packInt(negative, eb - 63, r);
        return q;
    }

    /** Result = mag * 2^e (mag unsigned, nonzero, fits), exact unless out of range. */
    private void packInt(boolean negative, int e, long mag) {
        int lz = Long.numberOfLeadingZeros(mag);
        pack(negative, e + 63 - lz, mag << lz, false, RC_NEAR, 64);
    }
}
