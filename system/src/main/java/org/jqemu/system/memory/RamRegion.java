package org.jqemu.system.memory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Guest RAM or ROM backed by an off-heap, page-aligned {@link MemorySegment}, so the same bytes can
 * be handed to KVM, dumped or file-backed. A read-only region (ROM) ignores guest writes; loaders
 * fill it through {@link #segment()}.
 */
public final class RamRegion extends MemoryRegion {
    private final MemorySegment segment;
    private final boolean readOnly;

    public RamRegion(String name, MemorySegment segment, boolean readOnly) {
        super(name, segment.byteSize());
        this.segment = segment;
        this.readOnly = readOnly;
    }

    /**
     * Allocates zeroed, page-aligned memory that lives as long as {@code arena}; pages are
     * committed lazily when first touched ({@link AnonymousMemory}).
     */
    public static RamRegion allocate(Arena arena, String name, long size, boolean readOnly) {
        return new RamRegion(name, AnonymousMemory.allocate(arena, size), readOnly);
    }

    public MemorySegment segment() {
        return segment;
    }

    public boolean readOnly() {
        return readOnly;
    }
}
