package org.jqemu.hw.nvram;

import org.jqemu.system.memory.MemoryOps;

/**
 * The memory-mapped face of {@link FwCfg} used on ARM boards (QEMU docs/specs/fw_cfg.rst,
 * "Memory-Mapped Interface"; device tree compatible {@code qemu,fw-cfg-mmio}): 0x18 bytes with the
 * data register at 0x0 (1, 2, 4 or 8 bytes per read, the item's bytes in stream order, i.e. the
 * first byte at the lowest address), the selector at 0x8 (16 bits, big-endian) and the DMA
 * address at 0x10 (64 bits, big-endian, as on the x86 ports).
 */
public final class FwCfgMmio {
    public static final int SIZE = 0x18;
    static final int DATA = 0x0;
    static final int SELECTOR = 0x8;
    static final int DMA = 0x10;

    private FwCfgMmio() {}

    public static MemoryOps of(FwCfg fwCfg) {
        MemoryOps port = fwCfg.ioPorts();
        MemoryOps dma = fwCfg.dmaPorts();
        return new MemoryOps() {
            @Override
            public long read(long offset, int size) {
                if (offset < SELECTOR) {
                    long v = 0;
                    for (int i = 0; i < size; i++) {
                        v |= (port.read(1, 1) & 0xff) << (8 * i);
                    }
                    return v;
                }
                if (offset >= DMA) {
                    return dma.read(offset - DMA, size);
                }
                return 0;
            }

            @Override
            public void write(long offset, int size, long value) {
                if (offset == SELECTOR && size == 2) {
                    fwCfg.select(Short.reverseBytes((short) value) & 0xffff);
                } else if (offset >= DMA) {
                    dma.write(offset - DMA, size, value);
                }
            }
        };
    }
}
