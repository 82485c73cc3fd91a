package org.jqemu.qmp;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import org.jline.reader.History;
import org.jline.reader.impl.history.DefaultHistory;
import org.jline.terminal.Size;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import org.jline.terminal.impl.ExternalTerminal;
import org.jqemu.system.chardev.CharFrontend;
import org.jqemu.system.chardev.Chardev;
import org.jqemu.system.chardev.MuxChardev;
import org.jqemu.system.chardev.SocketChardev;
import org.jqemu.system.chardev.StdioChardev;
import org.jqemu.system.cli.Listings;

/**
 * The human monitor on a chardev ({@code -monitor stdio}, {@code -monitor unix:...},
 * {@code -mon chardev=ID,mode=readline}, and Ctrl-A c under -nographic): a banner, the
 * "(qemu) " prompt, JLine's line editor ({@link HmpSession}: history on Up/Down, Tab completion
 * by {@link HmpCompleter}) and the commands of {@link Hmp}.
 *
 * <p>Two kinds of terminal: {@code -monitor stdio} on a real tty gets a JLine system terminal on
 * that tty (JLine sets raw mode and puts the tty back on exit, {@code quit} or a crash, and knows
 * the window size); everything else (sockets, the -nographic mux, stdio that is a pipe) gets a
 * JLine terminal over the chardev's bytes, whose keys this front end queues in a {@link KeyQueue}.
 * History belongs to the monitor, in memory, and outlives a socket client, as in QEMU.
 */
final class HmpTerminal implements CharFrontend, AutoCloseable {
    static final String PROMPT = "(qemu) ";
    static final String BANNER = "jqemu " + Listings.VERSION + " monitor - type 'help' for more information\r\n";
    /** QEMU's READLINE_MAX_CMDS. */
    static final int HISTORY = 64;
    /** The size a terminal is assumed to have when nothing tells us (behind a chardev, an unsized pty). */
    private static final Size STREAM_SIZE = new Size(80, 24);

    private final QmpMonitor monitor;
    private final Chardev chardev;
    private final History history = new DefaultHistory();
    private HmpSession session;
    private KeyQueue keys;
    private boolean greeted;

    HmpTerminal(QmpMonitor monitor, Chardev chardev) {
        this.monitor = monitor;
        this.chardev = chardev;
    }

    void start() {
        if (chardev instanceof StdioChardev stdio && stdio.onTerminal() && startOnTty(stdio)) {
            return;
        }
        if (chardev instanceof MuxChardev) {
            // A mux gives its input to the first front end; attaching once the machine runs
            // leaves the terminal to the serial port until Ctrl-A c, as in QEMU.
            monitor.machine().mainLoop().post(() -> chardev.attach(this));
            return;
        }
        chardev.attach(this);
        if (!(chardev instanceof SocketChardev)) {
            opened(); // a socket greets each client when it connects
        }
    }

    /** {@code -monitor stdio} on a tty: JLine runs the tty itself; the chardev stays unattached. */
    private boolean startOnTty(StdioChardev stdio) {
        Terminal tty;
        try {
            tty = TerminalBuilder.builder()
                    .name("hmp-" + chardev.id())
                    .system(true)
                    .providers("ffm,exec")
                    .dumb(false)
                    .type(termType())
                    .nativeSignals(false) // SIGINT stays jqemu's ("terminating on signal 2")
                    .graphemeCluster(false) // no probe sequences sent to the terminal
                    .encoding(StandardCharsets.UTF_8)
                    .build();
        } catch (IOException | RuntimeException e) {
            return false; // the chardev path still gives a monitor
        }
        if (tty.getWidth() <= 0) {
            tty.setSize(STREAM_SIZE); // a pty nobody sized (0x0) would leave the prompt no room
        }
        HmpSession s = new HmpSession(monitor, chardev.id(), tty, history, stdio.signals());
        followResize(tty);
        synchronized (this) {
            session = s;
            greeted = true;
        }
        s.start(true);
        return true;
    }

    /** $TERM, or "ansi" when it is not set (QEMU's readline needs no terminal type either). */
    private static String termType() {
        String term = System.getenv("TERM");
        return term == null || term.isBlank() ? "ansi" : term;
    }

    /** SIGWINCH tells the editor the window's new width (JLine's own signal handling is off). */
    @SuppressWarnings("removal")
    private static void followResize(Terminal tty) {
        try {
            sun.misc.Signal.handle(new sun.misc.Signal("WINCH"), sig -> tty.raise(Terminal.Signal.WINCH));
        } catch (IllegalArgumentException e) {
            // no SIGWINCH here: the width read at start stays
        }
    }

    @Override
    public void opened() {
        startSession(true);
    }

    @Override
    public void closed() {
        endSession(false);
    }

    @Override
    public void focus(boolean focused) {
        if (!focused) {
            return;
        }
        HmpSession s;
        synchronized (this) {
            if (!greeted) {
                s = null;
            } else {
                s = session;
            }
        }
        if (s == null) {
            startSession(true);
        } else {
            s.redraw();
        }
    }

    @Override
    public synchronized int canReceive() {
        return keys == null ? 0 : keys.room();
    }

    @Override
    public void receive(byte[] buf, int off, int len) {
        KeyQueue k;
        synchronized (this) {
            k = keys;
        }
        if (k != null) {
            k.put(buf, off, len);
        }
    }

    /** A new reader on a terminal over the chardev's bytes (one per socket client). */
    private void startSession(boolean banner) {
        endSession(false);
        KeyQueue k = new KeyQueue(chardev::acceptInput);
        HmpSession s;
        try {
            // Built directly: TerminalBuilder.streams() would put a host pty between us and the bytes.
            Terminal t = new ExternalTerminal(null, "hmp-" + chardev.id(), "ansi", k, new ChardevOutput(chardev),
                    StandardCharsets.UTF_8, Terminal.SignalHandler.SIG_DFL, false, null, STREAM_SIZE);
            s = new HmpSession(monitor, chardev.id(), t, history, false);
        } catch (IOException | RuntimeException e) {
            System.err.println("jqemu: monitor on " + chardev.id() + ": no terminal: " + e);
            return;
        }
        synchronized (this) {
            session = s;
            keys = k;
            greeted = true;
        }
        s.start(banner);
        chardev.acceptInput(); // keys held back while there was no session
    }

    /**
     * Ends the session's input. Keys already typed still run (a client may type "quit" and hang
     * up at once) unless {@code now}; then the session closes its terminal itself.
     */
    private void endSession(boolean now) {
        HmpSession s;
        KeyQueue k;
        synchronized (this) {
            s = session;
            k = keys;
            session = null;
            keys = null;
        }
        if (k != null) {
            k.end();
        }
        if (s != null && now) {
            s.close();
        }
    }

    /** Gives a tty back its mode (also done by JLine's shutdown hook). */
    @Override
    public void close() {
        endSession(true);
    }

    /**
     * What the line editor writes, to the chardev: collected until the terminal flushes (after
     * each redisplay) so a key costs one chardev write, not one per byte.
     */
    private static final class ChardevOutput extends OutputStream {
        private final Chardev chardev;
        private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

        ChardevOutput(Chardev chardev) {
            this.chardev = chardev;
        }

        @Override
        public synchronized void write(int b) {
            pending.write(b);
            if (pending.size() >= 4096) {
                flush();
            }
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            pending.write(b, off, len);
            if (pending.size() >= 4096) {
                flush();
            }
        }

        @Override
        public synchronized void flush() {
            if (pending.size() > 0) {
                byte[] out = pending.toByteArray();
                pending.reset();
                chardev.write(out, 0, out.length);
            }
        }

        @Override
        public void close() {
            flush(); // the chardev itself belongs to the machine
        }
    }
}
