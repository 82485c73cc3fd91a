package org.jqemu.hw.virtio;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import org.jqemu.system.chardev.CharFrontend;
import org.jqemu.system.chardev.Chardev;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.options.ConfigException;

/**
 * virtio-serial, the virtio console device (virtio 1.2, 5.3 "Console Device") with
 * VIRTIO_CONSOLE_F_MULTIPORT: up to {@code maxPorts} ports, each a pair of queues bound to a
 * chardev, announced to the driver over a control queue pair (5.3.6.2). A {@code virtconsole}
 * port is marked as a console, so Linux makes it hvc0; a {@code virtserialport} carries a name
 * for /dev/virtio-ports/NAME.
 *
 * <p>Queue layout (5.3.2): port 0 receive/transmit at 0/1, control receive/transmit at 2/3, then
 * port n at 2n+2 / 2n+3. "Receive" is device → driver. Without MULTIPORT only port 0 exists.
 */
public final class VirtioSerial extends VirtioDevice {
    public static final int F_SIZE = 0;
    public static final int F_MULTIPORT = 1;

    // Control events (5.3.6.2).
    public static final int DEVICE_READY = 0;
    public static final int DEVICE_ADD = 1;
    public static final int DEVICE_REMOVE = 2;
    public static final int PORT_READY = 3;
    public static final int CONSOLE_PORT = 4;
    public static final int RESIZE = 5;
    public static final int PORT_OPEN = 6;
    public static final int PORT_NAME = 7;

    public static final int QUEUE_SIZE = 128;
    private static final int CONFIG_SIZE = 12;

    /** One port: a chardev seen by the guest as hvcN or /dev/vportNpM. */
    private final class Port implements CharFrontend {
        final int id;
        final Chardev chardev;
        final boolean console;
        final String name;
        boolean guestOpen;
        /** A receive buffer taken from the ring and partly filled; returned when full or flushed. */
        VirtqElement rx;
        long rxFilled;

        Port(int id, Chardev chardev, boolean console, String name) {
            this.id = id;
            this.chardev = chardev;
            this.console = console;
            this.name = name;
        }

        Virtqueue rxQueue() {
            return queue(id == 0 ? 0 : 2 * id + 2);
        }

        @Override
        public int canReceive() {
            if (!live() || !portUsable(this)) {
                return 0;
            }
            if (rx == null) {
                rx = rxQueue().pop();
                rxFilled = 0;
                if (rx == null) {
                    return 0;
                }
            }
            return (int) Math.min(rx.inBytes() - rxFilled, 1 << 16);
        }

        @Override
        public void receive(byte[] buf, int off, int len) {
            while (len > 0 && canReceive() > 0) {
                int n = Math.min(len, canReceive());
                rx.writeIn(rxFilled, buf, off, n);
                rxFilled += n;
                off += n;
                len -= n;
                // Hand each chunk over at once: a console wants keystrokes now, not a full buffer.
                rxQueue().push(rx, (int) rxFilled);
                rxQueue().flush();
                rx = null;
            }
        }
    }

    private final Port[] ports;
    private final byte[] config = new byte[CONFIG_SIZE];
    private final ArrayDeque<byte[]> controlOut = new ArrayDeque<>();
    private final byte[] buf = new byte[4096];

    public VirtioSerial(Machine machine, String id, int maxPorts) {
        super(machine, id, ID_CONSOLE, bit(F_MULTIPORT), queueSizes(maxPorts));
        this.ports = new Port[maxPorts];
        putLe(config, 4, 4, maxPorts);
    }

    private static int[] queueSizes(int maxPorts) {
        int[] s = new int[2 * maxPorts + 2];
        java.util.Arrays.fill(s, QUEUE_SIZE);
        return s;
    }

    public int maxPorts() {
        return ports.length;
    }

    /**
     * Adds a port before the machine starts. Consoles take port 0 when it is free, as QEMU's
     * virtconsole does; other ports take the lowest free number from 1.
     */
    public int addPort(Chardev chardev, boolean console, String name) throws ConfigException {
        int nr = -1;
        if (console && ports[0] == null) {
            nr = 0;
        } else {
            for (int i = 1; i < ports.length; i++) {
                if (ports[i] == null) {
                    nr = i;
                    break;
                }
            }
        }
        if (nr < 0) {
            throw new ConfigException(id() + ": no free port (max_ports=" + ports.length + ")");
        }
        Port p = new Port(nr, chardev, console, name);
        ports[nr] = p;
        if (chardev != null) {
            chardev.attach(p);
        }
        return nr;
    }

    private boolean multiport() {
        return negotiated(F_MULTIPORT);
    }

    private boolean portUsable(Port p) {
        return p.id == 0 || multiport();
    }

    @Override
    public int configSize() {
        return CONFIG_SIZE;
    }

    @Override
    public long readConfig(int offset, int size) {
        return readLe(config, offset, size);
    }

    @Override
    protected void resetDevice() {
        controlOut.clear();
        for (Port p : ports) {
            if (p != null) {
                p.rx = null;
                p.guestOpen = false;
            }
        }
    }

    @Override
    protected void driverReady() {
        // Input may have waited for the driver.
        for (Port p : ports) {
            if (p != null && p.chardev != null) {
                p.chardev.acceptInput();
            }
        }
    }

    @Override
    protected void queueNotified(Virtqueue q) {
        int i = q.index();
        if (i == 2) {
            sendControl();
        } else if (i == 3) {
            receiveControl(q);
        } else {
            int nr = i < 2 ? 0 : (i - 2) / 2;
            Port p = nr < ports.length ? ports[nr] : null;
            if ((i & 1) == 1) {
                transmit(q, p);
            } else if (p != null && p.chardev != null) {
                p.chardev.acceptInput(); // new receive buffers
            }
        }
    }

    /** Guest output of one port goes to its chardev; a port without one drops it. */
    private void transmit(Virtqueue q, Port p) {
        VirtqElement e;
        boolean any = false;
        while ((e = q.pop()) != null) {
            long n = e.outBytes();
            for (long pos = 0; pos < n; ) {
                int k = e.readOut(pos, buf, 0, (int) Math.min(buf.length, n - pos));
                if (p != null && p.chardev != null) {
                    p.chardev.write(buf, 0, k);
                }
                pos += k;
            }
            q.push(e, 0);
            any = true;
        }
        if (any) {
            q.flush();
        }
    }

    // ---- control queue (5.3.6.2) ---------------------------------------------------------------

    private void receiveControl(Virtqueue q) {
        VirtqElement e;
        boolean any = false;
        while ((e = q.pop()) != null) {
            if (e.outBytes() < 8) {
                guestError("control message of %d bytes", e.outBytes());
            } else {
                e.readOut(0, buf, 0, 8);
                int id = (int) readLe(buf, 0, 4);
                int event = (int) readLe(buf, 4, 2);
                int value = (int) readLe(buf, 6, 2);
                control(id, event, value);
            }
            q.push(e, 0);
            any = true;
        }
        if (any) {
            q.flush();
        }
        sendControl();
    }

    private void control(int id, int event, int value) {
        switch (event) {
            case DEVICE_READY -> {
                if (value != 1) {
                    guestError("driver failed to initialise (DEVICE_READY %d)", value);
                    return;
                }
                for (Port p : ports) {
                    if (p != null) {
                        queueControl(p.id, DEVICE_ADD, 1, null);
                    }
                }
            }
            case PORT_READY -> {
                Port p = port(id);
                if (p == null || value != 1) {
                    return;
                }
                if (p.console) {
                    queueControl(p.id, CONSOLE_PORT, 1, null);
                }
                if (p.name != null) {
                    queueControl(p.id, PORT_NAME, 1, p.name.getBytes(StandardCharsets.UTF_8));
                }
                if (p.chardev != null) {
                    queueControl(p.id, PORT_OPEN, 1, null); // the host side is connected
                }
            }
            case PORT_OPEN -> {
                Port p = port(id);
                if (p != null) {
                    p.guestOpen = value == 1;
                    if (p.guestOpen && p.chardev != null) {
                        p.chardev.acceptInput();
                    }
                }
            }
            default -> guestError("unexpected control event %d for port %d", event, id);
        }
    }

    private Port port(int id) {
        if (id < 0 || id >= ports.length || ports[id] == null) {
            guestError("control message for port %d, which does not exist", id);
            return null;
        }
        return ports[id];
    }

    private void queueControl(int id, int event, int value, byte[] extra) {
        byte[] m = new byte[8 + (extra == null ? 0 : extra.length)];
        putLe(m, 0, 4, id);
        putLe(m, 4, 2, event);
        putLe(m, 6, 2, value);
        if (extra != null) {
            System.arraycopy(extra, 0, m, 8, extra.length);
        }
        controlOut.add(m);
        sendControl();
    }

    /** Moves queued control messages into the driver's control receive buffers. */
    private void sendControl() {
        if (!live() || !multiport() || controlOut.isEmpty()) {
            return;
        }
        Virtqueue q = queue(2);
        boolean any = false;
        while (!controlOut.isEmpty()) {
            VirtqElement e = q.pop();
            if (e == null) {
                break;
            }
            byte[] m = controlOut.poll();
            int n = e.writeIn(0, m, 0, m.length);
            if (n < m.length) {
                guestError("control buffer of %d bytes too small for a %d-byte message", e.inBytes(), m.length);
            }
            q.push(e, n);
            any = true;
        }
        if (any) {
            q.flush();
        }
    }
}
