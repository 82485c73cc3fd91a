package org.jqemu.hw.rtc;

import org.jqemu.system.clock.Timer;
import org.jqemu.system.device.Device;
import org.jqemu.system.irq.IrqLine;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.memory.MemoryOps;

/**
 * The Arm PrimeCell Real Time Clock PL031 (ARM DDI 0224, "PrimeCell Real Time Clock (PL031)
 * Technical Reference Manual", 3.3 "Register descriptions"), as QEMU's {@code pl031}: a 32-bit
 * seconds counter (RTCDR) that software sets through RTCLR, and a match register (RTCMR) that
 * raises the interrupt when the counter reaches it.
 *
 * <p>The counter starts from the host's UTC time (QEMU's default {@code -rtc base=utc}) and
 * advances with the virtual clock, so it stands still while the VM is paused. It is kept as an
 * offset from virtual time. RTCCR reads 1 (QEMU: the clock always runs, writes are ignored).
 * The interrupt (RTCINTR) is RTCRIS AND RTCIMSC; RTCRIS is set by a match and cleared by RTCICR.
 */
public final class Pl031 implements Device {
    public static final int SIZE = 0x1000;
    static final int RTCDR = 0x00;
    static final int RTCMR = 0x04;
    static final int RTCLR = 0x08;
    static final int RTCCR = 0x0c;
    static final int RTCIMSC = 0x10;
    static final int RTCRIS = 0x14;
    static final int RTCMIS = 0x18;
    static final int RTCICR = 0x1c;
    /** RTCPeriphID0-3 and RTCPCellID0-3 at 0xFE0-0xFFC. */
    private static final int[] ID = {0x31, 0x10, 0x04, 0x00, 0x0d, 0xf0, 0x05, 0xb1};
    private static final long NS = 1_000_000_000L;

    private final Machine machine;
    private final String id;
    private final IrqLine irq;
    private final Timer matchTimer;
    /** Counter value = offset + virtual seconds, modulo 2^32. */
    private long offset;
    private int mr;
    private int lr;
    private int imsc;
    private int ris;
    private boolean irqLevel;

    /** @param startEpochSeconds the counter at virtual time 0 (normally the host's UTC time) */
    public Pl031(Machine machine, String id, IrqLine irq, long startEpochSeconds) {
        this.machine = machine;
        this.id = id;
        this.irq = irq;
        this.offset = startEpochSeconds;
        this.matchTimer = machine.newTimer(id + ".match", this::onMatch);
        reset();
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public void reset() {
        // The time survives a reset, as on the real chip (it is battery backed); only the
        // interrupt state goes back to its reset value.
        matchTimer.cancel();
        mr = 0;
        lr = 0;
        imsc = 0;
        ris = 0;
        updateIrq();
    }

    private long virtualSeconds() {
        return machine.clock().nanos() / NS;
    }

    /** RTCDR: the current counter. */
    public int counter() {
        return (int) (offset + virtualSeconds());
    }

    private void onMatch() {
        ris |= 1;
        updateIrq();
    }

    /** Arms the timer for the next time the counter equals RTCMR. */
    private void armMatch() {
        long now = machine.clock().nanos();
        long seconds = Integer.toUnsignedLong(mr - counter());
        if (seconds == 0) {
            seconds = 1L << 32; // a match equal to the current second fires after a full wrap
        }
        matchTimer.modNs((now / NS + seconds) * NS);
    }

    private void updateIrq() {
        boolean l = (ris & imsc) != 0;
        if (l != irqLevel) {
            irqLevel = l;
            irq.set(l);
        }
    }

    public boolean irqLevel() {
        return irqLevel;
    }

    long read(int off) {
        if (off >= 0xfe0 && off < 0x1000) {
            return ID[(off - 0xfe0) >> 2];
        }
        return switch (off) {
            case RTCDR -> Integer.toUnsignedLong(counter());
            case RTCMR -> Integer.toUnsignedLong(mr);
            case RTCLR -> Integer.toUnsignedLong(lr);
            case RTCCR -> 1;
            case RTCIMSC -> imsc;
            case RTCRIS -> ris;
            case RTCMIS -> ris & imsc;
            default -> {
                if (machine.log().guestErrors) {
                    machine.log().guestError("%s: read of unknown register 0x%x", id, off);
                }
                yield 0;
            }
        };
    }

    void write(int off, int value) {
        switch (off) {
            case RTCMR -> {
                mr = value;
                armMatch();
            }
            case RTCLR -> {
                lr = value;
                offset = Integer.toUnsignedLong(value) - virtualSeconds();
                armMatch();
            }
            case RTCCR -> { } // the clock always runs
            case RTCIMSC -> imsc = value & 1;
            case RTCICR -> ris &= ~value;
            default -> {
                if (machine.log().guestErrors) {
                    machine.log().guestError("%s: write of 0x%x to read-only or unknown register 0x%x", id, value, off);
                }
            }
        }
        updateIrq();
    }

    public MemoryOps mmio() {
        return new MemoryOps() {
            @Override
            public long read(long offset, int size) {
                return Pl031.this.read((int) offset & 0xffc);
            }

            @Override
            public void write(long offset, int size, long value) {
                Pl031.this.write((int) offset & 0xffc, (int) value);
            }
        };
    }
}
