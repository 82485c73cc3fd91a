package org.jqemu.target.i386.exec;

import org.jqemu.target.i386.decode.Insn;

/**
 * A run of decoded instructions starting at one guest-physical address, executed as a unit.
 * Its decoding mode is CS.D ({@code code32}) or 64-bit mode
 * ({@code code64}). It ends at a control transfer, at an instruction that may change the CPU mode, or at the end
 * of its page. {@link #valid} turns false when its code page is written; the executor checks it
 * after every instruction, so a store that rewrites the next instruction takes effect at once.
 */
final class Block {
    final long key;
    final long physPc;
    /** Physical page of the second page when the last instruction straddles it, else -1. */
    final long page2;
    final boolean code32;
    final boolean code64;
    final Insn[] insns;
    boolean valid = true;
    /** Number of times executed; a later tier may compile hot blocks. */
    int execCount;
    /** The tier-2 translation once the block got hot, else null. */
    CompiledBlock compiled;

    // Two cached successors, validated on use (see Executor.nextBlock).
    long chainEip0 = -1, chainEip1 = -1;
    long chainCs0, chainCs1;
    int chainGen0, chainGen1;
    Block chain0, chain1;

    Block(long key, long physPc, long page2, boolean code32, boolean code64, Insn[] insns) {
        this.key = key;
        this.physPc = physPc;
        this.page2 = page2;
        this.code32 = code32;
        this.code64 = code64;
        this.insns = insns;
    }
}
