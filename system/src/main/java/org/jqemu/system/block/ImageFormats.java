package org.jqemu.system.block;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.function.Consumer;
import org.jqemu.system.options.ConfigException;

/**
 * Format names and probing: which driver opens a file when the user (or a qcow2 header without
 * a backing-format extension) did not say. Like QEMU, only the qcow2 magic is recognised and
 * anything else is raw; probing a raw image as a user's disk earns QEMU's warning.
 */
public final class ImageFormats {
    /** Backing chains longer than this are refused (a loop of backing files would never end). */
    static final int MAX_BACKING_DEPTH = 16;

    private ImageFormats() {}

    /** "qcow2" if the file starts with the qcow2 magic and a version of 2 or more, else "raw". */
    static String probe(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(8);
            while (b.hasRemaining() && ch.read(b) >= 0) {
                // read until 8 bytes or end of file
            }
            return b.position() == 8 && b.getInt(0) == Qcow2Image.MAGIC && b.getInt(4) >= 2 ? "qcow2" : "raw";
        }
    }

    /**
     * Opens {@code file} with the named format, or probes it when {@code format} is null.
     * {@code warn} receives QEMU's warning when a probe guessed raw (null: no warning, as for
     * backing files).
     */
    static BlockImage open(String nodeName, String file, String format, boolean readOnly, boolean barriers,
            Consumer<String> warn, int depth) throws ConfigException {
        boolean probed = format == null;
        if (probed) {
            try {
                format = probe(Path.of(file));
            } catch (java.nio.file.NoSuchFileException e) {
                throw new ConfigException("Could not open '" + file + "': No such file or directory");
            } catch (IOException e) {
                throw new ConfigException("Could not open '" + file + "': " + e.getMessage());
            }
        }
        switch (format) {
            case "raw" -> {
                RawImage img = RawImage.open(nodeName, file, readOnly);
                if (probed) {
                    img.restrictBlockZero();
                    if (warn != null) {
                        warn.accept("WARNING: Image format was not specified for '" + file
                                + "' and probing guessed raw.\n"
                                + "         Automatically detecting the format is dangerous for raw images,"
                                + " write operations on block 0 will be restricted.\n"
                                + "         Specify the 'raw' format explicitly to remove the restrictions.");
                    }
                }
                return img;
            }
            case "qcow2" -> {
                return Qcow2Image.open(nodeName, file, readOnly, barriers, depth);
            }
            default -> throw new ConfigException("Unknown driver '" + format + "'");
        }
    }

    /** True if a write of {@code bufs} at offset 0 would make the image probe as qcow2. */
    static boolean wouldProbeAsOtherFormat(ByteBuffer[] bufs) {
        byte[] head = new byte[8];
        int n = 0;
        for (ByteBuffer b : bufs) {
            for (int i = b.position(); i < b.limit() && n < head.length; i++) {
                head[n++] = b.get(i);
            }
        }
        ByteBuffer h = ByteBuffer.wrap(head);
        return n == head.length && h.getInt(0) == Qcow2Image.MAGIC && h.getInt(4) >= 2;
    }
}
