package org.jqemu.system.machine;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.jqemu.system.log.LogCategory;
import org.jqemu.system.options.Opts;

/**
 * Everything the command line says about one VM, already checked for syntax. Boards and devices
 * read it; the CLI ({@code org.jqemu.system.cli}) fills it; tests may fill it directly.
 */
public final class MachineConfig {
    /** -machine type; null means the default machine type. */
    public String machineType;
    /** The other -machine properties (type and accel removed). */
    public Opts machineOpts = new Opts("-machine", java.util.Map.of());
    /** Accelerators to try, in order (from accel= and -accel); empty means "tcg". */
    public final List<Opts> accels = new ArrayList<>();
    /** -cpu model (with its properties); null means the board's default. */
    public String cpuModel;
    /** -m in bytes; 0 means the board's default. */
    public long ramSize;
    public int smp = 1;
    /** Warnings about deprecated but accepted options, printed once the command line is parsed. */
    public final List<String> warnings = new ArrayList<>();
    /** -smp topology: sockets x cores x threads (dies count as more sockets' worth of cores here). */
    public int smpSockets = 1;
    public int smpCores = 1;
    public int smpThreads = 1;
    public String kernel;
    public String initrd;
    public String append;
    public String bios;
    public final List<Opts> devices = new ArrayList<>();
    public final List<Opts> chardevs = new ArrayList<>();
    /** -drive options, each with its id filled in; if=virtio ones also added a device. */
    public final List<Opts> drives = new ArrayList<>();
    /** -blockdev options. */
    public final List<Opts> blockdevs = new ArrayList<>();
    /** -netdev options. */
    public final List<Opts> netdevs = new ArrayList<>();
    /** -serial values in order (COM1, COM2, ...): "stdio", "null", "file:PATH", "chardev:ID", "mon:stdio". */
    public final List<String> serials = new ArrayList<>();
    public boolean nographic;
    /** -vga: "std" or "none"; null (tests filling the config directly) means none. */
    public String vga;
    /** -vnc options ("vnc" holds the display: ":N", "HOST:N", "unix:PATH"), or null. */
    public Opts vnc;
    /** -display gl options, or null for no local window. */
    public Opts display;
    public boolean displayNone;
    public boolean nicNone;
    public boolean nodefaults;
    public boolean startPaused;
    public boolean noReboot;
    public boolean noShutdown;
    public String name;
    /**
     * False once -monitor, -qmp, -mon or -nodefaults is given: -nographic then puts no HMP on the
     * terminal (Ctrl-A c), as in QEMU.
     */
    public boolean defaultMonitor = true;
    /** -qmp, -qmp-pretty, -monitor and -mon, in command-line order. */
    public final List<org.jqemu.system.monitor.MonitorSpec> monitors = new ArrayList<>();
    public final Set<LogCategory> logCategories = EnumSet.noneOf(LogCategory.class);
    public String logFile;
}
