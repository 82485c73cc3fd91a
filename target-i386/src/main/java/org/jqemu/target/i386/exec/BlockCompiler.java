package org.jqemu.target.i386.exec;

import static java.lang.constant.ConstantDescs.CD_Object;
import static java.lang.constant.ConstantDescs.CD_boolean;
import static java.lang.constant.ConstantDescs.CD_int;
import static java.lang.constant.ConstantDescs.CD_long;
import static java.lang.constant.ConstantDescs.CD_void;
import static java.lang.constant.ConstantDescs.INIT_NAME;
import static java.lang.constant.ConstantDescs.MTD_void;

import java.lang.classfile.ClassFile;
import java.lang.classfile.CodeBuilder;
import java.lang.classfile.Label;
import java.lang.constant.ClassDesc;
import java.lang.constant.MethodTypeDesc;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import org.jqemu.target.i386.decode.Insn;

/**
 * Tier 2 of the x86 tcg engine: turns a hot {@link Block} into a hidden JVM class whose
 * {@link CompiledBlock#run} does what the interpreter would do for each instruction, so HotSpot
 * compiles the guest's hot code to native code.
 *
 * <p>The common integer instructions (moves, the ALU group, shifts, INC/DEC, LEA, PUSH/POP,
 * MOVZX/MOVSX, CMOVcc/SETcc, Jcc/JMP/CALL/RET near) are emitted inline as calls of the
 * interpreter's own helpers ({@code alu}, {@code lin}, {@code rd}, {@code wr}, ...) with the
 * decoded operands as constants: HotSpot inlines those helpers and folds the operand-size and
 * operation switches away, and the semantics cannot drift from the interpreter's. Every other
 * instruction calls {@link Interpreter#exec} on its decoded {@link Insn}.
 *
 * <p>Precise exceptions: before an instruction that can fault, {@code insnStart} and
 * {@code cpu.rip} are stored as the interpreter stores them, and every register result is
 * written back at once, so a fault leaves the same state as in the interpreter. Self-modifying
 * code: after every store the block checks that it is still valid and stops if not.
 */
final class BlockCompiler {
    private static final ClassDesc CD_INTERP = ClassDesc.of("org.jqemu.target.i386.exec.Interpreter");
    private static final ClassDesc CD_BLOCK = ClassDesc.of("org.jqemu.target.i386.exec.Block");
    private static final ClassDesc CD_FLAGS = ClassDesc.of("org.jqemu.target.i386.exec.Flags");
    private static final ClassDesc CD_COMPILED = ClassDesc.of("org.jqemu.target.i386.exec.CompiledBlock");
    private static final ClassDesc CD_CPU = ClassDesc.of("org.jqemu.target.i386.X86Cpu");
    private static final ClassDesc CD_INSN = ClassDesc.of("org.jqemu.target.i386.decode.Insn");
    private static final ClassDesc CD_LONGS = CD_long.arrayType();
    private static final MethodTypeDesc MTD_RUN =
            MethodTypeDesc.of(CD_int, CD_INTERP, CD_INSN.arrayType(), CD_BLOCK);

    // locals of run()
    private static final int X = 1, INSNS = 2, B = 3, REGS = 4, CPU = 5, FL = 6, START = 7, LA = 9, V = 11, CNT = 13;

    private static final MethodHandles.Lookup LOOKUP = MethodHandles.lookup();
    private static int serial;

    private BlockCompiler() {
    }

    /** Compiles {@code b}; returns null when nothing in it is worth compiling. */
    static CompiledBlock compile(Block b) throws ReflectiveOperationException {
        Insn[] insns = b.insns;
        int inline = 0;
        for (Insn i : insns) {
            if (supported(i)) {
                inline++;
            }
        }
        if (inline == 0) {
            return null;
        }
        ClassDesc self = ClassDesc.of("org.jqemu.target.i386.exec.Tb" + Integer.toHexString(serial++));
        byte[] bytes = ClassFile.of().build(self, cb -> {
            cb.withFlags(ClassFile.ACC_FINAL | ClassFile.ACC_SYNTHETIC);
            cb.withInterfaceSymbols(CD_COMPILED);
            cb.withMethodBody(INIT_NAME, MTD_void, ClassFile.ACC_PUBLIC,
                    c -> c.aload(0).invokespecial(CD_Object, INIT_NAME, MTD_void).return_());
            cb.withMethodBody("run", MTD_RUN, ClassFile.ACC_PUBLIC, c -> new Emitter(c, b).emit());
        });
        MethodHandles.Lookup hidden = LOOKUP.defineHiddenClass(bytes, true);
        try {
            return (CompiledBlock) hidden.findConstructor(hidden.lookupClass(), MethodType.methodType(void.class))
                    .invoke();
        } catch (ReflectiveOperationException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Instructions emitted inline (everything else goes through the interpreter). */
    static boolean supported(Insn i) {
        int op = i.opc;
        if (op < 0x40) {
            return (op & 7) < 6;
        }
        if (op >= 0x50 && op <= 0x5f || op >= 0x70 && op <= 0x7f || op >= 0xb0 && op <= 0xbf) {
            return true;
        }
        if (op >= 0x180 && op <= 0x19f || op >= 0x140 && op <= 0x14f || op >= 0x118 && op <= 0x11f) {
            return true;
        }
        return switch (op) {
            case 0x63 -> i.m64;
            case 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x88, 0x89, 0x8a, 0x8b, 0xa8, 0xa9, 0xc6, 0xc7,
                    0xc0, 0xc1, 0xd0, 0xd1, 0xd2, 0xd3, 0xe8, 0xe9, 0xeb, 0xc3,
                    0x1b6, 0x1b7, 0x1be, 0x1bf -> true;
            case 0x8d -> i.mod != 3;
            case 0x90 -> i.opreg == 0;
            case 0xfe, 0xff -> i.reg < 2;
            default -> false;
        };
    }

    /** Emits the body of run() for one block. */
    private static final class Emitter {
        private final CodeBuilder c;
        private final Block b;
        private final long ipMask;

        Emitter(CodeBuilder c, Block b) {
            this.c = c;
            this.b = b;
            this.ipMask = b.code64 ? -1L : b.code32 ? 0xffffffffL : 0xffffL;
        }

        void emit() {
            c.aload(X).getfield(CD_INTERP, "regs", CD_LONGS).astore(REGS);
            c.aload(X).getfield(CD_INTERP, "c", CD_CPU).astore(CPU);
            c.aload(X).getfield(CD_INTERP, "F", CD_FLAGS).astore(FL);
            c.aload(CPU).getfield(CD_CPU, "rip", CD_long).lstore(START);
            c.aload(X).loadConstant(b.code64 ? 1 : 0).putfield(CD_INTERP, "m64", CD_boolean);
            Insn[] insns = b.insns;
            long off = 0;
            for (int k = 0; k < insns.length; k++) {
                Insn i = insns[k];
                long next = off + i.len;
                if (supported(i)) {
                    if (!registerOnly(i)) {
                        setStart(off);
                        setRip(next);
                    }
                    if (usesByteRegs(i)) {
                        c.aload(X).loadConstant(i.rex ? 1 : 0).putfield(CD_INTERP, "rex", CD_boolean);
                    }
                    if (inline(i, k)) {
                        checkValid(k);
                    }
                } else {
                    setStart(off);
                    setRip(next);
                    c.aload(X).aload(INSNS).loadConstant(k).aaload()
                            .invokevirtual(CD_INTERP, "exec", MethodTypeDesc.of(CD_void, CD_INSN));
                    Label exit = c.newLabel();
                    Label cont = c.newLabel();
                    c.aload(X).getfield(CD_INTERP, "stop", CD_boolean).ifne(exit);
                    c.aload(B).getfield(CD_BLOCK, "valid", CD_boolean).ifne(cont);
                    c.labelBinding(exit);
                    c.aload(X).iconst_0().putfield(CD_INTERP, "stop", CD_boolean);
                    c.loadConstant(-(k + 1)).ireturn();
                    c.labelBinding(cont);
                }
                off = next;
            }
            // Register-only instructions leave RIP alone; jumps and fallbacks have set it.
            Insn last = insns[insns.length - 1];
            if (supported(last) && !isJump(last)) {
                setRip(off);
            }
            c.loadConstant(insns.length).ireturn();
        }

        private static boolean isJump(Insn i) {
            int op = i.opc;
            return op >= 0x70 && op <= 0x7f || op >= 0x180 && op <= 0x18f || op == 0xe8 || op == 0xe9 || op == 0xeb
                    || op == 0xc3;
        }

        /** Cannot fault, touches only registers and flags, and does not read RIP. */
        private static boolean registerOnly(Insn i) {
            int op = i.opc;
            if (op >= 0x50 && op <= 0x5f || op == 0xe8 || op == 0xc3) {
                return false; // stack
            }
            if (op >= 0x118 && op <= 0x11f || op == 0x90) {
                return true; // hint NOPs never touch their operand
            }
            if (isJump(i)) {
                return false;
            }
            if (op == 0x8d) {
                return !i.ripRel;
            }
            return !i.hasModrm || i.mod == 3;
        }

        private static boolean usesByteRegs(Insn i) {
            int op = i.opc;
            if (op < 0x40) {
                return (op & 1) == 0;
            }
            return op == 0x80 || op == 0x82 || op == 0x84 || op == 0x88 || op == 0x8a || op == 0xa8
                    || op >= 0xb0 && op <= 0xb7 || op == 0xc0 || op == 0xc6 || op == 0xd0 || op == 0xd2 || op == 0xfe
                    || op == 0x1b6 || op == 0x1be || op >= 0x190 && op <= 0x19f;
        }

        // ---- bookkeeping ---------------------------------------------------------------

        private void setStart(long off) {
            c.aload(X).lload(START).loadConstant(off).ladd().loadConstant(ipMask).land()
                    .putfield(CD_INTERP, "insnStart", CD_long);
        }

        private void setRip(long next) {
            c.aload(CPU).lload(START).loadConstant(next).ladd().loadConstant(ipMask).land()
                    .putfield(CD_CPU, "rip", CD_long);
        }

        /** After a store: a write into this block's own code ends it (the interpreter's rule). */
        private void checkValid(int k) {
            Label ok = c.newLabel();
            c.aload(B).getfield(CD_BLOCK, "valid", CD_boolean).ifne(ok);
            c.loadConstant(-(k + 1)).ireturn();
            c.labelBinding(ok);
        }

        // ---- operands ------------------------------------------------------------------

        private static int osz(Insn i) {
            return Interpreter.osz(i);
        }

        private static int ssz(Insn i) {
            return Interpreter.ssz(i);
        }

        /** Pushes register {@code r} as a zero-extended operand of {@code size} bytes. */
        private void rreg(int r, int size) {
            switch (size) {
                case 8 -> c.aload(REGS).loadConstant(r).laload();
                case 4 -> c.aload(REGS).loadConstant(r).laload().loadConstant(0xffffffffL).land();
                case 2 -> c.aload(REGS).loadConstant(r).laload().loadConstant(0xffffL).land();
                default -> c.aload(X).loadConstant(r).loadConstant(1)
                        .invokevirtual(CD_INTERP, "rreg", MethodTypeDesc.of(CD_long, CD_int, CD_int));
            }
        }

        /** Writes local {@link #V} to register {@code r} with the write rules of {@code size}. */
        private void wregV(int r, int size) {
            switch (size) {
                case 8 -> c.aload(REGS).loadConstant(r).lload(V).lastore();
                case 4 -> c.aload(REGS).loadConstant(r).lload(V).loadConstant(0xffffffffL).land().lastore();
                default -> c.aload(X).loadConstant(r).loadConstant(size).lload(V)
                        .invokevirtual(CD_INTERP, "wreg", MethodTypeDesc.of(CD_void, CD_int, CD_int, CD_long));
            }
        }

        /** Pushes the memory operand's offset (the interpreter's {@code ea}). */
        private void ea(Insn i) {
            c.loadConstant((long) i.disp);
            if (i.ripRel) {
                c.aload(CPU).getfield(CD_CPU, "rip", CD_long).ladd();
            } else if (i.base >= 0) {
                c.aload(REGS).loadConstant(i.base).laload().ladd();
            }
            if (i.index >= 0) {
                c.aload(REGS).loadConstant(i.index).laload();
                if (i.scale != 0) {
                    c.loadConstant(i.scale).lshl();
                }
                c.ladd();
            }
            if (!i.a64) {
                c.loadConstant(i.a32 ? 0xffffffffL : 0xffffL).land();
            }
        }

        /** Computes the linear address of the memory operand into {@link #LA} (may fault). */
        private void linToLa(Insn i, int size) {
            c.aload(X).loadConstant(i.seg);
            ea(i);
            c.loadConstant(size).invokevirtual(CD_INTERP, "lin", MethodTypeDesc.of(CD_long, CD_int, CD_long, CD_int));
            c.lstore(LA);
        }

        private void rdLa(int size) {
            c.aload(X).lload(LA).loadConstant(size).invokevirtual(CD_INTERP, "rd", MethodTypeDesc.of(CD_long, CD_long, CD_int));
        }

        /** Stores local {@link #V} at {@link #LA}. */
        private void wrLaV(int size) {
            c.aload(X).lload(LA).loadConstant(size).lload(V)
                    .invokevirtual(CD_INTERP, "wr", MethodTypeDesc.of(CD_void, CD_long, CD_int, CD_long));
        }

        /** Pushes the r/m operand (the interpreter's {@code ldrm}). */
        private void ldrm(Insn i, int size) {
            if (i.mod == 3) {
                rreg(i.rm, size);
            } else {
                linToLa(i, size);
                rdLa(size);
            }
        }

        /** Stores local {@link #V} to the r/m operand; returns true when that was a memory store. */
        private boolean strmV(Insn i, int size) {
            if (i.mod == 3) {
                wregV(i.rm, size);
                return false;
            }
            linToLa(i, size);
            wrLaV(size);
            return true;
        }

        /** Read-modify-write, first half: pushes the r/m operand, leaving its address in {@link #LA}. */
        private void rmwLoad(Insn i, int size) {
            ldrm(i, size);
        }

        /** Read-modify-write, second half: stores local {@link #V} where {@link #rmwLoad} read. */
        private boolean rmwStoreV(Insn i, int size) {
            if (i.mod == 3) {
                wregV(i.rm, size);
                return false;
            }
            wrLaV(size);
            return true;
        }

        private void alu(int op, int size) {
            c.loadConstant(size).invokevirtual(CD_INTERP, "alu", MethodTypeDesc.of(CD_long, CD_int, CD_long, CD_long, CD_int));
        }

        private void cond(int cc) {
            c.aload(FL).loadConstant(cc).invokevirtual(CD_FLAGS, "cond", MethodTypeDesc.of(CD_boolean, CD_int));
        }

        private void jumpRel(Insn i) {
            c.aload(CPU).aload(CPU).getfield(CD_CPU, "rip", CD_long).loadConstant((long) i.imm).ladd();
            if (!i.m64) {
                c.loadConstant(i.o32 ? 0xffffffffL : 0xffffL).land();
            }
            c.putfield(CD_CPU, "rip", CD_long);
        }

        // ---- instructions --------------------------------------------------------------

        /** Emits instruction {@code k}; returns true when it may have stored to memory. */
        private boolean inline(Insn i, int k) {
            int op = i.opc;
            if (op < 0x40) {
                return aluForm(i, op >> 3, op & 7);
            }
            if (op >= 0x70 && op <= 0x7f || op >= 0x180 && op <= 0x18f) {
                Label skip = c.newLabel();
                cond(op & 0xf);
                c.ifeq(skip);
                jumpRel(i);
                c.labelBinding(skip);
                return false;
            }
            if (op >= 0x50 && op <= 0x57) {
                int s = ssz(i);
                c.aload(X);
                rreg(i.opreg, s);
                c.loadConstant(s).invokevirtual(CD_INTERP, "push", MethodTypeDesc.of(CD_void, CD_long, CD_int));
                return true;
            }
            if (op >= 0x58 && op <= 0x5f) {
                int s = ssz(i);
                c.aload(X).loadConstant(s).invokevirtual(CD_INTERP, "pop", MethodTypeDesc.of(CD_long, CD_int)).lstore(V);
                wregV(i.opreg, s);
                return false;
            }
            if (op >= 0xb0 && op <= 0xb7) {
                c.loadConstant((long) i.imm).lstore(V);
                wregV(i.opreg, 1);
                return false;
            }
            if (op >= 0xb8 && op <= 0xbf) {
                c.loadConstant(i.o64 ? i.imm64 : (long) i.imm).lstore(V);
                wregV(i.opreg, osz(i));
                return false;
            }
            if (op >= 0x140 && op <= 0x14f) {
                int s = osz(i);
                ldrm(i, s);
                c.lstore(V);
                Label no = c.newLabel();
                Label done = c.newLabel();
                cond(op & 0xf);
                c.ifeq(no);
                wregV(i.reg, s);
                c.goto_(done);
                c.labelBinding(no);
                if (s == 4) {
                    c.aload(REGS).loadConstant(i.reg).aload(REGS).loadConstant(i.reg).laload()
                            .loadConstant(0xffffffffL).land().lastore();
                }
                c.labelBinding(done);
                return false;
            }
            if (op >= 0x190 && op <= 0x19f) {
                cond(op & 0xf);
                c.i2l().lstore(V);
                return strmV(i, 1);
            }
            if (op >= 0x118 && op <= 0x11f || op == 0x90) {
                return false;
            }
            switch (op) {
                case 0x63 -> { // MOVSXD (64-bit mode only)
                    int s = osz(i);
                    if (s == 8) {
                        ldrm(i, 4);
                        c.l2i().i2l();
                    } else {
                        ldrm(i, s);
                    }
                    c.lstore(V);
                    wregV(i.reg, s);
                    return false;
                }
                case 0x80, 0x81, 0x82, 0x83 -> {
                    int s = op == 0x80 || op == 0x82 ? 1 : osz(i);
                    c.aload(X).loadConstant(i.reg);
                    rmwLoad(i, s);
                    c.loadConstant((long) i.imm);
                    alu(i.reg, s);
                    if (i.reg == 7) {
                        c.pop2();
                        return false;
                    }
                    c.lstore(V);
                    return rmwStoreV(i, s);
                }
                case 0x84, 0x85 -> {
                    int s = op == 0x84 ? 1 : osz(i);
                    c.aload(X).loadConstant(4);
                    ldrm(i, s);
                    rreg(i.reg, s);
                    alu(4, s);
                    c.pop2();
                    return false;
                }
                case 0xa8, 0xa9 -> {
                    int s = op == 0xa8 ? 1 : osz(i);
                    c.aload(X).loadConstant(4);
                    rreg(0, s);
                    c.loadConstant((long) i.imm);
                    alu(4, s);
                    c.pop2();
                    return false;
                }
                case 0x88, 0x89 -> {
                    int s = op == 0x88 ? 1 : osz(i);
                    rreg(i.reg, s);
                    c.lstore(V);
                    return strmV(i, s);
                }
                case 0x8a, 0x8b -> {
                    int s = op == 0x8a ? 1 : osz(i);
                    ldrm(i, s);
                    c.lstore(V);
                    wregV(i.reg, s);
                    return false;
                }
                case 0x8d -> {
                    ea(i);
                    c.lstore(V);
                    wregV(i.reg, osz(i));
                    return false;
                }
                case 0xc6, 0xc7 -> {
                    int s = op == 0xc6 ? 1 : osz(i);
                    c.loadConstant((long) i.imm).lstore(V);
                    return strmV(i, s);
                }
                case 0xc0, 0xc1, 0xd0, 0xd1, 0xd2, 0xd3 -> {
                    return shift(i, op);
                }
                case 0xe8 -> {
                    int s = ssz(i);
                    c.aload(X).aload(CPU).getfield(CD_CPU, "rip", CD_long).loadConstant(s)
                            .invokevirtual(CD_INTERP, "push", MethodTypeDesc.of(CD_void, CD_long, CD_int));
                    jumpRel(i);
                    return true;
                }
                case 0xe9, 0xeb -> {
                    jumpRel(i);
                    return false;
                }
                case 0xc3 -> {
                    int s = ssz(i);
                    c.aload(X).loadConstant(s).loadConstant(0)
                            .invokevirtual(CD_INTERP, "peek", MethodTypeDesc.of(CD_long, CD_int, CD_int)).lstore(V);
                    c.aload(X).lload(V).aload(INSNS).loadConstant(k).aaload()
                            .invokevirtual(CD_INTERP, "jumpAbs", MethodTypeDesc.of(CD_void, CD_long, CD_INSN));
                    c.aload(X).aload(X).aload(X).invokevirtual(CD_INTERP, "sp", MethodTypeDesc.of(CD_long))
                            .loadConstant((long) s)
                            .invokevirtual(CD_INTERP, "spAdd", MethodTypeDesc.of(CD_long, CD_long, CD_long))
                            .invokevirtual(CD_INTERP, "setSp", MethodTypeDesc.of(CD_void, CD_long));
                    return false;
                }
                case 0x1b6, 0x1b7, 0x1be, 0x1bf -> {
                    int src = op == 0x1b6 || op == 0x1be ? 1 : 2;
                    ldrm(i, src);
                    if (op == 0x1be) {
                        c.l2i().i2b().i2l();
                    } else if (op == 0x1bf) {
                        c.l2i().i2s().i2l();
                    }
                    c.lstore(V);
                    wregV(i.reg, osz(i));
                    return false;
                }
                case 0xfe, 0xff -> {
                    int s = op == 0xfe ? 1 : osz(i);
                    c.aload(X);
                    rmwLoad(i, s);
                    c.loadConstant(s).invokevirtual(CD_INTERP, i.reg == 0 ? "inc" : "dec",
                            MethodTypeDesc.of(CD_long, CD_long, CD_int));
                    c.lstore(V);
                    return rmwStoreV(i, s);
                }
                default -> throw new IllegalStateException("not inlinable: " + i);
            }
        }

        /** ALU forms 00-05 (the interpreter's aluForm). */
        private boolean aluForm(Insn i, int aop, int form) {
            switch (form) {
                case 0, 1 -> {
                    int s = form == 0 ? 1 : osz(i);
                    c.aload(X).loadConstant(aop);
                    rmwLoad(i, s);
                    rreg(i.reg, s);
                    alu(aop, s);
                    if (aop == 7) {
                        c.pop2();
                        return false;
                    }
                    c.lstore(V);
                    return rmwStoreV(i, s);
                }
                case 2, 3 -> {
                    int s = form == 2 ? 1 : osz(i);
                    c.aload(X).loadConstant(aop);
                    rreg(i.reg, s);
                    ldrm(i, s);
                    alu(aop, s);
                    if (aop == 7) {
                        c.pop2();
                        return false;
                    }
                    c.lstore(V);
                    wregV(i.reg, s);
                    return false;
                }
                default -> {
                    int s = form == 4 ? 1 : osz(i);
                    c.aload(X).loadConstant(aop);
                    rreg(0, s);
                    c.loadConstant((long) i.imm);
                    alu(aop, s);
                    if (aop == 7) {
                        c.pop2();
                        return false;
                    }
                    c.lstore(V);
                    wregV(0, s);
                    return false;
                }
            }
        }

        /** C0 C1 D0-D3: the interpreter's shift group. */
        private boolean shift(Insn i, int op) {
            int s = (op & 1) == 0 ? 1 : osz(i);
            int cmask = s == 8 ? 63 : 31;
            if (op <= 0xd1) {
                int count = (op <= 0xc1 ? i.imm : 1) & cmask;
                rmwLoad(i, s);
                if (count == 0) {
                    c.pop2();
                    return false;
                }
                c.lstore(V);
                c.aload(X).loadConstant(i.reg).lload(V).loadConstant(count).loadConstant(s)
                        .invokevirtual(CD_INTERP, "shift", MethodTypeDesc.of(CD_long, CD_int, CD_long, CD_int, CD_int))
                        .lstore(V);
                return rmwStoreV(i, s);
            }
            c.aload(REGS).loadConstant(1).laload().l2i().loadConstant(cmask).iand().istore(CNT);
            rmwLoad(i, s);
            c.lstore(V);
            Label skip = c.newLabel();
            c.iload(CNT).ifeq(skip);
            c.aload(X).loadConstant(i.reg).lload(V).iload(CNT).loadConstant(s)
                    .invokevirtual(CD_INTERP, "shift", MethodTypeDesc.of(CD_long, CD_int, CD_long, CD_int, CD_int))
                    .lstore(V);
            rmwStoreV(i, s);
            c.labelBinding(skip);
            return i.mod != 3;
        }
    }
}
