package org.jqemu.hw.virtio;

import static org.jqemu.hw.virtio.VirtioMmio.*;
import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.jqemu.hw.TestMachines;
import org.jqemu.hw.TestMachines.RecordingLine;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.memory.RamRegion;
import org.jqemu.system.net.NetBackends;
import org.jqemu.system.options.ConfigException;
import org.jqemu.system.options.Opts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * set_link on a virtio-net (virtio 1.2, 5.1.4 status field, 4.2.2.1 config change notification):
 * two machines on a {@code -netdev dgram} unix link; taking a's NIC down clears
 * VIRTIO_NET_S_LINK_UP, bumps the config generation and raises the configuration interrupt, and
 * frames are dropped both ways until it comes back.
 */
class VirtioNetLinkTest {
    @TempDir
    Path dir;
    Machine a;
    Machine b;
    RecordingLine irqA = new RecordingLine();

    Machine machine(String netdev, RecordingLine irq) throws ConfigException {
        Machine m = TestMachines.newMachine();
        m.memory().root().add(0, RamRegion.allocate(m.arena(), "ram", 4 << 20, false));
        VirtioMmioBus bus = new VirtioMmioBus(m, VirtioNetStreamTest.SLOT, new RecordingLine[] {irq});
        m.putComponent(VirtioMmioBus.class, bus);
        NetBackends nets = new NetBackends(m.mainLoop()::post);
        m.putComponent(NetBackends.class, nets);
        m.addResourceToClose(nets);
        nets.open(Opts.parse("-netdev " + netdev, netdev, "type"));
        new VirtioNetPciType.Mmio().create(m, new Opts("-device", Map.of("netdev", "n0")));
        TestMachines.startPaused(m);
        return m;
    }

    @AfterEach
    void tearDown() {
        for (Machine m : new Machine[] {b, a}) {
            if (m != null) {
                m.close();
            }
        }
    }

    private static void locked(Machine m, Runnable r) {
        m.lock();
        try {
            r.run();
        } finally {
            m.unlock();
        }
    }

    private static List<byte[]> usedWithin(Machine m, MmioQueue q, long millis) throws InterruptedException {
        long deadline = System.nanoTime() + millis * 1_000_000L;
        do {
            m.lock();
            try {
                List<byte[]> got = q.used();
                if (!got.isEmpty()) {
                    return got;
                }
            } finally {
                m.unlock();
            }
            Thread.sleep(5);
        } while (System.nanoTime() < deadline);
        return List.of();
    }

    @Test
    void linkDownClearsStatusInterruptsAndDropsFramesBothWays() throws Exception {
        Path pa = dir.resolve("a");
        Path pb = dir.resolve("b");
        a = machine("dgram,id=n0,local.type=unix,local.path=" + pa + ",remote.type=unix,remote.path=" + pb, irqA);
        b = machine("dgram,id=n0,local.type=unix,local.path=" + pb + ",remote.type=unix,remote.path=" + pa, new RecordingLine());
        long slot = VirtioNetStreamTest.SLOT;
        MmioQueue[] qa = VirtioNetStreamTest.init(a);
        MmioQueue[] qb = VirtioNetStreamTest.init(b);
        locked(a, () -> qa[0].add(null, 0x800, true));
        locked(b, () -> qb[0].add(null, 0x800, true));
        byte[] frame = new byte[VirtioNet.HEADER + 60];
        Arrays.fill(frame, VirtioNet.HEADER, VirtioNet.HEADER + 6, (byte) 0xff);
        NetBackends netsA = a.component(NetBackends.class);
        int generation = (int) a.memory().read32(slot + CONFIG_GENERATION);

        locked(a, () -> assertTrue(netsA.setLink("virtio-net-device.0", false)));
        assertEquals(0, a.memory().read16(slot + CONFIG + 6), "status without VIRTIO_NET_S_LINK_UP");
        assertNotEquals(generation, (int) a.memory().read32(slot + CONFIG_GENERATION), "config generation");
        assertEquals(INT_CONFIG, a.memory().read32(slot + INTERRUPT_STATUS) & INT_CONFIG, "config change interrupt");
        assertTrue(irqA.level, "the interrupt line is raised");
        locked(a, () -> a.memory().write32(slot + INTERRUPT_ACK, INT_CONFIG));

        locked(a, () -> qa[1].add(frame, frame.length, false));
        locked(b, () -> qb[1].add(frame, frame.length, false));
        assertEquals(List.of(), usedWithin(b, qb[0], 500), "a sent through a downed link");
        assertEquals(List.of(), usedWithin(a, qa[0], 500), "a received through a downed link");

        locked(a, () -> assertTrue(netsA.setLink("n0", true))); // the netdev's name reaches its NIC too
        assertEquals(VirtioNet.S_LINK_UP, a.memory().read16(slot + CONFIG + 6));
        locked(b, () -> qb[1].add(frame, frame.length, false));
        List<byte[]> got = usedWithin(a, qa[0], 5000);
        assertEquals(1, got.size(), "a frame after the link came back");
        assertEquals(frame.length, got.get(0).length);
    }
}
