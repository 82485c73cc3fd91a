package org.jqemu.system.block;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jqemu.system.options.ConfigException;
import org.jqemu.system.options.Opts;

/**
 * The block nodes of one machine, by id: what {@code -blockdev node-name=ID} and
 * {@code -drive id=ID} create and {@code -device ...,drive=ID} attaches to: raw and qcow2 images
 * over files. A {@code -drive} without {@code format=} is probed as QEMU does (qcow2 by its
 * magic, else raw with QEMU's warning).
 */
public final class BlockBackends implements AutoCloseable {
    /** Image formats QEMU has and jqemu not (yet): named as such rather than as unknown. */
    private static final java.util.Set<String> QEMU_ONLY_FORMATS = java.util.Set.of("vmdk", "vdi", "vhdx", "vpc",
            "qed", "qcow", "luks", "dmg", "parallels", "bochs", "cloop", "vvfat");
    private final Map<String, BlockImage> nodes = new LinkedHashMap<>();
    private final java.util.Set<String> attached = new java.util.HashSet<>();
    private final java.util.function.Consumer<String> warn;

    /** Warnings (format probing) go to standard error, as QEMU prints them. */
    public BlockBackends() {
        this(System.err::println);
    }

    public BlockBackends(java.util.function.Consumer<String> warn) {
        this.warn = warn;
    }

    /**
     * Opens one {@code -blockdev}: {@code driver=raw|qcow2,node-name=ID,file.driver=file,file.filename=F}
     * or {@code driver=file,node-name=ID,filename=F}, with {@code read-only=on|off}.
     */
    public BlockImage openBlockdev(Opts o) throws ConfigException {
        String where = o.option();
        String driver = o.requireString("driver");
        String node = o.requireString("node-name");
        boolean ro = o.getBool("read-only", false);
        o.getString("cache.direct", null);
        o.getString("cache.no-flush", null);
        o.getString("discard", null);
        o.getString("auto-read-only", null);
        String file;
        switch (driver) {
            case "file" -> file = o.requireString("filename");
            case "raw", "qcow2" -> {
                String inner = o.getString("file.driver", "file");
                if (!inner.equals("file")) {
                    throw new ConfigException(where + ": file.driver '" + inner + "' is not supported yet");
                }
                file = o.getString("file.filename", null);
                if (file == null) {
                    throw new ConfigException(where + ": " + driver
                            + " needs file.filename (a node reference as file= is not supported yet)");
                }
                o.getString("file.node-name", null);
                o.getBool("file.read-only", false);
            }
            default -> throw new ConfigException(where + ": Invalid parameter value for 'driver': '" + driver + "'");
        }
        o.checkAllUsed();
        String format = driver.equals("file") ? "raw" : driver;
        return add(node, open(where, node, file, format, ro, true));
    }

    /**
     * Opens the image of one {@code -drive} (after the CLI filled in its id):
     * {@code file=F[,format=raw|qcow2][,readonly=on][,cache=...]}. {@code cache=unsafe} drops the
     * qcow2 driver's ordering barriers (fdatasync between dependent metadata writes).
     */
    public BlockImage openDrive(Opts o) throws ConfigException {
        String where = o.option();
        String id = o.requireString("id");
        String file = o.getString("file", null);
        if (file == null) {
            throw new ConfigException(where + ": an empty drive (no file=) is not supported yet");
        }
        String format = o.getString("format", null);
        if (format != null && !format.equals("raw") && !format.equals("qcow2")) {
            throw new ConfigException(where + (QEMU_ONLY_FORMATS.contains(format)
                    ? ": format '" + format + "' is not supported yet" : ": Unknown driver '" + format + "'"));
        }
        boolean ro = o.getBool("readonly", false) || o.getBool("read-only", false);
        String cache = o.getString("cache", "writeback");
        switch (cache) {
            case "writeback", "writethrough", "none", "directsync", "unsafe" -> {}
            default -> throw new ConfigException(where + ": invalid cache option '" + cache + "'");
        }
        o.getString("if", null);
        o.getString("index", null);
        o.getString("media", null);
        o.getString("aio", null);
        o.getString("discard", null);
        o.checkAllUsed();
        return add(id, open(where, id, file, format, ro, !cache.equals("unsafe")));
    }

    private BlockImage open(String where, String id, String file, String format, boolean ro, boolean barriers)
            throws ConfigException {
        try {
            return ImageFormats.open(id, file, format, ro, barriers, warn, 0);
        } catch (ConfigException e) {
            throw new ConfigException(where + ": " + e.getMessage());
        }
    }

    private BlockImage add(String id, BlockImage img) throws ConfigException {
        if (nodes.containsKey(id)) {
            try {
                img.close();
            } catch (java.io.IOException e) {
                // nothing was written
            }
            throw new ConfigException("Duplicate ID '" + id + "' for drive");
        }
        nodes.put(id, img);
        return img;
    }

    public BlockImage get(String id) {
        return nodes.get(id);
    }

    /** Claims a node for one device, as QEMU refuses two devices on one drive. */
    public BlockImage attach(String id, String deviceType) throws ConfigException {
        BlockImage img = nodes.get(id);
        if (img == null) {
            throw new ConfigException(deviceType + ": Property '" + deviceType + ".drive' can't find value '" + id + "'");
        }
        if (!attached.add(id)) {
            throw new ConfigException(deviceType + ": Drive '" + id + "' is already in use by another device");
        }
        return img;
    }

    public Map<String, BlockImage> nodes() {
        return Collections.unmodifiableMap(nodes);
    }

    /** The ids of the backends devices hold now (hotplug notes which a new device took). */
    public java.util.Set<String> attachedIds() {
        return java.util.Set.copyOf(attached);
    }

    /** A device that held {@code id} is gone (hot unplug): another may take the drive now. */
    public void release(String id) {
        attached.remove(id);
    }

    @Override
    public void close() {
        for (BlockImage img : nodes.values()) {
            try {
                img.close();
            } catch (java.io.IOException e) {
                // closing at exit: nothing useful to do
            }
        }
    }
}
