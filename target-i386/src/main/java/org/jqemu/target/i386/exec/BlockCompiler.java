package org.jqemu.target.i386.exec;

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
    private static final ClassDesc CD_MMU = ClassDesc.of("org.jqemu.target.i386.X86Mmu");
    private static final ClassDesc CD_INSN = ClassDesc.of("org.jqemu.target.i386.decode.Insn");
    private static final ClassDesc CD_LONGS = CD_long.arrayType();
    private static final MethodTypeDesc MTD_LIN = MethodTypeDesc.of(CD_long, CD_int, CD_long, CD_int);
    private static final MethodTypeDesc MTD_RUN =
            MethodTypeDesc.of(CD_int, CD_INTERP, CD_INSN.arrayType(), CD_BLOCK);

    // locals of run()
    private static final int X = 1, INSNS = 2, B = 3, REGS = 4, CPU = 5, FL = 6, START = 7, LA = 9, V = 11, CNT = 13, DONE = 14, FA = 15, FB = 17, FR = 19, NSP = 21;
    /** A block looping on itself returns to the executor after this many instructions at the latest. */
    private static final int LOOP_BUDGET = 1 << 22;

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
            cb.withSuperclass(CD_COMPILED);
            cb.withMethodBody(INIT_NAME, MTD_void, ClassFile.ACC_PUBLIC,
                    c -> c.aload(0).invokespecial(CD_COMPILED, INIT_NAME, MTD_void).return_());
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
        if (op >= 0x40 && op <= 0x5f || op >= 0x70 && op <= 0x7f || op >= 0xb0 && op <= 0xbf) {
            return true;
        }
        if (op >= 0x180 && op <= 0x19f || op >= 0x140 && op <= 0x14f || op >= 0x118 && op <= 0x11f) {
            return true;
        }
        return switch (op) {
            case 0x63 -> i.m64;
            case 0x68, 0x6a -> i.m64 && Interpreter.ssz(i) == 8;
            case 0x69, 0x6b, 0x1af -> Interpreter.osz(i) != 1;
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
        /** Flags kind (Flags.SUB, LOGIC, ADD) of the last inline ALU result in locals FA FB FR, or -1. */
        private int knownOp = -1;
        private int knownSize;
        /** REX present on the instruction being emitted: byte registers 4-7 are SPL..DIL, not AH..BH. */
        private boolean rex;

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
            c.iconst_0().istore(DONE);
            Label top = c.newBoundLabel();
            Insn[] insns = b.insns;
            long off = 0;
            for (int k = 0; k < insns.length; k++) {
                Insn i = insns[k];
                long next = off + i.len;
                int before = knownOp;
                knownOp = -1;
                rex = i.rex;
                if (supported(i)) {
                    if (!registerOnly(i)) {
                        setStart(off);
                        setRip(next);
                    }
                    if (flagNeutral(i)) {
                        knownOp = before;
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
                    returnEarly(k);
                    c.labelBinding(cont);
                }
                off = next;
            }
            // Register-only instructions leave RIP alone; jumps and fallbacks have set it.
            Insn last = insns[insns.length - 1];
            if (supported(last) && !isJump(last)) {
                setRip(off);
            }
            c.iload(DONE).loadConstant(insns.length).iadd().istore(DONE);
            if (supported(last) && isJump(last) && last.opc != 0xc3) {
                // A loop that branches back to this block's start goes round here instead of
                // through the executor, as long as nothing asks for its attention.
                Label out = c.newLabel();
                c.aload(CPU).getfield(CD_CPU, "rip", CD_long).lload(START).lcmp().ifne(out);
                c.iload(DONE).loadConstant(LOOP_BUDGET).if_icmpge(out);
                c.aload(CPU).invokevirtual(CD_CPU, "needsAttention", MethodTypeDesc.of(CD_boolean)).ifne(out);
                c.goto_(top);
                c.labelBinding(out);
            }
            c.iload(DONE).ireturn();
        }

        /** Returns minus the instructions done, this one ({@code k}) included. */
        private void returnEarly(int k) {
            c.iload(DONE).loadConstant(k + 1).iadd().ineg().ireturn();
        }

        /** Inline instructions that leave the arithmetic flags alone. */
        private static boolean flagNeutral(Insn i) {
            int op = i.opc;
            return op >= 0x50 && op <= 0x5f || op >= 0xb0 && op <= 0xbf || op >= 0x140 && op <= 0x14f
                    || op >= 0x190 && op <= 0x19f || op >= 0x118 && op <= 0x11f || op >= 0x1b6 && op <= 0x1bf
                    || op == 0x63 || op >= 0x88 && op <= 0x8b || op == 0x8d || op == 0x90 || op == 0xc6 || op == 0xc7
                    || isJump(i);
        }

        private static boolean isJump(Insn i) {
            int op = i.opc;
            return op >= 0x70 && op <= 0x7f || op >= 0x180 && op <= 0x18f || op == 0xe8 || op == 0xe9 || op == 0xeb
                    || op == 0xc3;
        }

        /** Cannot fault, touches only registers and flags, and does not read RIP. */
        private static boolean registerOnly(Insn i) {
            int op = i.opc;
            if (op >= 0x50 && op <= 0x5f || op == 0xe8 || op == 0xc3 || op == 0x68 || op == 0x6a) {
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
            returnEarly(k);
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
                default -> {
                    // The REX prefix is known here: AH..BH or the low byte, without asking r8.
                    if (r < 4 || rex) {
                        c.aload(REGS).loadConstant(r).laload().loadConstant(0xffL).land();
                    } else {
                        c.aload(REGS).loadConstant(r - 4).laload().loadConstant(8).lushr().loadConstant(0xffL).land();
                    }
                }
            }
        }

        /** Writes local {@link #V} to register {@code r} with the write rules of {@code size}. */
        private void wregV(int r, int size) {
            switch (size) {
                case 8 -> c.aload(REGS).loadConstant(r).lload(V).lastore();
                case 4 -> c.aload(REGS).loadConstant(r).lload(V).loadConstant(0xffffffffL).land().lastore();
                case 2 -> c.aload(REGS).loadConstant(r)
                        .aload(REGS).loadConstant(r).laload().loadConstant(~0xffffL).land()
                        .lload(V).loadConstant(0xffffL).land().lor().lastore();
                default -> {
                    if (r < 4 || rex) {
                        c.aload(REGS).loadConstant(r)
                                .aload(REGS).loadConstant(r).laload().loadConstant(~0xffL).land()
                                .lload(V).loadConstant(0xffL).land().lor().lastore();
                    } else {
                        c.aload(REGS).loadConstant(r - 4)
                                .aload(REGS).loadConstant(r - 4).laload().loadConstant(~0xff00L).land()
                                .lload(V).loadConstant(0xffL).land().loadConstant(8).lshl().lor().lastore();
                    }
                }
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
            c.loadConstant(size).invokevirtual(CD_INTERP, "lin", MTD_LIN);
            c.lstore(LA);
        }

        /**
         * Loads {@code size} bytes at {@link #LA}: the interpreter's {@code rd} without its
         * data-breakpoint check (compiled blocks only run while no breakpoint is armed), calling
         * the MMU's access of that width directly.
         */
        private void rdLa(int size) {
            c.aload(X).getfield(CD_INTERP, "mmu", CD_MMU).lload(LA);
            switch (size) {
                case 8 -> c.invokevirtual(CD_MMU, "read64", MethodTypeDesc.of(CD_long, CD_long));
                case 4 -> c.invokevirtual(CD_MMU, "read32", MethodTypeDesc.of(CD_int, CD_long)).i2l()
                        .loadConstant(0xffffffffL).land();
                case 2 -> c.invokevirtual(CD_MMU, "read16", MethodTypeDesc.of(CD_int, CD_long)).i2l();
                default -> c.invokevirtual(CD_MMU, "read8", MethodTypeDesc.of(CD_int, CD_long)).i2l();
            }
        }

        /** Stores local {@link #V} at {@link #LA} (the interpreter's {@code wr}, as {@link #rdLa}). */
        private void wrLaV(int size) {
            c.aload(X).getfield(CD_INTERP, "mmu", CD_MMU).lload(LA).lload(V);
            switch (size) {
                case 8 -> c.invokevirtual(CD_MMU, "write64", MethodTypeDesc.of(CD_void, CD_long, CD_long));
                case 4 -> c.l2i().invokevirtual(CD_MMU, "write32", MethodTypeDesc.of(CD_void, CD_long, CD_int));
                case 2 -> c.l2i().loadConstant(0xffff).iand()
                        .invokevirtual(CD_MMU, "write16", MethodTypeDesc.of(CD_void, CD_long, CD_int));
                default -> c.l2i().loadConstant(0xff).iand()
                        .invokevirtual(CD_MMU, "write8", MethodTypeDesc.of(CD_void, CD_long, CD_int));
            }
        }

        /**
         * PUSH of local {@link #V} in 64-bit mode with a 64-bit operand (the interpreter's
         * {@code push}): the store may fault, and RSP moves only after it succeeded.
         */
        private void push64V() {
            c.aload(REGS).loadConstant(Interpreter.ESP).laload().loadConstant(8L).lsub().lstore(NSP);
            c.aload(X).loadConstant(Interpreter.SS).lload(NSP).loadConstant(8)
                    .invokevirtual(CD_INTERP, "lin", MTD_LIN).lstore(LA);
            wrLaV(8);
            c.aload(REGS).loadConstant(Interpreter.ESP).lload(NSP).lastore();
        }

        /** POP in 64-bit mode with a 64-bit operand into local {@link #V} (the interpreter's {@code pop}). */
        private void pop64ToV() {
            c.aload(REGS).loadConstant(Interpreter.ESP).laload().lstore(NSP);
            c.aload(X).loadConstant(Interpreter.SS).lload(NSP).loadConstant(8)
                    .invokevirtual(CD_INTERP, "lin", MTD_LIN).lstore(LA);
            rdLa(8);
            c.lstore(V);
            c.aload(REGS).loadConstant(Interpreter.ESP).lload(NSP).loadConstant(8L).ladd().lastore();
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

        /** ADC and SBB read CF and go through the interpreter's {@code alu}; the others are inline. */
        private static boolean aluInline(int op) {
            return op != 2 && op != 3;
        }

        /** Before the operands of {@link #alu}: the receiver and operation of the helper call. */
        private void aluPrefix(int op) {
            if (!aluInline(op)) {
                c.aload(X).loadConstant(op);
            }
        }

        /**
         * ALU operation {@code op} on the two longs on the stack, leaving the result: the
         * interpreter's {@code alu}, with ADD OR AND SUB XOR CMP written out so the lazy-flags
         * record ({@link Flags#set}) is filled directly and later Jcc/SETcc/CMOVcc in the block
         * can test the operands without asking {@link Flags}.
         */
        private void alu(int op, int size) {
            if (!aluInline(op)) {
                knownOp = -1;
                c.loadConstant(size).invokevirtual(CD_INTERP, "alu", MethodTypeDesc.of(CD_long, CD_int, CD_long, CD_long, CD_int));
                return;
            }
            long m = Interpreter.mask(size);
            c.lstore(FB).lstore(FA);
            if (size != 8) {
                c.lload(FA).loadConstant(m).land().lstore(FA);
                c.lload(FB).loadConstant(m).land().lstore(FB);
            }
            c.lload(FA).lload(FB);
            int kind;
            switch (op) {
                case 0 -> {
                    c.ladd();
                    kind = Flags.ADD;
                }
                case 1 -> {
                    c.lor();
                    kind = Flags.LOGIC;
                }
                case 4 -> {
                    c.land();
                    kind = Flags.LOGIC;
                }
                case 6 -> {
                    c.lxor();
                    kind = Flags.LOGIC;
                }
                default -> {
                    c.lsub();
                    kind = Flags.SUB;
                }
            }
            if (size != 8 && kind != Flags.LOGIC) {
                c.loadConstant(m).land();
            }
            c.lstore(FR);
            c.aload(FL).loadConstant(kind).putfield(CD_FLAGS, "op", CD_int);
            c.aload(FL).loadConstant(size).putfield(CD_FLAGS, "size", CD_int);
            c.aload(FL).lload(FA).putfield(CD_FLAGS, "a", CD_long);
            c.aload(FL).lload(FB).putfield(CD_FLAGS, "b", CD_long);
            c.aload(FL).lload(FR).putfield(CD_FLAGS, "res", CD_long);
            knownOp = kind;
            knownSize = size;
            c.lload(FR);
        }

        private void sext(int size) {
            if (size != 8) {
                int sh = 64 - size * 8;
                c.loadConstant(sh).lshl().loadConstant(sh).lshr();
            }
        }

        /** Pushes the sign bit of the last result as a long (zero or not). */
        private void signOfResult() {
            c.lload(FR).loadConstant(1L << (knownSize * 8 - 1)).land().lconst_0().lcmp();
        }

        /**
         * Jumps to {@code no} unless condition {@code cc} (0 = O ... 15 = G) holds. When an inline
         * ALU instruction earlier in this block set the flags, the common conditions are decided
         * from its operands (as {@link Flags#cond} would); otherwise {@link Flags#cond} is asked.
         */
        private void branchIfFalse(int cc, Label no) {
            boolean neg = (cc & 1) != 0;
            int t = cc >> 1;
            if (knownOp == Flags.SUB && t != 0 && t != 5) {
                switch (t) {
                    case 1, 3 -> { // B/AE, BE/A: unsigned a vs b
                        c.lload(FA).lload(FB);
                        if (knownSize == 8) {
                            c.invokestatic(ClassDesc.of("java.lang.Long"), "compareUnsigned",
                                    MethodTypeDesc.of(CD_int, CD_long, CD_long));
                        } else {
                            c.lcmp();
                        }
                    }
                    case 2 -> c.lload(FA).lload(FB).lcmp(); // E/NE
                    case 4 -> signOfResult(); // S/NS
                    default -> { // 6 L/GE, 7 LE/G: signed a vs b
                        c.lload(FA);
                        sext(knownSize);
                        c.lload(FB);
                        sext(knownSize);
                        c.lcmp();
                    }
                }
                // the int on the stack compares like a with b (or is non-zero for "sign set")
                switch (t) {
                    case 1 -> { if (neg) c.iflt(no); else c.ifge(no); }       // a < b
                    case 2 -> { if (neg) c.ifeq(no); else c.ifne(no); }       // a == b
                    case 3 -> { if (neg) c.ifle(no); else c.ifgt(no); }       // a <= b
                    case 4 -> { if (neg) c.ifne(no); else c.ifeq(no); }       // sign set
                    case 6 -> { if (neg) c.iflt(no); else c.ifge(no); }       // a < b signed
                    default -> { if (neg) c.ifle(no); else c.ifgt(no); }      // a <= b signed
                }
                return;
            }
            if (knownOp == Flags.LOGIC && t != 0 && t != 5) {
                switch (t) {
                    case 1 -> { // CF = 0: B never, AE always
                        if (!neg) {
                            c.goto_(no);
                        }
                        return;
                    }
                    case 2, 3 -> c.lload(FR).lconst_0().lcmp(); // ZF (BE = ZF when CF = 0)
                    case 4 -> signOfResult();
                    default -> { // L/GE = SF (OF = 0); LE/G = ZF or SF = signed result <= 0
                        c.lload(FR);
                        sext(knownSize);
                        c.lconst_0().lcmp();
                    }
                }
                switch (t) {
                    case 2, 3 -> { if (neg) c.ifeq(no); else c.ifne(no); }    // r == 0
                    case 4 -> { if (neg) c.ifne(no); else c.ifeq(no); }       // sign set
                    case 6 -> { if (neg) c.iflt(no); else c.ifge(no); }       // r < 0
                    default -> { if (neg) c.ifle(no); else c.ifgt(no); }      // r <= 0
                }
                return;
            }
            if (knownOp == Flags.ADD && (t == 2 || t == 4)) {
                if (t == 2) {
                    c.lload(FR).lconst_0().lcmp();
                    if (neg) c.ifeq(no); else c.ifne(no);
                } else {
                    signOfResult();
                    if (neg) c.ifne(no); else c.ifeq(no);
                }
                return;
            }
            c.aload(FL).loadConstant(cc).invokevirtual(CD_FLAGS, "cond", MethodTypeDesc.of(CD_boolean, CD_int));
            c.ifeq(no);
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
                branchIfFalse(op & 0xf, skip);
                jumpRel(i);
                c.labelBinding(skip);
                return false;
            }
            if (op >= 0x40 && op <= 0x4f) { // INC/DEC r (not in 64-bit mode, where these are REX)
                int s = osz(i);
                c.aload(X);
                rreg(op & 7, s);
                c.loadConstant(s).invokevirtual(CD_INTERP, op < 0x48 ? "inc" : "dec",
                        MethodTypeDesc.of(CD_long, CD_long, CD_int));
                c.lstore(V);
                wregV(op & 7, s);
                return false;
            }
            if (op >= 0x50 && op <= 0x57 && i.m64 && ssz(i) == 8) {
                rreg(i.opreg, 8);
                c.lstore(V);
                push64V();
                return true;
            }
            if (op >= 0x58 && op <= 0x5f && i.m64 && ssz(i) == 8) {
                pop64ToV();
                wregV(i.opreg, 8);
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
                branchIfFalse(op & 0xf, no);
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
                Label no = c.newLabel();
                Label done = c.newLabel();
                branchIfFalse(op & 0xf, no);
                c.lconst_1().lstore(V).goto_(done);
                c.labelBinding(no);
                c.lconst_0().lstore(V);
                c.labelBinding(done);
                return strmV(i, 1);
            }
            if (op >= 0x118 && op <= 0x11f || op == 0x90) {
                return false;
            }
            switch (op) {
                case 0x68, 0x6a -> { // PUSH imm, 64-bit mode: the sign-extended immediate
                    c.loadConstant((long) i.imm).lstore(V);
                    push64V();
                    return true;
                }
                case 0x69, 0x6b, 0x1af -> { // IMUL r, r/m(, imm): the interpreter's imul2 sets the flags
                    int s = osz(i);
                    c.aload(X);
                    if (op == 0x1af) {
                        rreg(i.reg, s);
                        ldrm(i, s);
                    } else {
                        ldrm(i, s);
                        c.loadConstant((long) i.imm);
                    }
                    c.loadConstant(s).invokevirtual(CD_INTERP, "imul2", MethodTypeDesc.of(CD_long, CD_long, CD_long, CD_int));
                    c.lstore(V);
                    wregV(i.reg, s);
                    return false;
                }
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
                    aluPrefix(i.reg);
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
                    aluPrefix(4);
                    ldrm(i, s);
                    rreg(i.reg, s);
                    alu(4, s);
                    c.pop2();
                    return false;
                }
                case 0xa8, 0xa9 -> {
                    int s = op == 0xa8 ? 1 : osz(i);
                    aluPrefix(4);
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
                    if (i.m64 && s == 8) {
                        c.aload(CPU).getfield(CD_CPU, "rip", CD_long).lstore(V);
                        push64V();
                        jumpRel(i);
                        return true;
                    }
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
                    if (i.m64 && s == 8) {
                        // the target is checked (jumpAbs) before RSP moves, as in the interpreter
                        c.aload(X).loadConstant(Interpreter.SS).aload(REGS).loadConstant(Interpreter.ESP).laload()
                                .loadConstant(8).invokevirtual(CD_INTERP, "lin", MTD_LIN).lstore(LA);
                        rdLa(8);
                        c.lstore(V);
                        c.aload(X).lload(V).aload(INSNS).loadConstant(k).aaload()
                                .invokevirtual(CD_INTERP, "jumpAbs", MethodTypeDesc.of(CD_void, CD_long, CD_INSN));
                        c.aload(REGS).loadConstant(Interpreter.ESP).aload(REGS).loadConstant(Interpreter.ESP).laload()
                                .loadConstant(8L).ladd().lastore();
                        return false;
                    }
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
                    aluPrefix(aop);
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
                    aluPrefix(aop);
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
                    aluPrefix(aop);
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
