package org.jqemu.system.machine;

/** Hears run-state changes (what QMP turns into STOP, RESUME, RESET, SHUTDOWN events). */
public interface MachineListener {
    default void stopped() {}

    default void resumed() {}

    default void reset(ShutdownCause cause) {}

    default void shutdown(ShutdownCause cause) {}
}
