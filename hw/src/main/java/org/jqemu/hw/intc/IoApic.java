package org.jqemu.hw.intc;

import org.jqemu.system.device.Device;
import org.jqemu.system.irq.IrqLine;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.memory.MemoryOps;

/**
 * The Intel 82093AA I/O APIC as QEMU models it, version 0x20 (82093AA datasheet, 3.0 "Register
 * Description": IOREGSEL at +0x00, IOWIN at +0x10; 3.2.1 IOAPICID, 3.2.2 IOAPICVER, 3.2.3
 * IOAPICARB, 3.2.4 IOREDTBL[0:23]; the version 0x20 EOI register at +0x40 from later PIIX/ICH
 * I/O APICs). Mapped at 0xFEC00000 on a PC, with 24 inputs.
 *
 * <p>Each input has a redirection entry: vector 7:0, delivery mode 10:8, destination mode 11,
 * delivery status 12 (read-only, 0: delivery is immediate), polarity 13, remote IRR 14
 * (read-only), trigger mode 15, mask 16, destination 63:56. An edge input sends one message per
 * rising edge (kept pending while masked and sent on unmask, as QEMU does; the 82093AA
 * datasheet says masked edges are lost); a level input sends a message while
 * asserted and sets remote IRR, which the local APIC's EOI of that vector (broadcast on the
 * {@link ApicBus}) or a write to the EOI register clears, re-sending if the line is still high.
 *
 * <p>Input lines carry the logical "asserted" level (the board's wires are active high), so the
 * polarity bit is recorded for the guest but does not invert anything, as in QEMU.
 */
public final class IoApic implements Device {
    public static final int PINS = 24;
    public static final int VERSION = 0x20;
    static final long MASKED = 1L << 16;
    static final long LEVEL = 1L << 15;
    static final long REMOTE_IRR = 1L << 14;
    static final long DELIVERY_STATUS = 1L << 12;
    static final long READ_ONLY = REMOTE_IRR | DELIVERY_STATUS;

    private final Machine machine;
    private final ApicBus bus;
    private final String name;
    private final long[] redirection = new long[PINS];
    private int ioapicId;
    private int regsel;
    private int lines;   // current input levels
    private int pending; // inputs waiting to be sent

    public IoApic(Machine machine, ApicBus bus, String name, int ioapicId) {
        this.machine = machine;
        this.bus = bus;
        this.name = name;
        this.ioapicId = ioapicId;
        bus.addEoiListener(this::eoi);
        reset();
    }

    @Override
    public String id() {
        return name;
    }

    @Override
    public void reset() {
        java.util.Arrays.fill(redirection, MASKED);
        regsel = 0;
        pending = 0;
        lines = 0;
    }

    /** Input pin {@code n} (0-23). */
    public IrqLine input(int n) {
        return level -> setIrq(n, level);
    }

    public void setIrq(int n, boolean level) {
        int mask = 1 << n;
        boolean was = (lines & mask) != 0;
        lines = level ? lines | mask : lines & ~mask;
        if ((redirection[n] & LEVEL) != 0) {
            if (level) {
                pending |= mask;
                service();
            } else {
                pending &= ~mask;
            }
        } else if (level && !was) {
            pending |= mask;
            service();
        }
    }

    public long redirection(int n) {
        return redirection[n];
    }

    /** Sends what is pending and not masked (and, for level inputs, not awaiting EOI). */
    private void service() {
        for (int n = 0; n < PINS; n++) {
            int mask = 1 << n;
            if ((pending & mask) == 0) {
                continue;
            }
            long e = redirection[n];
            if ((e & MASKED) != 0) {
                continue;
            }
            boolean level = (e & LEVEL) != 0;
            if (level) {
                if ((e & REMOTE_IRR) != 0) {
                    continue;
                }
                redirection[n] = e | REMOTE_IRR;
            } else {
                pending &= ~mask;
            }
            int mode = (int) (e >> 8) & 7;
            bus.deliver((int) (e >>> 56), (e & (1 << 11)) != 0, mode, (int) e & 0xff, level);
        }
    }

    /** The local APICs' EOI of a level-triggered vector: clear remote IRR, re-send if still high. */
    void eoi(int vector) {
        boolean again = false;
        for (int n = 0; n < PINS; n++) {
            long e = redirection[n];
            if ((e & REMOTE_IRR) != 0 && (e & 0xff) == vector) {
                redirection[n] = e & ~REMOTE_IRR;
                if ((lines & (1 << n)) != 0) {
                    pending |= 1 << n;
                    again = true;
                }
            }
        }
        if (again) {
            service();
        }
    }

    /** IOREGSEL (+0x00), IOWIN (+0x10) and the EOI register (+0x40). */
    public MemoryOps mmio() {
        return new MemoryOps() {
            @Override
            public long read(long offset, int size) {
                if (offset == 0x00) {
                    return regsel;
                }
                if (offset >= 0x10 && offset < 0x14) {
                    return (readRegister(regsel) & 0xffff_ffffL) >>> ((offset - 0x10) * 8);
                }
                return 0;
            }

            @Override
            public void write(long offset, int size, long value) {
                if (offset == 0x00) {
                    regsel = (int) value & 0xff;
                } else if (offset == 0x10) {
                    writeRegister(regsel, (int) value);
                } else if (offset == 0x40) {
                    eoi((int) value & 0xff);
                } else if (machine.log().guestErrors) {
                    machine.log().guestError("%s: write to offset 0x%x ignored", name, offset);
                }
            }
        };
    }

    private int readRegister(int reg) {
        if (reg == 0x00) {
            return (ioapicId & 0xf) << 24;
        }
        if (reg == 0x01) {
            return (PINS - 1) << 16 | VERSION;
        }
        if (reg == 0x02) {
            return (ioapicId & 0xf) << 24;
        }
        if (reg >= 0x10 && reg < 0x10 + 2 * PINS) {
            long e = redirection[(reg - 0x10) >> 1];
            return (reg & 1) == 0 ? (int) e : (int) (e >>> 32);
        }
        return -1;
    }

    private void writeRegister(int reg, int value) {
        if (reg == 0x00) {
            ioapicId = (value >>> 24) & 0xf;
            return;
        }
        if (reg >= 0x10 && reg < 0x10 + 2 * PINS) {
            int n = (reg - 0x10) >> 1;
            long e = redirection[n];
            if ((reg & 1) == 0) {
                long low = value & 0xffff_ffffL & ~READ_ONLY;
                e = (e & (0xffff_ffff_0000_0000L | READ_ONLY)) | low;
                if ((e & LEVEL) == 0) {
                    e &= ~REMOTE_IRR; // remote IRR means nothing for edge inputs
                }
            } else {
                e = (e & 0xffff_ffffL) | ((long) value << 32);
            }
            redirection[n] = e;
            // Switching to level with the line high makes it pending; unmasking sends it.
            if ((e & LEVEL) != 0 && (lines & (1 << n)) != 0) {
                pending |= 1 << n;
            }
            service();
            return;
        }
        if (machine.log().guestErrors) {
            machine.log().guestError("%s: write 0x%x to read-only register 0x%x", name, value, reg);
        }
    }
}
