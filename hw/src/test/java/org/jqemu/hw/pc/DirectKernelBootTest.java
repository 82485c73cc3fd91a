package org.jqemu.hw.pc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.jqemu.firmware.x86.LinuxBootLoader;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.machine.MachineConfig;
import org.jqemu.system.options.ConfigException;
import org.jqemu.target.i386.X86Cpu;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** -kernel with a bzImage on the pc board: what the guest finds in memory and the CPU state. */
class DirectKernelBootTest {
    @TempDir
    Path dir;

    /** A minimal bzImage: one setup sector after the boot sector, then 4 KiB of "kernel". */
    private Path bzImage(int version) throws Exception {
        byte[] img = new byte[2 * 512 + 4096];
        ByteBuffer b = ByteBuffer.wrap(img).order(ByteOrder.LITTLE_ENDIAN);
        b.put(0x1f1, (byte) 1);
        b.putShort(0x1fe, (short) 0xaa55);
        b.put(0x201, (byte) 0x6a);
        b.putInt(0x202, 0x53726448);
        b.putShort(0x206, (short) version);
        b.put(0x211, (byte) 1);
        b.putInt(0x214, 0x100000);
        b.putInt(0x22c, 0x7fffffff);
        b.putInt(0x238, 0x7ff);
        img[1024] = (byte) 0xf4; // hlt
        Path p = dir.resolve("bzImage");
        Files.write(p, img);
        return p;
    }

    private static MachineConfig config(Path kernel) {
        MachineConfig c = new MachineConfig();
        c.kernel = kernel.toString();
        c.append = "console=ttyS0";
        c.ramSize = 64L << 20;
        return c;
    }

    @Test
    void bzImageIsLoadedWithAcpiTablesTheGuestCanFind() throws Exception {
        try (Machine m = new Machine(config(bzImage(0x020f)))) {
            new PcMachine().build(m);
            var mem = m.memory();
            assertEquals(0xf4, mem.read8(0x100000), "protected-mode kernel at 1 MiB");
            assertEquals(0xb0, mem.read8(0x10000 + 0x210), "boot_params.hdr.type_of_loader");
            assertEquals(0x20000, mem.read32(0x10000 + 0x228), "cmd_line_ptr");
            assertEquals(0xf0000, mem.read32(0x10000 + 0x70), "acpi_rsdp_addr");
            // "RSD PTR " at the RSDP, and its RSDT in the reserved top 128 KiB of RAM.
            assertEquals(0x20445352, mem.read32(0xf0000));
            assertEquals(0x20525450, mem.read32(0xf0004));
            long rsdt = mem.read32(0xf0000 + 16) & 0xffffffffL;
            assertEquals(true, rsdt >= (64L << 20) - 0x20000 && rsdt < 64L << 20, Long.toHexString(rsdt));
            assertEquals(0x54445352, mem.read32(rsdt), "RSDT signature");
            // The FADT, first in the RSDT, describes the PIIX4 PM block where the board put it.
            long fadt = mem.read32(rsdt + 36) & 0xffffffffL;
            assertEquals(0x50434146, mem.read32(fadt), "FACP signature");
            assertEquals(PcMachine.PM_IO_BASE, mem.read32(fadt + 56));
            assertEquals(PcMachine.PM_IO_BASE + 8, mem.read32(fadt + 76));
            // The HPET table names the HPET by its capabilities register (vendor 8086, 3 timers, legacy capable).
            long hpet = mem.read32(rsdt + 44) & 0xffffffffL;
            assertEquals(0x54455048, mem.read32(hpet), "HPET signature");
            assertEquals(0x8086a201, mem.read32(hpet + 36));
            // The PCI interrupt links the DSDT describes are what the PIIX3 routes after the firmware step.
            var pci = m.component(org.jqemu.hw.pci.PciBus.class);
            DirectKernelBoot.routePciInterrupts(m);
            assertEquals(0x0b0b0a0a, pci.configRead(0x08, 0x60, 4), "PIRQA-D -> IRQ 10, 10, 11, 11");
        }
    }

    @Test
    void cpuEntersTheThirtyTwoBitBootProtocolState() throws Exception {
        try (Machine m = new Machine(config(bzImage(0x020f)))) {
            X86Cpu cpu = new X86Cpu(m, 0);
            DirectKernelBoot.enterLinux(cpu,
                    new LinuxBootLoader.Entry(0x100000, 0x10000, 0x11000, 31, 0x10, 0x18));
            assertEquals(0x100000, cpu.rip);
            assertEquals(0x10000, cpu.regs[6], "ESI = boot_params");
            assertEquals(0, cpu.regs[3] | cpu.regs[5] | cpu.regs[7], "EBX, EBP, EDI = 0");
            assertEquals(0x10, cpu.segSel[X86Cpu.CS]);
            for (int s : new int[] {X86Cpu.DS, X86Cpu.ES, X86Cpu.SS}) {
                assertEquals(0x18, cpu.segSel[s]);
                assertEquals(0, cpu.segBase[s]);
                assertEquals(-1, cpu.segLimit[s]);
            }
            assertEquals(0, cpu.segBase[X86Cpu.CS]);
            assertEquals(0x11000, cpu.gdtBase);
            assertEquals(31, cpu.gdtLimit);
            assertEquals(1, cpu.cr0 & 1, "protected mode");
            assertEquals(0, cpu.cr0 & 0x80000000L, "paging off");
            assertEquals(0, cpu.getEflags() & 0x200, "interrupts off");
        }
    }

    @Test
    void tooOldKernelIsNamed() throws Exception {
        Path k = bzImage(0x0204);
        ConfigException e = assertThrows(ConfigException.class, () -> {
            try (Machine m = new Machine(config(k))) {
                new PcMachine().build(m);
            }
        });
        assertEquals(k + ": Linux boot protocol 2.04 is too old, 2.12 or later (kernel 3.8+) is needed", e.getMessage());
    }
}
