package org.jqemu.hw.chr;

import org.jqemu.system.chardev.CharFrontend;
import org.jqemu.system.chardev.Chardev;
import org.jqemu.system.device.Device;
import org.jqemu.system.irq.IrqLine;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.memory.MemoryOps;

/**
 * The Arm PrimeCell UART PL011 (ARM DDI 0183G, "PrimeCell UART (PL011) Technical Reference
 * Manual", chapter 3 "Programmers Model"), as QEMU's {@code pl011}: the console UART of the ARM
 * virt board (Linux's {@code ttyAMA0}).
 *
 * <p>Transmission is instant: a byte written to UARTDR goes to the chardev at once, the transmit
 * FIFO always reads empty (UARTFR.TXFE) and the transmit interrupt is raised by every write, until
 * cleared through UARTICR (as QEMU; Linux disables TXIM when it has nothing more to send).
 * Reception: a 16-entry FIFO when UARTLCR_H.FEN is set, a one-byte holding register otherwise; the
 * receive interrupt is raised when a byte arrives (QEMU's trigger level of one, which Linux needs:
 * it reads the FIFO only on interrupts) and lowers when the FIFO is drained. The combined
 * interrupt output (UARTINTR) is high while (UARTRIS AND UARTIMSC) is non-zero. Baud rate, line
 * control and the DMA and IrDA registers are stored but have no effect.
 */
public final class Pl011 implements Device {
    public static final int SIZE = 0x1000;
    static final int UARTDR = 0x000;
    static final int UARTRSR = 0x004;
    static final int UARTFR = 0x018;
    static final int UARTILPR = 0x020;
    static final int UARTIBRD = 0x024;
    static final int UARTFBRD = 0x028;
    static final int UARTLCR_H = 0x02c;
    static final int UARTCR = 0x030;
    static final int UARTIFLS = 0x034;
    static final int UARTIMSC = 0x038;
    static final int UARTRIS = 0x03c;
    static final int UARTMIS = 0x040;
    static final int UARTICR = 0x044;
    static final int UARTDMACR = 0x048;

    static final int FR_RXFE = 1 << 4;
    static final int FR_TXFF = 1 << 5;
    static final int FR_RXFF = 1 << 6;
    static final int FR_TXFE = 1 << 7;
    static final int LCR_FEN = 1 << 4;
    static final int INT_RX = 1 << 4;
    static final int INT_TX = 1 << 5;
    static final int INT_RT = 1 << 6;
    static final int INT_ALL = 0x7ff;
    static final int FIFO_DEPTH = 16;
    /** UARTPeriphID0-3 and UARTPCellID0-3 at 0xFE0-0xFFC (3.3.14, 3.3.15). */
    private static final int[] ID = {0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1};

    private final Machine machine;
    private final String id;
    private final IrqLine irq;
    private final Chardev chardev;
    private final int[] rxFifo = new int[FIFO_DEPTH];
    private int rxHead;
    private int rxCount;
    private int rsr;
    private int ilpr;
    private int ibrd;
    private int fbrd;
    private int lcr;
    private int cr;
    private int ifls;
    private int imsc;
    private int ris;
    private int dmacr;
    private boolean irqLevel;

    /** @param chardev where output goes and input comes from; null discards output */
    public Pl011(Machine machine, String id, IrqLine irq, Chardev chardev) {
        this.machine = machine;
        this.id = id;
        this.irq = irq;
        this.chardev = chardev;
        reset();
        if (chardev != null) {
            chardev.attach(new CharFrontend() {
                @Override
                public int canReceive() {
                    return Pl011.this.canReceive();
                }

                @Override
                public void receive(byte[] buf, int off, int len) {
                    for (int i = 0; i < len; i++) {
                        receiveByte(buf[off + i] & 0xff);
                    }
                }
            });
        }
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public void reset() {
        rxHead = 0;
        rxCount = 0;
        rsr = 0;
        ilpr = 0;
        ibrd = 0;
        fbrd = 0;
        lcr = 0;
        cr = 0x300; // TXE and RXE set, UARTEN clear: the TRM's reset value
        ifls = 0x12;
        imsc = 0;
        ris = 0;
        dmacr = 0;
        updateIrq();
    }

    private int depth() {
        return (lcr & LCR_FEN) != 0 ? FIFO_DEPTH : 1;
    }

    /** Room in the receive FIFO (the chardev holds input back when it is 0). */
    public int canReceive() {
        return depth() - rxCount;
    }

    /** A byte from the line; dropped (overrun) when the FIFO is full. */
    public void receiveByte(int b) {
        if (rxCount >= depth()) {
            rsr |= 1 << 3; // overrun
            ris |= 1 << 10;
            updateIrq();
            return;
        }
        rxFifo[(rxHead + rxCount) % FIFO_DEPTH] = b & 0xff;
        rxCount++;
        ris |= INT_RX;
        updateIrq();
    }

    private int readData() {
        if (rxCount == 0) {
            return 0;
        }
        boolean wasFull = rxCount >= depth();
        int b = rxFifo[rxHead];
        rxHead = (rxHead + 1) % FIFO_DEPTH;
        rxCount--;
        if (rxCount == 0) {
            ris &= ~(INT_RX | INT_RT);
        }
        updateIrq();
        if (wasFull && chardev != null) {
            chardev.acceptInput();
        }
        return b;
    }

    private int flags() {
        int fr = FR_TXFE;
        if (rxCount == 0) {
            fr |= FR_RXFE;
        }
        if (rxCount >= depth()) {
            fr |= FR_RXFF;
        }
        return fr;
    }

    private void transmit(int b) {
        if (chardev != null) {
            chardev.write(b);
        }
        ris |= INT_TX;
        updateIrq();
    }

    private void updateIrq() {
        boolean l = (ris & imsc) != 0;
        if (l != irqLevel) {
            irqLevel = l;
            irq.set(l);
        }
    }

    /** The interrupt output level (for tests). */
    public boolean irqLevel() {
        return irqLevel;
    }

    long read(int offset) {
        if (offset >= 0xfe0 && offset < 0x1000) {
            return ID[(offset - 0xfe0) >> 2];
        }
        return switch (offset) {
            case UARTDR -> readData();
            case UARTRSR -> rsr;
            case UARTFR -> flags();
            case UARTILPR -> ilpr;
            case UARTIBRD -> ibrd;
            case UARTFBRD -> fbrd;
            case UARTLCR_H -> lcr;
            case UARTCR -> cr;
            case UARTIFLS -> ifls;
            case UARTIMSC -> imsc;
            case UARTRIS -> ris;
            case UARTMIS -> ris & imsc;
            case UARTDMACR -> dmacr;
            default -> {
                bad("read of unknown register 0x%x", offset);
                yield 0;
            }
        };
    }

    void write(int offset, int value) {
        switch (offset) {
            case UARTDR -> transmit(value & 0xff);
            case UARTRSR -> rsr = 0; // a write clears the error flags
            case UARTILPR -> ilpr = value & 0xff;
            case UARTIBRD -> ibrd = value & 0xffff;
            case UARTFBRD -> fbrd = value & 0x3f;
            case UARTLCR_H -> {
                if (((lcr ^ value) & LCR_FEN) != 0) {
                    // Switching the FIFO on or off flushes it (QEMU does the same).
                    rxCount = 0;
                    rxHead = 0;
                }
                lcr = value & 0xff;
            }
            case UARTCR -> cr = value & 0xffff;
            case UARTIFLS -> ifls = value & 0x3f;
            case UARTIMSC -> imsc = value & INT_ALL;
            case UARTICR -> ris &= ~value;
            case UARTDMACR -> {
                dmacr = value & 7;
                if ((value & 3) != 0 && machine.log().unimp) {
                    machine.log().unimplemented("%s: DMA requested (UARTDMACR 0x%x)", id, value);
                }
            }
            default -> bad("write of 0x%x to unknown or read-only register 0x%x", value, offset);
        }
        updateIrq();
    }

    private void bad(String format, Object... args) {
        if (machine.log().guestErrors) {
            machine.log().guestError(id + ": " + format, args);
        }
    }

    public MemoryOps mmio() {
        return new MemoryOps() {
            @Override
            public long read(long offset, int size) {
                return Pl011.this.read((int) offset & 0xffc);
            }

            @Override
            public void write(long offset, int size, long value) {
                Pl011.this.write((int) offset & 0xffc, (int) value);
            }
        };
    }
}
