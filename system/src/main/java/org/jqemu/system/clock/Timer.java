package org.jqemu.system.clock;

/**
 * A one-shot deadline on the virtual clock. The callback runs on the main loop thread with the
 * machine lock held; re-arm it from the callback for periodic behaviour.
 */
public final class Timer {
    private final TimerQueue queue;
    final Runnable callback;
    final String name;
    long deadline = -1;
    long seq;

    Timer(TimerQueue queue, String name, Runnable callback) {
        this.queue = queue;
        this.name = name;
        this.callback = callback;
    }

    /** Fires at guest time {@code deadlineNs} (immediately if it has passed). */
    public void modNs(long deadlineNs) {
        queue.schedule(this, deadlineNs);
    }

    public void cancel() {
        queue.cancel(this);
    }

    public boolean pending() {
        return queue.isPending(this);
    }

    /** The armed deadline, or -1. */
    public long deadline() {
        return queue.deadlineOf(this);
    }

    @Override
    public String toString() {
        return "Timer[" + name + "]";
    }
}
