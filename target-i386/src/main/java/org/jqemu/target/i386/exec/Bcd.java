package org.jqemu.target.i386.exec;

/** Decimal adjust instructions DAA DAS AAA AAS AAM AAD (SDM vol. 2 pseudo-code). */
final class Bcd {
    private Bcd() {
    }

    private static void setSzp(Interpreter x, int al, int keep) {
        x.F.set(Flags.LOGIC, 1, 0, 0, al & 0xff);
        int f = x.F.compute() | keep;
        x.F.load(f);
    }

    static void daa(Interpreter x) {
        int f = x.F.compute();
        int al = x.r8(0);
        int oldAl = al;
        boolean oldCf = (f & Flags.CF) != 0;
        int out = 0;
        if ((al & 0xf) > 9 || (f & Flags.AF) != 0) {
            al += 6;
            out |= Flags.AF;
            if (oldCf || al > 0xff) {
                out |= Flags.CF;
            }
        }
        if (oldAl > 0x99 || oldCf) {
            al += 0x60;
            out |= Flags.CF;
        } else {
            out &= ~Flags.CF;
        }
        x.w8(0, al);
        setSzp(x, al, out);
    }

    static void das(Interpreter x) {
        int f = x.F.compute();
        int al = x.r8(0);
        int oldAl = al;
        boolean oldCf = (f & Flags.CF) != 0;
        int out = 0;
        if ((al & 0xf) > 9 || (f & Flags.AF) != 0) {
            out |= Flags.AF;
            if (oldCf || al < 6) {
                out |= Flags.CF;
            }
            al -= 6;
        }
        if (oldAl > 0x99 || oldCf) {
            al -= 0x60;
            out |= Flags.CF;
        }
        x.w8(0, al);
        setSzp(x, al, out);
    }

    static void aaa(Interpreter x) {
        int f = x.F.compute() & ~(Flags.CF | Flags.AF);
        int ax = x.r16(0);
        if ((ax & 0xf) > 9 || (x.F.compute() & Flags.AF) != 0) {
            ax += 0x106;
            f |= Flags.CF | Flags.AF;
        }
        x.w16(0, ax & 0xff0f);
        x.F.load(f);
    }

    static void aas(Interpreter x) {
        int f = x.F.compute() & ~(Flags.CF | Flags.AF);
        int ax = x.r16(0);
        if ((ax & 0xf) > 9 || (x.F.compute() & Flags.AF) != 0) {
            ax -= 0x106;
            f |= Flags.CF | Flags.AF;
        }
        x.w16(0, ax & 0xff0f);
        x.F.load(f);
    }

    static void aam(Interpreter x, int base) {
        if (base == 0) {
            throw x.intr.fault(0);
        }
        int al = x.r8(0);
        int q = al / base;
        int r = al % base;
        x.w16(0, (q << 8) | r);
        x.F.set(Flags.LOGIC, 1, 0, 0, r);
    }

    static void aad(Interpreter x, int base) {
        int al = (x.r8(0) + x.r8(4) * base) & 0xff;
        x.w16(0, al);
        x.F.set(Flags.LOGIC, 1, 0, 0, al);
    }
}
