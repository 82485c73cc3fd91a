package org.jqemu.hw.display;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.jqemu.accel.tcg.TcgAccelerator;
import org.jqemu.hw.pc.PcMachine;
import org.jqemu.hw.pc.PcSystemFirmware;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.machine.MachineConfig;
import org.jqemu.system.ui.Consoles;
import org.jqemu.system.ui.ScreenDump;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Debian's SeaBIOS with the stdvga VGA BIOS from the card's expansion ROM: the BIOS banner must
 * appear on the text screen, and the rendered pixels (read back from a PPM screendump) must spell it.
 */
class VgaSeabiosTest {
    @TempDir
    Path tmp;

    @Test
    void seabiosBannerIsOnTheScreen() throws Exception {
        assumeTrue(Files.isReadable(PcSystemFirmware.DEFAULT_BIOS), "Debian's seabios package is not installed");
        assumeTrue(Files.isReadable(VgaPciType.DEFAULT_ROM), "no vgabios-stdvga.bin");
        MachineConfig c = new MachineConfig();
        c.ramSize = 128L << 20;
        c.vga = "std";
        Machine m = new Machine(c);
        String text = "";
        try {
            TcgAccelerator tcg = new TcgAccelerator();
            tcg.init(m);
            m.setAccelerator(tcg);
            new PcMachine().build(m);
            Vga vga = ((VgaPci) m.devices().stream().filter(d -> d instanceof VgaPci).findFirst().orElseThrow()).vga();
            assertEquals(vga, Consoles.of(m).graphic());
            m.start();
            long deadline = System.nanoTime() + 90_000_000_000L;
            while (System.nanoTime() < deadline && !(text = vga.textScreen()).contains("Booting from Hard Disk")) {
                Thread.sleep(200);
            }
            assertTrue(text.contains("SeaBIOS (version"), "no SeaBIOS banner on the VGA text screen:\n" + text);

            Path ppm = tmp.resolve("screen.ppm");
            ScreenDump.write(vga, ppm, ScreenDump.Format.PPM);
            byte[] file = Files.readAllBytes(ppm);
            String header = new String(file, 0, 15, StandardCharsets.US_ASCII);
            assertTrue(header.startsWith("P6\n720 400\n255\n"), header);
            int[] px = new int[720 * 400];
            for (int i = 0; i < px.length; i++) {
                int o = 15 + 3 * i;
                px[i] = (file[o] & 0xff) << 16 | (file[o + 1] & 0xff) << 8 | (file[o + 2] & 0xff);
            }
            StringBuilder ocr = new StringBuilder();
            for (int row = 0; row < 25; row++) {
                ocr.append(TextOcr.row(vga, px, 720, row, 9, 16)).append('\n');
            }
            assertTrue(ocr.toString().contains("SeaBIOS (version"), "rendered pixels do not read as the banner:\n" + ocr);
            assertTrue(ocr.toString().contains("Booting from Hard Disk"), ocr.toString());
        } finally {
            m.exit(0);
            m.close();
        }
    }
}
