package org.jqemu.target.arm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

class GuestAtomicsTest {
    /** Halfword and word read-modify-writes of one word from two threads lose no update. */
    @Test
    void mixedSizesAreAtomicAgainstEachOther() throws Exception {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment seg = arena.allocate(64, 64);
            int n = 50_000;
            Thread hi = Thread.ofPlatform().start(() -> {
                for (int i = 0; i < n; i++) {
                    GuestAtomics.getAndOp(seg, 10, 2, GuestAtomics.ADD, 1);
                }
            });
            for (int i = 0; i < n; i++) {
                GuestAtomics.getAndOp(seg, 8, 4, GuestAtomics.ADD, 1);
            }
            hi.join();
            assertEquals(((long) n << 16) | n, seg.get(ValueLayout.JAVA_INT, 8) & 0xffffffffL);
        }
    }

    @Test
    void compareAndSetOfBytesAndOperations() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(16, 16);
            seg.set(ValueLayout.JAVA_LONG, 0, 0x1122_3344_5566_7788L);
            assertFalse(GuestAtomics.compareAndSet(seg, 1, 1, 0x88, 0xaa));
            assertTrue(GuestAtomics.compareAndSet(seg, 1, 1, 0x77, 0xaa));
            assertEquals(0x1122_3344_5566_aa88L, seg.get(ValueLayout.JAVA_LONG, 0));
            assertEquals(0x5566, GuestAtomics.getAndOp(seg, 2, 2, GuestAtomics.SWP, 0xbeef));
            assertEquals(0x1122_3344_beef_aa88L, seg.get(ValueLayout.JAVA_LONG, 0));
            assertEquals(0x11223344L, GuestAtomics.getAndOp(seg, 4, 4, GuestAtomics.SMAX, 0x8000_0000L));
            assertEquals(0x11223344L, GuestAtomics.load(seg, 4, 4), "signed max keeps the positive value");
            GuestAtomics.getAndOp(seg, 4, 4, GuestAtomics.UMAX, 0x8000_0000L);
            assertEquals(0x8000_0000L, GuestAtomics.load(seg, 4, 4));
            GuestAtomics.getAndOp(seg, 0, 8, GuestAtomics.CLR, 0xffffL);
            assertEquals(0x8000_0000_beef_0000L, seg.get(ValueLayout.JAVA_LONG, 0));
        }
    }
}
