package org.jqemu.firmware.x86;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.jqemu.firmware.x86.E820Map.Entry;
import org.junit.jupiter.api.Test;

/** Expected maps and sizes are what Debian's QEMU 7.2 (pc, SeaBIOS 1.16.2) reported to a guest. */
class E820MapTest {
    private static final long MIB = 1 << 20;

    private static Entry ram(long base, long len) {
        return new Entry(base, len, E820Map.TYPE_RAM);
    }

    private static Entry reserved(long base, long len) {
        return new Entry(base, len, E820Map.TYPE_RESERVED);
    }

    @Test
    void pcWith128MiB() {
        E820Map m = E820Map.pc(128 * MIB, 0);
        assertEquals(List.of(
                ram(0, 0x9fc00),
                reserved(0x9fc00, 0x400),
                reserved(0xf0000, 0x10000),
                ram(0x100000, 0x7ee0000),
                reserved(0x7fe0000, 0x20000),
                reserved(0xfffc0000L, 0x40000)), m.entries());
        assertEquals(639, m.lowerMemoryKib());
        assertEquals(0x1fb80, m.upperMemoryKib());
    }

    @Test
    void pcWith512MiB() {
        E820Map m = E820Map.pc(512 * MIB, 0);
        assertEquals(ram(0x100000, 0x1fee0000), m.entries().get(3));
        assertEquals(reserved(0x1ffe0000, 0x20000), m.entries().get(4));
        assertEquals(0x7fb80, m.upperMemoryKib());
    }

    @Test
    void pcWith5GiBSplitsAt3GiB() {
        E820Map m = E820Map.pc(3L << 30, 2L << 30);
        assertEquals(7, m.entries().size());
        assertEquals(ram(0x100000, 0xbfee0000L), m.entries().get(3));
        assertEquals(reserved(0xbffe0000L, 0x20000), m.entries().get(4));
        assertEquals(ram(1L << 32, 0x80000000L), m.entries().get(6));
        assertEquals(0x2ffb80, m.upperMemoryKib(), "RAM above 4 GiB is not upper memory");
    }

    @Test
    void pcWith2MiB() {
        E820Map m = E820Map.pc(2 * MIB, 0);
        assertEquals(ram(0x100000, 0xe0000), m.entries().get(3));
        assertEquals(reserved(0x1e0000, 0x20000), m.entries().get(4));
        assertEquals(0x380, m.upperMemoryKib());
    }

    @Test
    void upperMemoryJoinsUnorderedAdjacentRanges() {
        E820Map m = new E820Map(List.of(ram(0x300000, 0x100000), ram(0, 0xa0000), ram(0x100000, 0x200000),
                ram(0x500000, 0x100000)));
        assertEquals(3 * 1024, m.upperMemoryKib(), "stops at the hole at 4 MiB");
        assertEquals(640, m.lowerMemoryKib());
    }

    @Test
    void rejectsImpossibleSizes() {
        assertThrows(IllegalArgumentException.class, () -> E820Map.pc(0, 0));
        assertThrows(IllegalArgumentException.class, () -> E820Map.pc((1L << 32) + 1, 0));
        assertThrows(IllegalArgumentException.class, () -> E820Map.pc(MIB, -1));
    }
}
