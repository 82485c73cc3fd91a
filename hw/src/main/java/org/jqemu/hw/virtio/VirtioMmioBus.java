package org.jqemu.hw.virtio;

import org.jqemu.system.irq.IrqLine;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.memory.IoRegion;
import org.jqemu.system.memory.MemoryOps;
import org.jqemu.system.options.ConfigException;

/**
 * A board's row of virtio-mmio slots (as on QEMU's ARM virt board): {@code count} windows of
 * {@link VirtioMmio#SIZE} bytes from {@code base}, each with its own interrupt line. An empty slot
 * answers with the magic value, version 2 and device ID 0, which drivers read as "no device"
 * (4.2.3.1.1); {@code -device virtio-*-device} fills the first free slot.
 */
public final class VirtioMmioBus {
    private final Machine machine;
    private final long base;
    private final IrqLine[] irqs;
    private final IoRegion[] empty;
    private final VirtioMmio[] slots;

    public VirtioMmioBus(Machine machine, long base, IrqLine[] irqs) {
        this.machine = machine;
        this.base = base;
        this.irqs = irqs.clone();
        this.empty = new IoRegion[irqs.length];
        this.slots = new VirtioMmio[irqs.length];
        for (int i = 0; i < irqs.length; i++) {
            empty[i] = new IoRegion("virtio-mmio empty " + i, VirtioMmio.SIZE, EMPTY);
            machine.memory().root().add(slotBase(i), empty[i]);
        }
    }

    private static final MemoryOps EMPTY = new MemoryOps() {
        @Override
        public long read(long offset, int size) {
            return switch ((int) offset) {
                case VirtioMmio.MAGIC_VALUE -> VirtioMmio.MAGIC;
                case VirtioMmio.VERSION -> 2;
                case VirtioMmio.VENDOR_ID -> VirtioMmio.VENDOR;
                default -> 0;
            };
        }

        @Override
        public void write(long offset, int size, long value) {}
    };

    /** The bus of {@code machine}, for a {@code -device} type that needs a virtio-mmio slot. */
    public static VirtioMmioBus of(Machine machine, String deviceType) throws ConfigException {
        VirtioMmioBus bus = machine.component(VirtioMmioBus.class);
        if (bus == null) {
            throw new ConfigException("No 'virtio-bus' bus found for device '" + deviceType + "'");
        }
        return bus;
    }

    public long slotBase(int slot) {
        return base + (long) slot * VirtioMmio.SIZE;
    }

    public int slotCount() {
        return slots.length;
    }

    public VirtioMmio slot(int i) {
        return slots[i];
    }

    /** Puts {@code device} in the first free slot and registers the transport with the machine. */
    public VirtioMmio plug(VirtioDevice device) throws ConfigException {
        for (int i = 0; i < slots.length; i++) {
            if (slots[i] == null) {
                VirtioMmio t = new VirtioMmio(device, irqs[i]);
                machine.memory().root().remove(empty[i]);
                machine.memory().root().add(slotBase(i), t.region());
                slots[i] = t;
                machine.addDevice(t);
                return t;
            }
        }
        throw new ConfigException("virtio-mmio: all " + slots.length + " slots are in use; no room for '" + device.id() + "'");
    }
}
