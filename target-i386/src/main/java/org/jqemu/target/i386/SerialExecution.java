package org.jqemu.target.i386;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.jqemu.system.machine.Machine;

/**
 * Round-robin execution of the vCPUs of one machine under tcg: each CPU keeps its own vCPU
 * thread, but only the holder of this token runs guest code, as QEMU's single-threaded TCG
 * ({@code -accel tcg,thread=single}) does. So LOCK-prefixed read-modify-write instructions,
 * CMPXCHG and x86's store ordering hold between CPUs without host atomics in the interpreter.
 *
 * <p>A CPU keeps the token while it runs and releases it when it halts or is kicked. A CPU that
 * wants it waits one {@linkplain #QUANTUM_NS quantum}, then asks the holder to leave guest code
 * at its next block boundary; the fair lock then hands the token over, so a guest CPU spinning
 * on a lock lets the owner of that lock run.
 */
final class SerialExecution {
    /** How long a holder may run while another CPU waits (host time). */
    static final long QUANTUM_NS = 1_000_000L;

    private final ReentrantLock lock = new ReentrantLock(true);
    private volatile X86Cpu holder;

    /** The machine's token, or null when it has one CPU (nothing to serialise). */
    static SerialExecution of(Machine machine) {
        if (machine.config().smp <= 1) {
            return null;
        }
        SerialExecution s = machine.component(SerialExecution.class);
        if (s == null) {
            s = new SerialExecution();
            machine.putComponent(SerialExecution.class, s);
        }
        return s;
    }

    void acquire(X86Cpu cpu) {
        boolean interrupted = false;
        // The timed tryLock honours fairness, so a CPU that just released cannot barge back in.
        while (true) {
            try {
                if (lock.tryLock(QUANTUM_NS, TimeUnit.NANOSECONDS)) {
                    break;
                }
            } catch (InterruptedException e) {
                interrupted = true;
            }
            X86Cpu h = holder;
            if (h != null) {
                h.requestExit();
            }
        }
        holder = cpu;
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    void release() {
        holder = null;
        lock.unlock();
    }
}
