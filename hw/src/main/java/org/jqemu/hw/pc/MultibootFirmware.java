package org.jqemu.hw.pc;

import java.util.List;
import org.jqemu.system.memory.AddressSpace;
import org.jqemu.system.options.ConfigException;

/**
 * The board's only contact with the firmware module's multiboot loader
 * ({@code org.jqemu.firmware.multiboot.MultibootLoader}), kept in one place because that loader is
 * being written on another branch.
 *
 * <p>TO WIRE AT MERGE: replace the two method bodies with the commented calls (and add the import
 * {@code org.jqemu.firmware.multiboot.MultibootLoader}); then delete {@link #hasMultibootHeader}.
 */
final class MultibootFirmware {
    /** Where a multiboot kernel starts: EIP, and EAX/EBX as the specification hands them over. */
    record Entry(long eip, int eax, int ebx) {}

    private MultibootFirmware() {}

    static boolean isMultiboot(byte[] image) {
        // return MultibootLoader.isMultiboot(image);
        return hasMultibootHeader(image);
    }

    static Entry load(AddressSpace memory, byte[] image, String kernelPath, String cmdline, List<String> modules,
            long ramBelow4g, long ramAbove4g) throws ConfigException {
        // MultibootLoader.Entry e = MultibootLoader.load(memory, image, kernelPath, cmdline, modules,
        //         ramBelow4g, ramAbove4g);
        // return new Entry(e.eip(), e.eax(), e.ebx());
        throw new ConfigException("multiboot kernels cannot be loaded yet: this build lacks the multiboot loader");
    }

    /**
     * Stand-in for the loader's check until the merge (Multiboot Specification 0.6.96, 3.1.1):
     * the magic 0x1BADB002 at a 4-byte boundary in the first 8192 bytes, with magic + flags +
     * checksum == 0.
     */
    static boolean hasMultibootHeader(byte[] image) {
        for (int off = 0; off + 12 <= Math.min(image.length, 8192); off += 4) {
            int magic = le32(image, off);
            if (magic == 0x1BADB002 && magic + le32(image, off + 4) + le32(image, off + 8) == 0) {
                return true;
            }
        }
        return false;
    }

    private static int le32(byte[] b, int off) {
        return (b[off] & 0xff) | (b[off + 1] & 0xff) << 8 | (b[off + 2] & 0xff) << 16 | (b[off + 3] & 0xff) << 24;
    }
}
