package org.jqemu.hw.pc;

import java.util.function.Consumer;
import org.jqemu.system.device.Device;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.machine.ShutdownCause;
import org.jqemu.system.memory.MemoryOps;

/**
 * System control port A at 0x92, the "fast A20 and reset" port of PS/2-compatible chipsets (IBM
 * PS/2 Technical Reference, "System Control Port A"; PIIX datasheet "Port 92h"): bit 1 drives the
 * A20 gate, a rising bit 0 resets the system. QEMU calls it "port92".
 */
public final class Port92 implements Device {
    private final Machine machine;
    private final Consumer<Boolean> a20;
    private int value;

    /** @param a20 told the new A20 gate state on every write (the CPU's {@code setA20}) */
    public Port92(Machine machine, Consumer<Boolean> a20) {
        this.machine = machine;
        this.a20 = a20;
    }

    @Override
    public String id() {
        return "port92";
    }

    /** A reset keeps the A20 bit: the CPU reopens the gate itself. */
    @Override
    public void reset() {
        value &= ~1;
    }

    public MemoryOps port() {
        return new MemoryOps() {
            @Override
            public long read(long offset, int size) {
                return value;
            }

            @Override
            public void write(long offset, int size, long v) {
                int old = value;
                value = (int) v & 0xff;
                a20.accept((value & 0x02) != 0);
                if ((value & 1) != 0 && (old & 1) == 0) {
                    machine.requestReset(ShutdownCause.GUEST_RESET);
                }
            }
        };
    }
}
