package org.jqemu.hw.virtio;

import java.util.List;
import org.jqemu.system.block.BlockBackends;
import org.jqemu.system.device.Device;
import org.jqemu.system.device.DeviceType;
import org.jqemu.system.device.PropertyInfo;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.options.ConfigException;
import org.jqemu.system.options.Opts;

/** The {@code -device virtio-*-device} types, which plug into a board's virtio-mmio slots. */
public final class VirtioMmioDeviceTypes {
    private VirtioMmioDeviceTypes() {}

    /** {@code -device virtio-blk-device,drive=ID[,serial=S][,id=NAME]}. */
    public static final class Blk implements DeviceType {
        public static final String NAME = "virtio-blk-device";

        @Override
        public String name() {
            return NAME;
        }

        @Override
        public String bus() {
            return "virtio-bus";
        }

        @Override
        public String category() {
            return "Storage devices";
        }

        @Override
        public String description() {
            return "virtio block device in a virtio-mmio slot";
        }

        @Override
        public List<PropertyInfo> properties() {
            return List.of(
                    new PropertyInfo("drive", "str", null, "ID of a drive to use as a backend"),
                    new PropertyInfo("serial", "str", null, "the serial number GET_ID reports"));
        }

        @Override
        public Device create(Machine machine, Opts opts) throws ConfigException {
            VirtioMmioBus bus = VirtioMmioBus.of(machine, NAME);
            String where = opts.option() + " " + NAME;
            String drive = opts.getString("drive", null);
            if (drive == null) {
                throw new ConfigException(where + ": drive property not set");
            }
            BlockBackends backends = machine.component(BlockBackends.class);
            if (backends == null) {
                throw new ConfigException(where + ": Property '" + NAME + ".drive' can't find value '" + drive + "'");
            }
            var image = backends.attach(drive, NAME);
            String serial = opts.getString("serial", null);
            String id = opts.getString("id", drive);
            opts.checkAllUsed();
            return bus.plug(new VirtioBlk(machine, id, image, serial));
        }
    }

    /** {@code -device virtio-serial-device[,max_ports=N][,id=NAME]}. */
    public static final class Serial implements DeviceType {
        public static final String NAME = "virtio-serial-device";

        @Override
        public String name() {
            return NAME;
        }

        @Override
        public String bus() {
            return "virtio-bus";
        }

        @Override
        public String category() {
            return "Input devices";
        }

        @Override
        public String description() {
            return "virtio console/serial device in a virtio-mmio slot";
        }

        @Override
        public List<PropertyInfo> properties() {
            return List.of(new PropertyInfo("max_ports", "uint32", "31", "number of ports"));
        }

        @Override
        public Device create(Machine machine, Opts opts) throws ConfigException {
            VirtioMmioBus bus = VirtioMmioBus.of(machine, NAME);
            long max = opts.getNumber("max_ports", 31);
            if (max < 1 || max > 31) {
                throw new ConfigException(opts.option() + " " + NAME + ": Property 'max_ports' must be between 1 and 31, got " + max);
            }
            String id = opts.getString("id", "virtio-serial");
            opts.checkAllUsed();
            VirtioSerial serial = new VirtioSerial(machine, id, (int) max);
            VirtioMmio t = bus.plug(serial);
            machine.putComponent(VirtioSerial.class, serial);
            return t;
        }
    }
}
