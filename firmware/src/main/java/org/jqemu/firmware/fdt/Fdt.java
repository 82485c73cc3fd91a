package org.jqemu.firmware.fdt;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * A flattened device tree (DTB) built in memory and serialised in the format of the Devicetree
 * Specification v0.4, chapter 5 "Flattened Devicetree (DTB) Format": a 40-byte header (version 17,
 * last compatible version 16), the memory reservation block (empty: one terminating pair), the
 * structure block (FDT_BEGIN_NODE / FDT_PROP / FDT_END_NODE tokens, 4-byte aligned) and the
 * strings block (property names, each stored once).
 *
 * <p>Phandles are handed out by {@link #allocatePhandle()} from 0x8000 upwards, as QEMU does for
 * the nodes it creates, so DTBs compare easily with QEMU's {@code dumpdtb}.
 */
public final class Fdt {
    public static final int MAGIC = 0xd00dfeed;
    static final int BEGIN_NODE = 1;
    static final int END_NODE = 2;
    static final int PROP = 3;
    static final int END = 9;
    static final int HEADER_SIZE = 40;

    private final FdtNode root = new FdtNode("");
    private int nextPhandle = 0x8000;

    public FdtNode root() {
        return root;
    }

    /** A fresh phandle value for a node that others refer to. */
    public int allocatePhandle() {
        return nextPhandle++;
    }

    /** The node at an absolute path such as {@code /chosen}, or null. */
    public FdtNode node(String path) {
        FdtNode n = root;
        for (String part : path.split("/")) {
            if (part.isEmpty()) {
                continue;
            }
            n = n.child(part);
            if (n == null) {
                return null;
            }
        }
        return n;
    }

    /** The DTB bytes. */
    public byte[] toDtb() {
        ByteArrayOutputStream struct = new ByteArrayOutputStream();
        ByteArrayOutputStream strings = new ByteArrayOutputStream();
        Map<String, Integer> stringOffsets = new HashMap<>();
        writeNode(root, struct, strings, stringOffsets);
        writeU32(struct, END);
        byte[] structBytes = struct.toByteArray();
        byte[] stringBytes = strings.toByteArray();

        int rsvOff = HEADER_SIZE; // already 8-byte aligned
        int structOff = rsvOff + 16;
        int stringsOff = structOff + structBytes.length;
        int total = stringsOff + stringBytes.length;
        ByteBuffer b = ByteBuffer.allocate(total).order(ByteOrder.BIG_ENDIAN);
        b.putInt(MAGIC).putInt(total).putInt(structOff).putInt(stringsOff).putInt(rsvOff)
                .putInt(17).putInt(16).putInt(0).putInt(stringBytes.length).putInt(structBytes.length);
        b.putLong(0).putLong(0);
        b.put(structBytes).put(stringBytes);
        return b.array();
    }

    private static void writeNode(FdtNode n, ByteArrayOutputStream out, ByteArrayOutputStream strings,
            Map<String, Integer> offsets) {
        writeU32(out, BEGIN_NODE);
        out.writeBytes(n.name().getBytes(StandardCharsets.UTF_8));
        out.write(0);
        pad(out);
        for (Map.Entry<String, byte[]> p : n.properties().entrySet()) {
            Integer off = offsets.get(p.getKey());
            if (off == null) {
                off = strings.size();
                offsets.put(p.getKey(), off);
                strings.writeBytes(p.getKey().getBytes(StandardCharsets.UTF_8));
                strings.write(0);
            }
            writeU32(out, PROP);
            writeU32(out, p.getValue().length);
            writeU32(out, off);
            out.writeBytes(p.getValue());
            pad(out);
        }
        for (FdtNode c : n.children()) {
            writeNode(c, out, strings, offsets);
        }
        writeU32(out, END_NODE);
    }

    private static void pad(ByteArrayOutputStream out) {
        while ((out.size() & 3) != 0) {
            out.write(0);
        }
    }

    private static void writeU32(ByteArrayOutputStream out, int v) {
        out.write(v >>> 24);
        out.write(v >>> 16);
        out.write(v >>> 8);
        out.write(v);
    }

    /**
     * Parses a DTB back into a tree (for tests and for {@code -dtb} files): header checked, the
     * memory reservation block skipped, NOP tokens ignored.
     *
     * @throws IllegalArgumentException when the blob is not a well-formed DTB
     */
    public static Fdt parse(byte[] dtb) {
        ByteBuffer b = ByteBuffer.wrap(dtb).order(ByteOrder.BIG_ENDIAN);
        if (dtb.length < HEADER_SIZE || b.getInt(0) != MAGIC) {
            throw new IllegalArgumentException("not a flattened device tree (bad magic)");
        }
        int total = b.getInt(4);
        int structOff = b.getInt(8);
        int stringsOff = b.getInt(12);
        if (total > dtb.length || structOff >= total || stringsOff > total) {
            throw new IllegalArgumentException("DTB header offsets out of range");
        }
        Fdt fdt = new Fdt();
        int pos = structOff;
        java.util.ArrayDeque<FdtNode> stack = new java.util.ArrayDeque<>();
        while (true) {
            int token = b.getInt(pos);
            pos += 4;
            switch (token) {
                case BEGIN_NODE -> {
                    int end = pos;
                    while (dtb[end] != 0) {
                        end++;
                    }
                    String name = new String(dtb, pos, end - pos, StandardCharsets.UTF_8);
                    pos = (end + 4) & ~3;
                    stack.push(stack.isEmpty() ? fdt.root : stack.peek().addNode(name));
                }
                case END_NODE -> stack.pop();
                case PROP -> {
                    int len = b.getInt(pos);
                    int nameOff = b.getInt(pos + 4);
                    int s = stringsOff + nameOff;
                    int e = s;
                    while (dtb[e] != 0) {
                        e++;
                    }
                    byte[] value = java.util.Arrays.copyOfRange(dtb, pos + 8, pos + 8 + len);
                    stack.peek().setBytes(new String(dtb, s, e - s, StandardCharsets.UTF_8), value);
                    pos = (pos + 8 + len + 3) & ~3;
                }
                case 4 -> { } // FDT_NOP
                case END -> {
                    return fdt;
                }
                default -> throw new IllegalArgumentException("bad DTB token " + token + " at " + (pos - 4));
            }
        }
    }
}
