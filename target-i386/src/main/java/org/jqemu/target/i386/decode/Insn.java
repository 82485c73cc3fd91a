package org.jqemu.target.i386.decode;

/**
 * One decoded x86 instruction: everything the executor needs, so guest bytes are parsed once.
 *
 * <p>{@link #opc} is the opcode byte (0x000-0x0ff) or 0x100 + the byte after 0F; two pseudo
 * opcodes mark instructions that must fault when executed ({@link #OP_UD}, {@link #OP_GP}).
 * Memory operands keep base/index register numbers (-1 for none), scale as a shift and the
 * displacement; 16-bit forms map BX/BP/SI/DI onto the same fields. The instruction stores no
 * absolute address, so one decoded block serves every linear alias of its physical page.
 */
public final class Insn {
    public static final int OP_UD = 0x200;
    public static final int OP_GP = 0x201;

    public int opc;
    public int len;
    public boolean o32;
    public boolean a32;
    /** Segment of the memory operand: the override, or DS/SS by the base register. */
    public int seg;
    /** True when a segment prefix was given (string sources and XLAT honour it). */
    public boolean segOverride;
    /** 0 none, 1 = F3 (REP/REPE), 2 = F2 (REPNE). */
    public int rep;
    public boolean lock;
    public boolean hasModrm;
    public int mod, reg, rm;
    public int base = -1, index = -1, scale;
    public int disp;
    public int imm, imm2;
    /** The block must end after this instruction (control transfer or mode change). */
    public boolean endsBlock;

    public boolean isMem() {
        return mod != 3;
    }

    @Override
    public String toString() {
        return String.format("opc=%03x len=%d o32=%b a32=%b mod=%d reg=%d rm=%d imm=%x", opc, len, o32, a32, mod, reg, rm, imm);
    }
}
