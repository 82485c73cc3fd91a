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

    /**
     * The registers as the monitor's {@code info registers} prints them (lines end in '\n'), or
     * null when the architecture has no dump yet.
     */
    default String dumpRegisters() {
        return null;
    }

    /**
     * The guest physical address that virtual address {@code vaddr} maps to under the CPU's current
     * translation (for the monitor's {@code x} and {@code memsave}), or -1 when it is unmapped.
     * Looking has no effect on the guest (no accessed bits set, no fault). The default is for a
     * CPU without an MMU model yet: virtual equals physical.
     */
    default long translate(long vaddr) {
        return vaddr;
    }
}
