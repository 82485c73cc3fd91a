package org.jqemu.firmware.elf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * A little-endian 32-bit ELF executable as a boot loader sees it: the header's machine and entry
 * point and the loadable (PT_LOAD) program headers. Follows the System V ABI, "ELF Header" and
 * "Program Header" chapters; sections and symbols are not read.
 */
public final class Elf32Image {
    public static final int EM_386 = 3;
    public static final int EM_X86_64 = 62;
    public static final int PT_LOAD = 1;
    public static final int PF_X = 1;

    private static final int EHDR_SIZE = 52;
    private static final int PHDR_SIZE = 32;

    /** One PT_LOAD program header. Addresses and sizes are unsigned 32-bit values. */
    public record Segment(long offset, long vaddr, long paddr, long fileSize, long memSize, int flags) {}

    private final int machine;
    private final long entry;
    private final List<Segment> segments;

    private Elf32Image(int machine, long entry, List<Segment> segments) {
        this.machine = machine;
        this.entry = entry;
        this.segments = List.copyOf(segments);
    }

    /** The e_machine field, readable at the same offset in 32- and 64-bit headers. */
    public static int machineOf(byte[] image) {
        return image.length < 20 ? 0 : (image[18] & 0xff) | (image[19] & 0xff) << 8;
    }

    /**
     * Reads the headers.
     *
     * @throws IllegalArgumentException naming what is wrong when {@code image} is not a
     *     well-formed little-endian ELF32 executable
     */
    public static Elf32Image parse(byte[] image) {
        if (image.length < EHDR_SIZE) {
            throw new IllegalArgumentException("file too small for an ELF header");
        }
        if (image[0] != 0x7f || image[1] != 'E' || image[2] != 'L' || image[3] != 'F') {
            throw new IllegalArgumentException("not an ELF file");
        }
        if (image[4] != 1) {
            throw new IllegalArgumentException("not a 32-bit ELF file");
        }
        if (image[5] != 1) {
            throw new IllegalArgumentException("not a little-endian ELF file");
        }
        ByteBuffer b = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        int machine = b.getShort(18) & 0xffff;
        long entry = b.getInt(24) & 0xffffffffL;
        long phoff = b.getInt(28) & 0xffffffffL;
        int phentsize = b.getShort(42) & 0xffff;
        int phnum = b.getShort(44) & 0xffff;
        if (phnum > 0 && phentsize < PHDR_SIZE) {
            throw new IllegalArgumentException("program header entry size " + phentsize + " is too small");
        }
        if (phoff + (long) phnum * phentsize > image.length) {
            throw new IllegalArgumentException("program headers lie outside the file");
        }
        List<Segment> segs = new ArrayList<>();
        for (int i = 0; i < phnum; i++) {
            int p = (int) (phoff + (long) i * phentsize);
            if (b.getInt(p) != PT_LOAD) {
                continue;
            }
            Segment s = new Segment(
                    b.getInt(p + 4) & 0xffffffffL,
                    b.getInt(p + 8) & 0xffffffffL,
                    b.getInt(p + 12) & 0xffffffffL,
                    b.getInt(p + 16) & 0xffffffffL,
                    b.getInt(p + 20) & 0xffffffffL,
                    b.getInt(p + 24));
            if (s.fileSize() > 0 && s.offset() + s.fileSize() > image.length) {
                throw new IllegalArgumentException("segment " + i + " data lies outside the file");
            }
            if (s.fileSize() > s.memSize()) {
                throw new IllegalArgumentException("segment " + i + " has more file data than memory");
            }
            segs.add(s);
        }
        return new Elf32Image(machine, entry, segs);
    }

    public int machine() {
        return machine;
    }

    /** The e_entry field: a virtual address. */
    public long entry() {
        return entry;
    }

    /** The PT_LOAD segments in program header order. */
    public List<Segment> loadSegments() {
        return segments;
    }

    /**
     * The physical entry address: e_entry moved by (paddr - vaddr) of the executable segment
     * whose file data holds it, so kernels linked to run high but loaded low start correctly.
     */
    public long physicalEntry() {
        long e = entry;
        for (Segment s : segments) {
            if (s.vaddr() != s.paddr() && (s.flags() & PF_X) != 0
                    && entry >= s.vaddr() && entry < s.vaddr() + s.fileSize()) {
                e = (entry - s.vaddr() + s.paddr()) & 0xffffffffL;
            }
        }
        return e;
    }
}
