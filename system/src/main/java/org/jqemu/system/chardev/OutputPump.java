package org.jqemu.system.chardev;

import java.io.IOException;

/**
 * Decouples guest output from a host stream that may be slow or stuck (a terminal nobody reads, a
 * socket peer that stopped reading): vCPUs copy into a ring buffer and return; one writer thread
 * empties it. If the buffer stays full for long the sink counts as stalled and output is dropped,
 * as a serial line with no listener would lose it, rather than freezing the guest.
 */
final class OutputPump implements AutoCloseable {
    /** Where the bytes go; throws when the destination is gone. */
    @FunctionalInterface
    interface Sink {
        void write(byte[] buf, int off, int len) throws IOException;

        default void flush() throws IOException {}
    }

    private static final int CAPACITY = 1 << 20;
    private static final long STALL_NANOS = 1_000_000_000L;

    private final Sink sink;
    private final byte[] ring = new byte[CAPACITY];
    private long head; // next byte to write out
    private long tail; // next free slot
    private boolean stalled;
    private boolean closed;
    private final Thread writer;

    OutputPump(String name, Sink sink) {
        this.sink = sink;
        this.writer = Thread.ofPlatform().name("chardev-out-" + name).daemon(true).start(this::run);
    }

    synchronized void write(byte[] buf, int off, int len) {
        long deadline = System.nanoTime() + STALL_NANOS;
        while (len > 0 && !closed) {
            int room = (int) (CAPACITY - (tail - head));
            if (room == 0) {
                long left = deadline - System.nanoTime();
                if (stalled || left <= 0) {
                    stalled = true;
                    return; // drop: the reader is stuck
                }
                waitQuietly(left);
                continue;
            }
            int n = Math.min(room, len);
            for (int i = 0; i < n; i++) {
                ring[(int) ((tail + i) & (CAPACITY - 1))] = buf[off + i];
            }
            tail += n;
            off += n;
            len -= n;
            notifyAll();
        }
    }

    private void waitQuietly(long nanos) {
        try {
            wait(Math.max(1, nanos / 1_000_000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void run() {
        byte[] chunk = new byte[8192];
        while (true) {
            int n;
            synchronized (this) {
                while (head == tail && !closed) {
                    waitQuietly(1_000_000_000L);
                }
                if (head == tail) {
                    notifyAll();
                    return;
                }
                n = (int) Math.min(chunk.length, tail - head);
                for (int i = 0; i < n; i++) {
                    chunk[i] = ring[(int) ((head + i) & (CAPACITY - 1))];
                }
            }
            try {
                sink.write(chunk, 0, n);
                if (bufferedBytes() == n) {
                    sink.flush();
                }
            } catch (IOException e) {
                // The destination is gone; what it would have received is lost, as on a cut line.
            }
            synchronized (this) {
                head += n;
                stalled = false;
                notifyAll();
            }
        }
    }

    private synchronized long bufferedBytes() {
        return tail - head;
    }

    /** Blocks until everything written so far has reached the sink (or the timeout passes). */
    synchronized void drain(long timeoutMillis) {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        while (head != tail) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return;
            }
            waitQuietly(left);
        }
    }

    /** Writes out what is buffered (waiting at most two seconds), then stops the writer thread. */
    @Override
    public void close() {
        drain(2000);
        synchronized (this) {
            closed = true;
            notifyAll();
        }
        try {
            writer.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
