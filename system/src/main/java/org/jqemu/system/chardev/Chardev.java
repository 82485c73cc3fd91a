package org.jqemu.system.chardev;

/**
 * A host-side byte stream a device talks through: {@code -chardev stdio|file|null|socket|...},
 * or one made implicitly by {@code -serial} and {@code -nographic}.
 */
public interface Chardev extends AutoCloseable {
    String id();

    /** Guest output. Must not block the vCPU for long; a backend with no reader drops bytes. */
    void write(byte[] buf, int off, int len);

    default void write(int b) {
        write(new byte[] {(byte) b}, 0, 1);
    }

    /** Connects the device that receives this chardev's input (null detaches). */
    void attach(CharFrontend frontend);

    /** The front end has room again after {@link CharFrontend#canReceive()} said 0. */
    void acceptInput();

    @Override
    void close();
}
