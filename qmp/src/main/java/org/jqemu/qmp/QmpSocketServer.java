package org.jqemu.qmp;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.jqemu.system.options.ConfigException;
import org.jqemu.system.options.Opts;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A QMP server socket ({@code -qmp unix:PATH,server=on,wait=off}, {@code -qmp tcp:HOST:PORT,...})
 * on netty's NIO transport. A Unix socket is created with mode 0600, since whoever can connect
 * owns the VM; a stale socket file from an earlier run is replaced, as QEMU does.
 *
 * <p>A client may half-close its side after its last command and still read the replies; the
 * connection closes once they are sent.
 *
 * <p>Unlike a QEMU socket chardev, which serves one client at a time, every client that connects
 * gets its own session at once; all of them see the same events.
 */
final class QmpSocketServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(QmpSocketServer.class);

    /** Output queued for one client above which we stop reading its commands. */
    private static final long HIGH_BACKLOG = 1 << 20;
    private static final long LOW_BACKLOG = 256 << 10;

    private final QmpMonitor monitor;
    private final boolean pretty;
    private final ChannelGroup clients = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private final CountDownLatch firstClient = new CountDownLatch(1);
    private Channel listener;
    private SocketAddress address;

    private QmpSocketServer(QmpMonitor monitor, boolean pretty) {
        this.monitor = monitor;
        this.pretty = pretty;
    }

    /**
     * Parses QEMU's socket shorthand and listens. With {@code wait=on} (the default for a server,
     * as in QEMU) this returns only once the first client has connected.
     */
    static QmpSocketServer open(QmpMonitor monitor, EventLoopGroup group, String where, String spec,
            boolean pretty, Consumer<String> info) throws ConfigException {
        Opts o = Opts.parse(where, spec, "addr");
        String addr = o.requireString("addr");
        boolean server = o.getBool("server", false);
        boolean wait = o.getBool("wait", true);
        o.checkAllUsed();
        if (!server) {
            throw new ConfigException(where + ": a monitor that connects out (server=off) is not supported yet; "
                    + "add server=on");
        }
        SocketAddress address = parseAddress(where, addr);
        QmpSocketServer s = new QmpSocketServer(monitor, pretty);
        s.bind(group, where, address);
        if (wait) {
            info.accept("info: jqemu waiting for connection on: disconnected:" + s.filename() + ",server=on");
            try {
                s.firstClient.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                s.close();
                throw new ConfigException(where + ": interrupted while waiting for a connection");
            }
        }
        return s;
    }

    private static SocketAddress parseAddress(String where, String addr) throws ConfigException {
        if (addr.startsWith("unix:")) {
            String path = addr.substring(5);
            if (path.isEmpty()) {
                throw new ConfigException(where + ": missing socket path");
            }
            return UnixDomainSocketAddress.of(path);
        }
        if (addr.startsWith("tcp:")) {
            String hp = addr.substring(4);
            int sep = hp.lastIndexOf(':');
            if (sep < 0) {
                throw new ConfigException(where + ": address '" + hp + "' lacks a port");
            }
            String host = hp.substring(0, sep);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            if (host.isEmpty()) {
                host = "0.0.0.0";
            }
            int port;
            try {
                port = Integer.parseInt(hp.substring(sep + 1));
            } catch (NumberFormatException e) {
                port = -1;
            }
            if (port < 0 || port > 65535) {
                throw new ConfigException(where + ": port '" + hp.substring(sep + 1)
                        + "' is not a number between 0 and 65535");
            }
            InetSocketAddress a = new InetSocketAddress(host, port);
            if (a.isUnresolved()) {
                throw new ConfigException(where + ": address resolution failed for " + hp);
            }
            return a;
        }
        throw new ConfigException(where + ": '" + addr + "' is not a valid monitor address");
    }

    private void bind(EventLoopGroup group, String where, SocketAddress wanted) throws ConfigException {
        ServerBootstrap b = new ServerBootstrap()
                .group(group)
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new SessionHandler());
                    }
                });
        if (wanted instanceof UnixDomainSocketAddress u) {
            // half-closure: see UnixSocketChannels
            b.channelFactory(() -> {
                try {
                    return new UnixSocketChannels.Server();
                } catch (IOException e) {
                    throw new io.netty.channel.ChannelException("cannot open a Unix socket", e);
                }
            });
            try {
                Files.deleteIfExists(u.getPath());
            } catch (IOException e) {
                throw new ConfigException(where + ": Failed to unlink socket " + u.getPath() + ": " + e.getMessage());
            }
        } else {
            b.channel(NioServerSocketChannel.class).option(ChannelOption.SO_REUSEADDR, true)
                    .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
        }
        try {
            listener = b.bind(wanted).sync().channel();
        } catch (Exception e) {
            throw new ConfigException(where + ": Failed to bind socket to " + describe(wanted) + ": " + reason(e));
        }
        address = listener.localAddress() != null ? listener.localAddress() : wanted;
        if (wanted instanceof UnixDomainSocketAddress u) {
            restrict(where, u.getPath());
        }
    }

    /** Only the owner may connect: the monitor controls the whole VM. */
    private void restrict(String where, Path socket) throws ConfigException {
        try {
            Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
        } catch (IOException | UnsupportedOperationException e) {
            close();
            throw new ConfigException(where + ": cannot set the mode of " + socket + " to 0600: " + reason(e));
        }
    }

    private static String reason(Exception e) {
        Throwable t = e;
        while (t.getCause() != null && t.getMessage() == null) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
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

    /** QEMU's chardev filename of the listener: "unix:PATH" or "tcp:HOST:PORT". */
    String filename() {
        return (address instanceof UnixDomainSocketAddress ? "unix:" : "tcp:") + describe(address);
    }

    SocketAddress address() {
        return address;
    }

    /** Stops listening; sends what each client still has queued (up to a second), then hangs up. */
    @Override
    public void close() {
        if (listener != null) {
            listener.close().awaitUninterruptibly(1, TimeUnit.SECONDS);
        }
        clients.writeAndFlush(Unpooled.EMPTY_BUFFER).awaitUninterruptibly(1, TimeUnit.SECONDS);
        clients.close().awaitUninterruptibly(1, TimeUnit.SECONDS);
        if (address instanceof UnixDomainSocketAddress u) {
            try {
                Files.deleteIfExists(u.getPath());
            } catch (IOException e) {
                LOG.debug("removing {}", u.getPath(), e);
            }
        }
    }

    /** One client connection: bytes in to its session, the session's messages out. */
    private final class SessionHandler extends ChannelInboundHandlerAdapter implements QmpSession.Transport {
        private final AtomicLong backlog = new AtomicLong();
        private Channel channel;
        private QmpSession session;
        private boolean commandsFull;
        private boolean outputFull;

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            channel = ctx.channel();
            clients.add(channel);
            session = new QmpSession(monitor, this, pretty);
            session.open();
            firstClient.countDown();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf buf = (ByteBuf) msg;
            try {
                byte[] bytes = new byte[buf.readableBytes()];
                buf.readBytes(bytes);
                session.input(bytes, 0, bytes.length);
            } finally {
                buf.release();
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (session != null) {
                session.closed();
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof ChannelInputShutdownEvent) {
                session.inputEnded();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.debug("QMP client {}: {}", describe(), cause.toString());
            ctx.close();
        }

        // ---- transport ------------------------------------------------------------------------

        @Override
        public void send(byte[] bytes) {
            long n = bytes.length;
            if (backlog.addAndGet(n) > HIGH_BACKLOG) {
                setOutputFull(true);
            }
            channel.writeAndFlush(Unpooled.wrappedBuffer(bytes)).addListener(f -> {
                if (backlog.addAndGet(-n) < LOW_BACKLOG) {
                    setOutputFull(false);
                }
            });
        }

        @Override
        public void close() {
            channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }

        @Override
        public long backlog() {
            return backlog.get();
        }

        @Override
        public synchronized void setReading(boolean on) {
            commandsFull = !on;
            applyReading();
        }

        private synchronized void setOutputFull(boolean full) {
            if (outputFull != full) {
                outputFull = full;
                applyReading();
            }
        }

        private void applyReading() {
            channel.config().setAutoRead(!commandsFull && !outputFull);
        }

        @Override
        public String describe() {
            Channel ch = channel;
            return ch == null ? filename() : filename() + " (" + ch.remoteAddress() + ")";
        }
    }
}
