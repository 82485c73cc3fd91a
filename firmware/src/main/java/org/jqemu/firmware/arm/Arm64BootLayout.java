package org.jqemu.firmware.arm;

import org.jqemu.system.options.ConfigException;

/**
 * Where a direct arm64 Linux boot puts things in RAM, with QEMU's choices (hw/arm/boot.c) so a
 * guest sees the same addresses under either emulator:
 * <ul>
 *   <li>the kernel at {@link Arm64Image#loadOffset()} from the start of RAM;</li>
 *   <li>the initrd at RAM + min(RAM size / 2, 128 MiB), or just above the kernel when that is
 *       higher, page aligned;</li>
 *   <li>the DTB after the initrd, 2 MiB aligned (early arm64 kernels map the FDT by the 2 MiB
 *       block that contains it).</li>
 * </ul>
 *
 * @param kernel guest physical address of the kernel (also the entry point)
 * @param initrd address of the initrd (meaningful when {@code initrdSize > 0})
 * @param initrdSize bytes of initrd, 0 for none
 * @param dtb address of the device tree blob
 */
public record Arm64BootLayout(long kernel, long initrd, long initrdSize, long dtb) {
    static final long PAGE = 4096;
    static final long DTB_ALIGN = 2L << 20;

    /**
     * Plans the layout in RAM {@code [ramBase, ramBase + ramSize)} for a DTB of at most
     * {@code dtbMaxSize} bytes.
     *
     * @throws ConfigException when kernel, initrd and DTB do not fit
     */
    public static Arm64BootLayout plan(long ramBase, long ramSize, Arm64Image image, long initrdSize, long dtbMaxSize)
            throws ConfigException {
        long kernel = ramBase + image.loadOffset();
        long kernelEnd = kernel + image.footprint();
        if (kernelEnd > ramBase + ramSize) {
            throw new ConfigException("kernel does not fit in " + (ramSize >> 20) + " MiB of RAM");
        }
        long initrd = ramBase + Math.min(ramSize / 2, 128L << 20);
        initrd = alignUp(Math.max(initrd, kernelEnd), PAGE);
        long dtb = alignUp(initrd + initrdSize, DTB_ALIGN);
        if (dtb + dtbMaxSize > ramBase + ramSize) {
            throw new ConfigException("initrd and device tree do not fit in " + (ramSize >> 20) + " MiB of RAM");
        }
        return new Arm64BootLayout(kernel, initrd, initrdSize, dtb);
    }

    static long alignUp(long v, long align) {
        return (v + align - 1) & -align;
    }
}
