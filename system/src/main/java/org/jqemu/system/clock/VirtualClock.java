package org.jqemu.system.clock;

/**
 * Guest time in nanoseconds: host monotonic time that stands still while the VM is stopped, so a
 * paused guest does not see its timers jump on resume. Starts at 0 when the machine is created.
 */
public final class VirtualClock {
    private final Object lock = new Object();
    private long offset;
    private long stoppedAt;
    private boolean running;

    public VirtualClock() {
        long now = System.nanoTime();
        offset = now;
        stoppedAt = now;
        running = false;
    }

    /** Current guest time in nanoseconds. */
    public long nanos() {
        synchronized (lock) {
            return (running ? System.nanoTime() : stoppedAt) - offset;
        }
    }

    public void start() {
        synchronized (lock) {
            if (!running) {
                offset += System.nanoTime() - stoppedAt;
                running = true;
            }
        }
    }

    public void stop() {
        synchronized (lock) {
            if (running) {
                stoppedAt = System.nanoTime();
                running = false;
            }
        }
    }

    public boolean running() {
        synchronized (lock) {
            return running;
        }
    }
}
