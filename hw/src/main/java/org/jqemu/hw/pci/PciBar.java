package org.jqemu.hw.pci;

import org.jqemu.system.memory.MemoryRegion;

/**
 * One base address register of a PCI function (PCI Local Bus Specification 3.0, 6.2.5.1 "Address
 * Maps"): a power-of-two sized window in I/O or memory space that the guest places by writing the
 * BAR and turns on with the I/O or memory enable bit of the command register.
 *
 * @param index BAR number 0-5 (config offset 0x10 + 4 * index); a 64-bit BAR also takes index + 1
 * @param space I/O, 32-bit memory or 64-bit memory
 * @param size window size in bytes, a power of two (at least 4 for I/O, 16 for memory)
 * @param prefetchable the memory BAR's prefetchable bit (bit 3); false for I/O
 * @param region what the window shows; the bus maps it while the BAR is enabled
 */
public record PciBar(int index, Space space, long size, boolean prefetchable, MemoryRegion region) {
    /** The address space a BAR decodes. */
    public enum Space { IO, MEMORY32, MEMORY64 }

    public PciBar {
        if (index < 0 || index > (space == Space.MEMORY64 ? 4 : 5)) {
            throw new IllegalArgumentException("BAR index " + index);
        }
        long min = space == Space.IO ? 4 : 16;
        long max = space == Space.IO ? 0x10000 : space == Space.MEMORY32 ? 1L << 31 : 1L << 40;
        if (size < min || Long.bitCount(size) != 1 || size > max) {
            throw new IllegalArgumentException("BAR size " + size);
        }
        if (region.size() < size) {
            throw new IllegalArgumentException("BAR region " + region.name() + " smaller than the BAR");
        }
    }

    /** The read-only low bits of the register: bit 0 = I/O, bits 2:1 = 10b for 64-bit, bit 3 = prefetchable. */
    int typeBits() {
        return space == Space.IO ? 0x1 : (space == Space.MEMORY64 ? 0x4 : 0) | (prefetchable ? 0x8 : 0x0);
    }

    /** The bits of the (low) register the guest can write. */
    int addressMask() {
        return (int) ~(size - 1) & (space == Space.IO ? 0xffff_fffc : 0xffff_fff0);
    }

    /** The writable bits of the high register of a 64-bit BAR. */
    int highAddressMask() {
        return (int) (~(size - 1) >>> 32);
    }
}
