package org.jqemu.hw.nvram;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.jqemu.hw.TestMachines;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.memory.IoRegion;
import org.jqemu.system.memory.RamRegion;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class FwCfgTest {
    Machine m;
    FwCfg fw;

    @BeforeEach
    void setUp() {
        m = TestMachines.newMachine();
        m.memory().root().add(0, RamRegion.allocate(m.arena(), "ram", 1 << 20, false));
        fw = new FwCfg(m, "fw_cfg", true);
        m.io().root().add(0x510, new IoRegion("fwcfg", 2, fw.ioPorts()));
        m.io().root().add(0x514, new IoRegion("fwcfg.dma", 8, fw.dmaPorts()));
    }

    byte[] readPort(int key, int n) {
        m.io().write(0x510, 2, key);
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) m.io().read(0x511, 1);
        }
        return b;
    }

    /** Writes a FWCfgDmaAccess at 0x1000 and starts it the way SeaBIOS does (outl of the byte-swapped low half). */
    int dma(int control, int length, long address) {
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.BIG_ENDIAN);
        b.putInt(control).putInt(length).putLong(address);
        m.memory().writeBytes(0x1000, b.array());
        m.io().write(0x514, 4, 0);
        m.io().write(0x518, 4, Integer.reverseBytes(0x1000) & 0xffff_ffffL);
        return Integer.reverseBytes(m.memory().read32(0x1000));
    }

    @Test
    void signatureIdAndDmaSignature() {
        assertEquals("QEMU", new String(readPort(FwCfg.SIGNATURE, 4), StandardCharsets.US_ASCII));
        assertArrayEquals(new byte[] {3, 0, 0, 0}, readPort(FwCfg.ID, 4));
        // inl(0x514) then inl(0x518), each byte-swapped by the reader, is "QEMU CFG".
        long hi = Integer.reverseBytes((int) m.io().read(0x514, 4)) & 0xffff_ffffL;
        long lo = Integer.reverseBytes((int) m.io().read(0x518, 4)) & 0xffff_ffffL;
        assertEquals(FwCfg.DMA_SIGNATURE, hi << 32 | lo);
    }

    @Test
    void dataPastTheEndReadsZeroAndSelectorRestarts() {
        fw.addInt64(FwCfg.RAM_SIZE, 0x0800_0000L);
        assertArrayEquals(new byte[] {0, 0, 0, 8, 0, 0, 0, 0, 0, 0}, readPort(FwCfg.RAM_SIZE, 10));
        assertArrayEquals(new byte[] {0, 0, 0, 8}, readPort(FwCfg.RAM_SIZE | FwCfg.WRITE_CHANNEL, 4),
                "bit 14 is ignored");
        assertArrayEquals(new byte[2], readPort(0x3fff, 2), "missing item reads 0");
        fw.addInt32(FwCfg.X86_IRQ0_OVERRIDE, 1);
        assertArrayEquals(new byte[] {1, 0, 0, 0}, readPort(FwCfg.X86_IRQ0_OVERRIDE, 4));
    }

    @Test
    void fileDirectoryIsSortedBigEndian() {
        fw.addFile("etc/e820", new byte[40]);
        fw.addFile("bootorder", "/pci@i0cf8/".getBytes(StandardCharsets.US_ASCII));
        byte[] dir = readPort(FwCfg.FILE_DIR, 4 + 2 * 64);
        ByteBuffer b = ByteBuffer.wrap(dir).order(ByteOrder.BIG_ENDIAN);
        assertEquals(2, b.getInt(0));
        assertEquals(11, b.getInt(4));
        assertEquals(0x20, b.getShort(8));
        assertEquals("bootorder", new String(dir, 12, 9, StandardCharsets.US_ASCII));
        assertEquals(0, dir[12 + 9]);
        assertEquals(40, b.getInt(4 + 64));
        assertEquals(0x21, b.getShort(4 + 64 + 4));
        assertEquals("etc/e820", new String(dir, 4 + 64 + 8, 8, StandardCharsets.US_ASCII));
        assertEquals("/pci", new String(readPort(0x20, 4), StandardCharsets.US_ASCII));
        assertEquals(0x21, fw.fileKey("etc/e820"));
        assertThrows(IllegalArgumentException.class, () -> fw.addFile("x".repeat(56), new byte[1]));
    }

    @Test
    void dmaSelectReadSkipAndZeroFill() {
        fw.addFile("opt/test", new byte[] {1, 2, 3, 4, 5, 6});
        int key = fw.fileKey("opt/test");
        assertEquals(0, dma(key << 16 | FwCfg.DMA_SELECT | FwCfg.DMA_READ, 2, 0x2000));
        assertEquals(0x0201, m.memory().read16(0x2000));
        assertEquals(0, dma(FwCfg.DMA_SKIP, 1, 0));
        m.memory().write32(0x2100, -1);
        assertEquals(0, dma(FwCfg.DMA_READ, 5, 0x2100));
        assertEquals(0x0605_04L, m.memory().read32(0x2100) & 0xffffffL);
        assertEquals(0, m.memory().read8(0x2103), "past the end reads 0");
        // The data port continues from the same offset.
        assertEquals(0, m.io().read(0x511, 1));
        // A 64-bit address register write (two halves, high first) also works.
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.BIG_ENDIAN);
        b.putInt(FwCfg.SIGNATURE << 16 | FwCfg.DMA_SELECT | FwCfg.DMA_READ).putInt(4).putLong(0x3000);
        m.memory().writeBytes(0x1800, b.array());
        m.io().write(0x514, 4, 0);
        m.io().write(0x518, 4, Integer.reverseBytes(0x1800) & 0xffff_ffffL);
        assertEquals("QEMU", new String(new byte[] {(byte) m.memory().read8(0x3000), (byte) m.memory().read8(0x3001),
            (byte) m.memory().read8(0x3002), (byte) m.memory().read8(0x3003)}, StandardCharsets.US_ASCII));
    }

    @Test
    void dmaWriteOnlyIntoWritableItemsWithinTheirSize() {
        int[] seen = new int[2];
        fw.addFile("etc/rw", new byte[4], true, (off, len) -> {
            seen[0] = (int) off;
            seen[1] = len;
        });
        fw.addFile("etc/ro", new byte[4]);
        m.memory().write32(0x2000, 0x44332211);
        int rw = fw.fileKey("etc/rw");
        assertEquals(0, dma(rw << 16 | FwCfg.DMA_SELECT | FwCfg.DMA_SKIP, 1, 0));
        assertEquals(0, dma(FwCfg.DMA_WRITE, 2, 0x2000));
        assertArrayEquals(new byte[] {0, 0x11, 0x22, 0}, fw.file("etc/rw"));
        assertEquals(1, seen[0]);
        assertEquals(2, seen[1]);
        assertEquals(FwCfg.DMA_ERROR, dma(rw << 16 | FwCfg.DMA_SELECT | FwCfg.DMA_WRITE, 5, 0x2000), "too long");
        assertEquals(FwCfg.DMA_ERROR, dma(fw.fileKey("etc/ro") << 16 | FwCfg.DMA_SELECT | FwCfg.DMA_WRITE, 1, 0x2000));
        assertArrayEquals(new byte[4], fw.file("etc/ro"));
    }

    @Test
    void linuxBootItems() {
        fw.addCmdline(0x20000, "console=ttyS0");
        assertArrayEquals(new byte[] {14, 0, 0, 0}, readPort(FwCfg.CMDLINE_SIZE, 4));
        assertEquals("console=ttyS0\0", new String(readPort(FwCfg.CMDLINE_DATA, 14), StandardCharsets.US_ASCII));
        fw.addKernel(0x100000, new byte[] {9, 8});
        assertArrayEquals(new byte[] {2, 0, 0, 0}, readPort(FwCfg.KERNEL_SIZE, 4));
        assertArrayEquals(new byte[] {0, 0, 0x10, 0}, readPort(FwCfg.KERNEL_ADDR, 4));
    }
}
