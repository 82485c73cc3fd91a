package org.jqemu.target.i386.exec;

import org.jqemu.target.i386.SysBits;
import org.jqemu.target.i386.decode.Insn;
import org.jqemu.target.i386.fpu.FpuState;

/**
 * MMX (Intel SDM vol. 1 chapter 9) and the SSE/SSE2 integer instructions on MMX registers: the
 * 0F 60-7F and D1-FE opcodes without a mandatory prefix, PSHUFW, PINSRW/PEXTRW, EMMS.
 *
 * <p>MM0-MM7 are the significands of the physical x87 registers R0-R7. Every MMX instruction
 * but EMMS sets TOP to 0 and tags all registers valid, and a write stores 0xFFFF in the
 * register's sign/exponent (SDM 9.5.1); EMMS tags them all empty. CR0.EM gives #UD, CR0.TS #NM,
 * and a pending x87 exception #MF, as for x87 instructions.
 */
final class Mmx {
    private Mmx() {
    }

    private static final int T = 32; // scratch slot in FpuState.xmm for the 64-bit destination

    static void exec(Interpreter x, Insn i, int op, FpuState f) {
        if ((x.c.cr0 & SysBits.CR0_EM) != 0) {
            throw x.ud();
        }
        if ((x.c.cr0 & SysBits.CR0_TS) != 0) {
            throw x.intr.fault(7);
        }
        X87.pending(x, f);
        if (op == 0x77) { // EMMS
            f.empty = 0xff;
            return;
        }
        f.top = 0;
        f.empty = 0;
        int d = i.reg;
        switch (op) {
            case 0x6e -> write(f, d, x.ldrm(i, 4) & 0xffffffffL);
            case 0x7e -> x.strm(i, 4, (int) f.mant[d]);
            case 0x6f -> write(f, d, source(x, i, f));
            case 0x7f, 0xe7 -> {
                if (i.mod == 3) {
                    if (op == 0xe7) {
                        throw x.ud();
                    }
                    write(f, i.rm, f.mant[d]);
                } else {
                    long la = x.lin(i.seg, x.ea(i), 8);
                    x.wr(la + 4, 4, (int) (f.mant[d] >>> 32));
                    x.wr(la, 4, (int) f.mant[d]);
                }
            }
            case 0x70 -> { // PSHUFW
                long s = source(x, i, f);
                int imm = i.imm & 0xff;
                long r = 0;
                for (int k = 0; k < 4; k++) {
                    r |= ((s >>> (16 * ((imm >> (2 * k)) & 3))) & 0xffff) << (16 * k);
                }
                write(f, d, r);
            }
            case 0x71, 0x72, 0x73 -> {
                if (i.mod != 3 || op == 0x73 && (i.reg == 3 || i.reg == 7)) {
                    throw x.ud();
                }
                int es = op == 0x71 ? 2 : op == 0x72 ? 4 : 8;
                int kind = i.reg;
                if (kind != 2 && kind != 6 && !(kind == 4 && es != 8)) {
                    throw x.ud();
                }
                f.res0 = 0;
                f.res1 = 0;
                SseOps.shiftLanes(f, kind, es, f.mant[i.rm], 0, i.imm & 0xff, 8);
                write(f, i.rm, f.res0);
            }
            case 0xc4 -> {
                int w = (int) x.ldrm(i, 2) & 0xffff;
                int sh = 16 * (i.imm & 3);
                write(f, d, (f.mant[d] & ~(0xffffL << sh)) | ((long) w << sh));
            }
            case 0xc5 -> {
                if (i.mod != 3) {
                    throw x.ud();
                }
                x.w32(d, (int) (f.mant[i.rm] >>> (16 * (i.imm & 3))) & 0xffff);
            }
            case 0xd7 -> {
                if (i.mod != 3) {
                    throw x.ud();
                }
                int m = 0;
                for (int k = 0; k < 8; k++) {
                    m |= (int) ((f.mant[i.rm] >>> (8 * k + 7)) & 1) << k;
                }
                x.w32(d, m);
            }
            case 0xf7 -> { // MASKMOVQ
                if (i.mod != 3) {
                    throw x.ud();
                }
                int off = i.a32 ? (int) x.regs[7] : (int) x.regs[7] & 0xffff;
                int seg = i.segOverride ? i.seg : Interpreter.DS;
                x.lin(seg, off, 8);
                for (int k = 0; k < 8; k++) {
                    if (((f.mant[i.rm] >>> (8 * k + 7)) & 1) != 0) {
                        int o = i.a32 ? off + k : (off + k) & 0xffff;
                        x.wr(x.lin(seg, o, 1), 1, (int) (f.mant[d] >>> (8 * k)));
                    }
                }
            }
            case 0x6c, 0x6d, 0xd6, 0xe6 -> throw x.ud();
            default -> {
                if (op >= 0x78 && op <= 0x7d) {
                    throw x.ud();
                }
                f.src[0] = source(x, i, f);
                f.src[1] = 0;
                f.xmm[T] = f.mant[d];
                f.xmm[T + 1] = 0;
                SseOps.integer(x, i, op, 0, f, 8);
                write(f, d, f.xmm[T]);
            }
        }
    }

    private static long source(Interpreter x, Insn i, FpuState f) {
        if (i.mod == 3) {
            return f.mant[i.rm];
        }
        long la = x.lin(i.seg, x.ea(i), 8);
        return (x.rd(la, 4) & 0xffffffffL) | ((long) x.rd(la + 4, 4) << 32);
    }

    private static void write(FpuState f, int r, long v) {
        f.mant[r] = v;
        f.sexp[r] = 0xffff;
    }
}
