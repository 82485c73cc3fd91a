package org.jqemu.target.i386.exec;

import org.jqemu.target.i386.InterruptUnit;
import org.jqemu.target.i386.X86Cpu;
import org.jqemu.target.i386.X86Fault;
import org.jqemu.target.i386.X86Mmu;
import org.jqemu.target.i386.decode.Insn;

/**
 * Executes decoded x86 instructions: the general-purpose integer instruction set of the 8086
 * through the Pentium, in real, 16/32-bit protected and virtual-8086 mode, and x86-64's 64-bit
 * and compatibility modes (Intel SDM vol. 2).
 *
 * <p>Operand values travel as longs zero-extended from the operand size (1, 2, 4 or 8 bytes);
 * the general registers live in {@code cpu.regs}. A 32-bit register write zero-extends into the
 * 64-bit register, 8- and 16-bit writes keep the rest. In 64-bit mode only FS and GS have a
 * base and addresses must be canonical. Memory operands go segment → linear here
 * (limit checks) and linear → physical in {@link X86Mmu}. An instruction that faults leaves the
 * architectural state as it was before it: results are committed only after the last access
 * that can fault, and the executor rewinds EIP.
 *
 * <p>The dispatch is split into three switch methods (one-byte opcodes 00-7F, 80-FF and the 0F
 * page) so each stays well under HotSpot's 8000-bytecode JIT limit.
 *
 * <p>x87: ESC (D8-DF) and WAIT are handed to {@link X87} (state in {@code cpu.fpu}).
 */
public final class Interpreter {
    static final int ES = 0, CS = 1, SS = 2, DS = 3, FS = 4, GS = 5;
    static final int EAX = 0, ECX = 1, EDX = 2, EBX = 3, ESP = 4, EBP = 5, ESI = 6, EDI = 7;
    static final int IF = 0x200, DF = 0x400, TF = 0x100, IOPL = 0x3000, NT = 0x4000, RF = 0x10000, VM = 0x20000,
            AC = 0x40000, ID = 0x200000;

    final X86Cpu c;
    final long[] regs;
    final Flags F;
    final X86Mmu mmu;
    final InterruptUnit intr;

    /** Start of the executing instruction (EIP); cpu.rip already holds the next one. */
    long insnStart;
    /** Set by an instruction that needs the block to end early (rep chunking, halt, ...). */
    boolean stop;
    /** Set by MOV SS / POP SS / STI: the next interrupt check is skipped. */
    boolean inhibitIrq;

    public Interpreter(X86Cpu cpu, Flags flags) {
        this.c = cpu;
        this.regs = cpu.regs;
        this.F = flags;
        this.mmu = cpu.mmu;
        this.intr = cpu.intr;
    }

    /** The executing instruction is in 64-bit mode (set by {@link #exec}). */
    boolean m64;
    /** The executing instruction has a REX prefix: byte registers 4-7 are SPL..DIL. */
    boolean rex;

    // ---- registers ------------------------------------------------------------------------

    int r8(int r) {
        return r < 4 || rex ? (int) regs[r] & 0xff : ((int) regs[r - 4] >> 8) & 0xff;
    }

    void w8(int r, long v) {
        if (r < 4 || rex) {
            regs[r] = (regs[r] & ~0xffL) | (v & 0xff);
        } else {
            regs[r - 4] = (regs[r - 4] & ~0xff00L) | ((v & 0xff) << 8);
        }
    }

    int r16(int r) {
        return (int) regs[r] & 0xffff;
    }

    void w16(int r, long v) {
        regs[r] = (regs[r] & ~0xffffL) | (v & 0xffff);
    }

    int r32(int r) {
        return (int) regs[r];
    }

    /** 32-bit register write: zero-extends into the 64-bit register (SDM 3.4.1.1). */
    void w32(int r, long v) {
        regs[r] = v & 0xffffffffL;
    }

    /** Register {@code r} as an operand of {@code size} bytes, zero-extended. */
    long rreg(int r, int size) {
        return switch (size) {
            case 8 -> regs[r];
            case 4 -> regs[r] & 0xffffffffL;
            case 2 -> regs[r] & 0xffff;
            default -> r8(r);
        };
    }

    void wreg(int r, int size, long v) {
        switch (size) {
            case 8 -> regs[r] = v;
            case 4 -> regs[r] = v & 0xffffffffL;
            case 2 -> regs[r] = (regs[r] & ~0xffffL) | (v & 0xffff);
            default -> w8(r, v);
        }
    }

    static long mask(int size) {
        return size == 8 ? -1L : (1L << (size * 8)) - 1;
    }

    /** Sign-extends the low {@code size} bytes of {@code v}. */
    static long sext(long v, int size) {
        int sh = 64 - size * 8;
        return (v << sh) >> sh;
    }

    /** Operand size in bytes: 2, 4 or (REX.W) 8. */
    static int osz(Insn i) {
        return i.o64 ? 8 : i.o32 ? 4 : 2;
    }

    /** Port I/O width of IN/OUT/INS/OUTS: REX.W does not make it 8 (SDM "IN"). */
    static int ioSize(Insn i) {
        return i.o32 ? 4 : 2;
    }

    /** Stack operand size of PUSH/POP/CALL/RET...: 64-bit mode defaults to 8 (66 gives 2). */
    static int ssz(Insn i) {
        return i.m64 ? (i.o32 ? 8 : 2) : i.o32 ? 4 : 2;
    }

    // ---- segments and memory --------------------------------------------------------------

    /** Offset of the ModRM memory operand (address-size wrapped). */
    long ea(Insn i) {
        long off = i.disp;
        if (i.ripRel) {
            off += c.rip;
        } else if (i.base >= 0) {
            off += regs[i.base];
        }
        if (i.index >= 0) {
            off += regs[i.index] << i.scale;
        }
        return i.a64 ? off : i.a32 ? off & 0xffffffffL : off & 0xffff;
    }

    /** {@code off + delta} wrapped to the instruction's address size. */
    static long addOff(Insn i, long off, long delta) {
        long v = off + delta;
        return i.a64 ? v : i.a32 ? v & 0xffffffffL : v & 0xffff;
    }

    /**
     * Linear address of {@code size} bytes at {@code off} in segment {@code s}, after the limit
     * check of the segment's hidden descriptor (expand-down aware): #SS(0) for SS, else #GP(0).
     * In 64-bit mode only FS and GS have a base, there are no limits, and the address must be
     * canonical (SDM 3.3.7.1).
     *
     * <p>As in QEMU (the project's reference), the segment type is not checked per access:
     * writes through a read-only data segment or CS, and accesses through a null selector in
     * protected mode, do not fault (the SDM says #GP(0)). Load-time checks are done by
     * {@code Segmentation}.
     */
    long lin(int s, long off, int size) {
        if (m64) {
            long la = s >= FS ? c.segBase[s] + off : off;
            if (((la << 16) >> 16) != la) {
                throw intr.fault(s == SS ? 12 : 13, 0);
            }
            return la;
        }
        long o = off & 0xffffffffL;
        int attr = c.segAttr[s];
        long lim = c.segLimit[s] & 0xffffffffL;
        if ((attr & 0x1c) != 0x14) {
            if (o + size - 1 <= lim) {
                return (c.segBase[s] + o) & 0xffffffffL;
            }
        } else {
            long upper = (attr & 0x4000) != 0 ? 0xffffffffL : 0xffffL;
            if (o > lim && o + size - 1 <= upper) {
                return (c.segBase[s] + o) & 0xffffffffL;
            }
        }
        if ((attr & 0x80) == 0) {
            return (c.segBase[s] + o) & 0xffffffffL; // null selector: unchecked, as QEMU
        }
        throw intr.fault(s == SS ? 12 : 13, 0);
    }

    /** Data breakpoints (DR0-3 with DR7) are armed: every access is checked. */
    boolean watch;
    /** DR6 B0-B3 bits hit by the executing instruction. */
    int dbHits;

    private void checkWatch(long la, int size, boolean write) {
        long dr7 = c.dr[7];
        for (int n = 0; n < 4; n++) {
            if (((dr7 >> (n * 2)) & 3) == 0) {
                continue;
            }
            int rw = (int) (dr7 >> (16 + n * 4)) & 3;
            if (rw == 0 || rw == 2 || (rw == 1 && !write)) {
                continue; // execution and I/O breakpoints are not data accesses
            }
            int len = (int) (dr7 >> (18 + n * 4)) & 3;
            long blen = len == 0 ? 1 : len == 1 ? 2 : len == 3 ? 4 : 8;
            long start = c.dr[n] & ~(blen - 1);
            if (la < start + blen && la + size > start) {
                dbHits |= 1 << n;
            }
        }
    }

    long rd(long la, int size) {
        if (watch) {
            checkWatch(la, size, false);
        }
        return switch (size) {
            case 8 -> mmu.read64(la);
            case 4 -> mmu.read32(la) & 0xffffffffL;
            case 2 -> mmu.read16(la);
            default -> mmu.read8(la);
        };
    }

    void wr(long la, int size, long v) {
        if (watch) {
            checkWatch(la, size, true);
        }
        switch (size) {
            case 8 -> mmu.write64(la, v);
            case 4 -> mmu.write32(la, (int) v);
            case 2 -> mmu.write16(la, (int) v & 0xffff);
            default -> mmu.write8(la, (int) v & 0xff);
        }
    }

    long addr(Insn i, int size) {
        return lin(i.seg, ea(i), size);
    }

    /** Reads the r/m operand. */
    long ldrm(Insn i, int size) {
        if (i.mod == 3) {
            return rreg(i.rm, size);
        }
        return rd(lin(i.seg, ea(i), size), size);
    }

    void strm(Insn i, int size, long v) {
        if (i.mod == 3) {
            wreg(i.rm, size, v);
        } else {
            wr(lin(i.seg, ea(i), size), size, v);
        }
    }

    /**
     * For read-modify-write: linear address of the memory operand, or {@link #REG} for a
     * register ({@code -1} is a valid 64-bit address).
     */
    long rmwAddr(Insn i, int size) {
        return i.mod == 3 ? REG : lin(i.seg, ea(i), size);
    }

    /** Marks "register operand" for the rmw helpers: a non-canonical address never produced by lin. */
    static final long REG = 0x8000_0000_0000_0000L + 0x1234;

    long rmwLoad(Insn i, long la, int size) {
        return la == REG ? rreg(i.rm, size) : rd(la, size);
    }

    void rmwStore(Insn i, long la, int size, long v) {
        if (la == REG) {
            wreg(i.rm, size, v);
        } else {
            wr(la, size, v);
        }
    }

    // ---- stack ----------------------------------------------------------------------------

    boolean ss32() {
        return (c.segAttr[SS] & 0x4000) != 0;
    }

    long sp() {
        return m64 ? regs[ESP] : ss32() ? regs[ESP] & 0xffffffffL : regs[ESP] & 0xffff;
    }

    void setSp(long v) {
        if (m64) {
            regs[ESP] = v;
        } else if (ss32()) {
            regs[ESP] = v & 0xffffffffL;
        } else {
            regs[ESP] = (regs[ESP] & ~0xffffL) | (v & 0xffff);
        }
    }

    long spAdd(long sp, long delta) {
        return m64 ? sp + delta : ss32() ? (sp + delta) & 0xffffffffL : (sp + delta) & 0xffff;
    }

    void push(long v, int size) {
        long nsp = spAdd(sp(), -size);
        wr(lin(SS, nsp, size), size, v);
        setSp(nsp);
    }

    long pop(int size) {
        long s = sp();
        long v = rd(lin(SS, s, size), size);
        setSp(spAdd(s, size));
        return v;
    }

    long peek(int size, int offset) {
        return rd(lin(SS, spAdd(sp(), offset), size), size);
    }

    // ---- flags ----------------------------------------------------------------------------

    int flagsAll() {
        return c.getEflags();
    }

    void setArith(int f) {
        F.load(f);
    }

    int iopl() {
        return (c.eflags >> 12) & 3;
    }

    boolean pmode() {
        return (c.cr0 & 1) != 0;
    }

    boolean vm86() {
        return (c.eflags & VM) != 0;
    }

    X86Fault ud() {
        return intr.fault(6);
    }

    X86Fault gp0() {
        return intr.fault(13, 0);
    }

    // ---- ALU ------------------------------------------------------------------------------

    /** The eight classic ALU operations (ADD OR ADC SBB AND SUB XOR CMP) with their flags. */
    long alu(int op, long a, long b, int size) {
        long m = mask(size);
        a &= m;
        b &= m;
        long r;
        switch (op) {
            case 0 -> {
                r = (a + b) & m;
                F.set(Flags.ADD, size, a, b, r);
            }
            case 1 -> {
                r = a | b;
                F.set(Flags.LOGIC, size, a, b, r);
            }
            case 2 -> {
                int cin = F.cf();
                r = (a + b + cin) & m;
                F.set(Flags.ADC, size, a, b, r);
                F.cin = cin;
            }
            case 3 -> {
                int cin = F.cf();
                r = (a - b - cin) & m;
                F.set(Flags.SBB, size, a, b, r);
                F.cin = cin;
            }
            case 4 -> {
                r = a & b;
                F.set(Flags.LOGIC, size, a, b, r);
            }
            case 6 -> {
                r = a ^ b;
                F.set(Flags.LOGIC, size, a, b, r);
            }
            default -> { // 5 SUB, 7 CMP
                r = (a - b) & m;
                F.set(Flags.SUB, size, a, b, r);
            }
        }
        return r;
    }

    long inc(long a, int size) {
        int cf = F.cf();
        long m = mask(size);
        long r = (a + 1) & m;
        F.set(Flags.INC, size, a & m, 1, r);
        F.cin = cf;
        return r;
    }

    long dec(long a, int size) {
        int cf = F.cf();
        long m = mask(size);
        long r = (a - 1) & m;
        F.set(Flags.DEC, size, a & m, 1, r);
        F.cin = cf;
        return r;
    }

    /** ROL ROR RCL RCR SHL SHR SAL SAR by {@code count} (already masked to 5 or 6 bits). */
    long shift(int op, long v, int count, int size) {
        int bits = size * 8;
        long m = mask(size);
        v &= m;
        if (count == 0) {
            return v;
        }
        long sign = 1L << (bits - 1);
        long r;
        switch (op) {
            case 0 -> { // ROL
                int n = count % bits;
                r = n == 0 ? v : ((v << n) | (v >>> (bits - n))) & m;
                int f = F.compute() & ~(Flags.CF | Flags.OF);
                int cf = (int) r & 1;
                f |= cf;
                if ((((r & sign) != 0 ? 1 : 0) ^ cf) != 0) {
                    f |= Flags.OF;
                }
                F.load(f);
            }
            case 1 -> { // ROR
                int n = count % bits;
                r = n == 0 ? v : ((v >>> n) | (v << (bits - n))) & m;
                int f = F.compute() & ~(Flags.CF | Flags.OF);
                if ((r & sign) != 0) {
                    f |= Flags.CF;
                }
                if ((((r >>> (bits - 1)) ^ (r >>> (bits - 2))) & 1) != 0) {
                    f |= Flags.OF;
                }
                F.load(f);
            }
            case 2, 3 -> { // RCL, RCR: rotate through CF, one bit at a time (counts are small)
                int n = count % (bits + 1);
                int f = F.compute();
                if (n == 0) {
                    return v;
                }
                long cf = f & 1;
                r = v;
                for (int k = 0; k < n; k++) {
                    if (op == 2) {
                        long out = (r & sign) != 0 ? 1 : 0;
                        r = ((r << 1) | cf) & m;
                        cf = out;
                    } else {
                        long out = r & 1;
                        r = (r >>> 1) | (cf != 0 ? sign : 0);
                        cf = out;
                    }
                }
                f = (f & ~(Flags.CF | Flags.OF)) | (int) cf;
                long of = op == 2 ? ((r & sign) != 0 ? 1 : 0) ^ cf : ((r >>> (bits - 1)) ^ (r >>> (bits - 2))) & 1;
                if (of != 0) {
                    f |= Flags.OF;
                }
                F.load(f);
            }
            case 4, 6 -> { // SHL/SAL
                r = count >= 64 ? 0 : (v << count) & m;
                int cf = count > bits ? 0 : (int) (v >>> (bits - count)) & 1;
                F.set(Flags.SHIFT, size, v, ((r & sign) != 0 ? 1 : 0) ^ cf, r);
                F.cin = cf;
            }
            case 5 -> { // SHR
                r = count >= bits ? 0 : v >>> count;
                int cf = (int) (v >>> (count - 1)) & 1;
                F.set(Flags.SHIFT, size, v, (v & sign) != 0 ? 1 : 0, r);
                F.cin = cf;
            }
            default -> { // SAR
                long sv = sext(v, size);
                r = (sv >> Math.min(count, 63)) & m;
                int cf = (int) (sv >> Math.min(count - 1, 63)) & 1;
                F.set(Flags.SHIFT, size, v, 0, r);
                F.cin = cf;
            }
        }
        return r;
    }

    /** SHLD (left) / SHRD: shifts {@code dst}, filling from {@code src}; count already masked. */
    long shiftDouble(boolean left, long dst, long src, int count, int size) {
        if (count == 0) {
            return dst;
        }
        int bits = size * 8;
        long m = mask(size);
        long d = dst & m;
        long s = src & m;
        long r;
        int cf;
        if (size == 8) {
            if (left) {
                r = (d << count) | (count == 0 ? 0 : s >>> (64 - count));
                cf = (int) (d >>> (64 - count)) & 1;
            } else {
                r = (d >>> count) | (s << (64 - count));
                cf = (int) (d >>> (count - 1)) & 1;
            }
        } else if (left) {
            // dst:src(:dst) in the top bits of a long, shifted left
            long v = size == 4 ? (d << 32) | s : (d << 48) | (s << 32) | (d << 16);
            r = ((v << count) >>> (64 - bits)) & m;
            cf = (int) ((v << (count - 1)) >>> 63);
        } else {
            long v = size == 4 ? (s << 32) | d : (d << 32) | (s << 16) | d;
            r = (v >>> count) & m;
            cf = (int) (v >>> (count - 1)) & 1;
        }
        long sign = 1L << (bits - 1);
        int of = ((r ^ d) & sign) != 0 ? 1 : 0;
        F.set(Flags.SHIFT, size, d, of, r);
        F.cin = cf;
        return r;
    }

    // ---- execution ------------------------------------------------------------------------

    /** Executes one instruction; cpu.rip already points past it. */
    public void exec(Insn i) {
        int op = i.opc;
        m64 = i.m64;
        rex = i.rex;
        if (op < 0x80) {
            execLow(i, op);
        } else if (op < 0x100) {
            execHigh(i, op);
        } else if (op < 0x200) {
            Ops0F.exec(this, i, op & 0xff);
        } else if (op == Insn.OP_GP) {
            throw gp0();
        } else {
            throw ud();
        }
    }

    private void execLow(Insn i, int op) {
        if (op < 0x40 && (op & 7) < 6) {
            aluForm(i, op >> 3, op & 7);
            return;
        }
        switch (op) {
            case 0x06 -> pushSeg(i, ES);
            case 0x07 -> popSeg(i, ES);
            case 0x0e -> pushSeg(i, CS);
            case 0x0f -> throw ud(); // POP CS (8086 only)
            case 0x16 -> pushSeg(i, SS);
            case 0x17 -> popSeg(i, SS);
            case 0x1e -> pushSeg(i, DS);
            case 0x1f -> popSeg(i, DS);
            case 0x27 -> Bcd.daa(this);
            case 0x2f -> Bcd.das(this);
            case 0x37 -> Bcd.aaa(this);
            case 0x3f -> Bcd.aas(this);
            case 0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47 -> {
                int s = osz(i);
                wreg(op & 7, s, inc(rreg(op & 7, s), s));
            }
            case 0x48, 0x49, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e, 0x4f -> {
                int s = osz(i);
                wreg(op & 7, s, dec(rreg(op & 7, s), s));
            }
            case 0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57 -> {
                int s = ssz(i);
                push(rreg(i.opreg, s), s);
            }
            case 0x58, 0x59, 0x5a, 0x5b, 0x5c, 0x5d, 0x5e, 0x5f -> {
                int s = ssz(i);
                long v = pop(s);
                wreg(i.opreg, s, v);
            }
            case 0x60 -> pusha(i);
            case 0x61 -> popa(i);
            case 0x62 -> bound(i);
            case 0x63 -> {
                if (i.m64) { // MOVSXD
                    int s = osz(i);
                    wreg(i.reg, s, s == 8 ? (long) (int) ldrm(i, 4) : ldrm(i, s));
                } else {
                    arpl(i);
                }
            }
            case 0x68, 0x6a -> push(i.imm, ssz(i));
            case 0x69, 0x6b -> {
                int s = osz(i);
                wreg(i.reg, s, imul2(ldrm(i, s), i.imm, s));
            }
            case 0x6c, 0x6d, 0x6e, 0x6f -> StringOps.exec(this, i, op);
            default -> { // 0x70-0x7f Jcc rel8
                if (op >= 0x70) {
                    if (F.cond(op & 0xf)) {
                        jumpRel(i);
                    }
                } else {
                    throw ud();
                }
            }
        }
    }

    /** ALU forms 00-05: Eb,Gb / Ev,Gv / Gb,Eb / Gv,Ev / AL,Ib / eAX,Iz. */
    private void aluForm(Insn i, int aop, int form) {
        switch (form) {
            case 0, 1 -> {
                int s = form == 0 ? 1 : osz(i);
                long la = rmwAddr(i, s);
                long r = alu(aop, rmwLoad(i, la, s), rreg(i.reg, s), s);
                if (aop != 7) {
                    rmwStore(i, la, s, r);
                }
            }
            case 2, 3 -> {
                int s = form == 2 ? 1 : osz(i);
                long r = alu(aop, rreg(i.reg, s), ldrm(i, s), s);
                if (aop != 7) {
                    wreg(i.reg, s, r);
                }
            }
            default -> {
                int s = form == 4 ? 1 : osz(i);
                long r = alu(aop, rreg(EAX, s), i.imm, s);
                if (aop != 7) {
                    wreg(EAX, s, r);
                }
            }
        }
    }

    void jumpRel(Insn i) {
        long t = c.rip + i.imm;
        c.rip = i.m64 ? t : i.o32 ? t & 0xffffffffL : t & 0xffff;
    }

    /** Near absolute jump; in 64-bit mode the target is 64 bits wide (SDM "JMP"). */
    void jumpAbs(long target, Insn i) {
        if (i.m64) {
            if (((target << 16) >> 16) != target) {
                throw gp0();
            }
            c.rip = target;
        } else {
            c.rip = i.o32 ? target & 0xffffffffL : target & 0xffff;
        }
    }

    void pushSeg(Insn i, int s) {
        push(c.segSel[s], ssz(i));
    }

    void popSeg(Insn i, int s) {
        int size = ssz(i);
        long v = peek(size, 0);
        c.seg.loadSeg(s, (int) v & 0xffff);
        setSp(spAdd(sp(), size));
        if (s == SS) {
            inhibitIrq = true;
            stop = true;
        }
    }

    private void pusha(Insn i) {
        int s = osz(i);
        long sp0 = sp();
        long p = sp0;
        for (int r = 0; r < 8; r++) {
            p = spAdd(p, -s);
            wr(lin(SS, p, s), s, rreg(r, s));
        }
        // the value pushed for ESP is the one before the instruction
        wr(lin(SS, spAdd(sp0, -5 * s), s), s, s == 4 ? regs[ESP] : sp0);
        setSp(p);
    }

    private void popa(Insn i) {
        int s = osz(i);
        long p = sp();
        long[] v = popaTmp;
        for (int r = 7; r >= 0; r--) {
            v[r] = rd(lin(SS, p, s), s);
            p = spAdd(p, s);
        }
        for (int r = 0; r < 8; r++) {
            if (r != ESP) {
                wreg(r, s, v[r]);
            }
        }
        setSp(p);
    }

    private final long[] popaTmp = new long[8];

    private void bound(Insn i) {
        if (i.mod == 3) {
            throw ud();
        }
        int s = osz(i);
        long off = ea(i);
        long lo = sext(rd(lin(i.seg, off, s), s), s);
        long hi = sext(rd(lin(i.seg, addOff(i, off, s), s), s), s);
        long idx = sext(rreg(i.reg, s), s);
        if (idx < lo || idx > hi) {
            throw intr.fault(5);
        }
    }

    private void arpl(Insn i) {
        if (!pmode() || vm86()) {
            throw ud();
        }
        long la = rmwAddr(i, 2);
        int d = (int) rmwLoad(i, la, 2);
        int src = r16(i.reg);
        int f = F.compute();
        if ((d & 3) < (src & 3)) {
            rmwStore(i, la, 2, (d & ~3) | (src & 3));
            f |= Flags.ZF;
        } else {
            f &= ~Flags.ZF;
        }
        F.load(f);
    }

    long imul2(long a, long b, int size) {
        long sa = sext(a, size);
        long sb = sext(b, size);
        long p = sa * sb;
        long r = p & mask(size);
        boolean ovf = size == 8 ? Math.multiplyHigh(sa, sb) != (p >> 63) : p != sext(r, size);
        F.set(Flags.MUL, size, 0, 0, r);
        F.cin = ovf ? 1 : 0;
        return r;
    }

    private void execHigh(Insn i, int op) {
        switch (op) {
            case 0x80, 0x81, 0x82, 0x83 -> {
                int s = op == 0x80 || op == 0x82 ? 1 : osz(i);
                long la = rmwAddr(i, s);
                long r = alu(i.reg, rmwLoad(i, la, s), i.imm, s);
                if (i.reg != 7) {
                    rmwStore(i, la, s, r);
                }
            }
            case 0x84, 0x85 -> {
                int s = op == 0x84 ? 1 : osz(i);
                alu(4, ldrm(i, s), rreg(i.reg, s), s);
            }
            case 0x86, 0x87 -> {
                int s = op == 0x86 ? 1 : osz(i);
                long la = rmwAddr(i, s);
                long a = rmwLoad(i, la, s);
                long b = rreg(i.reg, s);
                rmwStore(i, la, s, b);
                wreg(i.reg, s, a);
            }
            case 0x88 -> strm(i, 1, r8(i.reg));
            case 0x89 -> {
                int s = osz(i);
                strm(i, s, rreg(i.reg, s));
            }
            case 0x8a -> w8(i.reg, ldrm(i, 1));
            case 0x8b -> {
                int s = osz(i);
                wreg(i.reg, s, ldrm(i, s));
            }
            case 0x8c -> {
                if (i.reg > 5) {
                    throw ud();
                }
                int v = c.segSel[i.reg];
                if (i.mod == 3) {
                    wreg(i.rm, osz(i), v);
                } else {
                    strm(i, 2, v);
                }
            }
            case 0x8d -> {
                if (i.mod == 3) {
                    throw ud();
                }
                wreg(i.reg, osz(i), ea(i));
            }
            case 0x8e -> {
                if (i.reg == CS || i.reg > 5) {
                    throw ud();
                }
                c.seg.loadSeg(i.reg, (int) ldrm(i, 2) & 0xffff);
                if (i.reg == SS) {
                    inhibitIrq = true;
                    stop = true;
                }
            }
            case 0x8f -> {
                int s = ssz(i);
                long old = regs[ESP];
                long v = pop(s);
                try {
                    strm(i, s, v);
                } catch (X86Fault f) {
                    regs[ESP] = old;
                    throw f;
                }
            }
            case 0x90, 0x91, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97 -> {
                if (i.opreg == 0) {
                    return; // NOP / PAUSE (XCHG EAX, EAX would clear the upper half in 64-bit mode)
                }
                int s = osz(i);
                long a = rreg(EAX, s);
                wreg(EAX, s, rreg(i.opreg, s));
                wreg(i.opreg, s, a);
            }
            case 0x98 -> {
                if (i.o64) {
                    regs[EAX] = (int) regs[EAX]; // CDQE
                } else if (i.o32) {
                    w32(EAX, (short) regs[EAX]);
                } else {
                    w16(EAX, (byte) regs[EAX]);
                }
            }
            case 0x99 -> {
                if (i.o64) {
                    regs[EDX] = regs[EAX] >> 63; // CQO
                } else if (i.o32) {
                    w32(EDX, (int) regs[EAX] >> 31);
                } else {
                    w16(EDX, (short) regs[EAX] >> 15);
                }
            }
            case 0x9a -> {
                long next = c.rip;
                c.rip = insnStart;
                c.seg.farCall(i.imm2, i.o32 ? i.imm & 0xffffffffL : i.imm & 0xffff, osz(i), next);
            }
            case 0x9b -> X87.fwait(this);
            case 0x9c -> pushf(i);
            case 0x9d -> popf(i);
            case 0x9e -> {
                int f = F.compute() & ~0xd5;
                F.load(f | ((int) (regs[EAX] >> 8) & 0xd5));
            }
            case 0x9f -> regs[EAX] = (regs[EAX] & ~0xff00L) | (long) ((F.compute() & 0xd5) | 2) << 8;
            case 0xa0, 0xa1 -> {
                int s = op == 0xa0 ? 1 : osz(i);
                wreg(EAX, s, rd(lin(i.seg, moffs(i), s), s));
            }
            case 0xa2, 0xa3 -> {
                int s = op == 0xa2 ? 1 : osz(i);
                wr(lin(i.seg, moffs(i), s), s, rreg(EAX, s));
            }
            case 0xa4, 0xa5, 0xa6, 0xa7, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf -> StringOps.exec(this, i, op);
            case 0xa8 -> alu(4, r8(EAX), i.imm, 1);
            case 0xa9 -> {
                int s = osz(i);
                alu(4, rreg(EAX, s), i.imm, s);
            }
            case 0xb0, 0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7 -> w8(i.opreg, i.imm);
            case 0xb8, 0xb9, 0xba, 0xbb, 0xbc, 0xbd, 0xbe, 0xbf -> wreg(i.opreg, osz(i), i.o64 ? i.imm64 : i.imm);
            case 0xc0, 0xc1, 0xd0, 0xd1, 0xd2, 0xd3 -> {
                int s = (op & 1) == 0 ? 1 : osz(i);
                int count = (op <= 0xc1 ? i.imm : op <= 0xd1 ? 1 : (int) regs[ECX]) & (s == 8 ? 63 : 31);
                long la = rmwAddr(i, s);
                long v = rmwLoad(i, la, s);
                if (count != 0) {
                    rmwStore(i, la, s, shift(i.reg, v, count, s));
                }
            }
            case 0xc2, 0xc3 -> {
                int s = ssz(i);
                long t = peek(s, 0);
                jumpAbs(t, i);
                setSp(spAdd(sp(), s + (op == 0xc2 ? i.imm & 0xffff : 0)));
            }
            case 0xc4, 0xc5 -> loadFar(i, op == 0xc4 ? ES : DS);
            case 0xc6 -> strm(i, 1, i.imm);
            case 0xc7 -> strm(i, osz(i), i.imm);
            case 0xc8 -> enter(i);
            case 0xc9 -> {
                int s = ssz(i);
                long bp = m64 ? regs[EBP] : ss32() ? regs[EBP] & 0xffffffffL : regs[EBP] & 0xffff;
                long v = rd(lin(SS, bp, s), s);
                setSp(spAdd(bp, s));
                wreg(EBP, s, v);
            }
            case 0xca, 0xcb -> {
                c.rip = insnStart;
                c.seg.farReturn(osz(i), op == 0xca ? i.imm & 0xffff : 0);
            }
            case 0xcc -> softInt(3, false);
            case 0xcd -> softInt(i.imm & 0xff, true);
            case 0xce -> {
                if ((F.compute() & Flags.OF) != 0) {
                    softInt(4, false);
                }
            }
            case 0xcf -> iret(i);
            case 0xd4 -> Bcd.aam(this, i.imm & 0xff);
            case 0xd5 -> Bcd.aad(this, i.imm & 0xff);
            case 0xd6 -> w8(EAX, F.cf() != 0 ? 0xff : 0);
            case 0xd7 -> {
                long off = addOff(i, regs[EBX], (int) regs[EAX] & 0xff);
                w8(EAX, rd(lin(i.seg, off, 1), 1));
            }
            case 0xd8, 0xd9, 0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf -> X87.exec(this, i, op);
            case 0xe0, 0xe1, 0xe2 -> loop(i, op);
            case 0xe3 -> {
                long cx = i.a64 ? regs[ECX] : i.a32 ? regs[ECX] & 0xffffffffL : regs[ECX] & 0xffff;
                if (cx == 0) {
                    jumpRel(i);
                }
            }
            case 0xe4, 0xe5 -> {
                int s = op == 0xe4 ? 1 : ioSize(i);
                wreg(EAX, s, in(i.imm & 0xff, s) & 0xffffffffL);
            }
            case 0xe6, 0xe7 -> {
                int s = op == 0xe6 ? 1 : ioSize(i);
                out(i.imm & 0xff, s, (int) rreg(EAX, s));
            }
            case 0xe8 -> {
                push(c.rip, ssz(i));
                jumpRel(i);
            }
            case 0xe9, 0xeb -> jumpRel(i);
            case 0xea -> {
                long next = c.rip;
                c.rip = insnStart;
                c.seg.farJump(i.imm2, i.o32 ? i.imm & 0xffffffffL : i.imm & 0xffff, next);
            }
            case 0xec, 0xed -> {
                int s = op == 0xec ? 1 : ioSize(i);
                wreg(EAX, s, in(r16(EDX), s) & 0xffffffffL);
            }
            case 0xee, 0xef -> {
                int s = op == 0xee ? 1 : ioSize(i);
                out(r16(EDX), s, (int) rreg(EAX, s));
            }
            case 0xf1 -> {
                long next = c.rip;
                c.rip = insnStart;
                intr.deliver(1, false, -1, next);
            }
            case 0xf4 -> {
                if (pmode() && c.cpl != 0) {
                    throw gp0();
                }
                c.halted = true;
                stop = true;
            }
            case 0xf5 -> F.load(F.compute() ^ Flags.CF);
            case 0xf6, 0xf7 -> Group3.exec(this, i, op == 0xf6 ? 1 : osz(i));
            case 0xf8 -> F.load(F.compute() & ~Flags.CF);
            case 0xf9 -> F.load(F.compute() | Flags.CF);
            case 0xfa -> {
                checkIf();
                c.eflags &= ~IF;
            }
            case 0xfb -> {
                checkIf();
                if ((c.eflags & IF) == 0) {
                    inhibitIrq = true;
                }
                c.eflags |= IF;
            }
            case 0xfc -> c.eflags &= ~DF;
            case 0xfd -> c.eflags |= DF;
            case 0xfe -> {
                long la = rmwAddr(i, 1);
                long v = rmwLoad(i, la, 1);
                switch (i.reg) {
                    case 0 -> rmwStore(i, la, 1, inc(v, 1));
                    case 1 -> rmwStore(i, la, 1, dec(v, 1));
                    default -> throw ud();
                }
            }
            case 0xff -> group5(i);
            default -> throw ud(); // prefixes never reach here
        }
    }

    private void checkIf() {
        if (pmode() && (vm86() ? iopl() < 3 : c.cpl > iopl())) {
            throw gp0();
        }
    }

    private void softInt(int vector, boolean intN) {
        if (intN && vm86() && iopl() < 3) {
            throw gp0();
        }
        long next = c.rip;
        c.rip = insnStart;
        intr.deliver(vector, true, -1, next);
    }

    private void iret(Insn i) {
        if (vm86() && iopl() < 3) {
            throw gp0();
        }
        long next = c.rip;
        c.rip = insnStart;
        c.seg.iret(osz(i), next);
    }

    private void pushf(Insn i) {
        if (vm86() && iopl() < 3) {
            throw gp0();
        }
        int f = flagsAll() & ~(VM | RF);
        push(f & 0xffffffffL, ssz(i));
    }

    private void popf(Insn i) {
        int s = ssz(i);
        if (vm86() && iopl() < 3) {
            throw gp0();
        }
        int v = (int) peek(s, 0);
        int old = flagsAll();
        int changeable = 0x00000dd5 | TF | DF | NT | AC | ID | IF | IOPL;
        if (pmode()) {
            if (vm86()) {
                changeable &= ~IOPL;
            } else {
                if (c.cpl > 0) {
                    changeable &= ~IOPL;
                }
                if (c.cpl > iopl()) {
                    changeable &= ~IF;
                }
            }
        }
        if (s == 2) {
            changeable &= 0xffff;
        }
        setSp(spAdd(sp(), s));
        int nf = (old & ~changeable) | (v & changeable);
        if ((old & IF) == 0 && (nf & IF) != 0) {
            inhibitIrq = false;
        }
        c.setEflags(nf & ~RF);
    }

    private void loadFar(Insn i, int s) {
        if (i.mod == 3) {
            throw ud();
        }
        int size = osz(i);
        long off = ea(i);
        long v = rd(lin(i.seg, off, size), size);
        int sel = (int) rd(lin(i.seg, addOff(i, off, size), 2), 2);
        c.seg.loadSeg(s, sel & 0xffff);
        wreg(i.reg, size, v);
        if (s == SS) {
            inhibitIrq = true;
            stop = true;
        }
    }

    private void enter(Insn i) {
        int s = ssz(i);
        int size = i.imm & 0xffff;
        int level = i.imm2 & 31;
        long p = spAdd(sp(), -s);
        wr(lin(SS, p, s), s, rreg(EBP, s));
        long frame = p;
        if (level > 0) {
            long bp = m64 ? regs[EBP] : ss32() ? regs[EBP] & 0xffffffffL : regs[EBP] & 0xffff;
            for (int k = 1; k < level; k++) {
                bp = spAdd(bp, -s);
                long v = rd(lin(SS, bp, s), s);
                p = spAdd(p, -s);
                wr(lin(SS, p, s), s, v);
            }
            p = spAdd(p, -s);
            wr(lin(SS, p, s), s, frame);
        }
        p = spAdd(p, -size);
        // touch the new stack top so a fault happens before anything is committed
        if (size > 0) {
            lin(SS, p, 1);
        }
        wreg(EBP, s, frame);
        setSp(p);
    }

    private void loop(Insn i, int op) {
        long cx;
        if (i.a64) {
            cx = --regs[ECX];
        } else if (i.a32) {
            cx = (regs[ECX] - 1) & 0xffffffffL;
            regs[ECX] = cx;
        } else {
            cx = ((int) regs[ECX] - 1) & 0xffff;
            w16(ECX, cx);
        }
        boolean take = cx != 0;
        if (op == 0xe0) {
            take &= !F.cond(4);
        } else if (op == 0xe1) {
            take &= F.cond(4);
        }
        if (take) {
            jumpRel(i);
        }
    }

    /** The moffs operand of A0-A3: 64-bit in 64-bit mode. */
    static long moffs(Insn i) {
        return i.a64 ? i.imm64 : i.a32 ? i.imm & 0xffffffffL : i.imm & 0xffff;
    }

    int in(int port, int size) {
        return c.sys.in(port, size);
    }

    void out(int port, int size, int v) {
        c.sys.out(port, size, v);
        stop = true;
    }

    private void group5(Insn i) {
        int s = osz(i);
        switch (i.reg) {
            case 0, 1 -> {
                long la = rmwAddr(i, s);
                long v = rmwLoad(i, la, s);
                rmwStore(i, la, s, i.reg == 0 ? inc(v, s) : dec(v, s));
            }
            case 2 -> {
                int ss = ssz(i);
                long t = ldrm(i, ss);
                push(c.rip, ss);
                jumpAbs(t, i);
            }
            case 3, 5 -> {
                if (i.mod == 3) {
                    throw ud();
                }
                long off = ea(i);
                long target = rd(lin(i.seg, off, s), s);
                int sel = (int) rd(lin(i.seg, addOff(i, off, s), 2), 2) & 0xffff;
                long next = c.rip;
                c.rip = insnStart;
                if (i.reg == 3) {
                    c.seg.farCall(sel, target, s, next);
                } else {
                    c.seg.farJump(sel, target, next);
                }
            }
            case 4 -> jumpAbs(ldrm(i, ssz(i)), i);
            case 6 -> push(ldrm(i, ssz(i)), ssz(i));
            default -> throw ud();
        }
    }
}
