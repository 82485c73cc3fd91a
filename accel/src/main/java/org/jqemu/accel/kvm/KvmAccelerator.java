package org.jqemu.accel.kvm;

import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.jqemu.system.accel.Accelerator;
import org.jqemu.system.accel.AcceleratorException;
import org.jqemu.system.cpu.Cpu;
import org.jqemu.system.cpu.CpuExecutor;
import org.jqemu.system.machine.Machine;

/**
 * {@code -accel kvm}: hardware virtualization through /dev/kvm. This first step opens the device
 * and reports QEMU's errors when it cannot; running vCPUs through KVM_RUN is the KVM issue's work,
 * and until then an available /dev/kvm is reported as not supported yet rather than faked.
 */
public final class KvmAccelerator implements Accelerator {
    static final Path DEVICE = Path.of("/dev/kvm");

    @Override
    public String name() {
        return "kvm";
    }

    @Override
    public String description() {
        return "Kernel-based Virtual Machine (/dev/kvm)";
    }

    @Override
    public void init(Machine machine) throws AcceleratorException {
        try (var ch = Files.newByteChannel(DEVICE, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            // Opened: the device exists and we may use it.
        } catch (NoSuchFileException e) {
            throw new AcceleratorException("Could not access KVM kernel module: No such file or directory",
                    "failed to initialize kvm: No such file or directory");
        } catch (AccessDeniedException e) {
            throw new AcceleratorException("Could not access KVM kernel module: Permission denied",
                    "failed to initialize kvm: Permission denied (add your user to the group that owns "
                            + DEVICE + ", usually 'kvm')");
        } catch (java.io.IOException e) {
            throw new AcceleratorException("Could not access KVM kernel module: " + e.getMessage(),
                    "failed to initialize kvm: " + e.getMessage());
        }
        throw new AcceleratorException("kvm: not supported yet");
    }

    @Override
    public CpuExecutor createExecutor(Machine machine, Cpu cpu) {
        throw new IllegalStateException("kvm accelerator was not initialised");
    }
}
