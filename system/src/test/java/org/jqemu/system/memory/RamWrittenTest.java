package org.jqemu.system.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** DMA straight into a RAM segment reports every page it touched, as CPU and loader writes do. */
class RamWrittenTest {
    @Test
    void reportsEachTouchedPageOnce() {
        AddressSpace as = new AddressSpace("t", 1L << 32);
        List<Long> pages = new ArrayList<>();
        as.setRamWriteObserver(a -> pages.add(a & ~0xfffL));
        as.ramWritten(0x1ff0, 0x20); // crosses into the next page
        assertEquals(List.of(0x1000L, 0x2000L), pages);
        pages.clear();
        as.ramWritten(0x3000, 0x3000);
        assertEquals(List.of(0x3000L, 0x4000L, 0x5000L), pages);
        pages.clear();
        as.ramWritten(0x3000, 0);
        assertEquals(List.of(), pages);
    }
}
