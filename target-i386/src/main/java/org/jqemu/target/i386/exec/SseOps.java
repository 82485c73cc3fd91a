package org.jqemu.target.i386.exec;

import org.jqemu.target.i386.SysBits;
import org.jqemu.target.i386.decode.Insn;
import org.jqemu.target.i386.fpu.FpuState;

/**
 * SSE and SSE2 instructions on XMM registers (Intel SDM vol. 2; opcode map vol. 2 appendix A.3,
 * the mandatory prefix none/66/F3/F2 selecting PS/PD/SS/SD): data movement, the 128-bit integer
 * operations, packed and scalar single/double arithmetic, comparisons and conversions. The
 * integer opcodes without a prefix go to {@link Mmx}. SSE3: LDDQU, MOVDDUP, MOVSLDUP, MOVSHDUP,
 * HADD/HSUB, ADDSUB (FISTTP is in X87; MONITOR/MWAIT are not). Not done: SSSE3 and later (the
 * 0F 38 / 0F 3A opcode maps), MOVQ2DQ/MOVDQ2Q,
 * the MMX-operand conversions (CVTPI2PS, CVTPS2PI, CVTPI2PD, ...), PREFETCHh is the existing
 * hint NOP.
 *
 * <p>Floating point: Java float/double arithmetic (IEEE round-to-nearest), then stepped one ulp
 * toward the exact value for MXCSR.RC down/up/zero using the exact residual (TwoSum / FMA), so
 * all four rounding modes are exact for add, sub, mul, div and sqrt; CVTSD2SS and the integer
 * conversions are rounded to nearest resp. by RC. FTZ/DAZ are ignored. MXCSR
 * exception flags: IE (invalid, SNaN), ZE, PE (inexact, via an exact-residual check), OE/UE
 * from the result's magnitude; an unmasked one raises #XM (or #UD without CR4.OSXMMEXCPT). NaN
 * results follow the SSE rule: the first NaN operand, quieted, else the default negative QNaN.
 */
final class SseOps {
    private SseOps() {
    }

    private static final int IE = 1, ZE = 4, OE = 8, UE = 0x10, PE = 0x20;

    /** Opcodes of the 0F page handled here. */
    static boolean handles(int op) {
        return (op >= 0x10 && op <= 0x17) || (op >= 0x28 && op <= 0x2f) || (op >= 0x50 && op <= 0x7f
                && op != 0x78 && op != 0x79 && op != 0x7a && op != 0x7b)
                || (op >= 0xc2 && op <= 0xc6 && op != 0xc3) || (op >= 0xd0 && op <= 0xfe);
    }

    /** The 66 mandatory prefix; REX.W must not hide it (66 REX.W 0F 6E/7E are MOVQ xmm, r64 and back). */
    private static boolean p66(Interpreter x, Insn i) {
        return i.p66;
    }

    static void exec(Interpreter x, Insn i, int op) {
        int pfx = i.rep == 2 ? 0xf2 : i.rep == 1 ? 0xf3 : p66(x, i) ? 0x66 : 0;
        FpuState f = x.c.fpu;
        if (pfx == 0 && (op >= 0x60 && op <= 0x7f || op >= 0xd1 || op == 0xc4 || op == 0xc5)) {
            Mmx.exec(x, i, op, f);
            return;
        }
        if ((x.c.cr0 & SysBits.CR0_EM) != 0 || (x.c.cr4 & SysBits.CR4_OSFXSR) == 0) {
            throw x.ud();
        }
        if ((x.c.cr0 & SysBits.CR0_TS) != 0) {
            throw x.intr.fault(7);
        }
        long[] v = f.xmm;
        int d = i.reg;
        if (op >= 0x60 && op <= 0x6d || op >= 0x71 && op <= 0x76 || op >= 0xd1) {
            integer(x, i, op, pfx, f);
            return;
        }
        switch (op) {
            case 0x10, 0x11 -> {
                boolean store = op == 0x11;
                if (pfx == 0xf3 || pfx == 0xf2) {
                    int size = pfx == 0xf3 ? 4 : 8;
                    if (store) {
                        if (i.mod == 3) {
                            setLow(v, i.rm, v[2 * d], size);
                        } else {
                            storeMem(x, i, v[2 * d], 0, size);
                        }
                    } else if (i.mod == 3) {
                        setLow(v, d, v[2 * i.rm], size);
                    } else {
                        load(x, i, f, size, false);
                        v[2 * d] = f.src[0];
                        v[2 * d + 1] = 0;
                    }
                } else {
                    move128(x, i, f, store, false);
                }
            }
            case 0x28, 0x29 -> {
                if (pfx != 0 && pfx != 0x66) {
                    throw x.ud();
                }
                move128(x, i, f, op == 0x29, true);
            }
            case 0x2b -> {
                if (i.mod == 3) {
                    throw x.ud();
                }
                storeMem(x, i, v[2 * d], v[2 * d + 1], 16, true);
            }
            case 0x12, 0x13, 0x16, 0x17 -> {
                if ((op == 0x12 || op == 0x16) && (pfx == 0xf2 || pfx == 0xf3)) {
                    sse3Dup(x, i, op, pfx, f);
                    return;
                }
                if (pfx != 0 && pfx != 0x66) {
                    throw x.ud();
                }
                boolean high = op >= 0x16;
                if ((op & 1) != 0) { // store m64
                    if (i.mod == 3) {
                        throw x.ud();
                    }
                    storeMem(x, i, v[2 * d + (high ? 1 : 0)], 0, 8);
                } else if (i.mod == 3) {
                    if (pfx == 0x66) {
                        throw x.ud();
                    }
                    if (high) {
                        v[2 * d + 1] = v[2 * i.rm]; // MOVLHPS
                    } else {
                        v[2 * d] = v[2 * i.rm + 1]; // MOVHLPS
                    }
                } else {
                    load(x, i, f, 8, false);
                    v[2 * d + (high ? 1 : 0)] = f.src[0];
                }
            }
            case 0x14, 0x15 -> {
                load(x, i, f, 16, true);
                long a0 = v[2 * d], a1 = v[2 * d + 1];
                long b0 = f.src[0], b1 = f.src[1];
                if (pfx == 0x66) {
                    v[2 * d] = op == 0x14 ? a0 : a1;
                    v[2 * d + 1] = op == 0x14 ? b0 : b1;
                } else if (pfx == 0) {
                    long a = op == 0x14 ? a0 : a1;
                    long b = op == 0x14 ? b0 : b1;
                    v[2 * d] = (a & 0xffffffffL) | (b << 32);
                    v[2 * d + 1] = (a >>> 32) | (b & 0xffffffff00000000L);
                } else {
                    throw x.ud();
                }
            }
            case 0x2a -> {
                if (pfx != 0xf3 && pfx != 0xf2) {
                    throw x.ud();
                }
                long n = i.o64 ? x.ldrm(i, 8) : (int) x.ldrm(i, 4); // REX.W: a 64-bit integer
                if (pfx == 0xf3) {
                    float r = (float) n;
                    if (new java.math.BigDecimal(r).compareTo(java.math.BigDecimal.valueOf(n)) != 0) {
                        raise(x, f, PE);
                    }
                    setLow(v, d, Float.floatToRawIntBits(r) & 0xffffffffL, 4);
                } else {
                    double r = (double) n;
                    if ((long) r != n || r == 0x1p63) {
                        raise(x, f, PE);
                    }
                    setLow(v, d, Double.doubleToRawLongBits(r), 8);
                }
            }
            case 0x2c, 0x2d -> {
                if (pfx != 0xf3 && pfx != 0xf2) {
                    throw x.ud();
                }
                load(x, i, f, pfx == 0xf3 ? 4 : 8, false);
                double a = pfx == 0xf3 ? Float.intBitsToFloat((int) f.src[0]) : Double.longBitsToDouble(f.src[0]);
                int rc = op == 0x2c ? 3 : (f.mxcsr >> 13) & 3;
                if (i.o64) {
                    x.wreg(d, 8, toInt64(x, f, a, rc));
                } else {
                    x.w32(d, toInt32(x, f, a, rc));
                }
            }
            case 0x2e, 0x2f -> {
                if (pfx != 0 && pfx != 0x66) {
                    throw x.ud();
                }
                boolean dbl = pfx == 0x66;
                load(x, i, f, dbl ? 8 : 4, false);
                double a = dbl ? Double.longBitsToDouble(v[2 * d]) : Float.intBitsToFloat((int) v[2 * d]);
                double b = dbl ? Double.longBitsToDouble(f.src[0]) : Float.intBitsToFloat((int) f.src[0]);
                int fl = x.F.compute() & ~(Flags.ZF | Flags.PF | Flags.CF | Flags.OF | Flags.SF | Flags.AF);
                if (Double.isNaN(a) || Double.isNaN(b)) {
                    boolean snan = dbl ? snan64(v[2 * d]) || snan64(f.src[0]) : snan32((int) v[2 * d]) || snan32((int) f.src[0]);
                    if (op == 0x2f || snan) {
                        raise(x, f, IE);
                    }
                    fl |= Flags.ZF | Flags.PF | Flags.CF;
                } else if (a < b) {
                    fl |= Flags.CF;
                } else if (a == b) {
                    fl |= Flags.ZF;
                }
                x.F.load(fl);
            }
            case 0x50 -> {
                if (i.mod != 3 || (pfx != 0 && pfx != 0x66)) {
                    throw x.ud();
                }
                long lo = v[2 * i.rm], hi = v[2 * i.rm + 1];
                int m = pfx == 0x66 ? (int) (lo >>> 63) | (int) (hi >>> 63) << 1
                        : (int) (lo >>> 31) & 1 | (int) (lo >>> 62) & 2 | ((int) (hi >>> 31) & 1) << 2 | ((int) (hi >>> 62) & 2) << 2;
                x.w32(d, m);
            }
            case 0x54, 0x55, 0x56, 0x57 -> {
                if (pfx != 0 && pfx != 0x66) {
                    throw x.ud();
                }
                load(x, i, f, 16, true);
                for (int k = 0; k < 2; k++) {
                    long a = v[2 * d + k], b = f.src[k];
                    v[2 * d + k] = switch (op) {
                        case 0x54 -> a & b;
                        case 0x55 -> ~a & b;
                        case 0x56 -> a | b;
                        default -> a ^ b;
                    };
                }
            }
            case 0x51, 0x58, 0x59, 0x5c, 0x5d, 0x5e, 0x5f -> arith(x, i, op, pfx, f);
            case 0x5a -> convertFloat(x, i, pfx, f);
            case 0x5b -> convertDq(x, i, pfx, f);
            case 0xc2 -> compare(x, i, pfx, f);
            case 0x7c, 0x7d, 0xd0 -> horizontal(x, i, op, pfx, f);
            case 0x6e, 0x7e -> {
                if (op == 0x7e && pfx == 0xf3) { // MOVQ xmm, xmm/m64
                    load(x, i, f, 8, false);
                    v[2 * d] = f.src[0];
                    v[2 * d + 1] = 0;
                } else if (pfx != 0x66) {
                    throw x.ud();
                } else if (op == 0x6e) { // MOVD xmm, r/m32; with REX.W MOVQ xmm, r/m64
                    v[2 * d] = i.o64 ? x.ldrm(i, 8) : (int) x.ldrm(i, 4) & 0xffffffffL;
                    v[2 * d + 1] = 0;
                } else if (i.o64) {
                    x.strm(i, 8, v[2 * d]);
                } else {
                    x.strm(i, 4, (int) v[2 * d]);
                }
            }
            case 0x6f, 0x7f -> {
                if (pfx != 0x66 && pfx != 0xf3) {
                    throw x.ud();
                }
                move128(x, i, f, op == 0x7f, pfx == 0x66);
            }
            case 0x70 -> {
                load(x, i, f, 16, true);
                int imm = i.imm & 0xff;
                long s0 = f.src[0], s1 = f.src[1];
                if (pfx == 0x66) {
                    long r0 = 0, r1 = 0;
                    for (int k = 0; k < 4; k++) {
                        int sel = (imm >> (2 * k)) & 3;
                        long e = ((sel < 2 ? s0 : s1) >>> (32 * (sel & 1))) & 0xffffffffL;
                        if (k < 2) {
                            r0 |= e << (32 * k);
                        } else {
                            r1 |= e << (32 * (k - 2));
                        }
                    }
                    v[2 * d] = r0;
                    v[2 * d + 1] = r1;
                } else if (pfx == 0xf2 || pfx == 0xf3) {
                    long w = pfx == 0xf2 ? s0 : s1;
                    long r = 0;
                    for (int k = 0; k < 4; k++) {
                        int sel = (imm >> (2 * k)) & 3;
                        r |= ((w >>> (16 * sel)) & 0xffff) << (16 * k);
                    }
                    v[2 * d] = pfx == 0xf2 ? r : s0;
                    v[2 * d + 1] = pfx == 0xf2 ? s1 : r;
                } else {
                    throw x.ud();
                }
            }
            case 0xc4 -> {
                if (pfx != 0x66) {
                    throw x.ud();
                }
                int w = (int) x.ldrm(i, 2) & 0xffff;
                int k = i.imm & 7;
                int q = 2 * d + (k >> 2);
                int sh = 16 * (k & 3);
                v[q] = (v[q] & ~(0xffffL << sh)) | ((long) w << sh);
            }
            case 0xc5 -> {
                if (pfx != 0x66 || i.mod != 3) {
                    throw x.ud();
                }
                int k = i.imm & 7;
                x.w32(d, (int) (v[2 * i.rm + (k >> 2)] >>> (16 * (k & 3))) & 0xffff);
            }
            case 0xc6 -> {
                load(x, i, f, 16, true);
                int imm = i.imm & 0xff;
                if (pfx == 0x66) {
                    long r0 = (imm & 1) == 0 ? v[2 * d] : v[2 * d + 1];
                    long r1 = (imm & 2) == 0 ? f.src[0] : f.src[1];
                    v[2 * d] = r0;
                    v[2 * d + 1] = r1;
                } else if (pfx == 0) {
                    long a0 = v[2 * d], a1 = v[2 * d + 1];
                    long e0 = dword(a0, a1, imm & 3), e1 = dword(a0, a1, (imm >> 2) & 3);
                    long e2 = dword(f.src[0], f.src[1], (imm >> 4) & 3), e3 = dword(f.src[0], f.src[1], (imm >> 6) & 3);
                    v[2 * d] = e0 | (e1 << 32);
                    v[2 * d + 1] = e2 | (e3 << 32);
                } else {
                    throw x.ud();
                }
            }
            default -> throw x.ud();
        }
    }

    private static long dword(long lo, long hi, int k) {
        return ((k < 2 ? lo : hi) >>> (32 * (k & 1))) & 0xffffffffL;
    }

    // ---- operand access -------------------------------------------------------------------

    /** The r/m source (register or {@code size} bytes of memory, zero-extended) into f.src. */
    private static void load(Interpreter x, Insn i, FpuState f, int size, boolean aligned) {
        if (i.mod == 3) {
            f.src[0] = f.xmm[2 * i.rm];
            f.src[1] = f.xmm[2 * i.rm + 1];
            return;
        }
        long off = x.ea(i);
        if (aligned && size == 16 && ((x.c.segBase[i.seg] + off) & 15) != 0) {
            throw x.gp0();
        }
        long la = x.lin(i.seg, off, size);
        if (size == 4) {
            f.src[0] = (int) x.rd(la, 4) & 0xffffffffL;
            f.src[1] = 0;
        } else {
            f.src[0] = ((int) x.rd(la, 4) & 0xffffffffL) | ((long) (int) x.rd(la + 4, 4) << 32);
            f.src[1] = size == 16 ? ((int) x.rd(la + 8, 4) & 0xffffffffL) | ((long) (int) x.rd(la + 12, 4) << 32) : 0;
        }
    }

    private static void storeMem(Interpreter x, Insn i, long lo, long hi, int size) {
        storeMem(x, i, lo, hi, size, false);
    }

    private static void storeMem(Interpreter x, Insn i, long lo, long hi, int size, boolean aligned) {
        long off = x.ea(i);
        if (aligned && ((x.c.segBase[i.seg] + off) & 15) != 0) {
            throw x.gp0();
        }
        long la = x.lin(i.seg, off, size);
        if (size == 16) {
            x.lin(i.seg, off, 16);
            x.wr(la + 12, 4, (int) (hi >>> 32));
            x.wr(la + 8, 4, (int) hi);
        }
        if (size >= 8) {
            x.wr(la + 4, 4, (int) (lo >>> 32));
        }
        x.wr(la, 4, (int) lo);
    }

    private static void setLow(long[] v, int r, long val, int size) {
        v[2 * r] = size == 8 ? val : (v[2 * r] & 0xffffffff00000000L) | (val & 0xffffffffL);
    }

    private static void move128(Interpreter x, Insn i, FpuState f, boolean store, boolean aligned) {
        long[] v = f.xmm;
        int d = i.reg;
        if (store) {
            if (i.mod == 3) {
                v[2 * i.rm] = v[2 * d];
                v[2 * i.rm + 1] = v[2 * d + 1];
            } else {
                storeMem(x, i, v[2 * d], v[2 * d + 1], 16, aligned);
            }
        } else {
            load(x, i, f, 16, aligned);
            v[2 * d] = f.src[0];
            v[2 * d + 1] = f.src[1];
        }
    }

    // ---- MXCSR exceptions -----------------------------------------------------------------

    private static void raise(Interpreter x, FpuState f, int e) {
        if (e == 0) {
            return;
        }
        f.mxcsr |= e;
        int masks = (f.mxcsr >> 7) & 0x3f;
        if ((e & ~masks) != 0) {
            throw (x.c.cr4 & SysBits.CR4_OSXMMEXCPT) != 0 ? x.intr.fault(19) : x.ud();
        }
    }

    private static boolean snan64(long b) {
        return (b & 0x7ff0000000000000L) == 0x7ff0000000000000L && (b & 0xfffffffffffffL) != 0 && (b & (1L << 51)) == 0;
    }

    private static boolean snan32(int b) {
        return (b & 0x7f800000) == 0x7f800000 && (b & 0x7fffff) != 0 && (b & (1 << 22)) == 0;
    }

    // ---- floating-point arithmetic --------------------------------------------------------

    private static long opD(FpuState f, int op, long ab, long bb) {
        double a = Double.longBitsToDouble(ab);
        double b = Double.longBitsToDouble(bb);
        if (op == 0x5d || op == 0x5f) { // MIN/MAX: the second operand unless a is strictly less/greater
            if (Double.isNaN(a) || Double.isNaN(b)) {
                f.simdFlags |= IE;
                return bb;
            }
            return (op == 0x5d ? a < b : a > b) ? ab : bb;
        }
        if (op == 0x51 && Double.isNaN(b)) {
            if (snan64(bb)) {
                f.simdFlags |= IE;
            }
            return bb | (1L << 51);
        }
        if (op != 0x51 && (Double.isNaN(a) || Double.isNaN(b))) {
            if (snan64(ab) || snan64(bb)) {
                f.simdFlags |= IE;
            }
            return (Double.isNaN(a) ? ab : bb) | (1L << 51);
        }
        double r;
        double err; // sign of (exact result - r), 0 when r is exact
        switch (op) {
            case 0x51 -> {
                r = Math.sqrt(b);
                err = Double.isNaN(r) || Double.isInfinite(r) ? 0 : -Math.fma(r, r, -b);
            }
            case 0x58, 0x5c -> {
                double bs = op == 0x58 ? b : -b;
                r = a + bs;
                double bv = r - a;
                err = Double.isInfinite(r) ? 0 : (a - (r - bv)) + (bs - bv);
            }
            case 0x59 -> {
                r = a * b;
                err = Double.isInfinite(r) ? 0 : Math.fma(a, b, -r);
            }
            default -> {
                if (b == 0 && a != 0 && !Double.isNaN(a)) {
                    f.simdFlags |= ZE;
                }
                r = a / b;
                err = Double.isInfinite(r) || Double.isNaN(r) || r == 0 && a == 0 ? 0 : -Math.fma(r, b, -a) * Math.signum(b);
            }
        }
        if (Double.isNaN(r)) {
            f.simdFlags |= IE;
            return 0xfff8000000000000L;
        }
        int rc = (f.mxcsr >> 13) & 3;
        if (Double.isInfinite(r) && !Double.isInfinite(a) && !Double.isInfinite(b) && (op != 0x5e || b != 0)) {
            f.simdFlags |= OE | PE;
            if (rc == 3 || rc == 1 && r > 0 || rc == 2 && r < 0) {
                r = Math.copySign(Double.MAX_VALUE, r);
            }
        }
        boolean inexact = err != 0;
        if (inexact && rc != 0) { // directed rounding: step r toward the exact value when needed
            if (rc == 1 && err < 0 || rc == 3 && err < 0 && r > 0) {
                r = Math.nextDown(r);
            } else if (rc == 2 && err > 0 || rc == 3 && err > 0 && r < 0) {
                r = Math.nextUp(r);
            }
        }
        if (inexact) {
            f.simdFlags |= PE;
            if (r != 0 && Math.abs(r) < Double.MIN_NORMAL) {
                f.simdFlags |= UE;
            }
        }
        return Double.doubleToRawLongBits(r);
    }

    private static int opS(FpuState f, int op, int ab, int bb) {
        float a = Float.intBitsToFloat(ab);
        float b = Float.intBitsToFloat(bb);
        if (op == 0x5d || op == 0x5f) {
            if (Float.isNaN(a) || Float.isNaN(b)) {
                f.simdFlags |= IE;
                return bb;
            }
            return (op == 0x5d ? a < b : a > b) ? ab : bb;
        }
        if (op != 0x51 && (Float.isNaN(a) || Float.isNaN(b))) {
            if (snan32(ab) || snan32(bb)) {
                f.simdFlags |= IE;
            }
            return (Float.isNaN(a) ? ab : bb) | (1 << 22);
        }
        if (op == 0x51 && Float.isNaN(b)) {
            if (snan32(bb)) {
                f.simdFlags |= IE;
            }
            return bb | (1 << 22);
        }
        // exact in double, then one rounding to float
        double r = switch (op) {
            case 0x51 -> Math.sqrt(b);
            case 0x58 -> (double) a + b;
            case 0x5c -> (double) a - b;
            case 0x59 -> (double) a * b;
            default -> (double) a / b;
        };
        if (op == 0x5e && b == 0 && a != 0) {
            f.simdFlags |= ZE;
        }
        float fr = (float) r;
        int rc = (f.mxcsr >> 13) & 3;
        if (rc != 0 && !Float.isNaN(fr) && !Double.isInfinite(r)) {
            double err = r - fr;
            if (Float.isInfinite(fr)) {
                if (rc == 3 || rc == 1 && r > 0 || rc == 2 && r < 0) {
                    fr = Math.copySign(Float.MAX_VALUE, fr);
                }
            } else if (rc == 1 && err < 0 || rc == 3 && err < 0 && fr > 0) {
                fr = Math.nextDown(fr);
            } else if (rc == 2 && err > 0 || rc == 3 && err > 0 && fr < 0) {
                fr = Math.nextUp(fr);
            }
        }
        if (Float.isNaN(fr)) {
            f.simdFlags |= IE;
            return 0xffc00000;
        }
        boolean inexact = op == 0x51 || op == 0x5e ? !Float.isInfinite(fr) && (double) fr * (op == 0x51 ? fr : b) != (op == 0x51 ? b : a)
                : (double) fr != r;
        if (Float.isInfinite(fr) && !Float.isInfinite(a) && !Float.isInfinite(b) && !(op == 0x5e && b == 0)) {
            f.simdFlags |= OE | PE;
        } else if (inexact && fr == fr) {
            f.simdFlags |= PE;
            if (fr != 0 && Math.abs(fr) < Float.MIN_NORMAL) {
                f.simdFlags |= UE;
            }
        }
        return Float.floatToRawIntBits(fr);
    }

    private static void arith(Interpreter x, Insn i, int op, int pfx, FpuState f) {
        long[] v = f.xmm;
        int d = i.reg;
        boolean scalar = pfx == 0xf3 || pfx == 0xf2;
        boolean dbl = pfx == 0x66 || pfx == 0xf2;
        load(x, i, f, scalar ? (dbl ? 8 : 4) : 16, !scalar);
        f.simdFlags = 0;
        long r0 = v[2 * d], r1 = v[2 * d + 1];
        if (dbl) {
            r0 = opD(f, op, r0, f.src[0]);
            if (!scalar) {
                r1 = opD(f, op, r1, f.src[1]);
            }
        } else {
            int lo = opS(f, op, (int) r0, (int) f.src[0]);
            if (scalar) {
                r0 = (r0 & 0xffffffff00000000L) | (lo & 0xffffffffL);
            } else {
                int hi = opS(f, op, (int) (r0 >>> 32), (int) (f.src[0] >>> 32));
                int lo2 = opS(f, op, (int) r1, (int) f.src[1]);
                int hi2 = opS(f, op, (int) (r1 >>> 32), (int) (f.src[1] >>> 32));
                r0 = (lo & 0xffffffffL) | ((long) hi << 32);
                r1 = (lo2 & 0xffffffffL) | ((long) hi2 << 32);
            }
        }
        raise(x, f, f.simdFlags);
        v[2 * d] = r0;
        v[2 * d + 1] = r1;
    }

    private static boolean cmpD(int pred, double a, double b) {
        boolean un = Double.isNaN(a) || Double.isNaN(b);
        return switch (pred & 7) {
            case 0 -> a == b;
            case 1 -> a < b;
            case 2 -> a <= b;
            case 3 -> un;
            case 4 -> !(a == b);
            case 5 -> !(a < b);
            case 6 -> !(a <= b);
            default -> !un;
        };
    }

    private static void compare(Interpreter x, Insn i, int pfx, FpuState f) {
        long[] v = f.xmm;
        int d = i.reg;
        boolean scalar = pfx == 0xf3 || pfx == 0xf2;
        boolean dbl = pfx == 0x66 || pfx == 0xf2;
        load(x, i, f, scalar ? (dbl ? 8 : 4) : 16, !scalar);
        int pred = i.imm & 7;
        boolean signalling = pred == 1 || pred == 2 || pred == 5 || pred == 6;
        int lanes = scalar ? 1 : dbl ? 2 : 4;
        long r0 = v[2 * d], r1 = v[2 * d + 1];
        int exc = 0;
        for (int k = 0; k < lanes; k++) {
            double a, b;
            boolean snan;
            if (dbl) {
                long ab = k == 0 ? r0 : r1, bb = f.src[k];
                a = Double.longBitsToDouble(ab);
                b = Double.longBitsToDouble(bb);
                snan = snan64(ab) || snan64(bb);
            } else {
                int ab = (int) ((k < 2 ? v[2 * d] : v[2 * d + 1]) >>> (32 * (k & 1)));
                int bb = (int) (f.src[k >> 1] >>> (32 * (k & 1)));
                a = Float.intBitsToFloat(ab);
                b = Float.intBitsToFloat(bb);
                snan = snan32(ab) || snan32(bb);
            }
            if (snan || signalling && (Double.isNaN(a) || Double.isNaN(b))) {
                exc |= IE;
            }
            boolean t = cmpD(pred, a, b);
            if (dbl) {
                if (k == 0) {
                    r0 = t ? -1L : 0;
                } else {
                    r1 = t ? -1L : 0;
                }
            } else {
                long m = 0xffffffffL << (32 * (k & 1));
                if (k < 2) {
                    r0 = t ? r0 | m : r0 & ~m;
                } else {
                    r1 = t ? r1 | m : r1 & ~m;
                }
            }
        }
        raise(x, f, exc);
        v[2 * d] = r0;
        v[2 * d + 1] = r1;
    }

    /** Double to int32 by rc (0 nearest, 1 down, 2 up, 3 chop); NaN/out of range: 0x80000000 and IE. */
    private static int toInt32(Interpreter x, FpuState f, double a, int rc) {
        if (Double.isNaN(a)) {
            raise(x, f, IE);
            return 0x80000000;
        }
        double r = switch (rc) {
            case 0 -> Math.rint(a);
            case 1 -> Math.floor(a);
            case 2 -> Math.ceil(a);
            default -> a < 0 ? Math.ceil(a) : Math.floor(a);
        };
        if (r >= 0x1p31 || r < -0x1p31) {
            raise(x, f, IE);
            return 0x80000000;
        }
        if (r != a) {
            raise(x, f, PE);
        }
        return (int) r;
    }

    /** As {@link #toInt32} for a 64-bit destination (REX.W). */
    private static long toInt64(Interpreter x, FpuState f, double a, int rc) {
        if (Double.isNaN(a)) {
            raise(x, f, IE);
            return Long.MIN_VALUE;
        }
        double r = switch (rc) {
            case 0 -> Math.rint(a);
            case 1 -> Math.floor(a);
            case 2 -> Math.ceil(a);
            default -> a < 0 ? Math.ceil(a) : Math.floor(a);
        };
        if (r >= 0x1p63 || r < -0x1p63) {
            raise(x, f, IE);
            return Long.MIN_VALUE;
        }
        if (r != a) {
            raise(x, f, PE);
        }
        return (long) r;
    }

    private static void convertFloat(Interpreter x, Insn i, int pfx, FpuState f) {
        long[] v = f.xmm;
        int d = i.reg;
        switch (pfx) {
            case 0xf3 -> { // CVTSS2SD
                load(x, i, f, 4, false);
                v[2 * d] = Double.doubleToRawLongBits(widen((int) f.src[0]));
            }
            case 0xf2 -> { // CVTSD2SS
                load(x, i, f, 8, false);
                setLow(v, d, narrow(x, f, f.src[0]) & 0xffffffffL, 4);
            }
            case 0 -> { // CVTPS2PD
                load(x, i, f, 8, false);
                long s = f.src[0];
                v[2 * d] = Double.doubleToRawLongBits(widen((int) s));
                v[2 * d + 1] = Double.doubleToRawLongBits(widen((int) (s >>> 32)));
            }
            default -> { // CVTPD2PS
                load(x, i, f, 16, true);
                int lo = narrow(x, f, f.src[0]);
                int hi = narrow(x, f, f.src[1]);
                v[2 * d] = (lo & 0xffffffffL) | ((long) hi << 32);
                v[2 * d + 1] = 0;
            }
        }
    }

    private static double widen(int bits) {
        if (snan32(bits)) {
            bits |= 1 << 22; // quieted (IE not raised here: masked by default)
        }
        return Float.intBitsToFloat(bits);
    }

    private static int narrow(Interpreter x, FpuState f, long bits) {
        double a = Double.longBitsToDouble(bits);
        if (Double.isNaN(a)) {
            if (snan64(bits)) {
                raise(x, f, IE);
            }
            return (int) (bits >>> 32) & 0x80000000 | 0x7fc00000 | (int) ((bits >>> 29) & 0x3fffff);
        }
        float r = (float) a;
        if (r != a) {
            raise(x, f, Float.isInfinite(r) ? OE | PE : PE);
        }
        return Float.floatToRawIntBits(r);
    }

    private static void convertDq(Interpreter x, Insn i, int pfx, FpuState f) {
        long[] v = f.xmm;
        int d = i.reg;
        load(x, i, f, 16, true);
        long r0 = 0, r1 = 0;
        for (int k = 0; k < 4; k++) {
            long e = (f.src[k >> 1] >>> (32 * (k & 1))) & 0xffffffffL;
            long out;
            if (pfx == 0) { // CVTDQ2PS
                out = Float.floatToRawIntBits((float) (int) e) & 0xffffffffL;
            } else { // CVTPS2DQ (66), CVTTPS2DQ (F3)
                int rc = pfx == 0xf3 ? 3 : (f.mxcsr >> 13) & 3;
                out = toInt32(x, f, Float.intBitsToFloat((int) e), rc) & 0xffffffffL;
            }
            if (k < 2) {
                r0 |= out << (32 * k);
            } else {
                r1 |= out << (32 * (k - 2));
            }
        }
        if (pfx == 0xf2) {
            throw x.ud();
        }
        v[2 * d] = r0;
        v[2 * d + 1] = r1;
    }

    // ---- SSE3 -----------------------------------------------------------------------------

    /** MOVDDUP (F2 0F 12), MOVSLDUP (F3 0F 12), MOVSHDUP (F3 0F 16). */
    private static void sse3Dup(Interpreter x, Insn i, int op, int pfx, FpuState f) {
        long[] v = f.xmm;
        int d = i.reg;
        if (pfx == 0xf2) {
            if (op != 0x12) {
                throw x.ud();
            }
            load(x, i, f, 8, false);
            v[2 * d] = f.src[0];
            v[2 * d + 1] = f.src[0];
            return;
        }
        load(x, i, f, 16, true);
        int sh = op == 0x12 ? 0 : 32;
        long lo = (f.src[0] >>> sh) & 0xffffffffL;
        long hi = (f.src[1] >>> sh) & 0xffffffffL;
        v[2 * d] = lo | (lo << 32);
        v[2 * d + 1] = hi | (hi << 32);
    }

    /** HADDPD/HSUBPD (66 0F 7C/7D), HADDPS/HSUBPS (F2 0F 7C/7D), ADDSUBPD/PS (66/F2 0F D0). */
    private static void horizontal(Interpreter x, Insn i, int op, int pfx, FpuState f) {
        if (pfx != 0x66 && pfx != 0xf2) {
            throw x.ud();
        }
        long[] v = f.xmm;
        int d = i.reg;
        load(x, i, f, 16, true);
        f.simdFlags = 0;
        long a0 = v[2 * d], a1 = v[2 * d + 1], b0 = f.src[0], b1 = f.src[1];
        long r0, r1;
        if (pfx == 0x66) {
            if (op == 0xd0) {
                r0 = opD(f, 0x5c, a0, b0);
                r1 = opD(f, 0x58, a1, b1);
            } else {
                int o = op == 0x7c ? 0x58 : 0x5c;
                r0 = opD(f, o, a0, a1);
                r1 = opD(f, o, b0, b1);
            }
        } else {
            int e0, e1, e2, e3;
            if (op == 0xd0) { // even lanes subtract, odd lanes add
                e0 = opS(f, 0x5c, (int) a0, (int) b0);
                e1 = opS(f, 0x58, (int) (a0 >>> 32), (int) (b0 >>> 32));
                e2 = opS(f, 0x5c, (int) a1, (int) b1);
                e3 = opS(f, 0x58, (int) (a1 >>> 32), (int) (b1 >>> 32));
            } else {
                int o = op == 0x7c ? 0x58 : 0x5c;
                e0 = opS(f, o, (int) a0, (int) (a0 >>> 32));
                e1 = opS(f, o, (int) a1, (int) (a1 >>> 32));
                e2 = opS(f, o, (int) b0, (int) (b0 >>> 32));
                e3 = opS(f, o, (int) b1, (int) (b1 >>> 32));
            }
            r0 = (e0 & 0xffffffffL) | ((long) e1 << 32);
            r1 = (e2 & 0xffffffffL) | ((long) e3 << 32);
        }
        raise(x, f, f.simdFlags);
        v[2 * d] = r0;
        v[2 * d + 1] = r1;
    }

    // ---- 128-bit integer operations (66 prefix) -------------------------------------------

    static long lane(long lo, long hi, int k, int es) {
        int bit = k * es * 8;
        long w = bit < 64 ? lo : hi;
        int sh = bit & 63;
        return es == 8 ? w : (w >>> sh) & ((1L << (es * 8)) - 1);
    }

    private static long sx(long e, int es) {
        int s = 64 - es * 8;
        return (e << s) >> s;
    }

    static void put(FpuState f, int k, int es, long e) {
        int bit = k * es * 8;
        long m = es == 8 ? -1L : ((1L << (es * 8)) - 1);
        long val = (e & m) << (bit & 63);
        if (bit < 64) {
            f.res0 |= val;
        } else {
            f.res1 |= val;
        }
    }

    private static long sat(long e, int es, boolean signed) {
        int bits = es * 8;
        long max = signed ? (1L << (bits - 1)) - 1 : (1L << bits) - 1;
        long min = signed ? -(1L << (bits - 1)) : 0;
        return Math.max(min, Math.min(max, e));
    }

    private static void integer(Interpreter x, Insn i, int op, int pfx, FpuState f) {
        integer(x, i, op, pfx, f, 16);
    }

    /**
     * The integer operations on {@code width} bytes: 16 for XMM (66 prefix), 8 for MMX (the
     * caller has loaded the MMX operands: destination in f.xmm[32..], source in f.src).
     */
    static void integer(Interpreter x, Insn i, int op, int pfx, FpuState f, int width) {
        boolean mmx = width == 8;
        if (op == 0xe6 && pfx != 0) {
            cvtE6(x, i, pfx, f);
            return;
        }
        if (op == 0xf0) { // LDDQU (SSE3): an unaligned load
            if (pfx != 0xf2 || i.mod == 3) {
                throw x.ud();
            }
            load(x, i, f, 16, false);
            f.xmm[2 * i.reg] = f.src[0];
            f.xmm[2 * i.reg + 1] = f.src[1];
            return;
        }
        if (pfx != 0x66 && !mmx) {
            throw x.ud(); // MOVQ2DQ/MOVDQ2Q are not implemented
        }
        long[] v = f.xmm;
        int d = mmx ? 16 : i.reg; // MMX: f.xmm[32], f.xmm[33] hold the destination (see Mmx)
        if (op == 0xd6) { // MOVQ xmm/m64, xmm
            if (i.mod == 3) {
                v[2 * i.rm] = v[2 * d];
                v[2 * i.rm + 1] = 0;
            } else {
                storeMem(x, i, v[2 * d], 0, 8);
            }
            return;
        }
        if (op == 0xd7) { // PMOVMSKB
            if (i.mod != 3) {
                throw x.ud();
            }
            int m = 0;
            for (int k = 0; k < 16; k++) {
                m |= (int) (lane(v[2 * i.rm], v[2 * i.rm + 1], k, 1) >>> 7) << k;
            }
            x.w32(d, m);
            return;
        }
        if (op == 0xe6) {
            cvtE6(x, i, pfx, f);
            return;
        }
        if (op == 0xe7) { // MOVNTDQ
            if (i.mod == 3) {
                throw x.ud();
            }
            storeMem(x, i, v[2 * d], v[2 * d + 1], 16, true);
            return;
        }
        if (op == 0xf7) { // MASKMOVDQU: bytes of xmm(reg) whose mask byte in xmm(rm) has bit 7, to DS:(E)DI
            if (i.mod != 3) {
                throw x.ud();
            }
            int off = i.a32 ? (int) x.regs[7] : (int) x.regs[7] & 0xffff;
            int seg = i.segOverride ? i.seg : Interpreter.DS;
            x.lin(seg, off, 16);
            for (int k = 0; k < 16; k++) {
                if ((lane(v[2 * i.rm], v[2 * i.rm + 1], k, 1) & 0x80) != 0) {
                    int o = i.a32 ? off + k : (off + k) & 0xffff;
                    x.wr(x.lin(seg, o, 1), 1, (int) lane(v[2 * d], v[2 * d + 1], k, 1));
                }
            }
            return;
        }
        if (op >= 0x71 && op <= 0x73) {
            shiftImm(x, i, op, f);
            return;
        }
        if (!mmx) {
            load(x, i, f, 16, true);
        }
        long a0 = v[2 * d], a1 = v[2 * d + 1];
        long b0 = f.src[0], b1 = f.src[1];
        f.res0 = 0;
        f.res1 = 0;
        switch (op) {
            case 0x60, 0x61, 0x62, 0x6c, 0x68, 0x69, 0x6a, 0x6d -> { // unpack low/high
                int es = op == 0x60 || op == 0x68 ? 1 : op == 0x61 || op == 0x69 ? 2 : op == 0x62 || op == 0x6a ? 4 : 8;
                int n = width / es;
                int base = op >= 0x68 && op != 0x6c ? n / 2 : 0;
                if (op == 0x6d) {
                    base = 1;
                }
                for (int k = 0; k < n / 2; k++) {
                    put(f, 2 * k, es, lane(a0, a1, base + k, es));
                    put(f, 2 * k + 1, es, lane(b0, b1, base + k, es));
                }
            }
            case 0x63, 0x67, 0x6b -> { // PACKSSWB, PACKUSWB, PACKSSDW
                int es = op == 0x6b ? 4 : 2;
                int n = width / es;
                boolean signed = op != 0x67;
                for (int k = 0; k < n; k++) {
                    put(f, k, es / 2, sat(sx(lane(a0, a1, k, es), es), es / 2, signed));
                    put(f, k + n, es / 2, sat(sx(lane(b0, b1, k, es), es), es / 2, signed));
                }
            }
            case 0x64, 0x65, 0x66, 0x74, 0x75, 0x76 -> {
                int es = switch (op) {
                    case 0x64, 0x74 -> 1;
                    case 0x65, 0x75 -> 2;
                    default -> 4;
                };
                boolean eq = op >= 0x74;
                for (int k = 0; k < width / es; k++) {
                    long a = lane(a0, a1, k, es), b = lane(b0, b1, k, es);
                    boolean t = eq ? a == b : sx(a, es) > sx(b, es);
                    put(f, k, es, t ? -1 : 0);
                }
            }
            case 0xdb -> {
                f.res0 = a0 & b0;
                f.res1 = a1 & b1;
            }
            case 0xdf -> {
                f.res0 = ~a0 & b0;
                f.res1 = ~a1 & b1;
            }
            case 0xeb -> {
                f.res0 = a0 | b0;
                f.res1 = a1 | b1;
            }
            case 0xef -> {
                f.res0 = a0 ^ b0;
                f.res1 = a1 ^ b1;
            }
            case 0xd1, 0xd2, 0xd3, 0xe1, 0xe2, 0xf1, 0xf2, 0xf3 -> {
                int es = switch (op & 0xf) {
                    case 1 -> 2;
                    case 2 -> 4;
                    default -> 8;
                };
                long count = Long.compareUnsigned(b0, 64) >= 0 ? 64 : b0;
                shiftLanes(f, op >= 0xf0 ? 6 : op >= 0xe0 ? 4 : 2, es, a0, a1, count, width);
            }
            case 0xd4, 0xfb, 0xfc, 0xfd, 0xfe, 0xf8, 0xf9, 0xfa, 0xd8, 0xd9, 0xdc, 0xdd, 0xe8, 0xe9, 0xec, 0xed -> {
                boolean sub = op == 0xfb || op == 0xf8 || op == 0xf9 || op == 0xfa || op == 0xd8 || op == 0xd9 || op == 0xe8
                        || op == 0xe9;
                int es = switch (op) {
                    case 0xd4, 0xfb -> 8;
                    case 0xfc, 0xf8, 0xd8, 0xdc, 0xe8, 0xec -> 1;
                    case 0xfd, 0xf9, 0xd9, 0xdd, 0xe9, 0xed -> 2;
                    default -> 4;
                };
                int satMode = op >= 0xd8 && op <= 0xdd ? 1 : op >= 0xe8 && op <= 0xed ? 2 : 0; // 1 unsigned, 2 signed
                for (int k = 0; k < width / es; k++) {
                    long a = lane(a0, a1, k, es), b = lane(b0, b1, k, es);
                    if (satMode == 2) {
                        a = sx(a, es);
                        b = sx(b, es);
                    }
                    long r = sub ? a - b : a + b;
                    if (satMode != 0) {
                        r = sat(r, es, satMode == 2);
                    }
                    put(f, k, es, r);
                }
            }
            case 0xda, 0xde, 0xea, 0xee, 0xe0, 0xe3 -> { // PMINUB PMAXUB PMINSW PMAXSW PAVGB PAVGW
                int es = op == 0xda || op == 0xde || op == 0xe0 ? 1 : 2;
                for (int k = 0; k < width / es; k++) {
                    long a = lane(a0, a1, k, es), b = lane(b0, b1, k, es);
                    if (op == 0xea || op == 0xee) {
                        a = sx(a, es);
                        b = sx(b, es);
                    }
                    long r = switch (op) {
                        case 0xda, 0xea -> Math.min(a, b);
                        case 0xde, 0xee -> Math.max(a, b);
                        default -> (a + b + 1) >> 1;
                    };
                    put(f, k, es, r);
                }
            }
            case 0xd5, 0xe5, 0xe4 -> { // PMULLW PMULHW PMULHUW
                for (int k = 0; k < 8; k++) {
                    long a = lane(a0, a1, k, 2), b = lane(b0, b1, k, 2);
                    long p = op == 0xe4 ? a * b : sx(a, 2) * sx(b, 2);
                    put(f, k, 2, op == 0xd5 ? p : p >> 16);
                }
            }
            case 0xf4 -> { // PMULUDQ
                f.res0 = (a0 & 0xffffffffL) * (b0 & 0xffffffffL);
                f.res1 = (a1 & 0xffffffffL) * (b1 & 0xffffffffL);
            }
            case 0xf5 -> { // PMADDWD
                for (int k = 0; k < 4; k++) {
                    long s = sx(lane(a0, a1, 2 * k, 2), 2) * sx(lane(b0, b1, 2 * k, 2), 2)
                            + sx(lane(a0, a1, 2 * k + 1, 2), 2) * sx(lane(b0, b1, 2 * k + 1, 2), 2);
                    put(f, k, 4, s);
                }
            }
            case 0xf6 -> { // PSADBW
                long s0 = 0, s1 = 0;
                for (int k = 0; k < 8; k++) {
                    s0 += Math.abs(lane(a0, a1, k, 1) - lane(b0, b1, k, 1));
                    s1 += Math.abs(lane(a0, a1, k + 8, 1) - lane(b0, b1, k + 8, 1));
                }
                f.res0 = s0;
                f.res1 = s1;
            }
            default -> throw x.ud();
        }
        v[2 * d] = f.res0;
        v[2 * d + 1] = f.res1;
    }

    /** kind 2 = logical right, 4 = arithmetic right, 6 = left, by count (>= 64 means "all out"). */
    static void shiftLanes(FpuState f, int kind, int es, long a0, long a1, long count, int width) {
        int bits = es * 8;
        for (int k = 0; k < width / es; k++) {
            long a = lane(a0, a1, k, es);
            long r;
            if (kind == 4) {
                r = sx(a, es) >> Math.min(count, bits - 1);
            } else if (count >= bits) {
                r = 0;
            } else {
                r = kind == 2 ? a >>> count : a << count;
            }
            put(f, k, es, r);
        }
    }

    private static void shiftImm(Interpreter x, Insn i, int op, FpuState f) {
        if (i.mod != 3) {
            throw x.ud();
        }
        long[] v = f.xmm;
        int d = i.rm;
        long a0 = v[2 * d], a1 = v[2 * d + 1];
        int count = i.imm & 0xff;
        f.res0 = 0;
        f.res1 = 0;
        int kind = i.reg;
        if (op == 0x73 && (kind == 3 || kind == 7)) { // PSRLDQ / PSLLDQ by bytes
            int n = Math.min(count, 16);
            for (int k = 0; k < 16; k++) {
                int src = kind == 3 ? k + n : k - n;
                put(f, k, 1, src >= 0 && src < 16 ? lane(a0, a1, src, 1) : 0);
            }
        } else {
            int es = op == 0x71 ? 2 : op == 0x72 ? 4 : 8;
            if (kind != 2 && kind != 6 && !(kind == 4 && es != 8)) {
                throw x.ud();
            }
            shiftLanes(f, kind, es, a0, a1, count, 16);
        }
        v[2 * d] = f.res0;
        v[2 * d + 1] = f.res1;
    }

    /** 0F E6: CVTDQ2PD (F3), CVTPD2DQ (F2), CVTTPD2DQ (66). */
    private static void cvtE6(Interpreter x, Insn i, int pfx, FpuState f) {
        long[] v = f.xmm;
        int d = i.reg;
        if (pfx == 0xf3) {
            load(x, i, f, 8, false);
            long s = f.src[0];
            v[2 * d] = Double.doubleToRawLongBits((int) s);
            v[2 * d + 1] = Double.doubleToRawLongBits((int) (s >>> 32));
            return;
        }
        load(x, i, f, 16, true);
        int rc = pfx == 0x66 ? 3 : (f.mxcsr >> 13) & 3;
        int lo = toInt32(x, f, Double.longBitsToDouble(f.src[0]), rc);
        int hi = toInt32(x, f, Double.longBitsToDouble(f.src[1]), rc);
        v[2 * d] = (lo & 0xffffffffL) | ((long) hi << 32);
        v[2 * d + 1] = 0;
    }
}
