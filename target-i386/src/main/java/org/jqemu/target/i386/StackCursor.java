package org.jqemu.target.i386;

/**
 * A stack pointer being moved by a multi-step system operation (interrupt delivery, far call,
 * far return, IRET). Pushes and pops go to memory at once, but ESP is only written back by
 * {@link #commit()}, so a fault halfway leaves the architectural ESP untouched, as the SDM
 * requires. The stack's width (SS.B) decides whether SP wraps at 64 KiB.
 */
final class StackCursor {
    private final X86Cpu cpu;
    private final X86Mmu mmu;
    long base;
    int sp;
    /** 0xffff for a 16-bit stack segment, -1 for a 32-bit one. */
    int mask;
    boolean user;

    StackCursor(X86Cpu cpu, X86Mmu mmu) {
        this.cpu = cpu;
        this.mmu = mmu;
    }

    /** Starts from the current SS:ESP, accessing memory as user when {@code user}. */
    StackCursor current(boolean user) {
        base = cpu.segBase[X86Cpu.SS];
        mask = (cpu.segAttr[X86Cpu.SS] & SysBits.ATTR_DB) != 0 ? -1 : 0xffff;
        sp = (int) cpu.regs[4];
        this.user = user;
        return this;
    }

    /** Starts from a new stack (base, ESP, B bit from the descriptor {@code ssDesc}). */
    StackCursor fresh(long ssDesc, int esp, boolean user) {
        base = Segmentation.baseOf(ssDesc);
        mask = ((int) (ssDesc >>> 32) & SysBits.D_DB) != 0 ? -1 : 0xffff;
        sp = esp;
        this.user = user;
        return this;
    }

    void push(int size, int v) {
        sp = (sp & ~mask) | ((sp - size) & mask);
        mmu.write((base + (sp & mask)) & 0xffffffffL, size, v, user);
    }

    int pop(int size) {
        int v = mmu.read((base + (sp & mask)) & 0xffffffffL, size, user);
        sp = (sp & ~mask) | ((sp + size) & mask);
        return v;
    }

    /** The value {@code index} slots of {@code size} above the current top, without popping. */
    int peek(int size, int index) {
        return mmu.read((base + ((sp + index * size) & mask)) & 0xffffffffL, size, user);
    }

    void skip(int bytes) {
        sp = (sp & ~mask) | ((sp + bytes) & mask);
    }

    void commit() {
        cpu.regs[4] = sp & 0xffffffffL;
    }
}
