package org.jqemu.accel.tcg;

import org.jqemu.system.accel.Accelerator;
import org.jqemu.system.cpu.Cpu;
import org.jqemu.system.cpu.CpuExecutor;
import org.jqemu.system.machine.Machine;

/** {@code -accel tcg}: jqemu's own CPU engine, which runs on any host. */
public final class TcgAccelerator implements Accelerator {
    @Override
    public String name() {
        return "tcg";
    }

    @Override
    public String description() {
        return "Tiny Code Generator (software CPU engine)";
    }

    @Override
    public void init(Machine machine) {
        // Software emulation needs nothing from the host.
    }

    @Override
    public CpuExecutor createExecutor(Machine machine, Cpu cpu) {
        if (!(cpu instanceof TcgCpu tcg)) {
            throw new IllegalArgumentException(cpu.getClass().getSimpleName() + " cannot run under tcg");
        }
        return new CpuExecutor() {
            @Override
            public int run() {
                return tcg.execute();
            }

            @Override
            public void kick() {
                tcg.requestExit();
            }
        };
    }
}
