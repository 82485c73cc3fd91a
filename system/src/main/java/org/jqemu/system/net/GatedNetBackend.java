package org.jqemu.system.net;

/**
 * What a NIC holds of its netdev: the backend behind a link switch, so that {@code set_link
 * NETDEV off} drops frames in both directions at the backend while it is off, as QEMU's
 * {@code link_down} on a netdev does (frames arriving then are taken and thrown away, not held).
 */
final class GatedNetBackend implements NetBackend {
    private final NetBackend inner;
    private volatile boolean up = true;
    private volatile NetFrontend frontend;

    GatedNetBackend(NetBackend inner) {
        this.inner = inner;
    }

    boolean up() {
        return up;
    }

    void setUp(boolean up) {
        this.up = up;
        if (up) {
            inner.acceptInput();
        }
    }

    NetFrontend frontend() {
        return frontend;
    }

    @Override
    public String id() {
        return inner.id();
    }

    @Override
    public void attach(NetFrontend f) {
        frontend = f;
        inner.attach(new NetFrontend() {
            @Override
            public boolean canReceive() {
                return !up || f.canReceive();
            }

            @Override
            public void receive(byte[] frame, int off, int len) {
                if (up) {
                    f.receive(frame, off, len);
                }
            }
        });
    }

    @Override
    public void send(byte[] frame, int off, int len) {
        if (up) {
            inner.send(frame, off, len);
        }
    }

    @Override
    public void acceptInput() {
        inner.acceptInput();
    }

    @Override
    public void close() {
        inner.close();
    }
}
