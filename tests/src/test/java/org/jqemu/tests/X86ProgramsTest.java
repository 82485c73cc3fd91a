package org.jqemu.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Boots every x86 guest program of tests/programs/x86 on the {@code pc} machine under tcg and
 * compares its serial output and exit status with the expected values committed next to it.
 * The programs are assembled with nasm at test time.
 */
class X86ProgramsTest {
    static final Path SOURCES = Path.of("programs/x86").toAbsolutePath();
    static Path built;

    @BeforeAll
    static void assemble() throws IOException, InterruptedException {
        built = Files.createTempDirectory("jqemu-x86-programs");
        Process p = new ProcessBuilder("sh", SOURCES.resolve("build.sh").toString(), built.toString())
                .redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("assembling the guest programs failed (is nasm installed? "
                    + "scripts/install-test-deps.sh installs it):\n" + log);
        }
    }

    @TestFactory
    Stream<DynamicTest> programs() throws IOException {
        List<Path> expected;
        try (Stream<Path> s = Files.list(SOURCES)) {
            expected = s.filter(f -> f.toString().endsWith(".expected")).sorted().toList();
        }
        return expected.stream().map(exp -> {
            String name = exp.getFileName().toString().replaceFirst("\\.expected$", "");
            return DynamicTest.dynamicTest(name, () -> runProgram(name, exp));
        });
    }

    private static void runProgram(String name, Path expectedFile) throws Exception {
        Path kernel = built.resolve(name + ".bin");
        if (!Files.exists(kernel)) {
            kernel = built.resolve(name + ".elf");
        }
        Path serial = Files.createTempFile("jqemu-serial-" + name, ".txt");
        List<String> args = new ArrayList<>(List.of("-machine", "pc", "-m", "128", "-display", "none",
                "-no-reboot", "-serial", "file:" + serial,
                "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", "-kernel", kernel.getFileName().toString()));
        Path extra = SOURCES.resolve(name + ".args");
        if (Files.exists(extra)) {
            for (String a : Files.readString(extra).trim().split("\n")) {
                args.add(a.trim());
            }
        }
        // From the build folder with the kernel's bare name: the multiboot command line starts
        // with the kernel path, and mbinfo's expected output was recorded that way.
        JqemuProcess.Result r = JqemuProcess.run(Timeouts.PROGRAM, built, args);
        String output = Files.readString(serial, StandardCharsets.ISO_8859_1);
        Files.deleteIfExists(serial);
        assertFalse(r.timedOut(), name + " did not finish; serial output so far:\n" + output);
        assertEquals(Files.readString(expectedFile, StandardCharsets.ISO_8859_1), output,
                name + " serial output (stderr: " + r.stderr() + ")");
        Path status = SOURCES.resolve(name + ".status");
        int want = Files.exists(status) ? Integer.parseInt(Files.readString(status).trim()) : 1;
        assertEquals(want, r.status(), name + " exit status (1 = PASS through isa-debug-exit); stderr: " + r.stderr());
    }
}
