package org.jqemu.hw.chr;

import org.jqemu.system.chardev.CharFrontend;
import org.jqemu.system.chardev.Chardev;
import org.jqemu.system.clock.Timer;
import org.jqemu.system.device.Device;
import org.jqemu.system.irq.IrqLine;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.memory.MemoryOps;

/**
 * National Semiconductor PC16550D UART with 16-byte FIFOs (PC16550D datasheet: "Register
 * Description": RBR/THR, IER, IIR, FCR, LCR, MCR, LSR, MSR, SCR, DLL/DLM; table "Interrupt Control
 * Functions"; "FIFO Interrupt Mode Operation"; "Loopback"). Eight I/O ports; on a PC, COM1 is
 * 0x3f8/IRQ4, COM2 0x2f8/IRQ3, COM3 0x3e8/IRQ4, COM4 0x2e8/IRQ3.
 *
 * <p>Transmission takes no guest time: a byte written to THR goes to the chardev at once and THR
 * is empty again, so THRE interrupts follow every write. Input arrives through {@link
 * CharFrontend}; the character-timeout interrupt fires four character times (from the divisor and
 * line format) after the last received or read byte while the receive FIFO holds bytes below its
 * trigger level. The interrupt output is not gated by MCR.OUT2, as in QEMU.
 */
public final class Serial16550 implements Device {
    public static final int FIFO_SIZE = 16;
    /** The UART's input clock divided by 16: the baud rate of divisor 1. */
    static final int BASE_BAUD = 115_200;

    static final int IER_RDI = 0x01;
    static final int IER_THRI = 0x02;
    static final int IER_RLSI = 0x04;
    static final int IER_MSI = 0x08;

    static final int IIR_NO_INT = 0x01;
    static final int IIR_MSI = 0x00;
    static final int IIR_THRI = 0x02;
    static final int IIR_RDI = 0x04;
    static final int IIR_RLSI = 0x06;
    static final int IIR_CTI = 0x0c;
    static final int IIR_FIFO_ENABLED = 0xc0;

    static final int FCR_FE = 0x01;
    static final int FCR_RFR = 0x02;
    static final int FCR_XFR = 0x04;

    static final int LCR_DLAB = 0x80;

    static final int MCR_DTR = 0x01;
    static final int MCR_RTS = 0x02;
    static final int MCR_OUT1 = 0x04;
    static final int MCR_OUT2 = 0x08;
    static final int MCR_LOOP = 0x10;

    static final int LSR_DR = 0x01;
    static final int LSR_OE = 0x02;
    static final int LSR_BI = 0x10;
    static final int LSR_THRE = 0x20;
    static final int LSR_TEMT = 0x40;
    static final int LSR_INT_ANY = 0x1e;

    static final int MSR_CTS = 0x10;
    static final int MSR_DSR = 0x20;
    static final int MSR_DCD = 0x80;
    static final int MSR_ANY_DELTA = 0x0f;

    private final Machine machine;
    private final String id;
    private final IrqLine irq;
    private final Chardev chardev;
    private final Timer timeoutTimer;
    private final byte[] rxFifo = new byte[FIFO_SIZE];
    private final byte[] txByte = new byte[1];

    private int rxHead;
    private int rxCount;
    private int rbr;
    private int ier;
    private int iir;
    private int fcr;
    private int lcr;
    private int mcr;
    private int lsr;
    private int msr;
    private int scr;
    private int divisor;
    private int triggerLevel;
    private boolean thrPending;
    private boolean timeoutPending;
    private boolean irqLevel;

    /** @param chardev where output goes and input comes from; null discards output */
    public Serial16550(Machine machine, String id, IrqLine irq, Chardev chardev) {
        this.machine = machine;
        this.id = id;
        this.irq = irq;
        this.chardev = chardev;
        this.timeoutTimer = machine.newTimer(id + ".timeout", this::onCharacterTimeout);
        reset();
        if (chardev != null) {
            chardev.attach(new CharFrontend() {
                @Override
                public int canReceive() {
                    return Serial16550.this.canReceive();
                }

                @Override
                public void receive(byte[] buf, int off, int len) {
                    for (int i = 0; i < len; i++) {
                        Serial16550.this.receiveByte(buf[off + i] & 0xff);
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
        ier = 0;
        iir = IIR_NO_INT;
        fcr = 0;
        lcr = 0;
        mcr = MCR_OUT2;
        lsr = LSR_TEMT | LSR_THRE;
        msr = MSR_DCD | MSR_DSR | MSR_CTS;
        scr = 0;
        divisor = 12; // 9600 baud
        triggerLevel = 1;
        rxHead = 0;
        rxCount = 0;
        rbr = 0;
        thrPending = false;
        timeoutPending = false;
        timeoutTimer.cancel();
        updateIrq();
    }

    public MemoryOps ports() {
        return new MemoryOps() {
            @Override
            public long read(long offset, int size) {
                return readRegister((int) offset & 7);
            }

            @Override
            public void write(long offset, int size, long value) {
                writeRegister((int) offset & 7, (int) value & 0xff);
            }
        };
    }

    // ---- receive side ---------------------------------------------------------------------

    private boolean fifoEnabled() {
        return (fcr & FCR_FE) != 0;
    }

    int canReceive() {
        if (fifoEnabled()) {
            return FIFO_SIZE - rxCount;
        }
        return (lsr & LSR_DR) != 0 ? 0 : 1;
    }

    private void receiveByte(int b) {
        int capacity = fifoEnabled() ? FIFO_SIZE : 1;
        if (rxCount >= capacity) {
            lsr |= LSR_OE; // the byte is lost
        } else {
            rxFifo[(rxHead + rxCount) % FIFO_SIZE] = (byte) b;
            rxCount++;
            lsr |= LSR_DR;
        }
        if (fifoEnabled()) {
            armCharacterTimeout();
        }
        updateIrq();
    }

    private int popReceived() {
        if (rxCount == 0) {
            return rbr; // reading an empty RBR repeats the last byte
        }
        rbr = rxFifo[rxHead] & 0xff;
        rxHead = (rxHead + 1) % FIFO_SIZE;
        rxCount--;
        return rbr;
    }

    private void clearReceiveFifo() {
        rxHead = 0;
        rxCount = 0;
        lsr &= ~(LSR_DR | LSR_BI);
        timeoutPending = false;
        timeoutTimer.cancel();
    }

    /** Time on the line of one character with the current divisor and LCR format. */
    long characterTimeNs() {
        int bits = 1 + 5 + (lcr & 3) + ((lcr & 0x08) != 0 ? 1 : 0) + ((lcr & 0x04) != 0 ? 2 : 1);
        long d = divisor == 0 ? 1 : divisor;
        return 1_000_000_000L * bits * d / BASE_BAUD;
    }

    private void armCharacterTimeout() {
        timeoutTimer.modNs(machine.clock().nanos() + 4 * characterTimeNs());
    }

    private void onCharacterTimeout() {
        if (rxCount > 0) {
            timeoutPending = true;
            updateIrq();
        }
    }

    // ---- registers ------------------------------------------------------------------------

    int readRegister(int reg) {
        switch (reg) {
            case 0 -> {
                if ((lcr & LCR_DLAB) != 0) {
                    return divisor & 0xff;
                }
                int v = popReceived();
                timeoutPending = false;
                if (rxCount == 0) {
                    lsr &= ~(LSR_DR | LSR_BI);
                    timeoutTimer.cancel();
                } else if (fifoEnabled()) {
                    armCharacterTimeout();
                }
                updateIrq();
                if (rxCount == 0 && chardev != null && (mcr & MCR_LOOP) == 0) {
                    chardev.acceptInput();
                }
                return v;
            }
            case 1 -> {
                return (lcr & LCR_DLAB) != 0 ? (divisor >> 8) & 0xff : ier;
            }
            case 2 -> {
                int v = iir;
                if ((v & 0x0f) == IIR_THRI) {
                    thrPending = false; // reading IIR acknowledges a THRE interrupt
                    updateIrq();
                }
                return v;
            }
            case 3 -> {
                return lcr;
            }
            case 4 -> {
                return mcr;
            }
            case 5 -> {
                int v = lsr;
                if ((lsr & (LSR_BI | LSR_OE)) != 0) {
                    lsr &= ~(LSR_BI | LSR_OE);
                    updateIrq();
                }
                return v;
            }
            case 6 -> {
                if ((mcr & MCR_LOOP) != 0) {
                    // Loopback wires the modem outputs to the inputs: RTS-CTS, DTR-DSR, OUT1-RI, OUT2-DCD.
                    return (mcr & 0x0c) << 4 | (mcr & MCR_RTS) << 3 | (mcr & MCR_DTR) << 5;
                }
                int v = msr;
                if ((msr & MSR_ANY_DELTA) != 0) {
                    msr &= 0xf0;
                    updateIrq();
                }
                return v;
            }
            default -> {
                return scr;
            }
        }
    }

    void writeRegister(int reg, int value) {
        switch (reg) {
            case 0 -> {
                if ((lcr & LCR_DLAB) != 0) {
                    divisor = (divisor & 0xff00) | value;
                } else {
                    transmit(value);
                }
            }
            case 1 -> {
                if ((lcr & LCR_DLAB) != 0) {
                    divisor = (divisor & 0x00ff) | (value << 8);
                } else {
                    int changed = (ier ^ value) & 0x0f;
                    ier = value & 0x0f;
                    if ((changed & IER_THRI) != 0) {
                        // Enabling THRI with THR empty raises the interrupt at once.
                        thrPending = (ier & IER_THRI) != 0 && (lsr & LSR_THRE) != 0;
                    }
                    updateIrq();
                }
            }
            case 2 -> writeFcr(value);
            case 3 -> lcr = value;
            case 4 -> mcr = value & 0x1f;
            case 5, 6 -> {
                if (machine.log().guestErrors) {
                    machine.log().guestError("%s: write 0x%02x to read-only register %d", id, value, reg);
                }
            }
            default -> scr = value;
        }
    }

    private void writeFcr(int value) {
        if (((value ^ fcr) & FCR_FE) != 0) {
            value |= FCR_RFR | FCR_XFR; // switching the FIFOs on or off clears them
        }
        if ((value & FCR_RFR) != 0) {
            clearReceiveFifo();
        }
        if ((value & FCR_XFR) != 0) {
            lsr |= LSR_THRE | LSR_TEMT; // nothing waits in the transmitter: it is already empty
        }
        fcr = value & 0xc9;
        if (fifoEnabled()) {
            iir |= IIR_FIFO_ENABLED;
            triggerLevel = switch (fcr & 0xc0) {
                case 0x00 -> 1;
                case 0x40 -> 4;
                case 0x80 -> 8;
                default -> 14;
            };
        } else {
            iir &= ~IIR_FIFO_ENABLED;
        }
        updateIrq();
    }

    private void transmit(int value) {
        thrPending = false;
        lsr &= ~(LSR_THRE | LSR_TEMT);
        updateIrq();
        if ((mcr & MCR_LOOP) != 0) {
            receiveByte(value);
        } else if (chardev != null) {
            txByte[0] = (byte) value;
            chardev.write(txByte, 0, 1);
        }
        lsr |= LSR_THRE | LSR_TEMT;
        thrPending = true;
        updateIrq();
    }

    /** The datasheet's interrupt priorities: line status, received data / timeout, THRE, modem. */
    private void updateIrq() {
        int cause;
        if ((ier & IER_RLSI) != 0 && (lsr & LSR_INT_ANY) != 0) {
            cause = IIR_RLSI;
        } else if ((ier & IER_RDI) != 0 && timeoutPending) {
            cause = IIR_CTI;
        } else if ((ier & IER_RDI) != 0 && (lsr & LSR_DR) != 0 && (!fifoEnabled() || rxCount >= triggerLevel)) {
            cause = IIR_RDI;
        } else if ((ier & IER_THRI) != 0 && thrPending) {
            cause = IIR_THRI;
        } else if ((ier & IER_MSI) != 0 && (msr & MSR_ANY_DELTA) != 0) {
            cause = IIR_MSI;
        } else {
            cause = IIR_NO_INT;
        }
        iir = cause | (iir & 0xf0);
        boolean level = cause != IIR_NO_INT;
        if (level != irqLevel) {
            irqLevel = level;
            irq.set(level);
        }
    }

    /** Guest-visible state for tests and monitors. */
    public int divisor() {
        return divisor;
    }

    public int receiveFifoCount() {
        return rxCount;
    }
}
