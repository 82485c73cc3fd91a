package org.jqemu.qmp;

import org.jqemu.system.cli.Listings;
import org.jqemu.system.machine.ShutdownCause;

/**
 * The human monitor's commands that {@code human-monitor-command} understands so far, with
 * QEMU's HMP names and output (lines end in CRLF). A full HMP on a terminal is separate work.
 */
final class Hmp {
    private Hmp() {}

    private static final String HELP = ""
            + "cont|c  -- resume emulation\r\n"
            + "help|? [cmd] -- show the help\r\n"
            + "info [subcommand] -- show various information about the system state\r\n"
            + "quit|q  -- quit the emulator\r\n"
            + "stop|s  -- stop emulation\r\n"
            + "system_powerdown  -- send system power down event\r\n"
            + "system_reset  -- reset the system\r\n";

    private static final String INFO_HELP = ""
            + "info name  -- show the current VM name\r\n"
            + "info status  -- show the current VM status (running|paused)\r\n"
            + "info version  -- show the version of QEMU\r\n";

    /** Runs one HMP command line; returns what HMP would print. */
    static String execute(QmpCall c, String line) throws QmpException {
        String[] words = line.trim().split("\\s+");
        String cmd = words[0];
        switch (cmd) {
            case "" -> {
                return "";
            }
            case "help", "?" -> {
                return HELP;
            }
            case "info" -> {
                return info(c, words.length > 1 ? words[1] : null);
            }
            case "stop", "s" -> c.machine().pause();
            case "cont", "c" -> {
                try {
                    StandardCommands.cont(c);
                } catch (QmpException e) {
                    return e.getMessage() + "\r\n";
                }
            }
            case "system_reset" -> c.machine().requestReset(ShutdownCause.HOST_QMP_SYSTEM_RESET);
            case "system_powerdown" -> {
                try {
                    StandardCommands.systemPowerdown(c);
                } catch (QmpException e) {
                    return e.getMessage() + "\r\n";
                }
            }
            case "quit", "q" -> c.afterReply(() -> c.machine().requestShutdown(ShutdownCause.HOST_QMP_QUIT));
            default -> {
                return "unknown command: '" + cmd + "'\r\n";
            }
        }
        return "";
    }

    private static String info(QmpCall c, String what) {
        if (what == null) {
            return INFO_HELP;
        }
        return switch (what) {
            case "status" -> switch (c.monitor().state()) {
                case RUNNING -> "VM status: running\r\n";
                case PAUSED -> "VM status: paused\r\n";
                case PRELAUNCH -> "VM status: paused (prelaunch)\r\n";
                case SHUTDOWN -> "VM status: paused (shutdown)\r\n";
            };
            case "version" -> Listings.VERSION + " (jqemu)\r\n";
            case "name" -> c.machine().config().name == null ? "" : c.machine().config().name + "\r\n";
            default -> "unknown command: 'info " + what + "'\r\n";
        };
    }
}
