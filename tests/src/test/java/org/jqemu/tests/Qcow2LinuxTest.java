package org.jqemu.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * qcow2 disks under Debian's amd64 kernel (virtio-blk on the {@code pc} machine, tcg), checked
 * by QEMU's own tools (qemu-utils): {@code qemu-img check} after each boot, and the data read
 * back on the host through {@code qemu-img convert} (plus e2fsprogs for the filesystem).
 */
class Qcow2LinuxTest {
    /**
     * A boot takes ~60 s on an idle 2-core machine; {@link Timeouts#BOOT} leaves room for a loaded
     * one (-Djqemu.test.timeScale=N stretches every limit) but fails fast.
     */
    private static final long BOOT_TIMEOUT = Timeouts.BOOT;

    @TempDir
    Path dir;

    /**
     * Boot 1: mke2fs on a qcow2 /dev/vda, a small and an 8 MiB file written; /dev/vdb is a qcow2
     * overlay of a raw file: the guest reads the backing data and writes one sector into it (a
     * partial-cluster copy-on-write). Both images pass {@code qemu-img check}; on the host the
     * filesystem is clean and holds the file, and the overlay holds base plus sector. Boot 2,
     * with the format probed: the files are there with the same checksum.
     */
    @Test
    void ext4OnQcow2SurvivesPowerOffAndPassesQemuImgCheck() throws Exception {
        Path g = guest();
        Path disk = dir.resolve("disk.qcow2");
        qemuImg("create", "-f", "qcow2", disk.toString(), "64M");
        Path base = dir.resolve("base.raw");
        byte[] baseBytes = new byte[4 << 20];
        new Random(11).nextBytes(baseBytes);
        Files.write(base, baseBytes);
        Path overlay = dir.resolve("overlay.qcow2");
        qemuImg("create", "-f", "qcow2", "-b", "base.raw", "-F", "raw", overlay.toString());

        String script1 = """
                mke2fs -F /dev/vda >/dev/null 2>&1; echo "mke2fs status=$?"
                mkdir -p /mnt/d && mount -t ext4 /dev/vda /mnt/d && echo JQEMU-QCOW2-777 > /mnt/d/hello.txt \\
                  && dd if=/dev/urandom of=/mnt/d/big bs=1M count=8 2>/dev/null \\
                  && echo "big-md5=$(md5sum < /mnt/d/big)" && sync && umount /mnt/d && echo FS-MADE
                echo "vdb-md5=$(dd if=/dev/vdb bs=1M count=2 2>/dev/null | md5sum)"
                yes Q | head -c 512 | dd of=/dev/vdb bs=512 seek=3 oflag=direct 2>/dev/null; echo "vdb-write status=$?"
                """;
        List<String> args1 = baseArgs(g, script1);
        args1.addAll(List.of("-drive", "file=" + disk + ",format=qcow2,if=virtio",
                "-drive", "file=" + overlay + ",format=qcow2,if=virtio"));
        String bigMd5;
        try (JqemuSession vm = JqemuSession.start(dir, args1)) {
            vm.expect("mke2fs status=0", BOOT_TIMEOUT);
            bigMd5 = vm.expect("big-md5=([0-9a-f]{32})", 180).group(1);
            vm.expect("FS-MADE", 120);
            Matcher vdb = vm.expect("vdb-md5=([0-9a-f]{32})", 120);
            assertEquals(md5(Arrays.copyOf(baseBytes, 2 << 20)), vdb.group(1), "the guest reads the backing file");
            vm.expect("vdb-write status=0", 120);
            vm.expect("JQEMU-GUEST-POWEROFF", 120);
            assertEquals(0, vm.waitFor(120), "exit status after power-off; stderr: " + vm.errors());
        }
        assertClean(disk);
        assertClean(overlay);
        Path raw = dir.resolve("disk.raw");
        qemuImg("convert", "-O", "raw", disk.toString(), raw.toString());
        run(List.of("/usr/sbin/e2fsck", "-fn", raw.toString()));
        assertEquals("JQEMU-QCOW2-777\n", run(List.of("/usr/sbin/debugfs", "-R", "cat /hello.txt", raw.toString()))
                .replaceFirst("(?s)^debugfs [^\n]*\n", ""));
        Path vdb = dir.resolve("overlay.raw");
        qemuImg("convert", "-O", "raw", overlay.toString(), vdb.toString());
        byte[] expect = baseBytes.clone();
        for (int i = 0; i < 512; i++) {
            expect[3 * 512 + i] = (byte) (i % 2 == 0 ? 'Q' : '\n');
        }
        assertArrayEquals(expect, Files.readAllBytes(vdb), "overlay = backing file + the sector the guest wrote");

        String script2 = """
                mkdir -p /mnt/d && mount -t ext4 /dev/vda /mnt/d && echo "persisted: $(cat /mnt/d/hello.txt)" \\
                  && echo "big-md5-again=$(md5sum < /mnt/d/big)" && echo second > /mnt/d/second.txt && umount /mnt/d
                """;
        List<String> args2 = baseArgs(g, script2);
        args2.addAll(List.of("-drive", "file=" + disk + ",if=virtio")); // no format=: probed as qcow2
        try (JqemuSession vm = JqemuSession.start(dir, args2)) {
            vm.expect("persisted: JQEMU-QCOW2-777", BOOT_TIMEOUT);
            assertEquals(bigMd5, vm.expect("big-md5-again=([0-9a-f]{32})", 120).group(1));
            vm.expect("JQEMU-GUEST-POWEROFF", 120);
            assertEquals(0, vm.waitFor(120), "exit status after power-off; stderr: " + vm.errors());
            assertFalse(vm.errors().contains("probing guessed raw"), vm.errors());
        }
        assertClean(disk);
    }

    private Path guest() throws Exception {
        Path g = LinuxBootTest.guest("amd64");
        String version = Files.readString(g.resolve("VERSION"));
        assertTrue(version.matches("(?s).*modules=[^\\n]* ext4.*"),
                "the guest in " + g + " lacks ext4 / jqemu.run (built by an older build-guest.sh?):\n" + version);
        return g;
    }

    private static List<String> baseArgs(Path g, String script) {
        String run = Base64.getEncoder().encodeToString(script.getBytes(StandardCharsets.UTF_8));
        return new ArrayList<>(List.of("-machine", "pc", "-m", "512",
                "-kernel", g.resolve("vmlinuz").toString(), "-initrd", g.resolve("initrd.gz").toString(),
                "-append", "console=ttyS0 jqemu.run=" + run,
                "-display", "none", "-serial", "stdio", "-no-reboot"));
    }

    private static void assertClean(Path img) throws Exception {
        String out = qemuImg("check", img.toString());
        assertTrue(out.contains("No errors were found on the image.") && !out.contains("leaked"), out);
    }

    private static String md5(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(b));
    }

    private static String qemuImg(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("qemu-img"));
        cmd.addAll(List.of(args));
        return run(cmd);
    }

    private static String run(List<String> cmd) throws Exception {
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new AssertionError(cmd.get(0) + " is missing: run scripts/install-test-deps.sh", e);
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), String.join(" ", cmd) + " did not finish");
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + " failed:\n" + out);
        return out;
    }
}
