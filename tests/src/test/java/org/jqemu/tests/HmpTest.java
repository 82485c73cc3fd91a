package org.jqemu.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jqemu.qmp.TerminalScreen;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The human monitor on a terminal-like stream, driven as a person would type: over a
 * {@code -monitor unix:} socket, and on the -nographic terminal through Ctrl-A c.
 */
class HmpTest {
    /** Seconds to wait for an answer: generous, for a loaded machine, yet a failure comes fast. */
    private static final long WAIT = 60;
    static Path kernel;

    @TempDir
    Path dir;
    private Process jqemu;

    @BeforeAll
    static void assemble() throws IOException, InterruptedException {
        QmpTest.assemble();
        kernel = QmpTest.kernel;
    }

    @AfterEach
    void stop() throws InterruptedException {
        if (jqemu != null && jqemu.isAlive()) {
            jqemu.destroyForcibly().waitFor();
        }
    }

    private Process start(String... extra) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED", "-cp",
                System.getProperty("java.class.path"), "org.jqemu.system.Main",
                "-machine", "pc", "-m", "32", "-kernel", kernel.toString()));
        cmd.addAll(List.of(extra));
        jqemu = new ProcessBuilder(cmd).directory(dir.toFile()).redirectError(dir.resolve("stderr.txt").toFile()).start();
        return jqemu;
    }

    private static void type(OutputStream out, String keys) throws IOException {
        out.write(keys.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    /** Types a command and waits for its output and the next prompt. */
    private static void command(OutputStream out, TerminalScreen screen, String line, String output)
            throws Exception {
        int before = screen.count("(qemu) " + line);
        type(out, line + "\r");
        screen.await("'" + line + "' answered with '" + output + "'", s -> s.count("(qemu) " + line) > before
                && s.text().substring(s.text().lastIndexOf("(qemu) " + line)).contains(output)
                && s.currentLine().equals("(qemu)"), WAIT);
    }

    @Test
    void monitorSocketShowsStatusAndMemory() throws Exception {
        Path sock = dir.resolve("hmp.sock");
        start("-display", "none", "-serial", "null", "-monitor", "unix:" + sock + ",server=on,wait=off",
                "-qmp", "unix:" + dir.resolve("qmp.sock") + ",server=on,wait=off");
        try (SocketChannel ch = connect(sock)) {
            TerminalScreen screen = TerminalScreen.reading(Channels.newInputStream(ch));
            OutputStream out = Channels.newOutputStream(ch);
            screen.awaitLine("(qemu)", WAIT);
            assertEquals("jqemu 0.1.0 monitor - type 'help' for more information\n(qemu)\n", screen.text());
            command(out, screen, "info status", "\nVM status: running\n");
            command(out, screen, "stop", "");
            command(out, screen, "info status", "\nVM status: paused\n");

            // xp shows what pmemsave saves: the guest's marker string at 0x200000
            try (QmpClient qmp = QmpClient.connect(UnixDomainSocketAddress.of(dir.resolve("qmp.sock")))) {
                qmp.ok("qmp_capabilities");
                qmp.ok("pmemsave", "val", 0x200000, "size", 16, "filename", dir.resolve("m.bin").toString());
            }
            byte[] mem = Files.readAllBytes(dir.resolve("m.bin"));
            StringBuilder want = new StringBuilder("\n0000000000200000:");
            for (int i = 0; i < 16; i += 4) {
                int v = (mem[i] & 0xff) | (mem[i + 1] & 0xff) << 8 | (mem[i + 2] & 0xff) << 16 | (mem[i + 3] & 0xff) << 24;
                want.append(String.format(" 0x%08x", v));
            }
            command(out, screen, "xp /4xw 0x200000", want + "\n(qemu)");
            assertEquals("jqemu-qmp-marker", new String(mem, StandardCharsets.US_ASCII));

            // a typo, corrected with backspace; an unknown command
            type(out, "conx\u007f");
            screen.awaitLine("(qemu) con", WAIT);
            type(out, "t\r");
            screen.await("cont run", s -> s.text().contains("(qemu) cont\n(qemu)"), WAIT);
            command(out, screen, "frobnicate", "\nunknown command: 'frobnicate'\n");
            command(out, screen, "info status", "\nVM status: running\n");
            type(out, "quit\n");
        }
        assertTrue(jqemu.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, jqemu.exitValue());
    }

    @Test
    void tabCompletesAndArrowsWalkTheHistory() throws Exception {
        Path sock = dir.resolve("hmp.sock");
        start("-display", "none", "-serial", "null", "-monitor", "unix:" + sock + ",server=on,wait=off");
        try (SocketChannel ch = connect(sock)) {
            TerminalScreen screen = TerminalScreen.reading(Channels.newInputStream(ch));
            OutputStream out = Channels.newOutputStream(ch);
            screen.awaitLine("(qemu)", WAIT);
            type(out, "inf\t"); // one match: completed, with a space
            screen.awaitLine("(qemu) info", WAIT);
            type(out, "reg\t");
            screen.awaitLine("(qemu) info registers", WAIT);
            type(out, "\r");
            screen.await("the registers", s -> s.text().contains("\nEAX=") && s.text().contains("\nEIP=")
                    && s.text().contains("\nCR0=") && s.currentLine().equals("(qemu)"), WAIT);

            type(out, "s\t"); // several: the choices under the line, which stays
            screen.await("the choices for 's'", s -> s.text().contains("screendump") && s.text().contains("sendkey")
                    && s.text().contains("system_powerdown") && s.text().contains("system_reset")
                    && s.currentLine().equals("(qemu) s"), WAIT);
            type(out, "top\r");
            screen.await("stop run", s -> s.text().contains("(qemu) stop\n(qemu)"), WAIT);
            command(out, screen, "info status", "\nVM status: paused\n");
            command(out, screen, "c", "");

            // Up: "c", Up: "info status", Up: "stop", Down: "info status", Enter runs it
            type(out, "\033[A");
            screen.awaitLine("(qemu) c", WAIT);
            type(out, "\033[A");
            screen.awaitLine("(qemu) info status", WAIT);
            type(out, "\033[A");
            screen.awaitLine("(qemu) stop", WAIT);
            type(out, "\033[B");
            screen.awaitLine("(qemu) info status", WAIT);
            int before = screen.count("VM status: running");
            type(out, "\r");
            screen.await("the status again", s -> s.count("VM status: running") == before + 1, WAIT);
            type(out, "q\r");
        }
        assertTrue(jqemu.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, jqemu.exitValue());
    }

    /** Connects once jqemu listens (the socket file appears just before it does). */
    private static SocketChannel connect(Path sock) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            try {
                ch.connect(UnixDomainSocketAddress.of(sock));
                return ch;
            } catch (IOException e) {
                ch.close();
                assertTrue(System.nanoTime() < deadline, "cannot connect to " + sock + ": " + e);
                Thread.sleep(50);
            }
        }
    }

    @Test
    void ctrlACSwitchesTheNographicTerminalToTheMonitor() throws Exception {
        Process p = start("-nographic");
        TerminalScreen screen = TerminalScreen.reading(p.getInputStream());
        OutputStream out = p.getOutputStream();
        screen.await("the guest's output", s -> s.text().contains("spin: up"), WAIT); // the serial port has the terminal
        type(out, "\u0001c");
        screen.await("the monitor's banner and prompt", s -> s.text().contains(
                "jqemu 0.1.0 monitor - type 'help' for more information\n(qemu)") && s.currentLine().equals("(qemu)"), WAIT);
        command(out, screen, "info status", "\nVM status: running\n");
        type(out, "info ver"); // half a line, then back to the guest and to the monitor again: the line is redrawn
        screen.awaitLine("(qemu) info ver", WAIT);
        type(out, "\u0001c");
        type(out, "\u0001c");
        screen.await("the prompt and line again", s -> s.count("(qemu) info ver") == 2
                && s.currentLine().equals("(qemu) info ver"), WAIT);
        type(out, "\u0015q\r");
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue());
    }

    /**
     * {@code -monitor stdio} on a real terminal (a pty made by util-linux {@code script}): the line
     * editor runs the tty itself. Up recalls the last command, Tab completes {@code info re} to
     * {@code info registers}, Ctrl-D on an empty line does not end the monitor, and after
     * {@code quit} the tty is in the mode it had before ({@code stty -g} before and after).
     */
    @Test
    void monitorStdioOnATtyRecallsHistoryAndCompletes() throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = List.of(java, "--enable-native-access=ALL-UNNAMED", "-cp",
                System.getProperty("java.class.path"), "org.jqemu.system.Main", "-machine", "pc", "-m", "32",
                "-kernel", kernel.toString(), "-display", "none", "-serial", "null", "-monitor", "stdio");
        StringBuilder line = new StringBuilder("stty cols 100 rows 30; stty -g > tty-before;");
        for (String a : cmd) {
            line.append(" '").append(a.replace("'", "'\\''")).append('\'');
        }
        line.append(" 2> stderr.txt; echo jqemu-exit=$?; stty -g > tty-after");
        jqemu = new ProcessBuilder("script", "-qfec", line.toString(), "/dev/null").directory(dir.toFile())
                .redirectErrorStream(true).start();
        TerminalScreen screen = TerminalScreen.reading(jqemu.getInputStream());
        OutputStream out = jqemu.getOutputStream();
        screen.await("the banner and prompt", s -> s.text().contains("monitor - type 'help' for more information\n(qemu)")
                && s.currentLine().equals("(qemu)"), WAIT);
        command(out, screen, "info version", "\n0.1.0 (jqemu)\n");
        type(out, "\033[A"); // Up
        screen.awaitLine("(qemu) info version", WAIT);
        type(out, "\r");
        screen.await("the version twice", s -> s.count("0.1.0 (jqemu)") == 2 && s.currentLine().equals("(qemu)"), WAIT);
        type(out, "info re\t");
        screen.awaitLine("(qemu) info registers", WAIT);
        type(out, "\r");
        screen.await("the registers", s -> s.text().contains("\nEAX=") && s.currentLine().equals("(qemu)"), WAIT);
        type(out, "\u0004"); // Ctrl-D on an empty line: QEMU's delete-char, nothing to delete
        command(out, screen, "info status", "\nVM status: running\n");
        type(out, "quit\r");
        screen.await("jqemu's exit status", s -> s.text().contains("jqemu-exit="), WAIT);
        assertTrue(jqemu.waitFor(30, TimeUnit.SECONDS), "script ends after jqemu");
        assertTrue(screen.text().contains("jqemu-exit=0"), screen.text());
        String before = Files.readString(dir.resolve("tty-before")).trim();
        assertEquals(before, Files.readString(dir.resolve("tty-after")).trim(), "quit puts the tty back as it was");
        assertTrue(!before.isEmpty(), "stty -g printed the mode");
    }
}
