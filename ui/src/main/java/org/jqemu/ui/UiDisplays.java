package org.jqemu.ui;

import org.jqemu.system.machine.Machine;
import org.jqemu.system.machine.MachineConfig;
import org.jqemu.system.options.ConfigException;
import org.jqemu.system.ui.DisplayFactory;
import org.jqemu.ui.vnc.VncServer;

/** Starts {@code -vnc} and {@code -display gl} for a machine (found by Main with ServiceLoader). */
public final class UiDisplays implements DisplayFactory {
    @Override
    public void start(Machine machine) throws ConfigException {
        MachineConfig config = machine.config();
        if (config.vnc != null) {
            VncServer.start(machine, config.vnc);
        }
        if (config.display != null) {
            org.jqemu.ui.gl.GlConsole.start(machine, config.display);
        }
    }
}
