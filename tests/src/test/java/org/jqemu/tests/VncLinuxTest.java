package org.jqemu.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The Linux text console over VNC: the amd64 guest runs its shell on tty0 (the VGA text console,
 * keyboard through the i8042), and a line typed through an RFB connection makes the shell write
 * a computed answer to the serial port; Debian's vncsnapshot then captures the screen and the
 * console text (the typed command line, /init's output) is read back from its pixels. "exit"
 * powers the guest off.
 */
class VncLinuxTest {
    @Test
    void textTypedOverVncReachesTheGuestShell() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/vncsnapshot")), "vncsnapshot not installed (scripts/install-test-deps.sh)");
        Path g = LinuxBootTest.guest("amd64");
        int display = freeDisplay();
        try (JqemuSession s = JqemuSession.start(g, List.of("-machine", "pc", "-m", "512",
                "-kernel", g.resolve("vmlinuz").toString(), "-initrd", g.resolve("initrd.gz").toString(),
                "-append", "console=ttyS0 console=tty0 jqemu.shell", "-display", "none",
                "-vnc", "127.0.0.1:" + display, "-serial", "stdio", "-no-reboot"))) {
            s.expect("Run /init as init process", Timeouts.BOOT);
            try (Socket sock = connect(display)) {
                DataOutputStream out = handshake(sock);
                // /init loads modules before it starts the shell; type until the shell answers.
                long deadline = Timeouts.deadline(Timeouts.STEP);
                while (System.nanoTime() < deadline && !s.saw("VNC-TYPED-42")) {
                    type(out, "echo VNC-TYPED-$((6*7)) > /dev/ttyS0\n");
                    for (int i = 0; i < 40 && !s.saw("VNC-TYPED-42"); i++) {
                        Thread.sleep(250);
                    }
                }
                if (!s.saw("VNC-TYPED-42")) {
                    throw s.failure("text typed over VNC did not reach the shell within " + Timeouts.STEP + " s");
                }
                String screen = snapshotText(display, s.logFile().resolveSibling(s.logFile().getFileName() + ".jpg"));
                assertTrue(screen.contains("/ # echo VNC-TYPED-$((6*7)) > /dev/ttyS0"),
                        "vncsnapshot's picture does not show the typed command line after the shell prompt:\n" + screen);
                assertTrue(screen.contains("JQEMU-GUEST-SHELL"),
                        "vncsnapshot's picture does not show /init's console output:\n" + screen);
                type(out, "exit\n");
                s.expect("reboot: Power down", Timeouts.STEP);
                s.assertExit(0, Timeouts.EXIT);
            }
        }
    }

    /**
     * Debian's vncsnapshot (a second, shared RFB client) takes a picture of the screen (kept next
     * to the guest's log); the text is read back from its pixels by glyph matching.
     */
    private static String snapshotText(int display, Path jpg) throws Exception {
        Thread.sleep(1000); // the echo of the typed line reaches the frame buffer with the next refresh
        Process p = new ProcessBuilder("vncsnapshot", "-quiet", "-nojpeg", "-quality", "100",
                "127.0.0.1:" + display, jpg.toString()).redirectErrorStream(true).start();
        if (!p.waitFor(Timeouts.seconds(Timeouts.STEP), TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("vncsnapshot hung");
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), "vncsnapshot failed: " + out);
        String screen = ScreenText.read(jpg);
        System.out.println("Linux text console as seen by vncsnapshot (" + jpg + "):\n" + screen);
        return screen;
    }

    static int freeDisplay() {
        for (int n = 20 + (int) (ProcessHandle.current().pid() % 60); n < 200; n++) {
            try (var s = new java.net.ServerSocket(5900 + n)) {
                return n;
            } catch (IOException e) {
                // in use
            }
        }
        throw new IllegalStateException("no free VNC display");
    }

    private static Socket connect(int display) throws Exception {
        for (int i = 0; ; i++) {
            try {
                return new Socket("127.0.0.1", 5900 + display);
            } catch (IOException e) {
                if (i > 100) {
                    throw e;
                }
                Thread.sleep(100);
            }
        }
    }

    /** RFB 3.8 with no security, up to ServerInit; returns the stream for client messages. */
    private static DataOutputStream handshake(Socket sock) throws IOException {
        DataInputStream in = new DataInputStream(sock.getInputStream());
        DataOutputStream out = new DataOutputStream(sock.getOutputStream());
        in.readFully(new byte[12]);
        out.write("RFB 003.008\n".getBytes(StandardCharsets.US_ASCII));
        in.readFully(new byte[in.readUnsignedByte()]);
        out.writeByte(1);
        assertEquals(0, in.readInt(), "security result");
        out.writeByte(1);
        in.readFully(new byte[20]);
        in.readFully(new byte[in.readInt()]);
        return out;
    }

    /** KeyEvent messages with X keysyms; the server adds Shift for shifted characters. */
    private static void type(DataOutputStream out, String text) throws IOException {
        for (char c : text.toCharArray()) {
            int keysym = c == '\n' ? 0xff0d : c;
            for (int down = 1; down >= 0; down--) {
                out.writeByte(4);
                out.writeByte(down);
                out.writeShort(0);
                out.writeInt(keysym);
            }
        }
        out.flush();
    }
}
