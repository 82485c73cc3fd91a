package org.jqemu.system.ui;

import java.util.Arrays;

/**
 * The picture a guest display shows: {@code width x height} pixels as 0x00RRGGBB ints, plus which
 * parts changed. Changes are tracked per {@link #TILE}-pixel square tile with a generation number,
 * so any number of viewers (VNC clients, the GL window, screendump) can each ask "what changed
 * since the generation I last saw" without the producer knowing about them.
 *
 * <p>Thread safety: the producer updates under the surface's monitor ({@code synchronized}); a
 * viewer holds the monitor while it copies pixels out.
 */
public final class DisplaySurface {
    public static final int TILE = 16;

    private int width;
    private int height;
    private int[] pixels;
    private int tilesX;
    private int tilesY;
    private long[] tileGeneration;
    private long generation;
    private long sizeGeneration;

    public DisplaySurface(int width, int height) {
        allocate(width, height);
    }

    private void allocate(int w, int h) {
        width = Math.max(1, w);
        height = Math.max(1, h);
        pixels = new int[width * height];
        tilesX = (width + TILE - 1) / TILE;
        tilesY = (height + TILE - 1) / TILE;
        tileGeneration = new long[tilesX * tilesY];
        generation++;
        sizeGeneration = generation;
        Arrays.fill(tileGeneration, generation);
    }

    public synchronized int width() {
        return width;
    }

    public synchronized int height() {
        return height;
    }

    /** The pixel array, row after row; valid until the next {@link #resize}. Hold the monitor. */
    public int[] pixels() {
        return pixels;
    }

    /** Bumped by every change; a viewer remembers the value it last sent. */
    public synchronized long generation() {
        return generation;
    }

    /** The generation of the last size change: a viewer that saw an older one must resize. */
    public synchronized long sizeGeneration() {
        return sizeGeneration;
    }

    public int tilesX() {
        return tilesX;
    }

    public int tilesY() {
        return tilesY;
    }

    /** True when tile (tx, ty) changed after generation {@code since}. */
    public boolean tileChangedSince(int tx, int ty, long since) {
        return tileGeneration[ty * tilesX + tx] > since;
    }

    /** Changes the size (contents become black, everything is dirty); no-op when unchanged. */
    public synchronized void resize(int w, int h) {
        if (w != width || h != height) {
            allocate(w, h);
        }
    }

    /**
     * Replaces one row of pixels from {@code src}, marking only the tiles whose pixels differ.
     * Returns true when something changed.
     */
    public synchronized boolean updateRow(int y, int[] src, int srcOffset, int count) {
        int n = Math.min(count, width);
        int base = y * width;
        boolean changed = false;
        long next = generation + 1;
        int ty = y / TILE;
        for (int tx = 0; tx * TILE < n; tx++) {
            int from = tx * TILE;
            int to = Math.min(from + TILE, n);
            if (Arrays.mismatch(pixels, base + from, base + to, src, srcOffset + from, srcOffset + to) >= 0) {
                System.arraycopy(src, srcOffset + from, pixels, base + from, to - from);
                tileGeneration[ty * tilesX + tx] = next;
                changed = true;
            }
        }
        if (changed) {
            generation = next;
        }
        return changed;
    }

    /** A copy of the pixels, for screendump and tests. */
    public synchronized int[] snapshot() {
        return pixels.clone();
    }

    public synchronized int pixel(int x, int y) {
        return pixels[y * width + x];
    }
}
