package org.jqemu.system.chardev;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * Puts the controlling terminal on our stdin into the mode QEMU's stdio backend uses, and restores
 * it: no echo, no line editing, no flow control or CR/NL translation on input, so every key reaches
 * the guest; output processing stays on. With {@code signals} Ctrl-C still interrupts jqemu, as
 * with QEMU's {@code signal=on} default.
 *
 * <p>Java has no termios, so this runs {@code stty} with our own stdin inherited; when stdin is
 * not a terminal stty fails and nothing changes.
 */
public final class TerminalMode {
    private final String saved;
    private boolean restored;

    private TerminalMode(String saved) {
        this.saved = saved;
    }

    /** Switches the terminal, or returns null when stdin is not a terminal. */
    public static TerminalMode enterRaw(boolean signals) {
        String saved = stty("-g");
        if (saved == null || saved.isBlank()) {
            return null;
        }
        String mode = "-echo -icanon -iexten -ignbrk -brkint -parmrk -istrip -inlcr -igncr -icrnl -ixon"
                + " -parenb cs8 min 1 time 0 opost" + (signals ? " isig" : " -isig");
        if (stty(mode) == null) {
            return null;
        }
        TerminalMode t = new TerminalMode(saved.trim());
        Runtime.getRuntime().addShutdownHook(new Thread(t::restore, "restore-terminal"));
        return t;
    }

    /** Puts the terminal back as it was; safe to call twice (normal exit and the shutdown hook). */
    public synchronized void restore() {
        if (!restored) {
            restored = true;
            stty(saved);
        }
    }

    private static String stty(String args) {
        try {
            Process p = new ProcessBuilder("/bin/sh", "-c", "stty " + args)
                    .redirectInput(ProcessBuilder.Redirect.INHERIT)
                    .redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(5, TimeUnit.SECONDS) || p.exitValue() != 0) {
                return null;
            }
            return new String(out, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
