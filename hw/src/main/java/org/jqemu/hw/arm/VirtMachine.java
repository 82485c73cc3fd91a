package org.jqemu.hw.arm;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import org.jqemu.firmware.arm.Arm64BootLayout;
import org.jqemu.firmware.arm.Arm64Image;
import org.jqemu.firmware.fdt.Fdt;
import org.jqemu.hw.chr.Pl011;
import org.jqemu.hw.intc.Gicv2;
import org.jqemu.hw.intc.Gicv2m;
import org.jqemu.hw.nvram.FwCfg;
import org.jqemu.hw.nvram.FwCfgMmio;
import org.jqemu.hw.pci.GpexHost;
import org.jqemu.hw.pci.PciBus;
import org.jqemu.hw.rtc.Pl031;
import org.jqemu.hw.virtio.VirtioMmioBus;
import org.jqemu.system.irq.IrqLine;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.machine.MachineConfig;
import org.jqemu.system.machine.MachineType;
import org.jqemu.system.memory.ContainerRegion;
import org.jqemu.system.memory.IoRegion;
import org.jqemu.system.memory.RamRegion;
import org.jqemu.system.options.ConfigException;
import org.jqemu.target.arm.Aarch64Cpu;
import org.jqemu.target.arm.ArmCpuModel;

/**
 * The {@code virt} machine: QEMU's "QEMU 7.2 ARM Virtual Machine" for AArch64 guests, a board that
 * exists only in emulators and describes itself to the guest with a device tree
 * ({@link VirtDeviceTree}). Read {@link #build} to see what it is: RAM at 1 GiB, a GICv2 with its
 * v2m MSI frame, the PL011 console UART and the PL031 clock, fw_cfg, 32 virtio-mmio slots, a
 * generic PCI Express host, and PSCI firmware for CPU power control. The memory map and interrupt
 * numbers are QEMU's (hw/arm/virt.c, {@code base_memmap} and {@code a15irqmap}).
 *
 * <p>Differences on purpose: the default CPU is cortex-a57 (QEMU's is the 32-bit cortex-a15,
 * which jqemu does not have); only GICv2 (at most 8 CPUs); no flash (so {@code -kernel} is
 * required: there is no firmware to boot from) and no PL061 GPIO power button.
 */
public final class VirtMachine implements MachineType {
    public static final long GIC_DIST_BASE = 0x0800_0000L;
    public static final long GIC_CPU_BASE = 0x0801_0000L;
    public static final long GIC_V2M_BASE = 0x0802_0000L;
    public static final long GIC_FRAME_SIZE = 0x1_0000L;
    public static final long UART_BASE = 0x0900_0000L;
    public static final long RTC_BASE = 0x0901_0000L;
    public static final long FW_CFG_BASE = 0x0902_0000L;
    public static final long FW_CFG_SIZE = FwCfgMmio.SIZE;
    public static final long VIRTIO_MMIO_BASE = 0x0a00_0000L;
    public static final long VIRTIO_MMIO_SIZE = 0x200;
    public static final int VIRTIO_MMIO_COUNT = 32;
    public static final long PCIE_MMIO_BASE = 0x1000_0000L;
    public static final long PCIE_MMIO_SIZE = 0x2eff_0000L;
    public static final long PCIE_PIO_BASE = 0x3eff_0000L;
    public static final long PCIE_PIO_SIZE = 0x1_0000L;
    public static final long RAM_BASE = 0x4000_0000L;
    public static final long PCIE_ECAM_BASE = 0x40_1000_0000L;
    public static final long PCIE_ECAM_SIZE = 0x1000_0000L;
    public static final int PCIE_ECAM_SIZE_BUSES = (int) (PCIE_ECAM_SIZE >> 20);
    public static final long PCIE_MMIO_HIGH_BASE = 0x80_0000_0000L;
    public static final long PCIE_MMIO_HIGH_SIZE = 0x80_0000_0000L;
    /** RAM may reach up to the 256 GiB mark (QEMU's limit with the high PCIe windows above it). */
    public static final long RAM_MAX = 255L << 30;

    // Interrupts: SPI numbers (interrupt ID = 32 + SPI).
    public static final int UART_SPI = 1;
    public static final int RTC_SPI = 2;
    public static final int PCIE_INTX_SPI = 3;
    public static final int VIRTIO_MMIO_SPI = 16;
    public static final int GIC_V2M_SPI = 48;
    public static final int GIC_V2M_COUNT = 64;
    /** QEMU virt's GIC: 256 SPIs behind the 32 private interrupts. */
    public static final int GIC_IRQS = 288;
    // Generic timer PPIs (interrupt IDs).
    public static final int PPI_TIMER_PHYS_SECURE = 29;
    public static final int PPI_TIMER_PHYS = 30;
    public static final int PPI_TIMER_VIRT = 27;
    public static final int PPI_TIMER_HYP = 26;

    @Override
    public String name() {
        return "virt";
    }

    @Override
    public String description() {
        return "QEMU 7.2 ARM Virtual Machine";
    }

    @Override
    public List<String> aliases() {
        return List.of("virt-7.2");
    }

    /** GICv2 has eight CPU interfaces. */
    @Override
    public int maxCpus() {
        return 8;
    }

    @Override
    public List<String> cpuModels() {
        List<String> names = new ArrayList<>();
        for (ArmCpuModel m : ArmCpuModel.values()) {
            names.add(m.cliName());
        }
        return names;
    }

    /** MPIDR affinity of CPU {@code index} as the DTB's reg: Aff1 = index / 8, Aff0 = index % 8. */
    public static int mpidrAffinity(int index) {
        return ((index / 8) << 8) | (index % 8);
    }

    /** The -cpu model, the board's default when none is given. */
    static ArmCpuModel cpuModel(MachineConfig config) throws ConfigException {
        if (config.cpuModel == null) {
            return ArmCpuModel.CORTEX_A57;
        }
        String name = config.cpuModel.split(",", 2)[0];
        ArmCpuModel m = ArmCpuModel.byName(name);
        if (m == null) {
            throw new ConfigException("unable to find CPU model '" + name + "'");
        }
        return m;
    }

    @Override
    public void build(Machine machine) throws ConfigException {
        MachineConfig config = machine.config();
        ContainerRegion memory = machine.memory().root();
        String gicVersion = config.machineOpts.getString("gic-version", "2");
        if (!gicVersion.equals("2")) {
            throw new ConfigException("-machine virt: gic-version=" + gicVersion + " is not supported (only 2)");
        }
        int ncpu = Math.max(1, config.smp);
        ArmCpuModel model = cpuModel(config);

        // RAM at 1 GiB.
        long ramSize = config.ramSize != 0 ? config.ramSize : defaultRamSize();
        if (ramSize > RAM_MAX) {
            throw new ConfigException("-m " + (ramSize >> 20) + "M: the virt board takes at most 255 GiB of RAM");
        }
        RamRegion ram = RamRegion.allocate(machine.arena(), "mach-virt.ram", ramSize, false);
        memory.add(RAM_BASE, ram);

        // The CPUs.
        List<Aarch64Cpu> cpus = new ArrayList<>();
        for (int i = 0; i < ncpu; i++) {
            Aarch64Cpu cpu = new Aarch64Cpu(machine, i, model);
            machine.addCpu(cpu);
            cpus.add(cpu);
        }

        // GICv2: distributor, CPU interface (banked by the accessing CPU), v2m MSI frame.
        Gicv2 gic = new Gicv2(machine, "gic", GIC_IRQS, ncpu);
        machine.addDevice(gic);
        machine.putComponent(Gicv2.class, gic);
        memory.add(GIC_DIST_BASE, new IoRegion("gic_dist", GIC_FRAME_SIZE, gic.distributor()));
        memory.add(GIC_CPU_BASE, new IoRegion("gic_cpu", GIC_FRAME_SIZE, gic.cpuInterface()));
        Gicv2m v2m = new Gicv2m(machine, gic, GIC_V2M_SPI, GIC_V2M_COUNT);
        machine.addDevice(v2m);
        memory.add(GIC_V2M_BASE, new IoRegion("gicv2m", Gicv2m.SIZE, v2m.mmio()));

        // Each CPU: IRQ/FIQ from its GIC CPU interface, its generic timers into its PPIs, PSCI by HVC.
        List<Psci.Core> cores = new ArrayList<>();
        for (Aarch64Cpu cpu : cpus) {
            cores.add(Psci.Core.of(cpu));
        }
        Psci psci = new Psci(machine, cores);
        for (int i = 0; i < ncpu; i++) {
            connectCpu(cpus.get(i), gic, psci);
        }

        // PL011 UART (serial0, Linux's ttyAMA0) and PL031 RTC.
        Pl011 uart = new Pl011(machine, "pl011", gic.spi(UART_SPI), machine.chardev("serial0"));
        machine.addDevice(uart);
        memory.add(UART_BASE, new IoRegion("pl011", Pl011.SIZE, uart.mmio()));
        Pl031 rtc = new Pl031(machine, "pl031", gic.spi(RTC_SPI), System.currentTimeMillis() / 1000);
        machine.addDevice(rtc);
        memory.add(RTC_BASE, new IoRegion("pl031", Pl031.SIZE, rtc.mmio()));

        // fw_cfg, memory mapped.
        FwCfg fwCfg = new FwCfg(machine, "fw_cfg", true);
        fwCfg.addInt16(FwCfg.NB_CPUS, ncpu);
        fwCfg.addInt16(FwCfg.NOGRAPHIC, config.nographic ? 1 : 0);
        machine.putComponent(FwCfg.class, fwCfg);
        machine.addDevice(fwCfg);
        memory.add(FW_CFG_BASE, new IoRegion("fw_cfg", FW_CFG_SIZE, FwCfgMmio.of(fwCfg)));

        // 32 virtio-mmio slots for -device virtio-*-device.
        IrqLine[] virtioIrqs = new IrqLine[VIRTIO_MMIO_COUNT];
        for (int i = 0; i < VIRTIO_MMIO_COUNT; i++) {
            virtioIrqs[i] = gic.spi(VIRTIO_MMIO_SPI + i);
        }
        machine.putComponent(VirtioMmioBus.class, new VirtioMmioBus(machine, VIRTIO_MMIO_BASE, virtioIrqs));

        // PCI Express: ECAM config space, the I/O window onto PCI ports, INTA-D swizzled onto
        // SPIs 3-6, MSIs through the v2m frame. BARs appear where the guest programs them
        // inside the memory windows the DTB lists.
        PciBus pci = new PciBus(machine, "pcie.0");
        machine.putComponent(PciBus.class, pci);
        GpexHost host = new GpexHost(machine, pci);
        machine.addDevice(host);
        memory.add(PCIE_ECAM_BASE, new IoRegion("pcie-ecam", PCIE_ECAM_SIZE, host.ecam()));
        memory.add(PCIE_PIO_BASE, new IoRegion("pcie-pio", PCIE_PIO_SIZE, host.pioWindow()));
        pci.setPirqSink((pirq, level) -> gic.spi(PCIE_INTX_SPI + intxSpiOffset(pirq)).set(level));
        pci.setMsiSink((address, data) -> {
            if (address == GIC_V2M_BASE + Gicv2m.MSI_SETSPI_NS) {
                v2m.setSpi(data);
            } else if (machine.log().guestErrors) {
                machine.log().guestError("virt: MSI write of 0x%x to 0x%x, which is not the v2m frame", data, address);
            }
        });

        // The device tree, and the kernel when there is one.
        Fdt fdt = VirtDeviceTree.build(ncpu, ramSize, "arm,cortex-a57", randomSeed(32));
        if (config.bios != null) {
            throw new ConfigException("-bios " + config.bios + ": the virt board cannot run firmware images yet (no flash); use -kernel");
        }
        if (config.kernel == null) {
            throw new ConfigException("-machine virt: no -kernel given (the virt board has no firmware or flash to boot from yet)");
        }
        setUpKernelBoot(machine, cpus, fdt, ramSize);
    }

    /**
     * {@link PciBus} numbers its PIRQs the i440FX way, (slot - 1 + pin) mod 4; QEMU's virt (and
     * our DTB's interrupt-map) wants (slot + pin) mod 4, which is one further.
     */
    static int intxSpiOffset(int pirq) {
        return (pirq + 1) & 3;
    }

    private static void connectCpu(Aarch64Cpu cpu, Gicv2 gic, Psci psci) throws ConfigException {
        int i = cpu.index();
        try {
            gic.connectCpu(i, cpu.irqLine(), cpu.fiqLine());
            cpu.connectTimers(gic.ppi(i, PPI_TIMER_PHYS), gic.ppi(i, PPI_TIMER_VIRT),
                    gic.ppi(i, PPI_TIMER_HYP), gic.ppi(i, PPI_TIMER_PHYS_SECURE));
            cpu.setFirmwareCallHandler(psci);
        } catch (UnsupportedOperationException e) {
            throw new ConfigException("-machine virt: the AArch64 CPU is not implemented yet in this build ("
                    + e.getMessage() + ")");
        }
    }

    /**
     * Direct Linux boot (Documentation/arch/arm64/booting.rst): kernel, initrd and DTB are copied
     * into RAM at every reset, then the boot CPU enters the kernel with x0 = DTB and the other CPUs
     * stay off until the guest starts them with PSCI CPU_ON.
     */
    private static void setUpKernelBoot(Machine machine, List<Aarch64Cpu> cpus, Fdt fdt, long ramSize)
            throws ConfigException {
        MachineConfig config = machine.config();
        Arm64Image image = Arm64Image.load(Path.of(config.kernel));
        byte[] initrd = new byte[0];
        if (config.initrd != null) {
            try {
                initrd = Files.readAllBytes(Path.of(config.initrd));
            } catch (java.io.IOException e) {
                throw new ConfigException("could not load initrd '" + config.initrd + "'");
            }
        }
        // The initrd properties take the same room whatever their values, so plan with a DTB
        // that already has them.
        VirtDeviceTree.setBootArgs(fdt, config.append, RAM_BASE, RAM_BASE + initrd.length);
        Arm64BootLayout layout = Arm64BootLayout.plan(RAM_BASE, ramSize, image, initrd.length, fdt.toDtb().length);
        VirtDeviceTree.setBootArgs(fdt, config.append, layout.initrd(), layout.initrd() + initrd.length);
        byte[] dtb = fdt.toDtb();
        byte[] kernelBytes = image.bytes();
        byte[] initrdBytes = initrd;
        var mem = machine.memory();
        machine.addResetHandler(() -> {
            mem.writeBytes(layout.kernel(), kernelBytes, 0, kernelBytes.length, true);
            if (initrdBytes.length > 0) {
                mem.writeBytes(layout.initrd(), initrdBytes, 0, initrdBytes.length, true);
            }
            mem.writeBytes(layout.dtb(), dtb, 0, dtb.length, true);
            cpus.get(0).bootAt(layout.kernel(), layout.dtb());
            for (int i = 1; i < cpus.size(); i++) {
                cpus.get(i).powerOff();
            }
        });
        machine.putComponent(Arm64BootLayout.class, layout);
        machine.putComponent(Fdt.class, fdt);
    }

    private static byte[] randomSeed(int bytes) {
        byte[] b = new byte[bytes];
        new SecureRandom().nextBytes(b);
        return b;
    }
}
