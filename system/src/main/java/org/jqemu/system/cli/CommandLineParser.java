package org.jqemu.system.cli;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jqemu.system.cli.CommandLine.Info;
import org.jqemu.system.cli.CommandLine.Kind;
import org.jqemu.system.log.LogCategory;
import org.jqemu.system.machine.MachineConfig;
import org.jqemu.system.monitor.MonitorSpec;
import org.jqemu.system.options.ConfigException;
import org.jqemu.system.options.Opts;
import org.jqemu.system.options.Sizes;

/**
 * Turns QEMU-style arguments ({@code -opt value} or {@code --opt value}, values in
 * {@code key=value,...} syntax) into a {@link MachineConfig}. Only syntax and single-option checks
 * happen here; whether a machine, device or accelerator exists is decided once they are looked up.
 *
 * <p>Options that later work will implement are recognised and refused with "not supported yet",
 * so nothing a user asks for is silently ignored.
 */
public final class CommandLineParser {
    /** Options we implement, and whether each takes an argument. */
    private static final Map<String, Boolean> SUPPORTED = Map.ofEntries(
            Map.entry("h", false), Map.entry("help", false), Map.entry("version", false),
            Map.entry("machine", true), Map.entry("M", true), Map.entry("accel", true),
            Map.entry("enable-kvm", false), Map.entry("cpu", true), Map.entry("m", true),
            Map.entry("smp", true), Map.entry("kernel", true), Map.entry("initrd", true),
            Map.entry("append", true), Map.entry("bios", true), Map.entry("device", true),
            Map.entry("chardev", true), Map.entry("serial", true), Map.entry("nographic", false),
            Map.entry("display", true), Map.entry("nic", true), Map.entry("net", true),
            Map.entry("vga", true), Map.entry("monitor", true), Map.entry("parallel", true),
            Map.entry("nodefaults", false), Map.entry("S", false), Map.entry("no-reboot", false),
            Map.entry("no-shutdown", false), Map.entry("name", true), Map.entry("d", true),
            Map.entry("D", true), Map.entry("no-user-config", false), Map.entry("nodefconfig", false),
            Map.entry("qmp", true), Map.entry("qmp-pretty", true), Map.entry("mon", true),
            Map.entry("drive", true), Map.entry("blockdev", true), Map.entry("netdev", true),
            Map.entry("vnc", true));

    /** QEMU options that later issues implement: refused clearly rather than ignored. */
    private static final Set<String> LATER = Set.of(
            "icount", "gdb", "s",
            "mem-path", "mem-prealloc", "virtfs", "fsdev", "usb", "usbdevice", "boot", "snapshot",
            "hda", "hdb", "hdc", "hdd", "cdrom", "fda", "fdb", "mtdblock", "sd", "pflash",
            "full-screen", "sdl", "curses", "spice", "global", "object", "numa", "rtc", "action",
            "watchdog-action", "incoming", "loadvm", "daemonize", "pidfile", "runas", "chroot",
            "sandbox", "trace", "plugin", "semihosting", "semihosting-config", "L", "fw_cfg",
            "smbios", "acpitable", "debugcon", "audiodev", "audio", "soundhw", "k", "no-acpi",
            "no-hpet", "readconfig", "writeconfig", "option-rom", "singlestep", "one-insn-per-tb",
            "seed", "iscsi", "tpmdev", "compat", "overcommit", "msg", "add-fd", "dtb",
            "mem-share", "old-param", "g", "portrait", "rotate", "alt-grab", "ctrl-grab",
            "no-frame", "no-quit", "win2k-hack", "xen-domid", "preconfig", "qtest", "qtest-log",
            "machine-properties", "set", "uuid", "watchdog", "echr", "virtioconsole",
            "show-cursor", "tb-size", "rtc-td-hack", "no-fd-bootchk", "kernel-irqchip",
            "async-teardown", "run-with", "xen-attach");

    private final MachineConfig config = new MachineConfig();
    private Info info;
    private boolean machineAccelGiven;
    private boolean accelOptionGiven;

    private CommandLineParser() {}

    public static CommandLine parse(String... args) throws ConfigException {
        return new CommandLineParser().run(args);
    }

    private CommandLine run(String[] args) throws ConfigException {
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("-") || arg.equals("-")) {
                throw new ConfigException("-hda " + arg + ": not supported yet");
            }
            String name = arg.startsWith("--") ? arg.substring(2) : arg.substring(1);
            Boolean takesArg = SUPPORTED.get(name);
            if (takesArg == null) {
                throw new ConfigException(LATER.contains(name) ? arg + ": not supported yet" : arg + ": invalid option");
            }
            String value = null;
            if (takesArg) {
                if (i + 1 >= args.length) {
                    throw new ConfigException(arg + ": requires an argument");
                }
                value = args[++i];
            }
            apply(name, "-" + name, value);
            if (info != null && (info.kind() == Kind.USAGE || info.kind() == Kind.VERSION)) {
                break; // QEMU prints these the moment it meets them
            }
        }
        if (machineAccelGiven && accelOptionGiven) {
            throw new ConfigException("The -accel and \"-machine accel=\" options are incompatible");
        }
        if (config.nographic) {
            config.displayNone = true;
        }
        defaultVga();
        return new CommandLine(config, info);
    }

    private void request(Kind kind, String argument) {
        if (info == null) {
            info = new Info(kind, argument);
        }
    }

    private void apply(String name, String opt, String value) throws ConfigException {
        String where = value == null ? opt : opt + " " + value;
        switch (name) {
            case "h", "help" -> request(Kind.USAGE, null);
            case "version" -> request(Kind.VERSION, null);
            case "machine", "M" -> machine(where, value);
            case "accel" -> accel(where, value);
            case "enable-kvm" -> {
                accelOptionGiven = true;
                config.accels.add(new Opts(opt, Map.of("accel", "kvm")));
            }
            case "cpu" -> {
                if (value.equals("help")) {
                    request(Kind.CPUS, null);
                } else {
                    config.cpuModel = value;
                }
            }
            case "m" -> memory(where, value);
            case "smp" -> smp(where, value);
            case "kernel" -> config.kernel = value;
            case "initrd" -> config.initrd = value;
            case "append" -> config.append = value;
            case "bios" -> config.bios = value;
            case "device" -> device(where, value);
            case "drive" -> DriveOptions.drive(config, where, value);
            case "blockdev" -> DriveOptions.blockdev(config, where, value);
            case "netdev" -> DriveOptions.netdev(config, where, value);
            case "chardev" -> chardev(where, value);
            case "serial" -> config.serials.add(value);
            case "nographic" -> config.nographic = true;
            case "display" -> display(where, value);
            case "nic", "net" -> {
                if (value.equals("none")) {
                    config.nicNone = true;
                } else if (name.equals("nic")) {
                    DriveOptions.nic(config, where, value);
                } else {
                    throw new ConfigException(where + ": not supported yet (use -nic or -netdev with -device)");
                }
            }
            case "monitor" -> monitor(where, value);
            case "vga" -> vga(where, value);
            case "vnc" -> config.vnc = Opts.parse(where, value, "vnc");
            case "parallel" -> {
                // "none" asks for nothing, which is what jqemu has; anything else is later work.
                if (!value.equals("none")) {
                    throw new ConfigException(where + ": not supported yet");
                }
            }
            case "nodefaults" -> {
                config.nodefaults = true;
                config.defaultMonitor = false;
            }
            case "S" -> config.startPaused = true;
            case "no-reboot" -> config.noReboot = true;
            case "no-shutdown" -> config.noShutdown = true;
            case "name" -> name(where, value);
            case "d" -> logItems(where, value);
            case "D" -> config.logFile = value;
            case "qmp", "qmp-pretty" -> qmp(where, value, name.equals("qmp-pretty"));
            case "mon" -> mon(where, value);
            case "no-user-config", "nodefconfig" -> {
                // jqemu reads no configuration files, so there is nothing to turn off.
            }
            default -> throw new IllegalStateException("option table and switch disagree: " + name);
        }
    }

    private void machine(String where, String value) throws ConfigException {
        Opts o = Opts.parse(where, value, "type");
        String type = o.getString("type", null);
        if ("help".equals(type) || (type == null && o.has("help"))) {
            request(Kind.MACHINES, null);
            return;
        }
        if (o.has("help")) {
            throw new ConfigException(where + ": not supported yet");
        }
        if (type != null) {
            config.machineType = type;
        }
        String accel = o.getString("accel", null);
        if (accel != null) {
            machineAccelGiven = true;
            for (String a : accel.split(":", -1)) {
                if (a.equals("help")) {
                    request(Kind.ACCELERATORS, null);
                }
                // No option location: QEMU reports these failures without "-machine ...:".
                config.accels.add(new Opts("", Map.of("accel", a)));
            }
        }
        // -machine may be given several times; later properties add to earlier ones.
        Opts merged = config.machineOpts;
        for (var e : o.asMap().entrySet()) {
            if (!e.getKey().equals("type") && !e.getKey().equals("accel")) {
                merged = withEntry(merged, where, e.getKey(), e.getValue());
            }
        }
        config.machineOpts = merged;
    }

    private static Opts withEntry(Opts base, String where, String key, String value) {
        var m = new java.util.LinkedHashMap<>(base.asMap());
        m.put(key, value);
        return new Opts(where, m);
    }

    private void accel(String where, String value) throws ConfigException {
        Opts o = Opts.parse(where, value, "accel");
        String name = o.requireString("accel");
        if (name.equals("help")) {
            request(Kind.ACCELERATORS, null);
            return;
        }
        // tcg and kvm take properties in QEMU (thread=, kernel-irqchip=...); none is implemented.
        o.checkAllUsed();
        accelOptionGiven = true;
        config.accels.add(o);
    }

    private void memory(String where, String value) throws ConfigException {
        Opts o = Opts.parse(where, value, "size");
        String size = o.getString("size", null);
        if (o.has("slots") || o.has("maxmem")) {
            throw new ConfigException(where + ": memory hotplug (slots=, maxmem=) is not supported yet");
        }
        o.checkAllUsed();
        if (size == null) {
            throw new ConfigException(where + ": missing 'size' option value");
        }
        // A plain number is in MiB, as in QEMU.
        long bytes = Sizes.parse(size, 1L << 20);
        if (bytes <= 0) {
            throw new ConfigException(where + ": Invalid size");
        }
        config.ramSize = bytes;
    }

    private void smp(String where, String value) throws ConfigException {
        Opts o = Opts.parse(where, value, "cpus");
        long cpus = number(o, where, "cpus", 0);
        long sockets = number(o, where, "sockets", 0);
        long dies = number(o, where, "dies", 1);
        long cores = number(o, where, "cores", 0);
        long threads = number(o, where, "threads", 1);
        long maxcpus = number(o, where, "maxcpus", 0);
        o.checkAllUsed();
        // QEMU 7.2 still accepts an explicit 0 (it means "compute it") but calls it deprecated.
        for (String key : List.of("cpus", "sockets", "dies", "cores", "threads", "maxcpus")) {
            String v = o.getString(key, null);
            if (v != null && number(o, where, key, 0) == 0) {
                config.warnings.add("Deprecated CPU topology (considered invalid): CPU topology parameters must be greater than zero");
                break;
            }
        }
        long topology = Math.max(sockets, 1) * dies * Math.max(cores, 1) * threads;
        if (cpus == 0) {
            cpus = maxcpus != 0 ? maxcpus : topology;
        }
        if (maxcpus != 0 && maxcpus != cpus) {
            throw new ConfigException(where + ": CPU hotplug (maxcpus= above cpus=) is not supported yet");
        }
        if (cpus < 1 || cpus > 4096) {
            throw new ConfigException(where + ": Invalid number of CPUs " + cpus);
        }
        // The missing counts as QEMU (6.2 and later machine types) fills them: cores before sockets.
        sockets = sockets > 0 ? sockets : cores > 0 ? Math.max(1, cpus / (cores * dies * threads)) : 1;
        if (cores == 0) {
            cores = Math.max(1, cpus / (sockets * dies * threads));
        }
        // Without CPU hotplug maxcpus is cpus, and QEMU wants the hierarchy to match it exactly.
        if (sockets * dies * cores * threads != cpus) {
            throw new ConfigException(where + ": Invalid CPU topology: product of the hierarchy must match maxcpus: sockets ("
                    + sockets + ") * dies (" + dies + ") * cores (" + cores + ") * threads (" + threads
                    + ") != maxcpus (" + cpus + ")");
        }
        config.smp = (int) cpus;
        config.smpSockets = (int) sockets;
        config.smpCores = (int) (cores * dies);
        config.smpThreads = (int) threads;
    }

    private static long number(Opts o, String where, String key, long def) throws ConfigException {
        String v = o.getString(key, null);
        if (v == null) {
            return def;
        }
        try {
            long n = Opts.parseNumber(v);
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new ConfigException(where + ": Parameter 'smp." + key + "' expects integer");
    }

    private void device(String where, String value) throws ConfigException {
        Opts o = Opts.parse(where, value, "driver");
        String driver = o.getString("driver", null);
        if ("help".equals(driver) || (driver == null && o.has("help"))) {
            request(Kind.DEVICES, null);
            return;
        }
        if (driver == null) {
            throw new ConfigException(where + ": Parameter 'driver' is missing");
        }
        if (o.has("help")) {
            request(Kind.DEVICE_PROPERTIES, driver);
            return;
        }
        config.devices.add(o);
    }

    private void chardev(String where, String value) throws ConfigException {
        Opts o = Opts.parse(where, value, "backend");
        if ("help".equals(o.asMap().get("backend")) || (!o.has("backend") && o.has("help"))) {
            request(Kind.CHARDEVS, null);
            return;
        }
        config.chardevs.add(o);
    }

    private void display(String where, String value) throws ConfigException {
        Opts o = Opts.parse(where, value, "type");
        String type = o.getString("type", "");
        switch (type) {
            case "help" -> request(Kind.DISPLAYS, null);
            case "none" -> {
                o.checkAllUsed();
                config.displayNone = true;
            }
            case "gl" -> {
                config.display = o;
                config.displayNone = false;
            }
            case "sdl", "gtk", "curses", "cocoa", "dbus", "egl-headless", "spice-app" ->
                    throw new ConfigException(where + ": not supported yet");
            default -> throw new ConfigException(where + ": Parameter 'type' does not accept value '" + type + "'");
        }
    }

    /** {@code -vga std|none}: the board adds QEMU's standard VGA ({@code -device VGA}) or nothing. */
    private void vga(String where, String value) throws ConfigException {
        switch (value) {
            case "std", "none" -> config.vga = value;
            case "help" -> throw new ConfigException(where + ": available: std, none");
            case "cirrus", "vmware", "qxl", "virtio", "xenfb", "tcx", "cg3" ->
                    throw new ConfigException(where + ": not supported yet");
            default -> throw new ConfigException(where + ": unknown vga type: " + value + " (std, none)");
        }
    }

    /**
     * QEMU's default VGA: std unless -vga, -nodefaults or a -device VGA says otherwise. Like QEMU,
     * -nographic keeps it: nothing shows it, but the guest sees the same PCI slots as under QEMU
     * (VGA at 00:02.0) and screendump still works.
     */
    private void defaultVga() {
        if (config.vga != null) {
            return;
        }
        boolean deviceVga = config.devices.stream().anyMatch(o -> "VGA".equals(o.asMap().get("driver")));
        config.vga = config.nodefaults || deviceVga ? "none" : "std";
    }

    private void name(String where, String value) throws ConfigException {
        Opts o = Opts.parse(where, value, "guest");
        String guest = o.getString("guest", null);
        o.getString("process", null); // the host process name: cosmetic, kept by QEMU for ps
        if (o.has("debug-threads")) {
            o.getBool("debug-threads", false); // our threads are always named
        }
        o.checkAllUsed();
        config.name = guest;
    }

    /**
     * {@code -qmp DEV}: unix:/tcp: are monitor servers (several clients at once); anything else is
     * a chardev in -serial syntax. Checked when the monitor starts.
     */
    private void qmp(String where, String value, boolean pretty) throws ConfigException {
        config.defaultMonitor = false;
        boolean server = value.startsWith("unix:") || value.startsWith("tcp:");
        config.monitors.add(new MonitorSpec(where, server ? null : compatMonitorId(), value, MonitorSpec.Mode.CONTROL,
                pretty));
    }

    /** {@code -monitor DEV}: HMP on a chardev in -serial syntax; "none" only drops the default. */
    private void monitor(String where, String value) {
        config.defaultMonitor = false;
        if (!value.equals("none")) {
            config.monitors.add(new MonitorSpec(where, compatMonitorId(), value, MonitorSpec.Mode.READLINE, false));
        }
    }

    /** QEMU's ids for the chardevs of -monitor and -qmp: compat_monitor0, 1, ... */
    private String compatMonitorId() {
        int n = 0;
        for (MonitorSpec m : config.monitors) {
            if (m.device() != null) {
                n++;
            }
        }
        return "compat_monitor" + n;
    }

    /** {@code -mon [chardev=]ID[,mode=readline|control][,pretty=on|off]}. */
    private void mon(String where, String value) throws ConfigException {
        Opts o = Opts.parse(where, value, "chardev");
        String chardev = o.getString("chardev", null);
        String mode = o.getString("mode", "readline");
        boolean pretty = o.getBool("pretty", false);
        o.checkAllUsed();
        if (chardev == null) {
            throw new ConfigException(where + ": Parameter 'chardev' is missing");
        }
        MonitorSpec.Mode m = switch (mode) {
            case "control" -> MonitorSpec.Mode.CONTROL;
            case "readline" -> MonitorSpec.Mode.READLINE;
            default -> throw new ConfigException(where + ": Parameter 'mode' does not accept value '" + mode + "'");
        };
        config.defaultMonitor = false;
        config.monitors.add(new MonitorSpec(where, chardev, null, m, pretty));
    }

    private void logItems(String where, String value) throws ConfigException {
        for (String item : value.split(",")) {
            if (item.equals("help")) {
                request(Kind.LOG_ITEMS, null);
                continue;
            }
            if (item.startsWith("trace:")) {
                throw new ConfigException(where + ": trace events are not supported yet");
            }
            LogCategory c = LogCategory.byName(item);
            if (c == null) {
                throw new ConfigException(where + ": unknown log item '" + item + "' (-d help lists them)");
            }
            config.logCategories.add(c);
        }
    }
}
