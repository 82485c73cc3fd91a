package org.jqemu.hw.virtio;

import org.jqemu.hw.pci.MsiX;
import org.jqemu.hw.pci.PciBar;
import org.jqemu.hw.pci.PciBus;
import org.jqemu.hw.pci.PciDevice;
import org.jqemu.system.memory.IoRegion;
import org.jqemu.system.memory.MemoryOps;
import org.jqemu.system.options.ConfigException;

/**
 * The modern virtio-pci transport (virtio 1.2, 4.1 "Virtio Over PCI Bus"): PCI vendor 0x1AF4,
 * device 0x1040 + virtio ID, revision 1, and four vendor-specific capabilities (4.1.4) that point
 * into one 16 KiB memory BAR: common configuration at 0x0000 (4.1.4.3), ISR status at 0x1000
 * (4.1.4.5), device configuration at 0x2000 (4.1.4.6) and notifications at 0x3000, one 4-byte
 * slot per queue (4.1.4.4). The BAR is BAR 4, where QEMU puts it.
 *
 * <p>Interrupts: MSI-X (4.1.5.1.2) with one vector per queue plus one for configuration changes,
 * its table and PBA in BAR 1 as QEMU places them; while MSI-X is off, INTA# and the ISR
 * (4.1.5.3). No legacy (transitional) interface.
 */
public final class VirtioPci extends PciDevice implements VirtioTransport {
    public static final int VENDOR = 0x1af4;
    public static final int DEVICE_BASE = 0x1040;
    public static final int SUBSYSTEM_ID = 0x1100;
    public static final int BAR = 4;
    public static final int BAR_SIZE = 0x4000;
    public static final int COMMON = 0x0000;
    public static final int ISR = 0x1000;
    public static final int DEVICE = 0x2000;
    public static final int NOTIFY = 0x3000;
    public static final int NOTIFY_MULTIPLIER = 4;
    public static final int NO_VECTOR = 0xffff;
    public static final int MSIX_BAR = 1;
    public static final int MSIX_BAR_SIZE = 0x1000;
    public static final int MSIX_PBA = 0x800;

    // Capability cfg_type values (4.1.4).
    public static final int CAP_COMMON = 1;
    public static final int CAP_NOTIFY = 2;
    public static final int CAP_ISR = 3;
    public static final int CAP_DEVICE = 4;
    static final int CAP_ID_VENDOR = 0x09;

    // Common configuration layout (4.1.4.3).
    public static final int DEVICE_FEATURE_SELECT = 0x00;
    public static final int DEVICE_FEATURE = 0x04;
    public static final int DRIVER_FEATURE_SELECT = 0x08;
    public static final int DRIVER_FEATURE = 0x0c;
    public static final int CONFIG_MSIX_VECTOR = 0x10;
    public static final int NUM_QUEUES = 0x12;
    public static final int DEVICE_STATUS = 0x14;
    public static final int CONFIG_GENERATION = 0x15;
    public static final int QUEUE_SELECT = 0x16;
    public static final int QUEUE_SIZE = 0x18;
    public static final int QUEUE_MSIX_VECTOR = 0x1a;
    public static final int QUEUE_ENABLE = 0x1c;
    public static final int QUEUE_NOTIFY_OFF = 0x1e;
    public static final int QUEUE_DESC = 0x20;
    public static final int QUEUE_DRIVER = 0x28;
    public static final int QUEUE_DEVICE = 0x30;
    /** queue_notify_data and queue_reset (virtio 1.2) end the structure; both read 0 here. */
    public static final int QUEUE_NOTIFY_DATA = 0x38;
    public static final int QUEUE_RESET = 0x3a;
    static final int COMMON_SIZE = 0x3c;

    private final VirtioDevice device;
    private int deviceFeatureSelect;
    private int driverFeatureSelect;
    private int queueSelect;
    private int isr;
    private final MsiX msix;
    private int configVector = NO_VECTOR;
    private final int[] queueVectors;

    /**
     * @param classCode the PCI class for this kind of device (storage, network, communication)
     * @param devfn slot and function, or -1 for the first free slot
     */
    public VirtioPci(VirtioDevice device, PciBus bus, int devfn, int classCode) throws ConfigException {
        super(device.machine(), device.id());
        this.device = device;
        setIds(VENDOR, DEVICE_BASE + device.deviceId(), 1, classCode);
        setSubsystem(VENDOR, SUBSYSTEM_ID);
        setInterruptPin(1);
        addBar(BAR, PciBar.Space.MEMORY32, BAR_SIZE, false, new IoRegion("virtio-pci " + device.id(), BAR_SIZE, new Window()));
        addVirtioCap(CAP_COMMON, COMMON, COMMON_SIZE, 16);
        addVirtioCap(CAP_ISR, ISR, 1, 16);
        addVirtioCap(CAP_DEVICE, DEVICE, Math.max(device.configSize(), 1), 16);
        int notify = addVirtioCap(CAP_NOTIFY, NOTIFY, NOTIFY_MULTIPLIER * Math.max(device.queueCount(), 1), 20);
        setRaw(notify + 16, 4, NOTIFY_MULTIPLIER);
        msix = new MsiX(this, Math.min(device.queueCount() + 1, 2048), MSIX_BAR, 0, MSIX_BAR, MSIX_PBA);
        queueVectors = new int[device.queueCount()];
        java.util.Arrays.fill(queueVectors, NO_VECTOR);
        addBar(MSIX_BAR, PciBar.Space.MEMORY32, MSIX_BAR_SIZE, false,
                new IoRegion("virtio-pci msix " + device.id(), MSIX_BAR_SIZE, msixWindow()));
        addConfigListener((offset, size) -> {
            if (msix.enabled()) {
                setIntx(false); // MSI-X on: INTx is not used (4.1.5.3)
            }
        });
        device.attach(this);
        bus.plug(this, devfn);
    }

    /** struct virtio_pci_cap: cfg_type, bar, offset and length of one structure in the BAR. */
    private int addVirtioCap(int type, int offset, int length, int capLen) {
        int at = addCapability(CAP_ID_VENDOR, capLen);
        setRaw(at + 2, 1, capLen);
        setRaw(at + 3, 1, type);
        setRaw(at + 4, 1, BAR);
        setRaw(at + 8, 4, offset);
        setRaw(at + 12, 4, length);
        return at;
    }

    public VirtioDevice device() {
        return device;
    }

    public int isr() {
        return isr;
    }

    @Override
    public void reset() {
        super.reset();
        device.reset();
        resetTransport();
        msix.reset();
    }

    /** What a device reset (status 0) clears on the transport side (4.1.4.3.1). */
    private void resetTransport() {
        deviceFeatureSelect = driverFeatureSelect = queueSelect = 0;
        isr = 0;
        configVector = NO_VECTOR;
        java.util.Arrays.fill(queueVectors, NO_VECTOR);
        setIntx(false);
    }

    /** BAR 1: the MSI-X table from offset 0, the pending bit array from {@link #MSIX_PBA}. */
    private MemoryOps msixWindow() {
        MemoryOps table = msix.tableOps();
        MemoryOps pba = msix.pbaOps();
        return new MemoryOps() {
            @Override
            public long read(long offset, int size) {
                if (offset >= MSIX_PBA) {
                    return offset - MSIX_PBA < msix.pbaSize() ? pba.read(offset - MSIX_PBA, size) : 0;
                }
                return offset < msix.tableSize() ? table.read(offset, size) : 0;
            }

            @Override
            public void write(long offset, int size, long value) {
                if (offset < msix.tableSize()) {
                    table.write(offset, size, value);
                }
            }
        };
    }

    @Override
    public void notifyUsedBuffer(Virtqueue queue) {
        isr |= 1;
        if (msix.enabled()) {
            msix.notify(queueVectors[queue.index()]);
        } else {
            setIntx(true);
        }
    }

    @Override
    public void notifyConfigChange() {
        isr |= 2;
        if (msix.enabled()) {
            msix.notify(configVector);
        } else {
            setIntx(true);
        }
    }

    public MsiX msix() {
        return msix;
    }

    /** A vector the driver may use, or NO_VECTOR, which tells it the assignment failed. */
    private int checkedVector(int v) {
        return v < msix.vectors() ? v : NO_VECTOR;
    }

    private Virtqueue selected() {
        return queueSelect < device.queueCount() ? device.queue(queueSelect) : null;
    }

    private void guestError(String format, Object... args) {
        if (machine.log().guestErrors) {
            machine.log().guestError("virtio-pci %s: %s", id(), String.format(format, args));
        }
    }

    /** The memory BAR: common config, ISR, device config and notify areas. */
    private final class Window implements MemoryOps {
        @Override
        public long read(long offset, int size) {
            int o = (int) offset;
            if (o < ISR) {
                return o < COMMON_SIZE ? readCommon(o, size) : 0;
            }
            if (o < DEVICE) {
                if (o != ISR) {
                    return 0;
                }
                int v = isr; // reading acknowledges (4.1.4.5)
                isr = 0;
                setIntx(false);
                return v;
            }
            if (o < NOTIFY) {
                int c = o - DEVICE;
                if (c + size > device.configSize()) {
                    guestError("device config read at 0x%x+%d beyond %d bytes", c, size, device.configSize());
                    return 0;
                }
                return device.readConfig(c, size);
            }
            return 0;
        }

        @Override
        public void write(long offset, int size, long value) {
            int o = (int) offset;
            if (o < ISR) {
                if (o < COMMON_SIZE) {
                    writeCommon(o, size, value);
                }
                return;
            }
            if (o < DEVICE) {
                guestError("write to the read-only ISR status");
                return;
            }
            if (o < NOTIFY) {
                int c = o - DEVICE;
                if (c + size > device.configSize()) {
                    guestError("device config write at 0x%x+%d beyond %d bytes", c, size, device.configSize());
                    return;
                }
                device.writeConfig(c, size, value);
                return;
            }
            if ((command() & COMMAND_MASTER) == 0) {
                guestError("queue notify with bus mastering off: no DMA possible, ignored");
                return;
            }
            device.notifyQueue((o - NOTIFY) / NOTIFY_MULTIPLIER);
        }

        private long readCommon(int o, int size) {
            Virtqueue q = selected();
            return switch (o) {
                case DEVICE_FEATURE_SELECT -> deviceFeatureSelect;
                case DEVICE_FEATURE -> device.hostFeaturesWord(deviceFeatureSelect) & 0xffffffffL;
                case DRIVER_FEATURE_SELECT -> driverFeatureSelect;
                case DRIVER_FEATURE -> device.driverFeaturesWord(driverFeatureSelect) & 0xffffffffL;
                case CONFIG_MSIX_VECTOR -> configVector;
                case QUEUE_MSIX_VECTOR -> q == null ? NO_VECTOR : queueVectors[queueSelect];
                case NUM_QUEUES -> device.queueCount();
                case DEVICE_STATUS -> device.status();
                case CONFIG_GENERATION -> device.configGeneration() & 0xff;
                case QUEUE_SELECT -> queueSelect;
                case QUEUE_SIZE -> q == null ? 0 : q.size();
                case QUEUE_ENABLE -> q != null && q.ready() ? 1 : 0;
                case QUEUE_NOTIFY_OFF -> q == null ? 0 : queueSelect;
                case QUEUE_NOTIFY_DATA, QUEUE_RESET -> 0; // their features are not offered
                case QUEUE_DESC, QUEUE_DESC + 4 -> half(q == null ? 0 : q.descAddr(), o - QUEUE_DESC, size);
                case QUEUE_DRIVER, QUEUE_DRIVER + 4 -> half(q == null ? 0 : q.driverAddr(), o - QUEUE_DRIVER, size);
                case QUEUE_DEVICE, QUEUE_DEVICE + 4 -> half(q == null ? 0 : q.deviceAddr(), o - QUEUE_DEVICE, size);
                default -> {
                    guestError("common config read of %d bytes at 0x%x", size, o);
                    yield 0;
                }
            };
        }

        private long half(long v, int at, int size) {
            long s = v >>> (8 * at);
            return size == 8 ? s : s & 0xffffffffL;
        }

        private void writeCommon(int o, int size, long value) {
            Virtqueue q = selected();
            int v = (int) value;
            switch (o) {
                case DEVICE_FEATURE_SELECT -> deviceFeatureSelect = v;
                case DRIVER_FEATURE_SELECT -> driverFeatureSelect = v;
                case DRIVER_FEATURE -> device.writeDriverFeatures(driverFeatureSelect, v);
                case CONFIG_MSIX_VECTOR -> configVector = checkedVector(v & 0xffff);
                case QUEUE_MSIX_VECTOR -> {
                    if (q != null) {
                        queueVectors[queueSelect] = checkedVector(v & 0xffff);
                    }
                }
                case DEVICE_STATUS -> {
                    device.writeStatus(v & 0xff);
                    if ((v & 0xff) == 0) {
                        resetTransport();
                    }
                }
                case QUEUE_SELECT -> queueSelect = v & 0xffff;
                case QUEUE_SIZE -> {
                    if (q != null) {
                        q.setSize(v & 0xffff);
                    }
                }
                case QUEUE_ENABLE -> {
                    if (q == null) {
                        guestError("queue_enable for queue %d, which does not exist", queueSelect);
                    } else if ((v & 0xffff) == 1) {
                        q.enable();
                    } else {
                        guestError("queue_enable = %d: only 1 may be written", v & 0xffff);
                    }
                }
                case QUEUE_DESC, QUEUE_DESC + 4 -> {
                    if (q != null) {
                        q.setDescAddr(merge(q.descAddr(), o - QUEUE_DESC, size, value));
                    }
                }
                case QUEUE_DRIVER, QUEUE_DRIVER + 4 -> {
                    if (q != null) {
                        q.setDriverAddr(merge(q.driverAddr(), o - QUEUE_DRIVER, size, value));
                    }
                }
                case QUEUE_DEVICE, QUEUE_DEVICE + 4 -> {
                    if (q != null) {
                        q.setDeviceAddr(merge(q.deviceAddr(), o - QUEUE_DEVICE, size, value));
                    }
                }
                default -> guestError("common config write of %d bytes at 0x%x", size, o);
            }
        }

        /** A 32- or 64-bit write into one half (or all) of a 64-bit queue address. */
        private long merge(long old, int at, int size, long value) {
            if (size == 8) {
                return value;
            }
            long mask = 0xffffffffL << (8 * at);
            return (old & ~mask) | ((value & 0xffffffffL) << (8 * at));
        }
    }
}
