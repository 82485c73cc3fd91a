package org.jqemu.target.i386.exec;

import static org.jqemu.target.i386.fpu.FpuState.*;

import org.jqemu.target.i386.X86Cpu;
import org.jqemu.target.i386.decode.Insn;
import org.jqemu.target.i386.fpu.Fp80;
import org.jqemu.target.i386.fpu.FpuState;

/**
 * The x87 FPU instructions, ESC opcodes D8-DF and WAIT (Intel SDM vol. 1 chapter 8, vol. 2
 * instruction pages; opcode map in vol. 2 appendix A.4), on the state in {@link FpuState}.
 *
 * <p>Exceptions: flags are accumulated in the status word; an unmasked one sets ES/B and is
 * reported at the next waiting FPU instruction or WAIT — #MF when CR0.NE is set, else the
 * legacy FERR# line ({@link FpuState#ferr}). Unmasked invalid, zero-divide and denormal
 * exceptions leave the destination and the stack unchanged, as on hardware. Stack overflow and
 * underflow raise IE+SF with C1 = 1/0 and, when masked, produce the real indefinite.
 * CR0.EM or CR0.TS raise #NM on every ESC opcode; WAIT raises #NM only with TS and MP.
 *
 * <p>Arithmetic is exact and rounded once by RC and PC ({@link Fp80}). Transcendentals (FSIN,
 * FCOS, FSINCOS, FPTAN, FPATAN, F2XM1, FYL2X, FYL2XP1) use java.lang.Math on doubles: about 1
 * ulp of double precision, not the 64-bit accuracy of hardware; PE is approximate for them.
 */
final class X87 {
    private X87() {
    }

    private static final int IE = Fp80.IE, ZE = Fp80.ZE, DE = Fp80.DE;
    private static final long ONE_M = 0x8000000000000000L;
    private static final int ONE_SE = 0x3fff;

    // ---- entry points ---------------------------------------------------------------------

    static void exec(Interpreter x, Insn i, int op) {
        X86Cpu c = x.c;
        if ((c.cr0 & 0xc) != 0) {
            throw x.intr.fault(7);
        }
        FpuState f = c.fpu;
        Fp80 fp = f.fp;
        fp.flags = 0;
        fp.roundedUp = false;
        if (i.mod != 3) {
            memory(x, i, op, f, fp);
        } else {
            register(x, i, op, f, fp);
        }
    }

    /** WAIT/FWAIT (9B). */
    static void fwait(Interpreter x) {
        if ((x.c.cr0 & 0xa) == 0xa) {
            throw x.intr.fault(7);
        }
        pending(x, x.c.fpu);
    }

    /** A waiting instruction reports an unmasked exception left by an earlier one. */
    static void pending(Interpreter x, FpuState f) {
        if ((f.fsw & SW_ES) == 0) {
            return;
        }
        if ((x.c.cr0 & 0x20) != 0) {
            throw x.intr.fault(16);
        }
        if (f.ferr != null) {
            f.ferr.run();
        }
    }

    private static void pointers(Interpreter x, Insn i, int op, FpuState f) {
        f.fip = x.insnStart & 0xffffffffL;
        f.fcs = x.c.segSel[Interpreter.CS];
        f.fop = ((op & 7) << 8) | (i.mod << 6) | (i.reg << 3) | i.rm;
        if (i.mod != 3) {
            f.fdp = x.ea(i) & 0xffffffffL;
            f.fds = x.c.segSel[i.seg];
        }
    }

    // ---- exception bookkeeping ------------------------------------------------------------

    /**
     * Merges exception bits into the status word; returns false when an unmasked exception in
     * {@code blocking} forbids writing the result.
     */
    private static boolean raise(FpuState f, int e, int blocking) {
        if (e == 0) {
            return true;
        }
        f.fsw |= e & 0x7f;
        int unmasked = e & ~f.fcw & 0x3f;
        if (unmasked != 0) {
            f.fsw |= SW_ES | SW_B;
        }
        return (unmasked & blocking) == 0;
    }

    private static boolean raise(FpuState f, int e) {
        return raise(f, e, IE | ZE | DE);
    }

    private static void c1(FpuState f, boolean on) {
        f.fsw = on ? f.fsw | SW_C1 : f.fsw & ~SW_C1;
    }

    private static void setCc(FpuState f, int cc) {
        f.fsw = (f.fsw & ~(SW_C0 | SW_C1 | SW_C2 | SW_C3)) | cc;
    }

    /** Stack underflow: IE+SF, C1 = 0; true when masked (the caller then uses the indefinite). */
    private static boolean underflow(FpuState f) {
        c1(f, false);
        return raise(f, IE | SW_SF);
    }

    private static void pop(FpuState f) {
        f.empty |= 1 << f.top;
        f.top = (f.top + 1) & 7;
    }

    /** Pushes a value (stack overflow: IE+SF, C1 = 1, the indefinite when masked). */
    private static void push(FpuState f, long m, int se) {
        int p = (f.top - 1) & 7;
        if ((f.empty & (1 << p)) == 0) {
            c1(f, true);
            if (!raise(f, IE | SW_SF)) {
                return;
            }
            m = Fp80.INDEF_M;
            se = Fp80.INDEF_SE;
        }
        f.top = p;
        f.empty &= ~(1 << p);
        f.mant[p] = m;
        f.sexp[p] = se;
    }

    private static void setSt(FpuState f, int st, long m, int se) {
        int p = f.phys(st);
        f.mant[p] = m;
        f.sexp[p] = se;
        f.empty &= ~(1 << p);
    }

    // ---- memory forms ---------------------------------------------------------------------

    private static long la(Interpreter x, Insn i, int size) {
        return x.lin(i.seg, x.ea(i), size);
    }

    private static long rd64(Interpreter x, long la) {
        return (x.rd(la, 4) & 0xffffffffL) | ((long) x.rd(la + 4, 4) << 32);
    }

    private static void wr64(Interpreter x, long la, long v) {
        x.wr(la, 4, (int) v);
        x.wr(la + 4, 4, (int) (v >>> 32));
    }

    /** Whether a memory-form ESC instruction waits (checks pending exceptions) before it runs. */
    private static boolean waits(int op, int reg) {
        return !((op == 0xd9 && (reg == 6 || reg == 7)) || (op == 0xdd && (reg == 6 || reg == 7)));
    }

    /** Control instructions leave the last-instruction pointers alone. */
    private static boolean control(int op, int reg) {
        return (op == 0xd9 && reg >= 4) || (op == 0xdd && reg >= 4);
    }

    private static void memory(Interpreter x, Insn i, int op, FpuState f, Fp80 fp) {
        int reg = i.reg;
        if (waits(op, reg)) {
            pending(x, f);
        }
        switch (op) {
            case 0xd8, 0xda, 0xdc, 0xde -> {
                int size = op == 0xd8 || op == 0xda ? 4 : op == 0xdc ? 8 : 2;
                long la = la(x, i, size);
                if (op == 0xd8) {
                    fp.fromFloatBits((int) x.rd(la, 4));
                } else if (op == 0xdc) {
                    fp.fromDoubleBits(rd64(x, la));
                } else if (op == 0xda) {
                    fp.fromLong(x.rd(la, 4));
                } else {
                    fp.fromLong((short) x.rd(la, 2));
                }
                pointers(x, i, op, f);
                arith(f, fp, reg, 0, fp.m, fp.se, false);
            }
            case 0xd9 -> {
                switch (reg) {
                    case 0 -> {
                        int v = (int) x.rd(la(x, i, 4), 4);
                        pointers(x, i, op, f);
                        fp.fromFloatBits(v);
                        load(f, fp);
                    }
                    case 2, 3 -> storeFloat(x, i, op, f, fp, 4, reg == 3);
                    case 4 -> loadEnv(x, i, f, false);
                    case 5 -> {
                        f.fcw = (int) x.rd(la(x, i, 2), 2) & 0xffff;
                        updateEs(f);
                    }
                    case 6 -> {
                        storeEnv(x, i, f);
                        f.fcw |= 0x3f;
                    }
                    case 7 -> x.wr(la(x, i, 2), 2, f.fcw);
                    default -> throw x.ud();
                }
            }
            case 0xdb -> {
                switch (reg) {
                    case 0 -> {
                        int v = (int) x.rd(la(x, i, 4), 4);
                        pointers(x, i, op, f);
                        fp.fromLong(v);
                        load(f, fp);
                    }
                    case 1, 2, 3 -> storeInt(x, i, op, f, fp, 4, reg == 1 ? Fp80.RC_ZERO : -1, reg != 2);
                    case 5 -> {
                        long la = la(x, i, 10);
                        long m = rd64(x, la);
                        int se = (int) x.rd(la + 8, 2) & 0xffff;
                        pointers(x, i, op, f);
                        push(f, m, se);
                    }
                    case 7 -> {
                        long la = la(x, i, 10);
                        long m;
                        int se;
                        if (f.isEmpty(0)) {
                            if (!underflow(f)) {
                                return;
                            }
                            m = Fp80.INDEF_M;
                            se = Fp80.INDEF_SE;
                        } else {
                            int p = f.phys(0);
                            m = f.mant[p];
                            se = f.sexp[p];
                        }
                        x.wr(la + 8, 2, se);
                        wr64(x, la, m);
                        pointers(x, i, op, f);
                        pop(f);
                    }
                    default -> throw x.ud();
                }
            }
            case 0xdd -> {
                switch (reg) {
                    case 0 -> {
                        long v = rd64(x, la(x, i, 8));
                        pointers(x, i, op, f);
                        fp.fromDoubleBits(v);
                        load(f, fp);
                    }
                    case 1 -> storeInt(x, i, op, f, fp, 8, Fp80.RC_ZERO, true);
                    case 2, 3 -> storeFloat(x, i, op, f, fp, 8, reg == 3);
                    case 4 -> frstor(x, i, f);
                    case 6 -> fnsave(x, i, f);
                    case 7 -> x.wr(la(x, i, 2), 2, f.statusWord());
                    default -> throw x.ud();
                }
            }
            default -> { // 0xdf
                switch (reg) {
                    case 0 -> {
                        int v = (short) x.rd(la(x, i, 2), 2);
                        pointers(x, i, op, f);
                        fp.fromLong(v);
                        load(f, fp);
                    }
                    case 1, 2, 3 -> storeInt(x, i, op, f, fp, 2, reg == 1 ? Fp80.RC_ZERO : -1, reg != 2);
                    case 4 -> fbld(x, i, op, f, fp);
                    case 5 -> {
                        long v = rd64(x, la(x, i, 8));
                        pointers(x, i, op, f);
                        fp.fromLong(v);
                        load(f, fp);
                    }
                    case 6 -> fbstp(x, i, op, f, fp);
                    default -> storeInt(x, i, op, f, fp, 8, -1, true);
                }
            }
        }
    }

    /** FLD of a converted memory value (SNaN loads raise IE; unmasked: nothing is pushed). */
    private static void load(FpuState f, Fp80 fp) {
        long m = fp.m;
        int se = fp.se;
        if (raise(f, fp.flags)) {
            c1(f, false);
            push(f, m, se);
        }
    }

    private static void storeFloat(Interpreter x, Insn i, int op, FpuState f, Fp80 fp, int size, boolean pop) {
        long la = la(x, i, size);
        long bits;
        if (f.isEmpty(0)) {
            if (!underflow(f)) {
                return;
            }
            bits = size == 4 ? 0xffc00000L : 0xfff8000000000000L;
        } else {
            int p = f.phys(0);
            bits = size == 4 ? fp.toFloatBits(f.mant[p], f.sexp[p], f.rc()) : fp.toDoubleBits(f.mant[p], f.sexp[p], f.rc());
            c1(f, fp.roundedUp);
            if (!raise(f, fp.flags, IE | DE | Fp80.OE | Fp80.UE)) {
                return;
            }
        }
        if (size == 4) {
            x.wr(la, 4, (int) bits);
        } else {
            wr64(x, la, bits);
        }
        pointers(x, i, op, f);
        if (pop) {
            pop(f);
        }
    }

    /** FIST/FISTP/FISTTP; {@code rc} -1 means the control word's rounding. */
    private static void storeInt(Interpreter x, Insn i, int op, FpuState f, Fp80 fp, int size, int rc, boolean pop) {
        long la = la(x, i, size);
        long v;
        if (f.isEmpty(0)) {
            if (!underflow(f)) {
                return;
            }
            v = size == 8 ? Long.MIN_VALUE : size == 4 ? 0x80000000L : 0x8000;
        } else {
            int p = f.phys(0);
            v = fp.toInt(f.mant[p], f.sexp[p], rc < 0 ? f.rc() : rc, size * 8);
            c1(f, fp.roundedUp);
            if (!raise(f, fp.flags)) {
                return;
            }
        }
        if (size == 8) {
            wr64(x, la, v);
        } else {
            x.wr(la, size, (int) v);
        }
        pointers(x, i, op, f);
        if (pop) {
            pop(f);
        }
    }

    private static void fbld(Interpreter x, Insn i, int op, FpuState f, Fp80 fp) {
        long la = la(x, i, 10);
        long v = 0;
        for (int k = 8; k >= 0; k--) {
            int b = (int) x.rd(la + k, 1);
            v = v * 100 + ((b >> 4) & 0xf) * 10 + (b & 0xf);
        }
        boolean negative = (x.rd(la + 9, 1) & 0x80) != 0;
        pointers(x, i, op, f);
        fp.fromLong(v);
        push(f, fp.m, negative ? fp.se | 0x8000 : fp.se);
    }

    private static void fbstp(Interpreter x, Insn i, int op, FpuState f, Fp80 fp) {
        long la = la(x, i, 10);
        byte[] out = new byte[10];
        if (f.isEmpty(0)) {
            if (!underflow(f)) {
                return;
            }
            out[7] = (byte) 0xc0;
            out[8] = (byte) 0xff;
            out[9] = (byte) 0xff;
        } else {
            int p = f.phys(0);
            long v = fp.toInt(f.mant[p], f.sexp[p], f.rc(), 64);
            if ((fp.flags & IE) == 0 && (v > 999_999_999_999_999_999L || v < -999_999_999_999_999_999L)) {
                fp.flags |= IE;
            }
            c1(f, fp.roundedUp);
            if (!raise(f, fp.flags)) {
                return;
            }
            if ((fp.flags & IE) != 0) {
                out[7] = (byte) 0xc0;
                out[8] = (byte) 0xff;
                out[9] = (byte) 0xff;
            } else {
                long mag = Math.abs(v);
                for (int k = 0; k < 9; k++) {
                    int lo = (int) (mag % 10);
                    mag /= 10;
                    int hi = (int) (mag % 10);
                    mag /= 10;
                    out[k] = (byte) ((hi << 4) | lo);
                }
                out[9] = (byte) (Fp80.neg(f.sexp[p]) ? 0x80 : 0);
            }
        }
        for (int k = 9; k >= 0; k--) {
            x.wr(la + k, 1, out[k]);
        }
        pointers(x, i, op, f);
        pop(f);
    }

    private static void updateEs(FpuState f) {
        if ((f.fsw & ~f.fcw & 0x3f) != 0) {
            f.fsw |= SW_ES | SW_B;
        } else {
            f.fsw &= ~(SW_ES | SW_B);
        }
    }

    // ---- environment ----------------------------------------------------------------------

    private static boolean realFormat(Interpreter x) {
        return !x.pmode() || x.vm86();
    }

    /** FNSTENV layout (SDM vol. 1, figures 8-9 .. 8-12); returns its size. */
    private static int storeEnv(Interpreter x, Insn i, FpuState f) {
        int size = i.o32 ? 28 : 14;
        long la = la(x, i, size);
        int sw = f.statusWord();
        int tw = f.tagWord();
        boolean real = realFormat(x);
        if (i.o32) {
            x.wr(la, 4, f.fcw);
            x.wr(la + 4, 4, sw);
            x.wr(la + 8, 4, tw);
            if (real) {
                long ip = ((long) f.fcs << 4) + f.fip;
                long dp = ((long) f.fds << 4) + f.fdp;
                x.wr(la + 12, 4, (int) ip & 0xffff);
                x.wr(la + 16, 4, (int) ((ip >>> 16) << 12) | (f.fop & 0x7ff));
                x.wr(la + 20, 4, (int) dp & 0xffff);
                x.wr(la + 24, 4, (int) ((dp >>> 16) << 12));
            } else {
                x.wr(la + 12, 4, (int) f.fip);
                x.wr(la + 16, 4, f.fcs | ((f.fop & 0x7ff) << 16));
                x.wr(la + 20, 4, (int) f.fdp);
                x.wr(la + 24, 4, f.fds);
            }
        } else {
            x.wr(la, 2, f.fcw);
            x.wr(la + 2, 2, sw);
            x.wr(la + 4, 2, tw);
            if (real) {
                long ip = ((long) f.fcs << 4) + f.fip;
                long dp = ((long) f.fds << 4) + f.fdp;
                x.wr(la + 6, 2, (int) ip);
                x.wr(la + 8, 2, (int) ((ip >>> 16) & 0xf) << 12 | (f.fop & 0x7ff));
                x.wr(la + 10, 2, (int) dp);
                x.wr(la + 12, 2, (int) ((dp >>> 16) & 0xf) << 12);
            } else {
                x.wr(la + 6, 2, (int) f.fip);
                x.wr(la + 8, 2, f.fcs);
                x.wr(la + 10, 2, (int) f.fdp);
                x.wr(la + 12, 2, f.fds);
            }
        }
        return size;
    }

    private static void loadEnv(Interpreter x, Insn i, FpuState f, boolean andRegs) {
        int size = i.o32 ? 28 : 14;
        long la = la(x, i, size + (andRegs ? 80 : 0));
        int step = i.o32 ? 4 : 2;
        int cw = (int) x.rd(la, 2) & 0xffff;
        int sw = (int) x.rd(la + step, 2) & 0xffff;
        int tw = (int) x.rd(la + 2 * step, 2) & 0xffff;
        int w3 = (int) x.rd(la + 3 * step, step);
        int w4 = (int) x.rd(la + 4 * step, step);
        int w5 = (int) x.rd(la + 5 * step, step);
        int w6 = (int) x.rd(la + 6 * step, step);
        long[] m = f.loadM;
        int[] se = f.loadSe;
        if (andRegs) {
            for (int k = 0; k < 8; k++) {
                long a = la + size + 10L * k;
                m[k] = rd64(x, a);
                se[k] = (int) x.rd(a + 8, 2) & 0xffff;
            }
        }
        f.fcw = cw;
        f.setStatusWord(sw);
        f.setTagWord(tw);
        if (realFormat(x)) {
            long ip = (w3 & 0xffff) | (i.o32 ? ((long) (w4 >>> 12) << 16) : (long) ((w4 >>> 12) & 0xf) << 16);
            long dp = (w5 & 0xffff) | (i.o32 ? ((long) (w6 >>> 12) << 16) : (long) ((w6 >>> 12) & 0xf) << 16);
            f.fip = ip & 0xffffffffL;
            f.fcs = 0;
            f.fop = w4 & 0x7ff;
            f.fdp = dp & 0xffffffffL;
            f.fds = 0;
        } else {
            f.fip = i.o32 ? w3 & 0xffffffffL : w3 & 0xffff;
            f.fcs = w4 & 0xffff;
            f.fop = i.o32 ? (w4 >>> 16) & 0x7ff : 0;
            f.fdp = i.o32 ? w5 & 0xffffffffL : w5 & 0xffff;
            f.fds = w6 & 0xffff;
        }
        if (andRegs) {
            for (int k = 0; k < 8; k++) {
                int p = f.phys(k);
                f.mant[p] = m[k];
                f.sexp[p] = se[k];
            }
        }
        updateEs(f);
    }

    private static void frstor(Interpreter x, Insn i, FpuState f) {
        loadEnv(x, i, f, true);
    }

    private static void fnsave(Interpreter x, Insn i, FpuState f) {
        int size = i.o32 ? 28 : 14;
        long la = la(x, i, size + 80);
        for (int k = 0; k < 8; k++) { // registers first: a fault leaves the FPU untouched either way
            int p = f.phys(k);
            long a = la + size + 10L * k;
            wr64(x, a, f.mant[p]);
            x.wr(a + 8, 2, f.sexp[p]);
        }
        storeEnv(x, i, f);
        f.init();
    }

    // ---- arithmetic -----------------------------------------------------------------------

    /**
     * The eight D8-group operations on destination st(dst) and source b: 0 add, 1 mul, 2 com,
     * 3 comp, 4 sub (dst - b), 5 subr (b - dst), 6 div, 7 divr. Returns false when an unmasked
     * exception suppressed the result (the caller must not pop).
     */
    private static boolean arith(FpuState f, Fp80 fp, int kind, int dst, long bm, int bse, boolean srcEmpty) {
        if (kind == 2 || kind == 3) {
            boolean ok = compare(f, fp, bm, bse, srcEmpty, false);
            if (ok && kind == 3) {
                pop(f);
            }
            return ok;
        }
        int pd = f.phys(dst);
        if (!raise(f, fp.flags)) { // a signalling NaN from a memory operand, unmasked
            return false;
        }
        fp.flags = 0;
        if ((f.empty & (1 << pd)) != 0 || srcEmpty) {
            if (!underflow(f)) {
                return false;
            }
            f.mant[pd] = Fp80.INDEF_M;
            f.sexp[pd] = Fp80.INDEF_SE;
            f.empty &= ~(1 << pd);
            return true;
        }
        long am = f.mant[pd];
        int ase = f.sexp[pd];
        int rc = f.rc();
        int pb = f.precBits();
        switch (kind) {
            case 0 -> fp.add(am, ase, bm, bse, false, rc, pb);
            case 1 -> fp.mul(am, ase, bm, bse, rc, pb);
            case 4 -> fp.add(am, ase, bm, bse, true, rc, pb);
            case 5 -> fp.add(bm, bse, am, ase, true, rc, pb);
            case 6 -> fp.div(am, ase, bm, bse, rc, pb);
            default -> fp.div(bm, bse, am, ase, rc, pb);
        }
        c1(f, fp.roundedUp);
        if (!raise(f, fp.flags)) {
            return false;
        }
        f.mant[pd] = fp.m;
        f.sexp[pd] = fp.se;
        return true;
    }

    private static final int[] FCOM_CC = {SW_C0, 0, 0, SW_C3 | SW_C2 | SW_C0}; // less, (equal set below), greater, unordered

    /** FCOM/FUCOM of st0 with b: C3 C2 C0; returns false when an unmasked IE stops it. */
    private static boolean compare(FpuState f, Fp80 fp, long bm, int bse, boolean srcEmpty, boolean quiet) {
        int r;
        if (f.isEmpty(0) || srcEmpty) {
            if (!underflow(f)) {
                return false;
            }
            r = Fp80.UNORDERED;
        } else {
            int p = f.phys(0);
            r = fp.compare(f.mant[p], f.sexp[p], bm, bse, quiet);
            if (!raise(f, fp.flags)) {
                return false;
            }
        }
        setCc(f, r == Fp80.EQUAL ? SW_C3 : r == Fp80.LESS ? SW_C0 : r == Fp80.GREATER ? 0 : SW_C3 | SW_C2 | SW_C0);
        return true;
    }

    /** FCOMI/FUCOMI(P): ZF PF CF from the comparison, OF SF AF cleared. */
    private static void comi(Interpreter x, FpuState f, Fp80 fp, int sti, boolean quiet, boolean pop) {
        int r;
        c1(f, false);
        if (f.isEmpty(0) || f.isEmpty(sti)) {
            if (!underflow(f)) {
                return;
            }
            r = Fp80.UNORDERED;
        } else {
            int p0 = f.phys(0);
            int pi = f.phys(sti);
            r = fp.compare(f.mant[p0], f.sexp[p0], f.mant[pi], f.sexp[pi], quiet);
            if (!raise(f, fp.flags)) {
                return;
            }
        }
        int fl = x.F.compute() & ~(Flags.ZF | Flags.PF | Flags.CF | Flags.OF | Flags.SF | Flags.AF);
        fl |= switch (r) {
            case Fp80.LESS -> Flags.CF;
            case Fp80.EQUAL -> Flags.ZF;
            case Fp80.GREATER -> 0;
            default -> Flags.ZF | Flags.PF | Flags.CF;
        };
        x.F.load(fl);
        if (pop) {
            pop(f);
        }
    }

    // ---- register forms -------------------------------------------------------------------

    private static void register(Interpreter x, Insn i, int op, FpuState f, Fp80 fp) {
        int reg = i.reg;
        int rm = i.rm;
        boolean nonWaiting = op == 0xdb && reg == 4 && rm != 5 && rm != 6 && rm != 7
                || op == 0xdf && reg == 4 && rm == 0;
        if (!nonWaiting) {
            pending(x, f);
            pointers(x, i, op, f);
        }
        int pi = f.phys(rm);
        boolean iEmpty = f.isEmpty(rm);
        switch (op) {
            case 0xd8 -> arith(f, fp, reg, 0, f.mant[pi], f.sexp[pi], iEmpty);
            case 0xdc, 0xde -> {
                if (reg == 2 || reg == 3) { // DC D0/D8 and DE D0 aliases of FCOM/FCOMP; DE D9 FCOMPP
                    if (op == 0xde && reg == 3 && rm != 1) {
                        throw x.ud();
                    }
                    boolean ok = arith(f, fp, 2, 0, f.mant[pi], f.sexp[pi], iEmpty);
                    if (ok && (reg == 3 || op == 0xde)) {
                        pop(f);
                        if (op == 0xde && reg == 3) {
                            pop(f);
                        }
                    }
                    return;
                }
                // destination st(i), source st0: the SUB/SUBR and DIV/DIVR encodings swap
                int kind = reg >= 4 ? reg ^ 1 : reg;
                int p0 = f.phys(0);
                boolean ok = arith(f, fp, kind, rm, f.mant[p0], f.sexp[p0], f.isEmpty(0));
                if (ok && op == 0xde) {
                    pop(f);
                }
            }
            case 0xd9 -> d9(x, f, fp, reg, rm);
            case 0xda -> {
                if (reg < 4) {
                    fcmov(x, f, reg, rm, false);
                } else if (reg == 5 && rm == 1) { // FUCOMPP
                    if (compare(f, fp, f.mant[pi], f.sexp[pi], iEmpty, true)) {
                        pop(f);
                        pop(f);
                    }
                } else {
                    throw x.ud();
                }
            }
            case 0xdb -> {
                if (reg < 4) {
                    fcmov(x, f, reg, rm, true);
                } else if (reg == 4) {
                    switch (rm) {
                        case 0, 1, 4 -> { } // FENI, FDISI (8087 only), FSETPM (287 only): no-ops
                        case 2 -> f.fsw &= ~(0x00ff | SW_B);
                        case 3 -> f.init();
                        default -> throw x.ud();
                    }
                } else if (reg == 5 || reg == 6) {
                    comi(x, f, fp, rm, reg == 5, false);
                } else {
                    throw x.ud();
                }
            }
            case 0xdd -> {
                switch (reg) {
                    case 0 -> f.empty |= 1 << pi; // FFREE
                    case 1 -> fxch(f, rm);
                    case 2, 3 -> fst(f, rm, reg == 3);
                    case 4, 5 -> {
                        if (compare(f, fp, f.mant[pi], f.sexp[pi], iEmpty, true) && reg == 5) {
                            pop(f);
                        }
                    }
                    default -> throw x.ud();
                }
            }
            default -> { // 0xdf
                switch (reg) {
                    case 0 -> { // FFREEP (undocumented, P6)
                        f.empty |= 1 << pi;
                        pop(f);
                    }
                    case 1 -> fxch(f, rm);
                    case 2, 3 -> fst(f, rm, true);
                    case 4 -> {
                        if (rm != 0) {
                            throw x.ud();
                        }
                        x.regs[0] = (x.regs[0] & ~0xffffL) | f.statusWord();
                    }
                    case 5, 6 -> comi(x, f, fp, rm, reg == 5, true);
                    default -> throw x.ud();
                }
            }
        }
    }

    private static void fxch(FpuState f, int sti) {
        int p0 = f.phys(0);
        int pi = f.phys(sti);
        if ((f.empty & ((1 << p0) | (1 << pi))) != 0) {
            if (!underflow(f)) {
                return;
            }
            for (int k = 0; k < 2; k++) {
                int p = k == 0 ? p0 : pi;
                if ((f.empty & (1 << p)) != 0) {
                    f.mant[p] = Fp80.INDEF_M;
                    f.sexp[p] = Fp80.INDEF_SE;
                    f.empty &= ~(1 << p);
                }
            }
        } else {
            c1(f, false);
        }
        long m = f.mant[p0];
        int se = f.sexp[p0];
        f.mant[p0] = f.mant[pi];
        f.sexp[p0] = f.sexp[pi];
        f.mant[pi] = m;
        f.sexp[pi] = se;
    }

    private static void fst(FpuState f, int sti, boolean pop) {
        int p0 = f.phys(0);
        long m = f.mant[p0];
        int se = f.sexp[p0];
        if (f.isEmpty(0)) {
            if (!underflow(f)) {
                return;
            }
            m = Fp80.INDEF_M;
            se = Fp80.INDEF_SE;
        } else {
            c1(f, false);
        }
        setSt(f, sti, m, se);
        if (pop) {
            pop(f);
        }
    }

    private static void fcmov(Interpreter x, FpuState f, int reg, int sti, boolean negate) {
        int cc = switch (reg) {
            case 0 -> 2;     // B
            case 1 -> 4;     // E
            case 2 -> 6;     // BE
            default -> 0xa;  // P (unordered)
        };
        if (f.isEmpty(0) || f.isEmpty(sti)) {
            if (underflow(f)) {
                setSt(f, 0, Fp80.INDEF_M, Fp80.INDEF_SE);
            }
            return;
        }
        c1(f, false);
        if (x.F.cond(negate ? cc | 1 : cc)) {
            int pi = f.phys(sti);
            setSt(f, 0, f.mant[pi], f.sexp[pi]);
        }
    }

    private static void d9(Interpreter x, FpuState f, Fp80 fp, int reg, int rm) {
        switch (reg) {
            case 0 -> { // FLD st(i)
                int pi = f.phys(rm);
                if (f.isEmpty(rm)) {
                    if (underflow(f)) {
                        push(f, Fp80.INDEF_M, Fp80.INDEF_SE);
                    }
                } else {
                    c1(f, false);
                    push(f, f.mant[pi], f.sexp[pi]);
                }
            }
            case 1 -> fxch(f, rm);
            case 2 -> {
                if (rm != 0) {
                    throw x.ud();
                }
                // FNOP
            }
            case 3 -> fst(f, rm, true); // FSTP1 (reserved alias)
            case 4 -> {
                switch (rm) {
                    case 0, 1 -> {
                        if (emptySt0(f)) {
                            return;
                        }
                        int p = f.phys(0);
                        f.sexp[p] = rm == 0 ? f.sexp[p] ^ 0x8000 : f.sexp[p] & 0x7fff;
                        c1(f, false);
                    }
                    case 4 -> compare(f, fp, 0, 0, false, false); // FTST: st0 against +0.0
                    case 5 -> fxam(f);
                    default -> throw x.ud();
                }
            }
            case 5 -> {
                if (rm == 7) {
                    throw x.ud();
                }
                constant(f, rm);
            }
            case 6 -> d9f0(x, f, fp, rm);
            default -> d9f8(x, f, fp, rm);
        }
    }

    /** Stack underflow on an instruction that reads st0 and writes it back: true means "done". */
    private static boolean emptySt0(FpuState f) {
        if (!f.isEmpty(0)) {
            return false;
        }
        if (underflow(f)) {
            setSt(f, 0, Fp80.INDEF_M, Fp80.INDEF_SE);
        }
        return true;
    }

    private static void fxam(FpuState f) {
        int p = f.phys(0);
        long m = f.mant[p];
        int se = f.sexp[p];
        int cc = Fp80.neg(se) ? SW_C1 : 0;
        int e = se & 0x7fff;
        if (f.isEmpty(0)) {
            cc |= SW_C3 | SW_C0;
        } else if (e == 0x7fff) {
            if (m == ONE_M) {
                cc |= SW_C2 | SW_C0;
            } else if (m < 0) {
                cc |= SW_C0;
            }
        } else if (e == 0) {
            cc |= m == 0 ? SW_C3 : SW_C3 | SW_C2;
        } else if (m < 0) {
            cc |= SW_C2;
        }
        setCc(f, cc);
    }

    /** FLD1, FLDL2T, FLDL2E, FLDPI, FLDLG2, FLDLN2, FLDZ: the 66-bit constants rounded by RC. */
    private static void constant(FpuState f, int which) {
        int rc = f.rc();
        boolean downOrChop = rc == Fp80.RC_DOWN || rc == Fp80.RC_ZERO;
        long m;
        int se;
        switch (which) {
            case 0 -> {
                m = ONE_M;
                se = ONE_SE;
            }
            case 1 -> {
                m = rc == Fp80.RC_UP ? 0xd49a784bcd1b8affL : 0xd49a784bcd1b8afeL;
                se = 0x4000;
            }
            case 2 -> {
                m = downOrChop ? 0xb8aa3b295c17f0bbL : 0xb8aa3b295c17f0bcL;
                se = 0x3fff;
            }
            case 3 -> {
                m = downOrChop ? 0xc90fdaa22168c234L : 0xc90fdaa22168c235L;
                se = 0x4000;
            }
            case 4 -> {
                m = downOrChop ? 0x9a209a84fbcff798L : 0x9a209a84fbcff799L;
                se = 0x3ffd;
            }
            case 5 -> {
                m = downOrChop ? 0xb17217f7d1cf79abL : 0xb17217f7d1cf79acL;
                se = 0x3ffe;
            }
            default -> {
                m = 0;
                se = 0;
            }
        }
        c1(f, false);
        push(f, m, se);
    }

    private static double st(FpuState f, Fp80 fp, int st) {
        int p = f.phys(st);
        int saved = fp.flags;
        long bits = fp.toDoubleBits(f.mant[p], f.sexp[p], Fp80.RC_NEAR);
        fp.flags = saved | (fp.flags & Fp80.IE);
        return Double.longBitsToDouble(bits);
    }

    /** Writes a double result to st(n) (NaN from non-NaN operands: IE and the indefinite). */
    private static boolean result(FpuState f, Fp80 fp, int st, double d, boolean operandsNaN) {
        if (Double.isNaN(d) && !operandsNaN) {
            fp.flags |= IE;
            fp.setIndefinite();
        } else {
            int saved = fp.flags;
            fp.fromDouble(d);
            fp.flags = saved;
        }
        if (!raise(f, fp.flags)) {
            return false;
        }
        setSt(f, st, fp.m, fp.se);
        return true;
    }

    private static boolean nanAt(FpuState f, int st) {
        int p = f.phys(st);
        return Fp80.isNaN(f.mant[p], f.sexp[p]);
    }

    private static boolean needs(FpuState f, int n) {
        for (int k = 0; k < n; k++) {
            if (f.isEmpty(k)) {
                if (underflow(f)) {
                    setSt(f, 0, Fp80.INDEF_M, Fp80.INDEF_SE);
                }
                return false;
            }
        }
        return true;
    }

    private static final double TWO63 = 0x1p63;

    /** D9 F0-F7: F2XM1 FYL2X FPTAN FPATAN FXTRACT FPREM1 FDECSTP FINCSTP. */
    private static void d9f0(Interpreter x, FpuState f, Fp80 fp, int rm) {
        switch (rm) {
            case 0 -> {
                if (!needs(f, 1)) {
                    return;
                }
                c1(f, false);
                double v = st(f, fp, 0);
                boolean exact = v == 0 || v == 1 || v == -1;
                if (!exact && !Double.isNaN(v)) {
                    fp.flags |= Fp80.PE;
                }
                result(f, fp, 0, v == 0 ? v : Math.pow(2, v) - 1, Double.isNaN(v));
            }
            case 1, 3 -> { // FYL2X, FPATAN: st1 = f(st1, st0), pop
                if (!needs(f, 2)) {
                    return;
                }
                c1(f, false);
                double a = st(f, fp, 0);
                double y = st(f, fp, 1);
                double r;
                if (rm == 3) {
                    r = Math.atan2(y, a);
                } else {
                    if (a == 0 && y != 0 && !Double.isNaN(y)) {
                        fp.flags |= ZE;
                    }
                    r = y * log2(a);
                }
                if (!(r == Math.rint(r))) {
                    fp.flags |= Fp80.PE;
                }
                if (result(f, fp, 1, r, Double.isNaN(a) || Double.isNaN(y))) {
                    pop(f);
                }
            }
            case 2 -> { // FPTAN
                if (!needs(f, 1)) {
                    return;
                }
                double v = st(f, fp, 0);
                if (Math.abs(v) >= TWO63) {
                    f.fsw |= SW_C2;
                    return;
                }
                f.fsw &= ~SW_C2;
                c1(f, false);
                if (v != 0 && !Double.isNaN(v)) {
                    fp.flags |= Fp80.PE;
                }
                if (result(f, fp, 0, v == 0 ? v : Math.tan(v), Double.isNaN(v))) {
                    push(f, ONE_M, ONE_SE);
                }
            }
            case 4 -> fxtract(f, fp);
            case 5 -> fprem(f, fp, true);
            case 6 -> {
                f.top = (f.top - 1) & 7;
                c1(f, false);
            }
            default -> {
                f.top = (f.top + 1) & 7;
                c1(f, false);
            }
        }
    }

    private static double log2(double v) {
        if (v > 0 && !Double.isInfinite(v)) {
            int e = Math.getExponent(v);
            double sig = Math.scalb(v, -e);
            return e + Math.log(sig) / Math.log(2);
        }
        return Math.log(v) / Math.log(2);
    }

    /** D9 F8-FF: FPREM FYL2XP1 FSQRT FSINCOS FRNDINT FSCALE FSIN FCOS. */
    private static void d9f8(Interpreter x, FpuState f, Fp80 fp, int rm) {
        int p0 = f.phys(0);
        switch (rm) {
            case 0 -> fprem(f, fp, false);
            case 1 -> {
                if (!needs(f, 2)) {
                    return;
                }
                c1(f, false);
                double a = st(f, fp, 0);
                double y = st(f, fp, 1);
                double r = y * (Math.log1p(a) / Math.log(2));
                if (r != 0) {
                    fp.flags |= Fp80.PE;
                }
                if (result(f, fp, 1, r, Double.isNaN(a) || Double.isNaN(y))) {
                    pop(f);
                }
            }
            case 2 -> {
                if (emptySt0(f)) {
                    return;
                }
                fp.sqrt(f.mant[p0], f.sexp[p0], f.rc(), f.precBits());
                finish(f, fp, p0);
            }
            case 3, 6, 7 -> { // FSINCOS, FSIN, FCOS
                if (!needs(f, 1)) {
                    return;
                }
                double v = st(f, fp, 0);
                if (Math.abs(v) >= TWO63) {
                    f.fsw |= SW_C2;
                    return;
                }
                f.fsw &= ~SW_C2;
                c1(f, false);
                boolean nan = Double.isNaN(v);
                if (!(v == 0 && rm != 7) && !nan) {
                    fp.flags |= Fp80.PE;
                }
                double s = v == 0 ? v : Math.sin(v);
                double co = Math.cos(v);
                if (rm == 3) {
                    if (result(f, fp, 0, s, nan)) {
                        fp.fromDouble(co);
                        push(f, fp.m, fp.se);
                    }
                } else {
                    result(f, fp, 0, rm == 6 ? s : co, nan);
                }
            }
            case 4 -> {
                if (emptySt0(f)) {
                    return;
                }
                fp.roundToInt(f.mant[p0], f.sexp[p0], f.rc());
                finish(f, fp, p0);
            }
            default -> fscale(f, fp);
        }
    }

    private static void finish(FpuState f, Fp80 fp, int p) {
        c1(f, fp.roundedUp);
        if (raise(f, fp.flags)) {
            f.mant[p] = fp.m;
            f.sexp[p] = fp.se;
        }
    }

    private static void fscale(FpuState f, Fp80 fp) {
        if (!needs(f, 2)) {
            return;
        }
        int p0 = f.phys(0);
        int p1 = f.phys(1);
        long am = f.mant[p0];
        int ase = f.sexp[p0];
        long bm = f.mant[p1];
        int bse = f.sexp[p1];
        if (Fp80.isNaN(am, ase) || Fp80.isNaN(bm, bse) || Fp80.isUnsupported(am, ase) || Fp80.isUnsupported(bm, bse)) {
            fp.nanResult(am, ase, bm, bse);
        } else if (Fp80.isInf(bm, bse)) {
            boolean zero = Fp80.isZero(am, ase);
            boolean inf = Fp80.isInf(am, ase);
            if (Fp80.neg(bse) ? inf : zero) {
                fp.flags |= IE;
                fp.setIndefinite();
            } else {
                fp.m = Fp80.neg(bse) ? 0 : ONE_M;
                fp.se = (ase & 0x8000) | (Fp80.neg(bse) ? 0 : 0x7fff);
            }
        } else {
            int saved = fp.flags;
            long n = fp.toInt(bm, bse, Fp80.RC_ZERO, 64);
            boolean big = (fp.flags & IE) != 0;
            fp.flags = saved;
            fp.roundedUp = false;
            if (big) {
                n = Fp80.neg(bse) ? -100000 : 100000;
            }
            fp.scale(am, ase, (int) Math.max(Math.min(n, 100000), -100000), f.rc());
        }
        finish(f, fp, p0);
    }

    private static void fxtract(FpuState f, Fp80 fp) {
        if (!needs(f, 1)) {
            return;
        }
        c1(f, false);
        int p0 = f.phys(0);
        long m = f.mant[p0];
        int se = f.sexp[p0];
        if (Fp80.isNaN(m, se) || Fp80.isUnsupported(m, se)) {
            fp.nanResult(m, se, m, se);
            if (raise(f, fp.flags)) {
                setSt(f, 0, fp.m, fp.se);
                push(f, fp.m, fp.se);
            }
        } else if (Fp80.isInf(m, se)) {
            setSt(f, 0, ONE_M, 0x7fff);
            push(f, m, se);
        } else if (m == 0) {
            if (raise(f, ZE)) {
                setSt(f, 0, ONE_M, 0xffff);
                push(f, m, se);
            }
        } else {
            if ((se & 0x7fff) == 0 && !raise(f, DE)) {
                return;
            }
            int e = fp.extract(m, se);
            long sm = fp.m;
            int sse = fp.se;
            fp.fromLong(e);
            setSt(f, 0, fp.m, fp.se);
            push(f, sm, sse);
        }
    }

    private static void fprem(FpuState f, Fp80 fp, boolean nearest) {
        if (!needs(f, 2)) {
            return;
        }
        int p0 = f.phys(0);
        int p1 = f.phys(1);
        long am = f.mant[p0];
        int ase = f.sexp[p0];
        long bm = f.mant[p1];
        int bse = f.sexp[p1];
        f.fsw &= ~(SW_C0 | SW_C1 | SW_C2 | SW_C3);
        if (Fp80.isNaN(am, ase) || Fp80.isNaN(bm, bse) || Fp80.isUnsupported(am, ase) || Fp80.isUnsupported(bm, bse)) {
            fp.nanResult(am, ase, bm, bse);
            finish(f, fp, p0);
            return;
        }
        if (Fp80.isInf(am, ase) || bm == 0) {
            fp.flags |= IE;
            fp.setIndefinite();
            finish(f, fp, p0);
            return;
        }
        if (am == 0 || Fp80.isInf(bm, bse)) {
            return; // st0 unchanged, quotient 0
        }
        int ea = fp.extract(am, ase);
        int eb = fp.extract(bm, bse);
        int d = ea - eb;
        if (d < 64) {
            long q = fp.remainder(am, ase, bm, bse, nearest, 0);
            int cc = ((q & 4) != 0 ? SW_C0 : 0) | ((q & 2) != 0 ? SW_C3 : 0) | ((q & 1) != 0 ? SW_C1 : 0);
            f.fsw |= cc;
        } else {
            int n = 32 + (d % 32);
            fp.remainder(am, ase, bm, bse, false, d - n);
            f.fsw |= SW_C2;
        }
        if (raise(f, fp.flags)) {
            f.mant[p0] = fp.m;
            f.sexp[p0] = fp.se;
        }
    }
}
