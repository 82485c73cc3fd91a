package org.jqemu.hw.virtio;

import static org.jqemu.hw.virtio.VirtioDevice.*;
import static org.jqemu.hw.virtio.VirtioMmio.*;
import static org.jqemu.hw.virtio.VirtioSerial.*;
import static org.jqemu.hw.virtio.Virtqueue.*;
import static org.junit.jupiter.api.Assertions.*;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.jqemu.hw.TestMachines;
import org.jqemu.hw.TestMachines.RecordingLine;
import org.jqemu.hw.TestMachines.TestChardev;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.memory.AddressSpace;
import org.jqemu.system.memory.RamRegion;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * virtio-serial over virtio-mmio with the test as the driver, following what Linux's
 * virtio_console does: DEVICE_READY, PORT_READY for each announced port, then data both ways.
 */
class VirtioSerialMmioTest {
    static final long BASE = 0x0a00_0000L;

    Machine m;
    AddressSpace mem;
    VirtioSerial serial;
    TestChardev console = new TestChardev("con");
    TestChardev named = new TestChardev("named");
    RecordingLine irq = new RecordingLine();

    @BeforeEach
    void setUp() throws Exception {
        m = TestMachines.newMachine();
        mem = m.memory();
        mem.root().add(0, RamRegion.allocate(m.arena(), "ram", 4 << 20, false));
        serial = new VirtioSerial(m, "vs", 4);
        assertEquals(0, serial.addPort(console, true, null));
        assertEquals(1, serial.addPort(named, false, "org.jqemu.test"));
        VirtioMmio t = new VirtioMmio(serial, irq);
        mem.root().add(BASE, t.region());
    }

    @AfterEach
    void tearDown() {
        m.close();
    }

    void reg(int off, int v) {
        mem.write32(BASE + off, v);
    }

    int reg(int off) {
        return mem.read32(BASE + off);
    }

    static byte[] control(int id, int event, int value) {
        byte[] b = new byte[8];
        VirtioDevice.putLe(b, 0, 4, id);
        VirtioDevice.putLe(b, 4, 2, event);
        VirtioDevice.putLe(b, 6, 2, value);
        return b;
    }

    static String describe(byte[] msg) {
        String s = VirtioDevice.readLe(msg, 0, 4) + ":" + VirtioDevice.readLe(msg, 4, 2) + ":" + VirtioDevice.readLe(msg, 6, 2);
        return msg.length > 8 ? s + ":" + new String(msg, 8, msg.length - 8, StandardCharsets.UTF_8) : s;
    }

    @Test
    void multiportHandshakeThenDataBothWays() {
        assertEquals(ID_CONSOLE, reg(DEVICE_ID));
        reg(DEVICE_FEATURES_SEL, 0);
        assertEquals(1 << F_MULTIPORT, reg(DEVICE_FEATURES) & (1 << F_MULTIPORT));
        assertEquals(4, mem.read32(BASE + CONFIG + 4), "max_nr_ports");
        reg(STATUS, STATUS_ACKNOWLEDGE | STATUS_DRIVER);
        reg(DRIVER_FEATURES_SEL, 0);
        reg(DRIVER_FEATURES, 1 << F_MULTIPORT);
        reg(DRIVER_FEATURES_SEL, 1);
        reg(DRIVER_FEATURES, 1);
        reg(STATUS, STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK);
        MmioQueue rx0 = new MmioQueue(mem, BASE, 0, 0x10000);
        MmioQueue tx0 = new MmioQueue(mem, BASE, 1, 0x20000);
        MmioQueue crx = new MmioQueue(mem, BASE, 2, 0x30000);
        MmioQueue ctx = new MmioQueue(mem, BASE, 3, 0x40000);
        MmioQueue rx1 = new MmioQueue(mem, BASE, 4, 0x50000);
        MmioQueue tx1 = new MmioQueue(mem, BASE, 5, 0x60000);
        reg(STATUS, STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK | STATUS_DRIVER_OK);
        for (int i = 0; i < 6; i++) {
            crx.add(null, 64, true);
        }

        ctx.add(control(0, DEVICE_READY, 1), 8, false);
        assertEquals(List.of("0:1:1", "1:1:1"), crx.used().stream().map(VirtioSerialMmioTest::describe).toList(),
                "DEVICE_ADD for both ports");
        ctx.add(control(0, PORT_READY, 1), 8, false);
        ctx.add(control(1, PORT_READY, 1), 8, false);
        assertEquals(List.of("0:4:1", "0:6:1", "1:7:1:org.jqemu.test", "1:6:1"),
                crx.used().stream().map(VirtioSerialMmioTest::describe).toList(),
                "port 0 is a console, port 1 has a name, both are open on the host side");
        assertEquals(3, ctx.used().size(), "control transmit buffers returned");
        ctx.add(control(0, PORT_OPEN, 1), 8, false);

        tx0.add("login: ".getBytes(StandardCharsets.US_ASCII), 7, false);
        tx1.add("to-named".getBytes(StandardCharsets.US_ASCII), 8, false);
        assertEquals("login: ", console.output.toString());
        assertEquals("to-named", named.output.toString());
        assertEquals(1, tx0.used().size());

        assertEquals("ls\n", console.feed("ls\n"), "no receive buffer yet: nothing taken");
        rx0.add(null, 64, true);
        assertEquals("", console.feed("ls\n"));
        assertEquals(List.of("ls\n"), rx0.used().stream().map(b -> new String(b, StandardCharsets.US_ASCII)).toList());
        rx1.add(null, 4, true);
        assertEquals("efgh", named.feed("abcdefgh"), "only as much as the buffers hold");
        assertEquals(List.of("abcd"), rx1.used().stream().map(b -> new String(b, StandardCharsets.US_ASCII)).toList());
        assertTrue(irq.level);
        assertEquals(0, reg(STATUS) & STATUS_NEEDS_RESET);
    }
}
