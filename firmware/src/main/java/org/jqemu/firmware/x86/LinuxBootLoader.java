package org.jqemu.firmware.x86;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.jqemu.system.memory.AddressSpace;
import org.jqemu.system.memory.FlatRange;
import org.jqemu.system.memory.RamRegion;
import org.jqemu.system.options.ConfigException;

/**
 * Direct boot of a Linux x86 bzImage through the kernel's 32-bit boot protocol
 * (Documentation/arch/x86/boot.rst: "The Real-Mode Kernel Header", "Details of Header Fields",
 * "32-bit Boot Protocol"), the way a boot loader that has left real mode does it.
 *
 * <p>A bzImage is the real-mode setup code ({@code setup_sects + 1} sectors of 512 bytes, whose
 * sector 0 carries the setup header at 0x1F1) followed by the protected-mode kernel. We load the
 * protected-mode part at 1 MiB, as QEMU does, and instead of running the setup code we fill the
 * zero page ({@code struct boot_params}) ourselves: the copied setup header with the loader's
 * fields, the E820 map, an 80x25 text console in {@code screen_info} and the ACPI RSDP address.
 *
 * <p>Where things go, following QEMU's choices for a "high and recent" kernel where they exist:
 * boot_params at {@value #BOOT_PARAMS_HEX} (QEMU's real-mode address), the command line at
 * {@value #CMDLINE_HEX}, a four-entry GDT just after boot_params, and the initrd page aligned at
 * the top of RAM below min(initrd_addr_max, RAM below 4 GiB minus QEMU's ACPI data area). The
 * loader ID is QEMU's (0xB0: "B" is QEMU's number in boot.rst's table), so a guest cannot tell.
 *
 * <p>Entry state ({@link Entry}): 32-bit protected mode, paging off, interrupts off, CS = 0x10
 * and DS/ES/SS = 0x18 (__BOOT_CS/__BOOT_DS) flat 4 GiB segments described by the GDT, ESI =
 * boot_params, EBP = EDI = EBX = 0, EIP = the protected-mode kernel. KEEP_SEGMENTS stays clear
 * (boot.rst calls it obsolete): the segments are the protocol's own, so the kernel may reload them.
 * The kernel is always entered this way, 64-bit kernels included: their startup_32 switches to
 * long mode itself.
 */
public final class LinuxBootLoader {
    /** Oldest protocol we accept: 2.12 brings xloadflags and covers every kernel since 3.8. */
    public static final int MIN_PROTOCOL = 0x020c;
    public static final long BOOT_PARAMS = 0x10000;
    public static final long GDT = BOOT_PARAMS + 0x1000;
    public static final long CMDLINE = 0x20000;
    public static final long KERNEL_ADDR = 0x100000;
    /**
     * What QEMU keeps free below the top of low RAM for firmware tables (pc's acpi_data_size; Debian's
     * QEMU 7.2 places a pc guest's initrd to end just below the last 128 KiB, which E820Map reserves).
     */
    public static final long ACPI_DATA_SIZE = E820Map.HIGH_TABLES_SIZE;
    public static final int BOOT_CS = 0x10;
    public static final int BOOT_DS = 0x18;
    /** QEMU's boot loader ID and version (boot.rst: type_of_loader, ID 0xB). */
    public static final int TYPE_OF_LOADER = 0xb0;

    private static final String BOOT_PARAMS_HEX = "0x10000";
    private static final String CMDLINE_HEX = "0x20000";

    // Offsets in the zero page (struct boot_params, boot.rst "The Zero Page" and zero-page.rst).
    static final int SCREEN_INFO = 0x000;
    static final int ACPI_RSDP_ADDR = 0x070;
    static final int ALT_MEM_K = 0x1e0;
    static final int E820_ENTRIES = 0x1e8;
    static final int HDR = 0x1f1;
    static final int E820_TABLE = 0x2d0;
    static final int E820_MAX = 128;
    static final int ZERO_PAGE_SIZE = 4096;

    // Setup header fields, as offsets in the image's first sector and in the zero page alike.
    static final int SETUP_SECTS = 0x1f1;
    static final int SYSSIZE = 0x1f4;
    static final int BOOT_FLAG = 0x1fe;
    static final int HEADER_MAGIC = 0x202;
    static final int VERSION = 0x206;
    static final int TYPE_OF_LOADER_OFF = 0x210;
    static final int LOADFLAGS = 0x211;
    static final int CODE32_START = 0x214;
    static final int RAMDISK_IMAGE = 0x218;
    static final int RAMDISK_SIZE = 0x21c;
    static final int HEAP_END_PTR = 0x224;
    static final int CMD_LINE_PTR = 0x228;
    static final int INITRD_ADDR_MAX = 0x22c;
    static final int KERNEL_ALIGNMENT = 0x230;
    static final int RELOCATABLE = 0x234;
    static final int XLOADFLAGS = 0x236;
    static final int CMDLINE_SIZE = 0x238;
    static final int PREF_ADDRESS = 0x258;
    static final int INIT_SIZE = 0x260;

    static final int LOADED_HIGH = 1;
    static final int CAN_USE_HEAP = 0x80;
    public static final int XLF_KERNEL_64 = 1;
    public static final int XLF_CAN_BE_LOADED_ABOVE_4G = 2;
    private static final int HDRS = 0x53726448; // "HdrS"
    private static final long PAGE = 4096;

    /** How the CPU must be entered: see the class comment. */
    public record Entry(long eip, long esi, long gdtBase, int gdtLimit, int codeSelector, int dataSelector) {}

    /** The setup header fields we act on, read from the image. */
    public record Header(int protocol, int setupSects, long syssize, int loadflags, long code32Start,
                         long initrdAddrMax, long kernelAlignment, boolean relocatable, int xloadflags,
                         long cmdlineSize, long prefAddress, long initSize, int headerEnd) {
        /** Size of the real-mode part, which the protected-mode kernel follows in the file. */
        public int setupBytes() {
            return ((setupSects == 0 ? 4 : setupSects) + 1) * 512;
        }
    }

    private LinuxBootLoader() {}

    /** True when {@code image} carries a setup header (boot flag 0xAA55 and "HdrS"). */
    public static boolean isBzImage(byte[] image) {
        return image.length >= 0x264 && le16(image, BOOT_FLAG) == 0xaa55 && le32(image, HEADER_MAGIC) == HDRS;
    }

    /** Parses and checks the setup header of a bzImage. */
    public static Header header(byte[] image, String kernelPath) throws ConfigException {
        if (!isBzImage(image)) {
            throw new ConfigException(kernelPath + ": not a Linux bzImage (no 0xAA55 boot flag and \"HdrS\" setup header)");
        }
        int protocol = le16(image, VERSION);
        if (protocol < MIN_PROTOCOL) {
            throw new ConfigException(String.format("%s: Linux boot protocol %d.%02d is too old, 2.12 or later "
                    + "(kernel 3.8+) is needed", kernelPath, protocol >> 8, protocol & 0xff));
        }
        int headerEnd = 0x202 + (image[0x201] & 0xff);
        Header h = new Header(protocol, image[SETUP_SECTS] & 0xff, le32(image, SYSSIZE) & 0xffffffffL,
                image[LOADFLAGS] & 0xff, le32(image, CODE32_START) & 0xffffffffL,
                le32(image, INITRD_ADDR_MAX) & 0xffffffffL, le32(image, KERNEL_ALIGNMENT) & 0xffffffffL,
                image[RELOCATABLE] != 0, le16(image, XLOADFLAGS), le32(image, CMDLINE_SIZE) & 0xffffffffL,
                le64(image, PREF_ADDRESS), le32(image, INIT_SIZE) & 0xffffffffL, headerEnd);
        if ((h.loadflags() & LOADED_HIGH) == 0) {
            throw new ConfigException(kernelPath + ": zImage kernels (loaded below 1 MiB) are not supported");
        }
        if (h.setupBytes() >= image.length || headerEnd > h.setupBytes() || headerEnd > E820_TABLE) {
            throw new ConfigException(kernelPath + ": invalid kernel header (setup_sects " + h.setupSects()
                    + " for a file of " + image.length + " bytes)");
        }
        return h;
    }

    /**
     * Loads the kernel, command line and initrd, and builds boot_params and the GDT.
     *
     * @param initrd the initrd's bytes, or null
     * @param rsdpAddr the ACPI RSDP's physical address, or 0 when there are no ACPI tables
     */
    public static Entry load(AddressSpace memory, byte[] image, String kernelPath, String cmdline, byte[] initrd,
                             long ramBelow4g, long ramAbove4g, long rsdpAddr) throws ConfigException {
        Header h = header(image, kernelPath);
        byte[] cmd = (cmdline == null ? "" : cmdline).getBytes(StandardCharsets.UTF_8);
        if (cmd.length > h.cmdlineSize()) {
            throw new ConfigException(kernelPath + ": command line of " + cmd.length + " bytes is longer than the "
                    + h.cmdlineSize() + " the kernel accepts");
        }
        int protSize = image.length - h.setupBytes();
        long kernelEnd = KERNEL_ADDR + protSize;
        checkRam(memory, KERNEL_ADDR, kernelEnd, ramBelow4g, kernelPath, "kernel");

        ByteBuffer zp = ByteBuffer.allocate(ZERO_PAGE_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        zp.put(HDR, image, HDR, h.headerEnd() - HDR);
        zp.put(TYPE_OF_LOADER_OFF, (byte) TYPE_OF_LOADER);
        zp.put(LOADFLAGS, (byte) (h.loadflags() | CAN_USE_HEAP));
        // The heap of the (unused) real-mode code ends where QEMU's would: below the command line.
        zp.putShort(HEAP_END_PTR, (short) (CMDLINE - BOOT_PARAMS - 0x200));
        zp.putInt(CODE32_START, (int) KERNEL_ADDR);
        zp.putInt(CMD_LINE_PTR, (int) CMDLINE);

        long initrdAddr = 0;
        if (initrd != null) {
            long max = initrdMax(h, ramBelow4g);
            if (initrd.length >= max) {
                throw new ConfigException("initrd is too large, cannot support.(max: " + max + ", need "
                        + initrd.length + ")");
            }
            initrdAddr = (max - initrd.length) & -PAGE;
            if (initrdAddr < kernelEnd) {
                throw new ConfigException("initrd of " + initrd.length + " bytes does not fit between the kernel (ends 0x"
                        + Long.toHexString(kernelEnd) + ") and the top of RAM (0x" + Long.toHexString(max) + ")");
            }
            zp.putInt(RAMDISK_IMAGE, (int) initrdAddr);
            zp.putInt(RAMDISK_SIZE, initrd.length);
        }

        E820Map map = E820Map.pc(ramBelow4g, ramAbove4g);
        List<E820Map.Entry> entries = map.entries();
        if (entries.size() > E820_MAX) {
            throw new IllegalStateException("E820 map of " + entries.size() + " entries does not fit boot_params");
        }
        zp.put(E820_ENTRIES, (byte) entries.size());
        for (int i = 0; i < entries.size(); i++) {
            E820Map.Entry e = entries.get(i);
            int at = E820_TABLE + 20 * i;
            zp.putLong(at, e.base()).putLong(at + 8, e.length()).putInt(at + 16, e.type());
        }
        // INT 15h E801's answer: KiB from 1 MiB, for kernels that look at it before e820.
        zp.putInt(ALT_MEM_K, (int) map.upperMemoryKib());
        textConsole(zp);
        zp.putLong(ACPI_RSDP_ADDR, rsdpAddr);

        ByteBuffer gdt = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN);
        gdt.putLong(BOOT_CS, 0x00cf9b000000ffffL);  // flat 4 GiB, 32-bit, execute/read, accessed
        gdt.putLong(BOOT_DS, 0x00cf93000000ffffL);  // flat 4 GiB, 32-bit, read/write, accessed

        byte[] cmdz = new byte[cmd.length + 1];
        System.arraycopy(cmd, 0, cmdz, 0, cmd.length);
        memory.writeBytes(BOOT_PARAMS, zp.array(), 0, ZERO_PAGE_SIZE, false);
        memory.writeBytes(GDT, gdt.array(), 0, gdt.capacity(), false);
        memory.writeBytes(CMDLINE, cmdz, 0, cmdz.length, false);
        memory.writeBytes(KERNEL_ADDR, image, h.setupBytes(), protSize, false);
        if (initrd != null) {
            memory.writeBytes(initrdAddr, initrd, 0, initrd.length, false);
        }
        return new Entry(KERNEL_ADDR, BOOT_PARAMS, GDT, gdt.capacity() - 1, BOOT_CS, BOOT_DS);
    }

    /**
     * The end of the area the initrd may occupy, exclusive of the byte QEMU keeps: RAM below
     * 4 GiB minus QEMU's ACPI data area, or lower if the kernel's initrd_addr_max says so (ignored,
     * as QEMU ignores it, when the kernel declares it can take an initrd anywhere).
     */
    static long initrdMax(Header h, long ramBelow4g) {
        long max = (h.xloadflags() & XLF_CAN_BE_LOADED_ABOVE_4G) != 0 ? 0xffffffffL : h.initrdAddrMax();
        long ramLimit = ramBelow4g - ACPI_DATA_SIZE;
        return max >= ramLimit ? ramLimit - 1 : max;
    }

    /**
     * screen_info for the 80x25 colour text mode 3 a VGA BIOS leaves behind (include/uapi/linux/
     * screen_info.h): cursor at the top left, 16-line character cells, a VGA (isVGA = 1).
     */
    private static void textConsole(ByteBuffer zp) {
        zp.put(SCREEN_INFO + 0x00, (byte) 0);      // orig_x
        zp.put(SCREEN_INFO + 0x01, (byte) 0);      // orig_y
        zp.putShort(SCREEN_INFO + 0x04, (short) 0); // orig_video_page
        zp.put(SCREEN_INFO + 0x06, (byte) 3);      // orig_video_mode: 80x25 colour text
        zp.put(SCREEN_INFO + 0x07, (byte) 80);     // orig_video_cols
        zp.putShort(SCREEN_INFO + 0x0a, (short) 3); // orig_video_ega_bx: colour, 256 KiB (not 0x10: an EGA/VGA is there)
        zp.put(SCREEN_INFO + 0x0e, (byte) 25);     // orig_video_lines
        zp.put(SCREEN_INFO + 0x0f, (byte) 1);      // orig_video_isVGA
        zp.putShort(SCREEN_INFO + 0x10, (short) 16); // orig_video_points
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
            throw new ConfigException(path + ": " + what + " at 0x" + Long.toHexString(start) + "-0x"
                    + Long.toHexString(end - 1) + " does not fit in RAM (0x0-0x" + Long.toHexString(ramBelow4g - 1) + ")");
        }
    }

    static int le16(byte[] b, int off) {
        return (b[off] & 0xff) | (b[off + 1] & 0xff) << 8;
    }

    static int le32(byte[] b, int off) {
        return le16(b, off) | le16(b, off + 2) << 16;
    }

    static long le64(byte[] b, int off) {
        return (le32(b, off) & 0xffffffffL) | (long) le32(b, off + 4) << 32;
    }
}
