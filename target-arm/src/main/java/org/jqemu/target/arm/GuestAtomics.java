package org.jqemu.target.arm;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * Atomic read-modify-write of guest RAM, shared by every vCPU thread: compare-and-set on the
 * host word itself, so a guest's byte or halfword exclusive (or LSE atomic) is atomic against
 * another CPU's word-sized one on the same location (Linux's qspinlock mixes 16-bit exchanges of
 * the tail with 32-bit compare-and-swaps of the whole lock word). Bytes and halfwords are done as
 * a compare-and-set loop on the aligned 32-bit word that holds them.
 */
final class GuestAtomics {
    private static final VarHandle W32 = ValueLayout.JAVA_INT.varHandle();
    private static final VarHandle W64 = ValueLayout.JAVA_LONG.varHandle();

    /** Read-modify-write operations (the LSE set). */
    static final int ADD = 0, CLR = 1, EOR = 2, SET = 3, SMAX = 4, SMIN = 5, UMAX = 6, UMIN = 7, SWP = 8;

    private GuestAtomics() {
    }

    /** Atomically replaces the {@code size}-byte value at {@code off} if it equals {@code expect}. */
    static boolean compareAndSet(MemorySegment seg, long off, int size, long expect, long update) {
        switch (size) {
            case 8:
                return W64.compareAndSet(seg, off, expect, update);
            case 4:
                return W32.compareAndSet(seg, off, (int) expect, (int) update);
            default:
                long wordOff = off & ~3L;
                int shift = (int) (off & 3) * 8;
                int mask = (size == 1 ? 0xff : 0xffff) << shift;
                while (true) {
                    int cur = (int) W32.getVolatile(seg, wordOff);
                    if (((cur & mask) >>> shift) != (int) (expect & (mask >>> shift))) {
                        return false;
                    }
                    int next = (cur & ~mask) | (((int) update << shift) & mask);
                    if (W32.compareAndSet(seg, wordOff, cur, next)) {
                        return true;
                    }
                }
        }
    }

    /** The current value, read with volatile semantics (zero-extended). */
    static long load(MemorySegment seg, long off, int size) {
        switch (size) {
            case 8:
                return (long) W64.getVolatile(seg, off);
            case 4:
                return (int) W32.getVolatile(seg, off) & 0xffffffffL;
            default:
                int shift = (int) (off & 3) * 8;
                int cur = (int) W32.getVolatile(seg, off & ~3L);
                return (cur >>> shift) & (size == 1 ? 0xff : 0xffff);
        }
    }

    /** Atomically applies {@code op} with {@code operand}; returns the old value (zero-extended). */
    static long getAndOp(MemorySegment seg, long off, int size, int op, long operand) {
        while (true) {
            long old = load(seg, off, size);
            long next = apply(op, old, operand, size);
            if (compareAndSet(seg, off, size, old, next)) {
                return old;
            }
        }
    }

    static long apply(int op, long old, long v, int size) {
        int sh = 64 - 8 * size;
        long so = (old << sh) >> sh, sv = (v << sh) >> sh;
        long uo = old, uv = size == 8 ? v : v & (-1L >>> sh);
        return switch (op) {
            case ADD -> old + v;
            case CLR -> old & ~v;
            case EOR -> old ^ v;
            case SET -> old | v;
            case SMAX -> so >= sv ? old : v;
            case SMIN -> so <= sv ? old : v;
            case UMAX -> Long.compareUnsigned(uo, uv) >= 0 ? old : v;
            case UMIN -> Long.compareUnsigned(uo, uv) <= 0 ? old : v;
            default -> v;
        };
    }
}
