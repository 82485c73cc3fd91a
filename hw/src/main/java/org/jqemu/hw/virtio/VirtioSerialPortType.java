package org.jqemu.hw.virtio;

import java.util.List;
import org.jqemu.system.chardev.Chardev;
import org.jqemu.system.device.Device;
import org.jqemu.system.device.DeviceType;
import org.jqemu.system.device.PropertyInfo;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.options.ConfigException;
import org.jqemu.system.options.Opts;

/**
 * {@code -device virtconsole,chardev=ID[,name=N]} and {@code -device virtserialport,chardev=ID,name=N}:
 * a port on the most recently created virtio-serial device.
 */
public final class VirtioSerialPortType implements DeviceType {
    private final boolean console;

    /** The {@code virtserialport} type (ServiceLoader needs a no-argument constructor). */
    public VirtioSerialPortType() {
        this(false);
    }

    VirtioSerialPortType(boolean console) {
        this.console = console;
    }

    /** The {@code virtconsole} type. */
    public static final class Console implements DeviceType {
        private final VirtioSerialPortType delegate = new VirtioSerialPortType(true);

        @Override
        public String name() {
            return delegate.name();
        }

        @Override
        public String bus() {
            return delegate.bus();
        }

        @Override
        public String category() {
            return delegate.category();
        }

        @Override
        public String description() {
            return delegate.description();
        }

        @Override
        public List<PropertyInfo> properties() {
            return delegate.properties();
        }

        @Override
        public Device create(Machine machine, Opts opts) throws ConfigException {
            return delegate.create(machine, opts);
        }
    }

    @Override
    public String name() {
        return console ? "virtconsole" : "virtserialport";
    }

    @Override
    public String bus() {
        return "virtio-serial-bus";
    }

    @Override
    public String category() {
        return "Input devices";
    }

    @Override
    public String description() {
        return console ? "a virtio console port (hvc in Linux)" : "a named virtio serial port";
    }

    @Override
    public List<PropertyInfo> properties() {
        return List.of(
                new PropertyInfo("chardev", "str", null, "ID of a chardev to use as a backend"),
                new PropertyInfo("name", "str", null, "port name the guest sees"));
    }

    @Override
    public Device create(Machine machine, Opts opts) throws ConfigException {
        String where = opts.option() + " " + name();
        VirtioSerial serial = machine.component(VirtioSerial.class);
        if (serial == null) {
            throw new ConfigException(where + ": No 'virtio-serial-bus' bus found for device '" + name() + "'");
        }
        String chardevId = opts.getString("chardev", null);
        Chardev chardev = null;
        if (chardevId != null) {
            chardev = machine.chardev(chardevId);
            if (chardev == null) {
                throw new ConfigException(where + ": Property '" + name() + ".chardev' can't find value '" + chardevId + "'");
            }
        }
        String portName = opts.getString("name", null);
        String id = opts.getString("id", name() + "-" + (chardevId == null ? "unconnected" : chardevId));
        opts.getString("bus", null); // one serial bus at a time: the newest one
        opts.checkAllUsed();
        serial.addPort(chardev, console, portName);
        return () -> id;
    }
}
