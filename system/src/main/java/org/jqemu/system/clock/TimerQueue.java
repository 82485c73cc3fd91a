package org.jqemu.system.clock;

import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The armed timers of one machine, ordered by deadline. The main loop sleeps in
 * {@link #awaitWork(long)} until the earliest deadline, a change of it, or a wake-up.
 */
public final class TimerQueue {
    private final VirtualClock clock;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final PriorityQueue<Timer> queue = new PriorityQueue<>((a, b) -> {
        int c = Long.compare(a.deadline, b.deadline);
        return c != 0 ? c : Long.compare(a.seq, b.seq);
    });
    private long seq;
    private boolean woken;

    public TimerQueue(VirtualClock clock) {
        this.clock = clock;
    }

    public VirtualClock clock() {
        return clock;
    }

    public Timer newTimer(String name, Runnable callback) {
        return new Timer(this, name, callback);
    }

    void schedule(Timer t, long deadline) {
        lock.lock();
        try {
            if (t.deadline >= 0) {
                queue.remove(t);
            }
            t.deadline = Math.max(0, deadline);
            t.seq = seq++;
            queue.add(t);
            if (queue.peek() == t) {
                changed.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    void cancel(Timer t) {
        lock.lock();
        try {
            if (t.deadline >= 0) {
                queue.remove(t);
                t.deadline = -1;
            }
        } finally {
            lock.unlock();
        }
    }

    boolean isPending(Timer t) {
        lock.lock();
        try {
            return t.deadline >= 0;
        } finally {
            lock.unlock();
        }
    }

    long deadlineOf(Timer t) {
        lock.lock();
        try {
            return t.deadline;
        } finally {
            lock.unlock();
        }
    }

    /** The earliest deadline, or -1 when nothing is armed. */
    public long nextDeadline() {
        lock.lock();
        try {
            Timer t = queue.peek();
            return t == null ? -1 : t.deadline;
        } finally {
            lock.unlock();
        }
    }

    /** Removes and returns the timers whose deadline has passed, earliest first. */
    public List<Timer> takeExpired() {
        long now = clock.nanos();
        List<Timer> due = new ArrayList<>();
        lock.lock();
        try {
            while (!queue.isEmpty() && queue.peek().deadline <= now) {
                Timer t = queue.poll();
                t.deadline = -1;
                due.add(t);
            }
        } finally {
            lock.unlock();
        }
        return due;
    }

    /** Runs the expired timers' callbacks on this thread; the caller holds the machine lock. */
    public void runExpired() {
        for (Timer t : takeExpired()) {
            t.callback.run();
        }
    }

    /**
     * Sleeps until the earliest deadline has passed, the queue changes, {@link #wake()} is called
     * or {@code maxNanos} elapse.
     */
    public void awaitWork(long maxNanos) throws InterruptedException {
        lock.lock();
        try {
            long end = System.nanoTime() + maxNanos;
            while (!woken) {
                long wait = end - System.nanoTime();
                Timer t = queue.peek();
                if (t != null && clock.running()) {
                    wait = Math.min(wait, t.deadline - clock.nanos());
                }
                if (wait <= 0) {
                    break;
                }
                changed.awaitNanos(wait);
            }
            woken = false;
        } finally {
            lock.unlock();
        }
    }

    /** Makes {@link #awaitWork(long)} return now. */
    public void wake() {
        lock.lock();
        try {
            woken = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }
}
