package org.jqemu.target.arm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Runs the arm64 guest test programs (tests/programs/arm64, assembled here with
 * aarch64-linux-gnu-as/ld) on the bare {@link ArmRig} and compares their UART output with the
 * {@code .expected} files recorded from Debian's qemu-system-aarch64 -M virt -cpu cortex-a57
 * (or the model named in {@code <name>.cpu}).
 */
class ProgramsTest {
    static Path suiteDir() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path d = p.resolve("tests/programs/arm64");
            if (Files.isDirectory(d)) {
                return d;
            }
        }
        throw new IllegalStateException("tests/programs/arm64 not found above " + Path.of("").toAbsolutePath());
    }

    static Path build() throws IOException, InterruptedException {
        Path dir = suiteDir();
        Path out = Files.createTempDirectory("jqemu-arm64-programs");
        Process p = new ProcessBuilder("sh", dir.resolve("build.sh").toString(), out.toString())
                .redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "build.sh timed out");
        assertEquals(0, p.exitValue(), "build.sh failed:\n" + log);
        return out;
    }

    @TestFactory
    Stream<DynamicTest> suite() throws Exception {
        Path dir = suiteDir();
        Path out = build();
        List<String> names;
        try (Stream<Path> s = Files.list(dir)) {
            names = s.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".expected"))
                    .map(n -> n.substring(0, n.length() - ".expected".length()))
                    .sorted()
                    .toList();
        }
        assertFalse(names.isEmpty());
        return names.stream().map(n -> DynamicTest.dynamicTest(n, () -> {
            // <name>.cpu names the -cpu model the .expected output was recorded with (cortex-a57 if absent)
            Path cpuFile = dir.resolve(n + ".cpu");
            ArmCpuModel model = Files.exists(cpuFile) ? ArmCpuModel.byName(Files.readString(cpuFile).trim())
                    : ArmCpuModel.CORTEX_A57;
            try (ArmRig rig = new ArmRig(128L << 20, model)) {
                rig.loadElf(out.resolve(n + ".elf"));
                boolean off = rig.run(60_000);
                assertEquals(Files.readString(dir.resolve(n + ".expected")), rig.serial.toString(), n + " output");
                assertTrue(off, n + " must power off through PSCI");
            }
        }));
    }
}
