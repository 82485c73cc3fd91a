package org.jqemu.system.chardev;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.jqemu.system.options.ConfigException;

/**
 * {@code -chardev socket}: a TCP or Unix stream, as server ({@code server=on}, one client at a
 * time, the next accepted when it leaves) or client. With {@code wait=on} (a server's default)
 * creation blocks until the first client connects, so the guest's first output is not lost. Guest
 * output with no client connected is dropped. With {@code telnet=on} the telnet option handshake
 * is sent and telnet commands are removed from the input (RFC 854/857/858/856).
 */
public final class SocketChardev extends ChardevBase {
    private static final byte IAC = (byte) 0xff;
    /** IAC WILL ECHO, IAC WILL SUPPRESS-GO-AHEAD, IAC WILL BINARY, IAC DO BINARY. */
    private static final byte[] TELNET_INIT = {IAC, (byte) 0xfb, 1, IAC, (byte) 0xfb, 3, IAC, (byte) 0xfb, 0, IAC,
        (byte) 0xfd, 0};

    private final SocketAddress address;
    private final boolean server;
    private final boolean nodelay;
    private final boolean telnet;
    private final ServerSocketChannel listener;
    private final OutputPump pump;
    private volatile SocketChannel client;
    private int telnetState;

    private SocketChardev(String id, Executor mainLoop, SocketAddress address, boolean server, boolean nodelay,
            boolean telnet, ServerSocketChannel listener) {
        super(id, mainLoop);
        this.address = address;
        this.server = server;
        this.nodelay = nodelay;
        this.telnet = telnet;
        this.listener = listener;
        this.pump = new OutputPump(id, this::send);
    }

    /**
     * Opens the socket. A server binds now and, with {@code wait}, blocks until a client connects
     * (after telling {@code info} where it listens); a client connects now.
     */
    public static SocketChardev open(String id, Executor mainLoop, SocketAddress address, boolean server,
            boolean wait, boolean nodelay, boolean telnet, Consumer<String> info) throws ConfigException {
        if (!server) {
            SocketChannel ch;
            try {
                ch = SocketChannel.open(address);
            } catch (IOException e) {
                throw new ConfigException("Failed to connect to '" + describe(address) + "': " + reason(e));
            }
            SocketChardev c = new SocketChardev(id, mainLoop, address, false, nodelay, telnet, null);
            try {
                c.connected(ch);
            } catch (IOException e) {
                c.close();
                throw new ConfigException("Failed to connect to '" + describe(address) + "': " + reason(e));
            }
            Thread.ofPlatform().name("chardev-sock-" + id).daemon(true).start(() -> c.readLoop(ch));
            return c;
        }
        ServerSocketChannel listener;
        try {
            if (address instanceof UnixDomainSocketAddress u) {
                Files.deleteIfExists(u.getPath()); // a stale socket from an earlier run, as QEMU does
            }
            listener = ServerSocketChannel.open(address instanceof UnixDomainSocketAddress
                    ? java.net.StandardProtocolFamily.UNIX : java.net.StandardProtocolFamily.INET);
            if (address instanceof InetSocketAddress) {
                listener.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            }
            listener.bind(address);
        } catch (IOException e) {
            throw new ConfigException("Failed to bind socket to " + describe(address) + ": " + reason(e));
        }
        SocketChardev c = new SocketChardev(id, mainLoop, localOf(listener, address),
                true, nodelay, telnet, listener);
        if (wait) {
            info.accept("info: jqemu waiting for connection on: disconnected:" + c.filename() + ",server=on");
            try {
                c.connected(listener.accept());
            } catch (IOException e) {
                c.close();
                throw new ConfigException("Failed to accept a connection on " + describe(address) + ": " + reason(e));
            }
        }
        Thread.ofPlatform().name("chardev-sock-" + id).daemon(true).start(c::serverLoop);
        return c;
    }

    private static SocketAddress localOf(ServerSocketChannel listener, SocketAddress fallback) {
        try {
            SocketAddress a = listener.getLocalAddress();
            return a != null ? a : fallback;
        } catch (IOException e) {
            return fallback;
        }
    }

    /** Where the server listens (with the real port when port 0 was asked for) or connects to. */
    public SocketAddress address() {
        return address;
    }

    /** True while a peer is connected. */
    public boolean isConnected() {
        return client != null;
    }

    /** QEMU's description of the endpoint: "tcp:HOST:PORT" or "unix:PATH". */
    public String filename() {
        return (address instanceof UnixDomainSocketAddress ? "unix:" : "tcp:") + describe(address);
    }

    private static String describe(SocketAddress a) {
        if (a instanceof InetSocketAddress in) {
            String host = in.getHostString();
            return (host.contains(":") ? "[" + host + "]" : host) + ":" + in.getPort();
        }
        if (a instanceof UnixDomainSocketAddress u) {
            return u.getPath().toString();
        }
        return String.valueOf(a);
    }

    private static String reason(IOException e) {
        String m = e.getMessage();
        return m == null ? e.getClass().getSimpleName() : m;
    }

    private void connected(SocketChannel ch) throws IOException {
        if (ch.getRemoteAddress() instanceof InetSocketAddress) {
            ch.setOption(StandardSocketOptions.TCP_NODELAY, nodelay);
        }
        telnetState = 0;
        client = ch;
        notifyPeer(true);
        if (telnet) {
            ch.write(ByteBuffer.wrap(TELNET_INIT));
        }
    }

    private void serverLoop() {
        while (!isClosed()) {
            SocketChannel ch = client;
            try {
                if (ch == null) {
                    ch = listener.accept();
                    connected(ch);
                }
            } catch (IOException e) {
                return; // the listener was closed
            }
            readLoop(ch);
        }
    }

    private void readLoop(SocketChannel ch) {
        ByteBuffer buf = ByteBuffer.allocate(4096);
        try {
            while (!isClosed()) {
                buf.clear();
                int n = ch.read(buf);
                if (n < 0) {
                    break;
                }
                int len = telnet ? stripTelnet(buf.array(), n) : n;
                if (len > 0) {
                    deliver(buf.array(), 0, len);
                }
            }
        } catch (IOException e) {
            // the peer reset the connection: same as a hang-up
        }
        disconnect(ch);
    }

    /** Removes telnet commands in place; returns the number of data bytes left. */
    private int stripTelnet(byte[] b, int n) {
        int out = 0;
        for (int i = 0; i < n; i++) {
            int c = b[i] & 0xff;
            switch (telnetState) {
                case 0 -> {
                    if (c == 0xff) {
                        telnetState = 1;
                    } else {
                        b[out++] = (byte) c;
                    }
                }
                case 1 -> { // after IAC
                    if (c == 0xff) {
                        b[out++] = (byte) c;
                        telnetState = 0;
                    } else if (c >= 0xfb && c <= 0xfe) {
                        telnetState = 2; // WILL/WONT/DO/DONT take one option byte
                    } else if (c == 0xfa) {
                        telnetState = 3; // subnegotiation until IAC SE
                    } else {
                        telnetState = 0;
                    }
                }
                case 2 -> telnetState = 0;
                case 3 -> telnetState = c == 0xff ? 4 : 3;
                default -> telnetState = c == 0xf0 ? 0 : 3;
            }
        }
        return out;
    }

    private void disconnect(SocketChannel ch) {
        if (client == ch) {
            client = null;
            notifyPeer(false);
        }
        try {
            ch.close();
        } catch (IOException e) {
            // already gone
        }
    }

    @Override
    public void write(byte[] buf, int off, int len) {
        if (client == null) {
            return; // nobody listening: the bytes are lost, as on an unplugged line
        }
        if (telnet) {
            buf = escapeIac(buf, off, len);
            off = 0;
            len = buf.length;
        }
        pump.write(buf, off, len);
    }

    private static byte[] escapeIac(byte[] buf, int off, int len) {
        java.io.ByteArrayOutputStream o = new java.io.ByteArrayOutputStream(len + 4);
        for (int i = 0; i < len; i++) {
            o.write(buf[off + i]);
            if (buf[off + i] == IAC) {
                o.write(IAC);
            }
        }
        return o.toByteArray();
    }

    private void send(byte[] buf, int off, int len) throws IOException {
        SocketChannel ch = client;
        if (ch == null) {
            return;
        }
        ByteBuffer bb = ByteBuffer.wrap(buf, off, len);
        try {
            while (bb.hasRemaining()) {
                ch.write(bb);
            }
        } catch (ClosedChannelException e) {
            // the reader noticed the hang-up first
        }
    }

    @Override
    public void close() {
        markClosed();
        pump.close();
        SocketChannel ch = client;
        if (ch != null) {
            disconnect(ch);
        }
        if (listener != null) {
            try {
                listener.close();
            } catch (IOException e) {
                // nothing to do
            }
            if (address instanceof UnixDomainSocketAddress u) {
                try {
                    Files.deleteIfExists(u.getPath());
                } catch (IOException e) {
                    // leave it
                }
            }
        }
    }

    /** For messages: "server" or "client" and the endpoint. */
    @Override
    public String toString() {
        return (server ? "server " : "client ") + filename();
    }
}
