package org.jqemu.target.arm;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;

/**
 * The A64 integer instruction set (Arm ARM C4/C6): data processing (immediate and register),
 * loads and stores in every addressing mode including pairs, exclusives and acquire/release,
 * branches, and the exception-generating and system instructions. FP and Advanced SIMD words
 * go to {@link A64Simd}.
 *
 * <p>Decoding follows the top-level encoding table (C4.1): bits 28..25 pick the group, then each
 * group's fixed bits pick the instruction. Register 31 is the zero register or SP depending on
 * the instruction ({@link #r} vs {@link #rsp}).
 */
final class A64Interpreter {
    private final Aarch64Cpu cpu;
    private final long[] x;
    private final A64Simd simd;
    private final long[] offOut = new long[1];

    A64Interpreter(Aarch64Cpu cpu) {
        this.cpu = cpu;
        this.x = cpu.x;
        this.simd = new A64Simd(cpu, this);
    }

    // ---- register access ----------------------------------------------------------------------

    private long r(int n) {
        return n == 31 ? 0 : x[n];
    }

    private long rsp(int n) {
        return x[n];
    }

    private void w(int n, long v) {
        if (n != 31) {
            x[n] = v;
        }
    }

    private void wsp(int n, long v) {
        x[n] = v;
    }

    private void wsf(int n, long v, boolean sf) {
        if (n != 31) {
            x[n] = sf ? v : v & 0xffffffffL;
        }
    }

    // ---- dispatch -------------------------------------------------------------------------

    void exec(int w) {
        switch ((w >>> 25) & 0xf) {
            case 8, 9 -> dataImm(w);
            case 10, 11 -> branchSys(w);
            case 4, 6, 12, 14 -> loadStore(w);
            case 5, 13 -> dataReg(w);
            case 7, 15 -> simd.exec(w);
            default -> throw cpu.undefined();
        }
    }

    // ---- data processing, immediate -------------------------------------------------------

    private void dataImm(int w) {
        boolean sf = w < 0;
        int rd = w & 31;
        int rn = (w >>> 5) & 31;
        switch ((w >>> 23) & 7) {
            case 0, 1 -> { // ADR, ADRP
                long imm = ((long) ((w >>> 5) & 0x7ffff) << 2 | ((w >>> 29) & 3));
                imm = (imm << 43) >> 43;
                if (sf) {
                    w(rd, (cpu.pc & ~0xfffL) + (imm << 12));
                } else {
                    w(rd, cpu.pc + imm);
                }
            }
            case 2 -> { // add/sub immediate
                long imm = (w >>> 10) & 0xfff;
                if ((w & (1 << 22)) != 0) {
                    imm <<= 12;
                }
                boolean sub = (w & (1 << 30)) != 0;
                boolean setFlags = (w & (1 << 29)) != 0;
                long a = rsp(rn);
                long res = setFlags ? addSubFlags(a, imm, sub, sf) : (sub ? a - imm : a + imm);
                if (setFlags) {
                    wsf(rd, res, sf);
                } else {
                    wsp(rd, sf ? res : res & 0xffffffffL);
                }
            }
            case 4 -> { // logical immediate
                int n = (w >>> 22) & 1;
                if (!sf && n != 0) {
                    throw cpu.undefined();
                }
                long imm = decodeWmask(n, (w >>> 10) & 0x3f, (w >>> 16) & 0x3f, sf);
                long a = r(rn);
                int opc = (w >>> 29) & 3;
                long res = switch (opc) {
                    case 0, 3 -> a & imm;
                    case 1 -> a | imm;
                    default -> a ^ imm;
                };
                if (!sf) {
                    res &= 0xffffffffL;
                }
                if (opc == 3) {
                    setNZ(res, sf);
                    w(rd, res);
                } else {
                    wsp(rd, res);
                }
            }
            case 5 -> { // move wide
                int hw = (w >>> 21) & 3;
                if (!sf && hw > 1) {
                    throw cpu.undefined();
                }
                long imm = (long) ((w >>> 5) & 0xffff) << (16 * hw);
                switch ((w >>> 29) & 3) {
                    case 0 -> wsf(rd, ~imm, sf);
                    case 2 -> w(rd, imm);
                    case 3 -> wsf(rd, (r(rd) & ~(0xffffL << (16 * hw))) | imm, sf);
                    default -> throw cpu.undefined();
                }
            }
            case 6 -> bitfield(w, sf, rd, rn);
            case 7 -> { // EXTR
                int rm = (w >>> 16) & 31;
                int lsb = (w >>> 10) & 0x3f;
                if (((w >>> 22) & 1) != (sf ? 1 : 0) || (!sf && lsb > 31)) {
                    throw cpu.undefined();
                }
                long hi = r(rn), lo = r(rm);
                long res;
                if (sf) {
                    res = lsb == 0 ? lo : (lo >>> lsb) | (hi << (64 - lsb));
                } else {
                    long cat = (hi << 32) | (lo & 0xffffffffL);
                    res = (cat >>> lsb) & 0xffffffffL;
                }
                w(rd, res);
            }
            default -> throw cpu.undefined();
        }
    }

    /** DecodeBitMasks (Arm ARM J1): the wmask of a logical immediate. */
    long decodeWmask(int n, int imms, int immr, boolean sf) {
        int len = 31 - Integer.numberOfLeadingZeros((n << 6) | (~imms & 0x3f));
        if (len < 1) {
            throw cpu.undefined();
        }
        int levels = (1 << len) - 1;
        int s = imms & levels;
        if (s == levels) {
            throw cpu.undefined();
        }
        int r = immr & levels;
        int esize = 1 << len;
        long welem = (1L << (s + 1)) - 1;
        long emask = esize == 64 ? -1L : (1L << esize) - 1;
        long rot = r == 0 ? welem : ((welem >>> r) | (welem << (esize - r))) & emask;
        long out = rot;
        for (int e = esize; e < 64; e *= 2) {
            out |= out << e;
        }
        return sf ? out : out & 0xffffffffL;
    }

    private void bitfield(int w, boolean sf, int rd, int rn) {
        int opc = (w >>> 29) & 3;
        int n = (w >>> 22) & 1;
        int immr = (w >>> 16) & 0x3f;
        int imms = (w >>> 10) & 0x3f;
        int size = sf ? 64 : 32;
        if (opc == 3 || n != (sf ? 1 : 0) || (!sf && (immr > 31 || imms > 31))) {
            throw cpu.undefined();
        }
        long src = r(rn);
        if (!sf) {
            src &= 0xffffffffL;
        }
        long res;
        if (imms >= immr) {
            // extract field [imms:immr] to the bottom
            int width = imms - immr + 1;
            long field = (src >>> immr) & mask(width);
            if (opc == 0) {
                res = (field << (64 - width)) >> (64 - width);
            } else if (opc == 2) {
                res = field;
            } else {
                long d = r(rd);
                res = (d & ~mask(width)) | field;
            }
        } else {
            // insert bottom (imms+1) bits at position size - immr
            int width = imms + 1;
            int pos = size - immr;
            long field = src & mask(width);
            if (opc == 0) {
                long v = (field << (64 - width)) >> (64 - width);
                res = v << pos;
            } else if (opc == 2) {
                res = field << pos;
            } else {
                long d = r(rd);
                res = (d & ~(mask(width) << pos)) | (field << pos);
            }
        }
        wsf(rd, res, sf);
    }

    private static long mask(int width) {
        return width >= 64 ? -1L : (1L << width) - 1;
    }

    // ---- flags --------------------------------------------------------------------------------

    private void setNZ(long res, boolean sf) {
        int nz;
        if (sf) {
            nz = (res < 0 ? 0x8000_0000 : 0) | (res == 0 ? 0x4000_0000 : 0);
        } else {
            int v = (int) res;
            nz = (v < 0 ? 0x8000_0000 : 0) | (v == 0 ? 0x4000_0000 : 0);
        }
        cpu.nzcv = nz;
    }

    /** AddWithCarry for ADDS/SUBS (b is inverted for subtraction, carry-in 1). */
    private long addSubFlags(long a, long b, boolean sub, boolean sf) {
        return addWithCarry(a, sub ? ~b : b, sub ? 1 : 0, sf);
    }

    private long addWithCarry(long a, long b, int carry, boolean sf) {
        long res;
        int flags;
        if (sf) {
            res = a + b + carry;
            boolean c = carry == 0 ? Long.compareUnsigned(res, a) < 0 : Long.compareUnsigned(res, a) <= 0;
            boolean v = ((a ^ res) & (b ^ res)) < 0;
            flags = (res < 0 ? 0x8000_0000 : 0) | (res == 0 ? 0x4000_0000 : 0) | (c ? 0x2000_0000 : 0)
                    | (v ? 0x1000_0000 : 0);
        } else {
            long ua = a & 0xffffffffL, ub = b & 0xffffffffL;
            long wide = ua + ub + carry;
            int r32 = (int) wide;
            boolean c = (wide >>> 32) != 0;
            boolean v = (((int) a ^ r32) & ((int) b ^ r32)) < 0;
            flags = (r32 < 0 ? 0x8000_0000 : 0) | (r32 == 0 ? 0x4000_0000 : 0) | (c ? 0x2000_0000 : 0)
                    | (v ? 0x1000_0000 : 0);
            res = wide & 0xffffffffL;
        }
        cpu.nzcv = flags;
        return res;
    }

    /** ConditionHolds (Arm ARM J1). */
    boolean cond(int c) {
        int f = cpu.nzcv;
        boolean n = f < 0, z = (f & 0x4000_0000) != 0, cc = (f & 0x2000_0000) != 0, v = (f & 0x1000_0000) != 0;
        boolean res = switch (c >>> 1) {
            case 0 -> z;
            case 1 -> cc;
            case 2 -> n;
            case 3 -> v;
            case 4 -> cc && !z;
            case 5 -> n == v;
            case 6 -> n == v && !z;
            default -> true;
        };
        return (c & 1) != 0 && c != 15 ? !res : res;
    }

    // ---- data processing, register -------------------------------------------------------

    private long shift(long v, int type, int amount, boolean sf) {
        if (amount == 0) {
            return v;
        }
        if (sf) {
            return switch (type) {
                case 0 -> v << amount;
                case 1 -> v >>> amount;
                case 2 -> v >> amount;
                default -> Long.rotateRight(v, amount);
            };
        }
        int i = (int) v;
        int res = switch (type) {
            case 0 -> i << amount;
            case 1 -> i >>> amount;
            case 2 -> i >> amount;
            default -> Integer.rotateRight(i, amount);
        };
        return res & 0xffffffffL;
    }

    private long extend(long v, int option, int amount) {
        long e = switch (option) {
            case 0 -> v & 0xff;
            case 1 -> v & 0xffff;
            case 2 -> v & 0xffffffffL;
            case 3 -> v;
            case 4 -> (byte) v;
            case 5 -> (short) v;
            case 6 -> (int) v;
            default -> v;
        };
        return e << amount;
    }

    private void dataReg(int w) {
        boolean sf = w < 0;
        int rd = w & 31;
        int rn = (w >>> 5) & 31;
        int rm = (w >>> 16) & 31;
        if ((w & (1 << 28)) == 0) {
            int shiftType = (w >>> 22) & 3;
            int imm6 = (w >>> 10) & 0x3f;
            if (!sf && imm6 > 31 && ((w & (1 << 24)) == 0 || (w & (1 << 21)) == 0)) {
                throw cpu.undefined();
            }
            if ((w & (1 << 24)) == 0) { // logical, shifted register
                long b = shift(r(rm), shiftType, imm6, sf);
                if ((w & (1 << 21)) != 0) {
                    b = ~b;
                }
                long a = r(rn);
                int opc = (w >>> 29) & 3;
                long res = switch (opc) {
                    case 0, 3 -> a & b;
                    case 1 -> a | b;
                    default -> a ^ b;
                };
                if (!sf) {
                    res &= 0xffffffffL;
                }
                if (opc == 3) {
                    setNZ(res, sf);
                }
                w(rd, res);
                return;
            }
            boolean sub = (w & (1 << 30)) != 0;
            boolean setFlags = (w & (1 << 29)) != 0;
            if ((w & (1 << 21)) == 0) { // add/sub shifted register
                if (shiftType == 3) {
                    throw cpu.undefined();
                }
                long b = shift(r(rm), shiftType, imm6, sf);
                long a = r(rn);
                long res = setFlags ? addSubFlags(a, b, sub, sf) : (sub ? a - b : a + b);
                wsf(rd, res, sf);
            } else { // add/sub extended register
                int amount = (w >>> 10) & 7;
                if (amount > 4 || shiftType != 0) {
                    throw cpu.undefined();
                }
                long b = extend(r(rm), (w >>> 13) & 7, amount);
                long a = rsp(rn);
                long res = setFlags ? addSubFlags(a, b, sub, sf) : (sub ? a - b : a + b);
                if (setFlags) {
                    wsf(rd, res, sf);
                } else {
                    wsp(rd, sf ? res : res & 0xffffffffL);
                }
            }
            return;
        }
        int op2 = (w >>> 21) & 0xf;
        if (op2 >= 8) {
            mulAdd(w, sf, rd, rn, rm);
            return;
        }
        switch (op2) {
            case 0 -> { // ADC/SBC
                if (((w >>> 10) & 0x3f) != 0) {
                    throw cpu.undefined();
                }
                boolean sub = (w & (1 << 30)) != 0;
                boolean setFlags = (w & (1 << 29)) != 0;
                long b = sub ? ~r(rm) : r(rm);
                int carry = (cpu.nzcv >>> 29) & 1;
                long res;
                if (setFlags) {
                    res = addWithCarry(r(rn), b, carry, sf);
                } else {
                    res = r(rn) + b + carry;
                }
                wsf(rd, res, sf);
            }
            case 2 -> { // CCMN/CCMP
                if ((w & (1 << 29)) == 0 || (w & (1 << 10)) != 0 || (w & (1 << 4)) != 0) {
                    throw cpu.undefined();
                }
                int c = (w >>> 12) & 0xf;
                if (cond(c)) {
                    long b = (w & (1 << 11)) != 0 ? rm : r(rm);
                    addSubFlags(r(rn), b, (w & (1 << 30)) != 0, sf);
                } else {
                    cpu.nzcv = (w & 0xf) << 28;
                }
            }
            case 4 -> { // conditional select
                if ((w & (1 << 29)) != 0 || (w & (1 << 11)) != 0) {
                    throw cpu.undefined();
                }
                int op = ((w >>> 29) & 2) | ((w >>> 10) & 1);
                long res;
                if (cond((w >>> 12) & 0xf)) {
                    res = r(rn);
                } else {
                    long m = r(rm);
                    res = switch (op) {
                        case 0 -> m;
                        case 1 -> m + 1;
                        case 2 -> ~m;
                        default -> -m;
                    };
                }
                wsf(rd, res, sf);
            }
            case 6 -> {
                if ((w & (1 << 29)) != 0) {
                    throw cpu.undefined();
                }
                if ((w & (1 << 30)) == 0) {
                    dataProc2(w, sf, rd, rn, rm);
                } else {
                    dataProc1(w, sf, rd, rn);
                }
            }
            default -> throw cpu.undefined();
        }
    }

    private void dataProc2(int w, boolean sf, int rd, int rn, int rm) {
        int opcode = (w >>> 10) & 0x3f;
        long a = r(rn), b = r(rm);
        long res;
        switch (opcode) {
            case 2 -> { // UDIV
                if (sf) {
                    res = b == 0 ? 0 : Long.divideUnsigned(a, b);
                } else {
                    long ua = a & 0xffffffffL, ub = b & 0xffffffffL;
                    res = ub == 0 ? 0 : ua / ub;
                }
            }
            case 3 -> { // SDIV
                if (sf) {
                    res = b == 0 ? 0 : (a == Long.MIN_VALUE && b == -1) ? a : a / b;
                } else {
                    int ia = (int) a, ib = (int) b;
                    res = ib == 0 ? 0 : (ia == Integer.MIN_VALUE && ib == -1) ? ia : ia / ib;
                }
            }
            case 8, 9, 10, 11 -> res = shift(sf ? a : a & 0xffffffffL, opcode - 8, (int) (b & (sf ? 63 : 31)), sf);
            case 16, 17, 18, 19, 20, 21, 22, 23 -> { // CRC32{B,H,W,X}, CRC32C{B,H,W,X}
                int sz = opcode & 3;
                if ((sz == 3) != sf) {
                    throw cpu.undefined();
                }
                res = crc32((int) a, b, 1 << sz, (opcode & 4) != 0 ? 0x82f6_3b78 : 0xedb8_8320) & 0xffffffffL;
            }
            default -> throw cpu.undefined();
        }
        wsf(rd, res, sf);
    }

    /** The CRC-32 step of the CRC32 instructions: reflected, no pre- or post-inversion. */
    private static int crc32(int acc, long data, int bytes, int poly) {
        int crc = acc;
        for (int i = 0; i < bytes; i++) {
            crc ^= (int) (data >>> (8 * i)) & 0xff;
            for (int k = 0; k < 8; k++) {
                crc = (crc >>> 1) ^ (poly & -(crc & 1));
            }
        }
        return crc;
    }

    private void dataProc1(int w, boolean sf, int rd, int rn) {
        if (((w >>> 16) & 0x1f) != 0) {
            throw cpu.undefined();
        }
        int opcode = (w >>> 10) & 0x3f;
        long a = r(rn);
        int i = (int) a;
        long res = switch (opcode) {
            case 0 -> sf ? Long.reverse(a) : Integer.reverse(i) & 0xffffffffL; // RBIT
            case 1 -> ((a & 0x00ff00ff00ff00ffL) << 8) | ((a >>> 8) & 0x00ff00ff00ff00ffL); // REV16
            case 2 -> sf // REV32 (bytes of each word) / REV (32-bit)
                    ? ((long) Integer.reverseBytes((int) (a >>> 32)) << 32) | (Integer.reverseBytes(i) & 0xffffffffL)
                    : Integer.reverseBytes(i) & 0xffffffffL;
            case 3 -> {
                if (!sf) {
                    throw cpu.undefined();
                }
                yield Long.reverseBytes(a);
            }
            case 4 -> sf ? Long.numberOfLeadingZeros(a) : Integer.numberOfLeadingZeros(i); // CLZ
            case 5 -> sf ? Long.numberOfLeadingZeros(a ^ (a >> 1)) - 1 : Integer.numberOfLeadingZeros(i ^ (i >> 1)) - 1;
            default -> throw cpu.undefined();
        };
        wsf(rd, res, sf);
    }

    private void mulAdd(int w, boolean sf, int rd, int rn, int rm) {
        int op31 = (w >>> 21) & 7;
        boolean o0 = (w & (1 << 15)) != 0;
        int ra = (w >>> 10) & 31;
        if (((w >>> 29) & 3) != 0) {
            throw cpu.undefined();
        }
        long a = r(rn), b = r(rm), acc = r(ra);
        long res;
        switch (op31) {
            case 0 -> res = o0 ? acc - a * b : acc + a * b;
            case 1 -> {
                long p = (long) (int) a * (long) (int) b;
                res = o0 ? acc - p : acc + p;
            }
            case 5 -> {
                long p = (a & 0xffffffffL) * (b & 0xffffffffL);
                res = o0 ? acc - p : acc + p;
            }
            case 2 -> res = Math.multiplyHigh(a, b);
            case 6 -> res = Math.unsignedMultiplyHigh(a, b);
            default -> throw cpu.undefined();
        }
        if (!sf && op31 != 0) {
            throw cpu.undefined();
        }
        wsf(rd, res, sf);
    }

    // ---- branches, exceptions, system ------------------------------------------------------

    private void branchSys(int w) {
        if ((w & 0x7c00_0000) == 0x1400_0000) { // B, BL
            long off = ((long) (w << 6) >> 6) << 2;
            if (w < 0) {
                x[30] = cpu.pc + 4;
            }
            cpu.nextPc = cpu.pc + off;
            return;
        }
        if ((w & 0x7e00_0000) == 0x3400_0000) { // CBZ, CBNZ
            long v = r(w & 31);
            if (w >= 0) {
                v &= 0xffffffffL;
            }
            boolean nz = (w & (1 << 24)) != 0;
            if ((v == 0) != nz) {
                cpu.nextPc = cpu.pc + ((long) ((w << 8) >> 13) << 2);
            }
            return;
        }
        if ((w & 0x7e00_0000) == 0x3600_0000) { // TBZ, TBNZ
            int bit = ((w >>> 26) & 0x20) | ((w >>> 19) & 0x1f);
            boolean set = ((r(w & 31) >>> bit) & 1) != 0;
            boolean nz = (w & (1 << 24)) != 0;
            if (set == nz) {
                cpu.nextPc = cpu.pc + ((long) ((w << 13) >> 18) << 2);
            }
            return;
        }
        if ((w & 0xff00_0010) == 0x5400_0000) { // B.cond
            if (cond(w & 0xf)) {
                cpu.nextPc = cpu.pc + ((long) ((w << 8) >> 13) << 2);
            }
            return;
        }
        if ((w & 0xff00_0000) == 0xd400_0000) {
            exceptionGen(w);
            return;
        }
        if ((w & 0xffc0_0000) == 0xd500_0000) {
            system(w);
            return;
        }
        if ((w & 0xfe00_0000) == 0xd600_0000) { // unconditional branch (register)
            int opc = (w >>> 21) & 0xf;
            if (((w >>> 16) & 0x1f) != 0x1f || ((w >>> 10) & 0x3f) != 0 || (w & 31) != 0) {
                throw cpu.undefined();
            }
            int rn = (w >>> 5) & 31;
            switch (opc) {
                case 0, 2 -> cpu.nextPc = r(rn);
                case 1 -> {
                    long t = r(rn);
                    x[30] = cpu.pc + 4;
                    cpu.nextPc = t;
                }
                case 4 -> {
                    if (cpu.el == 0 || rn != 31) {
                        throw cpu.undefined();
                    }
                    cpu.exceptionReturn();
                }
                default -> throw cpu.undefined();
            }
            return;
        }
        throw cpu.undefined();
    }

    private void exceptionGen(int w) {
        int opc = (w >>> 21) & 7;
        int imm16 = (w >>> 5) & 0xffff;
        int ll = w & 3;
        if (((w >>> 2) & 7) != 0) {
            throw cpu.undefined();
        }
        if (opc == 0 && ll == 1) { // SVC
            cpu.takeException(Aarch64Cpu.VEC_SYNC, Aarch64Cpu.EC_SVC, imm16, cpu.pc + 4);
        } else if (opc == 0 && ll == 2) { // HVC
            cpu.firmwareCall(FirmwareCallHandler.Conduit.HVC, imm16);
        } else if (opc == 0 && ll == 3) { // SMC
            cpu.firmwareCall(FirmwareCallHandler.Conduit.SMC, imm16);
        } else if (opc == 1 && ll == 0) { // BRK
            throw cpu.fault(Aarch64Cpu.EC_BRK, imm16);
        } else {
            throw cpu.undefined();
        }
    }

    private void system(int w) {
        int l = (w >>> 21) & 1;
        int op0 = (w >>> 19) & 3;
        int op1 = (w >>> 16) & 7;
        int crn = (w >>> 12) & 0xf;
        int crm = (w >>> 8) & 0xf;
        int op2 = (w >>> 5) & 7;
        int rt = w & 31;
        if (op0 == 0 && l == 0) {
            if (crn == 2) { // hints
                int hint = (crm << 3) | op2;
                if (hint == 3) { // WFI
                    if (cpu.el == 0 && (cpu.sys.sctlrEl1 & A64SysRegs.SCTLR_NTWI) == 0) {
                        throw cpu.fault(Aarch64Cpu.EC_WFX, 0x1e0_0000);
                    }
                    if (!cpu.irqLevel && !cpu.fiqLevel) {
                        cpu.halted = true;
                    }
                } else if (hint == 2 || hint == 1) {
                    // WFE / YIELD: no event model; give other threads a chance instead of spinning
                    Thread.onSpinWait();
                }
                return; // NOP, SEV, SEVL, ESB, PAC*/BTI hint space (not advertised) ...
            }
            if (crn == 3) { // barriers
                switch (op2) {
                    case 2 -> cpu.exclAddr = -1; // CLREX
                    case 4, 5 -> VarHandle.fullFence(); // DSB, DMB
                    default -> { } // ISB, SB: blocks already end here
                }
                return;
            }
            if (crn == 4) { // MSR (immediate) to PSTATE fields
                int imm = crm;
                if (cpu.el == 0 && !(op1 == 3 && (op2 == 6 || op2 == 7) && (cpu.sys.sctlrEl1 & A64SysRegs.SCTLR_UMA) != 0)) {
                    throw cpu.undefined();
                }
                if (op1 == 0 && op2 == 5) {
                    cpu.setMode(cpu.el, (imm & 1) != 0);
                } else if (op1 == 3 && op2 == 6) {
                    cpu.daif |= imm << 6;
                } else if (op1 == 3 && op2 == 7) {
                    cpu.daif &= ~(imm << 6);
                } else {
                    throw cpu.undefined();
                }
                return;
            }
            throw cpu.undefined();
        }
        if (op0 == 1) {
            if (l == 1) {
                throw cpu.undefined();
            }
            cpu.sys.sys(op1, crn, crm, op2, r(rt));
            return;
        }
        if (op0 == 0) {
            throw cpu.undefined();
        }
        int e = A64SysRegs.enc(op0, op1, crn, crm, op2);
        if (l == 1) {
            w(rt, cpu.sys.read(e));
        } else {
            cpu.sys.write(e, r(rt));
        }
    }

    // ---- loads and stores ------------------------------------------------------------------

    private void loadStore(int w) {
        if ((w & 0xbe00_0000) == 0x0c00_0000) {
            simd.loadStoreStructure(w);
            return;
        }
        if ((w & 0x3f00_0000) == 0x0800_0000) {
            exclusive(w);
            return;
        }
        if ((w & 0x3b00_0000) == 0x1800_0000) { // load literal
            long addr = cpu.pc + ((long) ((w << 8) >> 13) << 2);
            int rt = w & 31;
            int opc = (w >>> 30) & 3;
            if ((w & (1 << 26)) != 0) {
                if (opc == 3) {
                    throw cpu.undefined();
                }
                simd.checkFp();
                simd.loadReg(rt, addr, 4 << opc);
                return;
            }
            switch (opc) {
                case 0 -> w(rt, cpu.mmu.read(addr, 4));
                case 1 -> w(rt, cpu.mmu.read(addr, 8));
                case 2 -> w(rt, (int) cpu.mmu.read(addr, 4));
                default -> { } // PRFM
            }
            return;
        }
        if ((w & 0x3a00_0000) == 0x2800_0000) {
            pair(w);
            return;
        }
        if ((w & 0x3b00_0000) == 0x3900_0000) { // unsigned offset
            int size = (w >>> 30) & 3;
            int opc = (w >>> 22) & 3;
            int scale = size;
            if ((w & (1 << 26)) != 0 && (opc & 2) != 0) {
                scale = 4;
            }
            long addr = rsp((w >>> 5) & 31) + ((long) ((w >>> 10) & 0xfff) << scale);
            single(w, addr, false);
            return;
        }
        if ((w & 0x3b00_0000) == 0x3800_0000) {
            int rn = (w >>> 5) & 31;
            if ((w & (1 << 21)) != 0) {
                if (((w >>> 10) & 3) == 0 && (w & (1 << 26)) == 0 && cpu.hasLse()) {
                    atomicMemoryOp(w);
                    return;
                }
                if (((w >>> 10) & 3) != 2) {
                    throw cpu.undefined(); // PAC loads are not implemented
                }
                int option = (w >>> 13) & 7;
                if ((option & 2) == 0) {
                    throw cpu.undefined();
                }
                int size = (w >>> 30) & 3;
                int scale = size;
                if ((w & (1 << 26)) != 0 && ((w >>> 22) & 2) != 0) {
                    scale = 4;
                }
                int amount = (w & (1 << 12)) != 0 ? scale : 0;
                long addr = rsp(rn) + extend(r((w >>> 16) & 31), option, amount);
                single(w, addr, false);
                return;
            }
            long imm9 = (w << 11) >> 23;
            long base = rsp(rn);
            switch ((w >>> 10) & 3) {
                case 0 -> single(w, base + imm9, false);
                case 1 -> {
                    single(w, base, false);
                    wsp(rn, base + imm9);
                }
                case 2 -> {
                    if ((w & (1 << 26)) != 0) {
                        throw cpu.undefined();
                    }
                    single(w, base + imm9, true);
                }
                default -> {
                    single(w, base + imm9, false);
                    wsp(rn, base + imm9);
                }
            }
            return;
        }
        throw cpu.undefined();
    }

    /** One register load or store (LDR/STR/LDRB/LDRSH/... and their FP forms, PRFM). */
    private void single(int w, long addr, boolean unpriv) {
        int size = (w >>> 30) & 3;
        int opc = (w >>> 22) & 3;
        int rt = w & 31;
        if ((w & (1 << 26)) != 0) {
            simd.checkFp();
            int bytes = (opc & 2) != 0 ? (size == 0 ? 16 : -1) : 1 << size;
            if (bytes < 0) {
                throw cpu.undefined();
            }
            if ((opc & 1) != 0) {
                simd.loadReg(rt, addr, bytes);
            } else {
                simd.storeReg(rt, addr, bytes);
            }
            return;
        }
        A64Mmu m = cpu.mmu;
        boolean priv = !unpriv || cpu.el == 0;
        int bytes = 1 << size;
        switch (opc) {
            case 0 -> {
                if (priv) {
                    m.write(addr, bytes, r(rt));
                } else {
                    m.writeUnpriv(addr, bytes, r(rt));
                }
            }
            case 1 -> w(rt, priv ? m.read(addr, bytes) : m.readUnpriv(addr, bytes));
            default -> {
                if (size == 3) {
                    if (opc == 2) {
                        return; // PRFM
                    }
                    throw cpu.undefined();
                }
                if (size == 2 && opc == 3) {
                    throw cpu.undefined();
                }
                long v = priv ? m.read(addr, bytes) : m.readUnpriv(addr, bytes);
                int sh = 64 - 8 * bytes;
                v = (v << sh) >> sh;
                w(rt, opc == 3 ? v & 0xffffffffL : v);
            }
        }
    }

    private void pair(int w) {
        int opc = (w >>> 30) & 3;
        boolean simdPair = (w & (1 << 26)) != 0;
        boolean load = (w & (1 << 22)) != 0;
        int mode = (w >>> 23) & 3;
        int rt = w & 31, rn = (w >>> 5) & 31, rt2 = (w >>> 10) & 31;
        int scale = simdPair ? 2 + opc : 2 + (opc >>> 1);
        if (opc == 3 || (!simdPair && opc == 1 && !load)) {
            throw cpu.undefined(); // LDPSW has opc 01 with L; STGP (MTE) is not implemented
        }
        long imm = ((long) ((w << 10) >> 25)) << scale;
        long base = rsp(rn);
        long addr = mode == 1 ? base : base + imm;
        int bytes = 1 << scale;
        if (simdPair) {
            simd.checkFp();
            if (load) {
                simd.loadReg(rt, addr, bytes);
                simd.loadReg(rt2, addr + bytes, bytes);
            } else {
                simd.storeReg(rt, addr, bytes);
                simd.storeReg(rt2, addr + bytes, bytes);
            }
        } else if (load) {
            long a = cpu.mmu.read(addr, bytes);
            long b = cpu.mmu.read(addr + bytes, bytes);
            if (opc == 1) { // LDPSW
                a = (int) a;
                b = (int) b;
            }
            w(rt, a);
            w(rt2, b);
        } else {
            long a = r(rt), b = r(rt2);
            cpu.mmu.write(addr, bytes, a);
            cpu.mmu.write(addr + bytes, bytes, b);
        }
        if (mode == 1 || mode == 3) {
            wsp(rn, base + imm);
        }
    }

    /**
     * LDXR/STXR (and acquire/release forms, pairs), LDAR/STLR. A store-exclusive succeeds when
     * the monitor holds the same address and memory still holds the value the load-exclusive
     * read, checked and written with one compare-and-set so vCPUs on other threads cannot slip
     * in between (QEMU's approach).
     */
    private void exclusive(int w) {
        int size = (w >>> 30) & 3;
        boolean o2 = (w & (1 << 23)) != 0;
        boolean load = (w & (1 << 22)) != 0;
        boolean o1 = (w & (1 << 21)) != 0;
        int rs = (w >>> 16) & 31;
        int rt2 = (w >>> 10) & 31;
        int rn = (w >>> 5) & 31;
        int rt = w & 31;
        long addr = rsp(rn);
        int bytes = 1 << size;
        if (o1 && rt2 == 31 && cpu.hasLse() && (o2 || size < 2)) {
            compareAndSwap(w, o2, size, rs, rn, rt);
            return;
        }
        if (o2) { // LDAR/STLR (LDLAR/STLLR with o0 = 0 behave the same here)
            if (o1) {
                throw cpu.undefined();
            }
            if (load) {
                w(rt, cpu.mmu.read(addr, bytes));
                VarHandle.acquireFence();
            } else {
                VarHandle.releaseFence();
                cpu.mmu.write(addr, bytes, r(rt));
            }
            return;
        }
        boolean pair = o1;
        if (pair && size < 2) {
            throw cpu.undefined();
        }
        int total = pair ? bytes * 2 : bytes;
        if ((addr & (total - 1)) != 0) {
            throw cpu.mmu.alignmentFault(addr, !load);
        }
        if (load) {
            long phys = cpu.mmu.translateData(addr, false);
            long v1, v2 = 0;
            if (pair && size == 3) {
                v1 = cpu.mmu.read(addr, 8);
                v2 = cpu.mmu.read(addr + 8, 8);
            } else {
                v1 = cpu.mmu.read(addr, total);
            }
            VarHandle.acquireFence();
            cpu.exclAddr = phys;
            cpu.exclSize = total;
            cpu.exclValue = v1;
            cpu.exclValue2 = v2;
            if (pair && size == 2) {
                w(rt, v1 & 0xffffffffL);
                w(rt2, v1 >>> 32);
            } else {
                w(rt, v1);
                if (pair) {
                    w(rt2, v2);
                }
            }
            return;
        }
        long phys = cpu.mmu.translateData(addr, true);
        boolean ok = false;
        if (cpu.exclAddr == phys && cpu.exclSize == total) {
            long nv1, nv2 = 0;
            if (pair && size == 2) {
                nv1 = (r(rt) & 0xffffffffL) | (r(rt2) << 32);
            } else {
                nv1 = r(rt);
                nv2 = pair ? r(rt2) : 0;
            }
            ok = storeConditional(addr, phys, total, nv1, nv2);
        }
        cpu.exclAddr = -1;
        w(rs, ok ? 0 : 1);
    }

    /** LDADD, LDCLR, LDEOR, LDSET, LD{S,U}{MAX,MIN}, SWP and their ST aliases (FEAT_LSE). */
    private void atomicMemoryOp(int w) {
        int size = (w >>> 30) & 3;
        int bytes = 1 << size;
        int o3 = (w >>> 15) & 1;
        int opc = (w >>> 12) & 7;
        if (o3 == 1 && opc != 0) {
            throw cpu.undefined(); // LDAPR (FEAT_LRCPC) is not advertised
        }
        int op = o3 == 1 ? GuestAtomics.SWP : opc;
        long addr = rsp((w >>> 5) & 31);
        if ((addr & (bytes - 1)) != 0) {
            throw cpu.mmu.alignmentFault(addr, true);
        }
        long operand = r((w >>> 16) & 31);
        long phys = cpu.mmu.translateData(addr, true);
        long[] off = offOut;
        MemorySegment seg = cpu.mmu.ramSegment(phys, bytes, off);
        long old;
        if (seg != null && !cpu.codePages.contains(phys)) {
            old = GuestAtomics.getAndOp(seg, off[0], bytes, op, operand);
        } else {
            synchronized (A64Interpreter.class) {
                old = cpu.mmu.read(addr, bytes);
                cpu.mmu.write(addr, bytes, GuestAtomics.apply(op, old, operand, bytes));
            }
        }
        VarHandle.fullFence();
        w(w & 31, bytes == 8 ? old : old & ((1L << (8 * bytes)) - 1));
    }

    /** CAS, CASA, CASL, CASAL (o2 set) and CASP (o2 clear, pairs): FEAT_LSE. */
    private void compareAndSwap(int w, boolean single, int size, int rs, int rn, int rt) {
        if (!single && ((rs & 1) != 0 || (rt & 1) != 0)) {
            throw cpu.undefined();
        }
        int bytes = single ? 1 << size : (size == 0 ? 8 : 16);
        long addr = rsp(rn);
        if ((addr & (bytes - 1)) != 0) {
            throw cpu.mmu.alignmentFault(addr, true);
        }
        long phys = cpu.mmu.translateData(addr, true);
        long[] off = offOut;
        if (!single && size == 1) { // 64-bit pair: 128 bits, no host CAS that wide
            synchronized (A64Interpreter.class) {
                long m0 = cpu.mmu.read(addr, 8), m1 = cpu.mmu.read(addr + 8, 8);
                if (m0 == r(rs) && m1 == r(rs + 1)) {
                    cpu.mmu.write(addr, 8, r(rt));
                    cpu.mmu.write(addr + 8, 8, r(rt + 1));
                }
                w(rs, m0);
                w(rs + 1, m1);
            }
            VarHandle.fullFence();
            return;
        }
        long expect, update;
        if (single) {
            long m = bytes == 8 ? -1L : (1L << (8 * bytes)) - 1;
            expect = r(rs) & m;
            update = r(rt) & m;
        } else {
            expect = (r(rs) & 0xffffffffL) | (r(rs + 1) << 32);
            update = (r(rt) & 0xffffffffL) | (r(rt + 1) << 32);
        }
        MemorySegment seg = cpu.mmu.ramSegment(phys, bytes, off);
        long old;
        if (seg != null && !cpu.codePages.contains(phys)) {
            while (true) {
                old = GuestAtomics.load(seg, off[0], bytes);
                if (old != expect || GuestAtomics.compareAndSet(seg, off[0], bytes, old, update)) {
                    break;
                }
            }
        } else {
            synchronized (A64Interpreter.class) {
                old = cpu.mmu.read(addr, bytes);
                if (old == expect) {
                    cpu.mmu.write(addr, bytes, update);
                }
            }
        }
        VarHandle.fullFence();
        if (single) {
            w(rs, old);
        } else {
            w(rs, old & 0xffffffffL);
            w(rs + 1, old >>> 32);
        }
    }

    private boolean storeConditional(long va, long phys, int total, long nv1, long nv2) {
        long[] off = offOut;
        MemorySegment seg = cpu.mmu.ramSegment(phys, total, off);
        long expect = cpu.exclValue;
        if (seg != null && total <= 8 && !cpu.codePages.contains(phys)) {
            return GuestAtomics.compareAndSet(seg, off[0], total, expect, nv1);
        }
        // pairs of doublewords, devices, code pages: compare and store under one lock
        synchronized (A64Interpreter.class) {
            if (total == 16) {
                if (cpu.mmu.read(va, 8) != expect || cpu.mmu.read(va + 8, 8) != cpu.exclValue2) {
                    return false;
                }
                cpu.mmu.write(va, 8, nv1);
                cpu.mmu.write(va + 8, 8, nv2);
                return true;
            }
            if (cpu.mmu.read(va, total) != expect) {
                return false;
            }
            cpu.mmu.write(va, total, nv1);
            return true;
        }
    }
}
