package org.jqemu.qmp;

import java.io.InputStream;

/**
 * Keys typed at a human monitor on a chardev, between the chardev (which pushes them on the main
 * loop and must never block) and the line editor's terminal (which pulls them on its own thread).
 * The room left is what the chardev may push ({@link org.jqemu.system.chardev.CharFrontend#canReceive()});
 * once the editor has taken some, {@code roomAgain} lets the chardev send the rest.
 */
final class KeyQueue extends InputStream {
    static final int CAPACITY = 4096;

    private final byte[] ring = new byte[CAPACITY];
    private final Runnable roomAgain;
    private int head;
    private int size;
    private boolean ended;

    KeyQueue(Runnable roomAgain) {
        this.roomAgain = roomAgain;
    }

    synchronized int room() {
        return ended ? CAPACITY : CAPACITY - size;
    }

    /** Queues what fits; the rest is dropped (the chardev asked {@link #room()} first). */
    synchronized void put(byte[] buf, int off, int len) {
        if (ended) {
            return;
        }
        int n = Math.min(len, CAPACITY - size);
        for (int i = 0; i < n; i++) {
            ring[(head + size + i) % CAPACITY] = buf[off + i];
        }
        size += n;
        notifyAll();
    }

    /** No more keys: the reader sees end of input once the queue is empty. */
    synchronized void end() {
        ended = true;
        notifyAll();
    }

    @Override
    public int read() {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] buf, int off, int len) {
        if (len == 0) {
            return 0;
        }
        boolean wasFull;
        int n;
        synchronized (this) {
            while (size == 0 && !ended) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return -1;
                }
            }
            if (size == 0) {
                return -1;
            }
            wasFull = size == CAPACITY;
            n = Math.min(len, size);
            for (int i = 0; i < n; i++) {
                buf[off + i] = ring[(head + i) % CAPACITY];
            }
            head = (head + n) % CAPACITY;
            size -= n;
        }
        if (wasFull) {
            roomAgain.run();
        }
        return n;
    }

    @Override
    public synchronized int available() {
        return size;
    }

    @Override
    public void close() {
        end();
    }
}
