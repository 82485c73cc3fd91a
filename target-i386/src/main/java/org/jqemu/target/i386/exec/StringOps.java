package org.jqemu.target.i386.exec;

import org.jqemu.target.i386.decode.Insn;

/**
 * String instructions MOVS CMPS STOS LODS SCAS INS OUTS with the REP/REPE/REPNE prefixes.
 *
 * <p>Each iteration commits ESI/EDI/ECX before the next starts, so a fault in the middle of a
 * repeated instruction leaves the registers describing the work done so far and EIP at the
 * instruction, exactly as the SDM requires. Long repeats are cut into chunks: after a chunk the
 * instruction restarts itself (EIP stays) and the block ends, so interrupts and exit requests
 * are seen during a large copy as they would be on hardware.
 */
final class StringOps {
    private static final int CHUNK = 4096;

    private StringOps() {
    }

    static void exec(Interpreter x, Insn i, int op) {
        int s = (op & 1) == 0 ? 1 : op <= 0x6f ? Interpreter.ioSize(i) : Interpreter.osz(i);
        long[] regs = x.regs;
        long amask = i.a64 ? -1L : i.a32 ? 0xffffffffL : 0xffff;
        int delta = (x.c.eflags & Interpreter.DF) != 0 ? -s : s;
        int srcSeg = i.seg; // override or DS
        if (i.rep == 0) {
            once(x, i, op, s, srcSeg, delta, amask);
            return;
        }
        int n = 0;
        while (true) {
            long cx = regs[1] & amask;
            if (cx == 0) {
                return;
            }
            once(x, i, op, s, srcSeg, delta, amask);
            cx = (cx - 1) & amask;
            regs[1] = amask == 0xffff ? (regs[1] & ~0xffffL) | cx : cx;
            if (op == 0xa6 || op == 0xa7 || op == 0xae || op == 0xaf) {
                boolean zf = x.F.cond(4);
                if ((i.rep == 1 && !zf) || (i.rep == 2 && zf)) {
                    return;
                }
            }
            if (cx == 0) {
                return;
            }
            if (++n >= CHUNK || x.stop) {
                x.c.rip = x.insnStart;
                x.stop = true;
                return;
            }
        }
    }

    private static long index(Interpreter x, int r, long amask) {
        return x.regs[r] & amask;
    }

    /** Steps SI/DI; a 32-bit address size zero-extends into the 64-bit register, as any 32-bit write. */
    private static void advance(Interpreter x, int r, int delta, long amask) {
        long v = (x.regs[r] + delta) & amask;
        x.regs[r] = amask == 0xffff ? (x.regs[r] & ~0xffffL) | v : v;
    }

    private static void once(Interpreter x, Insn i, int op, int s, int srcSeg, int delta, long amask) {
        switch (op) {
            case 0xa4, 0xa5 -> {
                long v = x.rd(x.lin(srcSeg, index(x, 6, amask), s), s);
                x.wr(x.lin(0, index(x, 7, amask), s), s, v);
                advance(x, 6, delta, amask);
                advance(x, 7, delta, amask);
            }
            case 0xa6, 0xa7 -> {
                long a = x.rd(x.lin(srcSeg, index(x, 6, amask), s), s);
                long b = x.rd(x.lin(0, index(x, 7, amask), s), s);
                x.alu(7, a, b, s);
                advance(x, 6, delta, amask);
                advance(x, 7, delta, amask);
            }
            case 0xaa, 0xab -> {
                x.wr(x.lin(0, index(x, 7, amask), s), s, x.rreg(0, s));
                advance(x, 7, delta, amask);
            }
            case 0xac, 0xad -> {
                x.wreg(0, s, x.rd(x.lin(srcSeg, index(x, 6, amask), s), s));
                advance(x, 6, delta, amask);
            }
            case 0xae, 0xaf -> {
                long b = x.rd(x.lin(0, index(x, 7, amask), s), s);
                x.alu(7, x.rreg(0, s), b, s);
                advance(x, 7, delta, amask);
            }
            case 0x6c, 0x6d -> {
                long la = x.lin(0, index(x, 7, amask), s);
                // probe the destination first so a #PF does not lose the port read
                x.rd(la, s);
                long v = x.in(x.r16(2), s) & 0xffffffffL;
                x.wr(la, s, v);
                advance(x, 7, delta, amask);
            }
            default -> { // 0x6e, 0x6f OUTS
                long v = x.rd(x.lin(srcSeg, index(x, 6, amask), s), s);
                x.c.sys.out(x.r16(2), s, (int) v);
                advance(x, 6, delta, amask);
            }
        }
    }
}
