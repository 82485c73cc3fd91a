package org.jqemu.hw.display;

import org.jqemu.system.ui.DisplaySurface;

/** Reads text back from rendered pixels by matching each cell against the font in plane 2. */
final class TextOcr {
    private TextOcr() {}

    /** The characters of text row {@code ty}, recognised from the surface pixels (8- or 9-dot cells, 16 lines). */
    static String row(Vga vga, int[] px, int width, int ty, int cellWidth, int cellHeight) {
        StringBuilder sb = new StringBuilder();
        for (int tx = 0; tx * cellWidth < width; tx++) {
            int x0 = tx * cellWidth;
            int y0 = ty * cellHeight;
            int bg = px[y0 * width + x0 + cellWidth - 1]; // the 9th/8th column of row 0 is background for text
            char best = '?';
            for (int ch = 0x20; ch < 0x7f; ch++) {
                boolean match = true;
                for (int line = 0; line < cellHeight && match; line++) {
                    int bits = vga.fontRow(ch, line);
                    for (int bx = 0; bx < 8; bx++) {
                        boolean on = (bits & (0x80 >> bx)) != 0;
                        boolean lit = px[(y0 + line) * width + x0 + bx] != bg;
                        if (on != lit) {
                            match = false;
                            break;
                        }
                    }
                }
                if (match) {
                    best = (char) ch;
                    break;
                }
            }
            sb.append(best);
        }
        return sb.toString();
    }

    static String screen(Vga vga, DisplaySurface s) {
        int[] px;
        int w;
        int h;
        synchronized (s) {
            px = s.snapshot();
            w = s.width();
            h = s.height();
        }
        int cw = w / 80;
        StringBuilder sb = new StringBuilder();
        for (int ty = 0; ty < h / 16; ty++) {
            sb.append(row(vga, px, w, ty, cw, 16)).append('\n');
        }
        return sb.toString();
    }
}
