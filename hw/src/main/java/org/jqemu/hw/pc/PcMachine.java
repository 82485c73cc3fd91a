package org.jqemu.hw.pc;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.jqemu.hw.audio.PcSpeaker;
import org.jqemu.hw.chr.IsaSerialType;
import org.jqemu.hw.input.I8042;
import org.jqemu.hw.intc.I8259;
import org.jqemu.hw.isa.IsaBus;
import org.jqemu.hw.rtc.Mc146818Rtc;
import org.jqemu.hw.timer.I8254Pit;
import org.jqemu.system.chardev.Chardev;
import org.jqemu.system.irq.IrqLine;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.machine.MachineConfig;
import org.jqemu.system.machine.MachineType;
import org.jqemu.system.memory.AliasRegion;
import org.jqemu.system.memory.ContainerRegion;
import org.jqemu.system.memory.RamRegion;
import org.jqemu.system.options.ConfigException;
import org.jqemu.target.i386.X86Cpu;

/**
 * The {@code pc} machine: QEMU's "Standard PC (i440FX + PIIX, 1996)" as far as jqemu has built it.
 * Read {@link #build} top to bottom to see what a PC is: RAM, the CPU, the two 8259 interrupt
 * controllers, the ISA bus and its legacy devices at their traditional ports, and the firmware
 * (a BIOS ROM, or a multiboot kernel entered directly).
 *
 * <p>Not there yet: the i440FX PCI host bridge (so no PAM shadow-RAM control or PCI devices),
 * VGA (the 0xA0000-0xBFFFF window is plain RAM), IDE/floppy, the I/O APIC, fw_cfg and ACPI.
 */
public final class PcMachine implements MachineType {
    /** RAM from here to 4 GiB is left for PCI devices and the BIOS: QEMU's gigabyte-aligned split. */
    static final long LOWMEM_ALIGNED = 0xc000_0000L;
    /** RAM at or above this size is split (QEMU's default max-ram-below-4g, 3.5 GiB). */
    static final long MAX_RAM_BELOW_4G = 0xe000_0000L;
    static final long FOUR_GIB = 1L << 32;

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

    @Override
    public int maxCpus() {
        return 1;
    }

    /** The models target-i386 provides (to be kept in step with the CPU engineers' list). */
    @Override
    public List<String> cpuModels() {
        return List.of("qemu32", "qemu64", "pentium", "486", "max");
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
        memory.add(0xc0000, RamRegion.allocate(machine.arena(), "pc.rom", 0x20000, true), 1);

        // CPUs; the boot CPU takes the interrupts of the 8259 pair.
        X86Cpu boot = null;
        for (int i = 0; i < Math.max(1, config.smp); i++) {
            X86Cpu cpu = new X86Cpu(machine, i);
            machine.addCpu(cpu);
            if (boot == null) {
                boot = cpu;
            }
        }
        X86Cpu cpu = boot;

        // Interrupt controllers: the slave's INT is the master's IR2.
        I8259 master = new I8259(machine, "pic-master", 0xf8, cpu.intrLine());
        I8259 slave = new I8259(machine, "pic-slave", 0xde, master.input(2));
        master.attachSlave(2, slave);
        cpu.setInterruptController(master);
        machine.addDevice(master);
        machine.addDevice(slave);

        // The ISA bus: I/O ports plus IRQ0-7 on the master and IRQ8-15 on the slave.
        IrqLine[] irqs = new IrqLine[IsaBus.IRQ_COUNT];
        for (int i = 0; i < 8; i++) {
            irqs[i] = master.input(i);
            irqs[8 + i] = slave.input(i);
        }
        IsaBus isa = new IsaBus(machine, irqs);
        machine.putComponent(IsaBus.class, isa);
        isa.mapPorts("pic-master", 0x20, 2, master.ports());
        isa.mapPorts("pic-slave", 0xa0, 2, slave.ports());
        isa.mapPorts("elcr-master", 0x4d0, 1, master.elcrPort());
        isa.mapPorts("elcr-slave", 0x4d1, 1, slave.elcrPort());

        // Timer on IRQ0, and port 0x61 with counter 2's gate and output.
        I8254Pit pit = new I8254Pit(machine, "pit", isa.irq(0));
        isa.mapPorts("pit", 0x40, 4, pit.ports());
        machine.addDevice(pit);
        PcSpeaker speaker = new PcSpeaker(machine, pit);
        isa.mapPorts("pcspk", 0x61, 1, speaker.port());
        machine.addDevice(speaker);

        // Real-time clock and CMOS RAM on IRQ8.
        Mc146818Rtc rtc = new Mc146818Rtc(machine, "rtc", isa.irq(8));
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
        Port92 port92 = new Port92(machine, cpu::setA20);
        isa.mapPorts("port92", 0x92, 1, port92.port());
        machine.addDevice(port92);
        I8042 kbc = new I8042(machine, isa.irq(1), isa.irq(12), cpu::setA20);
        isa.mapPorts("i8042-data", 0x60, 1, kbc.dataPort());
        isa.mapPorts("i8042-cmd", 0x64, 1, kbc.commandPort());
        machine.addDevice(kbc);
        Port80 port80 = new Port80();
        isa.mapPorts("ioport80", 0x80, 1, port80.port());
        machine.addDevice(port80);

        // Firmware: a BIOS ROM (-bios, or SeaBIOS by default), and/or a kernel entered directly.
        if (config.bios != null) {
            PcSystemFirmware.map(machine, Path.of(config.bios), config.bios);
        } else if (config.kernel == null) {
            if (!Files.isReadable(PcSystemFirmware.DEFAULT_BIOS)) {
                throw new ConfigException("could not load PC BIOS '" + PcSystemFirmware.DEFAULT_BIOS.getFileName() + "'");
            }
            PcSystemFirmware.map(machine, PcSystemFirmware.DEFAULT_BIOS,
                    PcSystemFirmware.DEFAULT_BIOS.getFileName().toString());
        }
        if (config.kernel != null) {
            DirectKernelBoot.install(machine, cpu, split.below4g(), split.above4g());
        }
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
