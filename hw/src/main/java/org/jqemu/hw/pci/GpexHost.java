package org.jqemu.hw.pci;

import org.jqemu.system.machine.Machine;
import org.jqemu.system.memory.MemoryOps;
import org.jqemu.system.options.ConfigException;

/**
 * QEMU's generic PCI Express host bridge ({@code gpex}), as Linux's {@code pci-host-ecam-generic}
 * driver expects it: configuration space through ECAM (PCI Express Base Specification 4.0,
 * 7.2.2 "PCI Express Enhanced Configuration Access Mechanism"), where function (bus, devfn) owns
 * the 4 KiB at {@code bus << 20 | devfn << 12}; the root bus's functions answer there, other bus
 * numbers and the extended space above 256 bytes read all-ones (no bridges, no PCIe functions).
 * The bridge itself is function 00:00.0, vendor 1b36 (Red Hat) device 0008, class 06 00 00.
 *
 * <p>Its memory and I/O windows are the board's business: BARs map at the addresses the guest
 * programs (CPU and PCI addresses are the same), and the I/O window forwards to the machine's
 * I/O space ({@link #pioWindow}).
 */
public final class GpexHost extends PciDevice {
    public static final int VENDOR_REDHAT = 0x1b36;
    public static final int DEVICE_GPEX = 0x0008;

    private final PciBus bus;

    public GpexHost(Machine machine, PciBus bus) throws ConfigException {
        super(machine, "gpex-root");
        this.bus = bus;
        setIds(VENDOR_REDHAT, DEVICE_GPEX, 0, 0x060000);
        for (int i = HEADER_SIZE; i < CONFIG_SIZE; i++) {
            setWmask(i, 1, 0);
        }
        bus.plug(this, 0);
    }

    /** The ECAM window: 1 MiB per bus number. */
    public MemoryOps ecam() {
        return new MemoryOps() {
            @Override
            public long read(long offset, int size) {
                int busNo = (int) (offset >>> 20);
                int devfn = (int) (offset >>> 12) & 0xff;
                int reg = (int) offset & 0xfff;
                if (busNo != 0 || reg + size > CONFIG_SIZE || size > 4) {
                    return size >= 4 ? 0xffff_ffffL : (1L << (8 * size)) - 1;
                }
                return bus.configRead(devfn, reg, size) & ((1L << (8 * size)) - 1);
            }

            @Override
            public void write(long offset, int size, long value) {
                int busNo = (int) (offset >>> 20);
                int devfn = (int) (offset >>> 12) & 0xff;
                int reg = (int) offset & 0xfff;
                if (busNo == 0 && reg + size <= CONFIG_SIZE && size <= 4) {
                    bus.configWrite(devfn, reg, size, (int) value);
                }
            }
        };
    }

    /** A memory window onto the machine's I/O space (the PCI I/O space from port 0). */
    public MemoryOps pioWindow() {
        var io = machine.io();
        return new MemoryOps() {
            @Override
            public long read(long offset, int size) {
                return io.read(offset, size);
            }

            @Override
            public void write(long offset, int size, long value) {
                io.write(offset, size, value);
            }
        };
    }
}
