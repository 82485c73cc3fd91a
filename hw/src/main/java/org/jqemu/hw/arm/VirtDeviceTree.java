package org.jqemu.hw.arm;

import org.jqemu.firmware.fdt.Fdt;
import org.jqemu.firmware.fdt.FdtNode;

/**
 * The device tree the virt board hands its guest, with the node names, properties and interrupt
 * numbers of QEMU 7.2's virt (hw/arm/virt.c, compare with {@code qemu-system-aarch64 -M
 * virt,dumpdtb=virt.dtb}), minus the devices jqemu does not model: no flash, no PL061 GPIO and
 * gpio-keys power button, no platform bus, no PMU node (the CPU advertises no PMU) and no
 * kaslr-seed (the kernel stays where it was loaded).
 *
 * <p>Interrupt specifiers have three cells (GIC binding): type (0 SPI, 1 PPI), number, flags
 * (1 edge rising, 4 level high; for PPIs the CPU mask in bits 15:8).
 */
public final class VirtDeviceTree {
    static final int GIC_SPI = 0;
    static final int GIC_PPI = 1;
    static final int IRQ_EDGE_RISING = 1;
    static final int IRQ_LEVEL_HIGH = 4;

    private VirtDeviceTree() {}

    /**
     * Builds the tree for {@code cpus} CPUs and {@code ramSize} bytes of RAM. {@code /chosen} holds
     * {@code stdout-path} and a fresh {@code rng-seed}; the kernel loader adds bootargs and initrd.
     */
    public static Fdt build(int cpus, long ramSize, String cpuCompatible, byte[] rngSeed) {
        Fdt fdt = new Fdt();
        // Phandles in QEMU's order: clock, CPUs from the last to the first, GIC, v2m.
        int clockPhandle = fdt.allocatePhandle();
        int[] cpuPhandles = new int[cpus];
        for (int i = cpus - 1; i >= 0; i--) {
            cpuPhandles[i] = fdt.allocatePhandle();
        }
        int gicPhandle = fdt.allocatePhandle();
        int v2mPhandle = fdt.allocatePhandle();

        FdtNode root = fdt.root();
        root.setCells("interrupt-parent", gicPhandle);
        root.setStrings("model", "linux,dummy-virt");
        root.setCells("#size-cells", 2);
        root.setCells("#address-cells", 2);
        root.setStrings("compatible", "linux,dummy-virt");

        root.addNode("psci")
                .setCells("migrate", Psci.MIGRATE_64)
                .setCells("cpu_on", Psci.CPU_ON_64)
                .setCells("cpu_off", Psci.CPU_OFF)
                .setCells("cpu_suspend", Psci.CPU_SUSPEND_64)
                .setStrings("method", "hvc")
                .setStrings("compatible", "arm,psci-1.0", "arm,psci-0.2", "arm,psci");

        root.addNode(unit("memory", VirtMachine.RAM_BASE))
                .setU64s("reg", VirtMachine.RAM_BASE, ramSize)
                .setStrings("device_type", "memory");

        root.addNode(unit("fw-cfg", VirtMachine.FW_CFG_BASE))
                .setEmpty("dma-coherent")
                .setU64s("reg", VirtMachine.FW_CFG_BASE, VirtMachine.FW_CFG_SIZE)
                .setStrings("compatible", "qemu,fw-cfg-mmio");

        for (int i = 0; i < VirtMachine.VIRTIO_MMIO_COUNT; i++) {
            long base = VirtMachine.VIRTIO_MMIO_BASE + (long) i * VirtMachine.VIRTIO_MMIO_SIZE;
            root.addNode(unit("virtio_mmio", base))
                    .setEmpty("dma-coherent")
                    .setCells("interrupts", GIC_SPI, VirtMachine.VIRTIO_MMIO_SPI + i, IRQ_EDGE_RISING)
                    .setU64s("reg", base, VirtMachine.VIRTIO_MMIO_SIZE)
                    .setStrings("compatible", "virtio,mmio");
        }

        addPcie(root, gicPhandle, v2mPhandle);

        root.addNode(unit("pl031", VirtMachine.RTC_BASE))
                .setStrings("clock-names", "apb_pclk")
                .setCells("clocks", clockPhandle)
                .setCells("interrupts", GIC_SPI, VirtMachine.RTC_SPI, IRQ_LEVEL_HIGH)
                .setU64s("reg", VirtMachine.RTC_BASE, 0x1000)
                .setStrings("compatible", "arm,pl031", "arm,primecell");

        root.addNode(unit("pl011", VirtMachine.UART_BASE))
                .setStrings("clock-names", "uartclk", "apb_pclk")
                .setCells("clocks", clockPhandle, clockPhandle)
                .setCells("interrupts", GIC_SPI, VirtMachine.UART_SPI, IRQ_LEVEL_HIGH)
                .setU64s("reg", VirtMachine.UART_BASE, 0x1000)
                .setStrings("compatible", "arm,pl011", "arm,primecell");

        FdtNode gic = root.addNode(unit("intc", VirtMachine.GIC_DIST_BASE))
                .setCells("phandle", gicPhandle)
                .setU64s("reg", VirtMachine.GIC_DIST_BASE, VirtMachine.GIC_FRAME_SIZE,
                        VirtMachine.GIC_CPU_BASE, VirtMachine.GIC_FRAME_SIZE)
                .setStrings("compatible", "arm,cortex-a15-gic")
                .setEmpty("ranges")
                .setCells("#size-cells", 2)
                .setCells("#address-cells", 2)
                .setEmpty("interrupt-controller")
                .setCells("#interrupt-cells", 3);
        gic.addNode(unit("v2m", VirtMachine.GIC_V2M_BASE))
                .setCells("phandle", v2mPhandle)
                .setU64s("reg", VirtMachine.GIC_V2M_BASE, 0x1000)
                .setEmpty("msi-controller")
                .setStrings("compatible", "arm,gic-v2m-frame");

        addCpus(root, cpuPhandles, cpuCompatible);

        // The generic timer's PPIs: secure physical (13), non-secure physical (14), virtual (11),
        // hypervisor (10); level-high, delivered to every CPU.
        int timerFlags = (((1 << cpus) - 1) << 8) | IRQ_LEVEL_HIGH;
        root.addNode("timer")
                .setCells("interrupts",
                        GIC_PPI, 13, timerFlags, GIC_PPI, 14, timerFlags,
                        GIC_PPI, 11, timerFlags, GIC_PPI, 10, timerFlags)
                .setEmpty("always-on")
                .setStrings("compatible", "arm,armv8-timer", "arm,armv7-timer");

        root.addNode("apb-pclk")
                .setCells("phandle", clockPhandle)
                .setStrings("clock-output-names", "clk24mhz")
                .setCells("clock-frequency", 24_000_000)
                .setCells("#clock-cells", 0)
                .setStrings("compatible", "fixed-clock");

        FdtNode chosen = root.addNode("chosen")
                .setStrings("stdout-path", "/" + unit("pl011", VirtMachine.UART_BASE));
        if (rngSeed != null) {
            chosen.setBytes("rng-seed", rngSeed);
        }
        return fdt;
    }

    private static void addCpus(FdtNode root, int[] phandles, String compatible) {
        int cpus = phandles.length;
        FdtNode cpusNode = root.addNode("cpus")
                .setCells("#size-cells", 0)
                .setCells("#address-cells", 1);
        FdtNode cluster = cpusNode.addNode("cpu-map").addNode("socket0").addNode("cluster0");
        for (int i = 0; i < cpus; i++) {
            cluster.addNode("core" + i).setCells("cpu", phandles[i]);
        }
        for (int i = 0; i < cpus; i++) {
            FdtNode cpu = cpusNode.addNode("cpu@" + Integer.toHexString(VirtMachine.mpidrAffinity(i)))
                    .setCells("phandle", phandles[i])
                    .setCells("reg", VirtMachine.mpidrAffinity(i));
            if (cpus > 1) {
                cpu.setStrings("enable-method", "psci");
            }
            cpu.setStrings("compatible", compatible).setStrings("device_type", "cpu");
        }
    }

    /**
     * The PCIe host: ECAM, the I/O window (PCI port 0 at 0x3eff0000), the 32-bit and 64-bit memory
     * windows, and the INTx map: pin P (1-4) of device slot S lands on SPI 3 + (S + P - 1) mod 4.
     */
    private static void addPcie(FdtNode root, int gicPhandle, int v2mPhandle) {
        int[] map = new int[4 * 4 * 10];
        int k = 0;
        for (int slot = 0; slot < 4; slot++) {
            for (int pin = 1; pin <= 4; pin++) {
                map[k++] = slot << 11;
                map[k++] = 0;
                map[k++] = 0;
                map[k++] = pin;
                map[k++] = gicPhandle;
                map[k++] = 0;
                map[k++] = 0;
                map[k++] = GIC_SPI;
                map[k++] = VirtMachine.PCIE_INTX_SPI + (slot + pin - 1) % 4;
                map[k++] = IRQ_LEVEL_HIGH;
            }
        }
        long mmioSize = VirtMachine.PCIE_MMIO_SIZE;
        long highSize = VirtMachine.PCIE_MMIO_HIGH_SIZE;
        root.addNode(unit("pcie", VirtMachine.PCIE_MMIO_BASE))
                .setCells("interrupt-map-mask", 0x1800, 0, 0, 7)
                .setCells("interrupt-map", map)
                .setCells("#interrupt-cells", 1)
                .setCells("ranges",
                        0x0100_0000, 0, 0, hi(VirtMachine.PCIE_PIO_BASE), lo(VirtMachine.PCIE_PIO_BASE), 0, 0x10000,
                        0x0200_0000, hi(VirtMachine.PCIE_MMIO_BASE), lo(VirtMachine.PCIE_MMIO_BASE),
                        hi(VirtMachine.PCIE_MMIO_BASE), lo(VirtMachine.PCIE_MMIO_BASE), hi(mmioSize), lo(mmioSize),
                        0x0300_0000, hi(VirtMachine.PCIE_MMIO_HIGH_BASE), lo(VirtMachine.PCIE_MMIO_HIGH_BASE),
                        hi(VirtMachine.PCIE_MMIO_HIGH_BASE), lo(VirtMachine.PCIE_MMIO_HIGH_BASE), hi(highSize), lo(highSize))
                .setU64s("reg", VirtMachine.PCIE_ECAM_BASE, VirtMachine.PCIE_ECAM_SIZE)
                .setCells("msi-map", 0, v2mPhandle, 0, 0x10000)
                .setEmpty("dma-coherent")
                .setCells("bus-range", 0, VirtMachine.PCIE_ECAM_SIZE_BUSES - 1)
                .setCells("linux,pci-domain", 0)
                .setCells("#size-cells", 2)
                .setCells("#address-cells", 3)
                .setStrings("device_type", "pci")
                .setStrings("compatible", "pci-host-ecam-generic");
    }

    /** Adds the initrd range and the kernel command line to {@code /chosen}, as QEMU does. */
    public static void setBootArgs(Fdt fdt, String bootargs, long initrdStart, long initrdEnd) {
        FdtNode chosen = fdt.node("/chosen");
        if (initrdEnd > initrdStart) {
            if (initrdEnd <= 0xffff_ffffL) {
                chosen.setCells("linux,initrd-end", (int) initrdEnd);
                chosen.setCells("linux,initrd-start", (int) initrdStart);
            } else {
                chosen.setU64s("linux,initrd-end", initrdEnd);
                chosen.setU64s("linux,initrd-start", initrdStart);
            }
        }
        if (bootargs != null && !bootargs.isEmpty()) {
            chosen.setStrings("bootargs", bootargs);
        }
    }

    static String unit(String name, long address) {
        return name + "@" + Long.toHexString(address);
    }

    private static int hi(long v) {
        return (int) (v >>> 32);
    }

    private static int lo(long v) {
        return (int) v;
    }
}
