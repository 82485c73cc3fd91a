package org.jqemu.tests;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Where the end-to-end tests keep each guest's full console: {@code guest-logs/<Class>.<test>.log}
 * in the build folder next to surefire's reports (tests/pom.xml passes it as
 * {@code jqemu.guestLogs}), so a failure can be read in full after the run, while its message
 * shows only the tail.
 */
final class GuestLogs {
    private static final Map<String, Integer> USED = new HashMap<>();

    private GuestLogs() {}

    static Path dir() {
        Path d = Path.of(System.getProperty("jqemu.guestLogs", "target/guest-logs")).toAbsolutePath();
        try {
            return Files.createDirectories(d);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + d, e);
        }
    }

    /**
     * A new log file named after the running test: the outermost caller in this package, which
     * is the test method JUnit called (a second guest of the same test gets "-2", and so on).
     */
    static synchronized Path forCurrentTest(String suffix) {
        String test = StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE).walk(frames -> frames
                .filter(f -> f.getDeclaringClass().getPackageName().equals(GuestLogs.class.getPackageName()))
                .reduce((inner, outer) -> outer)
                .map(f -> topLevel(f.getDeclaringClass()).getSimpleName() + "." + f.getMethodName())
                .orElse("unknown"));
        String base = test.replaceAll("[^A-Za-z0-9._-]", "_");
        int n = USED.merge(base, 1, Integer::sum);
        return dir().resolve(base + (n == 1 ? "" : "-" + n) + suffix);
    }

    private static Class<?> topLevel(Class<?> c) {
        while (c.getEnclosingClass() != null) {
            c = c.getEnclosingClass();
        }
        return c;
    }

    /** The last {@code lines} lines of {@code text}. */
    static String tail(CharSequence text, int lines) {
        int end = text.length();
        int i = end;
        int seen = 0;
        while (i > 0) {
            if (text.charAt(i - 1) == '\n' && i != end && ++seen == lines) {
                break;
            }
            i--;
        }
        return (i > 0 ? "[... " + countLines(text, i) + " earlier lines in the log file ...]\n" : "")
                + text.subSequence(i, end);
    }

    private static int countLines(CharSequence text, int end) {
        int n = 0;
        for (int i = 0; i < end; i++) {
            if (text.charAt(i) == '\n') {
                n++;
            }
        }
        return n;
    }
}
