package org.jqemu.system.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class AddressSpaceTest {
    private final Arena arena = Arena.ofConfined();
    private final AddressSpace as = new AddressSpace("test", 1L << 32);

    @AfterEach
    void free() {
        arena.close();
    }

    private RamRegion ram(String name, long size) {
        return RamRegion.allocate(arena, name, size, false);
    }

    /** Registers that answer reads with a fixed pattern plus the offset, and log every access. */
    static final class Regs implements MemoryOps {
        final long base;
        final List<String> log = new ArrayList<>();

        Regs(long base) {
            this.base = base;
        }

        @Override
        public long read(long offset, int size) {
            log.add("r" + size + "@" + offset);
            return base + offset;
        }

        @Override
        public void write(long offset, int size, long value) {
            log.add("w" + size + "@" + offset + "=" + Long.toHexString(value));
        }
    }

    @Test
    void ramReadsBackWhatWasWrittenLittleEndian() {
        as.root().add(0x1000, ram("ram", 0x1000));
        as.write32(0x1000, 0x11223344);
        assertEquals(0x44, as.read8(0x1000));
        assertEquals(0x3344, as.read16(0x1000));
        assertEquals(0x11223344, as.read32(0x1000));
        as.write64(0x1008, 0x8877665544332211L);
        assertEquals(0x8877665544332211L, as.read64(0x1008));
        assertEquals(0x55, as.read8(0x100c));
    }

    @Test
    void holesReadAllOnesAndIgnoreWrites() {
        List<String> seen = new ArrayList<>();
        as.setUnassignedAccess((addr, size, write, value) -> seen.add((write ? "w" : "r") + Long.toHexString(addr)));
        assertEquals(0xff, as.read8(0x5000));
        assertEquals(0xffff, as.read16(0x5000));
        assertEquals(0xffffffff, as.read32(0x5000));
        assertEquals(-1L, as.read64(0x5000));
        as.write8(0x5000, 1);
        assertEquals(0xff, as.read8(0x5000));
        assertEquals("r5000", seen.get(0));
        assertEquals("w5000", seen.stream().filter(s -> s.startsWith("w")).findFirst().orElseThrow());
    }

    @Test
    void higherPriorityWinsWhereRegionsOverlap() {
        RamRegion low = ram("low", 0x4000);
        Regs regs = new Regs(0xa000);
        as.root().add(0, low, 0);
        as.root().add(0x1000, new IoRegion("mmio", 0x1000, regs), 1);
        as.write8(0x0fff, 0x12);
        as.write8(0x2000, 0x34);
        assertEquals(0x12, as.read8(0x0fff));
        assertEquals(0xa000 + 0x10, as.read32(0x1010) & 0xffff_ffffL);
        assertEquals(0x34, as.read8(0x2000));
        // The RAM under the registers keeps its own offsets on both sides of the hole it has.
        assertSame(low, as.lookup(0x2000).region());
        assertEquals(0x2000, as.lookup(0x2000).regionOffset());
    }

    @Test
    void lowerPriorityAddedLaterStaysBelow() {
        RamRegion top = ram("top", 0x1000);
        RamRegion under = ram("under", 0x3000);
        as.root().add(0x1000, top, 5);
        as.root().add(0, under, 0);
        assertSame(top, as.lookup(0x1800).region());
        assertSame(under, as.lookup(0x800).region());
        assertSame(under, as.lookup(0x2800).region());
    }

    @Test
    void equalPriorityLastAddedWins() {
        RamRegion a = ram("a", 0x2000);
        RamRegion b = ram("b", 0x1000);
        as.root().add(0, a);
        as.root().add(0x800, b);
        assertSame(b, as.lookup(0x800).region());
        assertSame(a, as.lookup(0x1800).region());
        assertEquals(0x1800, as.lookup(0x1800).regionOffset());
    }

    @Test
    void containersHideOnlyWhereTheirChildrenMap() {
        RamRegion below = ram("below", 0x4000);
        ContainerRegion c = new ContainerRegion("c", 0x4000);
        RamRegion inner = ram("inner", 0x1000);
        c.add(0x1000, inner);
        as.root().add(0, below, 0);
        as.root().add(0, c, 1);
        assertSame(below, as.lookup(0x0800).region());
        assertSame(inner, as.lookup(0x1800).region());
        assertSame(below, as.lookup(0x2800).region());
    }

    @Test
    void childrenAreClippedToTheirContainer() {
        ContainerRegion c = new ContainerRegion("c", 0x1000);
        c.add(0x800, ram("wide", 0x2000));
        as.root().add(0x10000, c);
        assertEquals(0x10800, as.lookup(0x10800).start());
        assertEquals(0x11000, as.lookup(0x10800).end());
        assertNull(as.lookup(0x11000));
    }

    @Test
    void aliasShowsPartOfItsTarget() {
        RamRegion bios = ram("bios", 0x10000);
        as.root().add(0xffff0000L, bios);
        // the last 64 KiB of the BIOS also at 0xf0000, as on a PC; here half of it, from 0x8000
        as.root().add(0xf0000, new AliasRegion("bios-alias", bios, 0x8000, 0x8000));
        as.write8(0xffff8010L, 0x5a);
        assertEquals(0x5a, as.read8(0xf0010));
        as.write8(0xf7fff, 0xa5);
        assertEquals(0xa5, as.read8(0xfffffffL * 16 + 0xf)); // 0xffffffff: last byte of the BIOS
        assertNull(as.lookup(0xf8000));
    }

    @Test
    void aliasOfIoPassesTheTargetsOffsets() {
        Regs regs = new Regs(0);
        IoRegion io = new IoRegion("regs", 0x100, regs);
        as.root().add(0x3000, new AliasRegion("window", io, 0x40, 0x10));
        as.read8(0x3002);
        as.write16(0x3004, 0xbeef);
        assertEquals(List.of("r1@66", "w2@68=beef"), regs.log);
    }

    @Test
    void changesInsideAnAliasedContainerAreSeen() {
        ContainerRegion pci = new ContainerRegion("pci", 0x10000);
        as.root().add(0x80000, new AliasRegion("pci-window", pci, 0, 0x10000));
        assertNull(as.lookup(0x80100)); // flattened once, while pci is empty
        RamRegion bar = ram("bar", 0x1000);
        pci.add(0, bar);
        assertSame(bar, as.lookup(0x80100).region());
        pci.remove(bar);
        assertNull(as.lookup(0x80100));
    }

    @Test
    void mapChangesAreReportedAndRemoveWorks() {
        int[] changes = new int[1];
        as.addMapListener(() -> changes[0]++);
        RamRegion r = ram("r", 0x1000);
        as.root().add(0, r);
        assertEquals(1, changes[0]);
        as.root().remove(r);
        assertEquals(2, changes[0]);
        assertNull(as.lookup(0));
        ContainerRegion nested = new ContainerRegion("n", 0x10000);
        as.root().add(0x10000, nested);
        int before = changes[0];
        nested.add(0, ram("deep", 0x1000));
        assertEquals(before + 1, changes[0], "a change deep in the tree is reported once");
    }

    @Test
    void accessesSplitAcrossRegionBoundaries() {
        RamRegion r = ram("r", 0x1000);
        Regs regs = new Regs(0xc0);
        as.root().add(0, r);
        as.root().add(0x1000, new IoRegion("regs", 0x10, regs));
        as.write8(0xffe, 0x11);
        as.write8(0xfff, 0x22);
        // 4 bytes at 0xffe: two from RAM, two single-byte register reads (0xc0 + offset)
        assertEquals(0xc1c02211L, as.read32(0xffe) & 0xffffffffL);
        assertEquals(List.of("r1@0", "r1@1"), regs.log);
        regs.log.clear();
        as.write32(0xffe, 0xaabbccdd);
        assertEquals(0xccdd, as.read16(0xffe));
        assertEquals(List.of("w1@0=bb", "w1@1=aa"), regs.log);
    }

    @Test
    void accessIntoAHoleIsSplitToo() {
        as.root().add(0, ram("r", 0x1000));
        as.write16(0xffe, 0x3344);
        assertEquals(0xffff3344L, as.read32(0xffe) & 0xffffffffL);
        as.write32(0xffe, 0x55667788); // the part beyond RAM vanishes
        assertEquals(0x7788, as.read16(0xffe));
    }

    @Test
    void accessSpanningTwoRamRegions() {
        RamRegion a = ram("a", 0x1000);
        RamRegion b = ram("b", 0x1000);
        as.root().add(0, a);
        as.root().add(0x1000, b);
        as.write64(0xffc, 0x0807060504030201L);
        assertEquals(0x0807060504030201L, as.read64(0xffc));
        assertEquals(0x05, b.segment().get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0));
    }

    @Test
    void romIgnoresGuestWritesButLoadersFillIt() {
        RamRegion rom = RamRegion.allocate(arena, "rom", 0x1000, true);
        as.root().add(0xe0000, rom);
        as.writeBytes(0xe0000, new byte[] {1, 2, 3, 4}, 0, 4, true);
        assertEquals(0x04030201, as.read32(0xe0000));
        as.write32(0xe0000, 0xdeadbeef);
        as.write8(0xe0001, 0xff);
        as.writeBytes(0xe0000, new byte[] {9, 9});
        assertEquals(0x04030201, as.read32(0xe0000));
    }

    @Test
    void bulkCopiesCrossRegionsAndHoles() {
        as.root().add(0, ram("a", 0x1000));
        as.root().add(0x2000, ram("b", 0x1000));
        byte[] src = new byte[0x2010];
        for (int i = 0; i < src.length; i++) {
            src[i] = (byte) i;
        }
        as.writeBytes(0xff8, src);
        byte[] back = new byte[src.length];
        as.readBytes(0xff8, back, 0, back.length);
        for (int i = 0; i < src.length; i++) {
            long addr = 0xff8 + i;
            byte want = (addr >= 0x1000 && addr < 0x2000) || addr >= 0x3000 ? (byte) 0xff : src[i];
            assertEquals(want, back[i], "byte at 0x" + Long.toHexString(addr));
        }
    }

    @Test
    void ramWritesAreObserved() {
        List<Long> pages = new ArrayList<>();
        as.setRamWriteObserver(a -> pages.add(a & ~0xfffL));
        as.root().add(0, ram("r", 0x3000));
        as.write8(0x10, 1);
        as.write32(0xffe, 0); // touches two pages
        as.writeBytes(0x1800, new byte[0x1000]);
        assertEquals(List.of(0L, 0L, 0x1000L, 0x1000L, 0x2000L), pages);
    }
}
