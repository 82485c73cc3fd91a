package org.jqemu.system.memory;

/**
 * A named piece of a guest address map: RAM, ROM, device registers, an alias of another region or
 * a container of subregions. Regions form trees that an {@link AddressSpace} flattens into a
 * sorted lookup table whenever the tree changes.
 */
public abstract sealed class MemoryRegion permits RamRegion, IoRegion, ContainerRegion, AliasRegion {
    private final String name;
    private final long size;
    ContainerRegion parent;

    protected MemoryRegion(String name, long size) {
        if (size <= 0) {
            throw new IllegalArgumentException("region " + name + " has size " + size);
        }
        this.name = name;
        this.size = size;
    }

    public final String name() {
        return name;
    }

    public final long size() {
        return size;
    }

    /** Tells the address spaces that contain this region to rebuild their flat view. */
    protected final void changed() {
        for (ContainerRegion p = parent; p != null; p = p.parent) {
            if (p.owner != null) {
                p.owner.invalidate();
            }
        }
    }
}
