package org.jqemu.accel.tcg;

import org.jqemu.system.cpu.Cpu;

/** A CPU that the {@code tcg} accelerator can run: the target translates and executes itself. */
public interface TcgCpu extends Cpu {
    /**
     * Executes guest code on the calling thread until {@link #requestExit()} is called or the CPU
     * halts. Returns {@link org.jqemu.system.cpu.CpuExecutor#EXIT_KICKED} or
     * {@link org.jqemu.system.cpu.CpuExecutor#EXIT_HALTED}. Never throws for a guest action.
     */
    int execute();

    /** Makes {@link #execute()} return at the next block boundary; safe from any thread. */
    void requestExit();
}
