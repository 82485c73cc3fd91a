package org.jqemu.system.machine;

import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import org.jqemu.system.clock.TimerQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The machine's own thread: fires expired timers and runs work posted by other threads (backend
 * input, reset and shutdown requests). Everything it runs holds the machine lock, as device code
 * called from a vCPU does, so devices need no locks of their own.
 */
public final class MainLoop implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(MainLoop.class);

    private final Machine machine;
    private final TimerQueue timers;
    private final ArrayDeque<Runnable> tasks = new ArrayDeque<>();
    private final ArrayDeque<Runnable> unlockedTasks = new ArrayDeque<>();
    private volatile boolean quit;
    private Thread thread;

    MainLoop(Machine machine, TimerQueue timers) {
        this.machine = machine;
        this.timers = timers;
    }

    void start() {
        thread = Thread.ofPlatform().name("main-loop").daemon(true).start(this);
    }

    void stop() {
        quit = true;
        timers.wake();
    }

    /** Waits for the loop thread to end after {@link #stop()}; no-op on the loop thread itself. */
    void join() throws InterruptedException {
        Thread t = thread;
        if (t != null && t != Thread.currentThread()) {
            t.join();
        }
    }

    boolean onLoopThread() {
        return Thread.currentThread() == thread;
    }

    /** Runs {@code task} soon on the main loop thread with the machine lock held. */
    public void post(Runnable task) {
        synchronized (tasks) {
            tasks.add(task);
        }
        timers.wake();
    }

    /**
     * Runs {@code task} soon on the main loop thread without the machine lock, for work that must
     * first stop the vCPUs (which may be waiting for that lock).
     */
    public void postUnlocked(Runnable task) {
        synchronized (tasks) {
            unlockedTasks.add(task);
        }
        timers.wake();
    }

    @Override
    public void run() {
        while (!quit) {
            try {
                timers.awaitWork(TimeUnit.MILLISECONDS.toNanos(500));
            } catch (InterruptedException e) {
                return;
            }
            Runnable u;
            while ((u = pollUnlocked()) != null) {
                runSafely(u);
            }
            machine.lock();
            try {
                timers.runExpired();
                Runnable t;
                while ((t = poll()) != null) {
                    runSafely(t);
                }
            } catch (RuntimeException e) {
                LOG.error("timer callback failed", e);
                machine.fail(e);
            } finally {
                machine.unlock();
            }
        }
    }

    private void runSafely(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            LOG.error("main loop task failed", e);
            machine.fail(e);
        }
    }

    private Runnable poll() {
        synchronized (tasks) {
            return tasks.poll();
        }
    }

    private Runnable pollUnlocked() {
        synchronized (tasks) {
            return unlockedTasks.poll();
        }
    }
}
