package org.jqemu.firmware.fdt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FdtTest {
    private static Fdt sample() {
        Fdt fdt = new Fdt();
        fdt.root().setCells("#address-cells", 2).setCells("#size-cells", 2).setStrings("compatible", "linux,dummy-virt");
        int ph = fdt.allocatePhandle();
        fdt.root().addNode("intc@8000000").setCells("phandle", ph).setEmpty("interrupt-controller")
                .setU64s("reg", 0x0800_0000L, 0x10000, 0x0801_0000L, 0x10000);
        fdt.root().addNode("chosen").setStrings("bootargs", "console=ttyAMA0").setStrings("x", "a", "bc");
        return fdt;
    }

    private static String dtc(Path dir, byte[] dtb) throws Exception {
        Path f = dir.resolve("t.dtb");
        Files.write(f, dtb);
        Process p = new ProcessBuilder("dtc", "-I", "dtb", "-O", "dts", f.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), out);
        return out;
    }

    @Test
    void headerFollowsTheSpecification() {
        byte[] dtb = sample().toDtb();
        ByteBuffer b = ByteBuffer.wrap(dtb);
        assertEquals(0xd00dfeed, b.getInt(0));
        assertEquals(dtb.length, b.getInt(4));
        assertEquals(17, b.getInt(20));
        assertEquals(16, b.getInt(24));
        int structOff = b.getInt(8);
        int stringsOff = b.getInt(12);
        assertEquals(stringsOff, structOff + b.getInt(36), "strings follow the structure block");
        assertEquals(dtb.length, stringsOff + b.getInt(32));
        assertEquals(0, b.getLong(b.getInt(16)), "empty reservation map");
        assertEquals(0x8001, sample().allocatePhandle(), "phandles count up from 0x8000");
    }

    @Test
    void dtcDecompilesWhatWeBuild(@TempDir Path dir) throws Exception {
        String dts = dtc(dir, sample().toDtb());
        assertTrue(dts.contains("compatible = \"linux,dummy-virt\";"), dts);
        assertTrue(dts.contains("intc@8000000 {"), dts);
        assertTrue(dts.contains("phandle = <0x8000>;"), dts);
        assertTrue(dts.contains("interrupt-controller;"), dts);
        assertTrue(dts.contains("reg = <0x00 0x8000000 0x00 0x10000 0x00 0x8010000 0x00 0x10000>;"), dts);
        assertTrue(dts.contains("bootargs = \"console=ttyAMA0\";"), dts);
        assertTrue(dts.contains("x = \"a\\0bc\";"), dts);
    }

    @Test
    void parsesWhatDtcCompiles(@TempDir Path dir) throws Exception {
        Path src = dir.resolve("in.dts");
        Files.writeString(src, """
                /dts-v1/;
                / {
                    #address-cells = <2>;
                    node@1 { value = <0x12345678>; flag; name-list = "a", "b"; child { }; };
                };
                """);
        Path out = dir.resolve("in.dtb");
        Process p = new ProcessBuilder("dtc", "-I", "dts", "-O", "dtb", "-o", out.toString(), src.toString())
                .redirectErrorStream(true).start();
        String msg = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), msg);
        Fdt fdt = Fdt.parse(Files.readAllBytes(out));
        assertArrayEquals(new byte[] {0x12, 0x34, 0x56, 0x78}, fdt.node("/node@1").property("value"));
        assertEquals(0, fdt.node("/node@1").property("flag").length);
        assertArrayEquals("a\0b\0".getBytes(), fdt.node("/node@1").property("name-list"));
        assertTrue(fdt.node("/node@1/child") != null);
        // Our own blob survives a round trip through the parser unchanged.
        byte[] ours = sample().toDtb();
        assertArrayEquals(ours, Fdt.parse(ours).toDtb());
    }

    @Test
    void rejectsGarbageAndDuplicates() {
        assertThrows(IllegalArgumentException.class, () -> Fdt.parse(new byte[64]));
        Fdt fdt = new Fdt();
        fdt.root().addNode("a");
        assertThrows(IllegalArgumentException.class, () -> fdt.root().addNode("a"));
    }
}
