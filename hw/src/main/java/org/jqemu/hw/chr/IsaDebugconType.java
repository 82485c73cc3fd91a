package org.jqemu.hw.chr;

import java.util.List;
import org.jqemu.hw.isa.IsaBus;
import org.jqemu.system.chardev.Chardev;
import org.jqemu.system.device.Device;
import org.jqemu.system.device.DeviceType;
import org.jqemu.system.device.PropertyInfo;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.options.ConfigException;
import org.jqemu.system.options.Opts;

/** {@code -device isa-debugcon,chardev=ID[,iobase=0xe9][,readback=0xe9]}. */
public final class IsaDebugconType implements DeviceType {
    public static final String NAME = "isa-debugcon";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String bus() {
        return "isa";
    }

    @Override
    public String category() {
        return "Misc devices";
    }

    @Override
    public String description() {
        return "Bochs-style debug console port: guest writes go to a chardev";
    }

    @Override
    public List<PropertyInfo> properties() {
        return List.of(
                new PropertyInfo("iobase", "uint32", "233", "I/O port"),
                new PropertyInfo("chardev", "str", null, "ID of a chardev to use as a backend"),
                new PropertyInfo("readback", "uint32", "233", "value returned by reads of the port"));
    }

    @Override
    public Device create(Machine machine, Opts opts) throws ConfigException {
        IsaBus bus = IsaBus.of(machine, NAME);
        long iobase = IsaBus.number(opts, NAME, "iobase", 0xe9, 0, 0xffff);
        long readback = IsaBus.number(opts, NAME, "readback", 0xe9, 0, 0xffffffffL);
        Chardev chardev = IsaBus.chardev(machine, opts, NAME);
        String id = IsaBus.deviceId(opts, NAME, iobase);
        opts.checkAllUsed();
        if (chardev == null) {
            throw new ConfigException("Can't create debugcon device, empty char device");
        }
        IsaDebugcon dev = new IsaDebugcon(id, chardev, (int) readback);
        bus.mapPorts(id, (int) iobase, 1, dev.port());
        machine.addDevice(dev);
        return dev;
    }
}
