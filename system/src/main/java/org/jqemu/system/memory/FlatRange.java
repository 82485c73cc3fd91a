package org.jqemu.system.memory;

/**
 * One entry of a flattened address map: guest addresses [start, end) reach {@code region} (a
 * {@link RamRegion} or {@link IoRegion}) starting at {@code regionOffset}.
 */
public record FlatRange(long start, long end, MemoryRegion region, long regionOffset) {
    public boolean contains(long addr) {
        return Long.compareUnsigned(addr, start) >= 0 && Long.compareUnsigned(addr, end) < 0;
    }
}
