package org.jqemu.system.net;

/**
 * The guest side of a network backend (a NIC). Frames arrive on the main loop thread with the
 * machine lock held.
 */
public interface NetFrontend {
    /** True if the NIC can take a frame now; false makes the backend hold frames back. */
    boolean canReceive();

    /** One Ethernet frame, without FCS. */
    void receive(byte[] frame, int off, int len);

    /**
     * {@code set_link}: the NIC shows the link state to the guest (carrier) and, while it is
     * down, drops frames both ways. Called with the machine lock held. A NIC without a link
     * state ignores it.
     */
    default void setLinkUp(boolean up) {}

    default boolean linkUp() {
        return true;
    }
}
