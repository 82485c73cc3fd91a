package org.jqemu.target.i386.exec;

import org.jqemu.target.i386.decode.Insn;

/**
 * A {@link Block} translated to JVM bytecode by {@link BlockCompiler} (tier 2). Running it has
 * the same effect as interpreting the block's instructions one by one, without the per-instruction
 * dispatch.
 */
abstract class CompiledBlock {
    // A class, not an interface: the executor's call of run() is then a virtual call through the
    // vtable instead of an interface call through the itable, once per block executed.
    /**
     * Runs the block from {@code cpu.rip}. Returns the number of instructions executed when all
     * of them ran, or minus that number when the block stopped early (an instruction asked the
     * executor to stop, or a store invalidated this block). A guest fault propagates as
     * {@link org.jqemu.target.i386.X86Fault} with {@code x.insnStart} naming the faulting
     * instruction, as in the interpreter.
     */
    abstract int run(Interpreter x, Insn[] insns, Block b);
}
