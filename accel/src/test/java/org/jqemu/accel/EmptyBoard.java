package org.jqemu.accel;

import org.jqemu.system.machine.Machine;
import org.jqemu.system.machine.MachineType;

/** A board with nothing on it: enough for Main to reach accelerator selection. */
public final class EmptyBoard implements MachineType {
    @Override
    public String name() {
        return "empty";
    }

    @Override
    public String description() {
        return "Empty board for accelerator tests";
    }

    @Override
    public boolean isDefault() {
        return true;
    }

    @Override
    public void build(Machine machine) {}
}
