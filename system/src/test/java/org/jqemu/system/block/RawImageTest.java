package org.jqemu.system.block;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Scattered (vectored) reads and writes of a raw image, as virtio-blk issues them per guest page. */
class RawImageTest {
    @TempDir
    Path dir;

    @Test
    void scatteredWriteAndReadLandAtTheirOffsets() throws Exception {
        Path f = dir.resolve("d.raw");
        Files.write(f, new byte[64 * 1024]);
        byte[] data = new byte[3 * 4096 + 512];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 31 + 7);
        }
        try (RawImage img = RawImage.open("d", f.toString(), false)) {
            img.write(1024, split(ByteBuffer.wrap(data.clone()), 4096, 4096, 512, 4096));
            ByteBuffer[] back = {ByteBuffer.allocateDirect(100), ByteBuffer.allocateDirect(data.length - 100)};
            img.read(1024, back);
            byte[] got = new byte[data.length];
            back[0].flip().get(got, 0, 100);
            back[1].flip().get(got, 100, data.length - 100);
            assertArrayEquals(data, got);
        }
        byte[] file = Files.readAllBytes(f);
        assertArrayEquals(data, Arrays.copyOfRange(file, 1024, 1024 + data.length));
        assertEquals(0, file[1023]);
        assertEquals(0, file[1024 + data.length]);
    }

    @Test
    void bytesPastTheEndOfTheFileReadAsZeros() throws Exception {
        Path f = dir.resolve("short.raw");
        Files.write(f, new byte[] {1, 2, 3, 4});
        try (RawImage img = RawImage.open("s", f.toString(), true)) {
            ByteBuffer a = ByteBuffer.allocate(2);
            ByteBuffer b = ByteBuffer.wrap(new byte[] {9, 9, 9, 9});
            img.read(2, new ByteBuffer[] {a, b});
            assertArrayEquals(new byte[] {3, 4}, a.array());
            assertArrayEquals(new byte[4], b.array());
        }
    }

    private static ByteBuffer[] split(ByteBuffer all, int... sizes) {
        ByteBuffer[] out = new ByteBuffer[sizes.length];
        int pos = 0;
        for (int i = 0; i < sizes.length; i++) {
            out[i] = all.slice(pos, sizes[i]);
            pos += sizes[i];
        }
        return out;
    }
}
