package org.jqemu.system.memory;

import java.util.ArrayList;
import java.util.List;

/**
 * Holds subregions at offsets. Where subregions overlap, the higher priority wins; among equal
 * priorities the one added last wins. Gaps are unassigned.
 */
public final class ContainerRegion extends MemoryRegion {
    /** A placed child. */
    public record Child(long offset, MemoryRegion region, int priority, int order) {}

    private final List<Child> children = new ArrayList<>();
    private int order;
    AddressSpace owner;

    public ContainerRegion(String name, long size) {
        super(name, size);
    }

    public void add(long offset, MemoryRegion region) {
        add(offset, region, 0);
    }

    public void add(long offset, MemoryRegion region, int priority) {
        if (region.parent != null) {
            throw new IllegalStateException(region.name() + " is already mapped in " + region.parent.name());
        }
        region.parent = this;
        children.add(new Child(offset, region, priority, order++));
        changed();
    }

    public void remove(MemoryRegion region) {
        if (children.removeIf(c -> c.region() == region)) {
            region.parent = null;
            changed();
        }
    }

    public List<Child> children() {
        return List.copyOf(children);
    }
}
