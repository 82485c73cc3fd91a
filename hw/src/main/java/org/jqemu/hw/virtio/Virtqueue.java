package org.jqemu.hw.virtio;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import org.jqemu.system.memory.AddressSpace;
import org.jqemu.system.memory.FlatRange;
import org.jqemu.system.memory.RamRegion;

/**
 * A split virtqueue (virtio 1.2, 2.7 "Split Virtqueues") living in guest RAM: the descriptor
 * table (2.7.5), the driver's available ring (2.7.6) and the device's used ring (2.7.8).
 *
 * <p>The guest may run on other vCPUs while the device works, so the rings are shared memory:
 * the available index is read before the entries it publishes (acquire fence), used entries are
 * written before the used index (release fence), and the notification decision re-reads the
 * driver's suppression fields only after the used index is visible (full fence; 2.7.7, 2.7.10).
 *
 * <p>Every descriptor is checked before the device sees it: head and next indices inside the
 * table, at most one table's worth of descriptors per chain (a loop runs out of budget), every
 * buffer wholly inside guest RAM (writable buffers not in ROM), indirect tables only when
 * negotiated, well sized and never nested, and no device-readable buffer after a writable one.
 * A violation puts the device into DEVICE_NEEDS_RESET; nothing here throws for guest input.
 */
public final class Virtqueue {
    public static final int DESC_F_NEXT = 1;
    public static final int DESC_F_WRITE = 2;
    public static final int DESC_F_INDIRECT = 4;
    public static final int AVAIL_F_NO_INTERRUPT = 1;
    /** The most descriptors an indirect table may hold (the spec's largest queue size). */
    static final int MAX_INDIRECT = 32768;
    /** Largest total a chain's buffers may add up to in one direction. */
    private static final long MAX_CHAIN_BYTES = 0xffff_ffffL;

    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final VirtioDevice device;
    private final AddressSpace memory;
    private final int index;
    private final int maxSize;
    private final VirtqElement element;

    private int size;
    private boolean ready;
    private long descAddr;
    private long driverAddr;
    private long deviceAddr;

    private MemorySegment descSeg;
    private long descOff;
    private MemorySegment availSeg;
    private long availOff;
    private MemorySegment usedSeg;
    private long usedOff;

    private int lastAvail;
    private int usedIdx;
    private int signalledUsed;
    private boolean signalledValid;

    // Result of map(): where a guest range starts in RAM and how much of it is contiguous.
    private MemorySegment mapSeg;
    private long mapOff;
    private long mapLen;
    private boolean mapReadOnly;

    Virtqueue(VirtioDevice device, int index, int maxSize) {
        if (maxSize < 1 || maxSize > 32768 || Integer.bitCount(maxSize) != 1) {
            throw new IllegalArgumentException("queue size " + maxSize);
        }
        this.device = device;
        this.memory = device.machine().memory();
        this.index = index;
        this.maxSize = maxSize;
        this.element = new VirtqElement(memory);
        reset();
    }

    public int index() {
        return index;
    }

    public int maxSize() {
        return maxSize;
    }

    public int size() {
        return size;
    }

    public boolean ready() {
        return ready;
    }

    public long descAddr() {
        return descAddr;
    }

    public long driverAddr() {
        return driverAddr;
    }

    public long deviceAddr() {
        return deviceAddr;
    }

    void reset() {
        size = maxSize;
        ready = false;
        descAddr = driverAddr = deviceAddr = 0;
        descSeg = availSeg = usedSeg = null;
        lastAvail = usedIdx = signalledUsed = 0;
        signalledValid = false;
    }

    // ---- set-up by the transport (4.1.4.3, 4.2.3.2) ---------------------------------------------

    /** The driver chose a queue size; must be a power of two no larger than the maximum (2.7). */
    public void setSize(int n) {
        if (ready) {
            device.needsReset("queue %d: size changed while enabled", index);
            return;
        }
        if (n < 1 || n > maxSize || Integer.bitCount(n) != 1) {
            device.needsReset("queue %d: size %d is not a power of two up to %d", index, n, maxSize);
            return;
        }
        size = n;
    }

    public void setDescAddr(long a) {
        if (!ready) {
            descAddr = a;
        }
    }

    public void setDriverAddr(long a) {
        if (!ready) {
            driverAddr = a;
        }
    }

    public void setDeviceAddr(long a) {
        if (!ready) {
            deviceAddr = a;
        }
    }

    /**
     * The driver enabled the queue: the three areas must lie in RAM, suitably aligned (2.7
     * table "Virtqueue Part Alignment"). On failure the device needs reset and the queue stays off.
     */
    public void enable() {
        if (ready) {
            return;
        }
        long availBytes = 6 + 2L * size;
        long usedBytes = 6 + 8L * size;
        if ((descAddr & 15) != 0 || (driverAddr & 1) != 0 || (deviceAddr & 3) != 0) {
            device.needsReset("queue %d: misaligned rings desc 0x%x avail 0x%x used 0x%x", index,
                    descAddr, driverAddr, deviceAddr);
            return;
        }
        if (!mapWhole(descAddr, 16L * size, false)) {
            device.needsReset("queue %d: descriptor table 0x%x is not in RAM", index, descAddr);
            return;
        }
        descSeg = mapSeg;
        descOff = mapOff;
        if (!mapWhole(driverAddr, availBytes, false)) {
            device.needsReset("queue %d: available ring 0x%x is not in RAM", index, driverAddr);
            return;
        }
        availSeg = mapSeg;
        availOff = mapOff;
        if (!mapWhole(deviceAddr, usedBytes, true)) {
            device.needsReset("queue %d: used ring 0x%x is not in writable RAM", index, deviceAddr);
            return;
        }
        usedSeg = mapSeg;
        usedOff = mapOff;
        lastAvail = usedIdx = signalledUsed = 0;
        signalledValid = false;
        ready = true;
    }

    /** The driver turned the queue off (virtio-mmio QueueReady = 0): it stops; its set-up stays. */
    public void disable() {
        ready = false;
        descSeg = availSeg = usedSeg = null;
    }

    // ---- driver → device ---------------------------------------------------------------------

    private boolean eventIdx() {
        return device.negotiated(VirtioDevice.F_RING_EVENT_IDX);
    }

    private int availIdx() {
        int v = availSeg.get(U16, availOff + 2) & 0xffff;
        VarHandle.acquireFence(); // ring entries are read only after the index that covers them
        return v;
    }

    /** True when the driver has made chains available that the device has not taken yet. */
    public boolean hasWork() {
        return ready && device.live() && availIdx() != lastAvail;
    }

    /**
     * Takes the next available chain, checked and mapped, or returns null when the ring is empty
     * or broken. The returned element is reused by the next pop.
     */
    public VirtqElement pop() {
        if (!ready || !device.live()) {
            return null;
        }
        int avail = availIdx();
        if (avail == lastAvail) {
            if (eventIdx()) {
                // Ask for a kick at the next entry, then look again: it may have come meanwhile.
                usedSeg.set(U16, usedOff + 4 + 8L * size, (short) lastAvail);
                VarHandle.fullFence();
                avail = availIdx();
            }
            if (avail == lastAvail) {
                return null;
            }
        }
        int pending = (avail - lastAvail) & 0xffff;
        if (pending > size) {
            device.needsReset("queue %d: available index %d is %d entries ahead of %d (queue size %d)",
                    index, avail, pending, lastAvail, size);
            return null;
        }
        int head = availSeg.get(U16, availOff + 4 + 2L * (lastAvail & (size - 1))) & 0xffff;
        lastAvail = (lastAvail + 1) & 0xffff;
        if (eventIdx()) {
            usedSeg.set(U16, usedOff + 4 + 8L * size, (short) lastAvail);
        }
        return walk(head) ? element : null;
    }

    private boolean walk(int head) {
        VirtqElement e = element;
        e.clear(head);
        if (head >= size) {
            return malformed("head index %d outside the queue of %d", head, size);
        }
        MemorySegment table = descSeg;
        long tableOff = descOff;
        int tableCount = size;
        int budget = size;
        boolean inIndirect = false;
        int i = head;
        while (true) {
            if (budget-- == 0) {
                return malformed("chain from head %d has more descriptors than its table (a loop?)", head);
            }
            long d = tableOff + 16L * i;
            long addr = table.get(U64, d);
            long len = table.get(U32, d + 8) & 0xffffffffL;
            int flags = table.get(U16, d + 12) & 0xffff;
            int next = table.get(U16, d + 14) & 0xffff;
            if ((flags & DESC_F_INDIRECT) != 0) {
                if (inIndirect) {
                    return malformed("indirect descriptor inside an indirect table (head %d)", head);
                }
                if (!device.negotiated(VirtioDevice.F_RING_INDIRECT_DESC)) {
                    return malformed("indirect descriptor without VIRTIO_F_RING_INDIRECT_DESC (head %d)", head);
                }
                if ((flags & DESC_F_NEXT) != 0) {
                    return malformed("indirect descriptor with NEXT set (head %d)", head);
                }
                if (len == 0 || (len & 15) != 0 || len / 16 > MAX_INDIRECT) {
                    return malformed("indirect table length %d (head %d)", len, head);
                }
                if ((addr & 15) != 0 || !mapWhole(addr, len, false)) {
                    return malformed("indirect table at 0x%x+%d is not in RAM (head %d)", addr, len, head);
                }
                table = mapSeg;
                tableOff = mapOff;
                tableCount = (int) (len / 16);
                budget = tableCount;
                inIndirect = true;
                i = 0;
                continue;
            }
            boolean writable = (flags & DESC_F_WRITE) != 0;
            if (!writable && e.inCount > 0) {
                return malformed("device-readable descriptor after a writable one (head %d)", head);
            }
            if ((writable ? e.inBytes : e.outBytes) + len > MAX_CHAIN_BYTES) {
                return malformed("chain from head %d is longer than 4 GiB", head);
            }
            if (!addBuffer(writable, addr, len)) {
                return malformed("buffer 0x%x+%d (head %d) is not in %sRAM", addr, len, head, writable ? "writable " : "");
            }
            if ((flags & DESC_F_NEXT) == 0) {
                return true;
            }
            if (next >= tableCount) {
                return malformed("next index %d outside a table of %d (head %d)", next, tableCount, head);
            }
            i = next;
        }
    }

    private boolean addBuffer(boolean writable, long addr, long len) {
        if (len == 0) {
            return true;
        }
        if (Long.compareUnsigned(addr + len, addr) < 0) {
            return false;
        }
        while (len > 0) {
            if (!map(addr, len) || (writable && mapReadOnly)) {
                return false;
            }
            int n = (int) Math.min(mapLen, 1L << 30);
            element.add(writable, addr, mapSeg, mapOff, n);
            addr += n;
            len -= n;
        }
        return true;
    }

    private boolean malformed(String format, Object... args) {
        device.needsReset("queue " + index + ": " + format, args);
        return false;
    }

    // ---- device → driver ---------------------------------------------------------------------

    /**
     * Returns a chain to the driver with {@code written} bytes filled in (2.7.8). The driver sees
     * it after {@link #flush}.
     */
    public void push(VirtqElement e, int written) {
        if (!ready) {
            return;
        }
        long at = usedOff + 4 + 8L * (usedIdx & (size - 1));
        usedSeg.set(U32, at, e.head);
        usedSeg.set(U32, at + 4, written);
        usedIdx = (usedIdx + 1) & 0xffff;
    }

    /**
     * Publishes the used index and notifies the driver unless it suppressed that: through
     * used_event with VIRTIO_F_EVENT_IDX (2.7.10), else through the NO_INTERRUPT flag (2.7.7).
     */
    public void flush() {
        if (!ready) {
            return;
        }
        VarHandle.releaseFence(); // entries before the index that publishes them
        usedSeg.set(U16, usedOff + 2, (short) usedIdx);
        VarHandle.fullFence(); // the index must be visible before we read the driver's wishes
        if (usedIdx == signalledUsed && signalledValid) {
            return;
        }
        boolean notify;
        if (eventIdx()) {
            int usedEvent = availSeg.get(U16, availOff + 4 + 2L * size) & 0xffff;
            int old = signalledUsed;
            notify = !signalledValid || needEvent(usedEvent, usedIdx, old);
        } else {
            notify = (availSeg.get(U16, availOff) & AVAIL_F_NO_INTERRUPT) == 0;
        }
        signalledUsed = usedIdx;
        signalledValid = true;
        if (notify && device.transport() != null) {
            device.transport().notifyUsedBuffer(this);
        }
    }

    /** 2.7.10: notify when the index moved past {@code event} since {@code old}. */
    static boolean needEvent(int event, int now, int old) {
        return ((now - event - 1) & 0xffff) < ((now - old) & 0xffff);
    }

    // ---- guest RAM -----------------------------------------------------------------------------

    /** Finds the RAM under {@code addr}; sets mapSeg/mapOff and how much of {@code len} is contiguous there. */
    private boolean map(long addr, long len) {
        FlatRange r = memory.lookup(addr);
        if (r == null || !(r.region() instanceof RamRegion ram)) {
            return false;
        }
        mapSeg = ram.segment();
        mapOff = addr - r.start() + r.regionOffset();
        mapLen = Math.min(len, r.end() - addr);
        mapReadOnly = ram.readOnly();
        return true;
    }

    /** Like {@link #map} but the whole range must be one contiguous piece of RAM. */
    private boolean mapWhole(long addr, long len, boolean writable) {
        if (Long.compareUnsigned(addr + len, addr) < 0) {
            return false;
        }
        if (!map(addr, len) || (writable && mapReadOnly)) {
            return false;
        }
        if (mapLen == len) {
            return true;
        }
        // Adjacent flat ranges of the same region (split by an overlay elsewhere) still count.
        MemorySegment s = mapSeg;
        long o = mapOff;
        long a = addr + mapLen;
        long left = len - mapLen;
        while (left > 0) {
            if (!map(a, left) || mapSeg != s || mapOff != o + (a - addr) || (writable && mapReadOnly)) {
                return false;
            }
            a += mapLen;
            left -= mapLen;
        }
        mapSeg = s;
        mapOff = o;
        mapLen = len;
        return true;
    }
}
