package org.jqemu.system.chardev;

import java.util.concurrent.Executor;

/**
 * What every backend shares: the attached front end and the input path to it. Reader threads call
 * {@link #deliver}; the bytes reach the front end on the machine's main loop (with the machine lock
 * held), never more than its {@link CharFrontend#canReceive()} allows. The rest waits here until the
 * front end calls {@link #acceptInput()}; while too much waits, the reader thread blocks, so a
 * socket peer feels back-pressure instead of filling our memory.
 */
public abstract class ChardevBase implements Chardev {
    /** Input held back before reader threads are made to wait. */
    private static final int MAX_PENDING = 64 * 1024;

    private final String id;
    private final Executor mainLoop;
    private final Object inputLock = new Object();
    private byte[] pending = new byte[256];
    private int pendingStart;
    private int pendingEnd;
    private boolean drainQueued;
    private volatile boolean closed;
    private volatile CharFrontend frontend;

    /**
     * @param mainLoop runs input delivery with the machine lock held: {@code machine.mainLoop()::post}
     */
    protected ChardevBase(String id, Executor mainLoop) {
        this.id = id;
        this.mainLoop = mainLoop;
    }

    @Override
    public final String id() {
        return id;
    }

    @Override
    public void attach(CharFrontend frontend) {
        this.frontend = frontend;
        scheduleDrain();
    }

    protected final CharFrontend frontend() {
        return frontend;
    }

    @Override
    public void acceptInput() {
        scheduleDrain();
    }

    protected final boolean isClosed() {
        return closed;
    }

    /**
     * Hands host input towards the front end; called by a backend's reader thread. Blocks while too
     * much input is still waiting for the front end; returns early once the chardev is closed.
     */
    protected final void deliver(byte[] buf, int off, int len) {
        synchronized (inputLock) {
            while (!closed && pendingEnd - pendingStart >= MAX_PENDING) {
                try {
                    inputLock.wait(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            if (closed) {
                return;
            }
            append(buf, off, len);
        }
        scheduleDrain();
    }

    private void append(byte[] buf, int off, int len) {
        int size = pendingEnd - pendingStart;
        if (pendingEnd + len > pending.length) {
            byte[] dst = size + len > pending.length ? new byte[Math.max(pending.length * 2, size + len)] : pending;
            System.arraycopy(pending, pendingStart, dst, 0, size);
            pending = dst;
            pendingStart = 0;
            pendingEnd = size;
        }
        System.arraycopy(buf, off, pending, pendingEnd, len);
        pendingEnd += len;
    }

    private void scheduleDrain() {
        synchronized (inputLock) {
            if (drainQueued || pendingEnd == pendingStart) {
                return;
            }
            drainQueued = true;
        }
        mainLoop.execute(this::drain);
    }

    /** Runs on the main loop: gives the front end as much as it can take now. */
    private void drain() {
        CharFrontend fe = frontend;
        synchronized (inputLock) {
            drainQueued = false;
        }
        if (fe == null) {
            return;
        }
        while (true) {
            int room = fe.canReceive();
            if (room <= 0) {
                return; // the front end calls acceptInput() when it has room again
            }
            byte[] chunk;
            synchronized (inputLock) {
                int n = Math.min(room, pendingEnd - pendingStart);
                if (n == 0) {
                    return;
                }
                chunk = new byte[n];
                System.arraycopy(pending, pendingStart, chunk, 0, n);
                pendingStart += n;
                if (pendingStart == pendingEnd) {
                    pendingStart = pendingEnd = 0;
                }
                inputLock.notifyAll();
            }
            fe.receive(chunk, 0, chunk.length);
        }
    }

    /** Tells the front end a peer connected ({@code open}) or left, in order with its input. */
    protected final void notifyPeer(boolean open) {
        mainLoop.execute(() -> {
            CharFrontend fe = frontend;
            if (fe != null) {
                if (open) {
                    fe.opened();
                } else {
                    fe.closed();
                }
            }
        });
    }

    /** Wakes blocked readers; subclasses call this first in {@link #close()}. */
    protected final void markClosed() {
        closed = true;
        synchronized (inputLock) {
            inputLock.notifyAll();
        }
    }
}
