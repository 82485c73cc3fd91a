package org.jqemu.accel.tcg;

import java.util.Arrays;

/**
 * Translated blocks by a 64-bit key (guest-physical PC combined with the mode bits that change
 * how the bytes decode). Open addressing with linear probing over parallel arrays: a lookup
 * costs a multiply, a mask and usually one compare, and never boxes the key.
 *
 * <p>Removal shifts later entries of the probe run back (no tombstones), so a long-running
 * guest that keeps rewriting code does not slowly degrade the table. Not thread-safe: each vCPU
 * owns its cache.
 *
 * @param <B> the target's block type
 */
public final class BlockCache<B> {
    private static final long EMPTY = Long.MIN_VALUE;

    private long[] keys;
    private Object[] values;
    private int size;
    private int mask;

    public BlockCache(int initialCapacity) {
        int cap = Integer.highestOneBit(Math.max(16, initialCapacity - 1) * 2);
        keys = new long[cap];
        values = new Object[cap];
        Arrays.fill(keys, EMPTY);
        mask = cap - 1;
    }

    private static int hash(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 29));
    }

    /** The block stored under {@code key}, or null. {@code key} must not be Long.MIN_VALUE. */
    @SuppressWarnings("unchecked")
    public B get(long key) {
        long[] k = keys;
        int m = mask;
        int i = hash(key) & m;
        while (true) {
            long kk = k[i];
            if (kk == key) {
                return (B) values[i];
            }
            if (kk == EMPTY) {
                return null;
            }
            i = (i + 1) & m;
        }
    }

    /** Stores {@code block} under {@code key}, replacing what was there. */
    public void put(long key, B block) {
        if (key == EMPTY) {
            throw new IllegalArgumentException("reserved key");
        }
        if ((size + 1) * 4 > keys.length * 3) {
            grow();
        }
        int i = hash(key) & mask;
        while (keys[i] != EMPTY) {
            if (keys[i] == key) {
                values[i] = block;
                return;
            }
            i = (i + 1) & mask;
        }
        keys[i] = key;
        values[i] = block;
        size++;
    }

    /** Removes the entry of {@code key}; returns whether there was one. */
    public boolean remove(long key) {
        int i = hash(key) & mask;
        while (keys[i] != key) {
            if (keys[i] == EMPTY) {
                return false;
            }
            i = (i + 1) & mask;
        }
        // Backward-shift deletion: move later members of the run into the hole when their home
        // slot does not lie (cyclically) between the hole and their current slot.
        int hole = i;
        int j = i;
        while (true) {
            j = (j + 1) & mask;
            long kj = keys[j];
            if (kj == EMPTY) {
                break;
            }
            int home = hash(kj) & mask;
            boolean between = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
            if (!between) {
                keys[hole] = kj;
                values[hole] = values[j];
                hole = j;
            }
        }
        keys[hole] = EMPTY;
        values[hole] = null;
        size--;
        return true;
    }

    public int size() {
        return size;
    }

    public void clear() {
        Arrays.fill(keys, EMPTY);
        Arrays.fill(values, null);
        size = 0;
    }

    private void grow() {
        long[] oldK = keys;
        Object[] oldV = values;
        keys = new long[oldK.length * 2];
        values = new Object[oldK.length * 2];
        Arrays.fill(keys, EMPTY);
        mask = keys.length - 1;
        size = 0;
        for (int i = 0; i < oldK.length; i++) {
            if (oldK[i] != EMPTY) {
                @SuppressWarnings("unchecked")
                B b = (B) oldV[i];
                put(oldK[i], b);
            }
        }
    }
}
