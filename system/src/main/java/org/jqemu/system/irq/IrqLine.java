package org.jqemu.system.irq;

/**
 * One interrupt wire from a device to an interrupt controller (or from a controller to a CPU).
 * Devices drive the level; edge-triggered inputs see the rising edge.
 */
@FunctionalInterface
public interface IrqLine {
    /** A line connected to nothing. */
    IrqLine NONE = level -> {};

    void set(boolean level);

    default void raise() {
        set(true);
    }

    default void lower() {
        set(false);
    }

    /** A rising and falling edge, for edge-triggered inputs. */
    default void pulse() {
        set(true);
        set(false);
    }
}
