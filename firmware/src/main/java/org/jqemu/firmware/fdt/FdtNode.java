package org.jqemu.firmware.fdt;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One node of a flattened device tree under construction: a name ("unit-name@address"), ordered
 * properties (name to raw big-endian bytes, Devicetree Specification v0.4, 2.2.4 "Property
 * Values") and ordered children. Setting a property twice replaces its value in place.
 */
public final class FdtNode {
    private final String name;
    private final Map<String, byte[]> properties = new LinkedHashMap<>();
    private final List<FdtNode> children = new ArrayList<>();

    FdtNode(String name) {
        this.name = name;
    }

    public String name() {
        return name;
    }

    /** Adds a child node; names must be unique among siblings. */
    public FdtNode addNode(String childName) {
        if (child(childName) != null) {
            throw new IllegalArgumentException("duplicate node " + childName + " under " + name);
        }
        FdtNode n = new FdtNode(childName);
        children.add(n);
        return n;
    }

    /** The child named exactly {@code childName}, or null. */
    public FdtNode child(String childName) {
        for (FdtNode c : children) {
            if (c.name.equals(childName)) {
                return c;
            }
        }
        return null;
    }

    public List<FdtNode> children() {
        return Collections.unmodifiableList(children);
    }

    public Map<String, byte[]> properties() {
        return Collections.unmodifiableMap(properties);
    }

    /** The raw value of a property, or null. */
    public byte[] property(String propName) {
        return properties.get(propName);
    }

    public FdtNode setBytes(String propName, byte[] value) {
        properties.put(propName, value.clone());
        return this;
    }

    /** A property with no value (a boolean such as {@code interrupt-controller}). */
    public FdtNode setEmpty(String propName) {
        return setBytes(propName, new byte[0]);
    }

    /** A string, or a string list (each NUL terminated), as {@code compatible} takes. */
    public FdtNode setStrings(String propName, String... values) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (String v : values) {
            out.writeBytes(v.getBytes(StandardCharsets.UTF_8));
            out.write(0);
        }
        properties.put(propName, out.toByteArray());
        return this;
    }

    /** One or more 32-bit cells. */
    public FdtNode setCells(String propName, int... cells) {
        byte[] b = new byte[4 * cells.length];
        for (int i = 0; i < cells.length; i++) {
            putU32(b, 4 * i, cells[i]);
        }
        properties.put(propName, b);
        return this;
    }

    /** Values each written as two cells (a 64-bit address or size with #...-cells = 2). */
    public FdtNode setU64s(String propName, long... values) {
        byte[] b = new byte[8 * values.length];
        for (int i = 0; i < values.length; i++) {
            putU32(b, 8 * i, (int) (values[i] >>> 32));
            putU32(b, 8 * i + 4, (int) values[i]);
        }
        properties.put(propName, b);
        return this;
    }

    static void putU32(byte[] b, int at, int v) {
        b[at] = (byte) (v >>> 24);
        b[at + 1] = (byte) (v >>> 16);
        b[at + 2] = (byte) (v >>> 8);
        b[at + 3] = (byte) v;
    }
}
