package org.jqemu.hw.virtio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.jqemu.accel.tcg.TcgAccelerator;
import org.jqemu.hw.TestMachines.TestChardev;
import org.jqemu.hw.chr.IsaDebugcon;
import org.jqemu.hw.isa.IsaBus;
import org.jqemu.hw.pc.PcMachine;
import org.jqemu.hw.pc.PcSystemFirmware;
import org.jqemu.system.block.BlockBackends;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.machine.MachineConfig;
import org.jqemu.system.options.Opts;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real driver: Debian's SeaBIOS finds our modern virtio-blk-pci function, drives it with its
 * own virtio code, and boots the disk's first sector (virtio-boot.asm), which reads and writes
 * sectors through INT 13h — that is, through SeaBIOS's virtqueue and our device.
 */
class VirtioBlkSeabiosTest {
    @TempDir
    Path dir;

    @Test
    void seabiosBootsFromVirtioBlkAndReadsAndWrites() throws Exception {
        assumeTrue(Files.isReadable(PcSystemFirmware.DEFAULT_BIOS), "Debian's seabios package is not installed");
        Path image = bootDisk();

        MachineConfig c = new MachineConfig();
        c.ramSize = 128L << 20;
        Machine m = new Machine(c);
        TestChardev debug = new TestChardev("debugcon");
        String out;
        try {
            TcgAccelerator tcg = new TcgAccelerator();
            tcg.init(m);
            m.setAccelerator(tcg);
            new PcMachine().build(m);
            IsaDebugcon con = new IsaDebugcon("debugcon", debug, 0xe9);
            m.component(IsaBus.class).mapPorts("debugcon", 0x402, 1, con.port());
            BlockBackends backends = new BlockBackends();
            m.putComponent(BlockBackends.class, backends);
            m.addResourceToClose(backends);
            backends.openDrive(Opts.parse("-drive", "file=" + image + ",format=raw,if=virtio,id=virtio0", null));
            new VirtioBlkPciType().create(m, new Opts("-device", Map.of("drive", "virtio0")));
            m.start();
            long deadline = System.nanoTime() + 90_000_000_000L;
            while (System.nanoTime() < deadline) {
                out = log(m, debug);
                if (out.contains("VIRTIO-MBR-WRITTEN") || out.contains("VIRTIO-MBR-DISK-FAIL")) {
                    break;
                }
                Thread.sleep(100);
            }
        } finally {
            m.exit(0);
            m.close();
        }
        out = log(m, debug);
        for (String line : new String[] {"id=1af4:1042", "found virtio-blk", "VIRTIO-MBR-START",
            "SECTOR-ONE-FROM-VIRTIO", "VIRTIO-MBR-WRITTEN"}) {
            assertTrue(out.contains(line), "SeaBIOS did not print '" + line + "'; its log:\n" + out);
        }
        byte[] after = Files.readAllBytes(image);
        assertEquals('W', after[1024], "sector 2 was written through the device");
        assertEquals("ECTOR-ONE-FROM-VIRTIO", new String(after, 1025, 21, StandardCharsets.US_ASCII));
    }

    /** The same guest through the command line, as a user runs it: jqemu's Main in this JVM. */
    @Test
    void commandLineDriveIfVirtio() throws Exception {
        assumeTrue(Files.isReadable(PcSystemFirmware.DEFAULT_BIOS), "Debian's seabios package is not installed");
        Path image = bootDisk();
        Path log = dir.resolve("debugcon.log");
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        int status = org.jqemu.system.Main.run(new String[] {
            "-machine", "pc", "-m", "64", "-display", "none", "-nodefaults",
            "-drive", "file=" + image + ",format=raw,if=virtio",
            "-chardev", "file,id=dbg,path=" + log, "-device", "isa-debugcon,iobase=0x402,chardev=dbg",
            "-device", "isa-debug-exit",
            // The other virtio devices from the command line too: SeaBIOS lists them on the bus.
            "-netdev", "socket,id=n0,listen=127.0.0.1:0", "-device", "virtio-net-pci,netdev=n0,mac=52:54:00:00:00:01",
            "-device", "virtio-serial-pci", "-chardev", "null,id=con", "-device", "virtconsole,chardev=con"},
                new java.io.PrintStream(java.io.OutputStream.nullOutputStream()), new java.io.PrintStream(err));
        String out = Files.readString(log, StandardCharsets.ISO_8859_1);
        assertEquals(0x21, status, "isa-debug-exit status; stderr: " + err + "\nlog:\n" + out);
        assertTrue(out.contains("SECTOR-ONE-FROM-VIRTIO"), out);
        assertTrue(out.contains("id=1af4:1041"), "virtio-net-pci on the bus:\n" + out);
        assertTrue(out.contains("id=1af4:1043"), "virtio-serial-pci on the bus:\n" + out);
        assertEquals('W', Files.readAllBytes(image)[1024]);

        // readonly=on: SeaBIOS's write fails, the guest sees a disk error and says so.
        Files.write(image, initialDisk());
        status = org.jqemu.system.Main.run(new String[] {
            "-m", "64", "-display", "none", "-nodefaults",
            "-drive", "file=" + image + ",format=raw,if=virtio,readonly=on",
            "-device", "isa-debug-exit"},
                new java.io.PrintStream(java.io.OutputStream.nullOutputStream()), new java.io.PrintStream(err));
        assertEquals(0x23, status, "the guest saw the write fail; stderr: " + err);
        assertEquals('S', Files.readAllBytes(image)[1024 - 512], "sector 1 unchanged");
        assertEquals(0, Files.readAllBytes(image)[1024], "sector 2 not written");
    }

    private byte[] initialDisk() throws Exception {
        byte[] disk = new byte[1 << 20];
        System.arraycopy(bootSector(), 0, disk, 0, 512);
        byte[] text = "SECTOR-ONE-FROM-VIRTIO\n".getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(text, 0, disk, 512, text.length);
        return disk;
    }

    /** virtio-boot.asm, assembled with nasm now (scripts/install-test-deps.sh installs it). */
    private byte[] bootSector() throws Exception {
        Path src = dir.resolve("virtio-boot.asm");
        try (InputStream in = getClass().getResourceAsStream("/virtio/virtio-boot.asm")) {
            Files.write(src, in.readAllBytes());
        }
        Path bin = dir.resolve("virtio-boot.bin");
        Process p = new ProcessBuilder("nasm", "-f", "bin", "-o", bin.toString(), src.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException("nasm failed on virtio-boot.asm: " + out);
        }
        return Files.readAllBytes(bin);
    }

    private Path bootDisk() throws Exception {
        Path image = dir.resolve("cli.raw");
        Files.write(image, initialDisk());
        return image;
    }

    private static String log(Machine m, TestChardev debug) {
        m.lock();
        try {
            return debug.output.toString();
        } finally {
            m.unlock();
        }
    }
}
