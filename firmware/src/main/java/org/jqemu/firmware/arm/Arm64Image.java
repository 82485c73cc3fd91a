package org.jqemu.firmware.arm;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import org.jqemu.system.options.ConfigException;

/**
 * A Linux arm64 kernel {@code Image} (Documentation/arch/arm64/booting.rst, "Call the kernel
 * image"): the 64-byte header holds code0/code1, {@code text_offset} (offset 8), {@code image_size}
 * (offset 16, the memory the kernel uses from its load address, BSS included), flags and the magic
 * "ARM\x64" at offset 56. A gzip-compressed Image (Debian's {@code vmlinuz}) is unpacked first, as
 * QEMU does for AArch64 (the bootloader's job there).
 *
 * <p>Where it goes, as QEMU's direct kernel boot: when {@code image_size} is 0 (kernels before
 * 3.17) the old fixed offset 0x80000 from the start of RAM; otherwise {@code text_offset} from a
 * 2 MiB aligned base, moved up by 2 MiB when that offset would overlap QEMU's 4 KiB boot stub at
 * the start of RAM (jqemu has no stub but keeps the addresses identical).
 */
public final class Arm64Image {
    public static final int MAGIC = 0x644d5241; // "ARM\x64"
    public static final int HEADER_SIZE = 64;
    /** Offset from the start of RAM used when the header gives no image size. */
    public static final long LEGACY_TEXT_OFFSET = 0x80000;
    /** QEMU's boot stub area at the start of RAM (BOOTLOADER_MAX_SIZE). */
    static final long BOOT_STUB_SIZE = 0x1000;
    /** Largest kernel we inflate (QEMU's LOAD_IMAGE_MAX_GUNZIP_BYTES). */
    static final long MAX_GUNZIP = 256L << 20;

    private final byte[] bytes;
    private final long textOffset;
    private final long imageSize;

    private Arm64Image(byte[] bytes, long textOffset, long imageSize) {
        this.bytes = bytes;
        this.textOffset = textOffset;
        this.imageSize = imageSize;
    }

    /** Reads {@code -kernel FILE}: an arm64 Image, gzip'd or not. */
    public static Arm64Image load(Path file) throws ConfigException {
        byte[] raw;
        try {
            raw = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new ConfigException("could not load kernel '" + file + "'");
        }
        return parse(raw, file.toString());
    }

    /** Parses an Image (gzip'd or not) held in memory; {@code name} is for messages. */
    public static Arm64Image parse(byte[] raw, String name) throws ConfigException {
        byte[] image = isGzip(raw) ? gunzip(raw, name) : raw;
        if (image.length < HEADER_SIZE) {
            throw new ConfigException("could not load kernel '" + name + "': too small for an arm64 Image");
        }
        ByteBuffer b = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        if (b.getInt(56) != MAGIC) {
            throw new ConfigException("could not load kernel '" + name + "': not an arm64 Image (no ARM\\x64 magic)");
        }
        return new Arm64Image(image, b.getLong(8), b.getLong(16));
    }

    static boolean isGzip(byte[] b) {
        return b.length > 2 && (b[0] & 0xff) == 0x1f && (b[1] & 0xff) == 0x8b;
    }

    private static byte[] gunzip(byte[] raw, String name) throws ConfigException {
        try (InputStream in = new GZIPInputStream(new java.io.ByteArrayInputStream(raw), 1 << 16)) {
            ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length * 3);
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) {
                out.write(buf, 0, n);
                if (out.size() > MAX_GUNZIP) {
                    throw new ConfigException("could not load kernel '" + name + "': inflates to more than 256 MiB");
                }
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw new ConfigException("could not load kernel '" + name + "': bad gzip data (" + e.getMessage() + ")");
        }
    }

    /** The kernel bytes to copy into RAM (inflated). */
    public byte[] bytes() {
        return bytes;
    }

    public long textOffset() {
        return textOffset;
    }

    /** The header's effective image size (0 for kernels that predate the field). */
    public long imageSize() {
        return imageSize;
    }

    /** Offset from the start of RAM where this Image is loaded and entered. */
    public long loadOffset() {
        if (imageSize == 0) {
            return LEGACY_TEXT_OFFSET;
        }
        return textOffset < BOOT_STUB_SIZE ? textOffset + (2L << 20) : textOffset;
    }

    /** Memory the kernel occupies from its load address: the larger of file and header size. */
    public long footprint() {
        return Math.max(bytes.length, imageSize);
    }
}
