package org.jqemu.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Boots Debian's unmodified i386 and amd64 kernels with a busybox initramfs (tests/guests/build-guest.sh
 * builds it from Debian's packages into ~/.cache/jqemu/guests, once) on the {@code pc} machine
 * under tcg, and checks that the guest's /init reached its shell marker and powered the machine
 * off through ACPI, so jqemu exits with status 0. The amd64 guest runs with two CPUs. Boots are
 * slow, so each test covers several things in one boot, including the absence of the kernel
 * warnings a jqemu shortcoming causes (docs/LINUX-GUESTS.md).
 */
class LinuxBootTest {
    static final Path GUEST_SCRIPT = Path.of("guests/build-guest.sh").toAbsolutePath();

    static Path guest(String arch) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("bash", GUEST_SCRIPT.toString(), "--quiet", arch)
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (!p.waitFor(900, TimeUnit.SECONDS) || p.exitValue() != 0 || out.isEmpty()) {
            throw new IllegalStateException("building the " + arch + " guest failed (tests/guests/build-guest.sh)");
        }
        String[] lines = out.split("\n");
        return Path.of(lines[lines.length - 1]);
    }

    /**
     * The i386 guest with {@code jqemu.shell}: at its shell busybox's {@code reboot -f} goes through
     * the kernel's orderly restart (device shutdown, syscore shutdown, then the ACPI reset register
     * or the keyboard controller) and resets the machine, the kernel boots again to the shell, and
     * {@code exit} powers off with status 0.
     */
    @Test
    void i386GuestRebootsFromItsShellThenPowersOff() throws Exception {
        Path g = guest("i386");
        try (JqemuSession s = JqemuSession.start(g, List.of("-machine", "pc", "-m", "512",
                "-kernel", g.resolve("vmlinuz").toString(), "-initrd", g.resolve("initrd.gz").toString(),
                "-append", "console=ttyS0 jqemu.shell", "-nographic"))) {
            s.expect("JQEMU-GUEST-BOOTED i386", 900);
            s.expect("JQEMU-GUEST-SHELL", 300);
            s.sendLine("reboot -f");
            s.expect("reboot: Restarting system", 120);
            s.expect("JQEMU-GUEST-BOOTED i386", 900);
            s.expect("JQEMU-GUEST-SHELL", 300);
            s.sendLine("exit");
            s.expect("reboot: Power down", 120);
            assertEquals(0, s.waitFor(60), "exit status after an ACPI power-off; stderr: " + s.errors());
            assertJqemuCausedNoWarning(s.output());
        }
    }

    /** The amd64 guest on two CPUs: the second one started with INIT/SIPI and online in Linux. */
    @Test
    void amd64GuestBootsOnTwoCpusToTheShellMarkerAndPowersOff() throws Exception {
        String log = bootsAndPowersOff("amd64", "-smp", "2");
        assertTrue(log.contains("cpus: 2 (online: 2)"), "the second CPU is not online; console:\n" + tail(log));
        assertTrue(log.contains("smp: Brought up 1 node, 2 CPUs"), tail(log));
        assertJqemuCausedNoWarning(log);
    }

    /** Kernel messages that only a missing or wrong piece of jqemu causes (docs/LINUX-GUESTS.md). */
    private static void assertJqemuCausedNoWarning(String log) {
        for (String bad : List.of("unchecked MSR access", "APIC disabled by BIOS", "not listed by the BIOS",
                "Failed to access perfctr msr", "Unable to init MCE device", "spurious APIC interrupt",
                "MP-BIOS bug")) {
            assertFalse(log.contains(bad), "the kernel said '" + bad + "'; console:\n" + tail(log));
        }
    }

    private static String bootsAndPowersOff(String arch, String... extra) throws Exception {
        Path g = guest(arch);
        Path serial = Files.createTempFile("jqemu-linux-" + arch, ".log");
        try {
            List<String> args = new java.util.ArrayList<>(List.of("-machine", "pc", "-m", "512",
                    "-kernel", g.resolve("vmlinuz").toString(), "-initrd", g.resolve("initrd.gz").toString(),
                    "-append", "console=ttyS0", "-display", "none", "-serial", "file:" + serial, "-no-reboot"));
            args.addAll(List.of(extra));
            JqemuProcess.Result r = JqemuProcess.run(900, g, args);
            String log = Files.readString(serial, StandardCharsets.ISO_8859_1);
            assertFalse(r.timedOut(), "the guest did not finish; its console:\n" + tail(log));
            assertTrue(log.contains("JQEMU-GUEST-BOOTED " + arch), "no shell marker; console:\n" + tail(log));
            assertTrue(log.contains("JQEMU-GUEST-POWEROFF"), "no power-off; console:\n" + tail(log));
            assertTrue(log.contains("reboot: Power down"), "the kernel did not power down; console:\n" + tail(log));
            assertEquals(0, r.status(), "exit status after an ACPI power-off; stderr: " + r.stderr());
            return log;
        } finally {
            Files.deleteIfExists(serial);
        }
    }

    private static String tail(String log) {
        return log.length() > 4000 ? log.substring(log.length() - 4000) : log;
    }
}
