package org.jqemu.system.block;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Walks a scatter list (one buffer per guest page, say) front to back, handing out the next n
 * bytes as views that share the buffers' memory. Each {@link #take} advances the underlying
 * buffers' positions, as a channel read or write of them would.
 */
final class BufferCursor {
    private final ByteBuffer[] bufs;
    private int index;

    BufferCursor(ByteBuffer[] bufs) {
        this.bufs = bufs;
    }

    static long remaining(ByteBuffer[] bufs) {
        long n = 0;
        for (ByteBuffer b : bufs) {
            n += b.remaining();
        }
        return n;
    }

    /** The next {@code n} bytes (fewer if the list ends first) as views with position 0. */
    ByteBuffer[] take(long n) {
        List<ByteBuffer> out = new ArrayList<>(2);
        while (n > 0 && index < bufs.length) {
            ByteBuffer b = bufs[index];
            int k = (int) Math.min(b.remaining(), n);
            if (k > 0) {
                out.add(b.slice(b.position(), k));
                b.position(b.position() + k);
                n -= k;
            }
            if (!b.hasRemaining()) {
                index++;
            }
        }
        return out.toArray(new ByteBuffer[0]);
    }

    /** Copies views (without consuming them) into {@code dst} from {@code at}. */
    static void copyInto(ByteBuffer[] views, byte[] dst, int at) {
        for (ByteBuffer v : views) {
            int k = v.remaining();
            v.duplicate().get(dst, at, k);
            at += k;
        }
    }

    /** Fills views with zeros, consuming them. */
    static void zero(ByteBuffer[] views) {
        for (ByteBuffer v : views) {
            while (v.remaining() >= 8) {
                v.putLong(0);
            }
            while (v.hasRemaining()) {
                v.put((byte) 0);
            }
        }
    }
}
