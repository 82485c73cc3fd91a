package org.jqemu.system.testing;

import org.jqemu.system.machine.Machine;
import org.jqemu.system.machine.MachineType;

/** A second board, not the default, with no CPU model list. */
public final class OtherBoard implements MachineType {
    @Override
    public String name() {
        return "other-board";
    }

    @Override
    public String description() {
        return "Another empty board";
    }

    @Override
    public void build(Machine machine) {}
}
