package org.jqemu.system.cpu;

/** Runs one CPU's guest code on the calling thread for an accelerator. */
public interface CpuExecutor {
    /** {@link #run()} returned because {@link #kick()} was called or a request is pending. */
    int EXIT_KICKED = 0;
    /** {@link #run()} returned because the CPU halted and waits for an interrupt. */
    int EXIT_HALTED = 1;

    /** Executes guest code until kicked or halted. */
    int run();

    /** Makes a running {@link #run()} return soon; safe from any thread. */
    void kick();
}
