package org.jqemu.hw.pc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.jqemu.system.Main;
import org.jqemu.system.machine.MachineConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code -smp N} on the pc machine, end to end through the command line: a small firmware
 * (resources/pc/smp-boot.asm, assembled with nasm) starts the application processors with INIT
 * and a startup IPI through its local APIC's ICR, each AP reports its initial APIC ID from CPUID
 * and counts itself in with a LOCK-prefixed increment, and the boot CPU reports the result on
 * isa-debug-exit.
 */
class SmpBootTest {
    @TempDir
    Path dir;

    @Test
    void bootCpuStartsTheOthersWithInitAndStartupIpis() throws Exception {
        // 2 APs counted in, APIC IDs 1 and 2 marked: 2 + 16 * (1 + 2) = 50, exit status 50 * 2 + 1.
        assertEquals(101, run("3"));
    }

    @Test
    void topologyOptionsGiveTheSameCpus() throws Exception {
        assertEquals(101, run("cpus=3,sockets=3"));
        // One AP (APIC ID 1): 1 + 16 * 1 = 17.
        assertEquals(35, run("2,sockets=1,cores=2,threads=1"));
    }

    @Test
    void apicIdsFollowTheTopologyAsQemu() {
        MachineConfig c = new MachineConfig();
        c.smpSockets = 2;
        c.smpCores = 3;
        c.smpThreads = 1;
        CpuTopology t = CpuTopology.of(c);
        // Two bits for three cores: the second socket starts at APIC ID 4.
        assertEquals(2, t.apicId(2));
        assertEquals(4, t.apicId(3));
        assertEquals(3, t.logicalPerPackage());
        c.smpSockets = 1;
        c.smpCores = 2;
        c.smpThreads = 2;
        t = CpuTopology.of(c);
        assertEquals(3, t.apicId(3));
        assertEquals(4, t.logicalPerPackage());
    }

    private int run(String smp) throws Exception {
        Path bios = firmware();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> Main.run(new String[] {
            "-machine", "pc", "-m", "16", "-smp", smp, "-bios", bios.toString(), "-display", "none",
            "-nodefaults", "-device", "isa-debug-exit"},
                new PrintStream(OutputStream.nullOutputStream()), new PrintStream(err)));
        assertEquals("", err.toString(StandardCharsets.UTF_8).trim());
        return status;
    }

    private Path firmware() throws Exception {
        Path src = dir.resolve("smp-boot.asm");
        try (InputStream in = getClass().getResourceAsStream("/pc/smp-boot.asm")) {
            Files.write(src, in.readAllBytes());
        }
        Path bin = dir.resolve("smp-boot.bin");
        Process p = new ProcessBuilder("nasm", "-f", "bin", "-o", bin.toString(), src.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException("nasm failed on smp-boot.asm: " + out);
        }
        return bin;
    }
}
