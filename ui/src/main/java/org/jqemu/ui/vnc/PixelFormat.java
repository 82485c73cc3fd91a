package org.jqemu.ui.vnc;

import java.nio.ByteBuffer;

/**
 * An RFB PIXEL_FORMAT (RFC 6143, 7.4): how the client wants pixels. Only true-colour formats are
 * supported; a colour-map request is refused by keeping the previous format.
 */
record PixelFormat(int bitsPerPixel, int depth, boolean bigEndian, boolean trueColour, int redMax, int greenMax,
        int blueMax, int redShift, int greenShift, int blueShift) {

    /** What the server offers: 32 bits, depth 24, little-endian 0x00RRGGBB. */
    static final PixelFormat DEFAULT = new PixelFormat(32, 24, false, true, 255, 255, 255, 16, 8, 0);

    static PixelFormat read(ByteBuffer b) {
        int bpp = b.get() & 0xff;
        int depth = b.get() & 0xff;
        boolean be = b.get() != 0;
        boolean tc = b.get() != 0;
        int rm = b.getShort() & 0xffff;
        int gm = b.getShort() & 0xffff;
        int bm = b.getShort() & 0xffff;
        int rs = b.get() & 0xff;
        int gs = b.get() & 0xff;
        int bs = b.get() & 0xff;
        b.position(b.position() + 3);
        return new PixelFormat(bpp, depth, be, tc, rm, gm, bm, rs, gs, bs);
    }

    void write(ByteBuffer b) {
        b.put((byte) bitsPerPixel).put((byte) depth).put((byte) (bigEndian ? 1 : 0)).put((byte) (trueColour ? 1 : 0));
        b.putShort((short) redMax).putShort((short) greenMax).putShort((short) blueMax);
        b.put((byte) redShift).put((byte) greenShift).put((byte) blueShift);
        b.put(new byte[3]);
    }

    boolean usable() {
        return trueColour && (bitsPerPixel == 8 || bitsPerPixel == 16 || bitsPerPixel == 32);
    }

    int bytesPerPixel() {
        return bitsPerPixel / 8;
    }

    /** A 0x00RRGGBB pixel in this format, as an integer of bytesPerPixel bytes. */
    int convert(int rgb) {
        if (this.equals(DEFAULT)) {
            return rgb & 0xffffff;
        }
        int r = ((rgb >> 16) & 0xff) * redMax / 255;
        int g = ((rgb >> 8) & 0xff) * greenMax / 255;
        int b = (rgb & 0xff) * blueMax / 255;
        return r << redShift | g << greenShift | b << blueShift;
    }

    /**
     * ZRLE's compact pixel (RFC 6143, 7.7.6): 3 bytes when a 32-bit true-colour pixel's colour
     * bits fit in its least significant three bytes (or most significant, for big-endian).
     */
    int cpixelBytes() {
        if (bitsPerPixel == 32 && depth <= 24) {
            long all = ((long) redMax << redShift) | ((long) greenMax << greenShift) | ((long) blueMax << blueShift);
            if ((all & ~0xffffffL) == 0 || (all & 0xffL) == 0) {
                return 3;
            }
        }
        return bytesPerPixel();
    }

    /** Appends a converted pixel of {@code n} bytes (n = bytesPerPixel, or 3 for a compact pixel). */
    void put(byte[] out, int off, int pixel, int n) {
        if (n == 3) {
            long all = ((long) redMax << redShift) | ((long) greenMax << greenShift) | ((long) blueMax << blueShift);
            boolean low = (all & ~0xffffffL) == 0;
            int v = low ? pixel : pixel >>> 8;
            if (bigEndian) {
                out[off] = (byte) (v >> 16);
                out[off + 1] = (byte) (v >> 8);
                out[off + 2] = (byte) v;
            } else {
                out[off] = (byte) v;
                out[off + 1] = (byte) (v >> 8);
                out[off + 2] = (byte) (v >> 16);
            }
            return;
        }
        for (int i = 0; i < n; i++) {
            int shift = bigEndian ? 8 * (n - 1 - i) : 8 * i;
            out[off + i] = (byte) (pixel >>> shift);
        }
    }
}
