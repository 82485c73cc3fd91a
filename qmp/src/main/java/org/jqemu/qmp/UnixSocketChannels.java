package org.jqemu.qmp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelMetadata;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPromise;
import io.netty.channel.DefaultChannelConfig;
import io.netty.channel.FileRegion;
import io.netty.channel.MessageSizeEstimator;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.ServerChannel;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.nio.AbstractNioByteChannel;
import io.netty.channel.nio.AbstractNioMessageChannel;
import io.netty.channel.socket.SocketChannelConfig;
import java.io.IOException;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.List;

/**
 * Unix-socket channels for netty's NIO transport that, unlike netty's own
 * {@code NioDomainSocketChannel}, support half-closure: a client that shuts down its sending side
 * after its last command ({@code socat - UNIX-CONNECT:qmp.sock < script}) still gets the replies,
 * as from QEMU. NIO's Unix sockets do everything else; these classes only adapt them.
 */
final class UnixSocketChannels {
    private UnixSocketChannels() {}

    /** The listening socket: accepts {@link Client}s. */
    static final class Server extends AbstractNioMessageChannel implements ServerChannel {
        private static final ChannelMetadata METADATA = new ChannelMetadata(false, 16);
        private final DefaultChannelConfig config = new DefaultChannelConfig(this);

        Server() throws IOException {
            super(null, ServerSocketChannel.open(StandardProtocolFamily.UNIX), SelectionKey.OP_ACCEPT);
        }

        @Override
        protected ServerSocketChannel javaChannel() {
            return (ServerSocketChannel) super.javaChannel();
        }

        @Override
        public DefaultChannelConfig config() {
            return config;
        }

        @Override
        public ChannelMetadata metadata() {
            return METADATA;
        }

        @Override
        public boolean isActive() {
            return isOpen() && localAddress0() != null;
        }

        @Override
        protected void doBind(SocketAddress local) throws Exception {
            javaChannel().bind(local);
        }

        @Override
        protected int doReadMessages(List<Object> buf) throws Exception {
            SocketChannel ch = javaChannel().accept();
            if (ch == null) {
                return 0;
            }
            buf.add(new Client(this, ch));
            return 1;
        }

        @Override
        protected SocketAddress localAddress0() {
            try {
                return javaChannel().getLocalAddress();
            } catch (IOException e) {
                return null;
            }
        }

        @Override
        protected SocketAddress remoteAddress0() {
            return null;
        }

        @Override
        protected boolean doWriteMessage(Object msg, ChannelOutboundBuffer in) {
            throw new UnsupportedOperationException();
        }

        @Override
        protected boolean doConnect(SocketAddress remote, SocketAddress local) {
            throw new UnsupportedOperationException();
        }

        @Override
        protected void doFinishConnect() {
            throw new UnsupportedOperationException();
        }

        @Override
        protected void doDisconnect() {
            throw new UnsupportedOperationException();
        }

        @Override
        protected void doClose() throws Exception {
            javaChannel().close();
        }
    }

    /** One accepted connection. */
    static final class Client extends AbstractNioByteChannel {
        private static final ChannelMetadata METADATA = new ChannelMetadata(false, 16);
        private final Config config;
        private volatile boolean inputShutdown;

        Client(Channel parent, SocketChannel ch) {
            super(parent, ch);
            config = new Config(this, this::clearReadPending);
        }

        @Override
        protected SocketChannel javaChannel() {
            return (SocketChannel) super.javaChannel();
        }

        @Override
        public SocketChannelConfig config() {
            return config;
        }

        @Override
        public ChannelMetadata metadata() {
            return METADATA;
        }

        @Override
        public boolean isActive() {
            SocketChannel ch = javaChannel();
            return ch.isOpen() && ch.isConnected();
        }

        @Override
        protected boolean isInputShutdown0() {
            return inputShutdown || !isActive();
        }

        @Override
        protected ChannelFuture shutdownInput() {
            ChannelPromise promise = newPromise();
            try {
                javaChannel().shutdownInput();
                inputShutdown = true;
                promise.setSuccess();
            } catch (IOException e) {
                promise.setFailure(e);
            }
            return promise;
        }

        @Override
        protected int doReadBytes(ByteBuf buf) throws Exception {
            RecvByteBufAllocator.Handle handle = unsafe().recvBufAllocHandle();
            handle.attemptedBytesRead(buf.writableBytes());
            return buf.writeBytes(javaChannel(), handle.attemptedBytesRead());
        }

        @Override
        protected int doWriteBytes(ByteBuf buf) throws Exception {
            return buf.readBytes(javaChannel(), buf.readableBytes());
        }

        @Override
        protected long doWriteFileRegion(FileRegion region) throws Exception {
            return region.transferTo(javaChannel(), region.transferred());
        }

        @Override
        protected SocketAddress localAddress0() {
            try {
                return javaChannel().getLocalAddress();
            } catch (IOException e) {
                return null;
            }
        }

        @Override
        protected SocketAddress remoteAddress0() {
            try {
                return javaChannel().getRemoteAddress();
            } catch (IOException e) {
                return null;
            }
        }

        @Override
        protected void doBind(SocketAddress local) {
            throw new UnsupportedOperationException();
        }

        @Override
        protected boolean doConnect(SocketAddress remote, SocketAddress local) {
            throw new UnsupportedOperationException();
        }

        @Override
        protected void doFinishConnect() {
            throw new UnsupportedOperationException();
        }

        @Override
        protected void doDisconnect() throws Exception {
            doClose();
        }

        @Override
        protected void doClose() throws Exception {
            super.doClose();
            javaChannel().close();
        }
    }

    /**
     * The settings of a {@link Client}: netty's own, half-closure (on), and the TCP-only options
     * as inert values, since netty looks for half-closure only in a socket channel's config.
     */
    private static final class Config extends DefaultChannelConfig implements SocketChannelConfig {
        private final Runnable readCancelled;
        private volatile boolean allowHalfClosure = true;

        Config(Channel channel, Runnable readCancelled) {
            super(channel);
            this.readCancelled = readCancelled;
        }

        @Override
        public boolean isAllowHalfClosure() {
            return allowHalfClosure;
        }

        @Override
        public Config setAllowHalfClosure(boolean allow) {
            allowHalfClosure = allow;
            return this;
        }

        // ---- TCP options: meaningless on a Unix socket ----------------------------------------

        @Override
        public boolean isTcpNoDelay() {
            return false;
        }

        @Override
        public Config setTcpNoDelay(boolean on) {
            return this;
        }

        @Override
        public int getSoLinger() {
            return -1;
        }

        @Override
        public Config setSoLinger(int linger) {
            return this;
        }

        @Override
        public int getSendBufferSize() {
            return 0;
        }

        @Override
        public Config setSendBufferSize(int size) {
            return this;
        }

        @Override
        public int getReceiveBufferSize() {
            return 0;
        }

        @Override
        public Config setReceiveBufferSize(int size) {
            return this;
        }

        @Override
        public boolean isKeepAlive() {
            return false;
        }

        @Override
        public Config setKeepAlive(boolean on) {
            return this;
        }

        @Override
        public int getTrafficClass() {
            return 0;
        }

        @Override
        public Config setTrafficClass(int tc) {
            return this;
        }

        @Override
        public boolean isReuseAddress() {
            return false;
        }

        @Override
        public Config setReuseAddress(boolean on) {
            return this;
        }

        @Override
        public Config setPerformancePreferences(int connectionTime, int latency, int bandwidth) {
            return this;
        }

        // ---- netty's settings, with this type as the result ------------------------------------

        @Override
        public Config setConnectTimeoutMillis(int millis) {
            super.setConnectTimeoutMillis(millis);
            return this;
        }

        @Override
        @Deprecated
        public Config setMaxMessagesPerRead(int n) {
            super.setMaxMessagesPerRead(n);
            return this;
        }

        @Override
        public Config setWriteSpinCount(int n) {
            super.setWriteSpinCount(n);
            return this;
        }

        @Override
        public Config setAllocator(ByteBufAllocator allocator) {
            super.setAllocator(allocator);
            return this;
        }

        @Override
        public Config setRecvByteBufAllocator(RecvByteBufAllocator allocator) {
            super.setRecvByteBufAllocator(allocator);
            return this;
        }

        @Override
        public Config setAutoRead(boolean autoRead) {
            super.setAutoRead(autoRead);
            return this;
        }

        @Override
        public Config setAutoClose(boolean autoClose) {
            super.setAutoClose(autoClose);
            return this;
        }

        @Override
        public Config setMessageSizeEstimator(MessageSizeEstimator estimator) {
            super.setMessageSizeEstimator(estimator);
            return this;
        }

        @Override
        public Config setWriteBufferWaterMark(WriteBufferWaterMark mark) {
            super.setWriteBufferWaterMark(mark);
            return this;
        }

        @Override
        protected void autoReadCleared() {
            readCancelled.run(); // stop reading now, not after one more read
        }
    }
}
