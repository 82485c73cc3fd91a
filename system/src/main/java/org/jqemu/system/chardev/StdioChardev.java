package org.jqemu.system.chardev;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.Executor;

/**
 * {@code -chardev stdio} / {@code -serial stdio}: guest output to our stdout, keyboard input from
 * stdin. When stdin is a terminal it is switched to raw mode (see {@link TerminalMode}) for as
 * long as the chardev lives. End of input just stops reading, as in QEMU.
 */
public final class StdioChardev extends ChardevBase {
    private final OutputPump pump;
    private final TerminalMode terminal;

    /**
     * @param rawTerminal switch the terminal on our real stdin to raw mode (false for tests and
     *     when {@code in} is not the process's stdin)
     * @param signals keep Ctrl-C as a signal to jqemu ({@code signal=on}, the default)
     */
    public StdioChardev(String id, Executor mainLoop, InputStream in, OutputStream out, boolean rawTerminal,
            boolean signals) {
        super(id, mainLoop);
        this.terminal = rawTerminal ? TerminalMode.enterRaw(signals) : null;
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
        Thread.ofPlatform().name("chardev-in-" + id).daemon(true).start(() -> readLoop(in));
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
        if (terminal != null) {
            terminal.restore();
        }
    }
}
