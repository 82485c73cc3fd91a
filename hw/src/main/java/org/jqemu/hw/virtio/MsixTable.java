package org.jqemu.hw.virtio;

import org.jqemu.system.memory.AddressSpace;
import org.jqemu.system.memory.MemoryOps;

/**
 * The MSI-X table and pending bit array of one PCI function (PCI Local Bus Specification 3.0,
 * 6.8.2 "MSI-X Capability and Table Structures"): per vector a message address, data and a mask
 * bit. Raising a vector writes its data to its address — on a PC that lands in the APIC window —
 * unless the vector or the whole function is masked, in which case its pending bit is set and
 * the message goes out when unmasked (6.8.3.5).
 *
 * <p>The register window holds the table at offset 0 and the PBA at {@link #PBA_OFFSET}; the
 * owning function places it in a BAR and keeps the capability's enable and function-mask bits.
 */
public final class MsixTable {
    public static final int ENTRY_SIZE = 16;
    public static final int PBA_OFFSET = 0x800;
    public static final int WINDOW_SIZE = 0x1000;
    private static final int VECTOR_CONTROL = 12;

    private final AddressSpace memory;
    private final int vectors;
    private final int[] table; // four dwords per entry
    private final long[] pending;
    private boolean enabled;
    private boolean functionMasked;

    public MsixTable(AddressSpace memory, int vectors) {
        if (vectors < 1 || vectors > 128) {
            throw new IllegalArgumentException("MSI-X vectors " + vectors);
        }
        this.memory = memory;
        this.vectors = vectors;
        this.table = new int[vectors * 4];
        this.pending = new long[(vectors + 63) / 64];
        reset();
    }

    public int vectors() {
        return vectors;
    }

    /** Every vector masked, nothing pending (the state after reset). */
    public void reset() {
        java.util.Arrays.fill(table, 0);
        java.util.Arrays.fill(pending, 0);
        for (int v = 0; v < vectors; v++) {
            table[v * 4 + 3] = 1;
        }
        enabled = false;
        functionMasked = false;
    }

    /** The capability's Message Control changed: MSI-X Enable (bit 15) and Function Mask (bit 14). */
    public void setControl(boolean enable, boolean maskAll) {
        enabled = enable;
        functionMasked = maskAll;
        deliverPending();
    }

    public boolean enabled() {
        return enabled;
    }

    /** Signals {@code vector}; out of range vectors are ignored. */
    public void raise(int vector) {
        if (!enabled || vector < 0 || vector >= vectors) {
            return;
        }
        if (functionMasked || masked(vector)) {
            pending[vector >> 6] |= 1L << vector;
            return;
        }
        send(vector);
    }

    public boolean isPending(int vector) {
        return (pending[vector >> 6] & (1L << vector)) != 0;
    }

    private boolean masked(int vector) {
        return (table[vector * 4 + 3] & 1) != 0;
    }

    private void send(int vector) {
        long addr = (table[vector * 4] & 0xffffffffL) | ((long) table[vector * 4 + 1] << 32);
        memory.write32(addr, table[vector * 4 + 2]);
    }

    private void deliverPending() {
        if (!enabled || functionMasked) {
            return;
        }
        for (int v = 0; v < vectors; v++) {
            if (isPending(v) && !masked(v)) {
                pending[v >> 6] &= ~(1L << v);
                send(v);
            }
        }
    }

    /** The table and PBA registers, 32-bit accesses (6.8.2: dword or qword aligned). */
    public MemoryOps ops() {
        return new MemoryOps() {
            @Override
            public long read(long offset, int size) {
                if (offset >= PBA_OFFSET) {
                    int word = (int) ((offset - PBA_OFFSET) / 8);
                    if (word >= pending.length) {
                        return 0;
                    }
                    long v = pending[word] >>> (8 * ((offset - PBA_OFFSET) & 7));
                    return size == 8 ? v : v & ((1L << (8 * size)) - 1);
                }
                int i = (int) (offset / 4);
                if (i >= table.length) {
                    return 0;
                }
                long v = table[i] & 0xffffffffL;
                if (size == 8 && i + 1 < table.length) {
                    v |= (long) table[i + 1] << 32;
                }
                return v;
            }

            @Override
            public void write(long offset, int size, long value) {
                if (offset >= PBA_OFFSET || (offset & 3) != 0) {
                    return; // the PBA is read-only
                }
                int i = (int) (offset / 4);
                if (i >= table.length) {
                    return;
                }
                store(i, (int) value);
                if (size == 8 && i + 1 < table.length) {
                    store(i + 1, (int) (value >>> 32));
                }
            }

            private void store(int i, int v) {
                table[i] = (i & 3) == 3 ? v & 1 : v; // vector control: only the mask bit exists
                if ((i & 3) == 3) {
                    deliverPending();
                }
            }
        };
    }
}
