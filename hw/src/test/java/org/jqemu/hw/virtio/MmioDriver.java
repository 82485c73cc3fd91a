package org.jqemu.hw.virtio;

import static org.jqemu.hw.virtio.VirtioMmio.*;

import org.jqemu.system.machine.Machine;
import org.jqemu.system.memory.AddressSpace;

/**
 * Plays the guest driver of one virtio-mmio device in tests, through the machine's memory as a
 * vCPU would: register accesses under the machine lock, rings and buffers in guest RAM. One
 * queue (queue 0) with its rings at {@code ringBase}: descriptors, then the available ring at
 * +0x1000, the used ring at +0x2000.
 */
final class MmioDriver {
    final Machine m;
    final AddressSpace mem;
    final long base;
    final long desc;
    final long avail;
    final long used;
    /** Waits until the device finished what a notify started (devices may work on their own thread). */
    interface Idle {
        void await() throws InterruptedException;
    }

    Idle idle;
    int size;
    int availIdx;
    int lastUsed;

    MmioDriver(Machine m, long base, long ringBase) {
        this.m = m;
        this.mem = m.memory();
        this.base = base;
        this.desc = ringBase;
        this.avail = ringBase + 0x1000;
        this.used = ringBase + 0x2000;
    }

    int reg(int off) {
        m.lock();
        try {
            return mem.read32(base + off);
        } finally {
            m.unlock();
        }
    }

    void reg(int off, int v) {
        m.lock();
        try {
            mem.write32(base + off, v);
        } finally {
            m.unlock();
        }
        if (off == QUEUE_NOTIFY && idle != null) {
            try {
                idle.await();
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }

    long config(int off, int size) {
        m.lock();
        try {
            return mem.read(base + CONFIG + off, size);
        } finally {
            m.unlock();
        }
    }

    long deviceFeatures() {
        reg(DEVICE_FEATURES_SEL, 0);
        long lo = reg(DEVICE_FEATURES) & 0xffffffffL;
        reg(DEVICE_FEATURES_SEL, 1);
        long hi = reg(DEVICE_FEATURES) & 0xffffffffL;
        return hi << 32 | lo;
    }

    /** 3.1.1 steps 1-6: reset, ACKNOWLEDGE, DRIVER, features, FEATURES_OK; returns the status read back. */
    int negotiate(long features) {
        reg(STATUS, 0);
        reg(STATUS, VirtioDevice.STATUS_ACKNOWLEDGE);
        reg(STATUS, VirtioDevice.STATUS_ACKNOWLEDGE | VirtioDevice.STATUS_DRIVER);
        reg(DRIVER_FEATURES_SEL, 0);
        reg(DRIVER_FEATURES, (int) features);
        reg(DRIVER_FEATURES_SEL, 1);
        reg(DRIVER_FEATURES, (int) (features >>> 32));
        reg(STATUS, VirtioDevice.STATUS_ACKNOWLEDGE | VirtioDevice.STATUS_DRIVER | VirtioDevice.STATUS_FEATURES_OK);
        return reg(STATUS);
    }

    /** Sets queue 0 up with {@code n} entries and clean rings. */
    void setupQueue(int n) {
        size = n;
        availIdx = 0;
        lastUsed = 0;
        for (long a = desc; a < desc + 0x3000; a += 8) {
            mem.write64(a, 0);
        }
        reg(QUEUE_SEL, 0);
        reg(QUEUE_NUM, n);
        reg(QUEUE_DESC_LOW, (int) desc);
        reg(QUEUE_DESC_HIGH, (int) (desc >>> 32));
        reg(QUEUE_DRIVER_LOW, (int) avail);
        reg(QUEUE_DRIVER_HIGH, (int) (avail >>> 32));
        reg(QUEUE_DEVICE_LOW, (int) used);
        reg(QUEUE_DEVICE_HIGH, (int) (used >>> 32));
        reg(QUEUE_READY, 1);
    }

    void driverOk() {
        reg(STATUS, reg(STATUS) | VirtioDevice.STATUS_DRIVER_OK);
    }

    /** Full initialisation with {@code features}, queue 0 of {@code n} entries. */
    void init(long features, int n) {
        int st = negotiate(features);
        if ((st & VirtioDevice.STATUS_FEATURES_OK) == 0) {
            throw new AssertionError("FEATURES_OK refused: status 0x" + Integer.toHexString(st));
        }
        setupQueue(n);
        driverOk();
    }

    static void writeDesc(AddressSpace mem, long table, int i, long addr, int len, int flags, int next) {
        long d = table + 16L * i;
        mem.write64(d, addr);
        mem.write32(d + 8, len);
        mem.write16(d + 12, flags);
        mem.write16(d + 14, next);
    }

    void desc(int i, long addr, int len, int flags, int next) {
        writeDesc(mem, desc, i, addr, len, flags, next);
    }

    /** Makes {@code head} available and notifies queue 0. */
    void submit(int head) {
        mem.write16(avail + 4 + 2L * (availIdx % size), head);
        availIdx = (availIdx + 1) & 0xffff;
        mem.write16(avail + 2, availIdx);
        reg(QUEUE_NOTIFY, 0);
    }

    int usedIdx() {
        return mem.read16(used + 2);
    }

    /** The next used element as {id, len}, or null if the device returned nothing new. */
    int[] nextUsed() {
        if (usedIdx() == lastUsed) {
            return null;
        }
        long e = used + 4 + 8L * (lastUsed % size);
        lastUsed = (lastUsed + 1) & 0xffff;
        return new int[] {mem.read32(e), mem.read32(e + 4)};
    }
}
