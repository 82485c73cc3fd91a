package org.jqemu.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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

    /** Built (or found cached) guests, and build failures, per architecture: each is built once per run. */
    private static final Map<String, Object> GUESTS = new HashMap<>();

    /**
     * The folder of the Debian guest for {@code arch} (vmlinuz, initrd.gz, VERSION), built by
     * tests/guests/build-guest.sh the first time; a failed build fails every later test of that
     * architecture at once instead of trying again.
     */
    static synchronized Path guest(String arch) throws IOException, InterruptedException {
        Object known = GUESTS.get(arch);
        if (known == null) {
            known = buildGuest(arch);
            GUESTS.put(arch, known);
        }
        if (known instanceof String error) {
            throw new IllegalStateException(error);
        }
        return (Path) known;
    }

    private static Object buildGuest(String arch) throws IOException, InterruptedException {
        Path out = Files.createTempFile("jqemu-guest-" + arch, ".out");
        Path err = Files.createTempFile("jqemu-guest-" + arch, ".err");
        try {
            Process p = new ProcessBuilder("bash", GUEST_SCRIPT.toString(), "--quiet", arch)
                    .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(Timeouts.seconds(Timeouts.GUEST_BUILD), TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly().waitFor();
                return "building the " + arch + " guest (tests/guests/build-guest.sh) took over "
                        + Timeouts.GUEST_BUILD + " s:\n" + Files.readString(err);
            }
            String path = Files.readString(out, StandardCharsets.UTF_8).strip();
            if (p.exitValue() != 0 || path.isEmpty()) {
                return "building the " + arch + " guest failed (tests/guests/build-guest.sh, status " + p.exitValue()
                        + "):\n" + Files.readString(err);
            }
            String[] lines = path.split("\n");
            return Path.of(lines[lines.length - 1]);
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
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
            s.expect("JQEMU-GUEST-BOOTED i386", Timeouts.BOOT);
            s.expect("JQEMU-GUEST-SHELL", Timeouts.STEP);
            s.sendLine("reboot -f");
            s.expect("reboot: Restarting system", Timeouts.STEP);
            s.expect("JQEMU-GUEST-BOOTED i386", Timeouts.BOOT);
            s.expect("JQEMU-GUEST-SHELL", Timeouts.STEP);
            s.sendLine("exit");
            s.expect("reboot: Power down", Timeouts.STEP);
            s.assertExit(0, Timeouts.EXIT);
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
        List<String> args = new java.util.ArrayList<>(List.of("-machine", "pc", "-m", "512",
                "-kernel", g.resolve("vmlinuz").toString(), "-initrd", g.resolve("initrd.gz").toString(),
                "-append", "console=ttyS0", "-display", "none", "-serial", "stdio", "-no-reboot"));
        args.addAll(List.of(extra));
        try (JqemuSession s = JqemuSession.start(g, args)) {
            s.expect("JQEMU-GUEST-BOOTED " + arch, Timeouts.BOOT);
            s.expect("JQEMU-GUEST-POWEROFF", Timeouts.STEP);
            s.expect("reboot: Power down", Timeouts.STEP);
            s.assertExit(0, Timeouts.EXIT);
            return s.output();
        }
    }

    private static String tail(String log) {
        return log.length() > 4000 ? log.substring(log.length() - 4000) : log;
    }
}
