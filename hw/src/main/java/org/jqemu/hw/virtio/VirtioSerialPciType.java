package org.jqemu.hw.virtio;

import java.util.List;
import org.jqemu.hw.pci.PciBus;
import org.jqemu.system.device.Device;
import org.jqemu.system.device.DeviceType;
import org.jqemu.system.device.PropertyInfo;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.options.ConfigException;
import org.jqemu.system.options.Opts;

/**
 * {@code -device virtio-serial-pci[,max_ports=N][,addr=SLOT[.FN]][,id=NAME]}: the bus that
 * {@code virtconsole} and {@code virtserialport} devices given after it plug into.
 */
public final class VirtioSerialPciType implements DeviceType {
    public static final String NAME = "virtio-serial-pci";
    /** PCI class 07 80 00: simple communication controller, other — as QEMU reports. */
    static final int CLASS_COMMUNICATION_OTHER = 0x078000;

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String bus() {
        return "PCI";
    }

    @Override
    public String category() {
        return "Input devices";
    }

    @Override
    public String description() {
        return "virtio console/serial device over modern virtio-pci";
    }

    @Override
    public List<PropertyInfo> properties() {
        return List.of(
                new PropertyInfo("max_ports", "uint32", "31", "number of ports"),
                new PropertyInfo("addr", "int32", "-1", "slot and function number, as SLOT[.FN]"));
    }

    @Override
    public Device create(Machine machine, Opts opts) throws ConfigException {
        PciBus bus = PciBus.of(machine, NAME);
        String where = opts.option() + " " + NAME;
        long max = opts.getNumber("max_ports", 31);
        if (max < 1 || max > 31) {
            throw new ConfigException(where + ": Property 'max_ports' must be between 1 and 31, got " + max);
        }
        int devfn = PciBus.parseAddr(opts, NAME);
        String id = opts.getString("id", "virtio-serial" + countSerials(machine));
        opts.checkAllUsed();
        VirtioSerial serial = new VirtioSerial(machine, id, (int) max);
        VirtioPci pci = new VirtioPci(serial, bus, devfn, CLASS_COMMUNICATION_OTHER);
        machine.addDevice(pci);
        machine.putComponent(VirtioSerial.class, serial); // ports given later plug into the newest
        return pci;
    }

    private static int countSerials(Machine m) {
        return (int) m.devices().stream()
                .filter(d -> d instanceof VirtioPci p && p.device() instanceof VirtioSerial).count();
    }
}
