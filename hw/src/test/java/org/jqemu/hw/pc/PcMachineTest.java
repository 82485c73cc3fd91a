package org.jqemu.hw.pc;

import static org.jqemu.hw.TestMachines.in8;
import static org.jqemu.hw.TestMachines.out8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.ServiceLoader;
import org.jqemu.hw.TestMachines.TestChardev;
import org.jqemu.firmware.multiboot.MultibootLoader;
import org.jqemu.hw.isa.IsaBus;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.machine.MachineConfig;
import org.jqemu.system.machine.MachineType;
import org.jqemu.system.options.ConfigException;
import org.jqemu.target.i386.X86Cpu;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PcMachineTest {
    @TempDir
    Path dir;

    private static Machine machine(MachineConfig c) {
        if (c.ramSize == 0) {
            c.ramSize = 2L << 20; // small: allocating guest RAM zeroes it
        }
        return new Machine(c);
    }

    private Path bios(int size) throws IOException {
        byte[] image = new byte[size];
        for (int i = 0; i < size; i++) {
            image[i] = (byte) (i * 7);
        }
        Path p = dir.resolve("bios.bin");
        Files.write(p, image);
        return p;
    }

    @Test
    void registeredAsDefaultMachine() {
        MachineType pc = ServiceLoader.load(MachineType.class).stream().map(ServiceLoader.Provider::get)
                .filter(t -> t.name().equals("pc")).findFirst().orElseThrow();
        assertInstanceOf(PcMachine.class, pc);
        assertTrue(pc.isDefault());
        assertEquals(List.of("pc-i440fx"), pc.aliases());
        assertEquals("Standard PC (i440FX + PIIX, 1996)", pc.description());
        assertEquals(255, pc.maxCpus());
        assertEquals(128L << 20, pc.defaultRamSize());
    }

    @Test
    void ramSplitFollowsQemuI440fx() {
        assertEquals(new PcMachine.RamSplit(128L << 20, 0), PcMachine.splitRam(128L << 20));
        assertEquals(new PcMachine.RamSplit(0xd000_0000L, 0), PcMachine.splitRam(0xd000_0000L));
        assertEquals(new PcMachine.RamSplit(0xc000_0000L, 0x2000_0000L), PcMachine.splitRam(0xe000_0000L));
        assertEquals(new PcMachine.RamSplit(0xc000_0000L, 0x4000_0000L), PcMachine.splitRam(4L << 30));
    }

    @Test
    void buildsWithBiosMappedAtTopAndBelowOneMiB() throws Exception {
        MachineConfig c = new MachineConfig();
        c.bios = bios(256 << 10).toString();
        try (Machine m = machine(c)) {
            new PcMachine().build(m);
            assertEquals(1, m.cpus().size());
            assertInstanceOf(X86Cpu.class, m.cpus().get(0));
            long size = 256 << 10;
            // Reset vector: last 16 bytes of the image at 0xFFFFFFF0 and, through the alias, 0xFFFF0.
            assertEquals((byte) ((size - 16) * 7), (byte) m.memory().read8(0xffff_fff0L));
            assertEquals((byte) ((size - 16) * 7), (byte) m.memory().read8(0xffff0));
            assertEquals((byte) ((size - 0x20000) * 7), (byte) m.memory().read8(0xe0000), "last 128 KiB alias");
            assertEquals(0, m.memory().read8(0xdffff), "option ROM space below it");
            m.memory().write8(0xffff0, 0x12);
            assertEquals((byte) ((size - 16) * 7), (byte) m.memory().read8(0xffff0), "ROM ignores writes");
            m.memory().write32(0x1000, 0xdeadbeef);
            assertEquals(0xdeadbeef, m.memory().read32(0x1000));
            assertNotNull(m.component(IsaBus.class));
        }
    }

    @Test
    void smallBiosAliasedWhole() throws Exception {
        MachineConfig c = new MachineConfig();
        c.bios = bios(64 << 10).toString();
        try (Machine m = machine(c)) {
            new PcMachine().build(m);
            assertEquals(0, m.memory().read8(0xf0000) & 0xff);
            assertEquals(7, m.memory().read8(0xf0001) & 0xff);
            assertEquals(7, m.memory().read8(0xffff0001L) & 0xff);
        }
    }

    @Test
    void badBiosNamesTheFile() throws Exception {
        MachineConfig c = new MachineConfig();
        c.bios = bios(1000).toString();
        ConfigException e = assertThrows(ConfigException.class, () -> new PcMachine().build(machine(c)));
        assertEquals("could not load PC BIOS '" + c.bios + "'", e.getMessage());
        c.bios = dir.resolve("missing.bin").toString();
        e = assertThrows(ConfigException.class, () -> new PcMachine().build(machine(c)));
        assertEquals("could not load PC BIOS '" + c.bios + "'", e.getMessage());
    }

    @Test
    void defaultBiosIsDebianSeabiosOrQemusError() throws Exception {
        MachineConfig c = new MachineConfig();
        try (Machine m = machine(c)) {
            if (Files.isReadable(PcSystemFirmware.DEFAULT_BIOS)) {
                new PcMachine().build(m);
                byte[] rom = Files.readAllBytes(PcSystemFirmware.DEFAULT_BIOS);
                assertEquals(rom[rom.length - 16], (byte) m.memory().read8(0xffff0));
            } else {
                ConfigException e = assertThrows(ConfigException.class, () -> new PcMachine().build(m));
                assertEquals("could not load PC BIOS 'bios-256k.bin'", e.getMessage());
            }
        }
    }

    @Test
    void missingKernelIsNamed() {
        MachineConfig c = new MachineConfig();
        c.kernel = dir.resolve("vmlinuz").toString();
        ConfigException e = assertThrows(ConfigException.class, () -> new PcMachine().build(machine(c)));
        assertEquals("could not load kernel '" + c.kernel + "': No such file or directory", e.getMessage());
    }

    @Test
    void nonMultibootKernelIsRejected() throws Exception {
        Path k = dir.resolve("bzImage");
        Files.write(k, new byte[8192]);
        MachineConfig c = new MachineConfig();
        c.kernel = k.toString();
        ConfigException e = assertThrows(ConfigException.class, () -> new PcMachine().build(machine(c)));
        assertEquals(c.kernel + ": neither a Linux bzImage nor a multiboot kernel", e.getMessage());
    }

    @Test
    void multibootHeaderIsRecognised() {
        byte[] image = new byte[8192];
        int off = 64;
        int magic = 0x1BADB002;
        int flags = 0x3;
        int[] words = {magic, flags, -(magic + flags)};
        for (int w = 0; w < 3; w++) {
            for (int b = 0; b < 4; b++) {
                image[off + 4 * w + b] = (byte) (words[w] >> (8 * b));
            }
        }
        assertTrue(MultibootLoader.isMultiboot(image));
        image[off + 8]++;
        assertTrue(!MultibootLoader.isMultiboot(image), "bad checksum");
        assertEquals(List.of("mod1 arg", "b,c"), MultibootLoader.splitModules("mod1 arg,b,,c,"));
    }

    @Test
    void cmosHoldsMemorySizesAsQemuFillsThem() throws Exception {
        MachineConfig c = new MachineConfig();
        c.bios = bios(64 << 10).toString();
        c.ramSize = 128L << 20;
        try (Machine m = machine(c)) {
            new PcMachine().build(m);
            int[] expected = {
                0x15, 0x80, 0x16, 0x02,           // 640 KiB base memory
                0x17, 0xff, 0x18, 0xff,           // 127 MiB extended, capped at 65535 KiB
                0x30, 0xff, 0x31, 0xff,
                0x34, 0x00, 0x35, 0x07,           // (128 - 16) MiB / 64 KiB = 0x700
                0x5b, 0, 0x5c, 0, 0x5d, 0,        // nothing above 4 GiB
                0x5f, 0, 0x14, 0x06,
            };
            for (int i = 0; i < expected.length; i += 2) {
                out8(m, 0x70, expected[i]);
                assertEquals(expected[i + 1], in8(m, 0x71), "CMOS 0x" + Integer.toHexString(expected[i]));
            }
            int sum = 0;
            for (int i = 0x10; i <= 0x2d; i++) {
                out8(m, 0x70, i);
                sum += in8(m, 0x71);
            }
            out8(m, 0x70, 0x2e);
            int hi = in8(m, 0x71);
            out8(m, 0x70, 0x2f);
            assertEquals(sum, hi << 8 | in8(m, 0x71), "IBM checksum");
        }
        PcMachine.RamSplit big = PcMachine.splitRam(5L << 30);
        try (Machine m = new Machine(new MachineConfig())) {
            org.jqemu.hw.rtc.Mc146818Rtc rtc = new org.jqemu.hw.rtc.Mc146818Rtc(m, "rtc", l -> {});
            PcMachine.fillCmos(rtc, big, 1);
            long high = (2L << 30) >> 16;
            assertEquals(high & 0xff, rtc.cmos(0x5b));
            assertEquals((high >> 8) & 0xff, rtc.cmos(0x5c));
            assertEquals((high >> 16) & 0xff, rtc.cmos(0x5d));
            long mid = ((3L << 30) - (16 << 20)) >> 16;
            assertEquals(mid & 0xff, rtc.cmos(0x34), "3 GiB below 4 GiB");
            assertEquals(mid >> 8, rtc.cmos(0x35));
        }
    }

    @Test
    void serialChardevsBecomeComPorts() throws Exception {
        MachineConfig c = new MachineConfig();
        c.bios = bios(64 << 10).toString();
        try (Machine m = machine(c)) {
            TestChardev com1 = new TestChardev("serial0");
            TestChardev com2 = new TestChardev("serial1");
            m.addChardev(com1);
            m.addChardev(com2);
            new PcMachine().build(m);
            out8(m, 0x3f8, 'A');
            out8(m, 0x2f8, 'B');
            assertEquals("A", com1.output.toString());
            assertEquals("B", com2.output.toString());
            assertEquals(0xff, in8(m, 0x3e8), "no COM3");
        }
    }

    @Test
    void legacyPortsAnswer() throws Exception {
        MachineConfig c = new MachineConfig();
        c.bios = bios(64 << 10).toString();
        try (Machine m = machine(c)) {
            new PcMachine().build(m);
            assertEquals(0x18, in8(m, 0x64), "i8042 status after reset");
            out8(m, 0x64, 0xaa);
            assertEquals(0x55, in8(m, 0x60));
            assertEquals(0xff, in8(m, 0x80));
            out8(m, 0x80, 0x42);
            out8(m, 0x70, 0x0a);
            assertEquals(0x26, in8(m, 0x71));
            out8(m, 0x20, 0x0b);
            assertEquals(0, in8(m, 0x20));
        }
    }
}
