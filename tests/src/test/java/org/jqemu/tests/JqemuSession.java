package org.jqemu.tests;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An interactive jqemu child process: a test types into its stdin (the guest's serial console
 * under {@code -nographic}) and waits for text on its stdout, as a person at the terminal would.
 * Everything the process printed stays available in {@link #output()} for failure messages.
 */
final class JqemuSession implements AutoCloseable {
    private final Process process;
    private final OutputStream stdin;
    private final StringBuilder stdout = new StringBuilder();
    private final StringBuilder stderr = new StringBuilder();
    /** Where {@link #expect} searches from: text before it was already consumed by an earlier match. */
    private int mark;

    private JqemuSession(Process process) {
        this.process = process;
        this.stdin = process.getOutputStream();
        pump(process.getInputStream(), stdout, "jqemu-stdout");
        pump(process.getErrorStream(), stderr, "jqemu-stderr");
    }

    /** Starts {@code org.jqemu.system.Main args} in a child JVM on this test's class path. */
    static JqemuSession start(Path workDir, List<String> args) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>();
        cmd.add(java);
        cmd.add("--enable-native-access=ALL-UNNAMED");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add("org.jqemu.system.Main");
        cmd.addAll(args);
        return new JqemuSession(new ProcessBuilder(cmd).directory(workDir.toFile()).start());
    }

    private void pump(InputStream in, StringBuilder sink, String name) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[8192];
            try {
                for (int n; (n = in.read(buf)) > 0; ) {
                    String s = new String(buf, 0, n, StandardCharsets.ISO_8859_1);
                    synchronized (this) {
                        sink.append(s);
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
     * Throws an AssertionError with the whole output when time runs out or the process ends first.
     */
    synchronized Matcher expect(String regex, long timeoutSeconds) throws InterruptedException {
        Pattern p = Pattern.compile(regex);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        boolean sawExit = false;
        while (true) {
            Matcher m = p.matcher(stdout);
            if (m.find(mark)) {
                mark = m.end();
                return m;
            }
            long left = deadline - System.nanoTime();
            // After the process ends, one more round lets the pump threads deliver its last output.
            if (left <= 0 || sawExit) {
                throw new AssertionError((process.isAlive() ? "timed out" : "jqemu exited (" + process.exitValue() + ")")
                        + " waiting for /" + regex + "/\n--- stdout ---\n" + stdout + "\n--- stderr ---\n" + stderr);
            }
            sawExit = !process.isAlive();
            wait(Math.min(TimeUnit.NANOSECONDS.toMillis(left) + 1, 500));
        }
    }

    /** Waits for the process to end and returns its exit status, or -1 after the timeout. */
    int waitFor(long timeoutSeconds) throws InterruptedException {
        if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            return -1;
        }
        return process.exitValue();
    }

    synchronized String output() {
        return stdout.toString();
    }

    synchronized String errors() {
        return stderr.toString();
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
    }
}
