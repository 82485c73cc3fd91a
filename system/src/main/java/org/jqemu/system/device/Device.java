package org.jqemu.system.device;

/** A device instance in a machine. */
public interface Device {
    /** The id given with {@code -device ...,id=} or a name the board chose. */
    String id();

    /** Back to power-on state; called on system reset with the machine lock held. */
    default void reset() {}
}
