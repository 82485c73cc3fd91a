package org.jqemu.hw.arm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.ServiceLoader;
import org.jqemu.hw.TestMachines;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.machine.MachineType;
import org.jqemu.system.options.ConfigException;
import org.junit.jupiter.api.Test;

class VirtMachineTest {
    @Test
    void registeredAsVirtWithItsCpuModels() {
        MachineType virt = ServiceLoader.load(MachineType.class).stream().map(ServiceLoader.Provider::get)
                .filter(t -> t.name().equals("virt")).findFirst().orElseThrow();
        assertEquals(List.of("cortex-a57", "max"), virt.cpuModels());
        assertEquals(8, virt.maxCpus());
        assertEquals("QEMU 7.2 ARM Virtual Machine", virt.description());
    }

    @Test
    void unknownCpuModelAndGicVersionAreConfigErrors() {
        Machine m = TestMachines.newMachine();
        m.config().cpuModel = "cortex-a15";
        ConfigException e = assertThrows(ConfigException.class, () -> new VirtMachine().build(m));
        assertEquals("unable to find CPU model 'cortex-a15'", e.getMessage());

        Machine m2 = TestMachines.newMachine();
        m2.config().machineOpts.put("gic-version", "3");
        e = assertThrows(ConfigException.class, () -> new VirtMachine().build(m2));
        assertTrue(e.getMessage().contains("gic-version=3"), e.getMessage());
    }

    @Test
    void withoutAKernelTheBoardSaysThereIsNothingToBoot() {
        Machine m = TestMachines.newMachine();
        ConfigException e = assertThrows(ConfigException.class, () -> new VirtMachine().build(m));
        assertTrue(e.getMessage().startsWith("-machine virt: no -kernel given"), e.getMessage());
    }
}
