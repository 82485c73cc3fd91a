package org.jqemu.hw.misc;

import org.jqemu.system.device.Device;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.memory.MemoryOps;

/**
 * QEMU's {@code isa-debug-exit}: a test device with no real-hardware counterpart. Writing value
 * {@code v} to its port ends the emulator with exit status {@code (v << 1) | 1}, so a guest test
 * can report pass or fail; an odd status therefore always means the guest chose it. Reads return 0.
 */
public final class IsaDebugExit implements Device {
    private final Machine machine;
    private final String id;

    public IsaDebugExit(Machine machine, String id) {
        this.machine = machine;
        this.id = id;
    }

    @Override
    public String id() {
        return id;
    }

    public MemoryOps ports() {
        return new MemoryOps() {
            @Override
            public long read(long offset, int size) {
                return 0;
            }

            @Override
            public void write(long offset, int size, long value) {
                machine.exit((int) ((value << 1) | 1));
            }
        };
    }
}
