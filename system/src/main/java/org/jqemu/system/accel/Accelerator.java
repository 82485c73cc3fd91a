package org.jqemu.system.accel;

import org.jqemu.system.cpu.Cpu;
import org.jqemu.system.cpu.CpuExecutor;
import org.jqemu.system.machine.Machine;

/**
 * An engine that runs guest CPUs: {@code tcg} (software) or {@code kvm} (/dev/kvm). Found with
 * {@link java.util.ServiceLoader}; {@code -accel kvm -accel tcg} tries them in order.
 */
public interface Accelerator {
    String name();

    String description();

    /**
     * Prepares this engine for a machine, before the board is built. Throws with the text QEMU
     * prints (without the "-accel NAME:" prefix, which the caller adds) when it cannot run here.
     */
    void init(Machine machine) throws AcceleratorException;

    /** An executor for one of the machine's CPUs, after the board has created them. */
    CpuExecutor createExecutor(Machine machine, Cpu cpu);
}
