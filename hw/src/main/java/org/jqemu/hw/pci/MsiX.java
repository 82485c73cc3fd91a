package org.jqemu.hw.pci;

import org.jqemu.system.memory.MemoryOps;

/**
 * MSI-X for a PCI function (PCI Local Bus Specification 3.0, 6.8.2 "MSI-X Capability and Table
 * Structure"): capability ID 0x11 with Message Control (table size - 1 in bits 10:0, Function Mask
 * bit 14, MSI-X Enable bit 15), Table Offset/BIR and PBA Offset/BIR; the table (16 bytes per
 * vector: message address low/high, message data, vector control with the mask bit) and the
 * pending bit array live in one of the function's memory BARs, which the device builds from
 * {@link #tableOps()} and {@link #pbaOps()}.
 *
 * <p>{@link #notify(int)} signals a vector: sent as a memory write through the bus's MSI sink
 * (the APIC bus on a PC) when MSI-X is enabled, the vector and function are unmasked and the
 * function may master the bus; otherwise the vector's pending bit is set and the message goes
 * out when the mask is lifted. A device uses INTx only while {@link #enabled()} is false.
 */
public final class MsiX {
    public static final int CAP_ID = 0x11;
    static final int CONTROL_ENABLE = 1 << 15;
    static final int CONTROL_FUNCTION_MASK = 1 << 14;
    public static final int ENTRY_SIZE = 16;

    private final PciDevice dev;
    private final int vectors;
    private final int capOffset;
    private final byte[] table;
    private final long[] pending;

    /**
     * Adds the capability to {@code dev}: {@code vectors} entries, the table at {@code tableOffset}
     * in BAR {@code tableBar} and the PBA at {@code pbaOffset} in BAR {@code pbaBar} (offsets
     * 8-byte aligned).
     */
    public MsiX(PciDevice dev, int vectors, int tableBar, int tableOffset, int pbaBar, int pbaOffset) {
        if (vectors < 1 || vectors > 2048 || (tableOffset & 7) != 0 || (pbaOffset & 7) != 0) {
            throw new IllegalArgumentException("MSI-X: " + vectors + " vectors, table 0x"
                    + Integer.toHexString(tableOffset) + ", PBA 0x" + Integer.toHexString(pbaOffset));
        }
        this.dev = dev;
        this.vectors = vectors;
        this.table = new byte[vectors * ENTRY_SIZE];
        this.pending = new long[(vectors + 63) / 64];
        capOffset = dev.addCapability(CAP_ID, 12);
        dev.setRaw(capOffset + 2, 2, vectors - 1);
        dev.setRaw(capOffset + 4, 4, tableOffset | tableBar);
        dev.setRaw(capOffset + 8, 4, pbaOffset | pbaBar);
        dev.setWmask(capOffset + 2, 2, CONTROL_ENABLE | CONTROL_FUNCTION_MASK);
        dev.addConfigListener((offset, size) -> {
            if (offset < capOffset + 4 && offset + size > capOffset + 2) {
                deliverPending();
            }
        });
        reset();
    }

    public int vectors() {
        return vectors;
    }

    public int capabilityOffset() {
        return capOffset;
    }

    private int control() {
        return dev.raw(capOffset + 2, 2);
    }

    /** MSI-X Enable is set (the device must not use INTx then). */
    public boolean enabled() {
        return (control() & CONTROL_ENABLE) != 0;
    }

    private boolean functionMasked() {
        return (control() & CONTROL_FUNCTION_MASK) != 0;
    }

    private int entry(int vector, int dword) {
        int o = vector * ENTRY_SIZE + dword * 4;
        return (table[o] & 0xff) | (table[o + 1] & 0xff) << 8 | (table[o + 2] & 0xff) << 16 | (table[o + 3] & 0xff) << 24;
    }

    public boolean vectorMasked(int vector) {
        return (entry(vector, 3) & 1) != 0;
    }

    public boolean isPending(int vector) {
        return (pending[vector >> 6] & (1L << vector)) != 0;
    }

    /** Signals {@code vector}; out of range is ignored (a device bug the guest cannot cause). */
    public void notify(int vector) {
        if (vector < 0 || vector >= vectors || !enabled()) {
            return;
        }
        if (functionMasked() || vectorMasked(vector)) {
            pending[vector >> 6] |= 1L << vector;
            return;
        }
        send(vector);
    }

    private void send(int vector) {
        if ((dev.command() & PciDevice.COMMAND_MASTER) == 0 || dev.bus() == null) {
            return;
        }
        long address = (entry(vector, 0) & 0xffff_ffffL) | (long) entry(vector, 1) << 32;
        dev.bus().msi(address, entry(vector, 2));
    }

    private void deliverPending() {
        if (!enabled() || functionMasked()) {
            return;
        }
        for (int v = 0; v < vectors; v++) {
            if (isPending(v) && !vectorMasked(v)) {
                pending[v >> 6] &= ~(1L << v);
                send(v);
            }
        }
    }

    /** Table entries: every vector masked, as after reset (PCI 3.0, 6.8.2.9). */
    public void reset() {
        java.util.Arrays.fill(table, (byte) 0);
        java.util.Arrays.fill(pending, 0);
        for (int v = 0; v < vectors; v++) {
            table[v * ENTRY_SIZE + 12] = 1;
        }
    }

    /** The MSI-X table, to place in the function's BAR at the table offset. */
    public MemoryOps tableOps() {
        return new MemoryOps() {
            @Override
            public long read(long offset, int size) {
                long v = 0;
                for (int i = 0; i < size && offset + i < table.length; i++) {
                    v |= (long) (table[(int) offset + i] & 0xff) << (8 * i);
                }
                return v;
            }

            @Override
            public void write(long offset, int size, long value) {
                for (int i = 0; i < size && offset + i < table.length; i++) {
                    int o = (int) offset + i;
                    int field = o % ENTRY_SIZE;
                    if (field >= 13) {
                        continue; // vector control bits 31:1 are reserved
                    }
                    table[o] = (byte) (field == 12 ? (value >>> (8 * i)) & 1 : value >>> (8 * i));
                }
                deliverPending();
            }
        };
    }

    /** The pending bit array (read-only), to place in the function's BAR at the PBA offset. */
    public MemoryOps pbaOps() {
        return new MemoryOps() {
            @Override
            public long read(long offset, int size) {
                long v = 0;
                for (int i = 0; i < size; i++) {
                    long byteIndex = offset + i;
                    if (byteIndex / 8 < pending.length) {
                        v |= ((pending[(int) (byteIndex / 8)] >>> (8 * (byteIndex % 8))) & 0xff) << (8 * i);
                    }
                }
                return v;
            }

            @Override
            public void write(long offset, int size, long value) {
                // Read-only.
            }
        };
    }

    /** Bytes the table needs in the BAR. */
    public int tableSize() {
        return table.length;
    }

    /** Bytes the PBA needs in the BAR (whole qwords). */
    public int pbaSize() {
        return pending.length * 8;
    }
}
