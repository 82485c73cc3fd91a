package org.jqemu.ui.vnc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.util.Map;
import org.jqemu.system.machine.MachineConfig;
import org.jqemu.system.options.Opts;
import org.jqemu.ui.SeabiosMachine;
import org.junit.jupiter.api.Test;

/**
 * SeaBIOS's screen over ZRLE must arrive pixel-exact; keys typed through VNC must reach the BIOS
 * (its keyboard buffer in the BIOS data area fills with scancode/ASCII pairs); VNC authentication
 * refuses a wrong password and accepts the one QMP set.
 */
class VncZrleAndKeysTest {
    @Test
    void zrleFrameIsExactAndKeysReachTheBios() throws Exception {
        assumeTrue(SeabiosMachine.available(), "seabios not installed");
        try (SeabiosMachine pc = new SeabiosMachine(new MachineConfig())) {
            int display = VncSnapshotTest.freeDisplay();
            VncServer vnc = VncServer.start(pc.machine, new Opts("-vnc",
                    Map.of("vnc", "127.0.0.1:" + display, "password", "on")));
            pc.bootToNoDisk();
            assertThrows(IOException.class, () -> new RfbTestClient("127.0.0.1", 5900 + display, "secret").close(),
                    "no password set yet: nobody gets in");
            vnc.setPassword("secret");
            assertThrows(IOException.class, () -> new RfbTestClient("127.0.0.1", 5900 + display, "wrong").close());
            try (RfbTestClient c = new RfbTestClient("127.0.0.1", 5900 + display, "secret")) {
                c.setEncodings(VncClient.ENC_ZRLE, VncClient.ENC_COPYRECT, VncClient.ENC_DESKTOP_SIZE);
                c.requestUpdate(false);
                c.readMessage();
                assertTrue(c.zrleRects > 0 && c.rawRects == 0, "ZRLE was not used");
                int[] size = new int[2];
                int[] ref = pc.pixels(size);
                assertEquals(size[0], c.width);
                assertEquals(ref.length, c.fb.length);
                // exact, except the blinking cursor may have changed between the two moments
                int minX = Integer.MAX_VALUE;
                int maxX = -1;
                int minY = Integer.MAX_VALUE;
                int maxY = -1;
                for (int i = 0; i < ref.length; i++) {
                    if (ref[i] != c.fb[i]) {
                        minX = Math.min(minX, i % size[0]);
                        maxX = Math.max(maxX, i % size[0]);
                        minY = Math.min(minY, i / size[0]);
                        maxY = Math.max(maxY, i / size[0]);
                    }
                }
                assertTrue(maxX < 0 || (maxX - minX < 9 && maxY - minY < 16),
                        "the ZRLE picture differs from the screen in " + minX + "," + minY + " - " + maxX + "," + maxY);
                assertTrue(c.bytesReceived < 720 * 400 / 4, "a text screen should compress well, got " + c.bytesReceived);
                assertEquals(1, vnc.info().clients());

                // The BIOS keyboard ring buffer: head and tail at 0x41A/0x41C are offsets from 0x400 into 0x41E..0x43D.
                int tailBefore = word(pc, 0x41c);
                c.type("aZ");
                long deadline = System.nanoTime() + 20_000_000_000L;
                while (System.nanoTime() < deadline && ring(pc, tailBefore) < 2) {
                    Thread.sleep(50);
                }
                assertEquals(2, ring(pc, tailBefore), "keys typed over VNC did not reach the BIOS buffer");
                assertEquals(0x1e61, word(pc, 0x400 + tailBefore), "'a' is scancode 0x1E, ASCII 0x61");
                int next = tailBefore + 2 >= 0x3e ? 0x1e : tailBefore + 2;
                assertEquals(0x2c5a, word(pc, 0x400 + next), "'Z' (shift added by the server) is scancode 0x2C, ASCII 0x5A");
            }
        }
    }

    private static int word(SeabiosMachine pc, int addr) {
        pc.machine.lock();
        try {
            return pc.machine.memory().read16(addr);
        } finally {
            pc.machine.unlock();
        }
    }

    /** Words added to the ring since tail was {@code from}. */
    private static int ring(SeabiosMachine pc, int from) {
        int tail = word(pc, 0x41c);
        int n = (tail - from) / 2;
        return n < 0 ? n + 16 : n;
    }
}
