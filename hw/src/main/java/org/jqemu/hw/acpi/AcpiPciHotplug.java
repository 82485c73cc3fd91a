package org.jqemu.hw.acpi;

import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.IntConsumer;
import org.jqemu.hw.pci.PciBus;
import org.jqemu.hw.pci.PciDevice;
import org.jqemu.hw.virtio.VirtioPci;
import org.jqemu.system.block.BlockBackends;
import org.jqemu.system.device.Device;
import org.jqemu.system.device.DeviceType;
import org.jqemu.system.device.HotplugBus;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.memory.MemoryOps;
import org.jqemu.system.net.NetBackends;
import org.jqemu.system.options.ConfigException;
import org.jqemu.system.options.Opts;

/**
 * ACPI PCI hotplug for the PC's pci.0: the register block QEMU gives its PIIX4 machines (QEMU
 * docs/specs/acpi_pci_hotplug.rst, "QEMU<->ACPI BIOS PCI hotplug interface"), which the DSDT's
 * slot objects and GPE handler drive (firmware {@code AcpiTables}). Five 32-bit registers at
 * I/O 0xAE00, one bit per slot of the selected bus:
 * <ul>
 * <li>+0x00 PCIU (read): slots with a device the guest should look at ("device check"); cleared
 *     by the read, as QEMU's non-legacy interface;
 * <li>+0x04 PCID (read): slots whose removal was requested ("eject request");
 * <li>+0x08 B0EJ (write): the guest ejects the lowest slot set, which unplugs its devices;
 * <li>+0x0C PCIRMV (read): slots whose devices may be removed;
 * <li>+0x10 BNUM (read/write): the bus selector; pci.0 is bus 0, the only one here.
 * </ul>
 * A plug or unplug request sets GPE0 status bit 1 in the PM device, so the guest's SCI handler
 * runs {@code \_GPE._E01}, which reads PCIU and PCID and notifies the slot objects. A removal is
 * final only when the guest writes B0EJ (its {@code _EJ0}); then QMP hears DEVICE_DELETED.
 */
public final class AcpiPciHotplug implements HotplugBus, Device {
    public static final int BASE = 0xae00;
    public static final int SIZE = 0x14;
    public static final int UP = 0x00, DOWN = 0x04, EJECT = 0x08, REMOVABLE = 0x0c, SELECT = 0x10;
    /** GPE0 status bit of the hotplug event (QEMU's ACPI_PCI_HOTPLUG_STATUS, {@code _E01}). */
    public static final int GPE_BIT = 1;

    private final Machine machine;
    private final PciBus bus;
    private final IntConsumer gpe;
    /** The user's id= of each device plugged here (DEVICE_DELETED's "device"), null if none. */
    private final Map<PciDevice, String> userIds = new IdentityHashMap<>();
    /** The netdevs and drives each device plugged here claimed, freed again when it goes. */
    private final Map<PciDevice, Backends> backends = new IdentityHashMap<>();
    private int up;
    private int down;
    private int select;
    private int anonymous;

    /**
     * @param gpe raises a GPE0 status bit (the PM device's {@link Piix4Pm#gpe})
     */
    public AcpiPciHotplug(Machine machine, PciBus bus, IntConsumer gpe) {
        this.machine = machine;
        this.bus = bus;
        this.gpe = gpe;
    }

    @Override
    public String id() {
        return "acpi-pci-hotplug";
    }

    /**
     * Slots whose devices may come and go: every slot except those holding a fixed function (the
     * host bridge, the PIIX, the VGA card). The DSDT describes these with {@code _EJ0}.
     */
    public int hotpluggableSlots() {
        int slots = 0;
        for (int slot = 0; slot < 32; slot++) {
            boolean ok = true;
            for (int fn = 0; fn < 8; fn++) {
                PciDevice d = bus.function(slot << 3 | fn);
                ok &= d == null || d.hotpluggable();
            }
            if (ok) {
                slots |= 1 << slot;
            }
        }
        return slots;
    }

    public int pendingUp() {
        return up;
    }

    public int pendingDown() {
        return down;
    }

    // ---- HotplugBus ------------------------------------------------------------------------------

    @Override
    public String busName() {
        return bus.name();
    }

    /** PCI devices, except display adapters, which own fixed legacy VGA resources. */
    @Override
    public boolean accepts(DeviceType type) {
        return "PCI".equalsIgnoreCase(type.bus()) && !"Display devices".equals(type.category());
    }

    @Override
    public Device plug(DeviceType type, Opts opts, String userId) throws ConfigException {
        String addr = opts.asMap().get("addr");
        if (addr != null) {
            int devfn = PciBus.parseAddr(new Opts(opts.option(), Map.of("addr", addr)), type.name());
            if ((devfn & 7) != 0) {
                throw new ConfigException("PCI: hot-plugging function " + (devfn & 7) + " of slot " + (devfn >> 3)
                        + " is not supported, only function 0");
            }
            if ((hotpluggableSlots() & 1 << (devfn >> 3)) == 0) {
                throw new ConfigException("PCI: slot " + (devfn >> 3) + " does not support hotplugging");
            }
        }
        machine.lock();
        try {
            Backends before = Backends.claimed(machine);
            Device created;
            try {
                created = type.create(machine, opts);
            } catch (ConfigException | RuntimeException e) {
                // A type may claim its netdev/drive before it finds a bad property: give it back.
                Backends.claimed(machine).minus(before).release(machine);
                throw e;
            }
            if (!(created instanceof PciDevice dev) || dev.bus() != bus) {
                // Every PCI type plugs into the machine's PciBus; anything else is a jqemu bug.
                throw new IllegalStateException(type.name() + " did not plug into " + bus.name());
            }
            dev.reset();
            userIds.put(dev, userId);
            backends.put(dev, Backends.claimed(machine).minus(before));
            int bit = 1 << (dev.devfn() >> 3);
            up |= bit;
            down &= ~bit;
            gpe.accept(GPE_BIT);
            return dev;
        } finally {
            machine.unlock();
        }
    }

    @Override
    public boolean contains(Device device) {
        return device instanceof PciDevice p && p.bus() == bus;
    }

    @Override
    public void requestUnplug(Device device) throws ConfigException {
        machine.lock();
        try {
            if (!(device instanceof PciDevice dev) || dev.bus() != bus) {
                throw new ConfigException("Device '" + device.id() + "' is not on bus '" + bus.name() + "'");
            }
            int slot = dev.devfn() >> 3;
            if (!dev.hotpluggable() || (hotpluggableSlots() & 1 << slot) == 0) {
                throw new ConfigException("Bus '" + bus.name() + "' does not support hotplugging");
            }
            down |= 1 << slot;
            gpe.accept(GPE_BIT);
        } finally {
            machine.unlock();
        }
    }

    // ---- registers ---------------------------------------------------------------------------------

    /** The register block (32-bit accesses, as QEMU's; other sizes read the same dword). */
    public MemoryOps ports() {
        return new MemoryOps() {
            @Override
            public long read(long offset, int size) {
                int reg = (int) offset & ~3;
                long v = readRegister(reg) & 0xffffffffL;
                return (v >>> (8 * (offset & 3))) & (size >= 4 ? 0xffffffffL : (1L << (8 * size)) - 1);
            }

            @Override
            public void write(long offset, int size, long value) {
                writeRegister((int) offset & ~3, (int) (value << (8 * (offset & 3))));
            }
        };
    }

    int readRegister(int reg) {
        if (reg == SELECT) {
            return select;
        }
        if (select != 0) {
            return 0; // no bus behind that selector
        }
        return switch (reg) {
            case UP -> {
                int v = up;
                up = 0;
                yield v;
            }
            case DOWN -> down;
            case REMOVABLE -> hotpluggableSlots();
            default -> 0;
        };
    }

    void writeRegister(int reg, int value) {
        switch (reg) {
            case EJECT -> {
                if (select == 0 && value != 0) {
                    eject(Integer.numberOfTrailingZeros(value));
                }
            }
            case SELECT -> select = value;
            default -> {
                if (machine.log().guestErrors) {
                    machine.log().guestError("acpi-pci-hotplug: write 0x%x to read-only register 0x%x", value, reg);
                }
            }
        }
    }

    /** The guest's {@code _EJ0}: the slot's removable functions leave the machine. */
    private void eject(int slot) {
        int bit = 1 << slot;
        up &= ~bit;
        down &= ~bit;
        if ((hotpluggableSlots() & bit) == 0) {
            return;
        }
        for (int fn = 7; fn >= 0; fn--) {
            PciDevice dev = bus.function(slot << 3 | fn);
            if (dev != null && dev.hotpluggable()) {
                remove(dev);
            }
        }
    }

    private void remove(PciDevice dev) {
        bus.unplug(dev);
        machine.removeDevice(dev);
        Backends held = backends.remove(dev);
        if (held != null) {
            held.release(machine);
        }
        String id = userIds.containsKey(dev) ? userIds.remove(dev) : dev.id();
        String path = id != null ? "/machine/peripheral/" + id : "/machine/peripheral-anon/device[" + anonymous++ + "]";
        // A virtio-pci proxy has its virtio device as a child: QEMU reports that one first.
        if (dev instanceof VirtioPci) {
            machine.deviceDeleted(null, path + "/virtio-backend");
        }
        machine.deviceDeleted(id, path);
    }

    /** Ids of claimed -netdev and -drive/-blockdev backends. */
    private record Backends(Set<String> nets, Set<String> drives) {
        static Backends claimed(Machine m) {
            NetBackends n = m.component(NetBackends.class);
            BlockBackends b = m.component(BlockBackends.class);
            return new Backends(n == null ? Set.of() : n.attachedIds(), b == null ? Set.of() : b.attachedIds());
        }

        Backends minus(Backends earlier) {
            Set<String> n = new HashSet<>(nets);
            n.removeAll(earlier.nets);
            Set<String> d = new HashSet<>(drives);
            d.removeAll(earlier.drives);
            return new Backends(n, d);
        }

        void release(Machine m) {
            NetBackends n = m.component(NetBackends.class);
            BlockBackends b = m.component(BlockBackends.class);
            if (n != null) {
                nets.forEach(n::release);
            }
            if (b != null) {
                drives.forEach(b::release);
            }
        }
    }

    /** As QEMU on reset: pending removals complete, and the guest starts with no events. */
    @Override
    public void reset() {
        select = 0;
        while (down != 0) {
            eject(Integer.numberOfTrailingZeros(down));
        }
        up = 0;
    }
}
