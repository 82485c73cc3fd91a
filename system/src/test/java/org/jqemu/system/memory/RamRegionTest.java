package org.jqemu.system.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

class RamRegionTest {
    @Test
    void largeRamIsZeroPageAlignedAndWritable() {
        try (Arena arena = Arena.ofShared()) {
            long size = 4L << 30; // committed lazily: touching two pages costs two pages
            RamRegion ram = RamRegion.allocate(arena, "ram", size, false);
            assertEquals(size, ram.size());
            assertEquals(0, ram.segment().address() % 4096);
            assertEquals(0, ram.segment().get(ValueLayout.JAVA_LONG, size - 8));
            ram.segment().set(ValueLayout.JAVA_INT, 0, 0x12345678);
            ram.segment().set(ValueLayout.JAVA_INT, size - 4, 0x9abcdef0);
            assertEquals(0x12345678, ram.segment().get(ValueLayout.JAVA_INT, 0));
            assertEquals(0x9abcdef0, ram.segment().get(ValueLayout.JAVA_INT, size - 4));
        }
    }

    @Test
    void oddSizesKeepTheirSize() {
        try (Arena arena = Arena.ofShared()) {
            RamRegion rom = RamRegion.allocate(arena, "rom", 1000, true);
            assertEquals(1000, rom.size());
        }
    }
}
