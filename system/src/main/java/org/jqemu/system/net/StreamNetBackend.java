package org.jqemu.system.net;

import java.io.IOException;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.function.Consumer;
import org.jqemu.system.options.ConfigException;

/**
 * {@code -netdev stream} and {@code -netdev socket,listen=|connect=}: Ethernet frames over a TCP or
 * unix stream socket, each preceded by its length as a 32-bit big-endian number — QEMU's framing,
 * so a jqemu guest can talk to another jqemu or to a QEMU on the other end.
 *
 * <p>A reader thread takes frames off the socket into a small queue and asks the main loop to
 * deliver them while the NIC has room (back-pressure stops the reader, not the VM); a writer
 * thread sends the guest's frames, dropping them when its queue is full, as a busy link would. A
 * server accepts one peer at a time and waits for the next when it goes.
 */
public final class StreamNetBackend implements NetBackend {
    private static final int QUEUE = 64;
    private static final int MAX_FRAME = 65536 + 18;

    private final String id;
    private final Consumer<Runnable> mainLoop;
    private final ServerSocketChannel server;
    private final BlockingQueue<byte[]> in = new ArrayBlockingQueue<>(QUEUE);
    private final BlockingQueue<byte[]> out = new ArrayBlockingQueue<>(QUEUE);
    private final Thread reader;
    private final Thread writer;
    private volatile SocketChannel peer;
    private volatile boolean closed;
    private NetFrontend frontend;
    private byte[] held;

    private StreamNetBackend(String id, Consumer<Runnable> mainLoop, ServerSocketChannel server, SocketChannel peer) {
        this.id = id;
        this.mainLoop = mainLoop;
        this.server = server;
        this.peer = peer;
        this.reader = Thread.ofPlatform().daemon(true).name("netdev " + id + " rx").unstarted(this::readLoop);
        this.writer = Thread.ofPlatform().daemon(true).name("netdev " + id + " tx").unstarted(this::writeLoop);
        reader.start();
        writer.start();
    }

    /**
     * Listens on {@code addr} (server) or connects to it (client).
     *
     * @param mainLoop runs a task on the machine's main loop with the machine lock held
     */
    public static StreamNetBackend open(String id, SocketAddress addr, boolean listen, Consumer<Runnable> mainLoop, String where)
            throws ConfigException {
        try {
            if (listen) {
                ServerSocketChannel s = addr instanceof java.net.UnixDomainSocketAddress
                        ? ServerSocketChannel.open(StandardProtocolFamily.UNIX)
                        : ServerSocketChannel.open();
                if (!(addr instanceof java.net.UnixDomainSocketAddress)) {
                    s.socket().setReuseAddress(true);
                }
                s.bind(addr);
                return new StreamNetBackend(id, mainLoop, s, null);
            }
            SocketChannel c = SocketChannel.open(addr);
            return new StreamNetBackend(id, mainLoop, null, c);
        } catch (IOException | RuntimeException e) {
            throw new ConfigException(where + ": could not " + (listen ? "listen on " : "connect to ") + addr + ": " + e.getMessage());
        }
    }

    @Override
    public String id() {
        return id;
    }

    /** The address a server listens on (its port when 0 was asked for), or null for a client. */
    public SocketAddress localAddress() throws IOException {
        return server == null ? null : server.getLocalAddress();
    }

    @Override
    public void attach(NetFrontend f) {
        frontend = f;
    }

    @Override
    public void send(byte[] frame, int off, int len) {
        if (peer == null || closed) {
            return;
        }
        byte[] copy = new byte[4 + len];
        copy[0] = (byte) (len >>> 24);
        copy[1] = (byte) (len >>> 16);
        copy[2] = (byte) (len >>> 8);
        copy[3] = (byte) len;
        System.arraycopy(frame, off, copy, 4, len);
        out.offer(copy); // full: dropped
    }

    @Override
    public void acceptInput() {
        mainLoop.accept(this::deliver);
    }

    /** On the main loop: hands queued frames to the NIC while it has room. */
    private void deliver() {
        NetFrontend f = frontend;
        while (f != null) {
            byte[] frame = held != null ? held : in.poll();
            if (frame == null) {
                return;
            }
            if (!f.canReceive()) {
                held = frame; // keep it for acceptInput()
                return;
            }
            held = null;
            f.receive(frame, 0, frame.length);
        }
    }

    private void readLoop() {
        ByteBuffer len = ByteBuffer.allocate(4);
        while (!closed) {
            SocketChannel c = peer;
            try {
                if (c == null) {
                    if (server == null) {
                        return;
                    }
                    peer = c = server.accept();
                }
                len.clear();
                if (!readFully(c, len)) {
                    dropPeer(c);
                    continue;
                }
                int n = len.getInt(0);
                if (n < 0 || n > MAX_FRAME) {
                    dropPeer(c); // not our framing: give up on this peer
                    continue;
                }
                ByteBuffer frame = ByteBuffer.allocate(n);
                if (!readFully(c, frame)) {
                    dropPeer(c);
                    continue;
                }
                in.put(frame.array());
                mainLoop.accept(this::deliver);
            } catch (IOException e) {
                dropPeer(c);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private static boolean readFully(SocketChannel c, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            if (c.read(b) < 0) {
                return false;
            }
        }
        return true;
    }

    private void dropPeer(SocketChannel c) {
        if (c != null) {
            try {
                c.close();
            } catch (IOException e) {
                // already gone
            }
        }
        peer = null;
        if (server == null) {
            closed = true; // a client does not reconnect
        }
    }

    private void writeLoop() {
        while (!closed) {
            try {
                byte[] f = out.take();
                SocketChannel c = peer;
                if (c == null) {
                    continue;
                }
                ByteBuffer b = ByteBuffer.wrap(f);
                while (b.hasRemaining()) {
                    c.write(b);
                }
            } catch (InterruptedException e) {
                return;
            } catch (IOException e) {
                // the reader notices the broken peer
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        reader.interrupt();
        writer.interrupt();
        try {
            if (server != null) {
                server.close();
            }
            SocketChannel c = peer;
            if (c != null) {
                c.close();
            }
        } catch (IOException e) {
            // closing at exit
        }
    }
}
