package org.jqemu.hw;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.jqemu.system.accel.Accelerator;
import org.jqemu.system.chardev.CharFrontend;
import org.jqemu.system.chardev.Chardev;
import org.jqemu.system.cpu.Cpu;
import org.jqemu.system.cpu.CpuExecutor;
import org.jqemu.system.irq.IrqLine;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.machine.MachineConfig;

/**
 * Helpers for device tests. A machine that was never started has its virtual clock stopped at 0,
 * so device state is fully deterministic; {@link #startPaused} runs the main loop (timers) with
 * the clock still stopped, and {@link #advance} lets guest time run for a while, stops it again
 * and waits until every timer that expired meanwhile has fired. Assertions then compare against
 * values computed from {@code machine.clock().nanos()}, never against wall-clock guesses.
 */
public final class TestMachines {
    private TestMachines() {}

    public static Machine newMachine() {
        return new Machine(new MachineConfig());
    }

    /** An accelerator for machines without CPUs: only the main loop and timers run. */
    public static final class NoCpus implements Accelerator {
        @Override
        public String name() {
            return "test";
        }

        @Override
        public String description() {
            return "no CPUs";
        }

        @Override
        public void init(Machine machine) {}

        @Override
        public CpuExecutor createExecutor(Machine machine, Cpu cpu) {
            throw new UnsupportedOperationException();
        }
    }

    public static void startPaused(Machine m) {
        m.config().startPaused = true;
        m.setAccelerator(new NoCpus());
        m.start();
    }

    /** Lets guest time run for about {@code millis}, then stops it and drains expired timers. */
    public static void advance(Machine m, long millis) throws InterruptedException {
        m.resume();
        Thread.sleep(millis);
        m.pause();
        drain(m);
    }

    /**
     * Runs the main loop until expired timers are done. With the clock stopped a re-armed timer
     * whose deadline has passed runs on the next loop pass, so a few passes settle everything.
     */
    public static void drain(Machine m) throws InterruptedException {
        for (int i = 0; i < 50; i++) {
            CountDownLatch done = new CountDownLatch(1);
            m.mainLoop().post(done::countDown);
            if (!done.await(10, TimeUnit.SECONDS)) {
                throw new AssertionError("main loop did not run");
            }
        }
    }

    public static int in8(Machine m, int port) {
        m.lock();
        try {
            return m.io().read8(port);
        } finally {
            m.unlock();
        }
    }

    public static void out8(Machine m, int port, int value) {
        m.lock();
        try {
            m.io().write8(port, value);
        } finally {
            m.unlock();
        }
    }

    /** An interrupt line that remembers its level and counts rising edges. */
    public static final class RecordingLine implements IrqLine {
        public volatile boolean level;
        public volatile int risingEdges;

        @Override
        public void set(boolean l) {
            if (l && !level) {
                risingEdges++;
            }
            level = l;
        }
    }

    /** A chardev that records output and lets the test feed input like a backend does. */
    public static final class TestChardev implements Chardev {
        private final String id;
        public final StringBuilder output = new StringBuilder();
        public CharFrontend frontend;
        public int acceptInputCalls;

        public TestChardev(String id) {
            this.id = id;
        }

        @Override
        public String id() {
            return id;
        }

        @Override
        public void write(byte[] buf, int off, int len) {
            for (int i = 0; i < len; i++) {
                output.append((char) (buf[off + i] & 0xff));
            }
        }

        @Override
        public void attach(CharFrontend f) {
            frontend = f;
        }

        @Override
        public void acceptInput() {
            acceptInputCalls++;
        }

        /** Delivers as much of {@code text} as the front end takes; returns what is left. */
        public String feed(String text) {
            int n = Math.min(frontend.canReceive(), text.length());
            byte[] b = text.substring(0, n).getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
            frontend.receive(b, 0, b.length);
            return text.substring(n);
        }

        @Override
        public void close() {}
    }

    public static List<Integer> readAll(Machine m, int port, int count) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            out.add(in8(m, port));
        }
        return out;
    }
}
