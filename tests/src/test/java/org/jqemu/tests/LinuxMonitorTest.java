package org.jqemu.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Both monitors against a booted Linux guest (the cached amd64 guest of tests/guests/build-guest.sh,
 * whose /init runs busybox acpid so the ACPI power button powers it off), in one boot:
 *
 * <ol>
 *   <li>jqemu runs under {@code -nographic} in a real pseudo-terminal ({@code script}). The guest
 *       shell prints where the kernel's {@code linux_banner} lives; Ctrl-A c switches the terminal to
 *       HMP, where {@code info registers} shows the CPU in 64-bit mode and {@code x /8x} of that
 *       kernel virtual address reads the banner the guest printed.</li>
 *   <li>Debian's {@code socat} is the QMP client: negotiate, query-status, stop, query-status shows
 *       paused, cont, system_powerdown; the guest's acpid powers off and the SHUTDOWN event arrives
 *       with the guest as its cause.</li>
 * </ol>
 */
class LinuxMonitorTest {
    @TempDir
    Path dir;

    @Test
    void hmpInAPtyAndQmpOverSocatDriveABootedLinuxGuest() throws Exception {
        Path g = LinuxBootTest.guest("amd64");
        String version = Files.readString(g.resolve("VERSION"));
        assertTrue(version.matches("(?s).*modules=[^\n]*\\bbutton\\b.*"),
                "the cached guest predates the power-button recipe; rebuild it: tests/guests/build-guest.sh --force amd64");
        Path qmpSock = dir.resolve("qmp.sock");
        List<String> jqemu = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                "org.jqemu.system.Main", "-machine", "pc", "-m", "512",
                "-kernel", g.resolve("vmlinuz").toString(), "-initrd", g.resolve("initrd.gz").toString(),
                "-append", "console=ttyS0 jqemu.shell", "-nographic", "-no-reboot",
                // as in QEMU, -qmp takes the default monitor away from -nographic: mon: brings it back
                "-serial", "mon:stdio",
                "-qmp", "unix:" + qmpSock + ",server=on,wait=off",
                // a second QMP monitor for the failure report (Pty.expect)
                "-qmp", "unix:" + dir.resolve("diag.sock") + ",server=on,wait=off"));
        try (Pty pty = Pty.start(dir, jqemu, dir.resolve("diag.sock"))) {
            pty.expect(VirtioLinuxTest.KERNEL_STARTS_INIT, Timeouts.BOOT);
            pty.expect("JQEMU-GUEST-SHELL", Timeouts.STEP);
            pty.expect("# ", Timeouts.STEP);

            // the guest tells where its banner is, and what it says
            pty.type("grep -w linux_banner /proc/kallsyms; cat /proc/version\r");
            Matcher sym = pty.expect("([0-9a-f]{16}) [DdRr] linux_banner", Timeouts.STEP);
            String banner = pty.expect("(Linux version [^\n]+)", Timeouts.STEP).group(1);
            pty.expect("# ", Timeouts.STEP);
            long addr = Long.parseUnsignedLong(sym.group(1), 16);

            // Ctrl-A c: the human monitor on the same terminal
            pty.type("\u0001c");
            pty.expect("\\(qemu\\) ", Timeouts.STEP);
            pty.type("info registers\r");
            String regs = pty.expect("(?s)info registers\n\nCPU#0\n(RAX=.*?EFER=[0-9a-f]{16}\nFCW=.*?XMM15=[0-9a-f ]{33})\n\\(qemu\\) ", Timeouts.STEP).group(1);
            for (String reg : List.of("RAX", "RBX", "RCX", "RDX", "RSI", "RDI", "RBP", "RSP", "R8 ", "R15", "RIP")) {
                assertTrue(Pattern.compile("(^|[ \n])" + reg + "=[0-9a-f]{16}").matcher(regs).find(), reg + " in\n" + regs);
            }
            assertTrue(regs.matches("(?s).*\nCS =0010 0{16} ffffffff 00a09b00 DPL=0 CS64 \\[-RA\\]\n.*"), "64-bit kernel CS:\n" + regs);
            assertTrue(regs.matches("(?s).*CR0=8[0-9a-f]{7} .*"), "paging on:\n" + regs);
            assertTrue(regs.matches("(?s).*EFER=0{13}d01.*|(?s).*EFER=0{13}501.*"), "long mode active:\n" + regs);

            pty.type(String.format("x /8x 0x%x\r", addr));
            Matcher dump = pty.expect(String.format(
                    "%016x: (0x[0-9a-f]{8}) (0x[0-9a-f]{8}) (0x[0-9a-f]{8}) (0x[0-9a-f]{8})\n"
                            + "%016x: (0x[0-9a-f]{8}) (0x[0-9a-f]{8}) (0x[0-9a-f]{8}) (0x[0-9a-f]{8})\n\\(qemu\\) ",
                    addr, addr + 16), Timeouts.STEP);
            StringBuilder text = new StringBuilder();
            for (int i = 1; i <= 8; i++) {
                long w = Long.parseLong(dump.group(i).substring(2), 16);
                for (int b = 0; b < 4; b++) {
                    text.append((char) (w >>> (8 * b) & 0xff));
                }
            }
            assertEquals(banner.substring(0, 32), text.toString(), "x /8x shows the guest's linux_banner");

            // back to the guest console, which still answers
            pty.type("\u0001c");
            pty.type("echo back-$((6*7))\r");
            pty.expect("back-42", Timeouts.STEP);

            try (Socat qmp = Socat.connect("UNIX-CONNECT:" + qmpSock)) {
                qmp.expectLine("\\{\"QMP\": \\{\"version\": .*\"capabilities\": \\[\\]\\}\\}");
                qmp.send("{\"execute\": \"qmp_capabilities\"}");
                qmp.expectLine("\\{\"return\": \\{\\}\\}");
                qmp.send("{\"execute\": \"query-status\", \"id\": 1}");
                qmp.expectLine("\\{\"return\": \\{\"status\": \"running\", \"singlestep\": false, \"running\": true\\}, \"id\": 1\\}");
                qmp.send("{\"execute\": \"stop\"}");
                qmp.expectLine(".*\"event\": \"STOP\".*");
                qmp.expectLine("\\{\"return\": \\{\\}\\}");
                qmp.send("{\"execute\": \"query-status\", \"id\": 2}");
                qmp.expectLine("\\{\"return\": \\{\"status\": \"paused\", \"singlestep\": false, \"running\": false\\}, \"id\": 2\\}");
                qmp.send("{\"execute\": \"cont\"}");
                qmp.expectLine(".*\"event\": \"RESUME\".*");
                qmp.expectLine("\\{\"return\": \\{\\}\\}");
                qmp.send("{\"execute\": \"system_powerdown\"}");
                qmp.expectLine(".*\"event\": \"POWERDOWN\".*");
                qmp.expectLine("\\{\"return\": \\{\\}\\}");
                qmp.expectLine("\\{\"timestamp\": \\{\"seconds\": \\d+, \"microseconds\": \\d+\\}, \"event\": \"SHUTDOWN\", "
                        + "\"data\": \\{\"guest\": true, \"reason\": \"guest-shutdown\"\\}\\}");
            }
            pty.expect("JQEMU-GUEST-POWER-BUTTON", Timeouts.STEP);
            pty.expect("reboot: Power down", Timeouts.STEP);
            int status = pty.waitFor(Timeouts.EXIT);
            if (status != 0) {
                throw pty.failure("exit status " + status + " after the guest powered off, expected 0");
            }
        }
    }

    /** jqemu on the slave side of a pseudo-terminal, through util-linux {@code script}. */
    static final class Pty implements AutoCloseable {
        private final Process process;
        private final OutputStream in;
        private final StringBuilder out = new StringBuilder();
        private final Path qmpSocket;
        private final Path log = GuestLogs.forCurrentTest(".log");
        private final long started = System.nanoTime();
        private int mark;

        private Pty(Process process, Path qmpSocket) throws IOException {
            this.process = process;
            this.in = process.getOutputStream();
            this.qmpSocket = qmpSocket;
            OutputStream logOut = Files.newOutputStream(log);
            Thread t = new Thread(() -> {
                byte[] buf = new byte[8192];
                try (InputStream s = process.getInputStream(); logOut) {
                    for (int n; (n = s.read(buf)) > 0; ) {
                        logOut.write(buf, 0, n);
                        logOut.flush();
                        synchronized (this) {
                            // the terminal turns "\n" into "\r\n" (onlcr) on top of the CRLF HMP and the guest write
                            out.append(new String(buf, 0, n, StandardCharsets.ISO_8859_1).replace("\r", ""));
                            notifyAll();
                        }
                    }
                } catch (IOException e) {
                    // ended
                }
                synchronized (this) {
                    notifyAll();
                }
            }, "pty-reader");
            t.setDaemon(true);
            t.start();
        }

        /** Runs {@code command} (a jqemu with a QMP monitor on {@code qmpSocket} for failure reports). */
        static Pty start(Path dir, List<String> command, Path qmpSocket) throws IOException {
            StringBuilder line = new StringBuilder("exec");
            for (String a : command) {
                line.append(" '").append(a.replace("'", "'\\''")).append('\'');
            }
            return new Pty(new ProcessBuilder("script", "-qfec", line.toString(), "/dev/null")
                    .directory(dir.toFile()).redirectErrorStream(true).start(), qmpSocket);
        }

        void type(String keys) throws IOException {
            in.write(keys.getBytes(StandardCharsets.ISO_8859_1));
            in.flush();
        }

        Matcher expect(String regex, long seconds) throws InterruptedException {
            Pattern p = Pattern.compile(regex);
            boolean ended = false;
            long from = System.nanoTime();
            long deadline = Timeouts.deadline(seconds);
            synchronized (this) {
                while (true) {
                    Matcher m = p.matcher(out);
                    if (m.find(mark)) {
                        mark = m.end();
                        return m;
                    }
                    long left = deadline - System.nanoTime();
                    // after the process ended, one more round lets the reader deliver its last output
                    if (left <= 0 || ended) {
                        break;
                    }
                    ended = !process.isAlive();
                    wait(Math.min(TimeUnit.NANOSECONDS.toMillis(left) + 1, 500));
                }
            }
            throw failure((ended ? "jqemu ended" : "timed out" + Timeouts.budgetNote(deadline)) + " after "
                    + TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - from) + " s (limit " + seconds
                    + " s) waiting for /" + regex + "/");
        }

        /** As {@link JqemuSession#failure}: the terminal's last lines and the monitor's view. */
        AssertionError failure(String what) {
            boolean alive = process.isAlive();
            String report;
            synchronized (this) {
                report = what + "; full terminal output: " + log + "\njqemu " + (alive ? "still running" : "ended")
                        + ", " + TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started) + " s after it started\n"
                        + "--- last " + JqemuSession.TAIL_LINES + " terminal lines ---\n"
                        + GuestLogs.tail(out, JqemuSession.TAIL_LINES);
            }
            report += "\n--- monitor ---\n" + (alive ? MonitorDump.of(qmpSocket) : "(jqemu is gone)\n");
            System.err.println("=== " + log.getFileName() + ": " + report);
            return new AssertionError(report);
        }

        synchronized String output() {
            return out.toString();
        }

        int waitFor(long seconds) throws InterruptedException {
            return process.waitFor(seconds, TimeUnit.SECONDS) ? process.exitValue() : -1;
        }

        @Override
        public void close() throws InterruptedException {
            if (process.isAlive()) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    /** Debian's socat as a QMP client: one JSON line per request, replies and events line by line. */
    static final class Socat implements AutoCloseable {
        private final Process process;
        private final BufferedReader replies;
        private final OutputStream requests;
        private final List<String> seen = new ArrayList<>();

        private Socat(Process process) {
            this.process = process;
            this.replies = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            this.requests = process.getOutputStream();
        }

        static Socat connect(String address) throws IOException {
            return new Socat(new ProcessBuilder("socat", "-", address).redirectErrorStream(true).start());
        }

        void send(String json) throws IOException {
            requests.write((json + "\n").getBytes(StandardCharsets.UTF_8));
            requests.flush();
        }

        /** The next line, which must match {@code regex} (read with a {@link Timeouts#STEP} limit). */
        void expectLine(String regex) throws Exception {
            Thread watchdog = Thread.ofVirtual().start(() -> {
                try {
                    Thread.sleep(TimeUnit.SECONDS.toMillis(Timeouts.seconds(Timeouts.STEP)));
                    process.destroyForcibly();
                } catch (InterruptedException e) {
                    // answered in time
                }
            });
            String line;
            try {
                line = replies.readLine();
            } finally {
                watchdog.interrupt();
            }
            assertTrue(line != null && line.matches(regex), "expected /" + regex + "/ but got " + line
                    + "\nafter " + seen);
            seen.add(line);
        }

        @Override
        public void close() throws InterruptedException {
            process.destroy();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
