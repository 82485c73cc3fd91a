package org.jqemu.accel.kvm;

import java.util.Set;
import org.jqemu.system.cpu.Cpu;
import org.jqemu.system.machine.Machine;

/**
 * The architecture half of the {@code kvm} accelerator (found with {@link java.util.ServiceLoader};
 * x86 lives in {@code org.jqemu.target.i386.kvm}). KVM only runs guests of the host's own
 * architecture, so the glue is chosen by the host's {@code os.arch} when the accelerator starts —
 * before the board exists, because in-kernel interrupt controllers must be created before the
 * board wires its devices to them and before any vCPU.
 */
public interface KvmArchitecture {
    /** True when this glue runs guests on a host whose {@code os.arch} is {@code osArch}. */
    boolean supportsHost(String osArch);

    /** Capabilities the glue cannot work without; init fails naming the first one missing. */
    Set<KvmCap> requiredCapabilities();

    /**
     * Sets up VM-wide state before the board is built: in-kernel irqchip and timer, and whatever
     * the board must find in {@code machine} (e.g. {@link KvmIrqChip} as a component). Throws
     * IllegalArgumentException, with a message for the user, for a configuration KVM cannot run.
     */
    void setupVm(KvmVm vm, Machine machine);

    /** True for the CPU objects this glue can hand to KVM. */
    boolean supports(Cpu cpu);

    /** Creates the KVM vCPU for {@code cpu}, with CPUID and the register glue in place. */
    KvmVcpu createVcpu(KvmVm vm, Machine machine, Cpu cpu);
}
