package org.jqemu.hw.virtio;

import org.jqemu.system.device.Device;
import org.jqemu.system.irq.IrqLine;
import org.jqemu.system.memory.IoRegion;
import org.jqemu.system.memory.MemoryOps;

/**
 * The virtio-mmio transport, version 2 (virtio 1.2, 4.2 "Virtio Over MMIO"): a 0x200-byte
 * register window — identification, feature words, queue set-up through QueueSel, notify,
 * interrupt status/acknowledge, device status, then the device configuration at 0x100 — and one
 * level-triggered interrupt line. Boards without PCI (the ARM virt board's slots) map these.
 */
public final class VirtioMmio implements Device, VirtioTransport {
    public static final int SIZE = 0x200;
    public static final int MAGIC = 0x74726976; // "virt"
    public static final int VENDOR = 0x554d4551; // "QEMU", as QEMU reports

    // Register offsets (4.2.2 "MMIO Device Register Layout").
    public static final int MAGIC_VALUE = 0x000;
    public static final int VERSION = 0x004;
    public static final int DEVICE_ID = 0x008;
    public static final int VENDOR_ID = 0x00c;
    public static final int DEVICE_FEATURES = 0x010;
    public static final int DEVICE_FEATURES_SEL = 0x014;
    public static final int DRIVER_FEATURES = 0x020;
    public static final int DRIVER_FEATURES_SEL = 0x024;
    public static final int QUEUE_SEL = 0x030;
    public static final int QUEUE_NUM_MAX = 0x034;
    public static final int QUEUE_NUM = 0x038;
    public static final int QUEUE_READY = 0x044;
    public static final int QUEUE_NOTIFY = 0x050;
    public static final int INTERRUPT_STATUS = 0x060;
    public static final int INTERRUPT_ACK = 0x064;
    public static final int STATUS = 0x070;
    public static final int QUEUE_DESC_LOW = 0x080;
    public static final int QUEUE_DESC_HIGH = 0x084;
    public static final int QUEUE_DRIVER_LOW = 0x090;
    public static final int QUEUE_DRIVER_HIGH = 0x094;
    public static final int QUEUE_DEVICE_LOW = 0x0a0;
    public static final int QUEUE_DEVICE_HIGH = 0x0a4;
    public static final int SHM_SEL = 0x0ac;
    public static final int SHM_LEN_LOW = 0x0b0;
    public static final int SHM_LEN_HIGH = 0x0b4;
    public static final int SHM_BASE_LOW = 0x0b8;
    public static final int SHM_BASE_HIGH = 0x0bc;
    public static final int CONFIG_GENERATION = 0x0fc;
    public static final int CONFIG = 0x100;

    public static final int INT_USED_BUFFER = 1;
    public static final int INT_CONFIG = 2;

    private final VirtioDevice device;
    private final IrqLine irq;
    private final IoRegion region;
    private int deviceFeaturesSel;
    private int driverFeaturesSel;
    private int queueSel;
    private int interruptStatus;

    public VirtioMmio(VirtioDevice device, IrqLine irq) {
        this.device = device;
        this.irq = irq;
        this.region = new IoRegion("virtio-mmio " + device.id(), SIZE, new Registers());
        device.attach(this);
    }

    @Override
    public String id() {
        return device.id();
    }

    public VirtioDevice device() {
        return device;
    }

    /** The register window, for the board to map at its base address. */
    public IoRegion region() {
        return region;
    }

    public int interruptStatus() {
        return interruptStatus;
    }

    @Override
    public void reset() {
        device.reset();
        resetTransport();
    }

    private void resetTransport() {
        deviceFeaturesSel = driverFeaturesSel = queueSel = 0;
        interruptStatus = 0;
        irq.lower();
    }

    @Override
    public void notifyUsedBuffer(Virtqueue queue) {
        raise(INT_USED_BUFFER);
    }

    @Override
    public void notifyConfigChange() {
        raise(INT_CONFIG);
    }

    private void raise(int bits) {
        interruptStatus |= bits;
        irq.set(true);
    }

    private Virtqueue selected() {
        return queueSel < device.queueCount() ? device.queue(queueSel) : null;
    }

    private void guestError(String format, Object... args) {
        if (device.machine().log().guestErrors) {
            device.machine().log().guestError("virtio-mmio %s: %s", device.id(), String.format(format, args));
        }
    }

    private final class Registers implements MemoryOps {
        @Override
        public long read(long offset, int size) {
            if (offset >= CONFIG) {
                int o = (int) offset - CONFIG;
                if (o + size > device.configSize()) {
                    guestError("config read at 0x%x+%d beyond %d bytes", o, size, device.configSize());
                    return 0;
                }
                return device.readConfig(o, size);
            }
            if (size != 4 || (offset & 3) != 0) {
                guestError("register read of %d bytes at 0x%x", size, offset);
                return 0;
            }
            Virtqueue q = selected();
            return switch ((int) offset) {
                case MAGIC_VALUE -> MAGIC;
                case VERSION -> 2;
                case DEVICE_ID -> device.deviceId();
                case VENDOR_ID -> VENDOR;
                case DEVICE_FEATURES -> device.hostFeaturesWord(deviceFeaturesSel) & 0xffffffffL;
                case QUEUE_NUM_MAX -> q == null ? 0 : q.maxSize();
                case QUEUE_READY -> q != null && q.ready() ? 1 : 0;
                case INTERRUPT_STATUS -> interruptStatus;
                case STATUS -> device.status();
                case CONFIG_GENERATION -> device.configGeneration() & 0xffffffffL;
                // No shared memory regions: a length of all-ones says "no such region" (4.2.2).
                case SHM_LEN_LOW, SHM_LEN_HIGH, SHM_BASE_LOW, SHM_BASE_HIGH -> 0xffffffffL;
                default -> {
                    guestError("read of write-only or reserved register 0x%x", offset);
                    yield 0;
                }
            };
        }

        @Override
        public void write(long offset, int size, long value) {
            if (offset >= CONFIG) {
                int o = (int) offset - CONFIG;
                if (o + size > device.configSize()) {
                    guestError("config write at 0x%x+%d beyond %d bytes", o, size, device.configSize());
                    return;
                }
                device.writeConfig(o, size, value);
                return;
            }
            if (size != 4 || (offset & 3) != 0) {
                guestError("register write of %d bytes at 0x%x", size, offset);
                return;
            }
            int v = (int) value;
            Virtqueue q = selected();
            switch ((int) offset) {
                case DEVICE_FEATURES_SEL -> deviceFeaturesSel = v;
                case DRIVER_FEATURES -> device.writeDriverFeatures(driverFeaturesSel, v);
                case DRIVER_FEATURES_SEL -> driverFeaturesSel = v;
                case QUEUE_SEL -> queueSel = v;
                case SHM_SEL -> {
                    // no shared memory regions to select
                }
                case QUEUE_NUM -> {
                    if (q != null) {
                        q.setSize(v);
                    }
                }
                case QUEUE_READY -> {
                    if (q == null) {
                        guestError("QueueReady for queue %d, which does not exist", queueSel);
                    } else if (v == 1) {
                        q.enable();
                    } else if (v == 0) {
                        q.disable(); // Linux does this when it tears a queue down, and reads back 0
                    }
                }
                case QUEUE_NOTIFY -> device.notifyQueue(v & 0xffff);
                case INTERRUPT_ACK -> {
                    interruptStatus &= ~v;
                    irq.set(interruptStatus != 0);
                }
                case STATUS -> {
                    device.writeStatus(v);
                    if ((v & 0xff) == 0) {
                        resetTransport();
                    }
                }
                case QUEUE_DESC_LOW -> setAddr(q, 0, v, false);
                case QUEUE_DESC_HIGH -> setAddr(q, 0, v, true);
                case QUEUE_DRIVER_LOW -> setAddr(q, 1, v, false);
                case QUEUE_DRIVER_HIGH -> setAddr(q, 1, v, true);
                case QUEUE_DEVICE_LOW -> setAddr(q, 2, v, false);
                case QUEUE_DEVICE_HIGH -> setAddr(q, 2, v, true);
                default -> guestError("write of read-only or reserved register 0x%x", offset);
            }
        }

        private void setAddr(Virtqueue q, int which, int v, boolean high) {
            if (q == null) {
                guestError("address write for queue %d, which does not exist", queueSel);
                return;
            }
            long old = switch (which) {
                case 0 -> q.descAddr();
                case 1 -> q.driverAddr();
                default -> q.deviceAddr();
            };
            long a = high ? (old & 0xffffffffL) | ((long) v << 32) : (old & ~0xffffffffL) | (v & 0xffffffffL);
            switch (which) {
                case 0 -> q.setDescAddr(a);
                case 1 -> q.setDriverAddr(a);
                default -> q.setDeviceAddr(a);
            }
        }
    }
}
