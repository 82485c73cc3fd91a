package org.jqemu.hw.pci;

import org.jqemu.system.irq.IrqLine;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.machine.ShutdownCause;
import org.jqemu.system.memory.MemoryOps;
import org.jqemu.system.options.ConfigException;

/**
 * Function 0 of the Intel 82371SB PIIX3: the PCI-to-ISA bridge, 8086:7000, class 0x0601 (PIIX3
 * datasheet, 2.2 "PCI to ISA Bridge Configuration Space"; 2.2.11 "PIRQRC[A:D] - PIRQx Route
 * Control Registers" 0x60-0x63; 4.1.2 "RC - Reset Control Register" I/O 0xCF9).
 *
 * <p>It is the board's PCI interrupt router: each PIRQRC register sends one PIRQ line to an ISA
 * IRQ (bits 3:0, IRQ 3-7, 9-12, 14, 15) unless bit 7 disables the routing. Several PIRQs may share
 * an ISA IRQ; the ISA line is the OR of them (PCI interrupts are level triggered, so the guest
 * sets ELCR for these IRQs).
 *
 * <p>The reset control register: a write with bit 2 (RCPU) set resets the system, as QEMU does;
 * bit 1 (SRST, hard reset) is remembered. Linux uses it for {@code reboot=pci}, SeaBIOS for its
 * reset path.
 */
public final class Piix3 extends PciDevice {
    public static final int DEVICE_ID_82371SB_ISA = 0x7000;
    public static final int PIRQRC = 0x60;
    /** ISA IRQs a PIRQ may be routed to (PIIX3 2.2.11: 0-2, 8 and 13 are reserved). */
    static final int ROUTABLE = 0b1101_1110_1111_1000;

    private final IrqLine[] isaIrqs;
    private int isaLevels;
    private int resetControl;

    /** @param isaIrqs the sixteen ISA interrupt lines (GSI 0-15 on the board) */
    public Piix3(Machine machine, PciBus bus, int devfn, IrqLine[] isaIrqs) throws ConfigException {
        super(machine, "piix3");
        this.isaIrqs = isaIrqs.clone();
        setIds(I440fxHost.VENDOR_INTEL, DEVICE_ID_82371SB_ISA, 0x00, 0x060100);
        setMultiFunction();
        setWmask(COMMAND, 2, COMMAND_IO | COMMAND_MEMORY | COMMAND_MASTER);
        for (int i = 0; i < 4; i++) {
            setRaw(PIRQRC + i, 1, 0x80);
        }
        bus.plug(this, devfn);
        bus.setPirqSink((pirq, level) -> updateIrqs());
    }

    /** The reset control register at I/O port 0xCF9. */
    public MemoryOps resetControlPort() {
        return new MemoryOps() {
            @Override
            public long read(long offset, int size) {
                return resetControl;
            }

            @Override
            public void write(long offset, int size, long value) {
                resetControl = (int) value & 0x02;
                if ((value & 0x04) != 0) {
                    machine.requestReset(ShutdownCause.GUEST_RESET);
                }
            }
        };
    }

    /** The ISA IRQ PIRQ {@code pirq} is routed to, or -1. */
    public int route(int pirq) {
        int r = raw(PIRQRC + pirq, 1);
        if ((r & 0x80) != 0) {
            return -1;
        }
        int irq = r & 0x0f;
        return (ROUTABLE & (1 << irq)) != 0 ? irq : -1;
    }

    @Override
    public void configWrite(int offset, int size, int value) {
        super.configWrite(offset, size, value);
        if (offset < PIRQRC + 4 && offset + size > PIRQRC) {
            updateIrqs();
        }
    }

    @Override
    public void reset() {
        super.reset();
        resetControl = 0;
        updateIrqs();
    }

    private void updateIrqs() {
        int levels = 0;
        PciBus bus = bus();
        for (int pirq = 0; pirq < 4; pirq++) {
            int irq = route(pirq);
            if (irq >= 0 && bus != null && bus.pirqLevel(pirq)) {
                levels |= 1 << irq;
            }
        }
        int changed = levels ^ isaLevels;
        isaLevels = levels;
        for (int irq = 0; irq < 16; irq++) {
            if ((changed & (1 << irq)) != 0) {
                isaIrqs[irq].set((levels & (1 << irq)) != 0);
            }
        }
    }
}
