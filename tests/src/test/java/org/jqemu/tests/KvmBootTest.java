package org.jqemu.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The {@code pc} board under the {@code kvm} accelerator, end to end. The smoke guest
 * (tests/kvm/guest/pc-smoke.asm: serial, HPET MMIO, PIT/8259 timer interrupts, a device
 * interrupt, a system reset) must behave the same under tcg, which runs everywhere, and under
 * kvm; the kvm tests and the Debian amd64 boot run only where /dev/kvm can be opened and report
 * themselves skipped elsewhere (tests/kvm/nested/run.sh runs the same checks inside a nested VM).
 */
class KvmBootTest {
    static final Path GUEST = Path.of("kvm/guest").toAbsolutePath();
    static Path smokeKernel;

    @BeforeAll
    static void assemble() throws IOException, InterruptedException {
        smokeKernel = Files.createTempFile("jqemu-kvm-pc-smoke", ".bin");
        Process p = new ProcessBuilder("nasm", "-f", "bin", "-I", Path.of("programs/x86").toAbsolutePath() + "/",
                "-o", smokeKernel.toString(), GUEST.resolve("pc-smoke.asm").toString()).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("nasm failed on pc-smoke.asm:\n" + log);
        }
    }

    static boolean kvmUsable() {
        Path dev = Path.of("/dev/kvm");
        return Files.isReadable(dev) && Files.isWritable(dev);
    }

    private static void smokeGuest(String accel) throws Exception {
        Path serial = Files.createTempFile("jqemu-kvm-pc-smoke", ".txt");
        try {
            JqemuProcess.Result r = JqemuProcess.run(Timeouts.PROGRAM, GUEST, List.of("-machine", "pc,accel=" + accel, "-m", "64",
                    "-display", "none", "-serial", "file:" + serial, "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
                    "-kernel", smokeKernel.toString()));
            assertEquals(Files.readString(GUEST.resolve("pc-smoke.expected")), Files.readString(serial),
                    "serial output under " + accel + "; stderr: " + r.stderr());
            assertEquals(1, r.status(), "exit status (1 = PASS through isa-debug-exit)");
        } finally {
            Files.deleteIfExists(serial);
        }
    }

    @Test
    void smokeGuestPassesUnderTcg() throws Exception {
        smokeGuest("tcg");
    }

    @Test
    void smokeGuestPassesUnderKvm() throws Exception {
        assumeTrue(kvmUsable(), "no usable /dev/kvm here (tests/kvm/nested/run.sh runs this in a nested VM)");
        smokeGuest("kvm");
    }

    @Test
    void amd64GuestBootsUnderKvm() throws Exception {
        assumeTrue(kvmUsable(), "no usable /dev/kvm here (tests/kvm/nested/run.sh runs this in a nested VM)");
        Path g = LinuxBootTest.guest("amd64");
        Path serial = Files.createTempFile("jqemu-kvm-linux", ".log");
        try {
            JqemuProcess.Result r = JqemuProcess.run(Timeouts.BOOT, g, List.of("-machine", "pc,accel=kvm", "-m", "512",
                    "-kernel", g.resolve("vmlinuz").toString(), "-initrd", g.resolve("initrd.gz").toString(),
                    "-append", "console=ttyS0", "-display", "none", "-serial", "file:" + serial, "-no-reboot"));
            String log = Files.readString(serial);
            assertTrue(log.contains("JQEMU-GUEST-BOOTED amd64"), "no shell marker; stderr: " + r.stderr());
            assertEquals(0, r.status(), "the guest powers off: exit status 0");
        } finally {
            Files.deleteIfExists(serial);
        }
    }
}
