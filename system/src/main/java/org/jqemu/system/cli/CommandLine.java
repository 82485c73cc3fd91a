package org.jqemu.system.cli;

import org.jqemu.system.machine.MachineConfig;

/**
 * What the command line asked for: a VM described by {@link #config}, or one of the listings that
 * print and exit ({@code -machine help}, {@code -device TYPE,help}, {@code -version}, ...).
 *
 * @param config the VM, when {@link #info} is null
 * @param info the first listing requested, or null to run a VM
 */
public record CommandLine(MachineConfig config, Info info) {
    /** A listing the user asked for; {@code argument} names the type for per-type help. */
    public record Info(Kind kind, String argument) {}

    public enum Kind {
        USAGE, VERSION, MACHINES, ACCELERATORS, CPUS, DEVICES, DEVICE_PROPERTIES, CHARDEVS, LOG_ITEMS, DISPLAYS
    }

    public boolean runsVm() {
        return info == null;
    }
}
