package org.jqemu.system.memory;

/** Device registers: every access goes through the device's {@link MemoryOps}. */
public final class IoRegion extends MemoryRegion {
    private final MemoryOps ops;

    public IoRegion(String name, long size, MemoryOps ops) {
        super(name, size);
        this.ops = ops;
    }

    public MemoryOps ops() {
        return ops;
    }
}
