package org.jqemu.firmware.acpi;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * A small encoder for the ACPI Machine Language a DSDT is made of (ACPI 6.5, 20.2 "AML Grammar
 * Definition"), and for the resource descriptors of {@code _CRS} buffers (6.4 "Resource Data
 * Types for ACPI"). Each static method returns the encoded bytes of one term; terms nest by
 * passing their encodings as the body of another.
 */
public final class Aml {
    static final int ZERO_OP = 0x00, ONE_OP = 0x01, NAME_OP = 0x08, BYTE_PREFIX = 0x0a, WORD_PREFIX = 0x0b,
            DWORD_PREFIX = 0x0c, STRING_PREFIX = 0x0d, QWORD_PREFIX = 0x0e, SCOPE_OP = 0x10, BUFFER_OP = 0x11,
            PACKAGE_OP = 0x12, METHOD_OP = 0x14, RETURN_OP = 0xa4, EXT_OP = 0x5b, DEVICE_OP = 0x82,
            ONES_OP = 0xff, DUAL_NAME_PREFIX = 0x2e, MULTI_NAME_PREFIX = 0x2f, LOCAL0_OP = 0x60, ARG0_OP = 0x68,
            STORE_OP = 0x70, AND_OP = 0x7b, NOTIFY_OP = 0x86, IF_OP = 0xa0, OP_REGION_OP = 0x80, FIELD_OP = 0x81;

    private Aml() {}

    /** Concatenates terms. */
    public static byte[] seq(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    /**
     * PkgLength (20.2.4) for a package whose contents after the PkgLength are {@code n} bytes:
     * the encoded length counts its own bytes too.
     */
    static byte[] pkgLength(int n) {
        if (n + 1 < 0x40) {
            return new byte[] {(byte) (n + 1)};
        }
        for (int extra = 1; extra <= 3; extra++) {
            int total = n + 1 + extra;
            if (total < 1 << (4 + 8 * extra)) {
                byte[] b = new byte[1 + extra];
                b[0] = (byte) (extra << 6 | (total & 0x0f));
                for (int i = 1; i <= extra; i++) {
                    b[i] = (byte) (total >>> (4 + 8 * (i - 1)));
                }
                return b;
            }
        }
        throw new IllegalArgumentException("AML package too large: " + n);
    }

    /** An opcode followed by a PkgLength covering {@code body}. */
    private static byte[] pkg(byte[] op, byte[] body) {
        return seq(op, pkgLength(body.length), body);
    }

    /**
     * A NameString (20.2.2): segments separated by '.', each up to four characters padded with
     * '_', optionally led by '\' (root) or '^' (parent).
     */
    public static byte[] name(String path) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int i = 0;
        while (i < path.length() && (path.charAt(i) == '\\' || path.charAt(i) == '^')) {
            out.write(path.charAt(i++));
        }
        String rest = path.substring(i);
        String[] segs = rest.isEmpty() ? new String[0] : rest.split("\\.");
        if (segs.length == 0) {
            out.write(0x00); // NullName
        } else if (segs.length == 2) {
            out.write(DUAL_NAME_PREFIX);
        } else if (segs.length > 2) {
            out.write(MULTI_NAME_PREFIX);
            out.write(segs.length);
        }
        for (String s : segs) {
            out.writeBytes(nameSeg(s));
        }
        return out.toByteArray();
    }

    static byte[] nameSeg(String s) {
        if (s.isEmpty() || s.length() > 4 || !s.matches("[A-Z_][A-Z0-9_]*")) {
            throw new IllegalArgumentException("bad AML name segment '" + s + "'");
        }
        return (s + "____".substring(s.length())).getBytes(StandardCharsets.US_ASCII);
    }

    /** The shortest integer encoding of {@code v} (20.2.3 ComputationalData / ConstObj). */
    public static byte[] integer(long v) {
        if (v == 0) {
            return new byte[] {ZERO_OP};
        }
        if (v == 1) {
            return new byte[] {ONE_OP};
        }
        if (v >= 0 && v <= 0xff) {
            return new byte[] {BYTE_PREFIX, (byte) v};
        }
        if (v >= 0 && v <= 0xffff) {
            return new byte[] {WORD_PREFIX, (byte) v, (byte) (v >> 8)};
        }
        if (v >= 0 && v <= 0xffffffffL) {
            return new byte[] {DWORD_PREFIX, (byte) v, (byte) (v >> 8), (byte) (v >> 16), (byte) (v >> 24)};
        }
        byte[] b = new byte[9];
        b[0] = QWORD_PREFIX;
        for (int i = 0; i < 8; i++) {
            b[1 + i] = (byte) (v >>> (8 * i));
        }
        return b;
    }

    /** A null-terminated ASCII string constant. */
    public static byte[] string(String s) {
        return seq(new byte[] {STRING_PREFIX}, s.getBytes(StandardCharsets.US_ASCII), new byte[] {0});
    }

    /**
     * A compressed EISA ID ("PNP0A03") as the 32-bit integer AML uses for _HID: three letters of
     * five bits each, then four hex digits, stored big-endian byte by byte.
     */
    public static byte[] eisaId(String id) {
        if (!id.matches("[A-Z]{3}[0-9A-F]{4}")) {
            throw new IllegalArgumentException("bad EISA ID '" + id + "'");
        }
        int letters = (id.charAt(0) - 0x40) << 10 | (id.charAt(1) - 0x40) << 5 | (id.charAt(2) - 0x40);
        int hex = Integer.parseInt(id.substring(3), 16);
        long v = (letters >> 8) | (letters & 0xff) << 8 | (hex >> 8) << 16 | (long) (hex & 0xff) << 24;
        return new byte[] {DWORD_PREFIX, (byte) v, (byte) (v >> 8), (byte) (v >> 16), (byte) (v >> 24)};
    }

    /** Name(path, value). */
    public static byte[] nameDecl(String path, byte[] value) {
        return seq(new byte[] {NAME_OP}, name(path), value);
    }

    /** Scope(path) { body }. */
    public static byte[] scope(String path, byte[]... body) {
        return pkg(new byte[] {SCOPE_OP}, seq(name(path), seq(body)));
    }

    /** Device(path) { body }. */
    public static byte[] device(String path, byte[]... body) {
        return pkg(new byte[] {EXT_OP, (byte) DEVICE_OP}, seq(name(path), seq(body)));
    }

    /** Method(path, argCount, NotSerialized) { body }. */
    public static byte[] method(String path, int args, byte[]... body) {
        return pkg(new byte[] {METHOD_OP}, seq(name(path), new byte[] {(byte) (args & 7)}, seq(body)));
    }

    /** Return(value). */
    public static byte[] returnOf(byte[] value) {
        return seq(new byte[] {(byte) RETURN_OP}, value);
    }

    /** LocalN (20.2.6.2), N from 0 to 7. */
    public static byte[] local(int n) {
        if (n < 0 || n > 7) {
            throw new IllegalArgumentException("Local" + n);
        }
        return new byte[] {(byte) (LOCAL0_OP + n)};
    }

    /** ArgN (20.2.6.1), N from 0 to 6. */
    public static byte[] arg(int n) {
        if (n < 0 || n > 6) {
            throw new IllegalArgumentException("Arg" + n);
        }
        return new byte[] {(byte) (ARG0_OP + n)};
    }

    /** Store(source, target): {@code target} is a SuperName (a name path, LocalN or ArgN). */
    public static byte[] store(byte[] source, byte[] target) {
        return seq(new byte[] {STORE_OP}, source, target);
    }

    /** And(a, b) with no target: the bitwise AND as a value (20.2.5.4 DefAnd). */
    public static byte[] and(byte[] a, byte[] b) {
        return seq(new byte[] {AND_OP}, a, b, new byte[] {0x00});
    }

    /** If (predicate) { body }. */
    public static byte[] ifThen(byte[] predicate, byte[]... body) {
        return pkg(new byte[] {(byte) IF_OP}, seq(predicate, seq(body)));
    }

    /** Notify(object, value): 0 bus check, 1 device check, 3 eject request (5.6.6). */
    public static byte[] notify(String object, int value) {
        return seq(new byte[] {(byte) NOTIFY_OP}, name(object), integer(value));
    }

    /** Address space IDs of an OperationRegion (19.6.100). */
    public static final int REGION_SYSTEM_MEMORY = 0, REGION_SYSTEM_IO = 1;

    /** OperationRegion(name, space, offset, length). */
    public static byte[] operationRegion(String path, int space, long offset, long length) {
        return seq(new byte[] {EXT_OP, (byte) OP_REGION_OP}, name(path), new byte[] {(byte) space}, integer(offset),
                integer(length));
    }

    /** Field flags: DWordAcc, NoLock, WriteAsZeros (19.6.48). */
    public static final int FIELD_DWORD_ACC_WRITE_ZEROS = 0x03 | 2 << 5;

    /** One named unit of a Field: {@code bits} wide, following the previous one. */
    public record FieldUnit(String name, int bits) {}

    /** Field(region, flags) { units }. */
    public static byte[] field(String region, int flags, FieldUnit... units) {
        ByteArrayOutputStream list = new ByteArrayOutputStream();
        for (FieldUnit u : units) {
            list.writeBytes(nameSeg(u.name()));
            // A field element's length is a PkgLength-encoded bit count that does not count itself.
            list.writeBytes(u.bits() < 0x40 ? new byte[] {(byte) u.bits()} : fieldLength(u.bits()));
        }
        return pkg(new byte[] {EXT_OP, (byte) FIELD_OP}, seq(name(region), new byte[] {(byte) flags},
                list.toByteArray()));
    }

    /** The multi-byte PkgLength form of a raw value (field unit widths of 64 bits and more). */
    private static byte[] fieldLength(int v) {
        if (v < 1 << 12) {
            return new byte[] {(byte) (1 << 6 | (v & 0x0f)), (byte) (v >> 4)};
        }
        return new byte[] {(byte) (2 << 6 | (v & 0x0f)), (byte) (v >> 4), (byte) (v >> 12)};
    }

    /** Package() { elements }, each element a data object. */
    public static byte[] packageOf(byte[]... elements) {
        if (elements.length > 255) {
            throw new IllegalArgumentException("AML package of " + elements.length + " elements");
        }
        return pkg(new byte[] {PACKAGE_OP}, seq(new byte[] {(byte) elements.length}, seq(elements)));
    }

    /** Buffer() { bytes }. */
    public static byte[] buffer(byte[] data) {
        return pkg(new byte[] {BUFFER_OP}, seq(integer(data.length), data));
    }

    /** A ResourceTemplate: the descriptors followed by an end tag, as a Buffer. */
    public static byte[] resourceTemplate(byte[]... descriptors) {
        return buffer(seq(seq(descriptors), new byte[] {0x79, 0x00}));
    }

    // ---- resource descriptors (6.4) --------------------------------------------------------------

    /** IO(Decode16, min, max, alignment, length): small descriptor 0x08 (6.4.2.5). */
    public static byte[] io(int min, int max, int align, int length) {
        return new byte[] {0x47, 0x01, (byte) min, (byte) (min >> 8), (byte) max, (byte) (max >> 8), (byte) align,
                (byte) length};
    }

    /** IRQNoFlags() { irq }: small descriptor 0x04 (6.4.2.1), edge triggered, active high. */
    public static byte[] irqNoFlags(int irq) {
        int mask = 1 << irq;
        return new byte[] {0x22, (byte) mask, (byte) (mask >> 8)};
    }

    /**
     * Interrupt(ResourceConsumer, Level, ActiveHigh, Shared) { irq }: extended interrupt
     * descriptor, large item 0x09 (6.4.3.6). How a PCI interrupt link reports its ISA IRQ.
     */
    public static byte[] sharedLevelHighInterrupt(int irq) {
        int flags = 1 | 1 << 3; // consumer, level, active high, shared
        return new byte[] {(byte) 0x89, 6, 0, (byte) flags, 1, (byte) irq, (byte) (irq >> 8), (byte) (irq >> 16),
                (byte) (irq >> 24)};
    }

    /** Resource types of address space descriptors. */
    public static final int RESOURCE_MEMORY = 0, RESOURCE_IO = 1, RESOURCE_BUS = 2;
    /** General flags for a bridge window: producer, positive decode, min and max fixed. */
    static final int WINDOW_FLAGS = 0x0c;

    /** Word address space descriptor (6.4.3.5.3, large item 0x08) for a bus window. */
    public static byte[] wordWindow(int type, int typeFlags, int min, int max) {
        int len = max - min + 1;
        return new byte[] {(byte) 0x88, 13, 0, (byte) type, WINDOW_FLAGS, (byte) typeFlags, 0, 0,
                (byte) min, (byte) (min >> 8), (byte) max, (byte) (max >> 8), 0, 0, (byte) len, (byte) (len >> 8)};
    }

    /** DWord address space descriptor (6.4.3.5.2, large item 0x07) for a memory window. */
    public static byte[] dwordMemoryWindow(boolean cacheable, long min, long max) {
        long len = max - min + 1;
        byte[] b = new byte[26];
        b[0] = (byte) 0x87;
        b[1] = 23;
        b[3] = RESOURCE_MEMORY;
        b[4] = WINDOW_FLAGS;
        b[5] = (byte) (1 | (cacheable ? 1 << 1 : 0)); // read-write; cacheable or not
        putLe(b, 10, min, 4);
        putLe(b, 14, max, 4);
        putLe(b, 22, len, 4);
        return b;
    }

    /** QWord address space descriptor (6.4.3.5.1, large item 0x0A) for a memory window. */
    public static byte[] qwordMemoryWindow(boolean cacheable, long min, long max) {
        long len = max - min + 1;
        byte[] b = new byte[46];
        b[0] = (byte) 0x8a;
        b[1] = 43;
        b[3] = RESOURCE_MEMORY;
        b[4] = WINDOW_FLAGS;
        b[5] = (byte) (1 | (cacheable ? 1 << 1 : 0));
        putLe(b, 14, min, 8);
        putLe(b, 22, max, 8);
        putLe(b, 38, len, 8);
        return b;
    }

    private static void putLe(byte[] b, int off, long v, int n) {
        for (int i = 0; i < n; i++) {
            b[off + i] = (byte) (v >>> (8 * i));
        }
    }
}
