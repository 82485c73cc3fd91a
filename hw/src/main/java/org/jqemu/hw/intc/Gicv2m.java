package org.jqemu.hw.intc;

import org.jqemu.system.device.Device;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.memory.MemoryOps;

/**
 * A GICv2m MSI frame (ARM Server Base System Architecture, Appendix E "GICv2m architecture"):
 * a 4 KiB page that turns a PCI device's MSI write into an edge on one of a block of SPIs of a
 * {@link Gicv2}. MSI_TYPER (0x008) reports the block (first interrupt ID in bits 25:16, count in
 * bits 9:0); a write of an interrupt ID to MSI_SETSPI_NS (0x040) makes that SPI pending. IDs
 * outside the block are ignored and logged as guest errors. On QEMU's virt the frame is at
 * 0x08020000 with SPIs 48-111 (interrupt IDs 80-143).
 */
public final class Gicv2m implements Device {
    public static final int SIZE = 0x1000;
    static final int MSI_TYPER = 0x008;
    public static final int MSI_SETSPI_NS = 0x040;
    static final int MSI_IIDR = 0xfcc;

    private final Machine machine;
    private final Gicv2 gic;
    private final int firstId;
    private final int count;

    /**
     * @param firstSpi first SPI number of the block (interrupt ID 32 + firstSpi)
     * @param count SPIs in the block
     */
    public Gicv2m(Machine machine, Gicv2 gic, int firstSpi, int count) {
        this.machine = machine;
        this.gic = gic;
        this.firstId = Gicv2.PRIVATE_COUNT + firstSpi;
        this.count = count;
    }

    @Override
    public String id() {
        return "gicv2m";
    }

    public int firstId() {
        return firstId;
    }

    public int count() {
        return count;
    }

    /** An MSI (or any write) of {@code data} to MSI_SETSPI_NS. */
    public void setSpi(int data) {
        int intid = data & 0x3ff;
        if (intid < firstId || intid >= firstId + count) {
            if (machine.log().guestErrors) {
                machine.log().guestError("gicv2m: MSI for interrupt %d outside %d-%d", intid, firstId, firstId + count - 1);
            }
            return;
        }
        gic.raiseEdge(intid);
    }

    public MemoryOps mmio() {
        return new MemoryOps() {
            @Override
            public long read(long offset, int size) {
                return switch ((int) offset) {
                    case MSI_TYPER -> ((long) firstId << 16) | count;
                    default -> 0;
                };
            }

            @Override
            public void write(long offset, int size, long value) {
                if (offset == MSI_SETSPI_NS) {
                    setSpi((int) value);
                } else if (machine.log().guestErrors) {
                    machine.log().guestError("gicv2m: write of 0x%x to offset 0x%x", value, offset);
                }
            }
        };
    }
}
