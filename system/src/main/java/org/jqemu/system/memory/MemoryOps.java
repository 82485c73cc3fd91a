package org.jqemu.system.memory;

/**
 * Register access callbacks of a device region (MMIO or I/O ports).
 *
 * <p>Offsets are relative to the start of the region; {@code size} is 1, 2, 4 or 8 bytes and
 * values travel as little-endian integers in the low bits of a long. Calls arrive with the
 * machine lock held, so a device needs no locking of its own.
 */
public interface MemoryOps {
    long read(long offset, int size);

    void write(long offset, int size, long value);
}
