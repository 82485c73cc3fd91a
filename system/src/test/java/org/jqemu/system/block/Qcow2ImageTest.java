package org.jqemu.system.block;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.jqemu.system.options.ConfigException;
import org.jqemu.system.options.Opts;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The qcow2 driver against Debian's qemu-img / qemu-io (package qemu-utils, installed by
 * scripts/install-test-deps.sh): images QEMU made are written by us, and then QEMU checks the
 * metadata ({@code qemu-img check}) and reads the data back ({@code qemu-img convert -O raw});
 * data QEMU wrote (plain, compressed, zero clusters) is read by us.
 */
class Qcow2ImageTest {
    @TempDir
    Path dir;

    // ---- our writes, QEMU's check ----------------------------------------------------------

    @ParameterizedTest(name = "cluster {0}, compat {1}, refcount_bits {2}")
    @CsvSource({"512,1.1,16", "4096,0.10,16", "65536,1.1,16", "2M,1.1,16", "512,1.1,1", "4096,1.1,64",
        "16384,0.10,16"})
    void writesPassQemuCheckAndReadBackThroughQemu(String cluster, String compat, int refcountBits) throws Exception {
        long size = 24L << 20;
        Path img = dir.resolve("a.qcow2");
        qemuImg("create", "-f", "qcow2", "-o", "cluster_size=" + cluster + ",compat=" + compat + ",refcount_bits="
                + refcountBits, img.toString(), String.valueOf(size));
        byte[] model = new byte[(int) size];
        Random r = new Random(cluster.hashCode() * 31 + refcountBits);
        try (Qcow2Image q = Qcow2Image.open("a", img.toString(), false)) {
            assertEquals(size, q.size());
            assertEquals(compat.equals("1.1") ? 3 : 2, q.version());
            // partial clusters, cluster-spanning runs, scattered buffers, rewrites of the same place
            writeRandom(q, model, r, 0, 512);
            writeRandom(q, model, r, 1000, 70000);
            writeRandom(q, model, r, (3L << 20) - 100, 5000);
            writeRandom(q, model, r, 1000, 100); // in place
            for (int i = 0; i < 40; i++) {
                long len = 1 + r.nextInt(200_000);
                writeRandom(q, model, r, (long) (r.nextDouble() * (size - len)), len);
            }
            // enough data to need new refcount blocks (and, with 512-byte clusters, a bigger table)
            writeRandom(q, model, r, 12L << 20, 9L << 20);
            writeRandom(q, model, r, size - 4096, 4096);
            assertReads(q, model, 0, (int) size);
            q.flush();
        }
        assertClean(img);
        assertArrayEquals(model, exportRaw(img), "qemu-img convert sees what we wrote");
        try (Qcow2Image q = Qcow2Image.open("a", img.toString(), true)) {
            assertReads(q, model, 0, (int) size);
        }
    }

    @Test
    void dataQemuWroteReadsBack() throws Exception {
        Path img = dir.resolve("q.qcow2");
        qemuImg("create", "-f", "qcow2", "-o", "cluster_size=4096", img.toString(), "8M");
        qemuIo(img, "write -P 0xab 0 1M", "write -c -P 0x5c 2M 64k", "write -P 0x77 3M 64k", "write -z 3M 32k",
                "write -c -P 0x21 4M 4k");
        byte[] expect = new byte[8 << 20];
        Arrays.fill(expect, 0, 1 << 20, (byte) 0xab);
        Arrays.fill(expect, 2 << 20, (2 << 20) + 65536, (byte) 0x5c);
        Arrays.fill(expect, (3 << 20) + 32768, (3 << 20) + 65536, (byte) 0x77);
        Arrays.fill(expect, 4 << 20, (4 << 20) + 4096, (byte) 0x21);
        try (Qcow2Image q = Qcow2Image.open("q", img.toString(), false)) {
            assertReads(q, expect, 0, expect.length);
            // overwrite parts of a compressed and of a zero cluster: both become ordinary clusters
            byte[] patch = new byte[100];
            Arrays.fill(patch, (byte) 0xee);
            q.write((2 << 20) + 4000, new ByteBuffer[] {ByteBuffer.wrap(patch)});
            q.write((3 << 20) + 10, new ByteBuffer[] {ByteBuffer.wrap(patch)});
            System.arraycopy(patch, 0, expect, (2 << 20) + 4000, 100);
            System.arraycopy(patch, 0, expect, (3 << 20) + 10, 100);
            assertReads(q, expect, 0, expect.length);
        }
        assertClean(img);
        assertArrayEquals(expect, exportRaw(img));
        qemuIo(img, "read -P 0xee " + ((3 << 20) + 10) + " 100", "read -P 0 " + ((3 << 20) + 110) + " 32658");
    }

    @Test
    void backingFileIsReadAndPartialWritesCopyFromIt() throws Exception {
        Path base = dir.resolve("base.raw");
        byte[] model = new byte[4 << 20];
        new Random(7).nextBytes(model);
        Files.write(base, model);
        Path mid = dir.resolve("mid.qcow2");
        qemuImg("create", "-f", "qcow2", "-b", "base.raw", "-F", "raw", mid.toString());
        qemuIo(mid, "write -P 0x33 1M 4k");
        Arrays.fill(model, 1 << 20, (1 << 20) + 4096, (byte) 0x33);
        Path top = dir.resolve("top.qcow2");
        // no -F: the top image has no backing-format extension, so its backing file is probed
        writeOverlayWithoutFormat(top, "mid.qcow2", 4 << 20);
        Random r = new Random(8);
        try (Qcow2Image q = Qcow2Image.open("t", top.toString(), false)) {
            assertNotNull(q.backing());
            assertEquals("qcow2", q.backing().format());
            assertReads(q, model, 0, model.length);
            writeRandom(q, model, r, 100, 10); // partial cluster: the rest comes from the backing file
            writeRandom(q, model, r, (1 << 20) + 1000, 70000);
            writeRandom(q, model, r, (4 << 20) - 7, 7);
            q.writeZeroes(2 << 20, 3 << 16); // whole clusters become zero clusters, not backing data
            Arrays.fill(model, 2 << 20, (2 << 20) + (3 << 16), (byte) 0);
            assertReads(q, model, 0, model.length);
        }
        assertClean(top);
        assertArrayEquals(model, exportRaw(top));
        assertTrue(qemuImg("map", "--output=json", top.toString()).contains(
                "\"start\": 2097152, \"length\": 196608, \"depth\": 0, \"present\": true, \"zero\": true, \"data\": false"));
    }

    /** An overlay QEMU would make with an older qemu-img: backing file name, no format extension. */
    private void writeOverlayWithoutFormat(Path top, String backingName, long size) throws Exception {
        qemuImg("create", "-f", "qcow2", "-o", "cluster_size=65536", top.toString(), String.valueOf(size));
        byte[] name = backingName.getBytes(StandardCharsets.US_ASCII);
        try (FileChannel ch = FileChannel.open(top, StandardOpenOption.WRITE)) {
            long at = 4096; // inside the header cluster, past the header and its extensions
            ch.write(ByteBuffer.wrap(name), at);
            ByteBuffer f = ByteBuffer.allocate(12).putLong(0, at).putInt(8, name.length);
            ch.write(f, 8);
        }
    }

    @Test
    void writesAfterAnInternalSnapshotCopyAndKeepTheSnapshot() throws Exception {
        Path img = dir.resolve("s.qcow2");
        qemuImg("create", "-f", "qcow2", "-o", "cluster_size=4096", img.toString(), "4M");
        qemuIo(img, "write -P 0x41 0 256k");
        qemuImg("snapshot", "-c", "s1", img.toString());
        byte[] model = new byte[4 << 20];
        Arrays.fill(model, 0, 256 << 10, (byte) 0x41);
        Random r = new Random(9);
        try (Qcow2Image q = Qcow2Image.open("s", img.toString(), false)) {
            writeRandom(q, model, r, 1000, 3000); // shared L2 table and shared data cluster
            writeRandom(q, model, r, 200_000, 100_000);
            assertReads(q, model, 0, model.length);
        }
        assertClean(img);
        assertArrayEquals(model, exportRaw(img));
        qemuImg("snapshot", "-a", "s1", img.toString());
        assertClean(img);
        qemuIo(img, "read -P 0x41 0 256k", "read -P 0 256k 256k");
    }

    // ---- options, probing, read-only ---------------------------------------------------------

    @Test
    void driveProbesQcow2AndWarnsWhenItGuessesRaw() throws Exception {
        Path img = dir.resolve("p.qcow2");
        qemuImg("create", "-f", "qcow2", img.toString(), "1M");
        Path raw = dir.resolve("p.raw");
        Files.write(raw, new byte[65536]);
        List<String> warnings = new ArrayList<>();
        try (BlockBackends b = new BlockBackends(warnings::add)) {
            BlockImage q = b.openDrive(Opts.parse("-drive", "file=" + img + ",if=none,id=q", null));
            assertEquals("qcow2", q.format());
            assertEquals(1 << 20, q.size());
            assertEquals(List.of(), warnings);
            BlockImage r = b.openDrive(Opts.parse("-drive", "file=" + raw + ",if=none,id=r", null));
            assertEquals("raw", r.format());
            assertEquals(1, warnings.size());
            assertTrue(warnings.get(0).startsWith("WARNING: Image format was not specified for '" + raw
                    + "' and probing guessed raw."), warnings.get(0));
            // a probed raw image must not become a qcow2 one from inside the guest
            byte[] header = Files.readAllBytes(img);
            IOException e = assertThrows(IOException.class,
                    () -> r.write(0, new ByteBuffer[] {ByteBuffer.wrap(header, 0, 512)}));
            assertTrue(e.getMessage().contains("block 0"), e.getMessage());
            r.write(512, new ByteBuffer[] {ByteBuffer.wrap(header, 0, 512)});
            BlockImage n = b.openBlockdev(Opts.parse("-blockdev",
                    "driver=qcow2,node-name=n,file.driver=file,file.filename=" + img + ",read-only=on", null));
            assertEquals("qcow2", n.format());
            assertTrue(n.readOnly());
            assertEquals("-drive file=x,format=vmdk,id=v: format 'vmdk' is not supported yet",
                    assertThrows(ConfigException.class, () -> b.openDrive(
                            Opts.parse("-drive file=x,format=vmdk,id=v", "file=x,format=vmdk,id=v", null))).getMessage());
            assertEquals("-drive file=x,format=bogus,id=v: Unknown driver 'bogus'",
                    assertThrows(ConfigException.class, () -> b.openDrive(
                            Opts.parse("-drive file=x,format=bogus,id=v", "file=x,format=bogus,id=v", null))).getMessage());
        }
    }

    @Test
    void readOnlyRefusesWritesAndLeavesTheFileAlone() throws Exception {
        Path img = dir.resolve("ro.qcow2");
        qemuImg("create", "-f", "qcow2", img.toString(), "1M");
        byte[] before = Files.readAllBytes(img);
        try (Qcow2Image q = Qcow2Image.open("ro", img.toString(), true)) {
            assertTrue(q.readOnly());
            assertThrows(IOException.class, () -> q.write(0, new ByteBuffer[] {ByteBuffer.allocate(512)}));
            assertThrows(IOException.class, () -> q.writeZeroes(0, 1 << 16));
        }
        assertArrayEquals(before, Files.readAllBytes(img));
    }

    // ---- broken images -----------------------------------------------------------------------

    @Test
    void unknownIncompatibleFeaturesAreNamed() throws Exception {
        Path img = dir.resolve("f.qcow2");
        qemuImg("create", "-f", "qcow2", img.toString(), "1M");
        patchLong(img, 72, (1L << 4) | (1L << 40));
        ConfigException e = assertThrows(ConfigException.class, () -> Qcow2Image.open("f", img.toString(), true));
        assertEquals("Could not open '" + img + "': Unsupported qcow2 feature(s): extended L2 entries, "
                + "Unknown incompatible feature: 10000000000", e.getMessage());
        patchLong(img, 72, 2);
        assertTrue(assertThrows(ConfigException.class, () -> Qcow2Image.open("f", img.toString(), false))
                .getMessage().endsWith("qcow2: Image is corrupt; cannot be opened read/write"));
    }

    /**
     * qemu-io with lazy refcounts "crashes" (abort) after writing: the image is left dirty with
     * refcounts missing. Read-only it opens as is; read-write the refcounts are rebuilt and the
     * dirty bit cleared, after which QEMU finds no errors.
     */
    @Test
    void dirtyImageWithLazyRefcountsIsRepairedOnReadWriteOpen() throws Exception {
        Path img = dir.resolve("d.qcow2");
        qemuImg("create", "-f", "qcow2", "-o", "cluster_size=4096,lazy_refcounts=on", img.toString(), "4M");
        qemuIo(img, "write -P 0x44 0 64k");
        qemuImg("snapshot", "-c", "s", img.toString());
        runAllowingFailure(List.of("qemu-io", "-f", "qcow2", "-c", "write -P 0x55 0 300k", "-c",
                "write -P 0x56 1M 64k", "-c", "abort", img.toString()));
        assertEquals(1, ByteBuffer.wrap(Files.readAllBytes(img)).getLong(72) & 1, "qemu-io left the dirty bit");
        byte[] model = new byte[4 << 20];
        Arrays.fill(model, 0, 300 << 10, (byte) 0x55);
        Arrays.fill(model, 1 << 20, (1 << 20) + (64 << 10), (byte) 0x56);
        try (Qcow2Image q = Qcow2Image.open("d", img.toString(), true)) {
            assertReads(q, model, 0, model.length);
        }
        try (Qcow2Image q = Qcow2Image.open("d", img.toString(), false)) {
            writeRandom(q, model, new Random(5), 200_000, 150_000);
            assertReads(q, model, 0, model.length);
        }
        assertEquals(0, ByteBuffer.wrap(Files.readAllBytes(img)).getLong(72) & 1, "dirty bit cleared");
        assertClean(img);
        assertArrayEquals(model, exportRaw(img));
        qemuImg("snapshot", "-a", "s", img.toString());
        qemuIo(img, "read -P 0x44 0 64k", "read -P 0 64k 64k");
    }

    private static void runAllowingFailure(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    }

    @Test
    void brokenMetadataIsRefusedAtOpenOrFailsTheRequest() throws Exception {
        Path img = dir.resolve("c.qcow2");
        qemuImg("create", "-f", "qcow2", "-o", "cluster_size=4096", img.toString(), "4M");
        qemuIo(img, "write -P 0x12 0 8k");
        byte[] good = Files.readAllBytes(img);
        long l1Offset = ByteBuffer.wrap(good).getLong(40);
        long refTable = ByteBuffer.wrap(good).getLong(48);

        patchLong(img, 40, 1L << 40); // L1 table past the end of the file
        assertTrue(assertThrows(ConfigException.class, () -> Qcow2Image.open("c", img.toString(), false))
                .getMessage().contains("L1 table at 0x10000000000 extends past the end of the file"));

        Files.write(img, good);
        patchLong(img, l1Offset, refTable | (1L << 63)); // L2 table on top of the refcount table
        assertTrue(assertThrows(ConfigException.class, () -> Qcow2Image.open("c", img.toString(), false))
                .getMessage().contains("metadata overlap: L2 table at 0x" + Long.toHexString(refTable)
                        + " overlaps the refcount table"));

        Files.write(img, good);
        long l2 = ByteBuffer.wrap(good).getLong((int) l1Offset) & 0x00fffffffffffe00L;
        patchLong(img, l2, (1L << 63) | 0x1200); // data cluster not aligned to the 4 KiB cluster
        try (Qcow2Image q = Qcow2Image.open("c", img.toString(), false)) {
            IOException e = assertThrows(IOException.class, () -> q.read(0, new ByteBuffer[] {ByteBuffer.allocate(512)}));
            assertTrue(e.getMessage().contains("corrupt"), e.getMessage());
            ByteBuffer second = ByteBuffer.allocate(4096);
            q.read(4096, new ByteBuffer[] {second}); // the rest of the image still reads
            assertEquals(0x12, second.get(0));
            assertThrows(IOException.class, () -> q.write(8192, new ByteBuffer[] {ByteBuffer.allocate(512)}),
                    "no more writes to an image found corrupt");
        }
    }

    /**
     * Random damage to the metadata of a real image (header, L1, refcount table and blocks, L2
     * tables, snapshot table): opening fails with a ConfigException or the image opens and every
     * request either works or fails with an IOException. Nothing else may escape.
     */
    @Test
    void randomlyDamagedMetadataNeverThrowsAnythingButConfigOrIoErrors() throws Exception {
        Path img = dir.resolve("z.qcow2");
        qemuImg("create", "-f", "qcow2", "-o", "cluster_size=4096", img.toString(), "2M");
        qemuIo(img, "write -P 0x61 0 200k", "write -c -P 0x62 512k 64k", "write -z 1M 64k");
        qemuImg("snapshot", "-c", "s", img.toString());
        qemuIo(img, "write -P 0x63 100k 300k");
        byte[] good = Files.readAllBytes(img);
        int metadataEnd = Math.min(good.length, 6 * 4096); // header, tables and the first L2 table
        Random r = new Random(12);
        int opened = 0;
        for (int round = 0; round < Integer.getInteger("qcow2.fuzzRounds", 150); round++) {
            byte[] bad = good.clone();
            for (int k = 0, n = 1 + r.nextInt(4); k < n; k++) {
                int at = r.nextInt(metadataEnd);
                bad[at] = r.nextInt(3) == 0 ? (byte) 0xff : (byte) r.nextInt(256);
            }
            Files.write(img, bad);
            Qcow2Image q;
            try {
                q = Qcow2Image.open("z", img.toString(), false);
            } catch (ConfigException e) {
                continue;
            }
            opened++;
            try (q) {
                for (int i = 0; i < 12; i++) {
                    long at = r.nextInt(2 << 20) & ~511L;
                    int len = (int) Math.min((1 + r.nextInt(64)) * 512L, (2 << 20) - at);
                    try {
                        if (r.nextBoolean()) {
                            q.read(at, new ByteBuffer[] {ByteBuffer.allocate(len)});
                        } else if (r.nextInt(4) == 0) {
                            q.writeZeroes(at & ~4095L, 8192);
                        } else {
                            q.write(at, new ByteBuffer[] {ByteBuffer.allocate(len)});
                        }
                    } catch (IOException e) {
                        // a guest I/O error: fine
                    }
                }
            } catch (IOException e) {
                // closing a damaged image may fail too
            }
        }
        assertTrue(opened > 30, "only " + opened + " damaged images opened; the test should exercise I/O");
    }

    // ---- helpers -----------------------------------------------------------------------------

    /** Writes random bytes through a scatter list of odd-sized pieces and mirrors them in the model. */
    private static void writeRandom(BlockImage img, byte[] model, Random r, long offset, long len) throws IOException {
        byte[] data = new byte[(int) len];
        r.nextBytes(data);
        List<ByteBuffer> pieces = new ArrayList<>();
        for (int at = 0; at < data.length; ) {
            int n = Math.min(data.length - at, 1 + r.nextInt(9000));
            pieces.add(ByteBuffer.wrap(data, at, n).slice());
            at += n;
        }
        img.write(offset, pieces.toArray(new ByteBuffer[0]));
        System.arraycopy(data, 0, model, (int) offset, data.length);
    }

    private static void assertReads(BlockImage img, byte[] model, int offset, int len) throws IOException {
        ByteBuffer a = ByteBuffer.allocate(len / 3);
        ByteBuffer b = ByteBuffer.allocateDirect(len - len / 3);
        img.read(offset, new ByteBuffer[] {a, b});
        byte[] got = new byte[len];
        a.flip().get(got, 0, len / 3);
        b.flip().get(got, len / 3, len - len / 3);
        if (!Arrays.equals(model, offset, offset + len, got, 0, len)) {
            int i = Arrays.mismatch(Arrays.copyOfRange(model, offset, offset + len), got);
            fail("read differs from what was written at byte " + (offset + i));
        }
    }

    private static void patchLong(Path img, long at, long value) throws IOException {
        try (FileChannel ch = FileChannel.open(img, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(8).putLong(0, value), at);
        }
    }

    private void assertClean(Path img) throws Exception {
        String out = qemuImg("check", img.toString());
        assertTrue(out.contains("No errors were found on the image."), out);
    }

    private byte[] exportRaw(Path img) throws Exception {
        Path raw = dir.resolve("export.raw");
        qemuImg("convert", "-O", "raw", img.toString(), raw.toString());
        return Files.readAllBytes(raw);
    }

    private static void qemuIo(Path img, String... commands) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("qemu-io", "-f", "qcow2"));
        for (String c : commands) {
            cmd.add("-c");
            cmd.add(c);
        }
        cmd.add(img.toString());
        String out = run(cmd);
        assertFalse(out.contains("Pattern verification failed") || out.contains("failed:"), out);
    }

    static String qemuImg(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("qemu-img"));
        cmd.addAll(List.of(args));
        return run(cmd);
    }

    private static String run(List<String> cmd) throws Exception {
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new AssertionError(cmd.get(0) + " is missing: run scripts/install-test-deps.sh (qemu-utils)", e);
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), String.join(" ", cmd) + " did not finish");
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + " failed:\n" + out);
        return out;
    }
}
