package org.jqemu.hw.virtio;

import org.jqemu.system.machine.Machine;

/**
 * The transport-neutral part of a virtio device (virtio 1.2, section 2 "Basic Facilities of a
 * Virtio Device"): device status (2.1), feature bits (2.2), device configuration space (2.5) and
 * its virtqueues (2.6/2.7). A subclass (block, net, console) adds its feature bits, its config
 * layout and what it does when a queue is notified; a transport maps all of this into registers.
 *
 * <p>Every call arrives with the machine lock held. A guest mistake never throws: it is logged
 * under {@code -d guest_errors} and, where the spec says so, puts the device into
 * DEVICE_NEEDS_RESET ({@link #needsReset}).
 */
public abstract class VirtioDevice {
    // Device status bits (2.1).
    public static final int STATUS_ACKNOWLEDGE = 1;
    public static final int STATUS_DRIVER = 2;
    public static final int STATUS_DRIVER_OK = 4;
    public static final int STATUS_FEATURES_OK = 8;
    public static final int STATUS_NEEDS_RESET = 0x40;
    public static final int STATUS_FAILED = 0x80;

    // Reserved feature bits (6 "Reserved Feature Bits").
    public static final int F_RING_INDIRECT_DESC = 28;
    public static final int F_RING_EVENT_IDX = 29;
    public static final int F_VERSION_1 = 32;

    // Device IDs (5 "Device Types").
    public static final int ID_NET = 1;
    public static final int ID_BLOCK = 2;
    public static final int ID_CONSOLE = 3;

    protected final Machine machine;
    private final String id;
    private final int deviceId;
    private final long hostFeatures;
    private final Virtqueue[] queues;
    private VirtioTransport transport;
    private long driverFeatures;
    private int status;
    private int configGeneration;

    /**
     * @param deviceFeatures the device-type feature bits; the ring features and VERSION_1 are
     *     added here, since every device offers them
     * @param queueSizes the maximum size of each virtqueue, in order
     */
    protected VirtioDevice(Machine machine, String id, int deviceId, long deviceFeatures, int... queueSizes) {
        this.machine = machine;
        this.id = id;
        this.deviceId = deviceId;
        this.hostFeatures = deviceFeatures | bit(F_VERSION_1) | bit(F_RING_EVENT_IDX) | bit(F_RING_INDIRECT_DESC);
        this.queues = new Virtqueue[queueSizes.length];
        for (int i = 0; i < queueSizes.length; i++) {
            queues[i] = new Virtqueue(this, i, queueSizes[i]);
        }
    }

    public static long bit(int feature) {
        return 1L << feature;
    }

    public final String id() {
        return id;
    }

    public final Machine machine() {
        return machine;
    }

    /** The virtio device ID (1 net, 2 block, 3 console, ...). */
    public final int deviceId() {
        return deviceId;
    }

    /** Called once by the transport that carries this device. */
    public final void attach(VirtioTransport t) {
        if (transport != null) {
            throw new IllegalStateException(id + " already has a transport");
        }
        transport = t;
    }

    final VirtioTransport transport() {
        return transport;
    }

    // ---- features (2.2) -----------------------------------------------------------------------

    public final long hostFeatures() {
        return hostFeatures;
    }

    public final long driverFeatures() {
        return driverFeatures;
    }

    /** True when the driver accepted {@code feature} (meaningful once FEATURES_OK is set). */
    public final boolean negotiated(int feature) {
        return (driverFeatures & bit(feature)) != 0;
    }

    /** The driver writes 32 feature bits at a time; ignored once FEATURES_OK is set (2.2.1). */
    public final void writeDriverFeatures(int select, int value) {
        if ((status & STATUS_FEATURES_OK) != 0) {
            guestError("driver features written after FEATURES_OK");
            return;
        }
        if (select > 1) {
            if (value != 0) {
                guestError("driver features word %d = 0x%x: no such feature bits", select, value);
            }
            return;
        }
        int shift = 32 * select;
        driverFeatures = (driverFeatures & ~(0xffffffffL << shift)) | ((value & 0xffffffffL) << shift);
    }

    public final int hostFeaturesWord(int select) {
        return select > 1 ? 0 : (int) (hostFeatures >>> (32 * select));
    }

    public final int driverFeaturesWord(int select) {
        return select > 1 ? 0 : (int) (driverFeatures >>> (32 * select));
    }

    // ---- status (2.1, 3.1.1 "Driver Requirements: Device Initialization") ----------------------

    public final int status() {
        return status;
    }

    /**
     * The driver writes the status byte. Zero resets the device. FEATURES_OK is refused (left
     * clear, as the spec has the driver re-read it) when the driver asked for features we never
     * offered or left out VERSION_1, which our modern-only transports need.
     */
    public final void writeStatus(int value) {
        value &= 0xff;
        if (value == 0) {
            reset();
            return;
        }
        if ((value & ~status & STATUS_NEEDS_RESET) != 0) {
            guestError("driver set DEVICE_NEEDS_RESET, a device-owned bit");
            value &= ~STATUS_NEEDS_RESET;
        }
        if ((status & ~value & ~STATUS_NEEDS_RESET) != 0) {
            guestError("driver cleared status bits 0x%x without a reset", status & ~value & ~STATUS_NEEDS_RESET);
        }
        int added = value & ~status;
        if ((added & STATUS_FEATURES_OK) != 0) {
            long unknown = driverFeatures & ~hostFeatures;
            if (unknown != 0) {
                guestError("driver accepted features 0x%x that were not offered", unknown);
                value &= ~STATUS_FEATURES_OK;
            } else if (!negotiated(F_VERSION_1)) {
                guestError("driver did not accept VERSION_1; legacy interface not provided");
                value &= ~STATUS_FEATURES_OK;
            }
        }
        if ((added & STATUS_DRIVER_OK) != 0 && (value & STATUS_FEATURES_OK) == 0) {
            guestError("DRIVER_OK without FEATURES_OK");
        }
        status = value | (status & STATUS_NEEDS_RESET);
        if ((added & STATUS_DRIVER_OK) != 0) {
            driverReady();
        }
    }

    /** True while the device may process its queues: DRIVER_OK set and nothing went wrong. */
    public final boolean live() {
        return (status & (STATUS_DRIVER_OK | STATUS_NEEDS_RESET | STATUS_FAILED)) == STATUS_DRIVER_OK;
    }

    /**
     * The device hit an error it cannot recover from (a malformed ring, a bad request): it stops
     * processing, sets DEVICE_NEEDS_RESET and, when the driver is running, sends a configuration
     * change notification so the driver notices (2.1.2).
     */
    public final void needsReset(String format, Object... args) {
        guestError(format, args);
        if ((status & STATUS_NEEDS_RESET) != 0) {
            return;
        }
        status |= STATUS_NEEDS_RESET;
        if ((status & STATUS_DRIVER_OK) != 0 && transport != null) {
            transport.notifyConfigChange();
        }
    }

    /** Back to the state after power-on: status 0, no features, queues disabled (2.4). */
    public final void reset() {
        resetDevice(); // first: a device with I/O in flight lets it finish before the rings go
        status = 0;
        driverFeatures = 0;
        for (Virtqueue q : queues) {
            q.reset();
        }
    }

    // ---- queues --------------------------------------------------------------------------------

    public final int queueCount() {
        return queues.length;
    }

    public final Virtqueue queue(int index) {
        return queues[index];
    }

    /** The driver notified queue {@code index} (a transport's QueueNotify / notify region). */
    public final void notifyQueue(int index) {
        if (index < 0 || index >= queues.length) {
            guestError("notify of queue %d; the device has %d", index, queues.length);
            return;
        }
        Virtqueue q = queues[index];
        if (!live() || !q.ready()) {
            return;
        }
        queueNotified(q);
    }

    /** Processes what the driver made available on {@code q}. */
    protected abstract void queueNotified(Virtqueue q);

    /** The driver set DRIVER_OK: work that waited for it may start. */
    protected void driverReady() {}

    /** Device-specific state back to power-on values. */
    protected abstract void resetDevice();

    // ---- configuration space (2.5) -------------------------------------------------------------

    /** Size in bytes of the device-specific configuration structure. */
    public abstract int configSize();

    /** Reads 1, 2, 4 or 8 little-endian bytes of the device configuration. */
    public abstract long readConfig(int offset, int size);

    /** Writes device configuration; the default treats every field as read-only. */
    public void writeConfig(int offset, int size, long value) {
        guestError("write to read-only config offset 0x%x", offset);
    }

    /** Changes when the device changes its configuration, so the driver can re-read it (2.5.1). */
    public final int configGeneration() {
        return configGeneration;
    }

    /** The device changed its configuration: bump the generation and tell the driver. */
    protected final void configChanged() {
        configGeneration++;
        if ((status & STATUS_DRIVER_OK) != 0 && transport != null) {
            transport.notifyConfigChange();
        }
    }

    /** Reads {@code size} bytes at {@code offset} of a little-endian config image. */
    protected static long readLe(byte[] image, int offset, int size) {
        long v = 0;
        for (int i = 0; i < size && offset + i < image.length; i++) {
            if (offset + i >= 0) {
                v |= (image[offset + i] & 0xffL) << (8 * i);
            }
        }
        return v;
    }

    protected static void putLe(byte[] image, int offset, int size, long value) {
        for (int i = 0; i < size; i++) {
            image[offset + i] = (byte) (value >>> (8 * i));
        }
    }

    // ---- logging -------------------------------------------------------------------------------

    protected final void guestError(String format, Object... args) {
        if (machine.log().guestErrors) {
            machine.log().guestError("%s: %s", id, String.format(format, args));
        }
    }
}
