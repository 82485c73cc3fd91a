package org.jqemu.qmp;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.jqemu.system.chardev.Chardev;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.monitor.MonitorFactory;
import org.jqemu.system.monitor.MonitorSpec;
import org.jqemu.system.options.ConfigException;

/**
 * Starts a machine's monitors: {@code -qmp unix:/tcp:} servers on netty; QMP
 * ({@code -qmp DEV}, {@code -mon mode=control}) and HMP ({@code -monitor DEV},
 * {@code -mon mode=readline}, the -nographic terminal) on chardevs. Commands run on the machine's main
 * loop (without the machine lock), as QEMU runs them in its main loop.
 */
public final class QmpMonitorFactory implements MonitorFactory {
    @Override
    public Monitor start(Machine machine, List<MonitorSpec> specs, Consumer<String> info) throws ConfigException {
        QmpMonitor qmp = new QmpMonitor(machine, machine.mainLoop()::postUnlocked);
        Running running = new Running(machine);
        try {
            for (MonitorSpec spec : specs) {
                if (spec.isServerSocket()) {
                    QmpSocketServer s = QmpSocketServer.open(qmp, running.group(), spec.option(), spec.device(),
                            spec.pretty(), info);
                    running.servers.add(s);
                    qmp.addEndpoint(new QmpMonitor.Endpoint(compatLabel(specs, spec), s.filename() + ",server=on"));
                } else {
                    Chardev c = machine.chardev(spec.chardev());
                    if (c == null) {
                        throw new ConfigException(spec.option() + ": chardev '" + spec.chardev() + "' not found");
                    }
                    if (spec.mode() == MonitorSpec.Mode.CONTROL) {
                        new ChardevQmp(qmp, c, spec.pretty()).start();
                    } else {
                        HmpTerminal hmp = new HmpTerminal(qmp, c);
                        running.terminals.add(hmp);
                        hmp.start();
                    }
                }
            }
        } catch (ConfigException | RuntimeException e) {
            running.close();
            throw e;
        }
        return running;
    }

    /** QEMU's label of a -qmp/-monitor: compat_monitorN, numbered in command-line order. */
    private static String compatLabel(List<MonitorSpec> specs, MonitorSpec spec) {
        int n = 0;
        for (MonitorSpec s : specs) {
            if (s == spec) {
                break;
            }
            if (s.device() != null) {
                n++;
            }
        }
        return "compat_monitor" + n;
    }

    /** The servers of one machine and their shared event loop. */
    private static final class Running implements Monitor {
        private final Machine machine;
        private final List<QmpSocketServer> servers = new ArrayList<>();
        private final List<HmpTerminal> terminals = new ArrayList<>();
        private EventLoopGroup group;

        Running(Machine machine) {
            this.machine = machine;
        }

        EventLoopGroup group() {
            if (group == null) {
                // Two threads: one client's large input never delays everyone else's replies.
                group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
            }
            return group;
        }

        @Override
        public void close() {
            for (QmpSocketServer s : servers) {
                s.close();
            }
            servers.clear();
            terminals.forEach(HmpTerminal::close); // a tty gets its mode back
            terminals.clear();
            if (group != null) {
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(2, TimeUnit.SECONDS);
                group = null;
            }
        }

        @Override
        public String toString() {
            return "QMP monitors of " + machine;
        }
    }
}
