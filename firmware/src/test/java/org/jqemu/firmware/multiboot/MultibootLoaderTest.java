package org.jqemu.firmware.multiboot;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.jqemu.firmware.multiboot.TestImages.Seg;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.machine.MachineConfig;
import org.jqemu.system.memory.AddressSpace;
import org.jqemu.system.memory.RamRegion;
import org.jqemu.system.options.ConfigException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MultibootLoaderTest {
    private static final long MIB = 1 << 20;
    /** -m 16: small enough to allocate quickly for every test. */
    private static final long RAM = 16 * MIB;

    @TempDir
    Path tmp;

    private Machine machine;
    private AddressSpace mem;

    @BeforeEach
    void setUp() {
        machine = new Machine(new MachineConfig());
        RamRegion ram = RamRegion.allocate(machine.arena(), "ram", RAM, false);
        // Garbage where the tests load, so they see what the loader zeroes.
        ram.segment().fill((byte) 0xaa);
        machine.memory().root().add(0, ram);
        mem = machine.memory();
    }

    @AfterEach
    void tearDown() {
        machine.close(); // also releases the guest RAM
    }

    private MultibootLoader.Entry load(byte[] image, String path, String cmdline, List<String> mods)
            throws ConfigException {
        return MultibootLoader.load(mem, image, path, cmdline, mods, RAM, 0);
    }

    private byte[] read(long addr, int len) {
        byte[] b = new byte[len];
        mem.readBytes(addr, b, 0, len);
        return b;
    }

    private String cstring(long addr) {
        StringBuilder sb = new StringBuilder();
        for (int c; (c = mem.read8(addr)) != 0; addr++) {
            sb.append((char) c);
        }
        return sb.toString();
    }

    private int info(int offset) {
        return mem.read32(MultibootLoader.INFO_ADDR + offset);
    }

    // ---- header detection -------------------------------------------------------------------

    @Test
    void findsHeaderOnlyWhenAlignedWithChecksumAndInFirst8KiB() {
        ByteBuffer b = TestImages.le(16384);
        TestImages.putAoutHeader(b, 8140, TestImages.AOUT, 0, 0, 0, 0, 0);
        assertTrue(MultibootLoader.isMultiboot(b.array()), "last offset QEMU scans");

        b = TestImages.le(16384);
        TestImages.putAoutHeader(b, 8144, TestImages.AOUT, 0, 0, 0, 0, 0);
        assertFalse(MultibootLoader.isMultiboot(b.array()), "beyond 8192 - 48");

        b = TestImages.le(64);
        TestImages.putAoutHeader(b, 6, TestImages.AOUT, 0, 0, 0, 0, 0);
        assertFalse(MultibootLoader.isMultiboot(b.array()), "unaligned");

        b = TestImages.le(64);
        TestImages.putAoutHeader(b, 8, TestImages.AOUT, 0, 0, 0, 0, 0);
        b.putInt(16, b.getInt(16) + 1);
        assertFalse(MultibootLoader.isMultiboot(b.array()), "bad checksum");

        assertFalse(MultibootLoader.isMultiboot(new byte[] {0x02, (byte) 0xb0, (byte) 0xad, 0x1b}), "too short");
        assertTrue(MultibootLoader.isMultiboot(TestImages.aout(64, 0x100000, 0, 0x100020)));
    }

    @Test
    void headerAfterFalseMagicIsFound() {
        ByteBuffer b = TestImages.le(4096);
        b.putInt(0, TestImages.MAGIC);      // magic with a wrong checksum: skipped
        TestImages.putAoutHeader(b, 64, TestImages.AOUT, 0x100040, 0x100000, 0, 0, 0x100080);
        assertTrue(MultibootLoader.isMultiboot(b.array()));
    }

    // ---- a.out kludge -------------------------------------------------------------------------

    @Test
    void aoutKernelIsCopiedAndBssZeroed() throws Exception {
        byte[] image = TestImages.aout(300, 0x200000, 0x200000 + 0x1800, 0x200040);
        MultibootLoader.Entry e = load(image, "k.bin", null, null);
        assertEquals(0x200040, e.eip());
        assertEquals(0x2BADB002, e.eax());
        assertEquals(0x9500, e.ebx());
        assertArrayEquals(image, read(0x200000, 300));
        byte[] bss = read(0x200000 + 300, 0x1800 - 300);
        assertArrayEquals(new byte[bss.length], bss, "bss zeroed");
        assertEquals(0xaa, mem.read8(0x200000 + 0x3000), "nothing written past the buffer");
    }

    @Test
    void aoutHeaderNotAtLoadAddressShiftsTheText() throws Exception {
        // The file's first 0x40 bytes are not loaded: load_addr = header_addr - 0x20 while the
        // header sits at file offset 0x60.
        ByteBuffer b = TestImages.le(0x200);
        for (int i = 0; i < 0x200; i++) {
            b.put(i, TestImages.pattern(i));
        }
        TestImages.putAoutHeader(b, 0x60, TestImages.AOUT, 0x300020, 0x300000, 0x300100, 0, 0x300080);
        byte[] image = b.array();
        MultibootLoader.Entry e = load(image, "k", "", null);
        assertEquals(0x300080, e.eip());
        assertArrayEquals(Arrays.copyOfRange(image, 0x40, 0x140), read(0x300000, 0x100));
        assertArrayEquals(new byte[0x1000 - 0x100], read(0x300100, 0x1000 - 0x100), "page tail zeroed");
    }

    @Test
    void loadEndZeroMeansTheRestOfTheFile() throws Exception {
        ByteBuffer b = TestImages.le(5000);
        for (int i = 32; i < 5000; i++) {
            b.put(i, TestImages.pattern(i));
        }
        TestImages.putAoutHeader(b, 0, TestImages.AOUT, 0x100000, 0x100000, 0, 0, 0x100020);
        load(b.array(), "k", "", null);
        assertArrayEquals(b.array(), read(0x100000, 5000));
        // Kernel buffer is two pages; the module table and strings follow on the third.
        assertEquals(0x102000, info(24));
    }

    // ---- the info structure -------------------------------------------------------------------

    @Test
    void infoStructureMatchesQemu() throws Exception {
        // Same shapes as bench/guests/mbinfo.asm under Debian's QEMU 7.2 with
        // -m 16 -kernel mbinfo.bin -append "hello world" -initrd "m1 arg1 arg2,m2":
        // mods at 103000-103008 / 104000-104006, strings at 102020, 10202d, 102030, 102047.
        Files.writeString(tmp.resolve("m1"), "MOD1DATA");
        Files.writeString(tmp.resolve("m2"), "SECOND");
        String m1 = tmp.resolve("m1").toString();
        String m2 = tmp.resolve("m2").toString();
        // A path of the same length as "mbinfo.bin" keeps QEMU's offsets; module strings here are
        // longer than "m1", so compute where they end rather than hard-coding it.
        byte[] image = TestImages.aout(567, 0x100000, 0x100000 + 0x1000 + 567 + 8, 0x100020);
        load(image, "mbinfo.bin", "hello world", List.of(m1 + " arg1 arg2", m2));

        assertEquals(0x24f, info(0), "flags: mem, boot_device, cmdline, mods, mmap, loader name");
        assertEquals(639, info(4), "mem_lower");
        assertEquals(0x3b80, info(8), "mem_upper");
        assertEquals(0x8000ffff, info(12), "boot_device");
        assertEquals(2, info(20), "mods_count");
        assertEquals(0x102000, info(24), "mods_addr");
        assertEquals(0x90, info(44), "mmap_length");
        assertEquals(0x9000, info(48), "mmap_addr");
        for (int off : new int[] {28, 32, 36, 40, 52, 56, 60, 68, 72, 76, 80, 84}) {
            assertEquals(0, info(off), "info+" + off + " is zero");
        }
        long c1 = 0x102020;
        long c2 = c1 + m1.length() + " arg1 arg2".length() + 1;
        long ck = c2 + m2.length() + 1;
        assertEquals(m1 + " arg1 arg2", cstring(c1));
        assertEquals(m2, cstring(c2));
        assertEquals(ck, info(16) & 0xffffffffL, "cmdline follows the module strings");
        assertEquals("mbinfo.bin hello world", cstring(ck));
        // The loader name sits after the space reserved for every command line and the raw -initrd.
        long rawInitrd = (m1 + " arg1 arg2," + m2).length() + 1;
        long name = c1 + "mbinfo.bin".length() + 1 + "hello world".length() + 1 + rawInitrd;
        assertEquals(name, info(64) & 0xffffffffL);
        assertEquals("qemu", cstring(name));

        assertEquals(0x103000, mem.read32(0x102000), "mod 0 start");
        assertEquals(0x103008, mem.read32(0x102004), "mod 0 end");
        assertEquals(c1, mem.read32(0x102008), "mod 0 string");
        assertEquals(0, mem.read32(0x10200c), "mod 0 reserved");
        assertEquals(0x104000, mem.read32(0x102010), "mod 1 start on the next page");
        assertEquals(0x104006, mem.read32(0x102014));
        assertEquals(c2, mem.read32(0x102018));
        assertEquals("MOD1DATA", new String(read(0x103000, 8), StandardCharsets.US_ASCII));
        assertEquals("SECOND", new String(read(0x104000, 6), StandardCharsets.US_ASCII));
        assertArrayEquals(new byte[4096 - 6], read(0x104006, 4096 - 6), "module page tail zeroed");
    }

    @Test
    void cmdlineIsKernelPathSpaceAppendEvenWithoutAppend() throws Exception {
        load(TestImages.aout(64, 0x100000, 0, 0x100020), "./mbinfo.bin", null, null);
        assertEquals("./mbinfo.bin ", cstring(info(16)));
        assertEquals(0, info(20), "no modules");
        assertEquals(0x101000, info(24), "mods_addr still points after the kernel");
    }

    @Test
    void emptyModuleListIsNoInitrd() throws Exception {
        byte[] image = TestImages.aout(64, 0x100000, 0, 0x100020);
        load(image, "k", "x", null);
        int nameWithout = info(64);
        load(image, "k", "x", List.of());
        assertEquals(nameWithout, info(64), "no byte reserved for an -initrd string");
        assertEquals(0x101000 + 2 + 2, nameWithout, "strings: \"k\" + \"x\" reserved, then the name");
    }

    @Test
    void mmapIsThePcE820Map() throws Exception {
        // As QEMU 7.2 + SeaBIOS report it for -m 16.
        load(TestImages.aout(64, 0x100000, 0, 0x100020), "k", "", null);
        long[][] expected = {
            {0x0, 0x9fc00, 1},
            {0x9fc00, 0x400, 2},
            {0xf0000, 0x10000, 2},
            {0x100000, 0xee0000, 1},
            {0xfe0000, 0x20000, 2},
            {0xfffc0000L, 0x40000, 2},
        };
        assertEquals(expected.length * 24, info(44));
        for (int i = 0; i < expected.length; i++) {
            long p = 0x9000 + 24L * i;
            assertEquals(20, mem.read32(p), "entry size");
            assertEquals(expected[i][0], mem.read64(p + 4), "base " + i);
            assertEquals(expected[i][1], mem.read64(p + 12), "length " + i);
            assertEquals(expected[i][2], mem.read32(p + 20), "type " + i);
        }
    }

    @Test
    void ramAbove4gAppearsInTheMapButNotInMemUpper() throws Exception {
        // 16 MiB below 4 GiB (all this test machine has), 2 GiB above.
        byte[] image = TestImages.aout(64, 0x100000, 0, 0x100020);
        MultibootLoader.load(mem, image, "k", "", null, RAM, 2L << 30);
        assertEquals(0x3b80, info(8));
        assertEquals(7 * 24, info(44));
        long last = 0x9000 + 24 * 6;
        assertEquals(1L << 32, mem.read64(last + 4));
        assertEquals(2L << 30, mem.read64(last + 12));
        assertEquals(1, mem.read32(last + 20));
    }

    @Test
    void videoModeFlagOnlyWarns() throws Exception {
        ByteBuffer b = TestImages.le(64);
        TestImages.putAoutHeader(b, 0, TestImages.AOUT | 4 | 1 << 12, 0x100000, 0x100000, 0x100040, 0, 0x100020);
        assertEquals(0x100020, load(b.array(), "k", "", null).eip());
    }

    // ---- ELF ----------------------------------------------------------------------------------

    @Test
    void elfSegmentsAreLoadedByPhysicalAddressWithBssAndGapsZeroed() throws Exception {
        byte[] image = TestImages.elf(0x3000, 3, 0x100010,
                Seg.load(0x1000, 0x100000, 0x800, 0x800, 5),
                Seg.load(0x2000, 0x102000, 0x100, 0x400, 6),
                new Seg(4, 0x1000, 0x300000, 0x300000, 0x10, 0x10, 4));   // PT_NOTE: ignored
        MultibootLoader.Entry e = load(image, "k.elf", "", null);
        assertEquals(0x100010, e.eip());
        assertArrayEquals(Arrays.copyOfRange(image, 0x1000, 0x1800), read(0x100000, 0x800));
        assertArrayEquals(new byte[0x1800], read(0x100800, 0x1800), "gap between segments zeroed");
        assertArrayEquals(Arrays.copyOfRange(image, 0x2000, 0x2100), read(0x102000, 0x100));
        assertArrayEquals(new byte[0x300], read(0x102100, 0x300), "bss zeroed");
        assertEquals(0x103000, info(24), "module table after the page-aligned segment span");
        assertEquals(0xaa, mem.read8(0x300000), "non-load segment ignored");
    }

    @Test
    void elfEntryMovesWithTheExecutableSegmentWhenLinkedHigh() throws Exception {
        Seg text = new Seg(1, 0x1000, 0xc0100000L, 0x100000, 0x200, 0x200, 5);
        byte[] image = TestImages.elf(0x1200, 3, 0xc0100040L, text);
        assertEquals(0x100040, load(image, "k.elf", "", null).eip());
    }

    @Test
    void elfBssOverlappingTheNextSegmentIsTruncated() throws Exception {
        byte[] image = TestImages.elf(0x3000, 3, 0x100000,
                Seg.load(0x1000, 0x100000, 0x100, 0x2000, 5),      // zero tail would hit 0x101000
                Seg.load(0x2000, 0x101000, 0x100, 0x100, 6));
        load(image, "k.elf", "", null);
        assertArrayEquals(Arrays.copyOfRange(image, 0x2000, 0x2100), read(0x101000, 0x100));
    }

    @Test
    void elf64IsRejectedWithQemusMessage() {
        byte[] image = TestImages.elf(0x2000, 62, 0x100000, Seg.load(0x1000, 0x100000, 0x100, 0x100, 5));
        ConfigException e = assertThrows(ConfigException.class, () -> load(image, "k64.elf", "", null));
        assertEquals("k64.elf: Cannot load x86-64 image, give a 32bit one.", e.getMessage());
    }

    @Test
    void elfErrorsNameTheFileAndProblem() {
        byte[] arm = TestImages.elf(0x2000, 40, 0x100000, Seg.load(0x1000, 0x100000, 0x100, 0x100, 5));
        assertMessage("k.elf: Error while loading elf kernel: machine 40 is not i386", arm, "k.elf");

        byte[] notElf = TestImages.elf(0x2000, 3, 0x100000, Seg.load(0x1000, 0x100000, 0x100, 0x100, 5));
        notElf[1] = 'X';
        assertMessage("k.elf: Error while loading elf kernel: not an ELF file", notElf, "k.elf", true);

        byte[] noLoad = TestImages.elf(0x2000, 3, 0x100000);
        assertMessage("k.elf: Error while loading elf kernel: no loadable segment", noLoad, "k.elf");

        byte[] truncated = TestImages.elf(0x1800, 3, 0x100000, Seg.load(0x1000, 0x100000, 0x1000, 0x1000, 5));
        assertMessage("k.elf: Error while loading elf kernel: segment 0 data lies outside the file", truncated, "k.elf", true);

        byte[] overlap = TestImages.elf(0x3000, 3, 0x100000,
                Seg.load(0x1000, 0x100000, 0x1000, 0x1000, 5), Seg.load(0x2000, 0x100800, 0x1000, 0x1000, 6));
        assertMessage("k.elf: ELF segments at 0x100000 and 0x100800 overlap", overlap, "k.elf");

        byte[] high = TestImages.elf(0x2000, 3, 0x100000, Seg.load(0x1000, 0x9000000, 0x100, 0x100, 5));
        assertMessage("k.elf: multiboot image at 0x9000000-0x9001fff lies outside RAM (0x0-0xffffff)", high, "k.elf");

        byte[] rom = TestImages.elf(0x2000, 3, 0xf0000, Seg.load(0x1000, 0xf0000, 0x100, 0x100, 5));
        assertThrows(ConfigException.class, () -> {
            RamRegion bios = RamRegion.allocate(machine.arena(), "bios", 0x10000, true);
            mem.root().add(0xf0000, bios, 1);
            load(rom, "k.elf", "", null);
        }, "read-only memory is not RAM");
    }

    // ---- a.out errors -------------------------------------------------------------------------

    @Test
    void aoutErrorsNameTheFileAndProblem() {
        ByteBuffer b = TestImages.le(0x100);
        TestImages.putAoutHeader(b, 0, TestImages.AOUT, 0x100000, 0x100010, 0, 0, 0x100000);
        assertMessage("k: invalid load_addr address 0x100010 (above header_addr 0x100000)", b.array(), "k");

        b = TestImages.le(0x100);
        TestImages.putAoutHeader(b, 0x10, TestImages.AOUT, 0x100020, 0x100000, 0, 0, 0x100000);
        assertMessage("k: invalid header_addr address 0x100020 (load_addr would lie before the start of the file)",
                b.array(), "k");

        b = TestImages.le(0x100);
        TestImages.putAoutHeader(b, 0, TestImages.AOUT, 0x100000, 0x100000, 0xff000, 0, 0x100000);
        assertMessage("k: invalid load_end_addr address 0xff000", b.array(), "k");

        b = TestImages.le(0x100);
        TestImages.putAoutHeader(b, 0, TestImages.AOUT, 0x100000, 0x100000, 0x100100, 0x100080, 0x100000);
        assertMessage("k: invalid bss_end_addr address 0x100080", b.array(), "k");

        b = TestImages.le(0x100);
        TestImages.putAoutHeader(b, 0, TestImages.AOUT, 0x100000, 0x100000, 0x100200, 0, 0x100000);
        assertMessage("k: file too small: load_end_addr asks for 512 bytes from offset 0 but the file has 256",
                b.array(), "k");

        b = TestImages.le(0x100);
        TestImages.putAoutHeader(b, 0, TestImages.AOUT, 0xfffff000L, 0xfffff000L, 0, 0xfffff000L + 0x100, 0);
        b.putInt(0x14, 0);
        assertMessage("k: multiboot image at 0xfffff000-0x100000fff lies outside RAM (0x0-0xffffff)", b.array(), "k");

        byte[] cut = Arrays.copyOf(TestImages.aout(64, 0x100000, 0, 0), 20);
        assertMessage("k: multiboot header at offset 0 is cut short by the end of the file", cut, "k");

        assertMessage("k: no multiboot header (magic 0x1BADB002 with a valid checksum) in the first 8 KiB",
                new byte[8192], "k");
    }

    @Test
    void kernelTooBigForRam() {
        byte[] image = TestImages.aout(64, 0xfff000, 0xfff000 + 0x2000, 0xfff000);
        assertMessage("k: multiboot image at 0xfff000-0x1001fff lies outside RAM (0x0-0xffffff)", image, "k");
    }

    // ---- modules ------------------------------------------------------------------------------

    @Test
    void missingModuleIsNamed() {
        String missing = tmp.resolve("nope").toString();
        ConfigException e = assertThrows(ConfigException.class,
                () -> load(TestImages.aout(64, 0x100000, 0, 0x100020), "k", "", List.of(missing + " args")));
        assertEquals("Failed to open file '" + missing + "'", e.getMessage());
    }

    @Test
    void modulesThatDoNotFitInRamAreRejected() throws IOException {
        Path big = tmp.resolve("big");
        Files.write(big, new byte[(int) (2 * MIB)]);
        byte[] image = TestImages.aout(64, 0xc00000, 0, 0xc00000);
        List<String> mods = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            mods.add(big.toString());
        }
        ConfigException e = assertThrows(ConfigException.class, () -> load(image, "k", "", mods));
        assertTrue(e.getMessage().startsWith("k: multiboot image and modules at 0xc00000-"), e.getMessage());
    }

    @Test
    void emptyModuleTakesNoSpace() throws Exception {
        Path empty = tmp.resolve("empty");
        Files.write(empty, new byte[0]);
        Files.writeString(tmp.resolve("x"), "X");
        load(TestImages.aout(64, 0x100000, 0, 0x100020), "k", "", List.of(empty.toString(), tmp.resolve("x").toString()));
        assertEquals(0x102000, mem.read32(0x101000));
        assertEquals(0x102000, mem.read32(0x101004));
        assertEquals(0x102000, mem.read32(0x101010), "the next module starts at the same page");
        assertEquals('X', mem.read8(0x102000));
    }

    @Test
    void initrdSplitsLikeQemu() {
        assertEquals(List.of("a,b xx", "m1"), MultibootLoader.splitModules("a,,b xx,m1"));
        assertEquals(List.of("a"), MultibootLoader.splitModules("a,"));
        assertEquals(List.of("a,,b"), MultibootLoader.splitModules("a,,,,b"));
        assertEquals(List.of("a,", "b"), MultibootLoader.splitModules("a,,,b"));
        assertEquals(List.of("one"), MultibootLoader.splitModules("one"));
        assertEquals(List.of(), MultibootLoader.splitModules(""));
    }

    private void assertMessage(String expected, byte[] image, String path) {
        assertMessage(expected, image, path, false);
    }

    private void assertMessage(String expected, byte[] image, String path, boolean prefixOnly) {
        ConfigException e = assertThrows(ConfigException.class, () -> load(image, path, "", null));
        if (prefixOnly) {
            assertTrue(e.getMessage().startsWith(expected), e.getMessage());
        } else {
            assertEquals(expected, e.getMessage());
        }
    }
}
