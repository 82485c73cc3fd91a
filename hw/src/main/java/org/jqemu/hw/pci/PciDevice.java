package org.jqemu.hw.pci;

import org.jqemu.system.device.Device;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.memory.MemoryRegion;

/**
 * One PCI function: its 256-byte configuration space with a type 0 header (PCI Local Bus
 * Specification 3.0, 6.1 "Configuration Space Organization", 6.2 "Configuration Space
 * Functions"), its base address registers, its capabilities list (6.7) and its INTx pin (2.2.6).
 *
 * <p>Registers are kept as bytes with a write mask (bits the guest may change) and a
 * write-one-to-clear mask (status bits). As in QEMU, everything past the 64-byte header is
 * writable unless a subclass says otherwise; a function with device-specific registers overrides
 * {@link #configWrite} and calls {@code super} first, then reacts.
 *
 * <p>A subclass declares its identity in the constructor ({@link #setIds}), its BARs with
 * {@link #addBar} and capabilities with {@link #addCapability}, so a virtio-pci function can add
 * its vendor capabilities and, later, an MSI-X capability whose table lives in a memory BAR.
 */
public abstract class PciDevice implements Device {
    public static final int CONFIG_SIZE = 256;

    // Type 0 header offsets (PCI 3.0, figure 6-1).
    public static final int VENDOR_ID = 0x00;
    public static final int DEVICE_ID = 0x02;
    public static final int COMMAND = 0x04;
    public static final int STATUS = 0x06;
    public static final int REVISION_ID = 0x08;
    public static final int CLASS_PROG = 0x09;
    public static final int CLASS_DEVICE = 0x0a;
    public static final int CACHE_LINE_SIZE = 0x0c;
    public static final int LATENCY_TIMER = 0x0d;
    public static final int HEADER_TYPE = 0x0e;
    public static final int BAR0 = 0x10;
    public static final int SUBSYSTEM_VENDOR_ID = 0x2c;
    public static final int SUBSYSTEM_ID = 0x2e;
    public static final int ROM_ADDRESS = 0x30;
    public static final int CAPABILITY_LIST = 0x34;
    public static final int INTERRUPT_LINE = 0x3c;
    public static final int INTERRUPT_PIN = 0x3d;
    public static final int HEADER_SIZE = 0x40;

    public static final int COMMAND_IO = 0x1;
    public static final int COMMAND_MEMORY = 0x2;
    public static final int COMMAND_MASTER = 0x4;
    public static final int COMMAND_INTX_DISABLE = 0x400;
    public static final int STATUS_INTERRUPT = 0x8;
    public static final int STATUS_CAP_LIST = 0x10;
    public static final int HEADER_TYPE_MULTI_FUNCTION = 0x80;
    /** QEMU's default subsystem IDs (Red Hat / Qumranet, "QEMU"), by which SeaBIOS recognises QEMU. */
    public static final int SUBSYSTEM_VENDOR_QEMU = 0x1af4;
    public static final int SUBSYSTEM_ID_QEMU = 0x1100;

    protected final Machine machine;
    private final String id;
    private final byte[] config = new byte[CONFIG_SIZE];
    private final byte[] wmask = new byte[CONFIG_SIZE];
    private final byte[] w1cmask = new byte[CONFIG_SIZE];
    private final byte[] resetConfig = new byte[CONFIG_SIZE];
    private final PciBar[] bars = new PciBar[6];
    private int nextCapability = HEADER_SIZE;
    private int lastCapability = -1;
    private boolean intxLevel;
    private final java.util.List<ConfigListener> configListeners = new java.util.ArrayList<>();

    /** Told about every guest configuration write, after it took effect (capabilities use it). */
    @FunctionalInterface
    public interface ConfigListener {
        void written(int offset, int size);
    }

    PciBus bus;
    int devfn = -1;

    protected PciDevice(Machine machine, String id) {
        this.machine = machine;
        this.id = id;
        // Command: I/O, memory, bus master, SERR#, INTx disable are what a simple function has.
        setWmask(COMMAND, 2, COMMAND_IO | COMMAND_MEMORY | COMMAND_MASTER | 0x100 | COMMAND_INTX_DISABLE);
        // Status: the error bits are write-one-to-clear.
        setW1cMask(STATUS, 2, 0xf900);
        setWmask(CACHE_LINE_SIZE, 1, 0xff);
        setWmask(LATENCY_TIMER, 1, 0xff);
        setWmask(INTERRUPT_LINE, 1, 0xff);
        setSubsystem(SUBSYSTEM_VENDOR_QEMU, SUBSYSTEM_ID_QEMU);
        for (int i = HEADER_SIZE; i < CONFIG_SIZE; i++) {
            wmask[i] = (byte) 0xff;
        }
    }

    @Override
    public final String id() {
        return id;
    }

    /** The bus this function is plugged into, or null. */
    public final PciBus bus() {
        return bus;
    }

    /** Device number << 3 | function number; -1 while unplugged. */
    public final int devfn() {
        return devfn;
    }

    // ---- identity and layout (used by subclass constructors) --------------------------------

    /** Vendor, device, revision and the 24-bit class code (base class, subclass, prog. interface). */
    protected final void setIds(int vendor, int device, int revision, int classCode) {
        setRaw(VENDOR_ID, 2, vendor);
        setRaw(DEVICE_ID, 2, device);
        setRaw(REVISION_ID, 1, revision);
        setRaw(CLASS_PROG, 1, classCode);
        setRaw(CLASS_DEVICE, 2, classCode >>> 8);
    }

    protected final void setSubsystem(int vendor, int device) {
        setRaw(SUBSYSTEM_VENDOR_ID, 2, vendor);
        setRaw(SUBSYSTEM_ID, 2, device);
    }

    /** Marks function 0 of a multi-function device. */
    protected final void setMultiFunction() {
        setRaw(HEADER_TYPE, 1, config[HEADER_TYPE] | HEADER_TYPE_MULTI_FUNCTION);
    }

    /** The INTx pin the function uses: 1 = INTA# ... 4 = INTD#. */
    protected final void setInterruptPin(int pin) {
        setRaw(INTERRUPT_PIN, 1, pin);
    }

    /** Declares a BAR; the bus maps {@code region} where the guest puts it. */
    protected final PciBar addBar(int index, PciBar.Space space, long size, boolean prefetchable, MemoryRegion region) {
        PciBar bar = new PciBar(index, space, size, prefetchable, region);
        bars[index] = bar;
        int off = BAR0 + 4 * index;
        setRaw(off, 4, bar.typeBits());
        setWmask(off, 4, bar.addressMask());
        if (space == PciBar.Space.MEMORY64) {
            setRaw(off + 4, 4, 0);
            setWmask(off + 4, 4, bar.highAddressMask());
        }
        return bar;
    }

    public final PciBar bar(int index) {
        return bars[index];
    }

    /**
     * Appends a capability of {@code size} bytes (ID and next pointer included) to the list and
     * returns its config offset; the caller fills and write-masks the body.
     */
    protected final int addCapability(int capId, int size) {
        int off = (nextCapability + 3) & ~3;
        if (off + size > CONFIG_SIZE) {
            throw new IllegalStateException(id + ": no room for capability 0x" + Integer.toHexString(capId));
        }
        setRaw(off, 1, capId);
        setRaw(off + 1, 1, 0);
        for (int i = off; i < off + size; i++) {
            wmask[i] = 0;
        }
        if (lastCapability < 0) {
            setRaw(CAPABILITY_LIST, 1, off);
        } else {
            setRaw(lastCapability + 1, 1, off);
        }
        setRaw(STATUS, 2, raw(STATUS, 2) | STATUS_CAP_LIST);
        lastCapability = off;
        nextCapability = off + size;
        return off;
    }

    /** Sets bytes of config space as the hardware does, ignoring the write mask (and the reset value). */
    protected final void setRaw(int offset, int size, int value) {
        for (int i = 0; i < size; i++) {
            config[offset + i] = (byte) (value >>> (8 * i));
            resetConfig[offset + i] = config[offset + i];
        }
    }

    /** Changes config bytes now without touching their reset value (hardware-owned status). */
    protected final void setLive(int offset, int size, int value) {
        for (int i = 0; i < size; i++) {
            config[offset + i] = (byte) (value >>> (8 * i));
        }
    }

    protected final void setWmask(int offset, int size, int mask) {
        for (int i = 0; i < size; i++) {
            wmask[offset + i] = (byte) (mask >>> (8 * i));
        }
    }

    protected final void setW1cMask(int offset, int size, int mask) {
        for (int i = 0; i < size; i++) {
            w1cmask[offset + i] = (byte) (mask >>> (8 * i));
        }
    }

    /** Current config bytes, little-endian. */
    public final int raw(int offset, int size) {
        int v = 0;
        for (int i = 0; i < size; i++) {
            v |= (config[offset + i] & 0xff) << (8 * i);
        }
        return v;
    }

    public final int command() {
        return raw(COMMAND, 2);
    }

    // ---- guest config accesses ---------------------------------------------------------------

    /** A configuration read of 1, 2 or 4 bytes at {@code offset} (naturally aligned). */
    public int configRead(int offset, int size) {
        return raw(offset, size);
    }

    /**
     * A configuration write: masked bytes change, write-one-to-clear bits clear, and BAR or
     * command changes remap the function's windows.
     */
    public void configWrite(int offset, int size, int value) {
        boolean remap = false;
        for (int i = 0; i < size; i++) {
            int a = offset + i;
            int b = (value >>> (8 * i)) & 0xff;
            int w = wmask[a] & 0xff;
            int c = w1cmask[a] & 0xff;
            config[a] = (byte) (((config[a] & ~w) | (b & w)) & ~(b & c));
            if (a == COMMAND || a == COMMAND + 1 || (a >= BAR0 && a < BAR0 + 24)) {
                remap = true;
            }
        }
        if (remap && bus != null) {
            bus.updateMappings(this);
        }
        if (offset <= COMMAND + 1 && offset + size > COMMAND + 1) {
            updateIntx(); // INTx disable may have changed
        }
        for (ConfigListener l : configListeners) {
            l.written(offset, size);
        }
    }

    public final void addConfigListener(ConfigListener l) {
        configListeners.add(l);
    }

    /**
     * The address a BAR decodes now, or -1 when it is disabled (its space is off in the command
     * register, or it is unprogrammed/outside its space).
     */
    public final long barAddress(int index) {
        PciBar bar = bars[index];
        if (bar == null) {
            return -1;
        }
        long reg = raw(BAR0 + 4 * index, 4) & 0xffff_ffffL;
        int cmd = command();
        if (bar.space() == PciBar.Space.IO) {
            long addr = reg & 0xffff_fffcL;
            if ((cmd & COMMAND_IO) == 0 || addr == 0 || addr + bar.size() > 0x10000) {
                return -1;
            }
            return addr;
        }
        long addr = reg & 0xffff_fff0L;
        long limit = 1L << 32;
        if (bar.space() == PciBar.Space.MEMORY64) {
            addr |= (raw(BAR0 + 4 * index + 4, 4) & 0xffff_ffffL) << 32;
            limit = Machine.MEMORY_SPACE_SIZE;
        }
        if ((cmd & COMMAND_MEMORY) == 0 || addr == 0 || addr + bar.size() > limit) {
            return -1;
        }
        return addr;
    }

    /**
     * True when the function may come and go while the machine runs (ACPI PCI hotplug), QEMU's
     * default for PCI devices. Bridges (host, ISA, the chipset's other functions) and display
     * adapters stay, as QEMU's pc describes them to the guest as fixed.
     */
    public boolean hotpluggable() {
        int base = raw(CLASS_DEVICE + 1, 1);
        return base != 0x06 && base != 0x03;
    }

    // ---- interrupts ----------------------------------------------------------------------------

    /** Drives the function's INTx pin (level triggered, shared); the bus routes it. */
    public final void setIntx(boolean level) {
        intxLevel = level;
        updateIntx();
    }

    private void updateIntx() {
        int status = raw(STATUS, 2);
        setLive(STATUS, 2, intxLevel ? status | STATUS_INTERRUPT : status & ~STATUS_INTERRUPT);
        boolean out = intxLevel && (command() & COMMAND_INTX_DISABLE) == 0;
        if (bus != null && raw(INTERRUPT_PIN, 1) != 0) {
            bus.setIntx(this, raw(INTERRUPT_PIN, 1) - 1, out);
        }
    }

    // ---- reset ---------------------------------------------------------------------------------

    /** Back to the reset values of config space: BARs and command cleared, windows unmapped. */
    @Override
    public void reset() {
        System.arraycopy(resetConfig, 0, config, 0, CONFIG_SIZE);
        intxLevel = false;
        if (bus != null) {
            bus.updateMappings(this);
            updateIntx();
        }
    }
}
