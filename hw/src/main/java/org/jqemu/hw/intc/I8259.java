package org.jqemu.hw.intc;

import org.jqemu.system.cpu.InterruptAcknowledge;
import org.jqemu.system.device.Device;
import org.jqemu.system.irq.IrqLine;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.memory.MemoryOps;

/**
 * One Intel 8259A programmable interrupt controller (8259A datasheet: "Initialization Command
 * Words" ICW1-ICW4, "Operation Command Words" OCW1-OCW3, "Interrupt Sequence", "Priority
 * Rotation", "Poll Command", "Cascading"), plus the edge/level control register of the PIIX
 * south bridge (PIIX datasheet, "ELCR1/ELCR2 - Edge/Level Triggered Register", ports 0x4d0/0x4d1).
 *
 * <p>A PC has two: the master (ports 0x20-0x21) drives the CPU's INTR pin and answers its
 * interrupt-acknowledge cycle; the slave (0xa0-0xa1) drives the master's IR2. The board wires the
 * pair with {@link #attachSlave}. Priority is kept as a rotation offset: the input
 * {@code priorityAdd} has the highest priority, the one before it the lowest.
 *
 * <p>Trigger mode per input comes from ELCR (the PIIX ignores ICW1.LTIM): an edge input latches a
 * rising edge into IRR until the CPU acknowledges it; a level input shows the line in IRR as long
 * as it is held. A request that disappears before the acknowledge gives the spurious vector of
 * input 7, without setting ISR.
 */
public final class I8259 implements Device, InterruptAcknowledge {
    private final Machine machine;
    private final String id;
    private final IrqLine output;
    private final int elcrMask;

    private I8259 slave;
    private int cascadeInput = -1;

    private int lastIrr;       // input levels seen, for edge detection
    private int irr;
    private int imr;
    private int isr;
    private int priorityAdd;   // input with the highest priority
    private int irqBase;
    private boolean readIsr;   // OCW3 RR/RIS: port 0 reads ISR instead of IRR
    private boolean poll;
    private boolean specialMask;
    private int initState;     // 0 = operating, 1..3 = expecting ICW2..ICW4
    private boolean autoEoi;
    private boolean rotateOnAutoEoi;
    private boolean specialFullyNested;
    private boolean init4;
    private boolean singleMode;
    private int elcr;
    private boolean outputLevel;

    /**
     * @param elcrMask the ELCR bits that may be set (PIIX: 0xf8 on the master, 0xde on the slave,
     *     since IRQ0-2, 8 and 13 are always edge triggered)
     * @param output the INT pin: the CPU's INTR for the master, the master's IR2 for the slave
     */
    public I8259(Machine machine, String id, int elcrMask, IrqLine output) {
        this.machine = machine;
        this.id = id;
        this.elcrMask = elcrMask;
        this.output = output;
        reset();
    }

    @Override
    public String id() {
        return id;
    }

    /** Makes {@code slave} answer the acknowledge cycles of input {@code input} (IR2 on a PC). */
    public void attachSlave(int input, I8259 slave) {
        this.slave = slave;
        this.cascadeInput = input;
    }

    /** The interrupt request input {@code n} (0-7). */
    public IrqLine input(int n) {
        return level -> setIrq(n, level);
    }

    /** Drives input {@code n}; edge inputs latch a rising edge, level inputs follow the line. */
    public void setIrq(int n, boolean level) {
        int mask = 1 << n;
        if ((elcr & mask) != 0) {
            if (level) {
                irr |= mask;
                lastIrr |= mask;
            } else {
                irr &= ~mask;
                lastIrr &= ~mask;
            }
        } else if (level) {
            if ((lastIrr & mask) == 0) {
                irr |= mask;
            }
            lastIrr |= mask;
        } else {
            lastIrr &= ~mask;
        }
        update();
    }

    /** True while the INT pin is asserted. */
    public boolean outputLevel() {
        return outputLevel;
    }

    @Override
    public void reset() {
        initReset();
        elcr = 0;
        update();
    }

    /** What ICW1 clears (ELCR belongs to the south bridge and survives it). */
    private void initReset() {
        lastIrr = 0;
        irr &= elcr;
        imr = 0;
        isr = 0;
        priorityAdd = 0;
        irqBase = 0;
        readIsr = false;
        poll = false;
        specialMask = false;
        initState = 0;
        autoEoi = false;
        rotateOnAutoEoi = false;
        specialFullyNested = false;
        init4 = false;
        singleMode = false;
    }

    // ---- priority resolution --------------------------------------------------------------

    /** Priority (0 = highest) of the best input in {@code mask}, or 8 when it is empty. */
    private int priorityOf(int mask) {
        if ((mask & 0xff) == 0) {
            return 8;
        }
        int p = 0;
        while ((mask & (1 << ((p + priorityAdd) & 7))) == 0) {
            p++;
        }
        return p;
    }

    /** The input the chip would present to the CPU now, or -1. */
    private int pendingInput() {
        int requestPriority = priorityOf(irr & ~imr);
        if (requestPriority == 8) {
            return -1;
        }
        int inService = isr;
        if (specialMask) {
            inService &= ~imr;
        }
        if (specialFullyNested && slave != null) {
            // A higher-priority request from the slave may nest in its own cascade input.
            inService &= ~(1 << cascadeInput);
        }
        int servicePriority = priorityOf(inService);
        return requestPriority < servicePriority ? (requestPriority + priorityAdd) & 7 : -1;
    }

    private void update() {
        boolean level = pendingInput() >= 0;
        if (level != outputLevel) {
            outputLevel = level;
            output.set(level);
        }
    }

    /** The acknowledge of input {@code n}: ISR set (unless auto-EOI), an edge request consumed. */
    private void acknowledgeInput(int n) {
        if (autoEoi) {
            if (rotateOnAutoEoi) {
                priorityAdd = (n + 1) & 7;
            }
        } else {
            isr |= 1 << n;
        }
        if ((elcr & (1 << n)) == 0) {
            irr &= ~(1 << n);
        }
    }

    /**
     * The INTA cycle of the CPU (8259A datasheet, "Interrupt Sequence"): returns the vector of the
     * best pending request, asking the slave for its vector when the request came through the
     * cascade input. With nothing pending the answer is the spurious vector of input 7 (IRQ7, or
     * IRQ15 from the slave) and no ISR bit is set. Call with the machine lock held.
     */
    @Override
    public int acknowledge() {
        int n = pendingInput();
        int vector;
        if (n < 0) {
            logSpurious(7);
            vector = irqBase + 7;
        } else if (slave != null && n == cascadeInput) {
            int m = slave.pendingInput();
            if (m >= 0) {
                slave.acknowledgeInput(m);
            } else {
                slave.logSpurious(7);
                m = 7;
            }
            vector = slave.irqBase + m;
            acknowledgeInput(n);
            slave.update();
            if (slave.outputLevel) {
                // The slave still asserts INT (another request, or auto-EOI): the cascade input
                // never saw it fall, so keep it requested rather than wait for an edge.
                irr |= 1 << n;
            }
        } else {
            vector = irqBase + n;
            acknowledgeInput(n);
        }
        update();
        return vector;
    }

    private void logSpurious(int n) {
        if (machine.log().interrupts) {
            machine.log().log(org.jqemu.system.log.LogCategory.INT, "%s: spurious interrupt on input %d", id, n);
        }
    }

    /** The poll command (OCW3 P): a read that acknowledges like INTA and returns 0x80 | input. */
    private int pollRead() {
        int n = pendingInput();
        if (n < 0) {
            return 0;
        }
        acknowledgeInput(n);
        update();
        return 0x80 | n;
    }

    // ---- registers ------------------------------------------------------------------------

    /** Ports base+0 (ICW1, OCW2, OCW3; IRR/ISR) and base+1 (ICW2-4, OCW1; IMR). */
    public MemoryOps ports() {
        return new MemoryOps() {
            @Override
            public long read(long offset, int size) {
                return readPort((int) offset & 1);
            }

            @Override
            public void write(long offset, int size, long value) {
                writePort((int) offset & 1, (int) value & 0xff);
            }
        };
    }

    /** The one-byte ELCR port (0x4d0 for the master, 0x4d1 for the slave). */
    public MemoryOps elcrPort() {
        return new MemoryOps() {
            @Override
            public long read(long offset, int size) {
                return elcr;
            }

            @Override
            public void write(long offset, int size, long value) {
                elcr = (int) value & elcrMask;
                update();
            }
        };
    }

    int readPort(int port) {
        if (poll) {
            poll = false;
            return pollRead();
        }
        if (port == 0) {
            return readIsr ? isr : irr;
        }
        return imr;
    }

    void writePort(int port, int value) {
        if (port == 0) {
            if ((value & 0x10) != 0) {
                writeIcw1(value);
            } else if ((value & 0x08) != 0) {
                writeOcw3(value);
            } else {
                writeOcw2(value);
            }
            return;
        }
        switch (initState) {
            case 0 -> {
                imr = value;
                update();
            }
            case 1 -> {
                irqBase = value & 0xf8;
                initState = singleMode ? (init4 ? 3 : 0) : 2;
            }
            case 2 -> initState = init4 ? 3 : 0; // ICW3: the cascade wiring is fixed by the board
            default -> {
                specialFullyNested = (value & 0x10) != 0;
                autoEoi = (value & 0x02) != 0;
                if ((value & 0x01) == 0 && machine.log().unimp) {
                    machine.log().unimplemented("%s: ICW4 without 8086 mode (0x%02x)", id, value);
                }
                initState = 0;
            }
        }
    }

    private void writeIcw1(int value) {
        initReset();
        initState = 1;
        init4 = (value & 0x01) != 0;
        singleMode = (value & 0x02) != 0;
        if ((value & 0x08) != 0 && machine.log().unimp) {
            machine.log().unimplemented("%s: ICW1.LTIM ignored, trigger mode comes from ELCR", id);
        }
        update();
    }

    private void writeOcw3(int value) {
        if ((value & 0x04) != 0) {
            poll = true;
        }
        if ((value & 0x02) != 0) {
            readIsr = (value & 0x01) != 0;
        }
        if ((value & 0x40) != 0) {
            specialMask = (value & 0x20) != 0;
        }
        update();
    }

    private void writeOcw2(int value) {
        int cmd = value >> 5;
        switch (cmd) {
            case 0, 4 -> rotateOnAutoEoi = cmd == 4;
            case 1, 5 -> { // non-specific EOI, optionally rotating
                int p = priorityOf(isr);
                if (p != 8) {
                    int n = (p + priorityAdd) & 7;
                    isr &= ~(1 << n);
                    if (cmd == 5) {
                        priorityAdd = (n + 1) & 7;
                    }
                }
            }
            case 3 -> isr &= ~(1 << (value & 7));  // specific EOI
            case 6 -> priorityAdd = (value + 1) & 7; // set lowest priority
            case 7 -> { // rotate on specific EOI
                int n = value & 7;
                isr &= ~(1 << n);
                priorityAdd = (n + 1) & 7;
            }
            default -> { } // 2: no operation
        }
        update();
    }

    // ---- state for tests and monitors -----------------------------------------------------

    public int irr() {
        return irr;
    }

    public int isr() {
        return isr;
    }

    public int imr() {
        return imr;
    }

    public int elcr() {
        return elcr;
    }
}
