package org.jqemu.hw.pc;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;
import org.jqemu.accel.kvm.KvmIrqChip;
import org.jqemu.hw.acpi.AcpiPciHotplug;
import org.jqemu.hw.acpi.Piix4Pm;
import org.jqemu.hw.audio.PcSpeaker;
import org.jqemu.hw.chr.IsaSerialType;
import org.jqemu.hw.display.VgaPciType;
import org.jqemu.hw.input.I8042;
import org.jqemu.hw.intc.ApicBus;
import org.jqemu.hw.intc.I8259;
import org.jqemu.hw.intc.IoApic;
import org.jqemu.hw.intc.LocalApic;
import org.jqemu.hw.isa.IsaBus;
import org.jqemu.hw.nvram.FwCfg;
import org.jqemu.hw.pci.I440fxHost;
import org.jqemu.hw.pci.PciBus;
import org.jqemu.hw.pci.Piix3;
import org.jqemu.hw.rtc.Mc146818Rtc;
import org.jqemu.hw.timer.Hpet;
import org.jqemu.hw.timer.I8254Pit;
import org.jqemu.system.chardev.Chardev;
import org.jqemu.system.device.HotplugBus;
import org.jqemu.system.irq.IrqLine;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.machine.MachineConfig;
import org.jqemu.system.machine.MachineType;
import org.jqemu.system.memory.AliasRegion;
import org.jqemu.system.memory.ContainerRegion;
import org.jqemu.system.memory.IoRegion;
import org.jqemu.system.memory.RamRegion;
import org.jqemu.system.options.ConfigException;
import org.jqemu.system.ui.Consoles;
import org.jqemu.target.i386.X86Cpu;

/**
 * The {@code pc} machine: QEMU's "Standard PC (i440FX + PIIX, 1996)" as far as jqemu has built it.
 * Read {@link #build} top to bottom to see what a PC is: RAM, the CPU, the two 8259 interrupt
 * controllers, the ISA bus and its legacy devices at their traditional ports, and the firmware
 * (a BIOS ROM, or a multiboot kernel entered directly).
 *
 * <p>Also there: the i440FX PCI host bridge with PAM shadow RAM, the PIIX3 ISA bridge (PCI
 * interrupt routing, reset port 0xCF9) and PIIX4 power management (ACPI PM registers, SCI), the
 * local APICs and the I/O APIC, the HPET, QEMU's fw_cfg device and its ACPI PCI hotplug
 * registers (device_add / device_del on pci.0).
 *
 * <p>Not there yet: IDE/floppy.
 */
public final class PcMachine implements MachineType {
    /** RAM from here to 4 GiB is left for PCI devices and the BIOS: QEMU's gigabyte-aligned split. */
    static final long LOWMEM_ALIGNED = 0xc000_0000L;
    /** RAM at or above this size is split (QEMU's default max-ram-below-4g, 3.5 GiB). */
    static final long MAX_RAM_BELOW_4G = 0xe000_0000L;
    static final long FOUR_GIB = 1L << 32;
    static final long IOAPIC_BASE = 0xfec0_0000L;
    /** The I/O APIC's ID, as QEMU's MADT states it (ACPI_BUILD_IOAPIC_ID). */
    static final int IOAPIC_ID = 0;
    static final long HPET_BASE = 0xfed0_0000L;
    /** QEMU's GPE0 block on pc (FADT GPE0_BLK, 4 bytes). */
    static final int GPE0_BASE = 0xafe0;
    /** Where SeaBIOS puts the PIIX4 PM I/O block on QEMU's pc (the FADT's PM1a_EVT_BLK). */
    static final int PM_IO_BASE = 0x600;

    @Override
    public String name() {
        return "pc";
    }

    @Override
    public String description() {
        return "Standard PC (i440FX + PIIX, 1996)";
    }

    @Override
    public List<String> aliases() {
        return List.of("pc-i440fx");
    }

    @Override
    public boolean isDefault() {
        return true;
    }

    /** As QEMU's pc: the xAPIC's 8-bit IDs, 0xFF being the broadcast address. */
    @Override
    public int maxCpus() {
        return 255;
    }

    /** The models target-i386 provides (to be kept in step with the CPU engineers' list). */
    @Override
    public List<String> cpuModels() {
        return List.of("qemu64", "qemu32", "pentium", "486", "max");
    }

    /** How much RAM sits below and above 4 GiB for a given -m. */
    public record RamSplit(long below4g, long above4g) {}

    /** QEMU's i440FX split: all below 4 GiB up to 3.5 GiB of RAM, else 3 GiB below, the rest above. */
    public static RamSplit splitRam(long ramSize) {
        if (ramSize < MAX_RAM_BELOW_4G) {
            return new RamSplit(ramSize, 0);
        }
        return new RamSplit(LOWMEM_ALIGNED, ramSize - LOWMEM_ALIGNED);
    }

    @Override
    public void build(Machine machine) throws ConfigException {
        MachineConfig config = machine.config();
        ContainerRegion memory = machine.memory().root();

        // RAM: one block, seen below 4 GiB up to the PCI hole and the rest above 4 GiB.
        long ramSize = config.ramSize != 0 ? config.ramSize : defaultRamSize();
        RamSplit split = splitRam(ramSize);
        RamRegion ram = RamRegion.allocate(machine.arena(), "pc.ram", ramSize, false);
        memory.add(0, new AliasRegion("ram-below-4g", ram, 0, split.below4g()));
        if (split.above4g() > 0) {
            memory.add(FOUR_GIB, new AliasRegion("ram-above-4g", ram, split.below4g(), split.above4g()));
        }
        // Option ROM space 0xC0000-0xDFFFF (empty until VGA and option ROMs exist).
        RamRegion pcRom = RamRegion.allocate(machine.arena(), "pc.rom", 0x20000, true);
        memory.add(0xc0000, pcRom, 1);

        // CPU 0 boots; the others wait for the startup IPIs the guest sends them (-smp topology
        // decides their APIC IDs, as QEMU's).
        CpuTopology topology = CpuTopology.of(config);
        List<X86Cpu> cpus = new ArrayList<>();
        for (int i = 0; i < Math.max(1, config.smp); i++) {
            X86Cpu c = new X86Cpu(machine, i);
            c.setTopology(topology.apicId(i), topology.cores(), topology.threads());
            machine.addCpu(c);
            cpus.add(c);
        }
        X86Cpu cpu = cpus.get(0);

        // Interrupt controllers. Under kvm the kernel emulates the 8259s, the I/O APIC, the local
        // APICs (and the PIT): the board only connects its IRQ lines and MSIs to the kernel's GSIs.
        IrqLine[] irqs;
        IntFunction<IrqLine> gsi;
        PciBus.MsiSink msi;
        I8259 master = null;
        I8259 slave = null;
        KvmIrqChip kernelIrqChip = machine.component(KvmIrqChip.class);
        if (kernelIrqChip != null) {
            irqs = KvmPcIrqChip.isaIrqs(kernelIrqChip);
            gsi = kernelIrqChip::gsi;
            msi = kernelIrqChip::msi;
        } else {
            // Each CPU's local APIC on the APIC bus; every CPU sees its own APIC at 0xFEE00000.
            ApicBus apicBus = new ApicBus(machine);
            machine.putComponent(ApicBus.class, apicBus);
            memory.add(ApicBus.DEFAULT_BASE, new IoRegion("apic", ApicBus.MMIO_SIZE, apicBus.mmio()));
            List<LocalApic> lapics = new ArrayList<>();
            for (int i = 0; i < cpus.size(); i++) {
                LocalApic lapic = new LocalApic(machine, apicBus, i, topology.apicId(i));
                machine.addDevice(lapic);
                lapics.add(lapic);
            }
            LocalApic bspApic = lapics.get(0);

            // Interrupt controllers: the slave's INT is the master's IR2; the master's INT is the boot
            // CPU's LINT0 (ExtINT), so its interrupts reach the CPU through the local APIC.
            master = new I8259(machine, "pic-master", 0xf8, bspApic.lint0());
            slave = new I8259(machine, "pic-slave", 0xde, master.input(2));
            master.attachSlave(2, slave);
            bspApic.setPic(master);
            machine.addDevice(master);
            machine.addDevice(slave);
            IoApic ioapic = new IoApic(machine, apicBus, "ioapic", IOAPIC_ID);
            memory.add(IOAPIC_BASE, new IoRegion("ioapic", 0x1000, ioapic.mmio()));
            machine.addDevice(ioapic);
            for (int i = 0; i < cpus.size(); i++) {
                connectCpu(machine, cpus.get(i), lapics.get(i));
            }

            // The ISA IRQs (GSI 0-15) go to the 8259 pair and to the I/O APIC: IRQ0 (the PIT) on
            // pin 2, as the MADT's interrupt source override says; IRQ2 is the 8259 cascade only.
            irqs = new IrqLine[IsaBus.IRQ_COUNT];
            for (int i = 0; i < IsaBus.IRQ_COUNT; i++) {
                IrqLine pic = i < 8 ? master.input(i) : slave.input(i - 8);
                IrqLine apicPin = i == 0 ? ioapic.input(2) : i == 2 ? IrqLine.NONE : ioapic.input(i);
                irqs[i] = level -> {
                    pic.set(level);
                    apicPin.set(level);
                };
            }
            gsi = ioapic::input;
            msi = apicBus::msi;
        }
        IsaBus isa = new IsaBus(machine, irqs);
        machine.putComponent(IsaBus.class, isa);
        if (master != null) {
            isa.mapPorts("pic-master", 0x20, 2, master.ports());
            isa.mapPorts("pic-slave", 0xa0, 2, slave.ports());
            isa.mapPorts("elcr-master", 0x4d0, 1, master.elcrPort());
            isa.mapPorts("elcr-slave", 0x4d1, 1, slave.elcrPort());
        }

        // PCI: the i440FX host bridge (00:00.0, config ports 0xCF8-0xCFF, PAM shadow RAM) and the
        // PIIX3 ISA bridge (00:01.0), which routes PIRQ A-D to ISA IRQs and owns reset port 0xCF9.
        PciBus pci = new PciBus(machine, "pci.0");
        machine.putComponent(PciBus.class, pci);
        pci.setMsiSink(msi);
        I440fxHost host = new I440fxHost(machine, pci, ram);
        host.addPciSideRom(0xc0000, pcRom, 0, pcRom.size());
        isa.mapPorts("pci-conf", 0xcf8, 8, host.configPorts());
        machine.addDevice(host);
        Piix3 piix3 = new Piix3(machine, pci, 0x08, irqs);
        host.setResetControl(piix3.resetControlPort());
        machine.addDevice(piix3);
        // PIIX4 power management (00:01.3): ACPI PM1 events/control, PM timer, SCI on IRQ 9, APM
        // port 0xB2. A BIOS places its I/O block (SeaBIOS: 0x600 when fw_cfg has QEMU-style ACPI
        // tables, "etc/table-loader", else 0xB000); without a BIOS (-kernel) the board puts it at
        // 0x600. The FADT must describe Piix4Pm.ioBase().
        int pmPreset = config.kernel != null && config.bios == null ? PM_IO_BASE : 0;
        Piix4Pm pm = new Piix4Pm(machine, pci, 0x0b, irqs[9], false, pmPreset);
        isa.mapPorts("apm", 0xb2, 2, pm.apmPorts());
        isa.mapPorts("acpi-gpe0", GPE0_BASE, 4, pm.gpeBlockPorts());
        machine.putComponent(Piix4Pm.class, pm);
        machine.addDevice(pm);
        machine.addPowerButton(pm::powerButton); // QMP system_powerdown
        // ACPI PCI hotplug on pci.0 (QEMU's register block at 0xAE00, GPE bit 1): QMP device_add/del.
        AcpiPciHotplug hotplug = new AcpiPciHotplug(machine, pci, pm::gpe);
        isa.mapPorts("acpi-pci-hotplug", AcpiPciHotplug.BASE, AcpiPciHotplug.SIZE, hotplug.ports());
        machine.putComponent(AcpiPciHotplug.class, hotplug);
        machine.putComponent(HotplugBus.class, hotplug);
        machine.addDevice(hotplug);

        // The HPET (0xFED00000): in legacy replacement mode it takes over IRQ0 and IRQ8, so the
        // PIT's and the RTC's interrupts pass through it. Its other routes are I/O APIC inputs.
        Hpet hpet = new Hpet(machine, "hpet", n -> n < IsaBus.IRQ_COUNT && n != 2 ? isa.irq(n) : gsi.apply(n));
        memory.add(HPET_BASE, new IoRegion("hpet", 0x400, hpet.mmio()));
        machine.addDevice(hpet);
        // The PIT on IRQ0, and port 0x61 with counter 2's gate and output (or KVM's, in the kernel).
        if (kernelIrqChip == null || !kernelIrqChip.pitInKernel()) {
            I8254Pit pit = new I8254Pit(machine, "pit", hpet.pitInput());
            isa.mapPorts("pit", 0x40, 4, pit.ports());
            machine.addDevice(pit);
            PcSpeaker speaker = new PcSpeaker(machine, pit);
            isa.mapPorts("pcspk", 0x61, 1, speaker.port());
            machine.addDevice(speaker);
        }

        // Real-time clock and CMOS RAM on IRQ8.
        Mc146818Rtc rtc = new Mc146818Rtc(machine, "rtc", hpet.rtcInput());
        isa.mapPorts("rtc", 0x70, 2, rtc.ports());
        machine.addDevice(rtc);
        fillCmos(rtc, split, config.smp);

        // COM1-COM4 for -serial (the CLI names their chardevs serial0, serial1, ...).
        for (int i = 0; i < IsaSerialType.IOBASE.length; i++) {
            Chardev chr = machine.chardev("serial" + i);
            if (chr != null) {
                IsaSerialType.create(machine, isa, "serial" + i, IsaSerialType.IOBASE[i], IsaSerialType.IRQ[i], chr);
            }
        }

        // A20 gate and reset: port 0x92 and the keyboard controller (keyboard IRQ1, mouse IRQ12).
        // The A20 gate is one wire to every CPU.
        java.util.function.Consumer<Boolean> a20 = on -> cpus.forEach(c -> c.setA20(on));
        Port92 port92 = new Port92(machine, a20);
        isa.mapPorts("port92", 0x92, 1, port92.port());
        machine.addDevice(port92);
        I8042 kbc = new I8042(machine, isa.irq(1), isa.irq(12), a20);
        isa.mapPorts("i8042-data", 0x60, 1, kbc.dataPort());
        isa.mapPorts("i8042-cmd", 0x64, 1, kbc.commandPort());
        machine.addDevice(kbc);
        Consoles.of(machine).setKeyboard(kbc.keyboard()); // keys and pointer from VNC, GL and QMP
        Consoles.of(machine).setPointer(kbc.mouse());
        Port80 port80 = new Port80();
        isa.mapPorts("ioport80", 0x80, 1, port80.port());
        machine.addDevice(port80);

        // fw_cfg: what SeaBIOS and the guest read about this machine (ports 0x510-0x511, DMA 0x514).
        FwCfg fwCfg = new FwCfg(machine, "fw_cfg", true);
        isa.mapPorts("fwcfg", 0x510, 2, fwCfg.ioPorts());
        isa.mapPorts("fwcfg.dma", 0x514, 8, fwCfg.dmaPorts());
        machine.putComponent(FwCfg.class, fwCfg);
        machine.addDevice(fwCfg);
        fillFwCfg(fwCfg, config, ramSize, split);

        // The graphics card (-vga std, the default): QEMU's standard VGA, first free slot (00:02.0).
        if ("std".equals(config.vga)) {
            new VgaPciType().create(machine, new org.jqemu.system.options.Opts("-vga", java.util.Map.of()));
        }

        // Firmware: a BIOS ROM (-bios, or SeaBIOS by default), and/or a kernel entered directly.
        if (config.bios != null) {
            mapBiosOnPciSide(host, PcSystemFirmware.map(machine, Path.of(config.bios), config.bios));
        } else if (config.kernel == null) {
            if (!Files.isReadable(PcSystemFirmware.DEFAULT_BIOS)) {
                throw new ConfigException("could not load PC BIOS '" + PcSystemFirmware.DEFAULT_BIOS.getFileName() + "'");
            }
            mapBiosOnPciSide(host, PcSystemFirmware.map(machine, PcSystemFirmware.DEFAULT_BIOS,
                    PcSystemFirmware.DEFAULT_BIOS.getFileName().toString()));
        }
        if (config.kernel != null) {
            DirectKernelBoot.install(machine, cpu, split.below4g(), split.above4g());
        }
    }

    /** The standard items QEMU's pc board puts in fw_cfg (hw/i386/fw_cfg.c, hw/nvram/fw_cfg.c). */
    static void fillFwCfg(FwCfg fw, MachineConfig config, long ramSize, RamSplit split) {
        int cpus = Math.max(1, config.smp);
        fw.addInt64(FwCfg.RAM_SIZE, ramSize);
        fw.addInt16(FwCfg.NB_CPUS, cpus);
        fw.addInt16(FwCfg.MAX_CPUS, cpus);
        fw.addInt16(FwCfg.NOGRAPHIC, config.nographic ? 1 : 0);
        fw.addInt16(FwCfg.BOOT_MENU, 0);
        fw.addBytes(FwCfg.UUID, new byte[16]);
        // No NUMA nodes: the node count (0), then one node number per possible CPU.
        fw.addBytes(FwCfg.NUMA, new byte[8 * (1 + cpus)]);
        // The PIT is wired to IOAPIC pin 2 (an ACPI interrupt source override).
        fw.addInt32(FwCfg.X86_IRQ0_OVERRIDE, 1);
        fw.addInt32(FwCfg.KERNEL_SIZE, 0);
        fw.addInt32(FwCfg.INITRD_SIZE, 0);
        fw.addInt32(FwCfg.CMDLINE_SIZE, 0);
        // The RAM ranges as QEMU's etc/e820 lists them (packed little-endian u64 address,
        // u64 length, u32 type 1); the BIOS adds its own reservations.
        ByteBuffer e820 = ByteBuffer.allocate(split.above4g() > 0 ? 40 : 20)
                .order(ByteOrder.LITTLE_ENDIAN);
        e820.putLong(0).putLong(split.below4g()).putInt(1);
        if (split.above4g() > 0) {
            e820.putLong(FOUR_GIB).putLong(split.above4g()).putInt(1);
        }
        fw.addFile("etc/e820", e820.array());
    }

    /**
     * The CPU takes its local APIC as its interrupt source: INTR (APIC vectors and the 8259 through
     * LINT0), NMI, INIT and SIPI, IA32_APIC_BASE and CR8 (the TPR).
     */
    private static void connectCpu(Machine machine, X86Cpu cpu, LocalApic apic) {
        cpu.setInterruptSource(apic);
    }

    /** The BIOS image's ISA window, as the PAM logic reads it for write-only shadow segments. */
    private static void mapBiosOnPciSide(I440fxHost host, RamRegion bios) {
        long isaSize = Math.min(bios.size(), PcSystemFirmware.ISA_BIOS_MAX);
        host.addPciSideRom(0x100000 - isaSize, bios, bios.size() - isaSize, isaSize);
    }

    /**
     * The CMOS bytes a PC BIOS reads, filled as QEMU's pc board fills them (hw/i386/pc.c
     * pc_cmos_init), plus the IBM checksum over 0x10-0x2d.
     */
    static void fillCmos(Mc146818Rtc rtc, RamSplit split, int cpus) {
        long below = split.below4g();
        // Base memory in KiB (the first 640 KiB).
        long base = Math.min(below >> 10, 640);
        rtc.setCmos(0x15, (int) base);
        rtc.setCmos(0x16, (int) (base >> 8));
        // Extended memory above 1 MiB in KiB, capped at 65535 (0x17/0x18 and the copy at 0x30/0x31).
        long ext = below > (1 << 20) ? Math.min((below - (1 << 20)) >> 10, 65535) : 0;
        rtc.setCmos(0x17, (int) ext);
        rtc.setCmos(0x18, (int) (ext >> 8));
        rtc.setCmos(0x30, (int) ext);
        rtc.setCmos(0x31, (int) (ext >> 8));
        // Memory between 16 MiB and 4 GiB in 64 KiB units.
        long mid = below > (16 << 20) ? Math.min((below - (16 << 20)) >> 16, 65535) : 0;
        rtc.setCmos(0x34, (int) mid);
        rtc.setCmos(0x35, (int) (mid >> 8));
        // Memory above 4 GiB in 64 KiB units.
        long high = split.above4g() >> 16;
        rtc.setCmos(0x5b, (int) high);
        rtc.setCmos(0x5c, (int) (high >> 8));
        rtc.setCmos(0x5d, (int) (high >> 16));
        // Number of CPUs minus one (SeaBIOS reads it).
        rtc.setCmos(0x5f, Math.max(1, cpus) - 1);
        // Equipment: no floppy drives, FPU present, PS/2 mouse port, EGA/VGA display (bits 5-4 = 0).
        rtc.setCmos(0x14, 0x06);
        // Boot order (Bochs BIOS convention): hard disk, floppy, CD-ROM; floppy signature checked.
        rtc.setCmos(0x3d, (1 << 4) | 2);
        rtc.setCmos(0x38, 3 << 4);
        int sum = 0;
        for (int i = 0x10; i <= 0x2d; i++) {
            sum += rtc.cmos(i);
        }
        rtc.setCmos(0x2e, sum >> 8);
        rtc.setCmos(0x2f, sum);
    }
}
