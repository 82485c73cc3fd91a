package org.jqemu.target.arm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Assembles a test program with GNU as/ld for aarch64 (binutils-aarch64-linux-gnu), linked with
 * the suite's common.S (putc, puts, show, exit, _start calling main) and link.ld.
 */
final class Asm {
    private Asm() {
    }

    static Path assemble(String name, String source) throws IOException, InterruptedException {
        Path suite = ProgramsTest.suiteDir();
        Path dir = Files.createTempDirectory("jqemu-arm64-" + name);
        Path src = dir.resolve(name + ".S");
        Files.writeString(src, source);
        run(dir, "aarch64-linux-gnu-as", "-o", "common.o", suite.resolve("common.S").toString());
        run(dir, "aarch64-linux-gnu-as", "-I", suite.toString(), "-o", name + ".o", src.toString());
        run(dir, "aarch64-linux-gnu-ld", "--no-warn-rwx-segments", "-T", suite.resolve("link.ld").toString(), "-o",
                name + ".elf", "common.o", name + ".o");
        return dir.resolve(name + ".elf");
    }

    private static void run(Path dir, String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(List.of(cmd)).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), cmd[0] + " timed out");
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + ":\n" + out);
    }
}
