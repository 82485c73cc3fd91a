package org.jqemu.target.i386;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Runs the x86 guest test programs (tests/programs/x86, multiboot kernels printing on COM1) on
 * the bare {@link ExecRig} and compares the serial output with the {@code .expected} recorded
 * from QEMU. Programs that need PC board devices or the board's multiboot loader (irq: PIC/PIT;
 * mbinfo: the loader's info block; elf: the ELF loader) are left to the board tests.
 *
 * <p>The suite is found by walking up from the working directory, or at
 * {@code -Djqemu.x86programs=DIR}.
 */
class ExecProgramsTest {
    private static final Set<String> NEEDS_BOARD = Set.of("irq", "mbinfo", "elf");

    static Path suiteDir() {
        String prop = System.getProperty("jqemu.x86programs");
        if (prop != null) {
            return Path.of(prop);
        }
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path d = p.resolve("tests/programs/x86");
            if (Files.isDirectory(d)) {
                return d;
            }
        }
        throw new IllegalStateException("tests/programs/x86 not found above " + Path.of("").toAbsolutePath());
    }

    @TestFactory
    Stream<DynamicTest> suite() throws IOException {
        Path dir = suiteDir();
        List<String> names;
        try (Stream<Path> s = Files.list(dir)) {
            names = s.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".expected"))
                    .map(n -> n.substring(0, n.length() - ".expected".length()))
                    .filter(n -> !NEEDS_BOARD.contains(n) && Files.exists(dir.resolve(n + ".asm")))
                    .sorted()
                    .toList();
        }
        assertFalse(names.isEmpty(), "no x86 test programs with .expected output in " + dir);
        return names.stream().map(n -> DynamicTest.dynamicTest(n, () -> runProgram(dir, n)));
    }

    private static void runProgram(Path dir, String name) throws Exception {
        Path out = Files.createTempFile("jqemu-" + name, ".bin");
        try (ExecRig rig = new ExecRig()) {
            byte[] image = ExecRig.nasmFile(dir.resolve(name + ".asm"), dir, out);
            rig.loadMultiboot(image, name + ".bin");
            int status = rig.run(60_000);
            assertEquals(Files.readString(dir.resolve(name + ".expected")), rig.serial.toString(), name + " serial output");
            Path st = dir.resolve(name + ".status");
            if (Files.exists(st)) {
                // the recorded QEMU exit status 0 means "no isa-debug-exit write" (shutdown)
                assertEquals(-1, status, name + " must end without writing the exit port");
            } else {
                assertEquals(1, status, name + " exit status (1 = PASS)");
            }
        } finally {
            Files.deleteIfExists(out);
        }
    }
}
