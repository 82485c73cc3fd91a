package org.jqemu.target.i386.decode;

/**
 * One decoded x86 instruction: everything the executor needs, so guest bytes are parsed once.
 *
 * <p>{@link #opc} is the opcode byte (0x000-0x0ff) or 0x100 + the byte after 0F; two pseudo
 * opcodes mark instructions that must fault when executed ({@link #OP_UD}, {@link #OP_GP}).
 * Register numbers run 0-15 (REX extends them in 64-bit mode). Memory operands
 * keep base/index register numbers (-1 for none), scale as a shift and the
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
    /** 64-bit mode instruction (CS.L in IA-32e mode): changes defaults and address width. */
    public boolean m64;
    /**
     * An operand-size (66) prefix was present. SSE uses it as a mandatory prefix even when
     * REX.W overrides the operand size ({@code 66 REX.W 0F 6E} is MOVQ xmm, r64), so it cannot
     * be inferred from {@link #o32}.
     */
    public boolean p66;
    /** REX.W: 64-bit operand size (64-bit mode only). */
    public boolean o64;
    /** 64-bit address size (64-bit mode without 67). */
    public boolean a64;
    /** A REX prefix was present: byte registers 4-7 are SPL BPL SIL DIL instead of AH CH DH BH. */
    public boolean rex;
    /** The memory operand is RIP-relative (disp from the next instruction). */
    public boolean ripRel;
    /** Register number encoded in the opcode's low bits, extended by REX.B (50+r, B8+r, ...). */
    public int opreg;
    /** 64-bit immediate of MOV r64, imm64 and 64-bit moffs. */
    public long imm64;
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
        return String.format("opc=%03x len=%d m64=%b o64=%b o32=%b a32=%b mod=%d reg=%d rm=%d imm=%x", opc, len, m64, o64, o32, a32, mod, reg, rm, imm);
    }
}
