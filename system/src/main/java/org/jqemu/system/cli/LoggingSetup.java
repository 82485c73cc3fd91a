package org.jqemu.system.cli;

/**
 * Configures slf4j-simple (the runtime binding) through its System properties, which it reads
 * when the first logger is created: so this must run before anything logs. jqemu's own loggers
 * (org.jqemu.*, and "jqemu" for {@code -d} output) show INFO; libraries only warnings. Everything
 * goes to stderr, or to the {@code -D} file. Properties the user set with {@code java -D...} win.
 */
public final class LoggingSetup {
    private static final String P = "org.slf4j.simpleLogger.";

    private LoggingSetup() {}

    public static void configure(String logFile) {
        set("defaultLogLevel", "warn");
        set("log.org.jqemu", "info");
        set("log.jqemu", "info");
        set("showThreadName", "false");
        set("showShortLogName", "true");
        if (logFile != null) {
            System.setProperty(P + "logFile", logFile); // -D is explicit: it beats an inherited default
        } else {
            set("logFile", "System.err");
        }
    }

    private static void set(String key, String value) {
        if (System.getProperty(P + key) == null) {
            System.setProperty(P + key, value);
        }
    }
}
