package org.jqemu.system.net;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The receive thread of a backend on a native file descriptor (a tap device, an AF_UNIX
 * datagram socket): each read(2) is one frame, handed to a {@link FrameInbox}. It polls with a
 * short timeout instead of blocking in read(2), so {@link #stop()} ends it promptly and the
 * descriptor can then be closed without another thread still reading a reused fd number.
 */
final class NativeFrameReader {
    private static final int POLL_MS = 250;

    private final int fd;
    private final int maxFrame;
    private final FrameInbox inbox;
    private final boolean retryAfterError;
    private volatile boolean stopped;
    private final Thread thread;

    /**
     * Starts reading. {@code retryAfterError}: a read error other than EINTR/EAGAIN is passing
     * (a tap answers EIO while its interface is down) rather than the end of the descriptor.
     */
    NativeFrameReader(String name, int fd, int maxFrame, FrameInbox inbox, boolean retryAfterError) {
        this.fd = fd;
        this.maxFrame = maxFrame;
        this.inbox = inbox;
        this.retryAfterError = retryAfterError;
        this.thread = Thread.ofPlatform().daemon(true).name(name).start(this::readLoop);
    }

    /** Ends the thread and waits until it has left read(2); the caller closes the fd next. */
    void stop() {
        stopped = true;
        thread.interrupt();
        try {
            thread.join(2 * POLL_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void readLoop() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(maxFrame);
            MemorySegment errno = NetNative.newErrnoCapture(a);
            MemorySegment pollfd = a.allocate(8);
            while (!stopped) {
                if (!NetNative.pollIn(errno, pollfd, fd, POLL_MS)) {
                    continue;
                }
                long n = NetNative.read(errno, fd, buf, maxFrame);
                if (n < 0) {
                    int e = NetNative.errno(errno);
                    if (e == NetNative.EINTR || e == NetNative.EAGAIN) {
                        continue;
                    }
                    if (!retryAfterError) {
                        return; // the descriptor is gone
                    }
                    Thread.sleep(POLL_MS);
                    continue;
                }
                inbox.put(buf.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE));
            }
        } catch (InterruptedException e) {
            // stopping
        }
    }
}
