package org.jqemu.hw.virtio;

import static org.jqemu.hw.virtio.VirtioDevice.*;
import static org.jqemu.hw.virtio.VirtioMmio.*;
import static org.junit.jupiter.api.Assertions.*;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.jqemu.hw.TestMachines;
import org.jqemu.hw.TestMachines.RecordingLine;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.memory.RamRegion;
import org.jqemu.system.net.NetBackends;
import org.jqemu.system.net.StreamNetBackend;
import org.jqemu.system.options.ConfigException;
import org.jqemu.system.options.Opts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Two machines in this JVM, each with a virtio-net in a virtio-mmio slot, joined by
 * {@code -netdev stream} (server) and {@code -netdev socket,connect=} (client) over the loopback:
 * a frame sent by one driver arrives in the other's receive buffer with a zeroed virtio_net_hdr.
 */
class VirtioNetStreamTest {
    static final long SLOT = 0x0a00_0000L;
    Machine a;
    Machine b;

    Machine machine(String netdev) throws ConfigException {
        Machine m = TestMachines.newMachine();
        m.memory().root().add(0, RamRegion.allocate(m.arena(), "ram", 4 << 20, false));
        VirtioMmioBus bus = new VirtioMmioBus(m, SLOT, new RecordingLine[] {new RecordingLine()});
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
        if (b != null) {
            b.close();
        }
        if (a != null) {
            a.close();
        }
    }

    /** Driver set-up under the machine lock; returns {rx, tx}. */
    static MmioQueue[] init(Machine m) {
        m.lock();
        try {
            var mem = m.memory();
            mem.write32(SLOT + STATUS, STATUS_ACKNOWLEDGE | STATUS_DRIVER);
            mem.write32(SLOT + DRIVER_FEATURES_SEL, 0);
            mem.write32(SLOT + DRIVER_FEATURES, (1 << VirtioNet.F_MAC) | (1 << VirtioNet.F_STATUS));
            mem.write32(SLOT + DRIVER_FEATURES_SEL, 1);
            mem.write32(SLOT + DRIVER_FEATURES, 1);
            mem.write32(SLOT + STATUS, STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK);
            MmioQueue rx = new MmioQueue(mem, SLOT, 0, 0x10000);
            MmioQueue tx = new MmioQueue(mem, SLOT, 1, 0x20000);
            mem.write32(SLOT + STATUS, STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK | STATUS_DRIVER_OK);
            return new MmioQueue[] {rx, tx};
        } finally {
            m.unlock();
        }
    }

    static List<byte[]> awaitUsed(Machine m, MmioQueue q) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < deadline) {
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
        }
        throw new AssertionError("nothing arrived");
    }

    @Test
    void framesCrossBetweenTwoMachines() throws Exception {
        a = machine("stream,id=n0,server=on,addr.type=inet,addr.host=127.0.0.1,addr.port=0");
        int port = ((InetSocketAddress) ((StreamNetBackend) a.component(NetBackends.class).get("n0")).localAddress()).getPort();
        b = machine("socket,id=n0,connect=127.0.0.1:" + port);
        assertEquals(0x52, a.memory().read8(SLOT + CONFIG), "MAC in config space");
        assertEquals(VirtioNet.S_LINK_UP, a.memory().read16(SLOT + CONFIG + 6));
        MmioQueue[] qa = init(a);
        MmioQueue[] qb = init(b);
        b.lock();
        try {
            qb[0].add(null, 0x800, true);
        } finally {
            b.unlock();
        }
        a.lock();
        try {
            qa[0].add(null, 0x800, true);
        } finally {
            a.unlock();
        }
        byte[] frame = new byte[60];
        Arrays.fill(frame, 0, 6, (byte) 0xff); // broadcast
        byte[] text = "hello from a".getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(text, 0, frame, 14, text.length);
        byte[] withHeader = new byte[VirtioNet.HEADER + frame.length];
        System.arraycopy(frame, 0, withHeader, VirtioNet.HEADER, frame.length);

        // b's connect is accepted asynchronously: resend until the first frame is through.
        List<byte[]> got = null;
        for (int attempt = 0; attempt < 50 && got == null; attempt++) {
            a.lock();
            try {
                qa[1].add(withHeader, withHeader.length, false);
            } finally {
                a.unlock();
            }
            Thread.sleep(20);
            b.lock();
            try {
                List<byte[]> u = qb[0].used();
                got = u.isEmpty() ? null : u;
            } finally {
                b.unlock();
            }
        }
        assertNotNull(got, "frame from a reached b");
        byte[] rx = got.get(0);
        assertEquals(VirtioNet.HEADER + frame.length, rx.length);
        assertEquals(1, rx[10], "num_buffers = 1");
        assertArrayEquals(frame, Arrays.copyOfRange(rx, VirtioNet.HEADER, rx.length));

        // And back the other way.
        b.lock();
        try {
            qb[1].add(withHeader, withHeader.length, false);
        } finally {
            b.unlock();
        }
        byte[] back = awaitUsed(a, qa[0]).get(0);
        assertArrayEquals(frame, Arrays.copyOfRange(back, VirtioNet.HEADER, back.length));
    }
}
