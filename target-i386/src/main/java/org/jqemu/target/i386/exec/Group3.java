package org.jqemu.target.i386.exec;

import org.jqemu.target.i386.decode.Insn;

/** Opcode group 3 (F6/F7): TEST, NOT, NEG, MUL, IMUL, DIV, IDIV on an r/m operand. */
final class Group3 {
    private Group3() {
    }

    static void exec(Interpreter x, Insn i, int s) {
        long[] regs = x.regs;
        Flags F = x.F;
        int m = Interpreter.mask(s);
        switch (i.reg) {
            case 0, 1 -> x.alu(4, x.ldrm(i, s), i.imm, s);
            case 2 -> {
                long la = x.rmwAddr(i, s);
                x.rmwStore(i, la, s, ~x.rmwLoad(i, la, s) & m);
            }
            case 3 -> {
                long la = x.rmwAddr(i, s);
                int v = x.rmwLoad(i, la, s) & m;
                int r = -v & m;
                x.rmwStore(i, la, s, r);
                F.set(Flags.SUB, s, 0, v, r);
            }
            case 4, 5 -> {
                int src = x.ldrm(i, s);
                boolean signed = i.reg == 5;
                int lo;
                boolean ovf;
                if (s == 1) {
                    int p = signed ? (byte) regs[0] * (byte) src : ((int) regs[0] & 0xff) * (src & 0xff);
                    x.w16(0, p);
                    lo = p & 0xff;
                    ovf = signed ? p != (byte) p : (p & 0xff00) != 0;
                } else if (s == 2) {
                    int p = signed ? (short) regs[0] * (short) src : ((int) regs[0] & 0xffff) * (src & 0xffff);
                    x.w16(0, p);
                    x.w16(2, p >>> 16);
                    lo = p & 0xffff;
                    ovf = signed ? p != (short) p : (p >>> 16) != 0;
                } else {
                    long p = signed ? (long) (int) regs[0] * src : (regs[0] & 0xffffffffL) * (src & 0xffffffffL);
                    x.w32(0, (int) p);
                    x.w32(2, (int) (p >>> 32));
                    lo = (int) p;
                    ovf = signed ? p != (int) p : (p >>> 32) != 0;
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
        long d = x.ldrm(i, s) & 0xffffffffL & Interpreter.mask(s);
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
        } else {
            long n = ((regs[2] & 0xffffffffL) << 32) | (regs[0] & 0xffffffffL);
            long q = Long.divideUnsigned(n, d);
            if ((q >>> 32) != 0) {
                throw x.intr.fault(0);
            }
            x.w32(0, (int) q);
            x.w32(2, (int) Long.remainderUnsigned(n, d));
        }
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
        } else {
            long n = ((regs[2] & 0xffffffffL) << 32) | (regs[0] & 0xffffffffL);
            if (n == Long.MIN_VALUE && d == -1) {
                throw x.intr.fault(0);
            }
            long q = n / d;
            if (q != (int) q) {
                throw x.intr.fault(0);
            }
            x.w32(0, (int) q);
            x.w32(2, (int) (n % d));
        }
    }
}
