package org.jqemu.system.net;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.jqemu.system.options.ConfigException;

/**
 * {@code -netdev dgram,local.type=unix,local.path=A,remote.type=unix,remote.path=B}: one Ethernet
 * frame per datagram on an AF_UNIX SOCK_DGRAM socket bound to A, sending to B. Two VMs with the
 * paths crossed are a point-to-point link that needs no network at all. As QEMU does, a stale
 * socket file at A is removed before binding, and a frame sent before the peer has bound is lost.
 *
 * <p>The JDK has no unix datagram channel, so the socket is made through java.lang.foreign
 * ({@link NetNative}); sends never block (MSG_DONTWAIT: a full peer queue drops the frame) and a
 * reader thread polls the socket so that {@link #close()} ends it promptly.
 */
public final class UnixDatagramNetBackend implements NetBackend {
    private static final int MAX_DATAGRAM = 65536;

    private final String id;
    private final int fd;
    private final Path localPath;
    private final Arena arena = Arena.ofAuto(); // send() may race close(): let the GC free it
    private final MemorySegment remote;
    private final MemorySegment sendBuf;
    private final MemorySegment sendErrno;
    private final FrameInbox inbox;
    private final NativeFrameReader reader;
    private volatile boolean closed;

    private UnixDatagramNetBackend(String id, int fd, Path localPath, String remotePath, Consumer<Runnable> mainLoop) {
        this.id = id;
        this.fd = fd;
        this.localPath = localPath;
        this.remote = NetNative.sockaddrUn(arena, remotePath);
        this.sendBuf = arena.allocate(MAX_DATAGRAM);
        this.sendErrno = NetNative.newErrnoCapture(arena);
        this.inbox = new FrameInbox(mainLoop);
        this.reader = new NativeFrameReader("netdev " + id + " rx", fd, MAX_DATAGRAM, inbox, false);
    }

    public static UnixDatagramNetBackend open(String id, String localPath, String remotePath, Consumer<Runnable> mainLoop,
            String where) throws ConfigException {
        for (String p : new String[] {localPath, remotePath}) {
            if (p.getBytes(java.nio.charset.StandardCharsets.UTF_8).length >= NetNative.UNIX_PATH_MAX) {
                throw new ConfigException(where + ": UNIX socket path '" + p + "' is too long (at most "
                        + (NetNative.UNIX_PATH_MAX - 1) + " bytes)");
            }
        }
        Path local = Path.of(localPath);
        try {
            Files.deleteIfExists(local);
        } catch (IOException e) {
            throw new ConfigException(where + ": failed to unlink socket " + localPath + ": " + e.getMessage());
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment errno = NetNative.newErrnoCapture(a);
            int fd = NetNative.socket(errno, NetNative.AF_UNIX, NetNative.SOCK_DGRAM | NetNative.SOCK_CLOEXEC);
            if (fd < 0) {
                throw new ConfigException(where + ": can't create datagram socket: "
                        + NetNative.strerror(NetNative.errno(errno)));
            }
            if (NetNative.bind(errno, fd, NetNative.sockaddrUn(a, localPath)) < 0) {
                String why = NetNative.strerror(NetNative.errno(errno));
                NetNative.close(fd);
                throw new ConfigException(where + ": can't bind unix=" + localPath + " to socket: " + why);
            }
            return new UnixDatagramNetBackend(id, fd, local, remotePath, mainLoop);
        }
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public void attach(NetFrontend frontend) {
        inbox.attach(frontend);
    }

    /** Called with the machine lock held, so the one send buffer is never shared. */
    @Override
    public void send(byte[] frame, int off, int len) {
        if (closed || len > MAX_DATAGRAM) {
            return;
        }
        MemorySegment.copy(frame, off, sendBuf, ValueLayout.JAVA_BYTE, 0, len);
        // -1 (peer not there yet, its queue full): the frame is lost, as on a wire
        NetNative.sendto(sendErrno, fd, sendBuf, len, NetNative.MSG_DONTWAIT, remote);
    }

    @Override
    public void acceptInput() {
        inbox.acceptInput();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        reader.stop();
        NetNative.close(fd);
        try {
            Files.deleteIfExists(localPath);
        } catch (IOException e) {
            // leave it; the next bind removes it
        }
    }
}
