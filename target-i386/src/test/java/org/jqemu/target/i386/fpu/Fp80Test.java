package org.jqemu.target.i386.fpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The 80-bit conversions and rounding of {@link Fp80}, checked against hand-computed encodings. */
class Fp80Test {
    private final Fp80 f = new Fp80();

    private void assertValue(int se, long m) {
        assertEquals(Integer.toHexString(se), Integer.toHexString(f.se), "sign/exponent");
        assertEquals(Long.toHexString(m), Long.toHexString(f.m), "significand");
    }

    @Test
    void doublesLoadExactly() {
        f.fromDouble(1.0);
        assertValue(0x3fff, 0x8000000000000000L);
        f.fromDouble(-2.5);
        assertValue(0xc000, 0xa000000000000000L);
        f.fromDouble(Math.PI);
        assertValue(0x4000, 0xc90fdaa22168c000L);
        f.fromDouble(-0.0);
        assertValue(0x8000, 0);
        f.fromDouble(Double.POSITIVE_INFINITY);
        assertValue(0x7fff, 0x8000000000000000L);
        f.fromDouble(Double.MIN_VALUE); // 2^-1074: normal in the 80-bit format
        assertValue(16383 - 1074, 0x8000000000000000L);
        assertEquals(Fp80.DE, f.flags);
    }

    @Test
    void signallingNanIsQuietedOnLoad() {
        f.fromDoubleBits(0x7ff4000000000000L);
        assertValue(0x7fff, 0xe000000000000000L);
        assertEquals(Fp80.IE, f.flags);
        f.flags = 0;
        f.fromFloatBits(0x7fc00000);
        assertValue(0x7fff, 0xc000000000000000L);
        assertEquals(0, f.flags);
    }

    @Test
    void floatsLoadExactly() {
        f.fromFloatBits(Float.floatToRawIntBits(1.5f));
        assertValue(0x3fff, 0xc000000000000000L);
        f.fromFloatBits(1); // smallest float denormal, 2^-149
        assertValue(16383 - 149, 0x8000000000000000L);
    }

    @Test
    void integersLoadExactly() {
        f.fromLong(Long.MIN_VALUE);
        assertValue(0xc03e, 0x8000000000000000L);
        f.fromLong(0x123456789abcdef1L);
        assertValue(0x403b, 0x91a2b3c4d5e6f788L);
        f.fromLong(-12345);
        assertValue(0xc00c, 0xc0e4000000000000L);
        f.fromLong(0);
        assertValue(0, 0);
    }

    @Test
    void integerRoundTripAllSizes() {
        long[] samples = {0, 1, -1, 42, -32768, 32767, Integer.MIN_VALUE, Integer.MAX_VALUE, Long.MIN_VALUE, Long.MAX_VALUE,
                0x123456789abcdef1L, -0x0fedcba987654321L};
        for (long v : samples) {
            f.fromLong(v);
            f.flags = 0;
            assertEquals(v, f.toInt(f.m, f.se, Fp80.RC_NEAR, 64), "m64 " + v);
            assertEquals(0, f.flags, "exact " + v);
        }
    }

    @Test
    void toIntRoundsByControl() {
        f.fromDouble(-2.5);
        long m = f.m;
        int se = f.se;
        assertEquals(-2, f.toInt(m, se, Fp80.RC_NEAR, 32));
        assertEquals(-3, f.toInt(m, se, Fp80.RC_DOWN, 32));
        assertEquals(-2, f.toInt(m, se, Fp80.RC_UP, 32));
        assertEquals(-2, f.toInt(m, se, Fp80.RC_ZERO, 32));
        assertTrue((f.flags & Fp80.PE) != 0);
        f.fromDouble(3.5);
        assertEquals(4, f.toInt(f.m, f.se, Fp80.RC_NEAR, 16));
    }

    @Test
    void toIntOutOfRangeGivesIndefinite() {
        f.fromDouble(40000);
        f.flags = 0;
        assertEquals(-32768, f.toInt(f.m, f.se, Fp80.RC_NEAR, 16));
        assertEquals(Fp80.IE, f.flags);
        f.fromDouble(-32768.4);
        f.flags = 0;
        assertEquals(-32768, f.toInt(f.m, f.se, Fp80.RC_NEAR, 16));
        assertEquals(Fp80.PE, f.flags);
        f.fromDouble(0x1p63);
        f.flags = 0;
        assertEquals(Long.MIN_VALUE, f.toInt(f.m, f.se, Fp80.RC_NEAR, 64));
        assertEquals(Fp80.IE, f.flags);
        f.fromDouble(-0x1p63);
        f.flags = 0;
        assertEquals(Long.MIN_VALUE, f.toInt(f.m, f.se, Fp80.RC_NEAR, 64));
        assertEquals(0, f.flags);
    }

    @Test
    void storeToDoubleRounds() {
        long m = 0xc90fdaa22168c235L; // pi, 64 bits
        assertEquals(Double.doubleToRawLongBits(Math.PI), f.toDoubleBits(m, 0x4000, Fp80.RC_NEAR));
        assertEquals(0x400921fb54442d18L, f.toDoubleBits(m, 0x4000, Fp80.RC_DOWN));
        assertEquals(0x400921fb54442d19L, f.toDoubleBits(m, 0x4000, Fp80.RC_UP));
        assertEquals(0x40490fdb, f.toFloatBits(m, 0x4000, Fp80.RC_NEAR));
        assertEquals(0x40490fda, f.toFloatBits(m, 0x4000, Fp80.RC_ZERO));
        // tie to even: 1 + 2^-53 rounds down, 1 + 3*2^-53 rounds up
        assertEquals(0x3ff0000000000000L, f.toDoubleBits(0x8000000000000400L, 0x3fff, Fp80.RC_NEAR));
        assertEquals(0x3ff0000000000002L, f.toDoubleBits(0x8000000000000c00L, 0x3fff, Fp80.RC_NEAR));
    }

    @Test
    void storeOverflowAndUnderflow() {
        f.flags = 0;
        assertEquals(0x7ff0000000000000L, f.toDoubleBits(0x8000000000000000L, 0x3fff + 1024, Fp80.RC_NEAR));
        assertEquals(Fp80.OE | Fp80.PE, f.flags);
        assertEquals(0x7fefffffffffffffL, f.toDoubleBits(0x8000000000000000L, 0x3fff + 1024, Fp80.RC_ZERO));
        f.flags = 0;
        // 2^-1074 exactly: the smallest double denormal, no exception
        assertEquals(1L, f.toDoubleBits(0x8000000000000000L, 0x3fff - 1074, Fp80.RC_NEAR));
        assertEquals(0, f.flags);
        // 2^-1076: underflows to zero (inexact) to nearest, to the smallest denormal upward
        assertEquals(0L, f.toDoubleBits(0x8000000000000000L, 0x3fff - 1076, Fp80.RC_NEAR));
        assertEquals(Fp80.UE | Fp80.PE, f.flags);
        assertEquals(1L, f.toDoubleBits(0x8000000000000000L, 0x3fff - 1076, Fp80.RC_UP));
        // a float denormal
        assertEquals(0x00400000, f.toFloatBits(0x8000000000000000L, 0x3fff - 127, Fp80.RC_NEAR));
    }

    @Test
    void nanAndIndefiniteStores() {
        assertEquals(0xfff8000000000000L, f.toDoubleBits(Fp80.INDEF_M, Fp80.INDEF_SE, Fp80.RC_NEAR));
        assertEquals(0xffc00000, f.toFloatBits(Fp80.INDEF_M, Fp80.INDEF_SE, Fp80.RC_NEAR));
        f.flags = 0;
        assertEquals(0x7ffc000000000000L, f.toDoubleBits(0xa000000000000000L, 0x7fff, Fp80.RC_NEAR)); // SNaN
        assertEquals(Fp80.IE, f.flags);
    }

    @Test
    void roundToIntegerByControl() {
        f.fromDouble(2.5);
        f.roundToInt(f.m, f.se, Fp80.RC_NEAR);
        assertEquals(2.0, Fp80.toDouble(f.m, f.se));
        f.fromDouble(2.5);
        f.roundToInt(f.m, f.se, Fp80.RC_UP);
        assertEquals(3.0, Fp80.toDouble(f.m, f.se));
        f.fromDouble(-0.25);
        f.roundToInt(f.m, f.se, Fp80.RC_NEAR);
        assertValue(0x8000, 0);
    }

    @Test
    void compareIsExactOnAllSixtyFourBits() {
        assertEquals(Fp80.LESS, f.compare(0x8000000000000000L, 0x3fff, 0x8000000000000001L, 0x3fff, false));
        assertEquals(Fp80.GREATER, f.compare(0x8000000000000000L, 0xbfff, 0x8000000000000001L, 0xbfff, false));
        assertEquals(Fp80.EQUAL, f.compare(0, 0x8000, 0, 0, false));
        f.flags = 0;
        assertEquals(Fp80.UNORDERED, f.compare(0xc000000000000000L, 0x7fff, 0, 0, true));
        assertEquals(0, f.flags);
        assertEquals(Fp80.UNORDERED, f.compare(0xc000000000000000L, 0x7fff, 0, 0, false));
        assertEquals(Fp80.IE, f.flags);
    }

    @Test
    void arithmeticKeepsTheExtendedExponentRange() {
        f.fromDouble(1e300);
        long m = f.m;
        int se = f.se;
        f.mul(m, se, m, se, Fp80.RC_NEAR, 64); // 1e600: no overflow in 80 bits
        assertFalse((f.flags & Fp80.OE) != 0);
        f.div(f.m, f.se, m, se, Fp80.RC_NEAR, 64);
        assertEquals(1e300, Fp80.toDouble(f.m, f.se));
    }

    @Test
    void arithmeticSpecialCases() {
        f.flags = 0;
        f.div(0x8000000000000000L, 0x3fff, 0, 0, Fp80.RC_NEAR, 64);
        assertValue(0x7fff, 0x8000000000000000L);
        assertEquals(Fp80.ZE, f.flags);
        f.flags = 0;
        f.add(0x8000000000000000L, 0x7fff, 0x8000000000000000L, 0x7fff, true, Fp80.RC_NEAR, 64); // inf - inf
        assertValue(Fp80.INDEF_SE, Fp80.INDEF_M);
        assertEquals(Fp80.IE, f.flags);
        f.flags = 0;
        f.add(0x8000000000000000L, 0x3fff, 0x8000000000000000L, 0x3fff, true, Fp80.RC_DOWN, 64); // 1 - 1, RC down
        assertValue(0x8000, 0);
        f.sqrt(0x8000000000000000L, 0x4001, Fp80.RC_NEAR, 64); // sqrt(4)
        assertValue(0x4000, 0x8000000000000000L);
        f.fromDouble(1.0 / 3);
        f.flags = 0;
        f.add(f.m, f.se, f.m, f.se, false, Fp80.RC_NEAR, 64);
        assertEquals(2.0 / 3, Fp80.toDouble(f.m, f.se));
        assertEquals(0, f.flags);
    }

    @Test
    void precisionControlRoundsResults() {
        f.fromDouble(1.0);
        long one = f.m;
        f.fromDouble(3.0);
        f.flags = 0;
        f.div(one, 0x3fff, f.m, f.se, Fp80.RC_NEAR, 24);
        assertEquals((double) (1.0f / 3), Fp80.toDouble(f.m, f.se));
        assertTrue((f.flags & Fp80.PE) != 0);
    }

    @Test
    void remainderQuotientBits() {
        f.fromDouble(17);
        long am = f.m;
        int ase = f.se;
        f.fromDouble(5);
        long bm = f.m;
        int bse = f.se;
        assertEquals(3, f.remainder(am, ase, bm, bse, false, 0));
        assertEquals(2.0, Fp80.toDouble(f.m, f.se));
        assertEquals(3, f.remainder(am, ase, bm, bse, true, 0));
        assertEquals(2.0, Fp80.toDouble(f.m, f.se));
        f.fromDouble(18);
        assertEquals(4, f.remainder(f.m, f.se, bm, bse, true, 0)); // 18 = 4*5 - 2
        assertEquals(-2.0, Fp80.toDouble(f.m, f.se));
        f.fromDouble(1e18);
        f.remainder(f.m, f.se, bm, bse, false, 0);
        assertEquals(0.0, Fp80.toDouble(f.m, f.se));
    }

    @Test
    void denormalResultsOfArithmetic() {
        // 2^-16382 / 2 = 2^-16383: an 80-bit denormal (exponent field 0, bit 62 set)
        f.flags = 0;
        f.div(0x8000000000000000L, 0x0001, 0x8000000000000000L, 0x4000, Fp80.RC_NEAR, 64);
        assertValue(0, 0x4000000000000000L);
        assertEquals(0, f.flags & Fp80.UE); // exact: no underflow when masked
    }
}
