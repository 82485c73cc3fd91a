package org.jqemu.firmware.multiboot;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.jqemu.firmware.elf.Elf32Image;
import org.jqemu.firmware.x86.E820Map;
import org.jqemu.system.memory.AddressSpace;
import org.jqemu.system.memory.FlatRange;
import org.jqemu.system.memory.RamRegion;
import org.jqemu.system.options.ConfigException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Direct boot of a Multiboot (version 0.6.96, "Multiboot Specification") kernel given with
 * {@code -kernel}, the way QEMU's pc board does it.
 *
 * <p>QEMU builds one buffer at the kernel's load address: the kernel image (with zeroed bss),
 * page aligned; then the module table, the command lines and the boot loader name; then each
 * module, each starting on a page. Its option ROM copies that buffer into RAM, writes the info
 * structure at {@value #INFO_ADDR_HEX} and the BIOS E820 map in front of it at
 * {@value #MMAP_ADDR_HEX}, and enters the kernel in 32-bit protected mode. This class produces
 * the same bytes at the same addresses (checked against Debian's QEMU 7.2 with
 * {@code bench/guests/mbinfo.asm}); the board then starts the CPU at {@link Entry}.
 *
 * <p>CPU state the board must set, as QEMU's option ROM leaves it: CR0 = PE only (no paging),
 * CS = flat 32-bit code (selector 08h), DS/ES/FS/GS/SS = flat 32-bit data (selector 10h),
 * interrupts disabled, A20 enabled, EAX and EBX from {@link Entry}; ESP is undefined.
 *
 * <p>Like QEMU, and unlike the letter of the specification, header flag bits that are not
 * understood do not stop the boot; the video mode request (bit 2) only draws a warning.
 * The boot loader name is QEMU's ("qemu") so the structure is byte-identical to QEMU's.
 */
public final class MultibootLoader {
    private static final Logger LOG = LoggerFactory.getLogger(MultibootLoader.class);

    public static final int HEADER_MAGIC = 0x1BADB002;
    public static final int BOOTLOADER_MAGIC = 0x2BADB002;
    /** The E820 map, as multiboot mmap entries (size word + 20 bytes each). */
    public static final long MMAP_ADDR = 0x9000;
    /** The multiboot info structure, the value of EBX. */
    public static final long INFO_ADDR = 0x9500;
    public static final int INFO_SIZE = 88;
    /** What {@code boot_loader_name} says. */
    public static final String BOOTLOADER_NAME = "qemu";

    private static final String INFO_ADDR_HEX = "0x9500";
    private static final String MMAP_ADDR_HEX = "0x9000";
    /** QEMU scans header offsets below 8192 - 48, the size of the largest header. */
    private static final int SEARCH_END = 8192 - 48;
    private static final int FLAG_VIDEO_MODE = 1 << 2;
    private static final int FLAG_AOUT_KLUDGE = 1 << 16;
    private static final int MMAP_ENTRY_SIZE = 20;
    private static final int MOD_ENTRY_SIZE = 16;
    private static final long PAGE = 4096;
    private static final long U32 = 0xffffffffL;

    /** The info structure flags QEMU sets: mem, boot_device, cmdline, mods, mmap, loader name. */
    static final int INFO_FLAGS = 1 | 1 << 1 | 1 << 2 | 1 << 3 | 1 << 6 | 1 << 9;
    /** BIOS drive 80h, no partition: QEMU's fixed value. */
    static final int BOOT_DEVICE = 0x8000ffff;

    /** Where the CPU starts: EIP, and the EAX and EBX the kernel expects. */
    public record Entry(long eip, int eax, int ebx) {}

    /** The kernel part of the buffer: its bytes (bss included) for {@code loadAddr}. */
    private record Kernel(long loadAddr, long entry, byte[] bytes) {}

    private MultibootLoader() {}

    /** True when a valid multiboot v1 header lies 4-byte aligned in the first 8 KiB. */
    public static boolean isMultiboot(byte[] image) {
        return findHeader(image) >= 0;
    }

    /** Offset of the first header whose checksum holds, or -1. */
    private static int findHeader(byte[] image) {
        for (int i = 0; i < SEARCH_END && i + 12 <= image.length; i += 4) {
            if (le32(image, i) == HEADER_MAGIC
                    && HEADER_MAGIC + le32(image, i + 4) + le32(image, i + 8) == 0) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Splits a {@code -initrd} value into module strings as QEMU does: modules are separated by
     * commas, a doubled comma is a comma in a name, and text after the first space of a module is
     * its argument list (it stays part of the string the guest sees).
     */
    public static List<String> splitModules(String initrd) {
        List<String> mods = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        int i = 0;
        while (i < initrd.length()) {
            char c = initrd.charAt(i);
            if (c == ',') {
                if (i + 1 < initrd.length() && initrd.charAt(i + 1) == ',') {
                    cur.append(',');
                    i += 2;
                    continue;
                }
                mods.add(cur.toString());
                cur.setLength(0);
                i++;
                if (i == initrd.length()) {
                    return mods;
                }
                continue;
            }
            cur.append(c);
            i++;
        }
        if (i > 0) {
            mods.add(cur.toString());
        }
        return mods;
    }

    /**
     * Loads {@code image} (the contents of {@code kernelPath}), its modules and the info
     * structure into {@code memory}.
     *
     * @param cmdline the {@code -append} text, or null
     * @param modules module strings ("file args"), as {@link #splitModules} gives them; null or
     *     empty when there is no {@code -initrd}
     * @param ramBelow4g RAM mapped from address 0
     * @param ramAbove4g RAM mapped from 4 GiB
     */
    public static Entry load(AddressSpace memory, byte[] image, String kernelPath, String cmdline,
                             List<String> modules, long ramBelow4g, long ramAbove4g) throws ConfigException {
        int at = findHeader(image);
        if (at < 0) {
            throw new ConfigException(kernelPath + ": no multiboot header (magic 0x1BADB002 with a valid "
                    + "checksum) in the first 8 KiB");
        }
        int flags = le32(image, at + 4);
        if ((flags & FLAG_VIDEO_MODE) != 0) {
            LOG.warn("multiboot knows VBE. we don't");
        }
        Kernel kernel = (flags & FLAG_AOUT_KLUDGE) != 0
                ? aoutKernel(image, at, kernelPath)
                : elfKernel(image, kernelPath);
        String append = cmdline == null ? "" : cmdline;
        E820Map map = E820Map.pc(ramBelow4g, ramAbove4g);

        // Layout of the buffer at loadAddr, offsets relative to it.
        List<byte[]> modNames = new ArrayList<>();
        int rawInitrdLength = -1;
        if (modules != null && !modules.isEmpty()) {
            rawInitrdLength = modules.size() - 1;
            for (String m : modules) {
                byte[] b = m.getBytes(StandardCharsets.UTF_8);
                modNames.add(b);
                rawInitrdLength += b.length + (int) m.chars().filter(c -> c == ',').count();
            }
        }
        byte[] kernelCmdline = (kernelPath + " " + append).getBytes(StandardCharsets.UTF_8);
        byte[] loaderName = BOOTLOADER_NAME.getBytes(StandardCharsets.UTF_8);
        long cmdlinesLength = kernelPath.getBytes(StandardCharsets.UTF_8).length + 1
                + append.getBytes(StandardCharsets.UTF_8).length + 1
                + (rawInitrdLength >= 0 ? rawInitrdLength + 1 : 0);
        long modTable = pageAlign(kernel.bytes().length);
        long cmdlines = modTable + (long) MOD_ENTRY_SIZE * modNames.size();
        long loaderNameAt = cmdlines + cmdlinesLength;
        long size = pageAlign(loaderNameAt + loaderName.length + 1);
        long base = kernel.loadAddr();

        byte[] head = new byte[Math.toIntExact(size)];
        System.arraycopy(kernel.bytes(), 0, head, 0, kernel.bytes().length);
        ByteBuffer hb = ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN);
        long nextCmdline = cmdlines;
        List<byte[]> modData = new ArrayList<>();
        List<Long> modOffsets = new ArrayList<>();
        for (int i = 0; i < modNames.size(); i++) {
            byte[] name = modNames.get(i);
            System.arraycopy(name, 0, head, (int) nextCmdline, name.length);
            long nameAddr = base + nextCmdline;
            nextCmdline += name.length + 1;
            String file = modules.get(i);
            int space = file.indexOf(' ');
            if (space >= 0) {
                file = file.substring(0, space);
            }
            byte[] data;
            try {
                data = Files.readAllBytes(Path.of(file));
            } catch (IOException | RuntimeException e) {
                throw new ConfigException("Failed to open file '" + file + "'", e);
            }
            modOffsets.add(size);
            modData.add(data);
            int entry = (int) (modTable + (long) MOD_ENTRY_SIZE * i);
            hb.putInt(entry, (int) (base + size));
            hb.putInt(entry + 4, (int) (base + size + data.length));
            hb.putInt(entry + 8, (int) nameAddr);
            size = pageAlign(size + data.length);
        }
        long kernelCmdlineAddr = base + nextCmdline;
        System.arraycopy(kernelCmdline, 0, head, (int) nextCmdline, kernelCmdline.length);
        System.arraycopy(loaderName, 0, head, (int) loaderNameAt, loaderName.length);

        checkRam(memory, base, base + size, ramBelow4g, kernelPath,
                modules == null || modules.isEmpty() ? "image" : "image and modules");
        byte[] mmap = multibootMmap(map);
        checkRam(memory, MMAP_ADDR, INFO_ADDR + INFO_SIZE, ramBelow4g, kernelPath, "info structure");

        ByteBuffer info = ByteBuffer.allocate(INFO_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        info.putInt(0, INFO_FLAGS);
        info.putInt(4, (int) map.lowerMemoryKib());
        info.putInt(8, (int) map.upperMemoryKib());
        info.putInt(12, BOOT_DEVICE);
        info.putInt(16, (int) kernelCmdlineAddr);
        info.putInt(20, modNames.size());
        info.putInt(24, (int) (base + modTable));
        info.putInt(44, mmap.length);
        info.putInt(48, (int) MMAP_ADDR);
        info.putInt(64, (int) (base + loaderNameAt));

        // QEMU's option ROM writes the tables first and the kernel last; an image that
        // overlaps them wins in both.
        memory.writeBytes(MMAP_ADDR, mmap, 0, mmap.length, false);
        memory.writeBytes(INFO_ADDR, info.array(), 0, INFO_SIZE, false);
        memory.writeBytes(base, head, 0, head.length, false);
        byte[] zeros = new byte[(int) PAGE];
        for (int i = 0; i < modData.size(); i++) {
            byte[] data = modData.get(i);
            long addr = base + modOffsets.get(i);
            memory.writeBytes(addr, data, 0, data.length, false);
            int pad = (int) (pageAlign(data.length) - data.length);
            memory.writeBytes(addr + data.length, zeros, 0, pad, false);
        }
        return new Entry(kernel.entry(), BOOTLOADER_MAGIC, (int) INFO_ADDR);
    }

    /** The kernel as the header's address fields (the "a.out kludge", flag bit 16) describe it. */
    private static Kernel aoutKernel(byte[] image, int at, String path) throws ConfigException {
        if (image.length < at + 32) {
            throw new ConfigException(path + ": multiboot header at offset " + at + " is cut short by the end of the file");
        }
        long headerAddr = le32(image, at + 12) & U32;
        long loadAddr = le32(image, at + 16) & U32;
        long loadEndAddr = le32(image, at + 20) & U32;
        long bssEndAddr = le32(image, at + 24) & U32;
        long entry = le32(image, at + 28) & U32;
        if (headerAddr < loadAddr) {
            throw new ConfigException(path + ": invalid load_addr address 0x" + Long.toHexString(loadAddr)
                    + " (above header_addr 0x" + Long.toHexString(headerAddr) + ")");
        }
        if (headerAddr - loadAddr > at) {
            throw new ConfigException(path + ": invalid header_addr address 0x" + Long.toHexString(headerAddr)
                    + " (load_addr would lie before the start of the file)");
        }
        long textOffset = at - (headerAddr - loadAddr);
        long loadSize;
        if (loadEndAddr != 0) {
            if (loadEndAddr < loadAddr) {
                throw new ConfigException(path + ": invalid load_end_addr address 0x" + Long.toHexString(loadEndAddr));
            }
            loadSize = loadEndAddr - loadAddr;
        } else {
            loadSize = image.length - textOffset;  // 0 means "up to the end of the file"
        }
        if (loadSize > U32 - loadAddr) {
            throw new ConfigException(path + ": kernel does not fit in address space");
        }
        long kernelSize = loadSize;
        if (bssEndAddr != 0) {
            if (bssEndAddr < loadAddr + loadSize) {
                throw new ConfigException(path + ": invalid bss_end_addr address 0x" + Long.toHexString(bssEndAddr));
            }
            kernelSize = bssEndAddr - loadAddr;
        }
        if (textOffset + loadSize > image.length) {
            throw new ConfigException(path + ": file too small: load_end_addr asks for " + loadSize
                    + " bytes from offset " + textOffset + " but the file has " + image.length);
        }
        if (kernelSize > Integer.MAX_VALUE - 2 * PAGE) {
            throw new ConfigException(path + ": kernel of " + kernelSize + " bytes is too large");
        }
        byte[] bytes = new byte[(int) kernelSize];  // bss stays zero
        System.arraycopy(image, (int) textOffset, bytes, 0, (int) loadSize);
        return new Kernel(loadAddr, entry, bytes);
    }

    /** The kernel as its ELF32 program headers describe it, loaded by physical address. */
    private static Kernel elfKernel(byte[] image, String path) throws ConfigException {
        if (Elf32Image.machineOf(image) == Elf32Image.EM_X86_64) {
            throw new ConfigException(path + ": Cannot load x86-64 image, give a 32bit one.");
        }
        Elf32Image elf;
        try {
            elf = Elf32Image.parse(image);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(path + ": Error while loading elf kernel: " + e.getMessage()
                    + " (a multiboot kernel without header address fields must be ELF)");
        }
        if (elf.machine() != Elf32Image.EM_386) {
            throw new ConfigException(path + ": Error while loading elf kernel: machine " + elf.machine()
                    + " is not i386");
        }
        List<Elf32Image.Segment> segs = elf.loadSegments();
        long[] span = new long[segs.size()];
        long low = Long.MAX_VALUE;
        long high = 0;
        for (int i = 0; i < segs.size(); i++) {
            Elf32Image.Segment s = segs.get(i);
            span[i] = memSizeAfterOverlapRule(segs, i);
            if (span[i] == 0) {
                continue;
            }
            if (s.paddr() + span[i] > 1L << 32) {
                throw new ConfigException(path + ": ELF segment at 0x" + Long.toHexString(s.paddr())
                        + " runs past 4 GiB");
            }
            low = Math.min(low, s.paddr());
            high = Math.max(high, s.paddr() + span[i]);
        }
        if (high == 0) {
            throw new ConfigException(path + ": Error while loading elf kernel: no loadable segment");
        }
        for (int i = 0; i < segs.size(); i++) {
            for (int j = i + 1; j < segs.size(); j++) {
                Elf32Image.Segment a = segs.get(i);
                Elf32Image.Segment b = segs.get(j);
                if (span[i] > 0 && span[j] > 0 && a.paddr() < b.paddr() + span[j] && b.paddr() < a.paddr() + span[i]) {
                    throw new ConfigException(path + ": ELF segments at 0x" + Long.toHexString(a.paddr())
                            + " and 0x" + Long.toHexString(b.paddr()) + " overlap");
                }
            }
        }
        if (high - low > Integer.MAX_VALUE - 2 * PAGE) {
            throw new ConfigException(path + ": ELF segments span 0x" + Long.toHexString(low) + "-0x"
                    + Long.toHexString(high) + ", too large to load");
        }
        byte[] bytes = new byte[(int) (high - low)];  // gaps and bss stay zero
        for (int i = 0; i < segs.size(); i++) {
            Elf32Image.Segment s = segs.get(i);
            if (span[i] > 0) {
                System.arraycopy(image, (int) s.offset(), bytes, (int) (s.paddr() - low), (int) s.fileSize());
            }
        }
        return new Kernel(low, elf.physicalEntry(), bytes);
    }

    /**
     * A segment's size in memory. As in QEMU, when the zero-filled tail (memsz beyond filesz)
     * would overlap another segment, the file image is assumed to be packed ROM-style and only
     * filesz bytes are loaded.
     */
    private static long memSizeAfterOverlapRule(List<Elf32Image.Segment> segs, int i) {
        Elf32Image.Segment s = segs.get(i);
        if (s.memSize() <= s.fileSize()) {
            return s.memSize();
        }
        long zeroStart = s.paddr() + s.fileSize();
        long zeroEnd = s.paddr() + s.memSize();
        for (int j = 0; j < segs.size(); j++) {
            Elf32Image.Segment o = segs.get(j);
            if (j != i && o.paddr() < zeroEnd && zeroStart < o.paddr() + o.memSize()) {
                return s.fileSize();
            }
        }
        return s.memSize();
    }

    /** The E820 map as multiboot mmap entries: a size word (20), base, length, type. */
    static byte[] multibootMmap(E820Map map) {
        List<E820Map.Entry> entries = map.entries();
        ByteBuffer b = ByteBuffer.allocate(entries.size() * (4 + MMAP_ENTRY_SIZE)).order(ByteOrder.LITTLE_ENDIAN);
        for (E820Map.Entry e : entries) {
            b.putInt(MMAP_ENTRY_SIZE).putLong(e.base()).putLong(e.length()).putInt(e.type());
        }
        if (b.capacity() > INFO_ADDR - MMAP_ADDR) {
            throw new IllegalStateException("E820 map of " + entries.size() + " entries does not fit below the info structure");
        }
        return b.array();
    }

    /** Fails unless [start, end) is writable RAM below {@code ramBelow4g}. */
    private static void checkRam(AddressSpace memory, long start, long end, long ramBelow4g, String path,
                                 String what) throws ConfigException {
        boolean ok = end <= ramBelow4g;
        for (long a = start; ok && a < end; ) {
            FlatRange r = memory.lookup(a);
            ok = r != null && r.region() instanceof RamRegion ram && !ram.readOnly();
            if (ok) {
                a = r.end();
            }
        }
        if (!ok) {
            throw new ConfigException(path + ": multiboot " + what + " at 0x" + Long.toHexString(start) + "-0x"
                    + Long.toHexString(end - 1) + " lies outside RAM (0x0-0x" + Long.toHexString(ramBelow4g - 1) + ")");
        }
    }

    private static long pageAlign(long n) {
        return (n + PAGE - 1) & -PAGE;
    }

    private static int le32(byte[] b, int off) {
        return (b[off] & 0xff) | (b[off + 1] & 0xff) << 8 | (b[off + 2] & 0xff) << 16 | (b[off + 3] & 0xff) << 24;
    }
}
