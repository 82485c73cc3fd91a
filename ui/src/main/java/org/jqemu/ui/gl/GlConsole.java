package org.jqemu.ui.gl;

import org.jqemu.system.machine.Machine;
import org.jqemu.system.options.ConfigException;
import org.jqemu.system.options.Opts;

/** Placeholder replaced below. */
public final class GlConsole {
    private GlConsole() {}

    public static void start(Machine machine, Opts opts) throws ConfigException {
        throw new ConfigException(opts.option() + ": not supported yet");
    }
}
