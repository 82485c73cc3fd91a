package org.jqemu.qmp;

import org.jqemu.system.chardev.CharFrontend;
import org.jqemu.system.chardev.Chardev;
import org.jqemu.system.chardev.MuxChardev;
import org.jqemu.system.chardev.SocketChardev;

/**
 * QMP on a chardev ({@code -chardev socket,id=ID,...} or {@code stdio} + {@code -mon
 * chardev=ID,mode=control}). A socket chardev gets a fresh session, greeting included, for every
 * client that connects; other backends have one session from the start.
 */
final class ChardevQmp implements CharFrontend, QmpSession.Transport {
    private static final int INPUT_CHUNK = 4096;

    private final QmpMonitor monitor;
    private final Chardev chardev;
    private final boolean pretty;
    private volatile QmpSession session;
    private volatile boolean reading = true;

    ChardevQmp(QmpMonitor monitor, Chardev chardev, boolean pretty) {
        this.monitor = monitor;
        this.chardev = chardev;
        this.pretty = pretty;
    }

    void start() {
        if (chardev instanceof MuxChardev) {
            // as HmpTerminal: join a shared terminal behind the serial port, which keeps the focus
            monitor.machine().mainLoop().post(() -> {
                chardev.attach(this);
                opened();
            });
            return;
        }
        chardev.attach(this);
        if (!(chardev instanceof SocketChardev)) {
            opened(); // a terminal or file is "connected" for good
        }
    }

    @Override
    public void opened() {
        closed();
        QmpSession s = new QmpSession(monitor, this, pretty);
        session = s;
        s.open();
    }

    @Override
    public void closed() {
        QmpSession s = session;
        session = null;
        if (s != null) {
            s.closed();
        }
    }

    @Override
    public int canReceive() {
        return reading ? INPUT_CHUNK : 0;
    }

    @Override
    public void receive(byte[] buf, int off, int len) {
        QmpSession s = session;
        if (s != null) {
            s.input(buf, off, len);
        }
    }

    // ---- transport ----------------------------------------------------------------------------

    @Override
    public void send(byte[] bytes) {
        chardev.write(bytes, 0, bytes.length);
    }

    @Override
    public void close() {
        // a chardev stays; its peer decides when to leave
    }

    @Override
    public long backlog() {
        return 0; // the chardev's own output buffer bounds and drops what a peer does not read
    }

    @Override
    public void setReading(boolean on) {
        boolean was = reading;
        reading = on;
        if (on && !was) {
            chardev.acceptInput();
        }
    }

    @Override
    public String describe() {
        return "chardev " + chardev.id();
    }
}
