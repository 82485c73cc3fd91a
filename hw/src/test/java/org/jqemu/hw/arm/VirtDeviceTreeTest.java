package org.jqemu.hw.arm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.jqemu.firmware.fdt.Fdt;
import org.jqemu.firmware.fdt.FdtNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Our virt DTB against the one Debian's QEMU 7.2 builds for the same machine
 * ({@code qemu-system-aarch64 -M virt,dumpdtb=FILE}): same nodes, except the devices jqemu does
 * not model, and byte-identical properties, except the random seeds.
 */
class VirtDeviceTreeTest {
    /** Nodes of QEMU's tree that stand for hardware jqemu does not model (see VirtDeviceTree). */
    private static final Set<String> NOT_MODELLED = Set.of(
            "/flash@0", "/pl061@9030000", "/gpio-keys", "/gpio-keys/poweroff", "/platform-bus@c000000", "/pmu");

    private static Map<String, Map<String, String>> flatten(Fdt fdt) {
        Map<String, Map<String, String>> out = new TreeMap<>();
        flatten(fdt.root(), "", out);
        return out;
    }

    private static void flatten(FdtNode n, String path, Map<String, Map<String, String>> out) {
        Map<String, String> props = new TreeMap<>();
        n.properties().forEach((k, v) -> props.put(k, HexFormat.of().formatHex(v)));
        out.put(path.isEmpty() ? "/" : path, props);
        for (FdtNode c : n.children()) {
            flatten(c, path + "/" + c.name(), out);
        }
    }

    private static Fdt qemuDtb(Path dir, int cpus) throws Exception {
        Path file = dir.resolve("qemu-" + cpus + ".dtb");
        Process p = new ProcessBuilder("qemu-system-aarch64", "-M", "virt,dumpdtb=" + file, "-cpu", "cortex-a57",
                "-smp", String.valueOf(cpus), "-m", "512", "-nographic", "-nodefaults")
                .redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        return Fdt.parse(Files.readAllBytes(file));
    }

    private static void assertSameAsQemu(Fdt ours, Fdt qemu) {
        Map<String, Map<String, String>> a = flatten(ours);
        Map<String, Map<String, String>> b = flatten(qemu);
        Set<String> expectedPaths = new TreeSet<>(b.keySet());
        expectedPaths.removeAll(NOT_MODELLED);
        assertEquals(expectedPaths, a.keySet());
        for (String path : expectedPaths) {
            Map<String, String> mine = new TreeMap<>(a.get(path));
            Map<String, String> theirs = new TreeMap<>(b.get(path));
            if (path.equals("/chosen")) {
                mine.remove("rng-seed");
                theirs.remove("rng-seed");
                theirs.remove("kaslr-seed");
            }
            assertEquals(theirs, mine, "properties of " + path);
        }
    }

    @Test
    void oneCpuTreeMatchesQemu(@TempDir Path dir) throws Exception {
        assertSameAsQemu(VirtDeviceTree.build(1, 512L << 20, "arm,cortex-a57", new byte[32]), qemuDtb(dir, 1));
    }

    @Test
    void twoCpuTreeMatchesQemu(@TempDir Path dir) throws Exception {
        assertSameAsQemu(VirtDeviceTree.build(2, 512L << 20, "arm,cortex-a57", new byte[32]), qemuDtb(dir, 2));
    }

    @Test
    void dtcReadsOurBlob(@TempDir Path dir) throws Exception {
        Fdt fdt = VirtDeviceTree.build(2, 1L << 30, "arm,cortex-a57", new byte[32]);
        VirtDeviceTree.setBootArgs(fdt, "console=ttyAMA0 jqemu.shell", 0x4800_0000L, 0x4811_2a3bL);
        Path dtb = dir.resolve("virt.dtb");
        Files.write(dtb, fdt.toDtb());
        Process p = new ProcessBuilder("dtc", "-I", "dtb", "-O", "dts", dtb.toString()).redirectErrorStream(true).start();
        String dts = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), dts);
        assertTrue(dts.contains("bootargs = \"console=ttyAMA0 jqemu.shell\";"), dts);
        assertTrue(dts.contains("linux,initrd-start = <0x48000000>;"), dts);
        assertTrue(dts.contains("linux,initrd-end = <0x48112a3b>;"), dts);
        assertTrue(dts.contains("reg = <0x00 0x40000000 0x00 0x40000000>;"), dts);
        assertTrue(dts.contains("stdout-path = \"/pl011@9000000\";"), dts);
        // And back: our parser reads what dtc writes.
        Path again = dir.resolve("again.dtb");
        Process q = new ProcessBuilder("dtc", "-I", "dtb", "-O", "dtb", "-o", again.toString(), dtb.toString())
                .redirectErrorStream(true).start();
        q.getInputStream().readAllBytes();
        assertEquals(0, q.waitFor());
        Fdt parsed = Fdt.parse(Files.readAllBytes(again));
        assertArrayEquals(fdt.node("/chosen").property("bootargs"), parsed.node("/chosen").property("bootargs"));
        assertEquals(flatten(fdt), flatten(parsed));
    }

    @Test
    void largeInitrdAddressesUseTwoCells() {
        Fdt fdt = VirtDeviceTree.build(1, 8L << 30, "arm,cortex-a57", null);
        VirtDeviceTree.setBootArgs(fdt, null, 0x1_2000_0000L, 0x1_2010_0000L);
        assertEquals(8, fdt.node("/chosen").property("linux,initrd-start").length);
        assertEquals(null, fdt.node("/chosen").property("bootargs"));
    }
}
