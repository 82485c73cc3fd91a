package org.jqemu.system.chardev;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.Executor;

/**
 * {@code -chardev stdio} / {@code -serial stdio}: guest output to our stdout, keyboard input from
 * stdin. When stdin is a terminal it is switched to raw mode (see {@link TerminalMode}) for as
 * long as the chardev lives. End of input just stops reading, as in QEMU.
 *
 * <p>Reading and the raw mode start when a front end attaches: a front end that drives the
 * terminal itself (the human monitor's line editor, see {@link #onTerminal()}) never attaches,
 * so stdin and the terminal mode stay its own.
 */
public final class StdioChardev extends ChardevBase {
    private final OutputPump pump;
    private final InputStream in;
    private final boolean rawTerminal;
    private final boolean signals;
    private TerminalMode terminal;
    private boolean started;

    /**
     * @param rawTerminal switch the terminal on our real stdin to raw mode (false for tests and
     *     when {@code in} is not the process's stdin)
     * @param signals keep Ctrl-C as a signal to jqemu ({@code signal=on}, the default)
     */
    public StdioChardev(String id, Executor mainLoop, InputStream in, OutputStream out, boolean rawTerminal,
            boolean signals) {
        super(id, mainLoop);
        this.in = in;
        this.rawTerminal = rawTerminal;
        this.signals = signals;
        this.pump = new OutputPump(id, new OutputPump.Sink() {
            @Override
            public void write(byte[] buf, int off, int len) throws IOException {
                out.write(buf, off, len);
            }

            @Override
            public void flush() throws IOException {
                out.flush();
            }
        });
    }

    /**
     * True when this is the process's own stdin and stdout and both are a terminal: a front end
     * may then run the terminal itself instead of attaching.
     */
    public boolean onTerminal() {
        if (!rawTerminal) {
            return false;
        }
        java.io.Console console = System.console();
        return console != null && console.isTerminal();
    }

    /** {@code signal=on}: Ctrl-C on the terminal is a signal to jqemu, not a key. */
    public boolean signals() {
        return signals;
    }

    @Override
    public synchronized void attach(CharFrontend frontend) {
        super.attach(frontend);
        if (frontend != null && !started && !isClosed()) {
            started = true;
            terminal = rawTerminal ? TerminalMode.enterRaw(signals) : null;
            Thread.ofPlatform().name("chardev-in-" + id()).daemon(true).start(() -> readLoop(in));
        }
    }

    private void readLoop(InputStream in) {
        byte[] buf = new byte[4096];
        try {
            int n;
            while (!isClosed() && (n = in.read(buf)) > 0) {
                deliver(buf, 0, n);
            }
        } catch (IOException e) {
            // stdin closed under us: no more input, as at end of file
        }
    }

    @Override
    public void write(byte[] buf, int off, int len) {
        pump.write(buf, off, len);
    }

    @Override
    public void close() {
        markClosed();
        pump.close();
        TerminalMode t;
        synchronized (this) {
            t = terminal;
        }
        if (t != null) {
            t.restore();
        }
    }
}
