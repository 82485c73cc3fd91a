package org.jqemu.hw.virtio;

import static org.jqemu.hw.virtio.VirtioMmio.*;
import static org.jqemu.hw.virtio.Virtqueue.*;

import java.util.ArrayList;
import java.util.List;
import org.jqemu.system.memory.AddressSpace;

/**
 * One virtqueue of a virtio-mmio device as a test driver sees it: 8 entries with rings at
 * {@code at} and single-descriptor buffers from {@code at + 0x1000}, 0x100 bytes apart.
 */
final class MmioQueue {
    final AddressSpace mem;
    final long base;
    final int index;
    final long desc;
    final long avail;
    final long used;
    final int size = 8;
    int availIdx;
    int lastUsed;
    int nextDesc;
    long nextBuf;

    MmioQueue(AddressSpace mem, long base, int index, long at) {
        this.mem = mem;
        this.base = base;
        this.index = index;
        this.desc = at;
        this.avail = at + 0x200;
        this.used = at + 0x400;
        this.nextBuf = at + 0x1000;
        mem.write32(base + QUEUE_SEL, index);
        mem.write32(base + QUEUE_NUM, size);
        mem.write32(base + QUEUE_DESC_LOW, (int) desc);
        mem.write32(base + QUEUE_DRIVER_LOW, (int) avail);
        mem.write32(base + QUEUE_DEVICE_LOW, (int) used);
        mem.write32(base + QUEUE_READY, 1);
    }

    /** Adds one buffer (data for the device, or {@code len} writable bytes) and notifies. */
    long add(byte[] data, int len, boolean writable) {
        long buf = nextBuf;
        nextBuf += 0x100 * ((len + 0xff) / 0x100);
        if (data != null) {
            mem.writeBytes(buf, data);
        }
        int d = nextDesc++ % size;
        MmioDriver.writeDesc(mem, desc, d, buf, len, writable ? DESC_F_WRITE : 0, 0);
        mem.write16(avail + 4 + 2L * (availIdx % size), d);
        availIdx++;
        mem.write16(avail + 2, availIdx);
        mem.write32(base + QUEUE_NOTIFY, index);
        return buf;
    }

    /** The buffers the device returned since last time, each cut to the length it reported. */
    List<byte[]> used() {
        List<byte[]> out = new ArrayList<>();
        while (mem.read16(used + 2) != lastUsed) {
            long e = used + 4 + 8L * (lastUsed % size);
            int d = mem.read32(e);
            int len = mem.read32(e + 4);
            byte[] b = new byte[len];
            mem.readBytes(mem.read64(desc + 16L * d), b, 0, len);
            out.add(b);
            lastUsed++;
        }
        return out;
    }
}
