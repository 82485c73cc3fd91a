package org.jqemu.hw.pc;

import org.jqemu.system.device.Device;
import org.jqemu.system.memory.MemoryOps;

/**
 * The POST diagnostic port 0x80: firmware writes progress codes here and old drivers write to it
 * for a short I/O delay; nothing is attached (a POST card would show the codes). Reads return
 * 0xff, as QEMU's "ioport80" does. The last code is kept for debugging.
 */
public final class Port80 implements Device {
    private int lastCode;

    @Override
    public String id() {
        return "ioport80";
    }

    public int lastCode() {
        return lastCode;
    }

    public MemoryOps port() {
        return new MemoryOps() {
            @Override
            public long read(long offset, int size) {
                return 0xff;
            }

            @Override
            public void write(long offset, int size, long value) {
                lastCode = (int) value & 0xff;
            }
        };
    }
}
