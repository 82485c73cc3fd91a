package org.jqemu.tests;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An interactive jqemu child process: a test types into its stdin (the guest's serial console
 * under {@code -nographic} or {@code -serial stdio}) and waits for text on its stdout, as a person
 * at the terminal would.
 *
 * <p>Made for finding out why a guest hung: everything the process prints goes to a log file
 * named after the test ({@link GuestLogs}) as it arrives, and every session gets a QMP socket of
 * its own, so a failed {@link #expect} reports the last lines of the console, how long it waited,
 * whether jqemu still runs and — from the monitor — the run state and every CPU's registers.
 */
final class JqemuSession implements AutoCloseable {
    /** Console lines a failure message shows (the log file has all of them). */
    static final int TAIL_LINES = 60;

    private final Process process;
    private final OutputStream stdin;
    private final StringBuilder stdout = new StringBuilder();
    private final StringBuilder stderr = new StringBuilder();
    private final Path log;
    private final Path qmpSocket;
    private final List<String> command;
    private final long started = System.nanoTime();
    private OutputStream logOut;
    /** Where {@link #expect} searches from: text before it was already consumed by an earlier match. */
    private int mark;

    private JqemuSession(Process process, Path log, Path qmpSocket, List<String> command) throws IOException {
        this.process = process;
        this.stdin = process.getOutputStream();
        this.log = log;
        this.qmpSocket = qmpSocket;
        this.command = command;
        // Appending, so the failure report and the console's last bytes never overwrite each other.
        this.logOut = new FileOutputStream(log.toFile(), true);
        pump(process.getInputStream(), stdout, true, "jqemu-stdout");
        pump(process.getErrorStream(), stderr, false, "jqemu-stderr");
    }

    /**
     * Starts {@code org.jqemu.system.Main args} in a child JVM on this test's class path, with a
     * QMP socket for the failure report added to {@code args}.
     */
    static JqemuSession start(Path workDir, List<String> args) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        Path monitorDir = Files.createTempDirectory("jqemu-mon");
        Path qmp = monitorDir.resolve("qmp.sock");
        List<String> cmd = new ArrayList<>();
        cmd.add(java);
        cmd.add("--enable-native-access=ALL-UNNAMED");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add("org.jqemu.system.Main");
        cmd.addAll(args);
        cmd.addAll(monitorArgs(args, qmp));
        Path log = GuestLogs.forCurrentTest(".log");
        Files.deleteIfExists(log);
        return new JqemuSession(new ProcessBuilder(cmd).directory(workDir.toFile()).start(), log, qmp,
                List.copyOf(cmd.subList(5, cmd.size())));
    }

    /**
     * The extra QMP monitor. As in QEMU, any -qmp takes the default human monitor off the
     * {@code -nographic} terminal, so then Ctrl-A c is kept working with {@code -serial mon:stdio}.
     */
    private static List<String> monitorArgs(List<String> args, Path qmp) {
        List<String> extra = new ArrayList<>();
        boolean defaultMonitor = args.contains("-nographic") && !args.contains("-nodefaults");
        for (String a : List.of("-serial", "-monitor", "-mon", "-qmp", "-qmp-pretty")) {
            defaultMonitor &= !args.contains(a);
        }
        if (defaultMonitor) {
            extra.addAll(List.of("-serial", "mon:stdio"));
        }
        extra.addAll(List.of("-qmp", "unix:" + qmp + ",server=on,wait=off"));
        return extra;
    }

    private void pump(InputStream in, StringBuilder sink, boolean toLog, String name) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[8192];
            try {
                for (int n; (n = in.read(buf)) > 0; ) {
                    String s = new String(buf, 0, n, StandardCharsets.ISO_8859_1);
                    synchronized (this) {
                        sink.append(s);
                        if (toLog) {
                            writeLog(buf, n);
                        }
                        notifyAll();
                    }
                }
            } catch (IOException e) {
                // The process ended.
            }
            synchronized (this) {
                notifyAll();
            }
        }, name);
        t.setDaemon(true);
        t.start();
    }

    private void writeLog(byte[] buf, int n) {
        if (logOut == null) {
            return;
        }
        try {
            logOut.write(buf, 0, n);
        } catch (IOException e) {
            logOut = null; // a full disk must not fail the test; the console stays in memory
        }
    }

    /** Types text into the guest console (no newline added). */
    void send(String text) throws IOException {
        stdin.write(text.getBytes(StandardCharsets.ISO_8859_1));
        stdin.flush();
    }

    /** Types a command line and Enter. */
    void sendLine(String line) throws IOException {
        send(line + "\n");
    }

    /**
     * Waits until stdout shows a match of {@code regex} after the previous match, and returns it.
     * The wait is at most {@code timeoutSeconds} (use {@link Timeouts}) and ends early when the
     * process ends or the test JVM's budget is used up; then it throws an AssertionError with
     * {@link #failure}'s report.
     */
    Matcher expect(String regex, long timeoutSeconds) throws InterruptedException {
        Pattern p = Pattern.compile(regex);
        long from = System.nanoTime();
        long deadline = Timeouts.deadline(timeoutSeconds);
        boolean sawExit = false;
        InterruptedException interrupted = null;
        synchronized (this) {
            while (true) {
                Matcher m = p.matcher(stdout);
                if (m.find(mark)) {
                    mark = m.end();
                    return m;
                }
                long left = deadline - System.nanoTime();
                // After the process ends, one more round lets the pump threads deliver its last output.
                if (left <= 0 || sawExit) {
                    break;
                }
                sawExit = !process.isAlive();
                try {
                    wait(Math.min(TimeUnit.NANOSECONDS.toMillis(left) + 1, 500));
                } catch (InterruptedException e) {
                    interrupted = e;
                    break;
                }
            }
        }
        if (interrupted != null) { // JUnit's per-test timeout (tests/pom.xml): report, then let it unwind
            AssertionError report = failure("interrupted (the test's JUnit timeout?) after "
                    + seconds(System.nanoTime() - from) + " s waiting for /" + regex + "/");
            report.addSuppressed(interrupted);
            Thread.currentThread().interrupt();
            throw report;
        }
        // Reported without holding the lock, so the console keeps flowing while the monitor answers.
        throw failure((sawExit ? "jqemu exited" : "timed out" + Timeouts.budgetNote(deadline))
                + " after " + seconds(System.nanoTime() - from) + " s (limit " + timeoutSeconds
                + " s) waiting for /" + regex + "/");
    }

    /** Whether stdout shows {@code text} anywhere so far (nothing is consumed). */
    synchronized boolean saw(String text) {
        return stdout.indexOf(text) >= 0;
    }

    /**
     * An AssertionError for a wait on this guest that failed: {@code what} and where to find the
     * full log on its first line (CI shows that line in its summary), then the session's state,
     * the last {@link #TAIL_LINES} console lines, stderr's tail and the monitor's view. The same
     * report goes to the log file and to this JVM's stderr (which surefire prints).
     */
    AssertionError failure(String what) {
        return failure(what, "");
    }

    /** As {@link #failure(String)}, with more of the test's own evidence (e.g. another console's tail). */
    AssertionError failure(String what, String evidence) {
        StringBuilder r = new StringBuilder();
        boolean alive;
        synchronized (this) {
            alive = process.isAlive();
            r.append(what).append("; full console: ").append(log).append('\n');
            r.append("jqemu ").append(alive ? "still running" : "exited with status " + process.exitValue())
                    .append(", ").append(seconds(System.nanoTime() - started)).append(" s after it started; command: jqemu ")
                    .append(String.join(" ", command)).append('\n');
            r.append("--- last ").append(TAIL_LINES).append(" console lines ---\n").append(GuestLogs.tail(stdout, TAIL_LINES));
            r.append("\n--- stderr (tail) ---\n").append(GuestLogs.tail(stderr, 20));
            r.append(evidence.isEmpty() || evidence.startsWith("\n") ? "" : "\n").append(evidence);
        }
        // Outside the lock: the pump threads keep delivering output while the monitor answers.
        r.append("\n--- monitor ---\n").append(alive ? MonitorDump.of(qmpSocket) : "(jqemu is gone)\n");
        String report = r.toString();
        appendToLog("\n=== test failure ===\n" + report);
        System.err.println("=== " + log.getFileName() + ": " + report);
        return new AssertionError(report);
    }

    private synchronized void appendToLog(String text) {
        byte[] b = text.getBytes(StandardCharsets.ISO_8859_1);
        if (logOut != null) {
            writeLog(b, b.length);
            return;
        }
        try {
            Files.write(log, b, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            // the report is in the assertion message anyway
        }
    }

    /** Waits for the process to end and returns its exit status, or -1 after the timeout. */
    int waitFor(long timeoutSeconds) throws InterruptedException {
        if (!process.waitFor(Timeouts.seconds(timeoutSeconds), TimeUnit.SECONDS)) {
            return -1;
        }
        return process.exitValue();
    }

    /**
     * Waits for the process to end and asserts its exit status; on a timeout or another status
     * the report of {@link #failure} says what the guest was doing.
     */
    void assertExit(int status, long timeoutSeconds) throws InterruptedException {
        int s = waitFor(timeoutSeconds);
        if (s != status) {
            throw failure(s == -1 && process.isAlive()
                    ? "jqemu did not exit within " + timeoutSeconds + " s (expected status " + status + ")"
                    : "exit status " + s + ", expected " + status);
        }
    }

    synchronized String output() {
        return stdout.toString();
    }

    synchronized String errors() {
        return stderr.toString();
    }

    /** The file that receives this guest's console. */
    Path logFile() {
        return log;
    }

    boolean isAlive() {
        return process.isAlive();
    }

    private static long seconds(long nanos) {
        return TimeUnit.NANOSECONDS.toSeconds(nanos);
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        synchronized (this) {
            try {
                if (logOut != null) {
                    logOut.close();
                }
            } catch (IOException e) {
                // nothing to add to a log we cannot write
            }
            logOut = null;
            String tail = "\n=== jqemu " + (process.isAlive() ? "still running" : "exit status " + process.exitValue())
                    + " ===\n--- stderr ---\n" + stderr;
            appendToLog(tail);
        }
        try {
            Files.deleteIfExists(qmpSocket);
            Files.deleteIfExists(qmpSocket.getParent());
        } catch (IOException e) {
            // a leftover empty temp folder is harmless
        }
    }
}
