package org.jqemu.qmp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jqemu.system.block.BlockBackends;
import org.jqemu.system.block.BlockImage;
import org.jqemu.system.cli.Listings;
import org.jqemu.system.cpu.Cpu;
import org.jqemu.system.device.Device;
import org.jqemu.system.machine.ShutdownCause;
import org.jqemu.system.memory.AddressSpace;
import org.jqemu.system.memory.FlatRange;

/**
 * The human monitor's commands, with QEMU's HMP names, help lines and output (lines end in
 * CRLF). Used by {@code human-monitor-command} and by HMP terminals ({@code -monitor},
 * {@code -mon mode=readline}, Ctrl-A c under -nographic). Commands that have a QMP twin run it,
 * so both monitors behave alike.
 */
final class Hmp {
    private Hmp() {}

    /** What a command does with its argument text; returns what HMP prints ("" for nothing). */
    @FunctionalInterface
    private interface Action {
        String run(QmpCall c, String args) throws QmpException, MemoryDump.BadArgument;
    }

    /** One command: its names ("cont|c"), argument synopsis, help text and action. */
    private record Command(String names, String args, String help, Action action) {
        boolean matches(String name) {
            for (String n : names.split("\\|")) {
                if (n.equals(name)) {
                    return true;
                }
            }
            return false;
        }

        String helpLine() {
            return names + " " + args + " -- " + help + "\r\n";
        }
    }

    private static final List<Command> COMMANDS = List.of(
            new Command("cont|c", "", "resume emulation", (c, a) -> {
                StandardCommands.cont(c);
                return "";
            }),
            new Command("device_add", "driver[,prop=value][,...]", "add device, like -device on the command line",
                    (c, a) -> qmp(c, "device_add", Devices.deviceAddArgs(a))),
            new Command("device_del", "device", "remove device", (c, a) -> {
                ObjectNode o = Json.object();
                o.put("id", a.trim());
                return qmp(c, "device_del", o);
            }),
            new Command("help|?", "[cmd]", "show the help", (c, a) -> help(a.trim())),
            new Command("info", "[subcommand]", "show various information about the system state",
                    (c, a) -> info(c, a.trim())),
            new Command("memsave", "addr size file",
                    "save to disk virtual memory dump starting at 'addr' of size 'size'",
                    (c, a) -> save(c, "memsave", a)),
            new Command("pmemsave", "addr size file",
                    "save to disk physical memory dump starting at 'addr' of size 'size'",
                    (c, a) -> save(c, "pmemsave", a)),
            new Command("quit|q", "", "quit the emulator", (c, a) -> {
                c.afterReply(() -> c.machine().requestShutdown(ShutdownCause.HOST_QMP_QUIT));
                return "";
            }),
            new Command("screendump", "filename [-f format]", "save screen from the display as PPM (or PNG with -f png)",
                    Hmp::screendump),
            new Command("sendkey", "keys [hold_ms]",
                    "send keys to the VM (e.g. 'sendkey ctrl-alt-f1', default hold time=100 ms)", Hmp::sendkey),
            new Command("set_link", "name on|off", "change the link status of a network adapter", NetCommands::hmpSetLink),
            new Command("stop|s", "", "stop emulation", (c, a) -> {
                c.machine().pause();
                return "";
            }),
            new Command("system_powerdown", "", "send system power down event", (c, a) -> {
                StandardCommands.systemPowerdown(c);
                return "";
            }),
            new Command("system_reset", "", "reset the system", (c, a) -> {
                c.machine().requestReset(ShutdownCause.HOST_QMP_SYSTEM_RESET);
                return "";
            }),
            new Command("x", "/fmt addr", "virtual memory dump starting at 'addr'",
                    (c, a) -> MemoryDump.x(c.machine(), cpu(c), a)),
            new Command("xp", "/fmt addr", "physical memory dump starting at 'addr'",
                    (c, a) -> MemoryDump.xp(c.machine(), c.machine().cpus().isEmpty() ? null : cpu(c), a)));

    private static final List<Command> INFO = List.of(
            new Command("info block", "", "show the block devices", (c, a) -> infoBlock(c)),
            new Command("info chardev", "", "show the character devices", (c, a) -> infoChardev(c)),
            new Command("info cpus", "", "show infos for each CPU", (c, a) -> infoCpus(c)),
            new Command("info kvm", "", "show KVM information", (c, a) -> {
                var accel = c.machine().accelerator();
                return "kvm support: " + (accel != null && accel.name().equals("kvm") ? "enabled" : "disabled") + "\r\n";
            }),
            new Command("info mtree", "", "show memory tree", (c, a) -> infoMtree(c)),
            new Command("info name", "", "show the current VM name",
                    (c, a) -> c.machine().config().name == null ? "" : c.machine().config().name + "\r\n"),
            new Command("info network", "", "show the network state", (c, a) -> infoNetwork(c)),
            new Command("info pci", "", "show PCI info", (c, a) -> Devices.infoPci(c)),
            new Command("info qtree", "", "show device tree", (c, a) -> infoQtree(c)),
            new Command("info registers", "[-a]", "show the cpu registers", Hmp::infoRegisters),
            new Command("info status", "", "show the current VM status (running|paused)", (c, a) ->
                    switch (c.monitor().state()) {
                        case RUNNING -> "VM status: running\r\n";
                        case PAUSED -> "VM status: paused\r\n";
                        case PRELAUNCH -> "VM status: paused (prelaunch)\r\n";
                        case SHUTDOWN -> "VM status: paused (shutdown)\r\n";
                    }),
            new Command("info uuid", "", "show the current VM UUID", (c, a) -> "00000000-0000-0000-0000-000000000000\r\n"),
            new Command("info version", "", "show the version of QEMU", (c, a) -> Listings.VERSION + " (jqemu)\r\n"));

    /** Command names, then "info" subcommand names, for the terminal's tab completion. */
    static List<String> commandNames() {
        List<String> names = new ArrayList<>();
        for (Command cmd : COMMANDS) {
            names.addAll(List.of(cmd.names().split("\\|")));
        }
        return names;
    }

    static List<String> infoNames() {
        List<String> names = new ArrayList<>();
        for (Command cmd : INFO) {
            names.add(cmd.names().substring("info ".length()));
        }
        return names;
    }

    /** Runs one HMP command line; returns what HMP prints. */
    static String execute(QmpCall c, String line) {
        String trimmed = line.trim();
        int space = indexOfSpace(trimmed);
        String name = space < 0 ? trimmed : trimmed.substring(0, space);
        String args = space < 0 ? "" : trimmed.substring(space + 1).trim();
        if (name.isEmpty()) {
            return "";
        }
        for (Command cmd : COMMANDS) {
            if (cmd.matches(name)) {
                try {
                    return cmd.action().run(c, args);
                } catch (QmpException e) {
                    return "Error: " + e.getMessage() + "\r\n";
                } catch (MemoryDump.BadArgument e) {
                    return e.getMessage() + "\r\nTry \"help " + name + "\" for more information\r\n";
                }
            }
        }
        return "unknown command: '" + name + "'\r\n";
    }

    private static int indexOfSpace(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (Character.isWhitespace(s.charAt(i))) {
                return i;
            }
        }
        return -1;
    }

    private static String help(String name) {
        StringBuilder out = new StringBuilder();
        if (name.isEmpty()) {
            COMMANDS.forEach(cmd -> out.append(cmd.helpLine()));
            return out.toString();
        }
        if (name.equals("info")) {
            INFO.forEach(cmd -> out.append(cmd.helpLine()));
            return out.toString();
        }
        for (Command cmd : COMMANDS) {
            if (cmd.matches(name)) {
                return cmd.helpLine();
            }
        }
        return "unknown command: '" + name + "'\r\n";
    }

    private static String info(QmpCall c, String what) throws QmpException, MemoryDump.BadArgument {
        if (what.isEmpty()) {
            return help("info");
        }
        int space = indexOfSpace(what);
        String sub = space < 0 ? what : what.substring(0, space);
        String args = space < 0 ? "" : what.substring(space + 1).trim();
        for (Command cmd : INFO) {
            if (cmd.names().equals("info " + sub)) {
                return cmd.action().run(c, args);
            }
        }
        return "unknown command: 'info " + sub + "'\r\n";
    }

    /** Runs the QMP command {@code name}; HMP prints nothing on success, the error otherwise. */
    private static String qmp(QmpCall c, String name, ObjectNode args) throws QmpException {
        QmpCommand cmd = c.monitor().command(name);
        if (cmd == null) {
            throw QmpException.generic("this jqemu has no '" + name + "'");
        }
        SchemaType.checkMembers(cmd.args(), args, "");
        QmpCall inner = new QmpCall(c.monitor(), c.session(), args);
        JsonNode r = cmd.handler().run(inner);
        inner.afterReplyActions().forEach(c::afterReply);
        return r.isTextual() ? r.asText() : "";
    }

    /**
     * The monitor's current CPU: human-monitor-command's {@code cpu-index}, else the first, as
     * QEMU's default.
     */
    static Cpu cpu(QmpCall c) throws QmpException {
        List<Cpu> cpus = c.machine().cpus();
        long index = c.integer("cpu-index", 0);
        if (index < 0 || index >= cpus.size()) {
            throw QmpException.generic(cpus.isEmpty() ? "No CPU available" : "Invalid CPU index " + index);
        }
        return cpus.get((int) index);
    }

    private static String infoRegisters(QmpCall c, String args) throws QmpException {
        List<Cpu> which = args.equals("-a") ? c.machine().cpus() : List.of(cpu(c));
        StringBuilder out = new StringBuilder();
        for (Cpu cpu : which) {
            String dump = cpu.dumpRegisters();
            out.append("\r\nCPU#").append(cpu.index()).append("\r\n"); // QEMU 7.2 heads even one CPU's dump
            out.append(dump == null ? "no register dump for this CPU\n" : dump);
        }
        return out.toString().replace("\r\n", "\n").replace("\n", "\r\n");
    }

    private static String infoCpus(QmpCall c) {
        StringBuilder out = new StringBuilder();
        for (Cpu cpu : c.machine().cpus()) {
            out.append(cpu.index() == 0 ? '*' : ' ').append(" CPU #").append(cpu.index())
                    .append(": thread_id=").append(HostThreads.nativeId("vcpu-" + cpu.index())).append("\r\n");
        }
        return out.toString();
    }

    private static String infoChardev(QmpCall c) {
        StringBuilder out = new StringBuilder();
        for (JsonNode ch : StandardCommands.chardevs(c)) {
            out.append(ch.get("label").asText()).append(": filename=").append(ch.get("filename").asText())
                    .append("\r\n");
        }
        return out.toString();
    }

    /** QEMU's short form: "drive0 (#block123): disk.img (raw)" and its attributes. */
    private static String infoBlock(QmpCall c) {
        BlockBackends b = c.machine().component(BlockBackends.class);
        if (b == null || b.nodes().isEmpty()) {
            return "";
        }
        StringBuilder out = new StringBuilder();
        for (Map.Entry<String, BlockImage> e : b.nodes().entrySet()) {
            BlockImage img = e.getValue();
            out.append(e.getKey()).append(": ").append(img.path()).append(" (").append(img.format()).append(img.readOnly() ? ", read-only" : "")
                    .append(")\r\n    Cache mode:       writeback\r\n\r\n");
        }
        return out.toString();
    }

    /** QEMU's layout: each NIC (-device/-nic with netdev=) and, indented, the netdev behind it. */
    private static String infoNetwork(QmpCall c) {
        StringBuilder out = new StringBuilder();
        var config = c.machine().config();
        int index = 0;
        for (var dev : config.devices) {
            String netdev = dev.getString("netdev", null);
            if (netdev == null) {
                continue;
            }
            String driver = dev.getString("driver", "?");
            out.append(dev.getString("id", driver + "." + index)).append(": index=").append(index)
                    .append(",type=nic,model=").append(driver);
            String mac = dev.getString("mac", null);
            if (mac != null) {
                out.append(",macaddr=").append(mac);
            }
            out.append("\r\n");
            for (var nd : config.netdevs) {
                if (netdev.equals(nd.getString("id", null))) {
                    out.append(" \\ ").append(netdev).append(": index=0,type=").append(nd.getString("type", "?"))
                            .append("\r\n");
                }
            }
            index++;
        }
        return out.toString();
    }

    /** The devices of the machine, one line each (jqemu's devices sit on one level, not a bus tree). */
    private static String infoQtree(QmpCall c) {
        StringBuilder out = new StringBuilder("bus: main-system-bus\r\n  type System\r\n");
        for (Device d : c.machine().devices()) {
            out.append("  dev: ").append(Devices.typeName(d)).append(", id \"").append(d.id()).append("\"\r\n");
        }
        return out.toString();
    }

    /** The flattened views of both address spaces, as QEMU's {@code info mtree -f}. */
    private static String infoMtree(QmpCall c) {
        StringBuilder out = new StringBuilder();
        flatView(out, c.machine().memory(), "memory");
        flatView(out, c.machine().io(), "I/O");
        return out.toString();
    }

    private static void flatView(StringBuilder out, AddressSpace as, String name) {
        out.append("FlatView #").append(name.equals("memory") ? 0 : 1).append("\r\n AS \"").append(name)
                .append("\", root: ").append(as.root().name()).append("\r\n Root memory region: ")
                .append(as.root().name()).append("\r\n");
        for (FlatRange r : as.flatView()) {
            String kind = switch (r.region()) {
                case org.jqemu.system.memory.RamRegion ram -> ram.readOnly() ? "rom" : "ram";
                default -> "i/o";
            };
            out.append("  ").append(addr(r.start())).append('-').append(addr(r.end() - 1)).append(" (prio 0, ")
                    .append(kind).append("): ").append(r.region().name());
            if (r.regionOffset() != 0) {
                out.append(" @").append(addr(r.regionOffset()));
            }
            out.append("\r\n");
        }
        out.append("\r\n");
    }

    private static String addr(long a) {
        return String.format("%016x", a); // QEMU prints I/O ports with 16 digits too
    }

    /** memsave/pmemsave ADDR SIZE FILE: the QMP command with HMP's positional arguments. */
    private static String save(QmpCall c, String qmpName, String args) throws QmpException, MemoryDump.BadArgument {
        String[] parts = args.trim().split("\\s+", 3);
        if (parts.length < 3 || parts[2].isEmpty()) {
            throw new MemoryDump.BadArgument(parts.length < 2 ? "unexpected end of expression" : "missing filename");
        }
        ObjectNode o = Json.object();
        o.put("val", HmpExpression.evaluate(parts[0], c.machine().cpus().isEmpty() ? null : cpu(c)));
        o.put("size", MemoryDump.parseAddress(parts[1]));
        String file = parts[2].trim();
        if (file.length() >= 2 && file.startsWith("\"") && file.endsWith("\"")) {
            file = file.substring(1, file.length() - 1);
        }
        o.put("filename", file);
        return qmp(c, qmpName, o);
    }

    /** screendump FILE [-f ppm|png], as QEMU's HMP (format flag before or after the file name). */
    private static String screendump(QmpCall c, String args) throws QmpException, MemoryDump.BadArgument {
        String file = null;
        String format = null;
        String[] words = args.trim().split("\\s+");
        for (int i = 0; i < words.length; i++) {
            if (words[i].equals("-f") && i + 1 < words.length) {
                format = words[++i];
            } else if (!words[i].isEmpty() && file == null) {
                file = words[i];
            }
        }
        if (file == null) {
            throw new MemoryDump.BadArgument("missing filename");
        }
        ObjectNode o = Json.object();
        o.put("filename", file);
        if (format != null) {
            o.put("format", format);
        }
        return qmp(c, "screendump", o);
    }

    /** sendkey KEYS [HOLD_MS]: KEYS are QEMU's key names joined by '-' ("ctrl-alt-f1"). */
    private static String sendkey(QmpCall c, String args) throws QmpException, MemoryDump.BadArgument {
        String[] parts = args.trim().split("\\s+");
        if (parts[0].isEmpty()) {
            throw new MemoryDump.BadArgument("missing key");
        }
        if (c.monitor().command("send-key") == null) {
            throw QmpException.generic("this machine has no keyboard to send keys to");
        }
        ObjectNode o = Json.object();
        var keys = o.putArray("keys");
        for (String k : parts[0].split("-")) {
            if (k.isEmpty()) {
                continue;
            }
            ObjectNode key = keys.addObject();
            if (k.startsWith("0x")) {
                key.put("type", "number");
                key.put("data", Integer.parseInt(k.substring(2), 16));
            } else {
                key.put("type", "qcode");
                key.put("data", k);
            }
        }
        if (parts.length > 1) {
            o.put("hold-time", (int) MemoryDump.parseAddress(parts[1]));
        }
        return qmp(c, "send-key", o);
    }
}
