package org.jqemu.system;

import java.io.InputStream;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import org.jqemu.system.accel.Accelerator;
import org.jqemu.system.block.BlockBackends;
import org.jqemu.system.net.NetBackends;
import org.jqemu.system.chardev.Chardev;
import org.jqemu.system.chardev.ChardevFactory;
import org.jqemu.system.cli.AcceleratorSelector;
import org.jqemu.system.cli.CommandLine;
import org.jqemu.system.cli.CommandLineParser;
import org.jqemu.system.cli.Listings;
import org.jqemu.system.cli.LoggingSetup;
import org.jqemu.system.device.DeviceType;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.machine.MachineConfig;
import org.jqemu.system.machine.MachineType;
import org.jqemu.system.machine.ShutdownCause;
import org.jqemu.system.monitor.MonitorFactory;
import org.jqemu.system.monitor.MonitorSpec;
import org.jqemu.system.options.ConfigException;
import org.jqemu.system.options.Opts;

/**
 * The {@code jqemu} command: parse the command line, build the machine it describes, run it, and
 * exit with its status. The steps, in QEMU's order:
 * <ol>
 *   <li>parse (syntax errors end here; {@code help} listings and {@code -version} print and exit 0);</li>
 *   <li>choose the machine type; create the machine, then the chardevs ({@code -chardev}, then
 *       {@code -serial} as "serial0", "serial1", ... which boards attach to their UARTs);</li>
 *   <li>initialise the first accelerator that works ({@code -accel}, {@code accel=}, default tcg);</li>
 *   <li>let the board build itself, then create {@code -device}s in command-line order;</li>
 *   <li>start, and wait for the VM to end.</li>
 * </ol>
 * Every user error is one line "jqemu: ..." and exit status 1.
 *
 * <p>{@link #run} does all of this in-process, for tests and embedding.
 */
public final class Main {
    private final InputStream in;
    private final PrintStream out;
    private final PrintStream err;
    private final boolean realTerminal;
    private volatile Machine machine;
    private volatile boolean started;
    private volatile MonitorFactory.Monitor monitors;

    private Main(InputStream in, PrintStream out, PrintStream err, boolean realTerminal) {
        this.in = in;
        this.out = out;
        this.err = err;
        this.realTerminal = realTerminal;
    }

    public static void main(String[] args) {
        Main main = new Main(System.in, System.out, System.err, true);
        main.handleSignals();
        int status = main.launch(args);
        System.out.flush();
        System.err.flush();
        System.exit(status);
    }

    /** Runs jqemu in this JVM with no input; returns the exit status. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        return run(args, InputStream.nullInputStream(), out, err);
    }

    /** Runs jqemu in this JVM; {@code in} and {@code out} stand for the terminal. */
    public static int run(String[] args, InputStream in, PrintStream out, PrintStream err) {
        return new Main(in, out, err, false).launch(args);
    }

    private int launch(String[] args) {
        try {
            return launchOrThrow(args);
        } catch (ConfigException e) {
            err.println("jqemu: " + e.getMessage());
            return fail();
        } catch (RuntimeException | Error e) {
            err.println("jqemu: internal error: " + e);
            return fail();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("jqemu: interrupted");
            return fail();
        }
    }

    private int fail() {
        Machine m = machine;
        if (m != null) {
            m.close();
        }
        closeMonitors();
        return 1;
    }

    private void closeMonitors() {
        MonitorFactory.Monitor mon = monitors;
        monitors = null;
        if (mon != null) {
            mon.close();
        }
    }

    private int launchOrThrow(String[] args) throws ConfigException, InterruptedException {
        CommandLine cl = CommandLineParser.parse(args);
        MachineConfig config = cl.config();
        if (!cl.runsVm()) {
            return printInfo(cl);
        }
        for (String w : config.warnings) {
            err.println("jqemu: warning: " + w);
        }
        LoggingSetup.configure(config.logFile);

        MachineType type = machineType(config);
        if (type == null) {
            return 1;
        }
        checkCpus(config, type);
        if (config.ramSize == 0) {
            config.ramSize = type.defaultRamSize();
        }

        Machine m = new Machine(config);
        machine = m;
        createChardevs(m, config);
        startMonitors(m, config);

        Accelerator accel = AcceleratorSelector.select(m, config.accels, load(Accelerator.class), err);
        if (accel == null) {
            return fail();
        }
        m.setAccelerator(accel);

        type.build(m);
        config.machineOpts.checkAllUsed();
        openBackends(m, config);
        createDevices(m, config);
        startDisplays(m, config);

        m.start();
        started = true;
        int status = m.awaitExit();
        closeMonitors(); // after the VM: the last replies and the SHUTDOWN event still go out
        return status;
    }

    // ---- listings ---------------------------------------------------------------------------

    private int printInfo(CommandLine cl) throws ConfigException {
        switch (cl.info().kind()) {
            case USAGE -> Listings.usage(out);
            case VERSION -> Listings.version(out);
            case MACHINES -> Listings.machines(out, load(MachineType.class));
            case ACCELERATORS -> Listings.accelerators(out, load(Accelerator.class));
            case CPUS -> {
                MachineType type = machineType(cl.config());
                if (type == null) {
                    return 1;
                }
                Listings.cpus(out, type);
            }
            case DEVICES -> Listings.devices(out, load(DeviceType.class));
            case DEVICE_PROPERTIES -> Listings.deviceProperties(out, load(DeviceType.class), cl.info().argument());
            case CHARDEVS -> Listings.chardevs(out);
            case LOG_ITEMS -> Listings.logItems(out);
            case DISPLAYS -> Listings.displays(out);
        }
        out.flush();
        return 0;
    }

    private static <T> List<T> load(Class<T> service) {
        List<T> list = new ArrayList<>();
        ServiceLoader.load(service).forEach(list::add);
        return list;
    }

    // ---- steps ------------------------------------------------------------------------------

    /** The -machine type, or the default; prints QEMU's two-line error and returns null if none. */
    private MachineType machineType(MachineConfig config) {
        List<MachineType> types = load(MachineType.class);
        String name = config.machineType;
        if (name == null) {
            for (MachineType t : types) {
                if (t.isDefault()) {
                    return t;
                }
            }
            err.println("jqemu: No machine specified, and there is no default");
        } else {
            for (MachineType t : types) {
                if (t.name().equals(name) || t.aliases().contains(name)) {
                    return t;
                }
            }
            err.println("jqemu: -machine " + name + ": unsupported machine type");
        }
        err.println("Use -machine help to list supported machines");
        return null;
    }

    private static void checkCpus(MachineConfig config, MachineType type) throws ConfigException {
        if (config.cpuModel != null && !type.cpuModels().isEmpty()) {
            String model = config.cpuModel.split(",", 2)[0];
            if (!type.cpuModels().contains(model)) {
                throw new ConfigException("unable to find CPU model '" + model + "'");
            }
        }
        if (config.smp > type.maxCpus()) {
            throw new ConfigException("Invalid SMP CPUs " + config.smp + ". The max CPUs supported by machine '"
                    + type.name() + "' is " + type.maxCpus() + " (more are not supported yet)");
        }
    }

    private void createChardevs(Machine m, MachineConfig config) throws ConfigException {
        ChardevFactory factory = new ChardevFactory(
                new ChardevFactory.Context(m.mainLoop()::post, in, out, realTerminal,
                        line -> err.println("jqemu: " + line),
                        () -> m.requestShutdown(ShutdownCause.HOST_QMP_QUIT)),
                m::chardev);
        for (Opts o : config.chardevs) {
            m.addChardev(factory.create(o));
        }
        int index = 0;
        for (String spec : config.serials) {
            Chardev c = factory.createSerial("serial" + index, spec);
            if (c != null) {
                m.addChardev(c);
                if (spec.startsWith("mon:")) { // the human monitor shares this port's terminal
                    config.monitors.add(new MonitorSpec("-serial " + spec, c.id(), null, MonitorSpec.Mode.READLINE,
                            false));
                }
                index++;
            }
        }
        for (MonitorSpec spec : config.monitors) {
            if (spec.device() != null && spec.chardev() != null) {
                Chardev c = factory.createSerial(spec.chardev(), spec.device());
                if (c == null) {
                    throw new ConfigException(spec.option() + ": 'none' is not a monitor device");
                }
                m.addChardev(c);
            }
        }
        if (config.serials.isEmpty()) {
            // QEMU's defaults: the terminal under -nographic, else a "vc" we have no window for.
            if (config.nographic) {
                m.addChardev(factory.createNographicConsole("serial0"));
                if (config.defaultMonitor) {
                    // the human monitor shares the terminal: Ctrl-A c switches to it
                    config.monitors.add(new MonitorSpec("-nographic", "serial0", null, MonitorSpec.Mode.READLINE,
                            false));
                }
            } else if (!config.nodefaults) {
                m.addChardev(factory.createSerial("serial0", "null"));
            }
        }
    }

    /** -blockdev and -drive images and -netdev backends, opened before the devices that use them. */
    private static void openBackends(Machine m, MachineConfig config) throws ConfigException {
        BlockBackends backends = new BlockBackends();
        m.putComponent(BlockBackends.class, backends);
        m.addResourceToClose(backends);
        for (Opts o : config.blockdevs) {
            backends.openBlockdev(o);
        }
        for (Opts o : config.drives) {
            backends.openDrive(o);
        }
        NetBackends nets = new NetBackends(m.mainLoop()::post);
        m.putComponent(NetBackends.class, nets);
        m.addResourceToClose(nets);
        for (Opts o : config.netdevs) {
            nets.open(o);
        }
    }

    /** -qmp / -mon: through the monitor module, found with ServiceLoader. */
    private void startMonitors(Machine m, MachineConfig config) throws ConfigException {
        if (config.monitors.isEmpty()) {
            return;
        }
        List<MonitorFactory> factories = load(MonitorFactory.class);
        if (factories.isEmpty()) {
            for (MonitorSpec spec : config.monitors) {
                // the monitors -nographic and -serial mon: add by themselves are optional
                if (!spec.option().equals("-nographic") && !spec.option().startsWith("-serial ")) {
                    throw new ConfigException(spec.option() + ": monitor support (jqemu-qmp) is not on the class path");
                }
            }
            return;
        }
        monitors = factories.get(0).start(m, config.monitors, line -> err.println("jqemu: " + line));
    }

    private static void createDevices(Machine m, MachineConfig config) throws ConfigException {
        List<DeviceType> types = load(DeviceType.class);
        for (Opts o : config.devices) {
            String driver = o.getString("driver", null);
            DeviceType type = types.stream().filter(t -> t.name().equals(driver)).findFirst().orElse(null);
            if (type == null) {
                throw new ConfigException(o.option() + ": '" + driver + "' is not a valid device model name");
            }
            if (!type.userCreatable()) {
                throw new ConfigException(o.option() + ": Parameter 'driver' expects a pluggable device type");
            }
            type.create(m, o);
        }
    }

    /** -vnc and -display gl: through the ui module, found with ServiceLoader. */
    private static void startDisplays(Machine m, MachineConfig config) throws ConfigException {
        if (config.vnc == null && config.display == null) {
            return;
        }
        List<org.jqemu.system.ui.DisplayFactory> factories = load(org.jqemu.system.ui.DisplayFactory.class);
        if (factories.isEmpty()) {
            throw new ConfigException((config.vnc != null ? "-vnc" : "-display gl")
                    + ": display support (jqemu-ui) is not on the class path");
        }
        for (org.jqemu.system.ui.DisplayFactory f : factories) {
            f.start(m);
        }
    }

    // ---- signals ----------------------------------------------------------------------------

    /** SIGINT, SIGTERM and SIGHUP end the VM cleanly, with QEMU's message. */
    @SuppressWarnings("removal")
    private void handleSignals() {
        for (String name : new String[] {"INT", "TERM", "HUP"}) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(name), sig -> {
                    err.println("jqemu: terminating on signal " + sig.getNumber());
                    Machine m = machine;
                    if (m != null && started) {
                        m.requestShutdown(ShutdownCause.HOST_SIGNAL);
                    } else {
                        System.exit(0); // e.g. still waiting for a socket client; hooks restore the tty
                    }
                });
            } catch (IllegalArgumentException e) {
                // the signal does not exist here, or the JVM reserves it
            }
        }
    }
}
