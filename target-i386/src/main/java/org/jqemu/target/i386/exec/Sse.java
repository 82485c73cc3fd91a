package org.jqemu.target.i386.exec;

import org.jqemu.target.i386.SysBits;
import org.jqemu.target.i386.decode.Insn;
import org.jqemu.target.i386.fpu.FpuState;

/**
 * FXSR and the SSE control instructions of group 15 (0F AE; Intel SDM vol. 2, FXSAVE, FXRSTOR,
 * LDMXCSR, STMXCSR, LFENCE/MFENCE/SFENCE), on {@link FpuState}. CLFLUSH is #UD: CPUID does
 * not advertise CLFSH.
 *
 * <p>The FXSAVE image is the 32-bit legacy layout (SDM vol. 1, table 10-2): FCW, FSW, the
 * abridged tag byte, FOP, FIP/FCS, FDP/FDS, MXCSR and MXCSR_MASK, ST0-ST7 in 16-byte slots, then
 * XMM0-XMM7. MXCSR and the XMM registers are saved and restored only with CR4.OSFXSR, as QEMU
 * does (the SDM leaves it implementation specific). The 64-bit (REX.W) layout is not done yet.
 */
final class Sse {
    private Sse() {
    }

    /** MXCSR bits a guest may set (no DAZ on the P6 family; we report the mask 0xFFFF like QEMU). */
    static final int MXCSR_MASK = 0xffff;

    static void group15(Interpreter x, Insn i) {
        if (i.mod == 3) {
            switch (i.reg) {
                case 5, 6, 7 -> { } // LFENCE, MFENCE, SFENCE: every access here is already ordered
                default -> throw x.ud();
            }
            return;
        }
        switch (i.reg) {
            case 0 -> fxsave(x, i);
            case 1 -> fxrstor(x, i);
            case 2 -> ldmxcsr(x, i);
            case 3 -> stmxcsr(x, i);
            default -> throw x.ud();
        }
    }

    private static void checkFxsr(Interpreter x) {
        if ((x.c.cr0 & (SysBits.CR0_EM | SysBits.CR0_TS)) != 0) {
            throw x.intr.fault(7);
        }
    }

    private static void checkSse(Interpreter x) {
        if ((x.c.cr0 & SysBits.CR0_EM) != 0 || (x.c.cr4 & SysBits.CR4_OSFXSR) == 0) {
            throw x.ud();
        }
        if ((x.c.cr0 & SysBits.CR0_TS) != 0) {
            throw x.intr.fault(7);
        }
    }

    private static long area(Interpreter x, Insn i) {
        long off = x.ea(i);
        if ((off & 15) != 0 || ((x.c.segBase[i.seg] + off) & 15) != 0) {
            throw x.gp0();
        }
        return x.lin(i.seg, off, 512);
    }

    private static void wr64(Interpreter x, long la, long v) {
        x.wr(la, 4, (int) v);
        x.wr(la + 4, 4, (int) (v >>> 32));
    }

    private static long rd64(Interpreter x, long la) {
        return (x.rd(la, 4) & 0xffffffffL) | ((long) x.rd(la + 4, 4) << 32);
    }

    static void fxsave(Interpreter x, Insn i) {
        checkFxsr(x);
        long la = area(x, i);
        FpuState f = x.c.fpu;
        x.wr(la, 2, f.fcw);
        x.wr(la + 2, 2, f.statusWord());
        x.wr(la + 4, 2, f.abridgedTag());
        x.wr(la + 6, 2, f.fop & 0x7ff);
        x.wr(la + 8, 4, (int) f.fip);
        x.wr(la + 12, 4, f.fcs);
        x.wr(la + 16, 4, (int) f.fdp);
        x.wr(la + 20, 4, f.fds);
        boolean sse = (x.c.cr4 & SysBits.CR4_OSFXSR) != 0;
        if (sse) {
            x.wr(la + 24, 4, f.mxcsr);
            x.wr(la + 28, 4, MXCSR_MASK);
        }
        for (int k = 0; k < 8; k++) {
            int p = f.phys(k);
            long a = la + 32 + 16L * k;
            wr64(x, a, f.mant[p]);
            x.wr(a + 8, 2, f.sexp[p]);
        }
        if (sse) {
            for (int r = 0; r < 8; r++) {
                wr64(x, la + 160 + 16L * r, f.xmm[2 * r]);
                wr64(x, la + 168 + 16L * r, f.xmm[2 * r + 1]);
            }
        }
    }

    static void fxrstor(Interpreter x, Insn i) {
        checkFxsr(x);
        long la = area(x, i);
        FpuState f = x.c.fpu;
        boolean sse = (x.c.cr4 & SysBits.CR4_OSFXSR) != 0;
        int mxcsr = (int) x.rd(la + 24, 4);
        if (sse && (mxcsr & ~MXCSR_MASK) != 0) {
            throw x.gp0();
        }
        // read everything before changing anything, so a fault leaves the state intact
        int cw = (int) x.rd(la, 2) & 0xffff;
        int sw = (int) x.rd(la + 2, 2) & 0xffff;
        int tag = (int) x.rd(la + 4, 1) & 0xff;
        int fop = (int) x.rd(la + 6, 2) & 0x7ff;
        long fip = x.rd(la + 8, 4) & 0xffffffffL;
        int fcs = (int) x.rd(la + 12, 2) & 0xffff;
        long fdp = x.rd(la + 16, 4) & 0xffffffffL;
        int fds = (int) x.rd(la + 20, 2) & 0xffff;
        long[] m = f.loadM;
        int[] se = f.loadSe;
        for (int k = 0; k < 8; k++) {
            long a = la + 32 + 16L * k;
            m[k] = rd64(x, a);
            se[k] = (int) x.rd(a + 8, 2) & 0xffff;
        }
        long[] xmm = f.loadXmm;
        if (sse) {
            for (int r = 0; r < 16; r++) {
                xmm[r] = rd64(x, la + 160 + 8L * r);
            }
        }
        f.fcw = cw;
        f.setStatusWord(sw);
        f.empty = ~tag & 0xff;
        f.fop = fop;
        f.fip = fip;
        f.fcs = fcs;
        f.fdp = fdp;
        f.fds = fds;
        for (int k = 0; k < 8; k++) {
            int p = f.phys(k);
            f.mant[p] = m[k];
            f.sexp[p] = se[k];
        }
        if (sse) {
            f.mxcsr = mxcsr;
            System.arraycopy(xmm, 0, f.xmm, 0, 16);
        }
    }

    static void ldmxcsr(Interpreter x, Insn i) {
        checkSse(x);
        int v = (int) x.rd(x.lin(i.seg, x.ea(i), 4), 4);
        if ((v & ~MXCSR_MASK) != 0) {
            throw x.gp0();
        }
        x.c.fpu.mxcsr = v;
    }

    static void stmxcsr(Interpreter x, Insn i) {
        checkSse(x);
        x.wr(x.lin(i.seg, x.ea(i), 4), 4, x.c.fpu.mxcsr);
    }
}
