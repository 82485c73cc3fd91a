package org.jqemu.hw.pc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.jqemu.hw.acpi.Piix4Pm;
import org.jqemu.hw.intc.ApicBus;
import org.jqemu.hw.intc.LocalApic;
import org.jqemu.hw.isa.IsaBus;
import org.jqemu.hw.nvram.FwCfg;
import org.jqemu.hw.pci.PciBus;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.machine.MachineConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The chipset devices of the pc board, reached at their architectural addresses. */
class PcChipsetTest {
    @TempDir
    Path dir;

    private Machine build(boolean withBios) throws Exception {
        MachineConfig c = new MachineConfig();
        c.ramSize = 4L << 20;
        c.smp = 1;
        if (withBios) {
            Path p = dir.resolve("bios.bin");
            byte[] image = new byte[128 << 10];
            image[image.length - 16] = (byte) 0xea;
            Files.write(p, image);
            c.bios = p.toString();
        }
        Machine m = new Machine(c);
        new PcMachine().build(m);
        return m;
    }

    static int cfg(Machine m, int devfn, int reg) {
        m.io().write(0xcf8, 4, 0x8000_0000L | devfn << 8 | reg);
        return (int) m.io().read(0xcfc, 4);
    }

    @Test
    void pciFunctionsOfThePcAnswer() throws Exception {
        try (Machine m = build(true)) {
            assertNotNull(m.component(PciBus.class));
            assertEquals(0x1237_8086, cfg(m, 0x00, 0));
            assertEquals(0x7000_8086, cfg(m, 0x08, 0));
            assertEquals(0x7113_8086, cfg(m, 0x0b, 0));
            assertEquals(0xffff_ffff, cfg(m, 0x10, 0));
            // With a BIOS the PM block waits for the BIOS to place it.
            assertEquals(-1, m.component(Piix4Pm.class).ioBase());
        }
    }

    @Test
    void pamMakesTheBiosAreaWritableShadowRam() throws Exception {
        try (Machine m = build(true)) {
            assertEquals(0xea, m.memory().read8(0xffff0));
            m.memory().write8(0xffff0, 0x90);
            assertEquals(0xea, m.memory().read8(0xffff0), "ROM at reset");
            m.io().write(0xcf8, 4, 0x8000_0058L);
            m.io().write(0xcfd, 1, 0x30); // PAM0 (0x59): 0xF0000 segment read/write DRAM
            m.memory().write8(0xffff0, 0x90);
            assertEquals(0x90, m.memory().read8(0xffff0));
        }
    }

    @Test
    void fwCfgApicsHpetAndPmAreMapped() throws Exception {
        try (Machine m = buildKernelless()) {
            m.io().write(0x510, 2, FwCfg.SIGNATURE);
            StringBuilder sig = new StringBuilder();
            for (int i = 0; i < 4; i++) {
                sig.append((char) m.io().read(0x511, 1));
            }
            assertEquals("QEMU", sig.toString());
            m.io().write(0x510, 2, FwCfg.RAM_SIZE);
            assertEquals(0x40, (m.io().read(0x511, 1) | m.io().read(0x511, 1) << 8 | m.io().read(0x511, 1) << 16) >> 16);
            // etc/e820 lists the RAM below 4 GiB as one range.
            java.nio.ByteBuffer e820 = java.nio.ByteBuffer.wrap(m.component(FwCfg.class).file("etc/e820"))
                    .order(java.nio.ByteOrder.LITTLE_ENDIAN);
            assertEquals(20, e820.capacity());
            assertEquals(0, e820.getLong(0));
            assertEquals(4L << 20, e820.getLong(8));
            assertEquals(1, e820.getInt(16));
            // I/O APIC version register through IOREGSEL/IOWIN.
            m.memory().write32(0xfec0_0000L, 1);
            assertEquals(0x0017_0020, m.memory().read32(0xfec0_0010L));
            // The local APIC's version register.
            assertEquals(0x0005_0014, m.memory().read32(0xfee0_0030L));
            // HPET capabilities: 10 ns period.
            assertEquals(10_000_000, m.memory().read32(0xfed0_0004L));
        }
    }

    @Test
    void isaInterruptsReachTheBootCpuThroughPicAndIoApic() throws Exception {
        try (Machine m = build(true)) {
            LocalApic bsp = m.component(ApicBus.class).apics().get(0);
            IsaBus isa = m.component(IsaBus.class);
            // 8259 path: ICW1-4 on the master (vectors 0x20-0x27), unmask IRQ4, raise it.
            m.io().write8(0x20, 0x11);
            m.io().write8(0x21, 0x20);
            m.io().write8(0x21, 0x04);
            m.io().write8(0x21, 0x01);
            m.io().write8(0x21, 0xef);
            isa.irq(4).set(true);
            assertTrue(bsp.hasInterrupt(), "8259 INT through LINT0 (ExtINT)");
            assertEquals(0x24, bsp.acknowledge());
            isa.irq(4).set(false);
            m.io().write8(0x20, 0x20); // EOI
            // I/O APIC path: mask the 8259, enable the APIC, route pin 4 to vector 0x54.
            m.io().write8(0x21, 0xff);
            m.memory().write32(0xfee0_00f0L, 0x1ff);
            m.memory().write32(0xfec0_0000L, 0x10 + 2 * 4);
            m.memory().write32(0xfec0_0010L, 0x54);
            // The edge the I/O APIC saw while its pin was masked is still pending (as in QEMU).
            assertTrue(bsp.hasInterrupt());
            assertEquals(0x54, bsp.acknowledge());
            m.memory().write32(0xfee0_00b0L, 0);
            assertFalse(bsp.hasInterrupt());
            isa.irq(4).set(true);
            assertTrue(bsp.hasInterrupt());
            assertEquals(0x54, bsp.acknowledge());
            m.memory().write32(0xfee0_00b0L, 0);
            isa.irq(4).set(false);
            // The PIT's IRQ0 lands on I/O APIC pin 2 (the MADT's interrupt source override).
            m.memory().write32(0xfec0_0000L, 0x10 + 2 * 2);
            m.memory().write32(0xfec0_0010L, 0x52);
            isa.irq(0).set(true);
            assertEquals(0x52, bsp.acknowledge());
        }
    }

    /** Without -bios and -kernel the board wants SeaBIOS; give it a BIOS and check PM by hand. */
    private Machine buildKernelless() throws Exception {
        Machine m = build(true);
        m.io().write(0xcf8, 4, 0x8000_0b40L);
        m.io().write(0xcfc, 4, 0x601);
        m.io().write(0xcf8, 4, 0x8000_0b80L);
        m.io().write(0xcfc, 1, 1);
        assertEquals(0x600, m.component(Piix4Pm.class).ioBase());
        return m;
    }
}
