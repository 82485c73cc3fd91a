package org.jqemu.system.testing;

import java.util.List;
import org.jqemu.system.chardev.CharFrontend;
import org.jqemu.system.chardev.Chardev;
import org.jqemu.system.device.Device;
import org.jqemu.system.device.DeviceType;
import org.jqemu.system.device.PropertyInfo;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.options.ConfigException;
import org.jqemu.system.options.Opts;

/** A UART stand-in: writes back every byte it receives on its chardev, prefixed with '<'. */
public final class TestEchoDevice implements DeviceType {
    @Override
    public String name() {
        return "test-echo";
    }

    @Override
    public String bus() {
        return "";
    }

    @Override
    public String category() {
        return "";
    }

    @Override
    public String description() {
        return "";
    }

    @Override
    public List<PropertyInfo> properties() {
        return List.of();
    }

    @Override
    public Device create(Machine machine, Opts opts) throws ConfigException {
        Chardev chardev = machine.chardev(opts.requireString("chardev"));
        opts.checkAllUsed();
        chardev.attach(new CharFrontend() {
            @Override
            public int canReceive() {
                return 16;
            }

            @Override
            public void receive(byte[] buf, int off, int len) {
                for (int i = 0; i < len; i++) {
                    chardev.write(new byte[] {'<', buf[off + i]}, 0, 2);
                }
            }
        });
        Device d = () -> "echo";
        machine.addDevice(d);
        return d;
    }
}
