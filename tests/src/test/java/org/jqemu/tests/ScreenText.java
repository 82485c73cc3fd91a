package org.jqemu.tests;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.jqemu.hw.display.VgaFont;
import org.jqemu.hw.display.VgaPciType;

/**
 * Reads an 80-column VGA text screen back from a picture taken by an outside client (a JPEG from
 * vncsnapshot): each 8- or 9-dot by 16-line cell is reduced to light/dark pixels and matched
 * against the glyphs of the fonts the guest may show, nearest glyph wins. The fonts are the one
 * in Debian's VGA BIOS (which fills plane 2 before the kernel starts) and the host console font
 * jqemu loads when no VGA BIOS runs.
 */
final class ScreenText {
    private static final int CELL_HEIGHT = 16;
    /** Mismatching pixels (of 128) a cell may have and still count as a glyph: JPEG edges blur. */
    private static final int TOLERANCE = 10;

    private ScreenText() {}

    static String read(Path picture) throws IOException {
        BufferedImage img = ImageIO.read(picture.toFile());
        if (img == null) {
            throw new IOException("cannot read " + picture);
        }
        List<byte[]> fonts = fonts();
        int cw = img.getWidth() / 80;
        StringBuilder sb = new StringBuilder();
        for (int ty = 0; ty < img.getHeight() / CELL_HEIGHT; ty++) {
            for (int tx = 0; tx < 80; tx++) {
                sb.append(cell(img, tx * cw, ty * CELL_HEIGHT, fonts));
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    private static char cell(BufferedImage img, int x0, int y0, List<byte[]> fonts) {
        int[] rows = new int[CELL_HEIGHT];
        for (int line = 0; line < CELL_HEIGHT; line++) {
            for (int bx = 0; bx < 8; bx++) {
                if (light(img.getRGB(x0 + bx, y0 + line))) {
                    rows[line] |= 0x80 >> bx;
                }
            }
        }
        char best = '?';
        int bestMiss = TOLERANCE + 1;
        for (byte[] font : fonts) {
            for (int ch = 0x20; ch < 0x7f; ch++) {
                int miss = 0;
                for (int line = 0; line < CELL_HEIGHT && miss < bestMiss; line++) {
                    miss += Integer.bitCount((font[ch * CELL_HEIGHT + line] & 0xff) ^ rows[line]);
                }
                if (miss < bestMiss) {
                    bestMiss = miss;
                    best = (char) ch;
                }
            }
        }
        return best;
    }

    private static boolean light(int rgb) {
        int sum = ((rgb >> 16) & 0xff) + ((rgb >> 8) & 0xff) + (rgb & 0xff);
        return sum / 3 >= 0x40;
    }

    /** 256 glyphs of 16 rows each, per candidate font. */
    private static List<byte[]> fonts() throws IOException {
        List<byte[]> fonts = new ArrayList<>();
        if (Files.isReadable(VgaPciType.DEFAULT_ROM)) {
            byte[] rom = Files.readAllBytes(VgaPciType.DEFAULT_ROM);
            // The 8x16 font starts with an empty glyph 0 and the smiling face as glyph 1.
            byte[] smiley = {0, 0, 0x7e, (byte) 0x81, (byte) 0xa5, (byte) 0x81, (byte) 0x81, (byte) 0xbd,
                (byte) 0x99, (byte) 0x81, (byte) 0x81, 0x7e, 0, 0, 0, 0};
            int at = indexOf(rom, smiley);
            if (at >= CELL_HEIGHT && at - CELL_HEIGHT + 256 * CELL_HEIGHT <= rom.length) {
                byte[] f = new byte[256 * CELL_HEIGHT];
                System.arraycopy(rom, at - CELL_HEIGHT, f, 0, f.length);
                fonts.add(f);
            }
        }
        VgaFont host = VgaFont.system();
        if (host != null && host.height() == CELL_HEIGHT) {
            byte[] f = new byte[256 * CELL_HEIGHT];
            for (int i = 0; i < f.length; i++) {
                f[i] = (byte) host.row(i / CELL_HEIGHT, i % CELL_HEIGHT);
            }
            fonts.add(f);
        }
        if (fonts.isEmpty()) {
            throw new IOException("no 8x16 font to read the screen with");
        }
        return fonts;
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
