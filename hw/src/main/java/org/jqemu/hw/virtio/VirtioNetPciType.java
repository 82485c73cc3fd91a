package org.jqemu.hw.virtio;

import java.util.List;
import org.jqemu.hw.pci.PciBus;
import org.jqemu.system.device.Device;
import org.jqemu.system.device.DeviceType;
import org.jqemu.system.device.PropertyInfo;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.net.NetBackend;
import org.jqemu.system.net.NetBackends;
import org.jqemu.system.options.ConfigException;
import org.jqemu.system.options.Opts;

/**
 * {@code -device virtio-net-pci,netdev=ID[,mac=52:54:00:12:34:56][,addr=SLOT[.FN]][,id=NAME]};
 * {@link Mmio} is {@code virtio-net-device} for virtio-mmio slots.
 */
public final class VirtioNetPciType implements DeviceType {
    public static final String NAME = "virtio-net-pci";
    /** PCI class 02 00 00: Ethernet controller. */
    static final int CLASS_ETHERNET = 0x020000;

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
        return "Network devices";
    }

    @Override
    public String description() {
        return "virtio network device over modern virtio-pci";
    }

    @Override
    public List<PropertyInfo> properties() {
        return List.of(
                new PropertyInfo("netdev", "str", null, "ID of a netdev to use as a backend"),
                new PropertyInfo("mac", "str", null, "MAC address, default 52:54:00:12:34:56 plus the NIC's index"),
                new PropertyInfo("addr", "int32", "-1", "slot and function number, as SLOT[.FN]"));
    }

    @Override
    public Device create(Machine machine, Opts opts) throws ConfigException {
        PciBus bus = PciBus.of(machine, NAME);
        String where = opts.option() + " " + NAME;
        VirtioNet net = build(machine, opts, where, NAME);
        int devfn = PciBus.parseAddr(opts, NAME);
        opts.checkAllUsed();
        VirtioPci pci = new VirtioPci(net, bus, devfn, CLASS_ETHERNET);
        machine.addDevice(pci);
        return pci;
    }

    static VirtioNet build(Machine machine, Opts opts, String where, String type) throws ConfigException {
        String netdev = opts.getString("netdev", null);
        NetBackend backend = null;
        NetBackends nets = machine.component(NetBackends.class);
        if (netdev != null) {
            if (nets == null) {
                throw new ConfigException(where + ": Property '" + type + ".netdev' can't find value '" + netdev + "'");
            }
            backend = nets.attach(netdev, type);
        }
        int index = (int) machine.devices().stream().filter(VirtioNetPciType::isNet).count();
        String macText = opts.getString("mac", null);
        byte[] mac = macText == null ? VirtioNet.defaultMac(index) : parseMac(where, macText);
        String deviceId = opts.getString("id", null);
        VirtioNet net = new VirtioNet(machine, deviceId != null ? deviceId : "net" + index, backend, mac);
        if (nets != null) {
            nets.addNic(deviceId, type, net); // a name for set_link
        }
        return net;
    }

    private static boolean isNet(Device d) {
        return (d instanceof VirtioPci p && p.device() instanceof VirtioNet)
                || (d instanceof VirtioMmio m && m.device() instanceof VirtioNet);
    }

    static byte[] parseMac(String where, String text) throws ConfigException {
        String[] parts = text.split("[:-]", -1);
        byte[] mac = new byte[6];
        try {
            if (parts.length != 6) {
                throw new NumberFormatException();
            }
            for (int i = 0; i < 6; i++) {
                if (parts[i].length() != 2) {
                    throw new NumberFormatException();
                }
                mac[i] = (byte) Integer.parseInt(parts[i], 16);
            }
        } catch (NumberFormatException e) {
            throw new ConfigException(where + ": Property 'mac' doesn't take value '" + text + "'");
        }
        return mac;
    }

    /** {@code -device virtio-net-device,netdev=ID[,mac=...]} in a virtio-mmio slot. */
    public static final class Mmio implements DeviceType {
        public static final String NAME = "virtio-net-device";

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
            return "Network devices";
        }

        @Override
        public String description() {
            return "virtio network device in a virtio-mmio slot";
        }

        @Override
        public List<PropertyInfo> properties() {
            return List.of(
                    new PropertyInfo("netdev", "str", null, "ID of a netdev to use as a backend"),
                    new PropertyInfo("mac", "str", null, "MAC address"));
        }

        @Override
        public Device create(Machine machine, Opts opts) throws ConfigException {
            VirtioMmioBus bus = VirtioMmioBus.of(machine, NAME);
            VirtioNet net = build(machine, opts, opts.option() + " " + NAME, NAME);
            opts.checkAllUsed();
            return bus.plug(net);
        }
    }
}
