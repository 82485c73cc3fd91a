package org.jqemu.tests;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs jqemu as a user does, in a child JVM on this test's class path, so exit status, stdout and
 * stderr are the real ones. For short runs whose output goes to files; a guest that boots Linux
 * is a {@link JqemuSession}, whose failures carry the console and the monitor's view.
 */
final class JqemuProcess {
    record Result(int status, String stdout, String stderr, boolean timedOut) {}

    private JqemuProcess() {}

    static Result run(long timeoutSeconds, Path workDir, List<String> args) throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>();
        cmd.add(java);
        cmd.add("--enable-native-access=ALL-UNNAMED");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add("org.jqemu.system.Main");
        cmd.addAll(args);
        Path out = Files.createTempFile("jqemu-out", ".txt");
        Path err = Files.createTempFile("jqemu-err", ".txt");
        try {
            Process p = new ProcessBuilder(cmd)
                    .directory(workDir.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile())
                    .start();
            // cut short when the test JVM's budget is used up (Timeouts)
            boolean done = p.waitFor(Timeouts.seconds(timeoutSeconds), TimeUnit.SECONDS);
            if (!done) {
                p.destroyForcibly().waitFor();
            }
            return new Result(done ? p.exitValue() : -1, Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8), !done);
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
