package org.jqemu.system.testing;

import java.util.List;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.machine.MachineType;
import org.jqemu.system.options.ConfigException;

/** A board with nothing on it, for command-line tests; reads its one property "flavour". */
public final class TestBoard implements MachineType {
    @Override
    public String name() {
        return "test-board";
    }

    @Override
    public String description() {
        return "Empty board for tests";
    }

    @Override
    public List<String> aliases() {
        return List.of("tb");
    }

    @Override
    public boolean isDefault() {
        return true;
    }

    @Override
    public int maxCpus() {
        return 2;
    }

    @Override
    public List<String> cpuModels() {
        return List.of("test-cpu", "other-cpu");
    }

    @Override
    public void build(Machine machine) throws ConfigException {
        machine.config().machineOpts.getString("flavour", "plain");
    }
}
