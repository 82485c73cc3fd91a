package org.jqemu.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Boots Debian's unmodified arm64 kernel with the busybox initramfs of tests/guests/build-guest.sh
 * on the {@code virt} machine under tcg (issue 7): the guest's /init reaches its shell marker and
 * powers off through PSCI SYSTEM_OFF, so jqemu exits with status 0. The second test adds what the
 * board offers: a second CPU started with PSCI CPU_ON, virtio-blk over PCIe (MSI-X through the
 * GICv2m frame) and over virtio-mmio, and a virtio-net-pci card from {@code -nic user}.
 */
class ArmLinuxBootTest {
    private static String boot(List<String> extra, String... mustContain) throws Exception {
        Path g = LinuxBootTest.guest("arm64");
        List<String> args = new ArrayList<>(List.of("-machine", "virt", "-cpu", "cortex-a57", "-m", "512",
                "-kernel", g.resolve("vmlinuz").toString(), "-initrd", g.resolve("initrd.gz").toString(),
                "-append", "console=ttyAMA0", "-display", "none", "-serial", "stdio", "-no-reboot"));
        args.addAll(extra);
        try (JqemuSession s = JqemuSession.start(g, args)) {
            s.expect("JQEMU-GUEST-BOOTED arm64", Timeouts.BOOT);
            s.expect("JQEMU-GUEST-POWEROFF", Timeouts.STEP);
            s.expect("reboot: Power down", Timeouts.STEP);
            s.assertExit(0, Timeouts.EXIT);
            String log = s.output();
            for (String want : mustContain) {
                if (!log.contains(want)) {
                    throw s.failure("no '" + want + "' on the console");
                }
            }
            return log;
        }
    }

    @Test
    void arm64GuestBootsToTheShellMarkerAndPowersOff() throws Exception {
        boot(List.of(),
                "Machine model: linux,dummy-virt",
                "psci: PSCIv1.1 detected in firmware.",
                "GICv2m: range[mem 0x08020000-0x08020fff], SPI[80:143]",
                "arch_timer: cp15 timer(s) running at 62.50MHz (virt).",
                "9000000.pl011: ttyAMA0 at MMIO 0x9000000",
                "rtc-pl031 9010000.pl031: registered as rtc0",
                "pci 0000:00:00.0: [1b36:0008] type 00 class 0x060000",
                "cpus: 1 (online: 1)");
    }

    @Test
    void twoCpusAndVirtioOverPciAndMmio(@TempDir Path dir) throws Exception {
        Path pciDisk = dir.resolve("pci.img");
        Path mmioDisk = dir.resolve("mmio.img");
        Files.write(pciDisk, new byte[8 << 20]);
        Files.write(mmioDisk, new byte[4 << 20]);
        boot(List.of("-smp", "2",
                "-drive", "file=" + pciDisk + ",if=none,id=d1,format=raw", "-device", "virtio-blk-pci,drive=d1",
                "-drive", "file=" + mmioDisk + ",if=none,id=d2,format=raw", "-device", "virtio-blk-device,drive=d2",
                "-nic", "user"),
                "CPU1: Booted secondary processor 0x0000000001",
                "cpus: 2 (online: 2)",
                "[vda] 16384 512-byte logical blocks",
                "[vdb] 8192 512-byte logical blocks",
                "virtio devices: virtio0 virtio1 virtio2");
    }

    /**
     * At the guest's shell: virtio consoles over PCIe and virtio-mmio each carry a line to their
     * host chardev, and virtio-net over virtio-mmio and PCIe both probe. Slow (a third arm64 boot
     * for what the test above mostly covers): {@code ./run-tests --all}.
     */
    @Test
    @Tag("slow")
    void virtioConsoleAndNetOverPciAndMmio(@TempDir Path dir) throws Exception {
        Path g = LinuxBootTest.guest("arm64");
        Path pciOut = dir.resolve("pci-console.out");
        Path mmioOut = dir.resolve("mmio-console.out");
        try (JqemuSession s = JqemuSession.start(g, List.of("-machine", "virt", "-m", "512",
                "-kernel", g.resolve("vmlinuz").toString(), "-initrd", g.resolve("initrd.gz").toString(),
                "-append", "console=ttyAMA0 jqemu.shell", "-nographic",
                "-chardev", "file,id=c1,path=" + pciOut, "-chardev", "file,id=c2,path=" + mmioOut,
                "-device", "virtio-serial-pci", "-device", "virtconsole,chardev=c1",
                "-device", "virtio-serial-device", "-device", "virtconsole,chardev=c2",
                "-netdev", "user,id=n1", "-device", "virtio-net-device,netdev=n1", "-nic", "user"))) {
            s.expect(VirtioLinuxTest.KERNEL_STARTS_INIT, Timeouts.BOOT);
            s.expect("JQEMU-GUEST-SHELL", Timeouts.STEP);
            s.expect("# ", Timeouts.STEP);
            s.sendLine("echo PCI-CONSOLE > /dev/hvc0; echo MMIO-CONSOLE > /dev/hvc1; echo SENT");
            s.expect("\\nSENT", Timeouts.STEP);
            s.sendLine("for d in /sys/bus/virtio/devices/*; do echo \"DEV $(cat $d/device) $(readlink $d)\"; done");
            s.expect("DEV 0x0003 .*0000:00:01.0/virtio0", Timeouts.STEP);
            s.expect("DEV 0x0001 .*0000:00:02.0/virtio1", Timeouts.STEP);
            s.expect("DEV 0x0003 .*a000000.virtio_mmio/virtio2", Timeouts.STEP);
            s.expect("DEV 0x0001 .*a000200.virtio_mmio/virtio3", Timeouts.STEP);
            s.sendLine("exit");
            s.expect("reboot: Power down", Timeouts.STEP);
            s.assertExit(0, Timeouts.EXIT);
        }
        assertEquals("PCI-CONSOLE", Files.readString(pciOut).strip()); // the hvc tty turns \n into \r\n
        assertEquals("MMIO-CONSOLE", Files.readString(mmioOut).strip());
    }
}
