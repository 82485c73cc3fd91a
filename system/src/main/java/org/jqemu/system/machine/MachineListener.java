package org.jqemu.system.machine;

/** Hears run-state changes (what QMP turns into STOP, RESUME, RESET, SHUTDOWN, POWERDOWN events). */
public interface MachineListener {
    default void stopped() {}

    default void resumed() {}

    default void reset(ShutdownCause cause) {}

    default void shutdown(ShutdownCause cause) {}

    /** The host pressed the (ACPI) power button: QMP's POWERDOWN. */
    default void powerdown() {}
}
