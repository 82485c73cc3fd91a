package org.jqemu.system.device;

import java.util.List;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.options.ConfigException;
import org.jqemu.system.options.Opts;

/**
 * A device model that {@code -device NAME,...} can create. Found with
 * {@link java.util.ServiceLoader}; {@code -device help} lists them by {@link #category()}.
 */
public interface DeviceType {
    String name();

    /** The bus it plugs into ("isa", "pci", "sysbus", ...), shown as QEMU shows "bus X". */
    String bus();

    /** QEMU's listing groups: "Input devices", "Misc devices", "Network devices", ... */
    String category();

    String description();

    List<PropertyInfo> properties();

    /** True when the machine must supply it and users cannot add it with -device. */
    default boolean userCreatable() {
        return true;
    }

    /**
     * Creates, wires and registers the device. Bad or unknown properties are a
     * {@link ConfigException} naming them ({@link Opts#checkAllUsed()}).
     */
    Device create(Machine machine, Opts opts) throws ConfigException;
}
