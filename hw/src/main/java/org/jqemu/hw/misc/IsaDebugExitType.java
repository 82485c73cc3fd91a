package org.jqemu.hw.misc;

import java.util.List;
import org.jqemu.hw.isa.IsaBus;
import org.jqemu.system.device.Device;
import org.jqemu.system.device.DeviceType;
import org.jqemu.system.device.PropertyInfo;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.options.ConfigException;
import org.jqemu.system.options.Opts;

/** {@code -device isa-debug-exit[,iobase=0x501][,iosize=2]}. */
public final class IsaDebugExitType implements DeviceType {
    public static final String NAME = "isa-debug-exit";

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
        return "ends jqemu with status (value << 1) | 1 when the guest writes value";
    }

    @Override
    public List<PropertyInfo> properties() {
        return List.of(
                new PropertyInfo("iobase", "uint32", "1281", "first I/O port"),
                new PropertyInfo("iosize", "uint32", "2", "number of I/O ports"));
    }

    @Override
    public Device create(Machine machine, Opts opts) throws ConfigException {
        IsaBus bus = IsaBus.of(machine, NAME);
        long iobase = IsaBus.number(opts, NAME, "iobase", 0x501, 0, 0xffff);
        long iosize = IsaBus.number(opts, NAME, "iosize", 2, 1, 0x10000 - iobase);
        String id = IsaBus.deviceId(opts, NAME, iobase);
        opts.checkAllUsed();
        IsaDebugExit dev = new IsaDebugExit(machine, id);
        bus.mapPorts(id, (int) iobase, (int) iosize, dev.ports());
        machine.addDevice(dev);
        return dev;
    }
}
