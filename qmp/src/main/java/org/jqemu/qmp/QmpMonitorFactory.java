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
 * Starts a machine's QMP monitors: {@code -qmp}/{@code -qmp-pretty} sockets on netty, and
 * {@code -mon chardev=ID,mode=control} on existing chardevs. Commands run on the machine's main
 * loop (without the machine lock), as QEMU runs them in its main loop.
 */
public final class QmpMonitorFactory implements MonitorFactory {
    @Override
    public Monitor start(Machine machine, List<MonitorSpec> specs, Consumer<String> info) throws ConfigException {
        QmpMonitor qmp = new QmpMonitor(machine, machine.mainLoop()::postUnlocked);
        Running running = new Running(machine);
        try {
            for (MonitorSpec spec : specs) {
                if (spec.mode() != MonitorSpec.Mode.CONTROL) {
                    throw new ConfigException(spec.option() + ": mode=readline (HMP) is not supported yet");
                }
                if (spec.socket() != null) {
                    QmpSocketServer s = QmpSocketServer.open(qmp, running.group(), spec.option(), spec.socket(),
                            spec.pretty(), info);
                    running.servers.add(s);
                    qmp.addEndpoint(new QmpMonitor.Endpoint("compat_monitor" + (running.servers.size() - 1),
                            s.filename() + ",server=on"));
                } else {
                    Chardev c = machine.chardev(spec.chardev());
                    if (c == null) {
                        throw new ConfigException(spec.option() + ": chardev '" + spec.chardev() + "' not found");
                    }
                    new ChardevQmp(qmp, c, spec.pretty()).start();
                }
            }
        } catch (ConfigException | RuntimeException e) {
            running.close();
            throw e;
        }
        return running;
    }

    /** The servers of one machine and their shared event loop. */
    private static final class Running implements Monitor {
        private final Machine machine;
        private final List<QmpSocketServer> servers = new ArrayList<>();
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
