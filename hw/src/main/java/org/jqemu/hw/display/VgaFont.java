package org.jqemu.hw.display;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * An 8-pixel-wide console font from the host, used to fill VGA plane 2 when no VGA BIOS loads
 * one (direct kernel boot). Reads the Linux PSF formats: PSF1 (magic 0x36 0x04; 256 or 512
 * glyphs, one byte per row) and PSF2 (magic 0x72 0xb5 0x4a 0x86; header with glyph count, size,
 * height and width), optionally gzip-compressed as kbd and console-data ship them.
 */
public final class VgaFont {
    /** Fonts tried in order; the first is in CP437 order, as the VGA's own ROM font. */
    static final Path[] SYSTEM_FONTS = {
        Path.of("/usr/share/consolefonts/default8x16.psf.gz"),
        Path.of("/usr/share/kbd/consolefonts/default8x16.psf.gz"),
        Path.of("/usr/share/consolefonts/Lat15-Fixed16.psf.gz"),
    };

    private final int height;
    private final byte[] glyphs; // 256 glyphs of `height` rows

    private VgaFont(int height, byte[] glyphs) {
        this.height = height;
        this.glyphs = glyphs;
    }

    public int height() {
        return height;
    }

    /** Row {@code row} of glyph {@code ch}, bit 7 the leftmost pixel. */
    public int row(int ch, int row) {
        return glyphs[ch * height + row] & 0xff;
    }

    /** The first readable system font, or null when none is installed. */
    public static VgaFont system() {
        for (Path p : SYSTEM_FONTS) {
            try {
                if (Files.isReadable(p)) {
                    return load(p);
                }
            } catch (IOException | RuntimeException e) {
                // try the next one
            }
        }
        return null;
    }

    public static VgaFont load(Path file) throws IOException {
        byte[] data;
        try (InputStream in = Files.newInputStream(file)) {
            data = file.toString().endsWith(".gz") ? new GZIPInputStream(in).readAllBytes() : in.readAllBytes();
        }
        return parse(data);
    }

    static VgaFont parse(byte[] d) throws IOException {
        if (d.length >= 4 && (d[0] & 0xff) == 0x36 && (d[1] & 0xff) == 0x04) {
            int height = d[3] & 0xff;
            return take(d, 4, height, height);
        }
        if (d.length >= 32 && (d[0] & 0xff) == 0x72 && (d[1] & 0xff) == 0xb5 && (d[2] & 0xff) == 0x4a
                && (d[3] & 0xff) == 0x86) {
            int headerSize = le32(d, 8);
            int bytesPerGlyph = le32(d, 20);
            int height = le32(d, 24);
            int width = le32(d, 28);
            if (width > 8) {
                throw new IOException("PSF2 font wider than 8 pixels");
            }
            return take(d, headerSize, height, bytesPerGlyph);
        }
        throw new IOException("not a PSF font");
    }

    private static VgaFont take(byte[] d, int offset, int height, int stride) throws IOException {
        if (height < 1 || height > 32 || offset + 256L * stride > d.length) {
            throw new IOException("truncated PSF font");
        }
        byte[] g = new byte[256 * height];
        for (int c = 0; c < 256; c++) {
            System.arraycopy(d, offset + c * stride, g, c * height, height);
        }
        return new VgaFont(height, g);
    }

    private static int le32(byte[] d, int o) {
        return (d[o] & 0xff) | (d[o + 1] & 0xff) << 8 | (d[o + 2] & 0xff) << 16 | (d[o + 3] & 0xff) << 24;
    }
}
