package org.jqemu.qmp;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.jqemu.system.cli.Listings;
import org.jqemu.system.cpu.Cpu;
import org.jqemu.system.machine.ShutdownCause;

/**
 * The human monitor's commands jqemu has so far, with QEMU's HMP names, help lines and output
 * (lines end in CRLF). Used by {@code human-monitor-command} and by HMP terminals
 * ({@code -monitor}, {@code -mon mode=readline}, Ctrl-A c under -nographic).
 */
final class Hmp {
    private Hmp() {}

    /** One command: its names ("cont|c"), argument synopsis and help text. */
    private record Command(String names, String args, String help) {
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
            new Command("cont|c", "", "resume emulation"),
            new Command("help|?", "[cmd]", "show the help"),
            new Command("info", "[subcommand]", "show various information about the system state"),
            new Command("quit|q", "", "quit the emulator"),
            new Command("stop|s", "", "stop emulation"),
            new Command("system_powerdown", "", "send system power down event"),
            new Command("system_reset", "", "reset the system"),
            new Command("xp", "/fmt addr", "physical memory dump starting at 'addr'"));

    private static final List<Command> INFO = List.of(
            new Command("info chardev", "", "show the character devices"),
            new Command("info cpus", "", "show infos for each CPU"),
            new Command("info kvm", "", "show KVM information"),
            new Command("info name", "", "show the current VM name"),
            new Command("info status", "", "show the current VM status (running|paused)"),
            new Command("info uuid", "", "show the current VM UUID"),
            new Command("info version", "", "show the version of QEMU"));

    /** Runs one HMP command line; returns what HMP prints. */
    static String execute(QmpCall c, String line) {
        String trimmed = line.trim();
        int space = indexOfSpace(trimmed);
        String cmd = space < 0 ? trimmed : trimmed.substring(0, space);
        String args = space < 0 ? "" : trimmed.substring(space + 1).trim();
        try {
            switch (cmd) {
                case "" -> {
                    return "";
                }
                case "help", "?" -> {
                    return help(args);
                }
                case "info" -> {
                    return info(c, args);
                }
                case "stop", "s" -> c.machine().pause();
                case "cont", "c" -> StandardCommands.cont(c);
                case "system_reset" -> c.machine().requestReset(ShutdownCause.HOST_QMP_SYSTEM_RESET);
                case "system_powerdown" -> StandardCommands.systemPowerdown(c);
                case "quit", "q" -> c.afterReply(() -> c.machine().requestShutdown(ShutdownCause.HOST_QMP_QUIT));
                case "xp" -> {
                    try {
                        return MemoryDump.xp(c.machine(), args);
                    } catch (MemoryDump.BadArgument e) {
                        return e.getMessage() + "\r\nTry \"help xp\" for more information\r\n";
                    }
                }
                default -> {
                    return "unknown command: '" + cmd + "'\r\n";
                }
            }
        } catch (QmpException e) {
            return "Error: " + e.getMessage() + "\r\n";
        }
        return "";
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

    private static String info(QmpCall c, String what) {
        return switch (what) {
            case "" -> help("info");
            case "status" -> switch (c.monitor().state()) {
                case RUNNING -> "VM status: running\r\n";
                case PAUSED -> "VM status: paused\r\n";
                case PRELAUNCH -> "VM status: paused (prelaunch)\r\n";
                case SHUTDOWN -> "VM status: paused (shutdown)\r\n";
            };
            case "version" -> Listings.VERSION + " (jqemu)\r\n";
            case "name" -> c.machine().config().name == null ? "" : c.machine().config().name + "\r\n";
            case "uuid" -> "00000000-0000-0000-0000-000000000000\r\n";
            case "kvm" -> {
                var accel = c.machine().accelerator();
                yield "kvm support: " + (accel != null && accel.name().equals("kvm") ? "enabled" : "disabled") + "\r\n";
            }
            case "cpus" -> {
                StringBuilder out = new StringBuilder();
                for (Cpu cpu : c.machine().cpus()) {
                    out.append(cpu.index() == 0 ? '*' : ' ').append(" CPU #").append(cpu.index())
                            .append(": thread_id=").append(HostThreads.nativeId("vcpu-" + cpu.index())).append("\r\n");
                }
                yield out.toString();
            }
            case "chardev" -> {
                StringBuilder out = new StringBuilder();
                for (JsonNode ch : StandardCommands.chardevs(c)) {
                    out.append(ch.get("label").asText()).append(": filename=").append(ch.get("filename").asText())
                            .append("\r\n");
                }
                yield out.toString();
            }
            default -> "unknown command: 'info " + what + "'\r\n";
        };
    }
}
