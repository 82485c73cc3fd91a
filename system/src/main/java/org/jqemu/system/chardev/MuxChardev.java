package org.jqemu.system.chardev;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;

/**
 * A terminal shared by several front ends ({@code -nographic}, {@code -serial mon:stdio},
 * {@code -chardev ...,mux=on}), with QEMU's Ctrl-A escapes on input:
 * <ul>
 *   <li>Ctrl-A h prints the list of escapes;</li>
 *   <li>Ctrl-A x ends jqemu;</li>
 *   <li>Ctrl-A c switches to the next front end (the monitor), telling both of the change;</li>
 *   <li>Ctrl-A Ctrl-A sends one Ctrl-A to the guest.</li>
 * </ul>
 * Any other key after Ctrl-A is swallowed, as in QEMU. Output of every front end goes to the
 * terminal.
 */
public final class MuxChardev implements Chardev, CharFrontend {
    public static final int ESCAPE = 0x01; // Ctrl-A

    static final String HELP = "\n\r"
            + "C-a h    print this help\n\r"
            + "C-a x    exit emulator\n\r"
            + "C-a c    switch between console and monitor\n\r"
            + "C-a C-a  sends C-a\n\r";
    static final String TERMINATED = "jqemu: terminated\n\r";
    static final String NO_MONITOR = "\n\rjqemu: no monitor shares this terminal\n\r";

    /** Input held for a front end that cannot take it yet. */
    private static final int BUFFER = 256;

    private final String id;
    private final Chardev backend;
    private final Executor mainLoop;
    private final Runnable quit;
    private final List<CharFrontend> frontends = new ArrayList<>();
    private final byte[] pending = new byte[BUFFER];
    private int pendingLen;
    private int focus;
    private boolean escapeSeen;

    /**
     * @param backend the shared terminal; this mux becomes its front end
     * @param mainLoop where held-back input is retried ({@code machine.mainLoop()::post})
     * @param quit what Ctrl-A x does (end the VM)
     */
    public MuxChardev(String id, Chardev backend, Executor mainLoop, Runnable quit) {
        this.id = id;
        this.backend = backend;
        this.mainLoop = mainLoop;
        this.quit = quit;
        backend.attach(this);
    }

    @Override
    public String id() {
        return id;
    }

    // ---- towards the terminal ---------------------------------------------------------------

    @Override
    public void write(byte[] buf, int off, int len) {
        backend.write(buf, off, len);
    }

    /** Adds a front end; the first one has the focus. Null detaches the focused one. */
    @Override
    public synchronized void attach(CharFrontend frontend) {
        if (frontend == null) {
            if (!frontends.isEmpty()) {
                frontends.remove(focus);
                focus = 0;
            }
            return;
        }
        frontends.add(frontend);
    }

    @Override
    public void acceptInput() {
        mainLoop.execute(this::flush);
    }

    @Override
    public void close() {
        backend.close();
    }

    // ---- from the terminal (main loop, machine lock held) ------------------------------------

    @Override
    public synchronized int canReceive() {
        return BUFFER - pendingLen;
    }

    @Override
    public void receive(byte[] buf, int off, int len) {
        for (int i = 0; i < len; i++) {
            processByte(buf[off + i] & 0xff);
        }
        flush();
    }

    private void processByte(int b) {
        if (!escapeSeen) {
            if (b == ESCAPE) {
                escapeSeen = true;
            } else {
                queue(b);
            }
            return;
        }
        escapeSeen = false;
        switch (b) {
            case 'h', 'H', '?' -> print(HELP);
            case 'x', 'X' -> {
                print(TERMINATED);
                quit.run();
            }
            case 'c', 'C' -> switchFocus();
            case ESCAPE -> queue(ESCAPE);
            default -> {
                // QEMU swallows unknown escapes
            }
        }
    }

    private void switchFocus() {
        flush(); // what was typed before the switch belongs to the old focus
        synchronized (this) {
            switchFocusLocked();
        }
    }

    private void switchFocusLocked() {
        if (frontends.size() < 2) {
            print(NO_MONITOR);
            return;
        }
        frontends.get(focus).focus(false);
        focus = (focus + 1) % frontends.size();
        pendingLen = 0; // what the old focus could not take is not for the new one
        frontends.get(focus).focus(true);
    }

    private void print(String text) {
        byte[] b = text.getBytes(StandardCharsets.US_ASCII);
        backend.write(b, 0, b.length);
    }

    private synchronized void queue(int b) {
        if (frontends.isEmpty()) {
            return; // nobody listens: the key is lost, as on an unconnected line
        }
        if (pendingLen < BUFFER) {
            pending[pendingLen++] = (byte) b;
        }
    }

    /** Hands held input to the focused front end, then lets the terminal send more. */
    private void flush() {
        while (true) {
            CharFrontend fe;
            byte[] chunk;
            synchronized (this) {
                if (frontends.isEmpty() || pendingLen == 0) {
                    break;
                }
                fe = frontends.get(focus);
                int n = Math.min(fe.canReceive(), pendingLen);
                if (n <= 0) {
                    return; // the front end calls acceptInput() when it has room
                }
                chunk = new byte[n];
                System.arraycopy(pending, 0, chunk, 0, n);
                System.arraycopy(pending, n, pending, 0, pendingLen - n);
                pendingLen -= n;
            }
            fe.receive(chunk, 0, chunk.length);
        }
        backend.acceptInput();
    }
}
