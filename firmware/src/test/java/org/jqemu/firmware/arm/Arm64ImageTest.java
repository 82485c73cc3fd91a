package org.jqemu.firmware.arm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.GZIPOutputStream;
import org.jqemu.system.options.ConfigException;
import org.junit.jupiter.api.Test;

class Arm64ImageTest {
    static byte[] image(long textOffset, long imageSize, int length) {
        ByteBuffer b = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, 0x91005a4d); // code0: "MZ" + add, as real kernels
        b.putLong(8, textOffset);
        b.putLong(16, imageSize);
        b.putInt(56, Arm64Image.MAGIC);
        return b.array();
    }

    static byte[] gzip(byte[] data) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(data);
        }
        return out.toByteArray();
    }

    @Test
    void modernKernelLoadsTwoMegabytesUpWithTextOffsetZero() throws Exception {
        Arm64Image img = Arm64Image.parse(image(0, 0x200_0000, 4096), "Image");
        assertEquals(2L << 20, img.loadOffset());
        assertEquals(0x200_0000, img.footprint());
    }

    @Test
    void textOffsetIsHonouredAndOldKernelsUseTheFixedOffset() throws Exception {
        assertEquals(0x80000, Arm64Image.parse(image(0x80000, 0x100_0000, 4096), "Image").loadOffset());
        assertEquals(0x80000, Arm64Image.parse(image(0x12345, 0, 4096), "Image").loadOffset());
    }

    @Test
    void gzipCompressedImagesAreInflated() throws Exception {
        byte[] raw = image(0, 0x100_0000, 8192);
        raw[5000] = 42;
        Arm64Image img = Arm64Image.parse(gzip(raw), "vmlinuz");
        assertArrayEquals(raw, img.bytes());
    }

    @Test
    void notAnImageIsAConfigError() {
        byte[] b = image(0, 0, 4096);
        b[56] = 0;
        ConfigException e = assertThrows(ConfigException.class, () -> Arm64Image.parse(b, "bzImage"));
        assertTrue(e.getMessage().startsWith("could not load kernel 'bzImage'"), e.getMessage());
        assertThrows(ConfigException.class, () -> Arm64Image.parse(new byte[10], "tiny"));
        assertThrows(ConfigException.class, () -> Arm64Image.parse(new byte[] {0x1f, (byte) 0x8b, 8, 0, 1}, "bad.gz"));
    }

    @Test
    void layoutPutsInitrdAt128MiBAndTheDtbAfterItOnA2MiBBoundary() throws Exception {
        Arm64Image img = Arm64Image.parse(image(0, 0x200_0000, 4096), "Image");
        Arm64BootLayout l = Arm64BootLayout.plan(0x4000_0000L, 512L << 20, img, 0x112a3b, 0x10_0000);
        assertEquals(0x4020_0000L, l.kernel());
        assertEquals(0x4800_0000L, l.initrd()); // what QEMU 7.2 puts in linux,initrd-start
        assertEquals(0x4820_0000L, l.dtb());
        // Small RAM: the initrd goes half way up, but never into the kernel.
        Arm64BootLayout small = Arm64BootLayout.plan(0x4000_0000L, 64L << 20, img, 0x1000, 0x1000);
        assertEquals(0x4220_0000L, small.initrd());
        assertThrows(ConfigException.class, () -> Arm64BootLayout.plan(0x4000_0000L, 32L << 20, img, 0x100_0000, 0x1000));
    }
}
