package org.jqemu.ui.vnc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.jqemu.system.machine.MachineConfig;
import org.jqemu.system.options.Opts;
import org.jqemu.ui.Pictures;
import org.jqemu.ui.SeabiosMachine;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Debian's vncsnapshot (an RFB 3.3 client, Raw encoding from us) captures the SeaBIOS screen. */
class VncSnapshotTest {
    @TempDir
    Path tmp;

    static int freeDisplay() {
        for (int n = 40 + (int) (ProcessHandle.current().pid() % 50); n < 200; n++) {
            try (var s = new java.net.ServerSocket(5900 + n)) {
                return n;
            } catch (java.io.IOException e) {
                // in use
            }
        }
        throw new IllegalStateException("no free VNC display");
    }

    @Test
    void vncsnapshotSeesTheBiosScreen() throws Exception {
        assumeTrue(SeabiosMachine.available(), "seabios not installed");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/vncsnapshot")), "vncsnapshot not installed");
        try (SeabiosMachine pc = new SeabiosMachine(new MachineConfig())) {
            int display = freeDisplay();
            VncServer vnc = VncServer.start(pc.machine, new Opts("-vnc", Map.of("vnc", "127.0.0.1:" + display)));
            pc.bootToNoDisk();
            Path jpg = tmp.resolve("shot.jpg");
            Process p = new ProcessBuilder("vncsnapshot", "-quiet", "-nojpeg", "-quality", "100",
                    "127.0.0.1:" + display, jpg.toString()).redirectErrorStream(true).start();
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "vncsnapshot hung");
            String out = new String(p.getInputStream().readAllBytes());
            assertEquals(0, p.exitValue(), out);
            int[] size = new int[2];
            int[] ref = pc.pixels(size);
            BufferedImage img = Pictures.read(jpg);
            assertEquals(720, img.getWidth());
            assertEquals(400, img.getHeight());
            assertTrue(Pictures.lightShare(ref) > 0.005, "the screen is empty");
            double agree = Pictures.agreement(img, 0, 0, ref, size[0], size[1]);
            assertTrue(agree > 0.995, "vncsnapshot's picture differs from the screen: agreement " + agree);
            // control: the same picture one text line off does not match
            int[] shifted = new int[ref.length];
            System.arraycopy(ref, 16 * 720, shifted, 0, ref.length - 16 * 720);
            assertTrue(Pictures.agreement(img, 0, 0, shifted, 720, 400) < agree - 0.005);
            assertTrue(vnc.info().service().equals(String.valueOf(5900 + display)));
        }
    }
}
