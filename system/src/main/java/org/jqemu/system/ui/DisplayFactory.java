package org.jqemu.system.ui;

import org.jqemu.system.machine.Machine;
import org.jqemu.system.options.ConfigException;

/**
 * Starts the viewers the command line asks for ({@code -vnc}, {@code -display gl}) once the board
 * and its devices exist. Implemented by the ui module and found with
 * {@link java.util.ServiceLoader}, so the system module does not depend on it.
 */
public interface DisplayFactory {
    /** Starts what {@code machine.config()} asks for; resources close with the machine. */
    void start(Machine machine) throws ConfigException;
}
