package org.jqemu.system.machine;

import java.util.concurrent.locks.LockSupport;
import org.jqemu.system.cpu.Cpu;
import org.jqemu.system.cpu.CpuExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One platform thread per vCPU: runs the accelerator's executor, sleeps while the CPU is halted
 * with nothing to do, and parks whenever the machine pauses its vCPUs (stop, reset, shutdown).
 */
final class VcpuThread implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(VcpuThread.class);

    private static final ThreadLocal<Cpu> CURRENT = new ThreadLocal<>();

    private final Machine machine;
    private final Cpu cpu;
    private final CpuExecutor executor;
    private volatile Thread thread;

    VcpuThread(Machine machine, Cpu cpu, CpuExecutor executor) {
        this.machine = machine;
        this.cpu = cpu;
        this.executor = executor;
        cpu.setKicker(this::kick);
    }

    void start() {
        thread = Thread.ofPlatform().name("vcpu-" + cpu.index()).daemon(true).start(this);
    }

    /** Makes the thread leave guest code or a halt and look at the machine's requests. */
    void kick() {
        executor.kick();
        Thread t = thread;
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    /** The CPU the calling vCPU thread runs, or null on any other thread. */
    static Cpu current() {
        return CURRENT.get();
    }

    boolean isCurrent() {
        return Thread.currentThread() == thread;
    }

    void join() throws InterruptedException {
        Thread t = thread;
        if (t != null && t != Thread.currentThread()) {
            t.join();
        }
    }

    @Override
    public void run() {
        CURRENT.set(cpu);
        try {
            while (!machine.terminating()) {
                if (machine.vcpusMustPark()) {
                    machine.parkVcpu();
                    continue;
                }
                int exit = executor.run();
                if (exit == CpuExecutor.EXIT_HALTED) {
                    while (!cpu.hasWork() && !machine.vcpusMustPark() && !machine.terminating()) {
                        LockSupport.parkNanos(this, 10_000_000L);
                    }
                }
            }
        } catch (RuntimeException | Error e) {
            // A bug in jqemu, never a guest action: report it and end the VM with an error.
            LOG.error("vCPU {} stopped on an internal error", cpu.index(), e);
            machine.fail(e);
        }
    }
}
