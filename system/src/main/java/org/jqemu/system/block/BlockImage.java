package org.jqemu.system.block;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * One opened disk image as a device sees it: a fixed number of bytes that can be read and
 * written at any offset, whatever the file format underneath ({@link RawImage},
 * {@link Qcow2Image}). Implementations are safe to call from several I/O threads.
 */
public interface BlockImage extends AutoCloseable {
    /** The node name (-blockdev node-name=) or drive id (-drive id=). */
    String nodeName();

    /** The image file. */
    Path path();

    /** The format driver's name as QEMU reports it ("raw", "qcow2"). */
    String format();

    boolean readOnly();

    /** Virtual size in bytes. */
    long size();

    /** Fills {@code bufs} with the image's bytes from {@code offset}. */
    void read(long offset, ByteBuffer[] bufs) throws IOException;

    /** Stores {@code bufs} at {@code offset}. */
    void write(long offset, ByteBuffer[] bufs) throws IOException;

    /**
     * Makes {@code length} bytes from {@code offset} read as zeros. The default writes zero
     * buffers; formats that can record zeros in their metadata do that instead.
     */
    default void writeZeroes(long offset, long length) throws IOException {
        ByteBuffer zeros = ByteBuffer.allocate((int) Math.min(length, 1 << 20));
        for (long done = 0; done < length; ) {
            zeros.clear().limit((int) Math.min(zeros.capacity(), length - done));
            write(offset + done, new ByteBuffer[] {zeros});
            done += zeros.limit();
        }
    }

    /** Makes written data durable. */
    void flush() throws IOException;

    @Override
    void close() throws IOException;
}
