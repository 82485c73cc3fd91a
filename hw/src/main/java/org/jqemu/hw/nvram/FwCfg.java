package org.jqemu.hw.nvram;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jqemu.system.device.Device;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.memory.MemoryOps;

/**
 * QEMU's firmware configuration device, {@code fw_cfg}, in its x86 I/O port form (QEMU
 * docs/specs/fw_cfg.rst: "Selector (Control) Register", "Data Register", "File Directory",
 * "Guest-side DMA Interface").
 *
 * <p>Ports: 0x510 selector (16-bit write, little-endian; bit 15 = architecture-specific item,
 * bit 14 = the obsolete write flag, ignored), 0x511 data (8-bit reads that walk the selected
 * item; past its end they read 0; writes are ignored, as since QEMU 2.4), 0x514-0x51B the DMA
 * address register: big-endian, reads "QEMU CFG", and a write that completes its low half
 * (offset 4-7) starts an operation on the FWCfgDmaAccess structure at that guest address
 * (big-endian control, length, address; control bits 0 error, 1 read, 2 skip, 3 select with the
 * key in bits 31:16, 4 write). On completion the control word is written back as 0, or with the
 * error bit; writes are allowed only into items added as writable and never past their end.
 *
 * <p>Content: the signature ("QEMU") and feature bitmap (traditional + DMA) are built in; the board
 * and firmware loaders add the rest through {@link #addBytes}, {@link #addInt16}, {@link #addInt32},
 * {@link #addInt64}, {@link #addString} and named files ({@link #addFile}), which appear in the
 * FW_CFG_FILE_DIR directory (big-endian count, then per file: size, select, reserved, name[56]),
 * sorted by name with selectors from 0x20 in that order, as QEMU's current machine types do.
 * Add everything before the guest runs: adding a file renumbers the files after it.
 */
public final class FwCfg implements Device {
    // Generic keys (QEMU include/standard-headers/linux/qemu_fw_cfg.h).
    public static final int SIGNATURE = 0x00;
    public static final int ID = 0x01;
    public static final int UUID = 0x02;
    public static final int RAM_SIZE = 0x03;
    public static final int NOGRAPHIC = 0x04;
    public static final int NB_CPUS = 0x05;
    public static final int MACHINE_ID = 0x06;
    public static final int KERNEL_ADDR = 0x07;
    public static final int KERNEL_SIZE = 0x08;
    public static final int KERNEL_CMDLINE = 0x09;
    public static final int INITRD_ADDR = 0x0a;
    public static final int INITRD_SIZE = 0x0b;
    public static final int BOOT_DEVICE = 0x0c;
    public static final int NUMA = 0x0d;
    public static final int BOOT_MENU = 0x0e;
    public static final int MAX_CPUS = 0x0f;
    public static final int KERNEL_ENTRY = 0x10;
    public static final int KERNEL_DATA = 0x11;
    public static final int INITRD_DATA = 0x12;
    public static final int CMDLINE_ADDR = 0x13;
    public static final int CMDLINE_SIZE = 0x14;
    public static final int CMDLINE_DATA = 0x15;
    public static final int SETUP_ADDR = 0x16;
    public static final int SETUP_SIZE = 0x17;
    public static final int SETUP_DATA = 0x18;
    public static final int FILE_DIR = 0x19;
    public static final int FILE_FIRST = 0x20;
    public static final int WRITE_CHANNEL = 0x4000;
    public static final int ARCH_LOCAL = 0x8000;
    // x86 architecture-specific keys (QEMU hw/i386/fw_cfg.h).
    public static final int X86_ACPI_TABLES = ARCH_LOCAL;
    public static final int X86_SMBIOS_ENTRIES = ARCH_LOCAL + 1;
    public static final int X86_IRQ0_OVERRIDE = ARCH_LOCAL + 2;
    public static final int X86_E820_TABLE = ARCH_LOCAL + 3;
    public static final int X86_HPET = ARCH_LOCAL + 4;

    public static final int FEATURE_TRADITIONAL = 0x1;
    public static final int FEATURE_DMA = 0x2;
    public static final long DMA_SIGNATURE = 0x51454d5520434647L; // "QEMU CFG"
    public static final int DMA_ERROR = 0x01;
    public static final int DMA_READ = 0x02;
    public static final int DMA_SKIP = 0x04;
    public static final int DMA_SELECT = 0x08;
    public static final int DMA_WRITE = 0x10;
    public static final int FILE_NAME_SIZE = 56;
    static final int MAX_FILES = 0x4000 - FILE_FIRST;

    /** Called after the guest wrote into a writable item through DMA. */
    @FunctionalInterface
    public interface WriteCallback {
        void written(long offset, int length);
    }

    private static final class Item {
        byte[] data;
        boolean writable;
        WriteCallback onWrite;

        Item(byte[] data, boolean writable, WriteCallback onWrite) {
            this.data = data;
            this.writable = writable;
            this.onWrite = onWrite;
        }
    }

    private record NamedFile(String name, Item item) {}

    private final Machine machine;
    private final String id;
    private final boolean dmaEnabled;
    private final Map<Integer, Item> items = new HashMap<>();
    private final List<NamedFile> files = new ArrayList<>();
    private final byte[] dmaAddress = new byte[8];
    private int selector;
    private long offset;

    public FwCfg(Machine machine, String id, boolean dmaEnabled) {
        this.machine = machine;
        this.id = id;
        this.dmaEnabled = dmaEnabled;
        addBytes(SIGNATURE, "QEMU".getBytes(StandardCharsets.US_ASCII));
        addInt32(ID, FEATURE_TRADITIONAL | (dmaEnabled ? FEATURE_DMA : 0));
        rebuildDirectory();
    }

    @Override
    public String id() {
        return id;
    }

    // ---- content API ------------------------------------------------------------------------

    /** Sets item {@code key} (read-only to the guest). */
    public void addBytes(int key, byte[] data) {
        items.put(key & ~WRITE_CHANNEL, new Item(data.clone(), false, null));
    }

    public void addInt16(int key, int value) {
        addBytes(key, le(2, value));
    }

    public void addInt32(int key, int value) {
        addBytes(key, le(4, value));
    }

    public void addInt64(int key, long value) {
        addBytes(key, le(8, value));
    }

    /** A NUL-terminated string item, as QEMU's fw_cfg_add_string. */
    public void addString(int key, String value) {
        byte[] s = value.getBytes(StandardCharsets.UTF_8);
        byte[] z = new byte[s.length + 1];
        System.arraycopy(s, 0, z, 0, s.length);
        addBytes(key, z);
    }

    /** Adds (or replaces) a read-only named file. */
    public void addFile(String name, byte[] data) {
        addFile(name, data, false, null);
    }

    /**
     * Adds (or replaces) a named file; a writable one accepts DMA writes within its size, and
     * {@code onWrite} (may be null) hears about them.
     */
    public void addFile(String name, byte[] data, boolean writable, WriteCallback onWrite) {
        byte[] n = name.getBytes(StandardCharsets.US_ASCII);
        if (n.length >= FILE_NAME_SIZE || name.isEmpty()) {
            throw new IllegalArgumentException("fw_cfg file name '" + name + "' must be 1-55 characters");
        }
        files.removeIf(f -> f.name().equals(name));
        if (files.size() >= MAX_FILES) {
            throw new IllegalStateException("fw_cfg: too many files");
        }
        files.add(new NamedFile(name, new Item(data.clone(), writable, onWrite)));
        files.sort(Comparator.comparing(NamedFile::name));
        rebuildDirectory();
    }

    /** The kernel image for a firmware-driven Linux boot: KERNEL_ADDR, KERNEL_SIZE, KERNEL_DATA. */
    public void addKernel(long loadAddr, byte[] data) {
        addInt32(KERNEL_ADDR, (int) loadAddr);
        addInt32(KERNEL_SIZE, data.length);
        addBytes(KERNEL_DATA, data);
    }

    /** The initrd: INITRD_ADDR, INITRD_SIZE, INITRD_DATA. */
    public void addInitrd(long loadAddr, byte[] data) {
        addInt32(INITRD_ADDR, (int) loadAddr);
        addInt32(INITRD_SIZE, data.length);
        addBytes(INITRD_DATA, data);
    }

    /** The kernel command line: CMDLINE_ADDR, CMDLINE_SIZE (with the NUL), CMDLINE_DATA. */
    public void addCmdline(long loadAddr, String cmdline) {
        byte[] s = cmdline.getBytes(StandardCharsets.UTF_8);
        addInt32(CMDLINE_ADDR, (int) loadAddr);
        addInt32(CMDLINE_SIZE, s.length + 1);
        addString(CMDLINE_DATA, cmdline);
    }

    /** The Linux real-mode setup code: SETUP_ADDR, SETUP_SIZE, SETUP_DATA. */
    public void addSetup(long loadAddr, byte[] data) {
        addInt32(SETUP_ADDR, (int) loadAddr);
        addInt32(SETUP_SIZE, data.length);
        addBytes(SETUP_DATA, data);
    }

    /** The current bytes of a named file (what the guest may have written), or null. */
    public byte[] file(String name) {
        for (NamedFile f : files) {
            if (f.name().equals(name)) {
                return f.item().data.clone();
            }
        }
        return null;
    }

    /** The selector key of a named file, or -1. */
    public int fileKey(String name) {
        for (int i = 0; i < files.size(); i++) {
            if (files.get(i).name().equals(name)) {
                return FILE_FIRST + i;
            }
        }
        return -1;
    }

    /** The bytes of item {@code key}, or null. */
    public byte[] item(int key) {
        Item it = lookup(key);
        return it == null ? null : it.data.clone();
    }

    private void rebuildDirectory() {
        ByteBuffer dir = ByteBuffer.allocate(4 + 64 * files.size()).order(ByteOrder.BIG_ENDIAN);
        dir.putInt(files.size());
        for (int i = 0; i < files.size(); i++) {
            NamedFile f = files.get(i);
            dir.putInt(f.item().data.length);
            dir.putShort((short) (FILE_FIRST + i));
            dir.putShort((short) 0);
            byte[] name = new byte[FILE_NAME_SIZE];
            byte[] n = f.name().getBytes(StandardCharsets.US_ASCII);
            System.arraycopy(n, 0, name, 0, n.length);
            dir.put(name);
        }
        items.put(FILE_DIR, new Item(dir.array(), false, null));
    }

    private Item lookup(int key) {
        int k = key & ~WRITE_CHANNEL;
        int index = k & 0x3fff;
        if ((k & ARCH_LOCAL) == 0 && index >= FILE_FIRST && index < FILE_FIRST + files.size()) {
            return files.get(index - FILE_FIRST).item();
        }
        return items.get(k);
    }

    private static byte[] le(int size, long v) {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            b[i] = (byte) (v >>> (8 * i));
        }
        return b;
    }

    // ---- guest interface --------------------------------------------------------------------

    /** Ports 0x510-0x511: selector (16-bit write at offset 0) and data (8-bit at offset 1). */
    public MemoryOps ioPorts() {
        return new MemoryOps() {
            @Override
            public long read(long off, int size) {
                if (off == 1 && size == 1) {
                    return readDataByte();
                }
                return 0;
            }

            @Override
            public void write(long off, int size, long value) {
                if (off == 0 && size == 2) {
                    select((int) value & 0xffff);
                } else if (off == 0 && size == 1) {
                    // A byte write to the selector is not a valid access width on x86; QEMU drops it.
                    logBad("byte write to the fw_cfg selector");
                }
                // Data port writes are ignored (QEMU 2.4+).
            }
        };
    }

    /** Ports 0x514-0x51B: the big-endian DMA address register. */
    public MemoryOps dmaPorts() {
        return new MemoryOps() {
            @Override
            public long read(long off, int size) {
                long v = 0;
                for (int i = 0; i < size && off + i < 8; i++) {
                    v |= ((DMA_SIGNATURE >>> (8 * (7 - (off + i)))) & 0xff) << (8 * i);
                }
                return dmaEnabled ? v : 0;
            }

            @Override
            public void write(long off, int size, long value) {
                if (!dmaEnabled) {
                    return;
                }
                for (int i = 0; i < size && off + i < 8; i++) {
                    dmaAddress[(int) off + i] = (byte) (value >>> (8 * i));
                }
                if (off + size == 8) {
                    long addr = 0;
                    for (int i = 0; i < 8; i++) {
                        addr = addr << 8 | (dmaAddress[i] & 0xff);
                    }
                    java.util.Arrays.fill(dmaAddress, (byte) 0);
                    runDma(addr);
                }
            }
        };
    }

    /** Writing the selector: choose an item and restart at its first byte. */
    public void select(int key) {
        selector = key;
        offset = 0;
    }

    private int readDataByte() {
        Item it = lookup(selector);
        if (it == null || offset >= it.data.length) {
            return 0;
        }
        return it.data[(int) offset++] & 0xff;
    }

    /** One DMA operation on the FWCfgDmaAccess at guest physical {@code access}. */
    private void runDma(long access) {
        var mem = machine.memory();
        byte[] hdr = new byte[16];
        mem.readBytes(access, hdr, 0, 16);
        ByteBuffer b = ByteBuffer.wrap(hdr).order(ByteOrder.BIG_ENDIAN);
        int control = b.getInt(0);
        long length = b.getInt(4) & 0xffff_ffffL;
        long address = b.getLong(8);
        if ((control & DMA_SELECT) != 0) {
            select(control >>> 16);
        }
        boolean error = false;
        Item it = lookup(selector);
        int size = it == null ? 0 : it.data.length;
        if ((control & DMA_READ) != 0) {
            // Past the item's end the guest gets zeros, as from the data port.
            long avail = Math.max(0, Math.min(length, size - offset));
            if (avail > 0) {
                mem.writeBytes(address, it.data, (int) offset, (int) avail, false);
            }
            if (length > avail) {
                byte[] zeros = new byte[(int) Math.min(length - avail, 1 << 20)];
                for (long done = avail; done < length; done += zeros.length) {
                    mem.writeBytes(address + done, zeros, 0, (int) Math.min(zeros.length, length - done), false);
                }
            }
            offset = Math.min(offset + length, Math.max(size, offset));
        } else if ((control & DMA_WRITE) != 0) {
            if (it == null || !it.writable || offset + length > size) {
                error = true;
                logBad("fw_cfg DMA write to key 0x%x offset %d length %d rejected", selector, offset, length);
            } else {
                mem.readBytes(address, it.data, (int) offset, (int) length);
                long at = offset;
                offset += length;
                if (it.onWrite != null) {
                    it.onWrite.written(at, (int) length);
                }
            }
        } else if ((control & DMA_SKIP) != 0) {
            offset = Math.min(offset + length, Math.max(size, offset));
        }
        mem.write32(access, Integer.reverseBytes(error ? DMA_ERROR : 0));
    }

    private void logBad(String format, Object... args) {
        if (machine.log().guestErrors) {
            machine.log().guestError(format, args);
        }
    }

    @Override
    public void reset() {
        selector = 0;
        offset = 0;
        java.util.Arrays.fill(dmaAddress, (byte) 0);
    }
}
