package org.jqemu.system.machine;

import java.util.List;
import org.jqemu.system.options.ConfigException;

/**
 * A board: a recipe that creates the CPUs, memory map and devices of one kind of machine.
 * Found with {@link java.util.ServiceLoader}; {@code -machine help} lists them.
 */
public interface MachineType {
    String name();

    String description();

    default List<String> aliases() {
        return List.of();
    }

    /** The machine used when {@code -machine} names none. */
    default boolean isDefault() {
        return false;
    }

    default long defaultRamSize() {
        return 128L << 20;
    }

    default int maxCpus() {
        return 1;
    }

    /** The {@code -cpu} models this board accepts, the default first; {@code -cpu help} lists them. */
    default List<String> cpuModels() {
        return List.of();
    }

    /** Builds the board into {@code machine} (after the accelerator initialised). */
    void build(Machine machine) throws ConfigException;
}
