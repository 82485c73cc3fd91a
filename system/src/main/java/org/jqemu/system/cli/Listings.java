package org.jqemu.system.cli;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jqemu.system.accel.Accelerator;
import org.jqemu.system.chardev.ChardevFactory;
import org.jqemu.system.device.DeviceType;
import org.jqemu.system.device.PropertyInfo;
import org.jqemu.system.log.LogCategory;
import org.jqemu.system.machine.MachineType;
import org.jqemu.system.options.ConfigException;

/** The "help" listings, in QEMU's layout so that scripts reading QEMU's output read ours. */
public final class Listings {
    public static final String VERSION = "0.1.0";

    /** QEMU's -device help groups, in its order; other categories follow, then uncategorized. */
    private static final List<String> CATEGORY_ORDER = List.of(
            "Controller/Bridge/Hub devices", "USB devices", "Storage devices", "Network devices",
            "Input devices", "Display devices", "Sound devices", "Misc devices", "CPU devices",
            "Watchdog devices");

    private Listings() {}

    public static void version(PrintStream out) {
        out.println("jqemu emulator version " + VERSION);
        out.println("Copyright (c) 2026 the jqemu developers; modelled on QEMU (Fabrice Bellard and the QEMU Project developers)");
    }

    public static void machines(PrintStream out, List<MachineType> types) {
        out.println("Supported machines are:");
        List<MachineType> sorted = new ArrayList<>(types);
        sorted.sort(Comparator.comparing(MachineType::name));
        for (MachineType t : sorted) {
            for (String alias : t.aliases()) {
                out.printf("%-20s %s (alias of %s)%n", alias, t.description(), t.name());
            }
            out.printf("%-20s %s%s%n", t.name(), t.description(), t.isDefault() ? " (default)" : "");
        }
    }

    public static void accelerators(PrintStream out, List<Accelerator> accels) {
        out.println("Accelerators supported in jqemu binary:");
        for (Accelerator a : accels) {
            out.println(a.name());
        }
    }

    public static void cpus(PrintStream out, MachineType machine) {
        out.println("Available CPUs:");
        for (String m : machine.cpuModels()) {
            out.println("  " + m);
        }
    }

    public static void chardevs(PrintStream out) {
        StringBuilder sb = new StringBuilder("Available chardev backend types: ");
        for (String b : ChardevFactory.BACKENDS) {
            sb.append("\n  ").append(b);
        }
        out.println(sb);
    }

    public static void displays(PrintStream out) {
        out.println("Available display backend types:");
        out.println("none");
        out.println("gl");
    }

    public static void logItems(PrintStream out) {
        out.println("Log items (comma separated):");
        for (LogCategory c : LogCategory.values()) {
            out.printf("%-15s %s%n", c.qemuName(), c.help());
        }
    }

    public static void devices(PrintStream out, List<DeviceType> types) {
        Map<String, List<DeviceType>> groups = new LinkedHashMap<>();
        for (String c : CATEGORY_ORDER) {
            groups.put(c, new ArrayList<>());
        }
        List<DeviceType> sorted = new ArrayList<>(types);
        sorted.sort(Comparator.comparing(DeviceType::name));
        List<DeviceType> uncategorized = new ArrayList<>();
        for (DeviceType t : sorted) {
            if (!t.userCreatable()) {
                continue;
            }
            String c = t.category();
            if (c == null || c.isEmpty()) {
                uncategorized.add(t);
            } else {
                groups.computeIfAbsent(c, k -> new ArrayList<>()).add(t);
            }
        }
        groups.put("Uncategorized devices", uncategorized);
        boolean first = true;
        for (var g : groups.entrySet()) {
            if (g.getValue().isEmpty()) {
                continue;
            }
            if (!first) {
                out.println();
            }
            first = false;
            out.println(g.getKey() + ":");
            for (DeviceType t : g.getValue()) {
                StringBuilder sb = new StringBuilder("name \"").append(t.name()).append('"');
                if (t.bus() != null && !t.bus().isEmpty()) {
                    sb.append(", bus ").append(busName(t.bus()));
                }
                if (t.description() != null && !t.description().isEmpty()) {
                    sb.append(", desc \"").append(t.description()).append('"');
                }
                out.println(sb);
            }
        }
    }

    /** QEMU names buses by their type: "ISA", "PCI", "System". */
    private static String busName(String bus) {
        return switch (bus.toLowerCase(java.util.Locale.ROOT)) {
            case "isa" -> "ISA";
            case "pci" -> "PCI";
            case "sysbus", "system" -> "System";
            default -> bus;
        };
    }

    public static void deviceProperties(PrintStream out, DeviceType type) {
        List<PropertyInfo> props = new ArrayList<>(type.properties());
        if (props.isEmpty()) {
            out.println("There are no options for " + type.name() + ".");
            return;
        }
        props.sort(Comparator.comparing(PropertyInfo::name));
        out.println(type.name() + " options:");
        for (PropertyInfo p : props) {
            StringBuilder sb = new StringBuilder("  ").append(p.name()).append("=<").append(p.type()).append('>');
            boolean hasDesc = p.description() != null;
            if (hasDesc || p.defaultValue() != null) {
                while (sb.length() < 24) {
                    sb.append(' ');
                }
                sb.append(" - ").append(hasDesc ? p.description() : "");
            }
            if (p.defaultValue() != null) {
                sb.append(" (default: ").append(p.defaultValue()).append(')');
            }
            out.println(sb);
        }
    }

    /** -device NAME,help for a name that may not exist. */
    public static void deviceProperties(PrintStream out, List<DeviceType> types, String name) throws ConfigException {
        for (DeviceType t : types) {
            if (t.name().equals(name)) {
                deviceProperties(out, t);
                return;
            }
        }
        throw new ConfigException("-device " + name + ",help: '" + name + "' is not a valid device model name");
    }

    public static void usage(PrintStream out) {
        version(out);
        out.print("""
                usage: jqemu [options]

                Standard options:
                -h or -help     display this help and exit
                -version        display version information and exit
                -machine [type=]name[,prop[=value][,...]]
                                selects emulated machine ('-machine help' for list)
                                property accel=accel1[:accel2[:...]] selects accelerator
                -M name         same as -machine name
                -accel [accel=]accelerator
                                select accelerator (kvm or tcg; 'help' for a list);
                                repeat to give fallbacks, tried in order (default: tcg)
                -enable-kvm     same as -accel kvm
                -cpu cpu        select CPU ('-cpu help' for list)
                -smp [cpus=]n[,sockets=s][,cores=c][,threads=t]
                                number of virtual CPUs
                -m [size=]megs  guest RAM size; a suffix K, M, G, T gives the unit (default: MiB)
                -name [guest=]name
                                name of the guest

                Boot options:
                -kernel bzImage use 'bzImage' (or a multiboot kernel) as kernel image
                -append cmdline use 'cmdline' as kernel command line
                -initrd file    use 'file' as initial ram disk
                -bios file      set the filename for the BIOS

                Device options:
                -device driver[,prop[=value][,...]]
                                add device (based on driver); prop=value,... sets properties;
                                '-device help' lists drivers, '-device driver,help' their properties
                -nodefaults     don't create default devices

                Block device options:
                -drive file=path[,format=raw][,if=virtio|none][,id=id][,readonly=on|off][,cache=mode]
                                a raw disk image; if=virtio adds a virtio-blk-pci for it
                -blockdev driver=raw|file,node-name=name,...
                                a block node for '-device virtio-blk-pci,drive=name'

                Network options:
                -netdev stream,id=id,addr.type=inet|unix,...   (QEMU 7.2 syntax)
                -netdev socket,id=id[,listen=[host]:port][,connect=host:port]
                -netdev socket,id=id,mcast=maddr:port[,localaddr=addr]
                -netdev socket,id=id,udp=host:port,localaddr=host:port
                -netdev dgram,id=id,local.type=inet|unix,...[,remote.type=inet|unix,...]
                                one frame per datagram; remote.host=MULTICAST makes a bus
                -netdev tap,id=id[,ifname=name][,script=file|no][,downscript=file|no]
                -netdev user,id=id[,hostfwd=tcp:[hostaddr]:hostport-[guestaddr]:guestport]
                                user networking through Debian's passt
                -nic TYPE[,...] a netdev of that type plus a virtio-net-pci
                -nic none       no network card

                Character device options:
                -chardev null,id=id
                -chardev file,id=id,path=path[,append=on|off]
                -chardev stdio,id=id[,signal=on|off]
                -chardev socket,id=id[,host=host],port=port[,server=on|off][,wait=on|off][,nodelay=on|off][,telnet=on|off]
                -chardev socket,id=id,path=path[,server=on|off][,wait=on|off]
                                any of them with mux=on to share it; '-chardev help' lists backends
                -serial dev     redirect the next serial port to char device 'dev': stdio, null, none,
                                file:path, chardev:id, mon:dev, tcp:[host]:port[,server=on,wait=off],
                                telnet:[host]:port[,server=on], unix:path[,server=on]

                Monitor options:
                -qmp dev        QMP on 'dev': unix:path,server=on[,wait=off] or
                                tcp:host:port,server=on[,wait=off] (several clients), or any -serial dev
                -qmp-pretty dev like -qmp, with indented output
                -monitor dev    human monitor (HMP) on 'dev' (-serial syntax); 'none' for none
                -mon [chardev=]id[,mode=readline|control][,pretty=on|off]
                                monitor on chardev 'id'

                Display options:
                -nographic      no display; serial port and monitor on the terminal (Ctrl-A c
                                switches, Ctrl-A h for help)
                -display none   no display
                -display gl     the guest screen in an OpenGL window (GLFW); Ctrl-Alt-G grabs
                                and releases the mouse
                -vga std|none   standard VGA with VBE (the default) or no graphics card
                -vnc :N|host:N|unix:path[,password=on]
                                VNC server on TCP port 5900+N or a unix socket; set the
                                password with QMP set_password

                Debug and run control:
                -S              freeze CPUs at startup
                -no-reboot      exit instead of rebooting
                -no-shutdown    stop before shutdown instead of exiting
                -d item1,...    enable logging of specified items ('-d help' for a list)
                -D logfile      output log to logfile (default stderr)

                During emulation with -nographic, Ctrl-A h lists the terminal escapes.
                """);
    }
}
