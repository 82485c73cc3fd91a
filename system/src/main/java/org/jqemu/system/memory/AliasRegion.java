package org.jqemu.system.memory;

/** A window onto part of another region, as the PC's BIOS alias below 1 MiB. */
public final class AliasRegion extends MemoryRegion {
    private final MemoryRegion target;
    private final long targetOffset;

    public AliasRegion(String name, MemoryRegion target, long targetOffset, long size) {
        super(name, size);
        if (targetOffset < 0 || targetOffset + size > target.size()) {
            throw new IllegalArgumentException("alias " + name + " exceeds " + target.name());
        }
        this.target = target;
        this.targetOffset = targetOffset;
        target.aliases.add(this);
    }

    public MemoryRegion target() {
        return target;
    }

    public long targetOffset() {
        return targetOffset;
    }
}
