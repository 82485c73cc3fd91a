package org.jqemu.target.i386.exec;

import org.jqemu.target.i386.decode.Insn;

/** The two-byte opcode page (0F xx): system instructions, Jcc rel16/32, SETcc, CMOVcc, bit ops, ... */
final class Ops0F {
    private Ops0F() {
    }

    static void exec(Interpreter x, Insn i, int op) {
        long[] regs = x.regs;
        Flags F = x.F;
        switch (op) {
            case 0x00 -> group6(x, i);
            case 0x01 -> group7(x, i);
            case 0x02, 0x03 -> {
                if (!x.pmode() || x.vm86()) {
                    throw x.ud();
                }
                int sel = (int) x.ldrm(i, 2) & 0xffff;
                long v = op == 0x02 ? x.c.seg.lar(sel) : x.c.seg.lsl(sel);
                int f = F.compute();
                if (v == -1) {
                    F.load(f & ~Flags.ZF);
                } else {
                    x.wreg(i.reg, Interpreter.osz(i), v);
                    F.load(f | Flags.ZF);
                }
            }
            case 0x05 -> x.c.seg.syscall(x.c.rip);
            case 0x07 -> x.c.seg.sysret(i.o64);
            case 0x34 -> x.c.seg.sysenter();
            case 0x35 -> x.c.seg.sysexit(i.o64);
            case 0x06 -> x.c.sys.clts();
            case 0x08, 0x09 -> {
                if (x.pmode() && x.c.cpl != 0) {
                    throw x.gp0();
                }
            }
            case 0x0b -> throw x.ud();
            case 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f -> { } // hint NOPs
            case 0x20 -> x.wreg(i.rm, i.m64 ? 8 : 4, x.c.sys.readCr(i.reg));
            case 0x21 -> x.wreg(i.rm, i.m64 ? 8 : 4, x.c.sys.readDr(i.reg));
            case 0x22 -> x.c.sys.writeCr(i.reg, i.m64 ? regs[i.rm] : regs[i.rm] & 0xffffffffL);
            case 0x23 -> x.c.sys.writeDr(i.reg, i.m64 ? regs[i.rm] : regs[i.rm] & 0xffffffffL);
            case 0x30 -> x.c.sys.wrmsr();
            case 0x31 -> x.c.sys.rdtsc();
            case 0x32 -> x.c.sys.rdmsr();
            case 0xa0 -> x.pushSeg(i, Interpreter.FS);
            case 0xa1 -> x.popSeg(i, Interpreter.FS);
            case 0xa8 -> x.pushSeg(i, Interpreter.GS);
            case 0xa9 -> x.popSeg(i, Interpreter.GS);
            case 0xa2 -> x.c.sys.cpuid();
            case 0xa3, 0xab, 0xb3, 0xbb -> bitOp(x, i, (op >> 3) & 3, false);
            case 0xba -> {
                if (i.reg < 4) {
                    throw x.ud();
                }
                bitOp(x, i, i.reg & 3, true);
            }
            case 0xa4, 0xa5, 0xac, 0xad -> {
                int s = Interpreter.osz(i);
                int count = (op == 0xa4 || op == 0xac ? i.imm : (int) regs[1]) & (s == 8 ? 63 : 31);
                long la = x.rmwAddr(i, s);
                long d = x.rmwLoad(i, la, s);
                if (count != 0) {
                    x.rmwStore(i, la, s, x.shiftDouble(op < 0xa8, d, x.rreg(i.reg, s), count, s));
                }
            }
            case 0xaf -> {
                int s = Interpreter.osz(i);
                x.wreg(i.reg, s, x.imul2(x.rreg(i.reg, s), x.ldrm(i, s), s));
            }
            case 0xb0, 0xb1 -> {
                int s = op == 0xb0 ? 1 : Interpreter.osz(i);
                long la = x.rmwAddr(i, s);
                long d = x.rmwLoad(i, la, s);
                long acc = x.rreg(0, s);
                x.alu(7, acc, d, s);
                if (acc == d) {
                    x.rmwStore(i, la, s, x.rreg(i.reg, s));
                } else {
                    x.rmwStore(i, la, s, d);
                    x.wreg(0, s, d);
                }
            }
            case 0xb2 -> loadFarSeg(x, i, Interpreter.SS);
            case 0xb4 -> loadFarSeg(x, i, Interpreter.FS);
            case 0xb5 -> loadFarSeg(x, i, Interpreter.GS);
            case 0xb6 -> x.wreg(i.reg, Interpreter.osz(i), x.ldrm(i, 1));
            case 0xb7 -> x.wreg(i.reg, Interpreter.osz(i), x.ldrm(i, 2));
            case 0xbe -> x.wreg(i.reg, Interpreter.osz(i), (byte) x.ldrm(i, 1));
            case 0xbf -> x.wreg(i.reg, Interpreter.osz(i), (short) x.ldrm(i, 2));
            case 0xbc, 0xbd -> {
                int s = Interpreter.osz(i);
                long v = x.ldrm(i, s) & Interpreter.mask(s);
                if (v == 0) {
                    F.set(Flags.LOGIC, s, 0, 0, 0);
                } else {
                    int idx = op == 0xbc ? Long.numberOfTrailingZeros(v) : 63 - Long.numberOfLeadingZeros(v);
                    x.wreg(i.reg, s, idx);
                    F.set(Flags.LOGIC, s, 0, 0, 1);
                }
            }
            case 0xc0, 0xc1 -> {
                int s = op == 0xc0 ? 1 : Interpreter.osz(i);
                long la = x.rmwAddr(i, s);
                long d = x.rmwLoad(i, la, s);
                long src = x.rreg(i.reg, s);
                long sum = x.alu(0, d, src, s);
                x.wreg(i.reg, s, d);
                x.rmwStore(i, la, s, sum);
            }
            case 0xc7 -> cmpxchg8b(x, i);
            case 0xae -> Sse.group15(x, i); // FXSAVE/FXRSTOR/LDMXCSR/STMXCSR, fences
            case 0xc3 -> { // MOVNTI m32/m64, r: the non-temporal hint means nothing here
                if (i.mod == 3) {
                    throw x.ud();
                }
                int s = i.o64 ? 8 : 4;
                x.strm(i, s, x.rreg(i.reg, s));
            }
            case 0xc8, 0xc9, 0xca, 0xcb, 0xcc, 0xcd, 0xce, 0xcf -> {
                int r = i.opreg;
                if (i.o64) {
                    regs[r] = Long.reverseBytes(regs[r]);
                } else if (i.o32) {
                    x.w32(r, Integer.reverseBytes((int) regs[r]));
                } else {
                    x.w16(r, 0); // 16-bit BSWAP is undefined; current CPUs clear the word
                }
            }
            default -> {
                if (op >= 0x40 && op <= 0x4f) {
                    int s = Interpreter.osz(i);
                    long v = x.ldrm(i, s);
                    if (F.cond(op & 0xf)) {
                        x.wreg(i.reg, s, v);
                    } else if (s == 4) {
                        x.wreg(i.reg, 4, x.regs[i.reg]); // a 32-bit CMOV zero-extends even when false
                    }
                } else if (op >= 0x80 && op <= 0x8f) {
                    if (F.cond(op & 0xf)) {
                        x.jumpRel(i);
                    }
                } else if (op >= 0x90 && op <= 0x9f) {
                    x.strm(i, 1, F.cond(op & 0xf) ? 1 : 0);
                } else if (SseOps.handles(op)) {
                    SseOps.exec(x, i, op);
                } else {
                    throw x.ud();
                }
            }
        }
    }

    /** BT BTS BTR BTC (kind 0..3); memory forms with a register offset address bit strings. */
    private static void bitOp(Interpreter x, Insn i, int kind, boolean immediate) {
        int s = Interpreter.osz(i);
        int bits = s * 8;
        long off = immediate ? i.imm & 0xff : x.rreg(i.reg, s);
        long la;
        long v;
        int bit = (int) off & (bits - 1);
        if (i.mod == 3) {
            la = Interpreter.REG;
            v = x.rreg(i.rm, s);
        } else {
            long ea = x.ea(i);
            if (!immediate) {
                long soff = Interpreter.sext(off, s);
                ea = Interpreter.addOff(i, ea, (soff >> (s == 8 ? 6 : s == 4 ? 5 : 4)) * s);
            }
            la = x.lin(i.seg, ea, s);
            v = x.rd(la, s);
        }
        int cf = (int) (v >>> bit) & 1;
        if (kind != 0) {
            long nv = switch (kind) {
                case 1 -> v | (1L << bit);
                case 2 -> v & ~(1L << bit);
                default -> v ^ (1L << bit);
            };
            if (la == Interpreter.REG) {
                x.wreg(i.rm, s, nv);
            } else {
                x.wr(la, s, nv);
            }
        }
        x.F.load((x.F.compute() & ~Flags.CF) | cf);
    }

    private static void loadFarSeg(Interpreter x, Insn i, int seg) {
        if (i.mod == 3) {
            throw x.ud();
        }
        int size = Interpreter.osz(i);
        long off = x.ea(i);
        long v = x.rd(x.lin(i.seg, off, size), size);
        int sel = (int) x.rd(x.lin(i.seg, Interpreter.addOff(i, off, size), 2), 2);
        x.c.seg.loadSeg(seg, sel & 0xffff);
        x.wreg(i.reg, size, v);
        if (seg == Interpreter.SS) {
            x.inhibitIrq = true;
            x.stop = true;
        }
    }

    /** CMPXCHG8B, and with REX.W CMPXCHG16B (16-byte aligned operand, else #GP(0)). */
    private static void cmpxchg8b(Interpreter x, Insn i) {
        if (i.mod == 3 || i.reg != 1) {
            throw x.ud();
        }
        long[] regs = x.regs;
        int f = x.F.compute();
        if (i.o64) {
            long ea = x.ea(i);
            if ((ea & 15) != 0) {
                throw x.gp0();
            }
            long la = x.lin(i.seg, ea, 16);
            long lo = x.mmu.read64(la);
            long hi = x.mmu.read64(la + 8);
            if (lo == regs[0] && hi == regs[2]) {
                x.mmu.write64(la, regs[3]);
                x.mmu.write64(la + 8, regs[1]);
                f |= Flags.ZF;
            } else {
                x.mmu.write64(la, lo);
                x.mmu.write64(la + 8, hi);
                regs[0] = lo;
                regs[2] = hi;
                f &= ~Flags.ZF;
            }
            x.F.load(f);
            return;
        }
        long la = x.lin(i.seg, x.ea(i), 8);
        long m = x.mmu.read64(la);
        long edxeax = (regs[2] << 32) | (regs[0] & 0xffffffffL);
        if (m == edxeax) {
            x.mmu.write64(la, (regs[1] << 32) | (regs[3] & 0xffffffffL));
            f |= Flags.ZF;
        } else {
            x.mmu.write64(la, m);
            regs[0] = m & 0xffffffffL;
            regs[2] = m >>> 32;
            f &= ~Flags.ZF;
        }
        x.F.load(f);
    }

    private static void group6(Interpreter x, Insn i) {
        if (!x.pmode() || x.vm86()) {
            throw x.ud();
        }
        switch (i.reg) {
            case 0 -> storeSel(x, i, x.c.ldtSel);
            case 1 -> storeSel(x, i, x.c.trSel);
            case 2 -> x.c.seg.lldt((int) x.ldrm(i, 2) & 0xffff);
            case 3 -> x.c.seg.ltr((int) x.ldrm(i, 2) & 0xffff);
            case 4, 5 -> {
                int sel = (int) x.ldrm(i, 2) & 0xffff;
                boolean ok = i.reg == 4 ? x.c.seg.verr(sel) : x.c.seg.verw(sel);
                int f = x.F.compute();
                x.F.load(ok ? f | Flags.ZF : f & ~Flags.ZF);
            }
            default -> throw x.ud();
        }
    }

    private static void storeSel(Interpreter x, Insn i, int sel) {
        if (i.mod == 3) {
            x.wreg(i.rm, Interpreter.osz(i), sel & 0xffff);
        } else {
            x.strm(i, 2, sel);
        }
    }

    private static void group7(Interpreter x, Insn i) {
        int r = i.reg;
        if (r == 4) { // SMSW
            long v = x.c.cr0;
            if (i.mod == 3) {
                x.wreg(i.rm, Interpreter.osz(i), i.o32 ? v : v & 0xffff);
            } else {
                x.strm(i, 2, v);
            }
            return;
        }
        if (r == 6) {
            x.c.sys.lmsw((int) x.ldrm(i, 2) & 0xffff);
            return;
        }
        if (i.mod == 3) {
            if (r == 7 && i.rm == 0 && i.m64) {
                x.c.sys.swapgs();
                return;
            }
            if (r == 7 && i.rm == 1) {
                x.c.sys.rdtscp();
                return;
            }
            throw x.ud();
        }
        if (r == 5) {
            throw x.ud();
        }
        long off = x.ea(i);
        long off2 = Interpreter.addOff(i, off, 2);
        switch (r) {
            case 0, 1 -> {
                int limit = r == 0 ? x.c.gdtLimit : x.c.idtLimit;
                long base = r == 0 ? x.c.gdtBase : x.c.idtBase;
                x.wr(x.lin(i.seg, off, 2), 2, limit);
                if (i.m64) {
                    x.wr(x.lin(i.seg, off2, 8), 8, base);
                } else {
                    x.wr(x.lin(i.seg, off2, 4), 4, i.o32 ? base : base & 0xffffff);
                }
            }
            case 2, 3 -> {
                int limit = (int) x.rd(x.lin(i.seg, off, 2), 2);
                long base;
                if (i.m64) {
                    base = x.rd(x.lin(i.seg, off2, 8), 8);
                } else {
                    long b = x.rd(x.lin(i.seg, off2, 4), 4);
                    base = i.o32 ? b : b & 0xffffff;
                }
                if (r == 2) {
                    x.c.seg.lgdt(base, limit);
                } else {
                    x.c.seg.lidt(base, limit);
                }
            }
            default -> x.c.sys.invlpg(x.addr(i, 1));
        }
    }
}
