package org.jqemu.firmware.x86;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.machine.MachineConfig;
import org.jqemu.system.memory.AddressSpace;
import org.jqemu.system.memory.RamRegion;
import org.jqemu.system.options.ConfigException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class LinuxBootLoaderTest {
    private static final long MIB = 1 << 20;
    /** -m 512, the size the comparison with Debian's QEMU 7.2 was made at. */
    private static final long RAM = 512 * MIB;
    private static final long RSDP = 0xf0000;

    private Machine machine;
    private AddressSpace mem;

    @BeforeEach
    void setUp() {
        machine = new Machine(new MachineConfig());
        machine.memory().root().add(0, RamRegion.allocate(machine.arena(), "ram", RAM, false));
        mem = machine.memory();
        // Garbage in the zero page, so the test sees that the loader clears it.
        byte[] junk = new byte[4096];
        Arrays.fill(junk, (byte) 0xaa);
        mem.writeBytes(LinuxBootLoader.BOOT_PARAMS, junk);
    }

    @AfterEach
    void tearDown() {
        machine.close();
    }

    /**
     * A bzImage as the kernel's build lays it out: {@code setupSects} + 1 sectors of setup with
     * the header at 0x1F1, then the protected-mode payload (here a recognisable byte pattern).
     */
    static byte[] bzImage(int version, int setupSects, int payload, int xloadflags, long initrdAddrMax) {
        int setupBytes = ((setupSects == 0 ? 4 : setupSects) + 1) * 512;
        byte[] img = new byte[setupBytes + payload];
        ByteBuffer b = ByteBuffer.wrap(img).order(ByteOrder.LITTLE_ENDIAN);
        b.put(0x1f1, (byte) setupSects);
        b.putInt(0x1f4, payload / 16);            // syssize
        b.putShort(0x1fe, (short) 0xaa55);
        b.put(0x200, (byte) 0xeb).put(0x201, (byte) 0x6a); // jmp: header ends at 0x26c
        b.putInt(0x202, 0x53726448);
        b.putShort(0x206, (short) version);
        b.put(0x211, (byte) 1);                   // LOADED_HIGH
        b.putInt(0x214, 0x100000);
        b.putInt(0x22c, (int) initrdAddrMax);
        b.putInt(0x230, 0x1000000);               // kernel_alignment
        b.put(0x234, (byte) 1);                   // relocatable
        b.putShort(0x236, (short) xloadflags);
        b.putInt(0x238, 0x7ff);                   // cmdline_size
        b.putLong(0x258, 0x1000000);              // pref_address
        b.putInt(0x260, 0x100c000);               // init_size
        for (int i = setupBytes; i < img.length; i++) {
            img[i] = (byte) (i * 13 + 1);
        }
        return img;
    }

    private byte[] read(long addr, int len) {
        byte[] b = new byte[len];
        mem.readBytes(addr, b, 0, len);
        return b;
    }

    private ByteBuffer zeroPage() {
        return ByteBuffer.wrap(read(LinuxBootLoader.BOOT_PARAMS, 4096)).order(ByteOrder.LITTLE_ENDIAN);
    }

    @Test
    void headerIsParsed() throws Exception {
        byte[] img = bzImage(0x020f, 39, 4096, LinuxBootLoader.XLF_KERNEL_64, 0x7fffffff);
        assertTrue(LinuxBootLoader.isBzImage(img));
        LinuxBootLoader.Header h = LinuxBootLoader.header(img, "vmlinuz");
        assertEquals(0x020f, h.protocol());
        assertEquals(40 * 512, h.setupBytes());
        assertEquals(256, h.syssize());
        assertEquals(0x100000, h.code32Start());
        assertEquals(0x7fffffff, h.initrdAddrMax());
        assertEquals(0x1000000, h.kernelAlignment());
        assertTrue(h.relocatable());
        assertEquals(LinuxBootLoader.XLF_KERNEL_64, h.xloadflags());
        assertEquals(0x7ff, h.cmdlineSize());
        assertEquals(0x1000000, h.prefAddress());
        assertEquals(0x100c000, h.initSize());
        assertEquals(0x26c, h.headerEnd());
        // setup_sects 0 means 4, as in the oldest kernels.
        assertEquals(5 * 512, LinuxBootLoader.header(bzImage(0x020f, 0, 4096, 0, 0), "k").setupBytes());
    }

    @Test
    void zeroPageCommandLineAndKernelAreLaidOutLikeQemu() throws Exception {
        byte[] img = bzImage(0x020f, 3, 8192, 0, 0x7fffffff);
        // An initrd of this size lands where Debian's QEMU 7.2 put Debian's 686 initrd at -m 512:
        // [mem 0x1febd000-0x1ffdffff] in the guest's log.
        byte[] initrd = new byte[0x122345];
        Arrays.fill(initrd, (byte) 0x5a);
        LinuxBootLoader.Entry e = LinuxBootLoader.load(mem, img, "vmlinuz", "console=ttyS0 quiet", initrd, RAM, 0,
                RSDP);

        assertEquals(new LinuxBootLoader.Entry(0x100000, 0x10000, 0x11000, 31, 0x10, 0x18), e);
        ByteBuffer zp = zeroPage();
        // The setup header is the kernel's, with the loader's fields filled in.
        assertEquals(0xaa55, zp.getShort(0x1fe) & 0xffff);
        assertEquals(0x53726448, zp.getInt(0x202));
        assertEquals(0x020f, zp.getShort(0x206));
        assertEquals(0xb0, zp.get(0x210) & 0xff, "type_of_loader: QEMU's");
        assertEquals(0x81, zp.get(0x211) & 0xff, "LOADED_HIGH | CAN_USE_HEAP");
        assertEquals(0x100000, zp.getInt(0x214));
        assertEquals(0x1febd000, zp.getInt(0x218), "ramdisk_image");
        assertEquals(0x122345, zp.getInt(0x21c), "ramdisk_size");
        assertEquals(0xfe00, zp.getShort(0x224) & 0xffff, "heap_end_ptr as QEMU sets it");
        assertEquals(0x20000, zp.getInt(0x228), "cmd_line_ptr");
        assertEquals(0x7ff, zp.getInt(0x238));
        // Past the header's end (0x26c) nothing is copied from the image.
        assertEquals(0, zp.get(0x26c));
        // The rest of the zero page is cleared, apart from what the loader fills.
        assertEquals(0, zp.getInt(0x40));
        assertEquals(RSDP, zp.getLong(0x70), "acpi_rsdp_addr");

        assertEquals("console=ttyS0 quiet\0",
                new String(read(0x20000, 20), StandardCharsets.US_ASCII));
        assertArrayEquals(Arrays.copyOfRange(img, 4 * 512, img.length), read(0x100000, 8192));
        assertArrayEquals(initrd, read(0x1febd000, initrd.length));
        // The GDT: null, null, __BOOT_CS, __BOOT_DS, all flat 4 GiB.
        ByteBuffer gdt = ByteBuffer.wrap(read(0x11000, 32)).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(0, gdt.getLong(0));
        assertEquals(0, gdt.getLong(8));
        assertEquals(0x00cf9b000000ffffL, gdt.getLong(16));
        assertEquals(0x00cf93000000ffffL, gdt.getLong(24));
    }

    @Test
    void e820TableIsTheBoardMap() throws Exception {
        LinuxBootLoader.load(mem, bzImage(0x020c, 1, 1024, 0, 0x37ffffff), "k", "", null, RAM, 0, 0);
        ByteBuffer zp = zeroPage();
        List<E820Map.Entry> expected = E820Map.pc(RAM, 0).entries();
        assertEquals(6, expected.size(), "the map Debian's QEMU 7.2 + SeaBIOS gives -m 512");
        assertEquals(expected.size(), zp.get(0x1e8));
        for (int i = 0; i < expected.size(); i++) {
            int at = 0x2d0 + 20 * i;
            assertEquals(expected.get(i), new E820Map.Entry(zp.getLong(at), zp.getLong(at + 8), zp.getInt(at + 16)));
        }
        // The first and the usable high range, as the guest prints them under QEMU.
        assertEquals(new E820Map.Entry(0, 0x9fc00, E820Map.TYPE_RAM), expected.get(0));
        assertEquals(new E820Map.Entry(0x100000, 0x1ffe0000L - 0x100000, E820Map.TYPE_RAM), expected.get(3));
        assertEquals((RAM - 0x20000 - MIB) >> 10, zp.getInt(0x1e0), "alt_mem_k");
        assertEquals(0, zp.getInt(0x218), "no initrd");
        assertEquals(0, zp.getLong(0x70), "no RSDP");
    }

    @Test
    void screenInfoDescribesAnEightyByTwentyFiveVgaTextConsole() throws Exception {
        LinuxBootLoader.load(mem, bzImage(0x020c, 1, 1024, 0, 0x37ffffff), "k", "", null, RAM, 0, 0);
        ByteBuffer zp = zeroPage();
        assertEquals(0, zp.get(0x00), "orig_x");
        assertEquals(0, zp.get(0x01), "orig_y");
        assertEquals(3, zp.get(0x06), "orig_video_mode");
        assertEquals(80, zp.get(0x07), "orig_video_cols");
        assertEquals(25, zp.get(0x0e), "orig_video_lines");
        assertEquals(1, zp.get(0x0f), "orig_video_isVGA");
        assertEquals(16, zp.getShort(0x10), "orig_video_points");
        assertTrue(zp.getShort(0x0a) != 0x10, "orig_video_ega_bx says an EGA/VGA is there");
    }

    @Test
    void initrdStaysBelowInitrdAddrMaxUnlessTheKernelTakesItAnywhere() throws Exception {
        byte[] initrd = new byte[5000];
        LinuxBootLoader.load(mem, bzImage(0x020c, 1, 1024, 0, 0x0fffffff), "k", "", initrd, RAM, 0, 0);
        assertEquals((0x0fffffff - 5000) & -4096, zeroPage().getInt(0x218));
        LinuxBootLoader.load(mem, bzImage(0x020f, 1, 1024, LinuxBootLoader.XLF_CAN_BE_LOADED_ABOVE_4G, 0x0fffffff),
                "k", "", initrd, RAM, 0, 0);
        assertEquals((RAM - 0x20000 - 1 - 5000) & -4096, zeroPage().getInt(0x218));
    }

    @Test
    void badKernelsAndInputsAreConfigErrors() {
        ConfigException old = assertThrows(ConfigException.class,
                () -> LinuxBootLoader.load(mem, bzImage(0x020b, 1, 1024, 0, 0), "old/vmlinuz", "", null, RAM, 0, 0));
        assertEquals("old/vmlinuz: Linux boot protocol 2.11 is too old, 2.12 or later (kernel 3.8+) is needed",
                old.getMessage());
        byte[] notLinux = new byte[4096];
        assertFalse(LinuxBootLoader.isBzImage(notLinux));
        ConfigException none = assertThrows(ConfigException.class,
                () -> LinuxBootLoader.load(mem, notLinux, "x.bin", "", null, RAM, 0, 0));
        assertEquals("x.bin: not a Linux bzImage (no 0xAA55 boot flag and \"HdrS\" setup header)", none.getMessage());
        ConfigException longCmd = assertThrows(ConfigException.class,
                () -> LinuxBootLoader.load(mem, bzImage(0x020f, 1, 1024, 0, 0), "k", "x".repeat(0x800), null, RAM, 0, 0));
        assertEquals("k: command line of 2048 bytes is longer than the 2047 the kernel accepts", longCmd.getMessage());
        ConfigException big = assertThrows(ConfigException.class,
                () -> LinuxBootLoader.load(mem, bzImage(0x020f, 1, 1024, 0, 0x7fffffff), "k", "", new byte[(int) (16 * MIB)],
                        16 * MIB, 0, 0));
        assertEquals("initrd is too large, cannot support.(max: " + (16 * MIB - 0x20000 - 1) + ", need " + 16 * MIB + ")",
                big.getMessage());
        ConfigException overlap = assertThrows(ConfigException.class,
                () -> LinuxBootLoader.load(mem, bzImage(0x020f, 1, (int) (8 * MIB), 0, 0x7fffffff), "k", "",
                        new byte[(int) (8 * MIB)], 16 * MIB, 0, 0));
        assertTrue(overlap.getMessage().startsWith("initrd of 8388608 bytes does not fit between the kernel"),
                overlap.getMessage());
        ConfigException kernelTooBig = assertThrows(ConfigException.class,
                () -> LinuxBootLoader.load(mem, bzImage(0x020f, 1, (int) (16 * MIB), 0, 0), "k", "", null, 16 * MIB, 0, 0));
        assertEquals("k: kernel at 0x100000-0x10fffff does not fit in RAM (0x0-0xffffff)", kernelTooBig.getMessage());
    }
}
