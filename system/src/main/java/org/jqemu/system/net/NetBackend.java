package org.jqemu.system.net;

/**
 * A host-side network backend ({@code -netdev TYPE,id=ID,...}): carries Ethernet frames between
 * one NIC and the outside (a socket, a tap device, passt).
 */
public interface NetBackend extends AutoCloseable {
    String id();

    /** Connects the NIC that receives this backend's frames. */
    void attach(NetFrontend frontend);

    /** A frame from the guest. Must not block the caller for long; frames may be dropped. */
    void send(byte[] frame, int off, int len);

    /** The NIC has room again after {@link NetFrontend#canReceive()} said no. */
    void acceptInput();

    @Override
    void close();
}
