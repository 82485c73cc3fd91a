package org.jqemu.system.testing;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.jqemu.system.chardev.Chardev;
import org.jqemu.system.device.Device;
import org.jqemu.system.device.DeviceType;
import org.jqemu.system.device.PropertyInfo;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.options.ConfigException;
import org.jqemu.system.options.Opts;

/**
 * Ends the VM from the main loop right after start with exit status {@code status}, first writing
 * {@code message} (if any) to chardev {@code chardev}: a stand-in for isa-debug-exit.
 */
public final class TestExitDevice implements DeviceType {
    @Override
    public String name() {
        return "test-exit";
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
        return "Exits at start";
    }

    @Override
    public List<PropertyInfo> properties() {
        return List.of(new PropertyInfo("status", "uint32", "0", "exit status"),
                new PropertyInfo("chardev", "str", null, "ID of a chardev to use as a backend"),
                new PropertyInfo("message", "str", null, null));
    }

    @Override
    public Device create(Machine machine, Opts opts) throws ConfigException {
        int status = (int) opts.getNumber("status", 0);
        String id = opts.getString("id", "test-exit");
        String chardevId = opts.getString("chardev", null);
        String message = opts.getString("message", null);
        opts.checkAllUsed();
        Chardev chardev = chardevId == null ? null : machine.chardev(chardevId);
        if (chardevId != null && chardev == null) {
            throw new ConfigException(opts.option() + ": Property 'test-exit.chardev' can't find value '" + chardevId + "'");
        }
        Device d = new Device() {
            @Override
            public String id() {
                return id;
            }

            @Override
            public void reset() {
                machine.mainLoop().post(() -> {
                    if (chardev != null && message != null) {
                        byte[] b = message.getBytes(StandardCharsets.UTF_8);
                        chardev.write(b, 0, b.length);
                    }
                    machine.exit(status);
                });
            }
        };
        machine.addDevice(d);
        return d;
    }
}
