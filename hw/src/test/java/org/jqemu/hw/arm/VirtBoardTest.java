package org.jqemu.hw.arm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.jqemu.accel.tcg.TcgAccelerator;
import org.jqemu.firmware.arm.Arm64BootLayout;
import org.jqemu.firmware.fdt.Fdt;
import org.jqemu.hw.TestMachines.TestChardev;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.machine.MachineConfig;
import org.jqemu.system.options.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole virt board with the AArch64 CPU under tcg, driven by a small assembled "kernel"
 * (virt-smoke.S): Linux boot protocol (x0 = DTB), PSCI over HVC, a PL011 interrupt through the
 * GICv2 to the CPU, PSCI CPU_ON of the second CPU, SYSTEM_RESET (kernel and DTB reloaded, the
 * boot CPU re-entered, CPU 1 off again: the whole sequence runs twice) and SYSTEM_OFF ending the
 * machine with status 0. The same image prints the same letters under
 * {@code qemu-system-aarch64 -M virt -smp 2 -m 128}.
 */
class VirtBoardTest {
    /** Assembles virt-smoke.S with the cross binutils into a raw Image. */
    static Path smokeImage(Path dir) throws Exception {
        Path src = dir.resolve("virt-smoke.S");
        try (InputStream in = VirtBoardTest.class.getResourceAsStream("virt-smoke.S")) {
            Files.copy(in, src);
        }
        run(dir, "aarch64-linux-gnu-as", "-o", "smoke.o", src.toString());
        run(dir, "aarch64-linux-gnu-ld", "-Ttext=0", "-o", "smoke.elf", "smoke.o");
        run(dir, "aarch64-linux-gnu-objcopy", "-O", "binary", "smoke.elf", "Image");
        return dir.resolve("Image");
    }

    private static void run(Path dir, String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, String.join(" ", cmd) + ": " + out);
    }

    private static Machine newVirt(Path kernel, int cpus, TestChardev console, String append) throws ConfigException {
        MachineConfig c = new MachineConfig();
        c.ramSize = 128L << 20;
        c.smp = cpus;
        c.kernel = kernel.toString();
        c.append = append;
        Machine m = new Machine(c);
        m.addChardev(console);
        TcgAccelerator tcg = new TcgAccelerator();
        tcg.init(m);
        m.setAccelerator(tcg);
        new VirtMachine().build(m);
        return m;
    }

    @Test
    void smokeKernelRunsThroughGicPsciSecondaryCpuAndReset(@TempDir Path dir) throws Exception {
        TestChardev console = new TestChardev("serial0");
        Machine m = newVirt(smokeImage(dir), 2, console, null);
        m.start();
        var waiter = Executors.newSingleThreadExecutor();
        try {
            Future<Integer> status = waiter.submit(m::awaitExit);
            int exit = status.get(120, TimeUnit.SECONDS);
            assertEquals("DPTISRDPTISB", console.output.toString());
            assertEquals(0, exit, "SYSTEM_OFF ends the machine with status 0");
        } finally {
            m.exit(1);
            waiter.shutdownNow();
        }
    }

    @Test
    void kernelDtbAndBootArgumentsAreWhereTheLayoutSays(@TempDir Path dir) throws Exception {
        Path kernel = smokeImage(dir);
        Machine m = newVirt(kernel, 1, new TestChardev("serial0"), "console=ttyAMA0 quiet");
        m.config().startPaused = true;
        m.start();
        try {
            Arm64BootLayout layout = m.component(Arm64BootLayout.class);
            assertEquals(0x4020_0000L, layout.kernel());
            byte[] image = Files.readAllBytes(kernel);
            byte[] inRam = new byte[image.length];
            m.memory().readBytes(layout.kernel(), inRam, 0, inRam.length);
            assertEquals(java.util.HexFormat.of().formatHex(image), java.util.HexFormat.of().formatHex(inRam));
            byte[] dtb = new byte[Integer.reverseBytes(m.memory().read32(layout.dtb() + 4))]; // totalsize
            m.memory().readBytes(layout.dtb(), dtb, 0, dtb.length);
            Fdt fdt = Fdt.parse(dtb);
            assertEquals("console=ttyAMA0 quiet\0", new String(fdt.node("/chosen").property("bootargs")));
            assertEquals(List.of("memory@40000000"), fdt.root().children().stream().map(n -> n.name())
                    .filter(n -> n.startsWith("memory")).toList());
            // The devices answer at QEMU's addresses.
            assertEquals(0xd00dfeedL, Integer.reverseBytes(m.memory().read32(layout.dtb())) & 0xffff_ffffL);
            assertEquals(0x11, m.memory().read32(VirtMachine.UART_BASE + 0xfe0));
            assertEquals(0x31, m.memory().read32(VirtMachine.RTC_BASE + 0xfe0));
            assertEquals(0x2b, m.memory().read32(VirtMachine.GIC_DIST_BASE + 0xfe8));
            assertEquals(0x74726976, m.memory().read32(VirtMachine.VIRTIO_MMIO_BASE)); // "virt"
            assertEquals(0x0008_1b36, m.memory().read32(VirtMachine.PCIE_ECAM_BASE));
            assertEquals((80 << 16) | 64, m.memory().read32(VirtMachine.GIC_V2M_BASE + 8));
        } finally {
            m.exit(0);
            m.awaitExit();
        }
    }
}
