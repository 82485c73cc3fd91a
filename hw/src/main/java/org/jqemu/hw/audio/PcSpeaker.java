package org.jqemu.hw.audio;

import org.jqemu.hw.timer.I8254Pit;
import org.jqemu.system.device.Device;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.memory.MemoryOps;

/**
 * The PC/AT's system control port B at 0x61 (IBM PC/AT Technical Reference, "System Board I/O
 * Port 61h"; PIIX datasheet "NMI Status and Control Register"): bit 0 drives GATE of PIT counter
 * 2, bit 1 enables the speaker data, bit 4 toggles with every DRAM refresh request (every
 * 15.085 µs of guest time) and bit 5 shows OUT of counter 2. Linux and SeaBIOS time short delays
 * and calibrate the TSC with bits 4 and 5. No sound is produced yet; QEMU calls this "pcspk".
 */
public final class PcSpeaker implements Device {
    /** Refresh request period of the AT's counter 1 (18 ticks of 1.193182 MHz). */
    public static final long REFRESH_PERIOD_NS = 15_085;

    private final Machine machine;
    private final I8254Pit pit;
    private boolean dataEnable;

    public PcSpeaker(Machine machine, I8254Pit pit) {
        this.machine = machine;
        this.pit = pit;
    }

    @Override
    public String id() {
        return "pcspk";
    }

    @Override
    public void reset() {
        dataEnable = false;
        pit.setGate(2, false);
    }

    public MemoryOps port() {
        return new MemoryOps() {
            @Override
            public long read(long offset, int size) {
                boolean refresh = (machine.clock().nanos() / REFRESH_PERIOD_NS & 1) != 0;
                return (pit.gate(2) ? 0x01 : 0) | (dataEnable ? 0x02 : 0) | (refresh ? 0x10 : 0)
                        | (pit.output(2) ? 0x20 : 0);
            }

            @Override
            public void write(long offset, int size, long value) {
                dataEnable = (value & 0x02) != 0;
                pit.setGate(2, (value & 0x01) != 0);
            }
        };
    }
}
