package org.jqemu.system.testing;

import java.util.List;
import org.jqemu.system.device.Device;
import org.jqemu.system.device.DeviceType;
import org.jqemu.system.device.PropertyInfo;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.options.Opts;

/** A device only boards create: -device must refuse it and -device help must not list it. */
public final class HiddenDevice implements DeviceType {
    @Override
    public String name() {
        return "test-hidden";
    }

    @Override
    public String bus() {
        return "sysbus";
    }

    @Override
    public String category() {
        return "Misc devices";
    }

    @Override
    public String description() {
        return "board only";
    }

    @Override
    public List<PropertyInfo> properties() {
        return List.of();
    }

    @Override
    public boolean userCreatable() {
        return false;
    }

    @Override
    public Device create(Machine machine, Opts opts) {
        throw new AssertionError("never created by -device");
    }
}
