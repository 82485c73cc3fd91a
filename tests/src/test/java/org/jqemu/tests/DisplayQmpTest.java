package org.jqemu.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.image.BufferedImage;
import java.net.UnixDomainSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The display commands over QMP on a real jqemu process: screendump as PPM and PNG of the
 * standard VGA's text screen, query-vnc and set_password with a password-protected VNC server
 * on a unix socket, send-key and input-send-event, and screendump's error without a card.
 */
class DisplayQmpTest {
    @TempDir
    Path dir;
    private Process jqemu;

    private QmpClient start(String... extra) throws Exception {
        QmpTest.assemble();
        Path sock = dir.resolve("qmp.sock");
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED", "-cp",
                System.getProperty("java.class.path"), "org.jqemu.system.Main", "-machine", "pc", "-m", "32",
                "-display", "none", "-serial", "null", "-kernel", QmpTest.kernel.toString(),
                "-qmp", "unix:" + sock + ",server=on,wait=off"));
        cmd.addAll(List.of(extra));
        jqemu = new ProcessBuilder(cmd).directory(dir.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectOutput(dir.resolve("stdout.txt").toFile())
                .redirectError(dir.resolve("stderr.txt").toFile()).start();
        QmpClient c = QmpClient.connect(UnixDomainSocketAddress.of(sock));
        c.ok("qmp_capabilities");
        return c;
    }

    @AfterEach
    void stop() throws InterruptedException {
        if (jqemu != null && jqemu.isAlive()) {
            jqemu.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void screendumpVncAndInputCommands() throws Exception {
        Path vncSock = dir.resolve("vnc.sock");
        try (QmpClient c = start("-vnc", "unix:" + vncSock + ",password=on")) {
            Path ppm = dir.resolve("screen.ppm");
            c.ok("screendump", "filename", ppm.toString());
            byte[] p = Files.readAllBytes(ppm);
            assertTrue(new String(p, 0, 15, StandardCharsets.US_ASCII).startsWith("P6\n720 400\n255\n"));
            assertEquals(15 + 720 * 400 * 3, p.length);

            Path png = dir.resolve("screen.png");
            c.ok("screendump", "filename", png.toString(), "format", "png");
            BufferedImage img = ImageIO.read(png.toFile());
            assertEquals(720, img.getWidth());
            assertEquals(400, img.getHeight());
            assertEquals(p[15 + 3 * 721] & 0xff, (img.getRGB(1, 1) >> 16) & 0xff, "PNG and PPM show the same picture");

            // HMP's screendump (through human-monitor-command) writes the same kind of file.
            Path hmpPng = dir.resolve("hmp.png");
            c.ok("human-monitor-command", "command-line", "screendump " + hmpPng + " -f png");
            assertEquals(720, ImageIO.read(hmpPng.toFile()).getWidth());

            JsonNode vnc = c.ok("query-vnc");
            assertTrue(vnc.get("enabled").asBoolean());
            assertEquals("unix", vnc.get("family").asText());
            assertEquals("vnc", vnc.get("auth").asText());
            assertEquals(vncSock.toString(), vnc.get("service").asText());
            c.ok("set_password", "protocol", "vnc", "password", "s3cret");
            assertEquals("GenericError", c.execute("set_password", "protocol", "spice", "password", "x")
                    .get("error").get("class").asText());

            c.ok("send-key", "keys", List.of(Map.of("type", "qcode", "data", "ctrl"),
                    Map.of("type", "qcode", "data", "alt"), Map.of("type", "number", "data", 0x3b)));
            c.ok("input-send-event", "events", List.of(
                    Map.of("type", "key", "data", Map.of("down", true, "key", Map.of("type", "qcode", "data", "a"))),
                    Map.of("type", "key", "data", Map.of("down", false, "key", Map.of("type", "qcode", "data", "a"))),
                    Map.of("type", "rel", "data", Map.of("axis", "x", "value", 10)),
                    Map.of("type", "btn", "data", Map.of("down", true, "button", "left"))));
            JsonNode bad = c.execute("send-key", "keys", List.of(Map.of("type", "qcode", "data", "nosuchkey")));
            assertEquals("GenericError", bad.get("error").get("class").asText());
        }
    }

    @Test
    void screendumpWithoutACardFails() throws Exception {
        try (QmpClient c = start("-vga", "none")) {
            JsonNode r = c.execute("screendump", "filename", dir.resolve("x.ppm").toString());
            assertEquals("There is no QemuConsole I can screendump from.", r.get("error").get("desc").asText());
            assertEquals(false, c.ok("query-vnc").get("enabled").asBoolean());
        }
    }
}
