package org.jqemu.system.cpu;

/**
 * What the machine and the accelerators know of a CPU of any architecture. Devices never hold a
 * CPU: they raise interrupt lines, and the CPU's own input lines do the rest.
 */
public interface Cpu {
    /** The CPU's index in the machine, 0 for the boot CPU. */
    int index();

    /** Architectural reset state. */
    void reset();

    /** True when a halted CPU has something to do (an interrupt it would take is pending). */
    boolean hasWork();

    /**
     * Registers what the CPU calls when something asynchronous happens to it (an interrupt line
     * rises): the vCPU thread uses it to leave guest code or wake from a halt.
     */
    void setKicker(Runnable kicker);
}
