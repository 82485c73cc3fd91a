package org.jqemu.ui.vnc;

import java.io.ByteArrayOutputStream;
import java.util.zip.Deflater;

/**
 * ZRLE (RFC 6143, 7.7.6): the rectangle cut into 64x64 tiles, each tile solid, packed-palette
 * (2-16 colours) or raw, all through one zlib stream that lives as long as the connection. Text
 * screens are mostly two-colour tiles, which pack to 1 bit per pixel before zlib.
 */
final class ZrleEncoder {
    static final int TILE = 64;

    private final Deflater deflater = new Deflater(Deflater.DEFAULT_COMPRESSION);
    private final ByteArrayOutputStream plain = new ByteArrayOutputStream();
    private byte[] tileBuf = new byte[TILE * TILE * 4 + 64];
    private final int[] palette = new int[16];
    private final int[] tilePixels = new int[TILE * TILE];
    private byte[] zbuf = new byte[64 * 1024];

    /** The rect's ZRLE payload: u32 length then the compressed tile data. */
    byte[] encode(int[] px, int stride, int x, int y, int w, int h, PixelFormat pf) {
        plain.reset();
        int cp = pf.cpixelBytes();
        for (int ty = y; ty < y + h; ty += TILE) {
            int th = Math.min(TILE, y + h - ty);
            for (int tx = x; tx < x + w; tx += TILE) {
                int tw = Math.min(TILE, x + w - tx);
                tile(px, stride, tx, ty, tw, th, pf, cp);
            }
        }
        byte[] in = plain.toByteArray();
        deflater.setInput(in);
        ByteArrayOutputStream out = new ByteArrayOutputStream(in.length / 4 + 64);
        out.write(0);
        out.write(0);
        out.write(0);
        out.write(0);
        int n;
        while ((n = deflater.deflate(zbuf, 0, zbuf.length, Deflater.SYNC_FLUSH)) > 0) {
            out.write(zbuf, 0, n);
            if (n < zbuf.length) {
                break;
            }
        }
        byte[] r = out.toByteArray();
        int len = r.length - 4;
        r[0] = (byte) (len >>> 24);
        r[1] = (byte) (len >>> 16);
        r[2] = (byte) (len >>> 8);
        r[3] = (byte) len;
        return r;
    }

    private void tile(int[] px, int stride, int tx, int ty, int tw, int th, PixelFormat pf, int cp) {
        int n = 0;
        int colours = 0;
        for (int j = 0; j < th; j++) {
            int base = (ty + j) * stride + tx;
            for (int i = 0; i < tw; i++) {
                int p = pf.convert(px[base + i]);
                tilePixels[n++] = p;
                if (colours <= 16) {
                    int k = 0;
                    while (k < colours && palette[k] != p) {
                        k++;
                    }
                    if (k == colours) {
                        if (colours < 16) {
                            palette[colours] = p;
                        }
                        colours++;
                    }
                }
            }
        }
        int o = 0;
        if (colours == 1) {
            tileBuf[o++] = 1;
            pf.put(tileBuf, o, palette[0], cp);
            o += cp;
        } else if (colours <= 16) {
            tileBuf[o++] = (byte) colours;
            for (int k = 0; k < colours; k++) {
                pf.put(tileBuf, o, palette[k], cp);
                o += cp;
            }
            int bits = colours == 2 ? 1 : colours <= 4 ? 2 : 4;
            for (int j = 0; j < th; j++) {
                int acc = 0;
                int nbits = 0;
                for (int i = 0; i < tw; i++) {
                    int p = tilePixels[j * tw + i];
                    int k = 0;
                    while (palette[k] != p) {
                        k++;
                    }
                    acc = (acc << bits) | k;
                    nbits += bits;
                    if (nbits == 8) {
                        tileBuf[o++] = (byte) acc;
                        acc = 0;
                        nbits = 0;
                    }
                }
                if (nbits > 0) {
                    tileBuf[o++] = (byte) (acc << (8 - nbits));
                }
            }
        } else {
            tileBuf[o++] = 0;
            for (int k = 0; k < tw * th; k++) {
                pf.put(tileBuf, o, tilePixels[k], cp);
                o += cp;
            }
        }
        plain.write(tileBuf, 0, o);
    }

    void close() {
        deflater.end();
    }
}
