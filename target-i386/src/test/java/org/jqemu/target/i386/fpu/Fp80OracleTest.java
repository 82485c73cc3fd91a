package org.jqemu.target.i386.fpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link Fp80} arithmetic against an independent oracle: the exact value computed with
 * BigDecimal, then rounded to a 64-bit significand by each rounding control. Random normal
 * operands with nearby and distant exponents, significands with long runs of ones and zeros.
 */
class Fp80OracleTest {
    private static final MathContext WIDE = new MathContext(600);
    private static final RoundingMode[] MODES = {RoundingMode.HALF_EVEN, RoundingMode.FLOOR, RoundingMode.CEILING,
            RoundingMode.DOWN};

    private static BigDecimal value(long m, int se) {
        int e = (se & 0x7fff) - 16383 - 63;
        BigDecimal v = new BigDecimal(new BigInteger(Long.toUnsignedString(m)));
        BigDecimal p = new BigDecimal(BigInteger.TWO.pow(Math.abs(e)));
        v = e >= 0 ? v.multiply(p) : v.divide(p);
        return (se & 0x8000) != 0 ? v.negate() : v;
    }

    /** x rounded to 64 significant bits by mode, as "se:m" hex. */
    private static String round(BigDecimal x, RoundingMode mode) {
        if (x.signum() == 0) {
            return "zero";
        }
        int sign = x.signum() < 0 ? 0x8000 : 0;
        BigDecimal a = x.abs();
        int e = a.unscaledValue().bitLength() - (int) Math.ceil(a.scale() * Math.log(10) / Math.log(2));
        BigDecimal two64 = new BigDecimal(BigInteger.TWO.pow(64));
        BigDecimal two63 = new BigDecimal(BigInteger.TWO.pow(63));
        BigDecimal scaled;
        while (true) {
            int sh = 63 - e;
            BigDecimal p = new BigDecimal(BigInteger.TWO.pow(Math.abs(sh)));
            scaled = sh >= 0 ? a.multiply(p) : a.divide(p);
            if (scaled.compareTo(two64) >= 0) {
                e++;
            } else if (scaled.compareTo(two63) < 0) {
                e--;
            } else {
                break;
            }
        }
        BigDecimal signed = sign != 0 ? scaled.negate() : scaled;
        BigInteger q = signed.setScale(0, mode).toBigInteger().abs();
        if (q.bitLength() > 64) {
            q = q.shiftRight(1);
            e++;
        }
        return Integer.toHexString(sign | (e + 16383)) + ":" + Long.toHexString(q.longValue());
    }

    private static long randomSig(Random r) {
        return switch (r.nextInt(4)) {
            case 0 -> r.nextLong() | Long.MIN_VALUE;
            case 1 -> -1L << r.nextInt(64);                        // ones then zeros
            case 2 -> Long.MIN_VALUE | (-1L >>> (1 + r.nextInt(63))); // one, zeros, ones
            default -> Long.MIN_VALUE | ((long) r.nextInt(1 << 20) << r.nextInt(40));
        };
    }

    private static int randomSe(Random r, int near) {
        return (r.nextBoolean() ? 0x8000 : 0) | (near + r.nextInt(141) - 70);
    }

    @Test
    void addSubMulDivSqrtRoundLikeTheOracle() {
        Random r = new Random(80);
        Fp80 f = new Fp80();
        for (int n = 0; n < 3000; n++) {
            long am = randomSig(r);
            long bm = randomSig(r);
            int ase = randomSe(r, 16383);
            int bse = r.nextInt(4) == 0 ? randomSe(r, ase & 0x7fff) & 0x7fff | (r.nextBoolean() ? 0x8000 : 0)
                    : ((ase & 0x7fff) + r.nextInt(5) - 2) | (r.nextBoolean() ? 0x8000 : 0);
            BigDecimal a = value(am, ase);
            BigDecimal b = value(bm, bse);
            for (int rc = 0; rc < 4; rc++) {
                String where = " a=" + Integer.toHexString(ase) + ":" + Long.toHexString(am) + " b="
                        + Integer.toHexString(bse) + ":" + Long.toHexString(bm) + " rc=" + rc;
                f.add(am, ase, bm, bse, false, rc, 64);
                assertEquals(round(a.add(b), MODES[rc]), result(f), "add" + where);
                f.add(am, ase, bm, bse, true, rc, 64);
                assertEquals(round(a.subtract(b), MODES[rc]), result(f), "sub" + where);
                f.mul(am, ase, bm, bse, rc, 64);
                assertEquals(round(a.multiply(b), MODES[rc]), result(f), "mul" + where);
                f.div(am, ase, bm, bse, rc, 64);
                assertEquals(round(a.divide(b, WIDE), MODES[rc]), result(f), "div" + where);
                f.sqrt(am, ase & 0x7fff, rc, 64);
                assertEquals(round(a.abs().sqrt(WIDE), MODES[rc]), result(f), "sqrt" + where);
            }
        }
    }

    private static String result(Fp80 f) {
        return f.m == 0 ? "zero" : Integer.toHexString(f.se) + ":" + Long.toHexString(f.m);
    }
}
