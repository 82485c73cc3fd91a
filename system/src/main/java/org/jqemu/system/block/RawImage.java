package org.jqemu.system.block;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.jqemu.system.options.ConfigException;

/**
 * A raw disk image: the guest's sectors are the file's bytes, read and written through a
 * {@link FileChannel} at explicit positions (so concurrent requests need no shared file pointer).
 * The size is fixed when the image is opened, as QEMU's raw driver does.
 */
public final class RawImage implements BlockImage {
    private final String nodeName;
    private final Path path;
    private final FileChannel channel;
    private final boolean readOnly;
    private final long size;
    /**
     * The format was guessed, not given: like QEMU, refuse to let the guest write a sector 0
     * that would make the next probe guess another format (a guest could otherwise turn its
     * raw disk into a qcow2 header naming any host file as backing file).
     */
    private volatile boolean probed;

    private RawImage(String nodeName, Path path, FileChannel channel, boolean readOnly, long size) {
        this.nodeName = nodeName;
        this.path = path;
        this.channel = channel;
        this.readOnly = readOnly;
        this.size = size;
    }

    /** Opens {@code file}; errors name the option, as QEMU's "Could not open 'F': ..." does. */
    public static RawImage open(String nodeName, String file, boolean readOnly) throws ConfigException {
        Path p = Path.of(file);
        try {
            FileChannel ch = readOnly
                    ? FileChannel.open(p, StandardOpenOption.READ)
                    : FileChannel.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE);
            return new RawImage(nodeName, p, ch, readOnly, ch.size());
        } catch (java.nio.file.NoSuchFileException e) {
            throw new ConfigException("Could not open '" + file + "': No such file or directory");
        } catch (java.nio.file.AccessDeniedException e) {
            throw new ConfigException("Could not open '" + file + "': Permission denied");
        } catch (IOException | RuntimeException e) {
            throw new ConfigException("Could not open '" + file + "': " + e.getMessage());
        }
    }

    /** Marks the image as opened by format probing (see {@link #probed}). */
    void restrictBlockZero() {
        probed = true;
    }

    @Override
    public String format() {
        return "raw";
    }

    @Override
    public String nodeName() {
        return nodeName;
    }

    @Override
    public Path path() {
        return path;
    }

    @Override
    public boolean readOnly() {
        return readOnly;
    }

    /** Size in bytes. */
    @Override
    public long size() {
        return size;
    }

    /**
     * Fills {@code bufs} from {@code offset}; bytes past the end of the file read as zeros. A
     * scattered request (a virtio-blk read is one buffer per guest page) becomes one vectored
     * read system call rather than one per buffer; the channel's position is the shared state
     * that makes this possible, so vectored calls hold the channel's monitor.
     */
    @Override
    public void read(long offset, ByteBuffer[] bufs) throws IOException {
        synchronized (channel) {
            channel.position(offset);
            while (hasRemaining(bufs)) {
                if (channel.read(bufs) < 0) {
                    for (ByteBuffer b : bufs) {
                        while (b.hasRemaining()) {
                            b.put((byte) 0);
                        }
                    }
                }
            }
        }
    }

    /** Writes {@code bufs} at {@code offset} (one vectored write system call where it can). */
    @Override
    public void write(long offset, ByteBuffer[] bufs) throws IOException {
        if (readOnly) {
            throw new IOException(nodeName + " is read-only");
        }
        if (probed && offset == 0 && ImageFormats.wouldProbeAsOtherFormat(bufs)) {
            throw new IOException(nodeName + ": write to block 0 refused: it would change the probed format");
        }
        synchronized (channel) {
            channel.position(offset);
            while (hasRemaining(bufs)) {
                channel.write(bufs);
            }
        }
    }

    private static boolean hasRemaining(ByteBuffer[] bufs) {
        for (ByteBuffer b : bufs) {
            if (b.hasRemaining()) {
                return true;
            }
        }
        return false;
    }

    /** Makes written data durable (fdatasync). */
    @Override
    public void flush() throws IOException {
        if (!readOnly) {
            channel.force(false);
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
