package org.jqemu.system.memory;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.LongConsumer;

/**
 * What one kind of bus master sees: a region tree flattened into sorted, non-overlapping ranges
 * with binary-search lookup. The PC has two: system memory and the 64 KiB I/O port space.
 *
 * <p>The flat view is rebuilt lazily after the tree changes and published as an immutable array,
 * so lookups take no lock. Listeners hear about map changes (a CPU flushes its TLB) and about
 * writes to RAM made through this class (DMA, loaders), so translated code can be invalidated.
 */
public final class AddressSpace {
    private static final ValueLayout.OfShort LE16 = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfInt LE32 = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfLong LE64 = ValueLayout.JAVA_LONG_UNALIGNED;

    private final String name;
    private final ContainerRegion root;
    private final List<Runnable> mapListeners = new CopyOnWriteArrayList<>();
    private volatile FlatRange[] view;
    private volatile LongConsumer ramWriteObserver;
    private UnassignedAccess unassigned = UnassignedAccess.IGNORE;

    /** What a guest access to a hole in the map does besides reading all-ones. */
    @FunctionalInterface
    public interface UnassignedAccess {
        UnassignedAccess IGNORE = (addr, size, write, value) -> {};

        void access(long addr, int size, boolean write, long value);
    }

    public AddressSpace(String name, long size) {
        this.name = name;
        this.root = new ContainerRegion(name, size);
        this.root.owner = this;
    }

    public String name() {
        return name;
    }

    public ContainerRegion root() {
        return root;
    }

    public void setUnassignedAccess(UnassignedAccess handler) {
        this.unassigned = handler;
    }

    /** Called after every change of the map (for example to flush a softmmu TLB). */
    public void addMapListener(Runnable listener) {
        mapListeners.add(listener);
    }

    /** Told the guest-physical address of each RAM write made through this class. */
    public void setRamWriteObserver(LongConsumer observer) {
        this.ramWriteObserver = observer;
    }

    /**
     * Reports that a device wrote {@code len} bytes of guest RAM at {@code addr} directly into a
     * region's segment (DMA), so observers such as a translated-code cache see the change.
     */
    public void ramWritten(long addr, long len) {
        LongConsumer obs = ramWriteObserver;
        if (obs == null || len <= 0) {
            return;
        }
        for (long p = addr & ~0xfffL; Long.compareUnsigned(p, addr + len) < 0; p += 4096) {
            obs.accept(Long.compareUnsigned(p, addr) < 0 ? addr : p);
        }
    }

    void invalidate() {
        view = null;
        for (Runnable l : mapListeners) {
            l.run();
        }
    }

    /** The flat view, rebuilt if the region tree changed. */
    public FlatRange[] flatView() {
        FlatRange[] v = view;
        if (v == null) {
            synchronized (this) {
                v = view;
                if (v == null) {
                    v = flatten();
                    view = v;
                }
            }
        }
        return v;
    }

    /** The range that holds {@code addr}, or null for a hole. */
    public FlatRange lookup(long addr) {
        FlatRange[] v = flatView();
        int lo = 0;
        int hi = v.length - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            FlatRange r = v[mid];
            if (Long.compareUnsigned(addr, r.start()) < 0) {
                hi = mid - 1;
            } else if (Long.compareUnsigned(addr, r.end()) >= 0) {
                lo = mid + 1;
            } else {
                return r;
            }
        }
        return null;
    }

    // ---- accesses -------------------------------------------------------------------------

    /** Reads {@code size} (1, 2, 4 or 8) bytes, little-endian. Holes read as all-ones. */
    public long read(long addr, int size) {
        FlatRange r = lookup(addr);
        if (r == null || Long.compareUnsigned(addr + size - 1, r.end() - 1) > 0) {
            return r == null && size == 1 ? readHole(addr, size) : readSplit(addr, size);
        }
        long off = addr - r.start() + r.regionOffset();
        if (r.region() instanceof RamRegion ram) {
            MemorySegment s = ram.segment();
            return switch (size) {
                case 1 -> s.get(ValueLayout.JAVA_BYTE, off) & 0xffL;
                case 2 -> s.get(LE16, off) & 0xffffL;
                case 4 -> s.get(LE32, off) & 0xffffffffL;
                default -> s.get(LE64, off);
            };
        }
        return ((IoRegion) r.region()).ops().read(off, size) & mask(size);
    }

    /** Writes {@code size} (1, 2, 4 or 8) bytes, little-endian. ROM and holes ignore writes. */
    public void write(long addr, int size, long value) {
        FlatRange r = lookup(addr);
        if (r == null || Long.compareUnsigned(addr + size - 1, r.end() - 1) > 0) {
            if (r == null && size == 1) {
                unassigned.access(addr, size, true, value);
            } else {
                writeSplit(addr, size, value);
            }
            return;
        }
        long off = addr - r.start() + r.regionOffset();
        if (r.region() instanceof RamRegion ram) {
            if (ram.readOnly()) {
                return;
            }
            MemorySegment s = ram.segment();
            switch (size) {
                case 1 -> s.set(ValueLayout.JAVA_BYTE, off, (byte) value);
                case 2 -> s.set(LE16, off, (short) value);
                case 4 -> s.set(LE32, off, (int) value);
                default -> s.set(LE64, off, value);
            }
            LongConsumer obs = ramWriteObserver;
            if (obs != null) {
                obs.accept(addr);
                if (((addr ^ (addr + size - 1)) & ~0xfffL) != 0) {
                    obs.accept(addr + size - 1);
                }
            }
            return;
        }
        ((IoRegion) r.region()).ops().write(off, size, value & mask(size));
    }

    private long readHole(long addr, int size) {
        unassigned.access(addr, size, false, 0);
        return mask(size);
    }

    private long readSplit(long addr, int size) {
        long v = 0;
        for (int i = 0; i < size; i++) {
            long a = addr + i;
            long b = lookup(a) == null ? readHole(a, 1) : read(a, 1);
            v |= b << (8 * i);
        }
        return v;
    }

    private void writeSplit(long addr, int size, long value) {
        for (int i = 0; i < size; i++) {
            write(addr + i, 1, value >>> (8 * i));
        }
    }

    private static long mask(int size) {
        return size == 8 ? -1L : (1L << (8 * size)) - 1;
    }

    public int read8(long addr) {
        return (int) read(addr, 1);
    }

    public int read16(long addr) {
        return (int) read(addr, 2);
    }

    public int read32(long addr) {
        return (int) read(addr, 4);
    }

    public long read64(long addr) {
        return read(addr, 8);
    }

    public void write8(long addr, int v) {
        write(addr, 1, v);
    }

    public void write16(long addr, int v) {
        write(addr, 2, v);
    }

    public void write32(long addr, int v) {
        write(addr, 4, v & 0xffffffffL);
    }

    public void write64(long addr, long v) {
        write(addr, 8, v);
    }

    /** Copies guest memory into {@code dst}; what loaders and DMA engines use. */
    public void readBytes(long addr, byte[] dst, int off, int len) {
        for (int i = 0; i < len; ) {
            FlatRange r = lookup(addr + i);
            if (r != null && r.region() instanceof RamRegion ram) {
                long roff = addr + i - r.start() + r.regionOffset();
                int n = (int) Math.min(len - i, r.end() - (addr + i));
                MemorySegment.copy(ram.segment(), ValueLayout.JAVA_BYTE, roff, dst, off + i, n);
                i += n;
            } else {
                dst[off + i] = (byte) read(addr + i, 1);
                i++;
            }
        }
    }

    /**
     * Copies {@code src} into guest memory. With {@code intoRom} set, read-only regions are
     * written as well (firmware loaders fill ROM this way).
     */
    public void writeBytes(long addr, byte[] src, int off, int len, boolean intoRom) {
        for (int i = 0; i < len; ) {
            FlatRange r = lookup(addr + i);
            if (r != null && r.region() instanceof RamRegion ram && (intoRom || !ram.readOnly())) {
                long roff = addr + i - r.start() + r.regionOffset();
                int n = (int) Math.min(len - i, r.end() - (addr + i));
                MemorySegment.copy(src, off + i, ram.segment(), ValueLayout.JAVA_BYTE, roff, n);
                LongConsumer obs = ramWriteObserver;
                if (obs != null) {
                    for (long p = (addr + i) & ~0xfffL; p < addr + i + n; p += 4096) {
                        obs.accept(p);
                    }
                }
                i += n;
            } else {
                write(addr + i, 1, src[off + i]);
                i++;
            }
        }
    }

    public void writeBytes(long addr, byte[] src) {
        writeBytes(addr, src, 0, src.length, false);
    }

    // ---- flattening -----------------------------------------------------------------------

    private FlatRange[] flatten() {
        List<FlatRange> out = new ArrayList<>();
        paint(out, root, 0, 0, root.size());
        out.sort(Comparator.comparingLong(FlatRange::start));
        return out.toArray(FlatRange[]::new);
    }

    /**
     * Paints {@code region}, placed at guest address {@code base}, clipped to [clipStart, clipEnd),
     * over what is already in {@code out}.
     */
    private static void paint(List<FlatRange> out, MemoryRegion region, long base, long clipStart, long clipEnd) {
        long start = Math.max(base, clipStart);
        long end = Math.min(base + region.size(), clipEnd);
        if (start >= end) {
            return;
        }
        switch (region) {
            case RamRegion r -> overlay(out, new FlatRange(start, end, r, start - base));
            case IoRegion r -> overlay(out, new FlatRange(start, end, r, start - base));
            case AliasRegion a -> paint(out, a.target(), base - a.targetOffset(), start, end);
            case ContainerRegion c -> {
                // A container hides what lies beneath it only where its children map something.
                List<ContainerRegion.Child> kids = new ArrayList<>(c.children());
                kids.sort(Comparator.comparingInt(ContainerRegion.Child::priority)
                        .thenComparingInt(ContainerRegion.Child::order));
                for (ContainerRegion.Child k : kids) {
                    paint(out, k.region(), base + k.offset(), start, end);
                }
            }
        }
    }

    /** Puts {@code top} over the ranges in {@code out}, cutting away what it covers. */
    private static void overlay(List<FlatRange> out, FlatRange top) {
        List<FlatRange> next = new ArrayList<>(out.size() + 2);
        for (FlatRange r : out) {
            if (r.end() <= top.start() || r.start() >= top.end()) {
                next.add(r);
                continue;
            }
            if (r.start() < top.start()) {
                next.add(new FlatRange(r.start(), top.start(), r.region(), r.regionOffset()));
            }
            if (r.end() > top.end()) {
                next.add(new FlatRange(top.end(), r.end(), r.region(), r.regionOffset() + (top.end() - r.start())));
            }
        }
        next.add(top);
        out.clear();
        out.addAll(next);
    }
}
