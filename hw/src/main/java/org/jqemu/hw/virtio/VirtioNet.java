package org.jqemu.hw.virtio;

import org.jqemu.system.machine.Machine;
import org.jqemu.system.net.NetBackend;
import org.jqemu.system.net.NetFrontend;

/**
 * virtio-net (virtio 1.2, 5.1 "Network Device"), the minimal form: one receive and one transmit
 * queue, a MAC address and link status in the config space, no offloads. Every buffer starts with
 * the 12-byte struct virtio_net_hdr (5.1.6); with no offloads negotiated the device ignores it on
 * transmit and writes zeros (num_buffers = 1) on receive.
 */
public final class VirtioNet extends VirtioDevice implements NetFrontend {
    public static final int F_MAC = 5;
    public static final int F_STATUS = 16;
    public static final int S_LINK_UP = 1;
    public static final int HEADER = 12;
    public static final int QUEUE_SIZE = 256;
    /** Largest frame handled: Ethernet with a VLAN tag, no jumbo frames without offloads. */
    public static final int MAX_FRAME = 1518;
    private static final int CONFIG_SIZE = 12;

    private final NetBackend backend;
    private final byte[] config = new byte[CONFIG_SIZE];
    private final byte[] frame = new byte[HEADER + 65536];
    private final byte[] rxHeader = new byte[HEADER];
    private boolean linkUp = true;

    public VirtioNet(Machine machine, String id, NetBackend backend, byte[] mac) {
        super(machine, id, ID_NET, bit(F_MAC) | bit(F_STATUS), QUEUE_SIZE, QUEUE_SIZE);
        this.backend = backend;
        System.arraycopy(mac, 0, config, 0, 6);
        putLe(config, 6, 2, S_LINK_UP);
        putLe(config, 8, 2, 1); // max_virtqueue_pairs
        putLe(rxHeader, 10, 2, 1); // num_buffers: one buffer per frame
        if (backend != null) {
            backend.attach(this);
        }
    }

    /** QEMU's default MAC: 52:54:00:12:34:(0x56 + index). */
    public static byte[] defaultMac(int index) {
        return new byte[] {0x52, 0x54, 0x00, 0x12, 0x34, (byte) (0x56 + index)};
    }

    @Override
    public boolean linkUp() {
        return linkUp;
    }

    /**
     * QMP/HMP set_link: the status field (5.1.4, VIRTIO_NET_S_LINK_UP, offered with
     * VIRTIO_NET_F_STATUS) changes and a configuration change interrupt tells the driver, which
     * turns the carrier off or on. While the link is down, frames are dropped both ways.
     */
    @Override
    public void setLinkUp(boolean up) {
        if (up != linkUp) {
            linkUp = up;
            putLe(config, 6, 2, up ? S_LINK_UP : 0);
            configChanged();
            if (up && backend != null) {
                backend.acceptInput();
            }
        }
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
    protected void resetDevice() {}

    @Override
    protected void driverReady() {
        if (backend != null) {
            backend.acceptInput();
        }
    }

    @Override
    protected void queueNotified(Virtqueue q) {
        if (q.index() == 1) {
            transmit(q);
        } else if (backend != null) {
            backend.acceptInput(); // new receive buffers
        }
    }

    private void transmit(Virtqueue q) {
        VirtqElement e;
        boolean any = false;
        while ((e = q.pop()) != null) {
            long n = e.outBytes() - HEADER;
            if (n < 0 || n > frame.length) {
                guestError("transmit buffer of %d bytes", e.outBytes());
            } else if (linkUp) {
                int k = e.readOut(HEADER, frame, 0, (int) n);
                if (backend != null) {
                    backend.send(frame, 0, k);
                }
            }
            q.push(e, 0);
            any = true;
        }
        if (any) {
            q.flush();
        }
    }

    @Override
    public boolean canReceive() {
        // a downed link takes frames and drops them (QEMU's link_down), so none pile up for later
        return !linkUp || (live() && queue(0).hasWork());
    }

    /** A frame from the backend; dropped when the guest has no buffer (as a NIC drops it). */
    @Override
    public void receive(byte[] buf, int off, int len) {
        if (!live() || !linkUp) {
            return;
        }
        Virtqueue q = queue(0);
        VirtqElement e = q.pop();
        if (e == null) {
            return;
        }
        if (e.inBytes() < HEADER + len) {
            guestError("receive buffer of %d bytes for a %d-byte frame: dropped", e.inBytes(), len);
            q.push(e, 0);
            q.flush();
            return;
        }
        e.writeIn(0, rxHeader, 0, HEADER);
        e.writeIn(HEADER, buf, off, len);
        q.push(e, HEADER + len);
        q.flush();
    }
}
