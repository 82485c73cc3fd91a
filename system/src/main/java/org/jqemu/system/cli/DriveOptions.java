package org.jqemu.system.cli;

import java.util.Map;
import org.jqemu.system.machine.MachineConfig;
import org.jqemu.system.options.ConfigException;
import org.jqemu.system.options.Opts;

/**
 * {@code -drive} and {@code -blockdev} as far as jqemu has block devices: raw images, and
 * {@code if=virtio} (a virtio-blk-pci device for the drive, as QEMU's "virtio" interface is on
 * PCI boards) or {@code if=none} (a backend that a {@code -device ...,drive=ID} picks up).
 * Opening the files happens later, when the machine is built. {@code -netdev} is here too: a
 * backend that {@code -device ...,netdev=ID} picks up.
 */
final class DriveOptions {
    private DriveOptions() {}

    static void drive(MachineConfig config, String where, String value) throws ConfigException {
        Opts o = Opts.parse(where, value, null);
        String iface = o.asMap().getOrDefault("if", "ide");
        switch (iface) {
            case "virtio", "none" -> {}
            case "ide", "scsi", "floppy", "pflash", "mtd", "sd", "xen" -> throw new ConfigException(where
                    + ": if=" + iface + " is not supported yet (if=virtio works" + (o.has("if") ? ")" : "; QEMU's default here is ide)"));
            default -> throw new ConfigException(where + ": unsupported bus type '" + iface + "'");
        }
        if (o.has("snapshot")) {
            throw new ConfigException(where + ": snapshot= is not supported yet");
        }
        if (!o.has("id")) {
            int n = 0;
            for (Opts d : config.drives) {
                if (iface.equals(d.asMap().getOrDefault("if", "ide"))) {
                    n++;
                }
            }
            o.put("id", iface + n);
        }
        config.drives.add(o);
        if (iface.equals("virtio")) {
            config.devices.add(new Opts("-drive", Map.of("driver", "virtio-blk-pci", "drive", o.asMap().get("id"))));
        }
    }

    static void blockdev(MachineConfig config, String where, String value) throws ConfigException {
        if (value.startsWith("{")) {
            throw new ConfigException(where + ": the JSON form of -blockdev is not supported yet");
        }
        Opts o = Opts.parse(where, value, null);
        if (!o.has("driver")) {
            throw new ConfigException(where + ": Parameter 'driver' is missing");
        }
        if (!o.has("node-name")) {
            throw new ConfigException(where + ": A block device must be given a name (node-name) at the top level");
        }
        config.blockdevs.add(o);
    }

    /** Separates several {@code hostfwd=} rules, which QEMU accepts repeatedly, in one Opts value. */
    static final String LIST_SEPARATOR = "\n"; // NetBackends splits on it

    /**
     * Parses netdev options keeping every {@code hostfwd=} (Opts keeps one value per key): they
     * are joined with {@link #LIST_SEPARATOR}.
     */
    private static Opts parseWithHostfwds(String where, String value) throws ConfigException {
        Opts o = Opts.parse(where, value, "type");
        java.util.List<String> rules = new java.util.ArrayList<>();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?:^|,)hostfwd=([^,]*)").matcher(value);
        while (m.find()) {
            rules.add(m.group(1));
        }
        if (rules.size() > 1) {
            o.put("hostfwd", String.join(LIST_SEPARATOR, rules));
        }
        return o;
    }

    static void netdev(MachineConfig config, String where, String value) throws ConfigException {
        Opts o = parseWithHostfwds(where, value);
        if ("help".equals(o.asMap().get("type"))) {
            throw new ConfigException(where + ": available netdev backend types: socket stream dgram tap user");
        }
        if (!o.has("type")) {
            throw new ConfigException(where + ": Parameter 'type' is missing");
        }
        if (!o.has("id")) {
            throw new ConfigException(where + ": Parameter 'id' is missing");
        }
        config.netdevs.add(o);
    }

    /**
     * {@code -nic TYPE[,model=M][,mac=A][,backend options]}: a netdev plus its NIC in one option.
     * The default model is virtio-net-pci — QEMU's is e1000 on a PC, which jqemu does not have.
     */
    static void nic(MachineConfig config, String where, String value) throws ConfigException {
        Opts o = parseWithHostfwds(where, value);
        if (!o.has("type")) {
            throw new ConfigException(where + ": Parameter 'type' is missing");
        }
        String type = o.asMap().get("type");
        if (!java.util.List.of("socket", "stream", "dgram", "tap", "user").contains(type)) {
            throw new ConfigException(where + ": netdev type '" + type + "' is not supported yet");
        }
        String model = o.asMap().getOrDefault("model", "virtio-net-pci");
        if (model.equals("virtio")) {
            model = "virtio-net-pci";
        }
        String mac = o.asMap().get("mac");
        String id = o.asMap().getOrDefault("id", "__org.qemu.nic" + config.netdevs.size());
        var netdev = new java.util.LinkedHashMap<>(o.asMap());
        netdev.remove("model");
        netdev.remove("mac");
        netdev.put("id", id);
        config.netdevs.add(new Opts(where, netdev));
        var device = new java.util.LinkedHashMap<String, String>();
        device.put("driver", model);
        device.put("netdev", id);
        if (mac != null) {
            device.put("mac", mac);
        }
        config.devices.add(new Opts(where, device));
    }
}
