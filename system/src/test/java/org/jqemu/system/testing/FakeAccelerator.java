package org.jqemu.system.testing;

import org.jqemu.system.accel.Accelerator;
import org.jqemu.system.accel.AcceleratorException;
import org.jqemu.system.cpu.Cpu;
import org.jqemu.system.cpu.CpuExecutor;
import org.jqemu.system.machine.Machine;

/**
 * Accelerators for tests of the selection logic: "tcg" always works; "kvm" fails as the real
 * one does on a host without /dev/kvm (the real one is tested in the accel module).
 */
public abstract class FakeAccelerator implements Accelerator {
    @Override
    public String description() {
        return "fake " + name();
    }

    @Override
    public CpuExecutor createExecutor(Machine machine, Cpu cpu) {
        throw new UnsupportedOperationException("test boards have no CPUs");
    }

    public static final class Tcg extends FakeAccelerator {
        @Override
        public String name() {
            return "tcg";
        }

        @Override
        public void init(Machine machine) {}
    }

    public static final class Kvm extends FakeAccelerator {
        @Override
        public String name() {
            return "kvm";
        }

        @Override
        public void init(Machine machine) throws AcceleratorException {
            throw new AcceleratorException("Could not access KVM kernel module: No such file or directory",
                    "failed to initialize kvm: No such file or directory");
        }
    }
}
