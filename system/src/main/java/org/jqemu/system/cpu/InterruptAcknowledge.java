package org.jqemu.system.cpu;

/**
 * The interrupt-acknowledge cycle of a CPU with vectored interrupts (x86 INTA): when the CPU takes
 * its INTR input, it asks the controller which vector to run.
 */
@FunctionalInterface
public interface InterruptAcknowledge {
    int acknowledge();
}
