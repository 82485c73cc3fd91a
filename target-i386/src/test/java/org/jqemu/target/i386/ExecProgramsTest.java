package org.jqemu.target.i386;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
        return programs().map(n -> DynamicTest.dynamicTest(n, () -> runProgram(suiteDir(), n, false)));
    }

    /** The same programs with every block translated to bytecode before it first runs (tier 2). */
    @TestFactory
    Stream<DynamicTest> suiteCompiled() throws IOException {
        return programs().map(n -> DynamicTest.dynamicTest(n + " (compiled)", () -> runProgram(suiteDir(), n, true)));
    }

    private static Stream<String> programs() throws IOException {
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
        return names.stream();
    }

    private static void runProgram(Path dir, String name, boolean compiled) throws Exception {
        Path out = Files.createTempFile("jqemu-" + name, ".bin");
        // The threshold is read when the CPU is made: 0 compiles each block before its first run.
        System.setProperty("jqemu.jit.threshold", compiled ? "0" : "-1");
        try (ExecRig rig = new ExecRig()) {
            System.clearProperty("jqemu.jit.threshold");
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
            if (compiled) {
                assertTrue(rig.cpu.compiledBlockCount() > 0, name + ": no block was compiled");
            } else {
                assertEquals(0, rig.cpu.compiledBlockCount(), name + ": the interpreter-only run compiled blocks");
            }
        } finally {
            Files.deleteIfExists(out);
        }
    }
}
