package org.jqemu.system.machine;

/** Hears run-state changes (what QMP turns into STOP, RESUME, RESET, SHUTDOWN, POWERDOWN, DEVICE_DELETED events). */
public interface MachineListener {
    default void stopped() {}

    default void resumed() {}

    default void reset(ShutdownCause cause) {}

    default void shutdown(ShutdownCause cause) {}

    /** The host pressed the (ACPI) power button: QMP's POWERDOWN. */
    default void powerdown() {}

    /** A device was unplugged: QMP's DEVICE_DELETED ({@code id} null for a device without one). */
    default void deviceDeleted(String id, String path) {}
}
