package org.jqemu.system.chardev;

/**
 * The device side of a character device (a UART, a virtio console port). Input is delivered on
 * the main loop thread with the machine lock held.
 */
public interface CharFrontend {
    /** How many bytes the device can take now; 0 makes the backend hold input back. */
    int canReceive();

    void receive(byte[] buf, int off, int len);

    /**
     * A peer connected to a backend that can be without one (a socket): a monitor greets it.
     * Called on the main loop, before that peer's first input.
     */
    default void opened() {}

    /** The peer went away; called on the main loop after its last input. */
    default void closed() {}

    /**
     * On a terminal shared through a mux: this front end now gets the input ({@code true}, the
     * monitor prints its prompt) or no longer does. Called on the main loop.
     */
    default void focus(boolean focused) {}
}
