package org.jqemu.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The human monitor on a terminal-like stream, driven as a person would type: over a
 * {@code -monitor unix:} socket, and on the -nographic terminal through Ctrl-A c.
 */
class HmpTest {
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

    /** Reads until {@code marker} has appeared (after {@code from}); returns everything read. */
    private static String readUntil(InputStream in, StringBuilder seen, String marker) throws IOException {
        int from = seen.length();
        while (seen.indexOf(marker, from) < 0) {
            int c = in.read();
            if (c < 0) {
                throw new AssertionError("end of output before '" + marker + "':\n" + seen);
            }
            seen.append((char) c);
        }
        return seen.substring(from);
    }

    private static void type(OutputStream out, String keys) throws IOException {
        out.write(keys.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    @Test
    void monitorSocketShowsStatusAndMemory() throws Exception {
        Path sock = dir.resolve("hmp.sock");
        start("-display", "none", "-serial", "null", "-monitor", "unix:" + sock + ",server=on,wait=off",
                "-qmp", "unix:" + dir.resolve("qmp.sock") + ",server=on,wait=off");
        try (SocketChannel ch = connect(sock)) {
            InputStream in = Channels.newInputStream(ch);
            OutputStream out = Channels.newOutputStream(ch);
            StringBuilder seen = new StringBuilder();
            assertEquals("jqemu 0.1.0 monitor - type 'help' for more information\r\n(qemu) ",
                    readUntil(in, seen, "(qemu) "));
            type(out, "info status\r");
            assertEquals("info status\r\nVM status: running\r\n(qemu) ", readUntil(in, seen, "(qemu) "));
            type(out, "stop\n");
            readUntil(in, seen, "(qemu) ");
            type(out, "info status\n");
            assertEquals("info status\r\nVM status: paused\r\n(qemu) ", readUntil(in, seen, "(qemu) "));

            // xp shows what pmemsave saves: the guest's marker string at 0x200000
            try (QmpClient qmp = QmpClient.connect(UnixDomainSocketAddress.of(dir.resolve("qmp.sock")))) {
                qmp.ok("qmp_capabilities");
                qmp.ok("pmemsave", "val", 0x200000, "size", 16, "filename", dir.resolve("m.bin").toString());
            }
            byte[] mem = Files.readAllBytes(dir.resolve("m.bin"));
            StringBuilder want = new StringBuilder("xp /4xw 0x200000\r\n0000000000200000:");
            for (int i = 0; i < 16; i += 4) {
                int v = (mem[i] & 0xff) | (mem[i + 1] & 0xff) << 8 | (mem[i + 2] & 0xff) << 16 | (mem[i + 3] & 0xff) << 24;
                want.append(String.format(" 0x%08x", v));
            }
            type(out, "xp /4xw 0x200000\n");
            assertEquals(want + "\r\n(qemu) ", readUntil(in, seen, "(qemu) "));
            assertEquals("jqemu-qmp-marker", new String(mem, StandardCharsets.US_ASCII));

            // a typo, corrected with backspace; an unknown command
            type(out, "conx\u007ft\n");
            assertEquals("conx\b \bt\r\n(qemu) ", readUntil(in, seen, "(qemu) "));
            type(out, "frobnicate\n");
            assertEquals("frobnicate\r\nunknown command: 'frobnicate'\r\n(qemu) ", readUntil(in, seen, "(qemu) "));
            type(out, "info status\n");
            assertEquals("info status\r\nVM status: running\r\n(qemu) ", readUntil(in, seen, "(qemu) "));
            type(out, "quit\n");
            readUntil(in, seen, "quit\r\n");
        }
        assertTrue(jqemu.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, jqemu.exitValue());
    }

    @Test
    void tabCompletesAndArrowsWalkTheHistory() throws Exception {
        Path sock = dir.resolve("hmp.sock");
        start("-display", "none", "-serial", "null", "-monitor", "unix:" + sock + ",server=on,wait=off");
        try (SocketChannel ch = connect(sock)) {
            InputStream in = Channels.newInputStream(ch);
            OutputStream out = Channels.newOutputStream(ch);
            StringBuilder seen = new StringBuilder();
            readUntil(in, seen, "(qemu) ");
            type(out, "inf\t"); // one match: completed, with a space
            assertEquals("info ", readUntil(in, seen, "info "));
            type(out, "reg\t");
            assertEquals("registers ", readUntil(in, seen, "registers "));
            type(out, "\r");
            String regs = readUntil(in, seen, "(qemu) ");
            assertTrue(regs.contains("\r\nEAX=") && regs.contains("\r\nEIP=") && regs.contains("\r\nCR0="), regs);

            type(out, "s\t"); // several: the choices, then the line again
            assertEquals("s\r\ns screendump sendkey stop system_powerdown system_reset\r\n(qemu) s",
                    readUntil(in, seen, "system_reset\r\n(qemu) s"));
            type(out, "top\r");
            readUntil(in, seen, "(qemu) ");
            type(out, "info status\r");
            assertEquals("info status\r\nVM status: paused\r\n(qemu) ", readUntil(in, seen, "(qemu) "));
            type(out, "c\r");
            readUntil(in, seen, "(qemu) ");

            // Up: "c", Up: "info status", Up: "stop", Down: "info status", Enter runs it
            type(out, "\033[A\033[A\033[A\033[B\r");
            assertEquals("\r\033[K(qemu) c\r\033[K(qemu) info status\r\033[K(qemu) stop\r\033[K(qemu) info status"
                    + "\r\nVM status: running\r\n(qemu) ", readUntil(in, seen, "(qemu) info status\r\nVM status: running\r\n(qemu) "));
            type(out, "q\r");
            readUntil(in, seen, "q\r\n");
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
        InputStream in = p.getInputStream();
        OutputStream out = p.getOutputStream();
        StringBuilder seen = new StringBuilder();
        readUntil(in, seen, "spin: up\n"); // the serial port has the terminal
        type(out, "\u0001c");
        assertTrue(readUntil(in, seen, "(qemu) ").endsWith(
                "jqemu 0.1.0 monitor - type 'help' for more information\r\n(qemu) "));
        type(out, "info status\r");
        assertEquals("info status\r\nVM status: running\r\n(qemu) ", readUntil(in, seen, "(qemu) "));
        type(out, "\u0001c"); // back to the guest, then to the monitor again: just a prompt
        type(out, "\u0001c");
        assertTrue(readUntil(in, seen, "(qemu) ").endsWith("\r\n(qemu) "));
        type(out, "q\r");
        readUntil(in, seen, "q\r\n");
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue());
    }
}
