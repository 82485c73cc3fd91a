package org.jqemu.ui;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/** Comparing pictures from outside tools (JPEG, PNG, XWD via ImageMagick) with a screendump. */
public final class Pictures {
    private Pictures() {}

    public static BufferedImage read(Path file) throws IOException {
        BufferedImage img = ImageIO.read(file.toFile());
        if (img == null) {
            throw new IOException("cannot read " + file);
        }
        return img;
    }

    /**
     * The share of pixels whose brightness class (light/dark, threshold 0x40 per channel sum /3)
     * agrees between {@code img} at offset (ox, oy) and the reference, in [0, 1].
     */
    public static double agreement(BufferedImage img, int ox, int oy, int[] ref, int w, int h) {
        long same = 0;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                boolean a = light(img.getRGB(ox + x, oy + y));
                boolean b = light(ref[y * w + x]);
                if (a == b) {
                    same++;
                }
            }
        }
        return (double) same / ((long) w * h);
    }

    /** The share of reference pixels that are light: a picture must have some content to compare. */
    public static double lightShare(int[] ref) {
        long n = 0;
        for (int p : ref) {
            if (light(p)) {
                n++;
            }
        }
        return (double) n / ref.length;
    }

    static boolean light(int rgb) {
        int sum = ((rgb >> 16) & 0xff) + ((rgb >> 8) & 0xff) + (rgb & 0xff);
        return sum / 3 >= 0x40;
    }
}
