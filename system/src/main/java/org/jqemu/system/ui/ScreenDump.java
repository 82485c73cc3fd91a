package org.jqemu.system.ui;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;

/**
 * Writes a display surface as a picture file, as QEMU's {@code screendump}: binary PPM (P6,
 * maxval 255) by default, or PNG (8-bit RGB, no alpha) with {@code format=png}.
 */
public final class ScreenDump {
    private ScreenDump() {}

    public enum Format { PPM, PNG }

    /** Refreshes {@code console} and writes its picture to {@code file}. */
    public static void write(GraphicConsole console, Path file, Format format) throws IOException {
        console.refresh();
        DisplaySurface s = console.surface();
        int w;
        int h;
        int[] px;
        synchronized (s) {
            w = s.width();
            h = s.height();
            px = s.snapshot();
        }
        byte[] data = format == Format.PNG ? png(w, h, px) : ppm(w, h, px);
        Files.write(file, data);
    }

    public static byte[] ppm(int w, int h, int[] px) {
        byte[] header = ("P6\n" + w + " " + h + "\n255\n").getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[header.length + 3 * w * h];
        System.arraycopy(header, 0, out, 0, header.length);
        int o = header.length;
        for (int i = 0; i < w * h; i++) {
            int p = px[i];
            out[o++] = (byte) (p >> 16);
            out[o++] = (byte) (p >> 8);
            out[o++] = (byte) p;
        }
        return out;
    }

    /** PNG (ISO/IEC 15948): signature, IHDR, one zlib IDAT with filter type 0 rows, IEND. */
    public static byte[] png(int w, int h, int[] px) {
        try {
            ByteArrayOutputStream raw = new ByteArrayOutputStream(w * h + h);
            Deflater deflater = new Deflater(6);
            try (OutputStream z = new DeflaterOutputStream(raw, deflater)) {
                byte[] row = new byte[1 + 3 * w];
                for (int y = 0; y < h; y++) {
                    int o = 1;
                    for (int x = 0; x < w; x++) {
                        int p = px[y * w + x];
                        row[o++] = (byte) (p >> 16);
                        row[o++] = (byte) (p >> 8);
                        row[o++] = (byte) p;
                    }
                    z.write(row);
                }
            } finally {
                deflater.end();
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            DataOutputStream d = new DataOutputStream(out);
            d.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
            ByteArrayOutputStream ihdr = new ByteArrayOutputStream();
            DataOutputStream hd = new DataOutputStream(ihdr);
            hd.writeInt(w);
            hd.writeInt(h);
            hd.write(new byte[] {8, 2, 0, 0, 0}); // 8 bits, RGB, deflate, adaptive filters, no interlace
            chunk(d, "IHDR", ihdr.toByteArray());
            chunk(d, "IDAT", raw.toByteArray());
            chunk(d, "IEND", new byte[0]);
            return out.toByteArray();
        } catch (IOException e) {
            throw new IllegalStateException(e); // in-memory streams do not fail
        }
    }

    private static void chunk(DataOutputStream d, String type, byte[] data) throws IOException {
        byte[] t = type.getBytes(StandardCharsets.US_ASCII);
        d.writeInt(data.length);
        d.write(t);
        d.write(data);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        d.writeInt((int) crc.getValue());
    }
}
