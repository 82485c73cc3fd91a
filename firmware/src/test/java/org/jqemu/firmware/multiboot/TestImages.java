package org.jqemu.firmware.multiboot;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Builds small multiboot kernels byte by byte, so the tests need no assembler. */
final class TestImages {
    static final int MAGIC = 0x1BADB002;
    static final int AOUT = 1 << 16;

    private TestImages() {}

    /** A multiboot header with the a.out kludge fields, for placing at {@code offset}. */
    static void putAoutHeader(ByteBuffer b, int offset, int flags, long headerAddr, long loadAddr,
                              long loadEndAddr, long bssEndAddr, long entry) {
        b.putInt(offset, MAGIC);
        b.putInt(offset + 4, flags);
        b.putInt(offset + 8, -(MAGIC + flags));
        b.putInt(offset + 12, (int) headerAddr);
        b.putInt(offset + 16, (int) loadAddr);
        b.putInt(offset + 20, (int) loadEndAddr);
        b.putInt(offset + 24, (int) bssEndAddr);
        b.putInt(offset + 28, (int) entry);
    }

    /**
     * A flat kernel of {@code size} bytes loaded at {@code loadAddr}: header at offset 0, the
     * rest filled with the pattern (offset * 7 + 1). bssEnd 0 means no bss.
     */
    static byte[] aout(int size, long loadAddr, long bssEnd, long entry) {
        ByteBuffer b = le(size);
        for (int i = 32; i < size; i++) {
            b.put(i, pattern(i));
        }
        putAoutHeader(b, 0, AOUT, loadAddr, loadAddr, loadAddr + size, bssEnd, entry);
        return b.array();
    }

    static byte pattern(int i) {
        return (byte) (i * 7 + 1);
    }

    /** One program header of an ELF32 image. */
    record Seg(int type, long offset, long vaddr, long paddr, long filesz, long memsz, int flags) {
        static Seg load(long offset, long addr, long filesz, long memsz, int flags) {
            return new Seg(1, offset, addr, addr, filesz, memsz, flags);
        }
    }

    /**
     * An ELF32 executable of {@code size} bytes: header, program headers at 52, a multiboot
     * header (no a.out kludge) at 0x100 and the pattern everywhere else after it.
     */
    static byte[] elf(int size, int machine, long entry, Seg... segs) {
        ByteBuffer b = le(size);
        for (int i = 0x10c; i < size; i++) {
            b.put(i, pattern(i));
        }
        b.put(0, (byte) 0x7f).put(1, (byte) 'E').put(2, (byte) 'L').put(3, (byte) 'F');
        b.put(4, (byte) 1).put(5, (byte) 1).put(6, (byte) 1);
        b.putShort(16, (short) 2);             // ET_EXEC
        b.putShort(18, (short) machine);
        b.putInt(20, 1);
        b.putInt(24, (int) entry);
        b.putInt(28, 52);                      // e_phoff
        b.putShort(40, (short) 52);            // e_ehsize
        b.putShort(42, (short) 32);            // e_phentsize
        b.putShort(44, (short) segs.length);
        for (int i = 0; i < segs.length; i++) {
            int p = 52 + 32 * i;
            Seg s = segs[i];
            b.putInt(p, s.type()).putInt(p + 4, (int) s.offset()).putInt(p + 8, (int) s.vaddr())
                    .putInt(p + 12, (int) s.paddr()).putInt(p + 16, (int) s.filesz())
                    .putInt(p + 20, (int) s.memsz()).putInt(p + 24, s.flags()).putInt(p + 28, 4096);
        }
        b.putInt(0x100, MAGIC).putInt(0x104, 2).putInt(0x108, -(MAGIC + 2));
        return b.array();
    }

    static ByteBuffer le(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }
}
