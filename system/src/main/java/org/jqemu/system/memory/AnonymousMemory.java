package org.jqemu.system.memory;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Guest RAM from {@code mmap(MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE)}: page aligned, zero,
 * and committed only when the guest touches a page, so a 4 GiB guest starts as fast as a 4 MiB
 * one (an {@link Arena#allocate} zeroes every byte up front). The mapping is released when the
 * arena closes. Where native access is not available, falls back to {@link Arena#allocate}.
 */
final class AnonymousMemory {
    private static final int PROT_READ_WRITE = 0x1 | 0x2;
    private static final int MAP_PRIVATE_ANONYMOUS_NORESERVE = 0x02 | 0x20 | 0x4000;
    private static final MethodHandle MMAP;
    private static final MethodHandle MUNMAP;

    static {
        MethodHandle mmap = null;
        MethodHandle munmap = null;
        try {
            Linker linker = Linker.nativeLinker();
            var libc = linker.defaultLookup();
            mmap = linker.downcallHandle(libc.find("mmap").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG,
                            ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG));
            munmap = linker.downcallHandle(libc.find("munmap").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
        } catch (RuntimeException | LinkageError e) {
            mmap = null;
            munmap = null;
        }
        MMAP = mmap;
        MUNMAP = munmap;
    }

    private AnonymousMemory() {}

    static MemorySegment allocate(Arena arena, long size) {
        long rounded = (size + 4095) & ~4095L;
        if (MMAP != null) {
            try {
                MemorySegment p = (MemorySegment) MMAP.invokeExact(MemorySegment.NULL, rounded, PROT_READ_WRITE,
                        MAP_PRIVATE_ANONYMOUS_NORESERVE, -1, 0L);
                if (p.address() != -1L) {
                    long addr = p.address();
                    return p.reinterpret(rounded, arena, s -> unmap(addr, rounded)).asSlice(0, size);
                }
            } catch (Throwable e) {
                // fall through to the heap-independent but eager allocation below
            }
        }
        return arena.allocate(size, 4096);
    }

    private static void unmap(long addr, long size) {
        try {
            int rc = (int) MUNMAP.invokeExact(MemorySegment.ofAddress(addr), size);
            assert rc == 0;
        } catch (Throwable e) {
            // Nothing useful to do while an arena closes; the process is usually ending.
        }
    }
}
