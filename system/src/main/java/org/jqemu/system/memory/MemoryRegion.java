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
    /** Aliases that show this region: they must hear about its changes too. */
    final java.util.List<AliasRegion> aliases = new java.util.concurrent.CopyOnWriteArrayList<>();

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

    /**
     * Tells the address spaces that contain this region, directly or through an alias, to rebuild
     * their flat view.
     */
    protected final void changed() {
        for (MemoryRegion r = this; r != null; r = r.parent) {
            if (r instanceof ContainerRegion c && c.owner != null) {
                c.owner.invalidate();
            }
            for (AliasRegion a : r.aliases) {
                a.changed();
            }
        }
    }
}
