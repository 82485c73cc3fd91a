package org.jqemu.hw.pc;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import org.jqemu.firmware.multiboot.MultibootLoader;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.options.ConfigException;
import org.jqemu.target.i386.X86Cpu;

/**
 * {@code -kernel}: boots a multiboot kernel without firmware. The image is checked and loaded
 * once while the board is built, so a bad kernel is a configuration error; it is loaded again on
 * every system reset (a reset handler, which runs after the CPU's own reset), so a guest reboot
 * re-enters the kernel with fresh memory, as QEMU does. {@code -initrd} lists the multiboot
 * modules, comma-separated ({@code ,,} for a literal comma), each optionally followed by its
 * command line, as in QEMU.
 */
final class DirectKernelBoot {
    private DirectKernelBoot() {}

    static void install(Machine machine, X86Cpu cpu, long ramBelow4g, long ramAbove4g) throws ConfigException {
        var config = machine.config();
        String kernelPath = config.kernel;
        byte[] image = readKernel(kernelPath);
        if (!MultibootLoader.isMultiboot(image)) {
            throw new ConfigException("linux kernel boot is not supported yet");
        }
        String cmdline = config.append == null ? "" : config.append;
        List<String> modules = config.initrd == null ? List.of() : MultibootLoader.splitModules(config.initrd);
        // Loading now reports a kernel that does not fit as a configuration error.
        MultibootLoader.load(machine.memory(), image, kernelPath, cmdline, modules, ramBelow4g, ramAbove4g);
        machine.addResetHandler(() -> {
            MultibootLoader.Entry entry;
            try {
                entry = MultibootLoader.load(machine.memory(), image, kernelPath, cmdline, modules, ramBelow4g,
                        ramAbove4g);
            } catch (ConfigException e) {
                // The same inputs loaded fine at start: failing now is a jqemu bug.
                throw new IllegalStateException("reloading the kernel failed: " + e.getMessage(), e);
            }
            cpu.enterMultiboot(entry.eip(), entry.eax(), entry.ebx());
        });
    }

    static byte[] readKernel(String path) throws ConfigException {
        try {
            return Files.readAllBytes(Path.of(path));
        } catch (NoSuchFileException e) {
            throw new ConfigException("could not load kernel '" + path + "': No such file or directory");
        } catch (AccessDeniedException e) {
            throw new ConfigException("could not load kernel '" + path + "': Permission denied");
        } catch (IOException | RuntimeException e) {
            throw new ConfigException("could not load kernel '" + path + "': " + e.getMessage());
        }
    }
}
