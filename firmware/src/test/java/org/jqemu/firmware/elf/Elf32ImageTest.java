package org.jqemu.firmware.elf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class Elf32ImageTest {
    private static ByteBuffer header(int size, int phnum) {
        ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        b.put(0, (byte) 0x7f).put(1, (byte) 'E').put(2, (byte) 'L').put(3, (byte) 'F');
        b.put(4, (byte) 1).put(5, (byte) 1).put(6, (byte) 1);
        b.putShort(18, (short) 3).putInt(24, 0x100000).putInt(28, 52);
        b.putShort(42, (short) 32).putShort(44, (short) phnum);
        return b;
    }

    @Test
    void readsLoadSegmentsOnly() {
        ByteBuffer b = header(0x200, 3);
        b.putInt(52, 6);                                             // PT_PHDR
        b.putInt(84, 1).putInt(88, 0x100).putInt(92, 0xc0000000).putInt(96, 0x100000)
                .putInt(100, 0x80).putInt(104, 0x1000).putInt(108, 5);
        b.putInt(116, 0x6474e551);                                   // PT_GNU_STACK
        Elf32Image e = Elf32Image.parse(b.array());
        assertEquals(3, e.machine());
        assertEquals(1, e.loadSegments().size());
        Elf32Image.Segment s = e.loadSegments().get(0);
        assertEquals(new Elf32Image.Segment(0x100, 0xc0000000L, 0x100000, 0x80, 0x1000, 5), s);
    }

    @Test
    void rejectsMalformedFiles() {
        assertEquals("file too small for an ELF header",
                assertThrows(IllegalArgumentException.class, () -> Elf32Image.parse(new byte[40])).getMessage());
        ByteBuffer b64 = header(0x100, 0);
        b64.put(4, (byte) 2);
        assertEquals("not a 32-bit ELF file",
                assertThrows(IllegalArgumentException.class, () -> Elf32Image.parse(b64.array())).getMessage());
        ByteBuffer be = header(0x100, 0);
        be.put(5, (byte) 2);
        assertEquals("not a little-endian ELF file",
                assertThrows(IllegalArgumentException.class, () -> Elf32Image.parse(be.array())).getMessage());
        ByteBuffer phOut = header(0x60, 2);
        assertEquals("program headers lie outside the file",
                assertThrows(IllegalArgumentException.class, () -> Elf32Image.parse(phOut.array())).getMessage());
        ByteBuffer fileBig = header(0x100, 1);
        fileBig.putInt(52, 1).putInt(56, 0).putInt(68, 0x80).putInt(72, 0x40);
        assertEquals("segment 0 has more file data than memory",
                assertThrows(IllegalArgumentException.class, () -> Elf32Image.parse(fileBig.array())).getMessage());
    }

    @Test
    void machineIsReadAtTheSameOffsetForAnyClass() {
        ByteBuffer b = header(0x40, 0);
        b.putShort(18, (short) 62);
        assertEquals(62, Elf32Image.machineOf(b.array()));
        assertEquals(0, Elf32Image.machineOf(new byte[10]));
    }
}
