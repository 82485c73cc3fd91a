package org.jqemu.target.i386.exec;

import org.jqemu.target.i386.decode.Insn;

/** Opcode group 3 (F6/F7): TEST, NOT, NEG, MUL, IMUL, DIV, IDIV on an r/m operand. */
final class Group3 {
    private Group3() {
    }

    static void exec(Interpreter x, Insn i, int s) {
        long[] regs = x.regs;
        Flags F = x.F;
        long m = Interpreter.mask(s);
        switch (i.reg) {
            case 0, 1 -> x.alu(4, x.ldrm(i, s), i.imm, s);
            case 2 -> {
                long la = x.rmwAddr(i, s);
                x.rmwStore(i, la, s, ~x.rmwLoad(i, la, s) & m);
            }
            case 3 -> {
                long la = x.rmwAddr(i, s);
                long v = x.rmwLoad(i, la, s) & m;
                long r = -v & m;
                x.rmwStore(i, la, s, r);
                F.set(Flags.SUB, s, 0, v, r);
            }
            case 4, 5 -> {
                long src = x.ldrm(i, s);
                boolean signed = i.reg == 5;
                long lo;
                boolean ovf;
                if (s == 1) {
                    int p = signed ? (byte) regs[0] * (byte) src : ((int) regs[0] & 0xff) * ((int) src & 0xff);
                    x.w16(0, p);
                    lo = p & 0xff;
                    ovf = signed ? p != (byte) p : (p & 0xff00) != 0;
                } else if (s == 2) {
                    int p = signed ? (short) regs[0] * (short) src : ((int) regs[0] & 0xffff) * ((int) src & 0xffff);
                    x.w16(0, p);
                    x.w16(2, p >>> 16);
                    lo = p & 0xffff;
                    ovf = signed ? p != (short) p : (p >>> 16) != 0;
                } else if (s == 4) {
                    long p = signed ? (long) (int) regs[0] * (int) src : (regs[0] & 0xffffffffL) * (src & 0xffffffffL);
                    x.w32(0, p);
                    x.w32(2, p >>> 32);
                    lo = p & 0xffffffffL;
                    ovf = signed ? p != (int) p : (p >>> 32) != 0;
                } else {
                    long a = regs[0];
                    lo = a * src;
                    long hi = signed ? Math.multiplyHigh(a, src) : Math.unsignedMultiplyHigh(a, src);
                    regs[0] = lo;
                    regs[2] = hi;
                    ovf = signed ? hi != (lo >> 63) : hi != 0;
                }
                F.set(Flags.MUL, s, 0, 0, lo);
                F.cin = ovf ? 1 : 0;
            }
            case 6 -> div(x, i, s);
            default -> idiv(x, i, s);
        }
    }

    private static void div(Interpreter x, Insn i, int s) {
        long[] regs = x.regs;
        long d = x.ldrm(i, s);
        if (d == 0) {
            throw x.intr.fault(0);
        }
        if (s == 1) {
            long n = regs[0] & 0xffff;
            long q = n / d;
            if (q > 0xff) {
                throw x.intr.fault(0);
            }
            x.w16(0, (int) (((n % d) << 8) | q));
        } else if (s == 2) {
            long n = ((regs[2] & 0xffff) << 16) | (regs[0] & 0xffff);
            long q = n / d;
            if (q > 0xffff) {
                throw x.intr.fault(0);
            }
            x.w16(0, (int) q);
            x.w16(2, (int) (n % d));
        } else if (s == 4) {
            long n = ((regs[2] & 0xffffffffL) << 32) | (regs[0] & 0xffffffffL);
            long q = Long.divideUnsigned(n, d);
            if ((q >>> 32) != 0) {
                throw x.intr.fault(0);
            }
            x.w32(0, q);
            x.w32(2, Long.remainderUnsigned(n, d));
        } else {
            long hi = regs[2];
            if (Long.compareUnsigned(hi, d) >= 0) {
                throw x.intr.fault(0);
            }
            if (hi == 0) {
                long lo = regs[0];
                regs[0] = Long.divideUnsigned(lo, d);
                regs[2] = Long.remainderUnsigned(lo, d);
                return;
            }
            java.math.BigInteger n = unsigned(hi).shiftLeft(64).or(unsigned(regs[0]));
            java.math.BigInteger[] qr = n.divideAndRemainder(unsigned(d));
            regs[0] = qr[0].longValue();
            regs[2] = qr[1].longValue();
        }
    }

    private static java.math.BigInteger unsigned(long v) {
        java.math.BigInteger b = java.math.BigInteger.valueOf(v & Long.MAX_VALUE);
        return v < 0 ? b.setBit(63) : b;
    }

    private static void idiv(Interpreter x, Insn i, int s) {
        long[] regs = x.regs;
        long d = Interpreter.sext(x.ldrm(i, s), s);
        if (d == 0) {
            throw x.intr.fault(0);
        }
        if (s == 1) {
            long n = (short) regs[0];
            long q = n / d;
            if (q != (byte) q) {
                throw x.intr.fault(0);
            }
            x.w16(0, (int) ((((n % d) & 0xff) << 8) | (q & 0xff)));
        } else if (s == 2) {
            long n = (int) (((regs[2] & 0xffff) << 16) | (regs[0] & 0xffff));
            long q = n / d;
            if (q != (short) q) {
                throw x.intr.fault(0);
            }
            x.w16(0, (int) q);
            x.w16(2, (int) (n % d));
        } else if (s == 4) {
            long n = ((regs[2] & 0xffffffffL) << 32) | (regs[0] & 0xffffffffL);
            if (n == Long.MIN_VALUE && d == -1) {
                throw x.intr.fault(0);
            }
            long q = n / d;
            if (q != (int) q) {
                throw x.intr.fault(0);
            }
            x.w32(0, q);
            x.w32(2, n % d);
        } else {
            long hi = regs[2];
            long lo = regs[0];
            if (hi == (lo >> 63)) {
                // The dividend fits in 64 bits: the common case, no big numbers.
                if (lo == Long.MIN_VALUE && d == -1) {
                    throw x.intr.fault(0);
                }
                regs[0] = lo / d;
                regs[2] = lo % d;
                return;
            }
            java.math.BigInteger n = java.math.BigInteger.valueOf(hi).shiftLeft(64).or(unsigned(lo));
            java.math.BigInteger[] qr = n.divideAndRemainder(java.math.BigInteger.valueOf(d));
            if (qr[0].bitLength() > 63) {
                throw x.intr.fault(0);
            }
            regs[0] = qr[0].longValue();
            regs[2] = qr[1].longValue();
        }
    }
}
