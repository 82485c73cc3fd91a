package org.jqemu.hw.chr;

import org.jqemu.system.chardev.Chardev;
import org.jqemu.system.device.Device;
import org.jqemu.system.memory.MemoryOps;

/**
 * Bochs' debug console port (QEMU's {@code isa-debugcon}, port 0xe9 by default): every byte
 * written goes to a chardev, with no flow control or interrupts. Reads return the "readback"
 * value (0xe9) so a guest can detect the port.
 */
public final class IsaDebugcon implements Device {
    private final String id;
    private final Chardev chardev;
    private final int readback;
    private final byte[] one = new byte[1];

    public IsaDebugcon(String id, Chardev chardev, int readback) {
        this.id = id;
        this.chardev = chardev;
        this.readback = readback;
    }

    @Override
    public String id() {
        return id;
    }

    public MemoryOps port() {
        return new MemoryOps() {
            @Override
            public long read(long offset, int size) {
                return readback;
            }

            @Override
            public void write(long offset, int size, long value) {
                one[0] = (byte) value;
                chardev.write(one, 0, 1);
            }
        };
    }
}
