package org.jqemu.system.monitor;

import java.util.List;
import java.util.function.Consumer;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.options.ConfigException;

/**
 * Creates the monitors ({@code -qmp}, {@code -mon}) of a machine. Implemented by the qmp module and
 * found with {@link java.util.ServiceLoader}, so the system module does not depend on it.
 */
public interface MonitorFactory {
    /**
     * Starts the monitors {@code specs} describe, after the machine's chardevs exist and before the
     * board is built. A server socket with {@code wait=on} blocks here until its first client
     * connects, telling {@code info} where it waits.
     *
     * @return closed by {@code Main} after the VM has ended, so last replies and events are flushed
     */
    Monitor start(Machine machine, List<MonitorSpec> specs, Consumer<String> info) throws ConfigException;

    /** Running monitors; {@link #close()} flushes what they still have to send and stops them. */
    interface Monitor extends AutoCloseable {
        @Override
        void close();
    }
}
