package org.jqemu.hw.pc;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import org.jqemu.firmware.acpi.AcpiConfig;
import org.jqemu.firmware.acpi.AcpiTables;
import org.jqemu.firmware.multiboot.MultibootLoader;
import org.jqemu.firmware.x86.E820Map;
import org.jqemu.firmware.x86.LinuxBootLoader;
import org.jqemu.hw.acpi.AcpiPciHotplug;
import org.jqemu.hw.acpi.Piix4Pm;
import org.jqemu.hw.intc.ApicBus;
import org.jqemu.hw.pci.PciBus;
import org.jqemu.hw.pci.Piix3;
import org.jqemu.hw.rtc.Mc146818Rtc;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.options.ConfigException;
import org.jqemu.target.i386.X86Cpu;

/**
 * {@code -kernel}: boots a Linux bzImage or a multiboot kernel without firmware. The image is checked and loaded
 * once while the board is built, so a bad kernel is a configuration error; it is loaded again on
 * every system reset (a reset handler, which runs after the CPU's own reset), so a guest reboot
 * re-enters the kernel with fresh memory, as QEMU does. {@code -initrd} lists the multiboot
 * modules, comma-separated ({@code ,,} for a literal comma), each optionally followed by its
 * command line, as in QEMU.
 *
 * <p>A bzImage goes through {@link LinuxBootLoader} (32-bit boot protocol), with {@code -initrd}
 * as its one initrd file, and gets the ACPI tables a BIOS would have built ({@link AcpiTables},
 * described from this board's devices by {@link #acpiConfig}): the tables in the reserved top of
 * low RAM, the RSDP in the BIOS segment 0xF0000, its address also in boot_params.
 */
final class DirectKernelBoot {
    private DirectKernelBoot() {}

    static void install(Machine machine, X86Cpu cpu, long ramBelow4g, long ramAbove4g) throws ConfigException {
        var config = machine.config();
        String kernelPath = config.kernel;
        byte[] image = readKernel(kernelPath);
        if (!MultibootLoader.isMultiboot(image)) {
            if (!LinuxBootLoader.isBzImage(image)) {
                throw new ConfigException(kernelPath + ": neither a Linux bzImage nor a multiboot kernel");
            }
            installLinux(machine, cpu, image, kernelPath, ramBelow4g, ramAbove4g);
            return;
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

    /** Where the RSDP goes: the start of the BIOS segment, reserved in the E820 map. */
    static final long RSDP_ADDR = 0xf0000;

    private static void installLinux(Machine machine, X86Cpu cpu, byte[] image, String kernelPath, long ramBelow4g,
                                     long ramAbove4g) throws ConfigException {
        var config = machine.config();
        String cmdline = config.append == null ? "" : config.append;
        byte[] initrd = config.initrd == null ? null : readInitrd(config.initrd);
        AcpiTables.Image acpi = AcpiTables.build(acpiConfig(machine, ramBelow4g, ramAbove4g),
                ramBelow4g - E820Map.HIGH_TABLES_SIZE, RSDP_ADDR);
        // Loading now reports a kernel or initrd that does not fit as a configuration error.
        acpi.install(machine.memory());
        LinuxBootLoader.load(machine.memory(), image, kernelPath, cmdline, initrd, ramBelow4g, ramAbove4g,
                acpi.rsdpAddr());
        machine.addResetHandler(() -> {
            LinuxBootLoader.Entry entry;
            try {
                acpi.install(machine.memory());
                routePciInterrupts(machine);
                entry = LinuxBootLoader.load(machine.memory(), image, kernelPath, cmdline, initrd, ramBelow4g,
                        ramAbove4g, acpi.rsdpAddr());
            } catch (ConfigException e) {
                throw new IllegalStateException("reloading the kernel failed: " + e.getMessage(), e);
            }
            enterLinux(cpu, entry);
        });
    }

    /** The 32-bit boot protocol's entry state (the boot CPU; the others wait for startup IPIs). */
    static void enterLinux(X86Cpu cpu, LinuxBootLoader.Entry entry) {
        cpu.enterLinux32(entry.eip(), entry.esi(), entry.gdtBase(), entry.gdtLimit(), entry.codeSelector(),
                entry.dataSelector());
    }

    /** The ISA IRQs of PIRQA-D, as SeaBIOS routes them on QEMU's pc. */
    static final int[] PIRQ_IRQS = {10, 10, 11, 11};
    /** The PIIX3's PCI function (00:01.0). */
    static final int PIIX3_DEVFN = 0x08;

    /**
     * What a BIOS does before booting that the ACPI tables rely on: route PIRQA-D to
     * {@link #PIRQ_IRQS} in the PIIX3 (PIRQRC registers 0x60-0x63).
     */
    static void routePciInterrupts(Machine machine) {
        PciBus pci = machine.component(PciBus.class);
        if (pci != null) {
            int v = 0;
            for (int i = 0; i < 4; i++) {
                v |= PIRQ_IRQS[i] << (8 * i);
            }
            pci.configWrite(PIIX3_DEVFN, Piix3.PIRQRC, 4, v);
        }
    }

    /** What the ACPI tables must say about this board: its constants and the PM device's base. */
    static AcpiConfig acpiConfig(Machine machine, long ramBelow4g, long ramAbove4g) {
        Piix4Pm pm = machine.component(Piix4Pm.class);
        int pmBase = pm != null && pm.ioBase() > 0 ? (int) pm.ioBase() : PcMachine.PM_IO_BASE;
        // The HPET's event timer block ID is the low half of its capabilities register: ask the device.
        int hpetId = machine.memory().read32(PcMachine.HPET_BASE);
        int cpus = Math.max(1, machine.config().smp);
        CpuTopology topology = CpuTopology.of(machine.config());
        int[] apicIds = new int[cpus];
        for (int i = 0; i < cpus; i++) {
            apicIds[i] = topology.apicId(i);
        }
        AcpiPciHotplug hotplug = machine.component(AcpiPciHotplug.class);
        return new AcpiConfig(cpus, ramBelow4g, ramAbove4g, ApicBus.DEFAULT_BASE,
                PcMachine.IOAPIC_BASE, PcMachine.IOAPIC_ID, PcMachine.HPET_BASE, hpetId, pmBase, false, 9,
                0xb2, 0xcf9, 0x06, Mc146818Rtc.REG_CENTURY, PIRQ_IRQS.clone(), apicIds,
                hotplug == null ? 0 : AcpiPciHotplug.BASE, hotplug == null ? 0 : hotplug.hotpluggableSlots());
    }

    static byte[] readInitrd(String path) throws ConfigException {
        try {
            return Files.readAllBytes(Path.of(path));
        } catch (IOException | RuntimeException e) {
            throw new ConfigException("error reading initrd " + path + ": " + e.getMessage());
        }
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
