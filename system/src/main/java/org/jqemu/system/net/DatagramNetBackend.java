package org.jqemu.system.net;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.function.Consumer;
import org.jqemu.system.options.ConfigException;

/**
 * {@code -netdev dgram} with inet addresses, {@code -netdev socket,udp=} and
 * {@code -netdev socket,mcast=}: one Ethernet frame per UDP datagram, no length prefix (QEMU's
 * framing for datagram sockets, so jqemu and QEMU guests can share a link). Unicast sends every
 * frame to the remote address and takes frames from anyone; multicast joins a group and sends to
 * it, making a bus of every VM on that group and port (each also hears its own frames, as in
 * QEMU). The unix-socket flavour is {@link UnixDatagramNetBackend}.
 *
 * <p>The guest's frames leave from the vCPU thread without blocking (a full socket buffer drops
 * the frame, as a busy link would); a reader thread takes datagrams into a {@link FrameInbox}.
 */
public final class DatagramNetBackend implements NetBackend {
    private static final int MAX_DATAGRAM = 65536;
    private static final int POLL_MS = 250;

    private final String id;
    private final DatagramChannel channel;
    private final InetSocketAddress remote;
    private final Selector selector;
    private final FrameInbox inbox;
    private final Thread reader;
    private volatile boolean closed;

    private DatagramNetBackend(String id, DatagramChannel channel, InetSocketAddress remote, Consumer<Runnable> mainLoop)
            throws IOException {
        this.id = id;
        this.channel = channel;
        this.remote = remote;
        this.inbox = new FrameInbox(mainLoop);
        channel.configureBlocking(false);
        this.selector = Selector.open();
        channel.register(selector, SelectionKey.OP_READ);
        this.reader = Thread.ofPlatform().daemon(true).name("netdev " + id + " rx").start(this::readLoop);
    }

    /** Unicast: bound to {@code local}, sending to {@code remote}. */
    public static DatagramNetBackend unicast(String id, InetSocketAddress local, InetSocketAddress remote,
            Consumer<Runnable> mainLoop, String where) throws ConfigException {
        DatagramChannel c = null;
        try {
            c = DatagramChannel.open(StandardProtocolFamily.INET);
            c.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            c.bind(local);
            return new DatagramNetBackend(id, c, remote, mainLoop);
        } catch (IOException | RuntimeException e) {
            closeQuietly(c);
            throw new ConfigException(where + ": can't bind ip=" + local.getHostString() + " to socket: " + e.getMessage());
        }
    }

    /**
     * Multicast: bound to the group's port, a member of {@code group} on the interface that owns
     * {@code localAddr} (or on the first multicast-capable interface that is up), with loopback on
     * so VMs on this host hear each other.
     */
    public static DatagramNetBackend multicast(String id, InetSocketAddress group, InetAddress localAddr,
            Consumer<Runnable> mainLoop, String where) throws ConfigException {
        if (!(group.getAddress() instanceof Inet4Address) || !group.getAddress().isMulticastAddress()) {
            throw new ConfigException(where + ": '" + group.getHostString() + "' is not an IPv4 multicast address");
        }
        DatagramChannel c = null;
        try {
            NetworkInterface nif = localAddr != null ? NetworkInterface.getByInetAddress(localAddr) : defaultInterface();
            if (nif == null) {
                throw new ConfigException(where + ": no network interface has the address "
                        + (localAddr == null ? "for multicast" : localAddr.getHostAddress()));
            }
            c = DatagramChannel.open(StandardProtocolFamily.INET);
            c.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            c.bind(new InetSocketAddress(group.getAddress(), group.getPort()));
            c.setOption(StandardSocketOptions.IP_MULTICAST_IF, nif);
            c.setOption(StandardSocketOptions.IP_MULTICAST_LOOP, true);
            c.join(group.getAddress(), nif);
            return new DatagramNetBackend(id, c, group, mainLoop);
        } catch (IOException | RuntimeException e) {
            closeQuietly(c);
            throw new ConfigException(where + ": can't join multicast group " + group.getHostString() + ":"
                    + group.getPort() + ": " + e.getMessage());
        }
    }

    private static NetworkInterface defaultInterface() throws SocketException {
        NetworkInterface loopback = null;
        for (NetworkInterface n : NetworkInterface.networkInterfaces().toList()) {
            if (!n.isUp()) {
                continue;
            }
            if (n.isLoopback()) {
                loopback = n;
            } else if (n.supportsMulticast() && n.inetAddresses().anyMatch(a -> a instanceof Inet4Address)) {
                return n;
            }
        }
        return loopback;
    }

    @Override
    public String id() {
        return id;
    }

    /** The bound address (its port when 0 was asked for). */
    public InetSocketAddress localAddress() throws IOException {
        return (InetSocketAddress) channel.getLocalAddress();
    }

    @Override
    public void attach(NetFrontend frontend) {
        inbox.attach(frontend);
    }

    @Override
    public void send(byte[] frame, int off, int len) {
        if (closed) {
            return;
        }
        try {
            channel.send(ByteBuffer.wrap(frame, off, len), remote); // 0 when the buffer is full: dropped
        } catch (IOException e) {
            // ICMP errors (nobody listening yet) surface here; the frame is lost, as on a wire
        }
    }

    @Override
    public void acceptInput() {
        inbox.acceptInput();
    }

    private void readLoop() {
        ByteBuffer buf = ByteBuffer.allocate(MAX_DATAGRAM);
        while (!closed) {
            try {
                if (selector.select(POLL_MS) == 0) {
                    continue;
                }
                selector.selectedKeys().clear();
                while (!closed) {
                    buf.clear();
                    if (channel.receive(buf) == null) {
                        break;
                    }
                    buf.flip();
                    byte[] frame = new byte[buf.remaining()];
                    buf.get(frame);
                    inbox.put(frame);
                }
            } catch (InterruptedException e) {
                return;
            } catch (IOException e) {
                if (closed) {
                    return; // the channel went away under us
                }
                // a port-unreachable from an earlier send: carry on
            } catch (java.nio.channels.ClosedSelectorException e) {
                return;
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        reader.interrupt();
        closeQuietly(channel);
        try {
            selector.close();
        } catch (IOException e) {
            // closing at exit
        }
    }

    private static void closeQuietly(DatagramChannel c) {
        if (c != null) {
            try {
                c.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
    }
}
