package org.jqemu.ui.gl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.awt.image.BufferedImage;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jqemu.ui.Pictures;
import org.jqemu.ui.SeabiosMachine;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * -display gl under Xvfb with Mesa: a screenshot of the X root window (ImageMagick's import)
 * shows the same picture as the screendump, pixel for pixel except the blinking cursor.
 */
class GlConsoleXvfbTest {
    @TempDir
    Path tmp;

    @Test
    void windowMatchesScreendump() throws Exception {
        assumeTrue(SeabiosMachine.available(), "seabios not installed");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/Xvfb")) && Files.isExecutable(Path.of("/usr/bin/import")),
                "Xvfb or ImageMagick missing");
        int n = 90 + (int) (ProcessHandle.current().pid() % 100);
        while (Files.exists(Path.of("/tmp/.X11-unix/X" + n)) || Files.exists(Path.of("/tmp/.X" + n + "-lock"))) {
            n++;
        }
        String display = ":" + n;
        Process xvfb = new ProcessBuilder("Xvfb", display, "-screen", "0", "1024x768x24", "-nolisten", "tcp")
                .redirectErrorStream(true).redirectOutput(tmp.resolve("xvfb.log").toFile()).start();
        Process vm = null;
        try {
            for (int i = 0; i < 100 && !Files.exists(Path.of("/tmp/.X11-unix/X" + n)); i++) {
                Thread.sleep(100);
            }
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            ProcessBuilder pb = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp",
                    System.getProperty("java.class.path"), "org.jqemu.ui.GlDemo");
            pb.environment().put("DISPLAY", display);
            pb.redirectError(tmp.resolve("vm.err").toFile());
            vm = pb.start();
            BufferedReader out = new BufferedReader(new InputStreamReader(vm.getInputStream()));
            PrintWriter cmd = new PrintWriter(vm.getOutputStream(), true);
            String line = out.readLine();
            assertEquals("READY", line, () -> "GlDemo: " + read(tmp.resolve("vm.err")));
            Thread.sleep(1000);
            Path shot = tmp.resolve("root.png");
            Process imp = new ProcessBuilder("import", "-display", display, "-window", "root", shot.toString())
                    .redirectErrorStream(true).start();
            assertTrue(imp.waitFor(60, TimeUnit.SECONDS));
            assertEquals(0, imp.exitValue(), new String(imp.getInputStream().readAllBytes()));
            Path ppm = tmp.resolve("dump.ppm");
            cmd.println("dump " + ppm);
            assertEquals("DONE", out.readLine());

            BufferedImage root = Pictures.read(shot);
            BufferedImage dump = Pictures.read(ppmToPng(ppm));
            assertEquals(720, dump.getWidth());
            int w = dump.getWidth();
            int h = dump.getHeight();
            long same = 0;
            long light = 0;
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int a = root.getRGB(x, y) & 0xffffff;
                    int b = dump.getRGB(x, y) & 0xffffff;
                    same += a == b ? 1 : 0;
                    light += b != 0 ? 1 : 0;
                }
            }
            assertTrue(light > 1000, "the screendump is empty");
            double share = (double) same / (w * h);
            // only the blinking cursor (one 9x16 cell) may differ between the two moments
            assertTrue(share > 1 - 200.0 / (w * h), "window and screendump differ: " + (w * h - same) + " pixels");
        } finally {
            if (vm != null) {
                vm.getOutputStream().close();
                if (!vm.waitFor(10, TimeUnit.SECONDS)) {
                    vm.destroyForcibly();
                }
            }
            xvfb.destroy();
            xvfb.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private Path ppmToPng(Path ppm) throws Exception {
        Path png = tmp.resolve("dump.png");
        Process p = new ProcessBuilder(List.of("convert", ppm.toString(), png.toString())).redirectErrorStream(true).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), new String(p.getInputStream().readAllBytes()));
        return png;
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (Exception e) {
            return "";
        }
    }
}
