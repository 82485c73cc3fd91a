package org.jqemu.hw.timer;

import static org.jqemu.hw.TestMachines.in8;
import static org.jqemu.hw.TestMachines.out8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.jqemu.hw.TestMachines;
import org.jqemu.hw.TestMachines.RecordingLine;
import org.jqemu.hw.audio.PcSpeaker;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.memory.IoRegion;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The clock is stopped during every read, so expected counts are computed exactly from the
 * virtual time elapsed since the count was loaded.
 */
class I8254PitTest {
    private Machine m;
    private RecordingLine irq0;
    private I8254Pit pit;

    @BeforeEach
    void setUp() {
        m = TestMachines.newMachine();
        irq0 = new RecordingLine();
        pit = new I8254Pit(m, "pit", irq0);
        m.io().root().add(0x40, new IoRegion("pit", 4, pit.ports()));
        PcSpeaker spk = new PcSpeaker(m, pit);
        m.io().root().add(0x61, new IoRegion("pcspk", 1, spk.port()));
        m.addDevice(pit);
        m.addDevice(spk);
        TestMachines.startPaused(m);
    }

    @AfterEach
    void tearDown() {
        m.close();
    }

    private long now() {
        return m.clock().nanos();
    }

    private void program(int channel, int mode, int count) {
        out8(m, 0x43, (channel << 6) | 0x30 | (mode << 1));
        out8(m, 0x40 + channel, count & 0xff);
        out8(m, 0x40 + channel, (count >> 8) & 0xff);
    }

    private int readCount(int channel) {
        out8(m, 0x43, channel << 6); // counter latch
        int lo = in8(m, 0x40 + channel);
        int hi = in8(m, 0x40 + channel);
        return lo | hi << 8;
    }

    private int status(int channel) {
        out8(m, 0x43, 0xe0 | (2 << channel)); // read-back, status only
        return in8(m, 0x40 + channel);
    }

    @Test
    void tickConversionRoundTrips() {
        assertEquals(FREQUENCY, I8254Pit.ticks(1_000_000_000L));
        for (long t : new long[] {1, 2, 1000, 65536, FREQUENCY * 3 + 7}) {
            long ns = I8254Pit.nanosOfTicks(t);
            assertEquals(t, I8254Pit.ticks(ns));
            assertEquals(t - 1, I8254Pit.ticks(ns - 1));
        }
    }

    private static final long FREQUENCY = I8254Pit.FREQUENCY;

    @Test
    void mode0CountsDownAndRaisesOutAtTerminalCount() throws InterruptedException {
        long t0 = now();
        program(0, 0, 30000); // ~25 ms
        irq0.risingEdges = 0;
        assertEquals(30000, readCount(0));
        assertFalse(irq0.level);
        TestMachines.advance(m, 5);
        long d = I8254Pit.ticks(now() - t0);
        assertEquals((int) ((30000 - d) & 0xffff), readCount(0));
        assertEquals(d >= 30000, irq0.level);
        while (I8254Pit.ticks(now() - t0) < 30000) {
            TestMachines.advance(m, 10);
        }
        assertTrue(irq0.level, "OUT high after terminal count");
        assertEquals(1, irq0.risingEdges);
        assertEquals(0x80 | 0x30 | 0, status(0), "status: OUT high, word access, mode 0, binary");
    }

    @Test
    void mode2And3GiveOneIrqEdgePerPeriod() throws InterruptedException {
        for (int mode : new int[] {2, 3}) {
            irq0.risingEdges = 0;
            long t0 = now();
            program(0, mode, 11932); // 100 Hz
            int before = irq0.risingEdges;
            TestMachines.advance(m, 60);
            long periods = I8254Pit.ticks(now() - t0) / 11932;
            assertTrue(periods >= 5, "time advanced");
            // Mode 3 starts high, so its first rising edge is after the first half period.
            assertEquals(periods, irq0.risingEdges - before, "mode " + mode);
            long d = I8254Pit.ticks(now() - t0);
            int expected = mode == 2 ? (int) (11932 - d % 11932) : (int) (11932 - (2 * d) % 11932);
            assertEquals(expected, readCount(0), "mode " + mode);
        }
    }

    @Test
    void mode4StrobesOnceAtTerminalCount() throws InterruptedException {
        long t0 = now();
        program(0, 4, 2000);
        assertTrue(irq0.level, "mode 4 OUT starts high");
        int edges = irq0.risingEdges;
        while (I8254Pit.ticks(now() - t0) < 2002) {
            TestMachines.advance(m, 5);
        }
        assertTrue(irq0.level);
        assertEquals(edges + 1, irq0.risingEdges, "one low strobe, one rising edge");
    }

    @Test
    void lobyteHibyteAndBcd() {
        out8(m, 0x43, 0x40 | 0x10 | (2 << 1)); // counter 1, LSB only, mode 2
        out8(m, 0x41, 0x34);
        assertEquals(0x34, in8(m, 0x41));
        out8(m, 0x43, 0x40 | 0x20 | (2 << 1) | 1); // counter 1, MSB only, mode 2, BCD
        out8(m, 0x41, 0x12);
        assertEquals(0x12, in8(m, 0x41), "BCD 1200 read back as its high byte");
        out8(m, 0x43, 0x40 | 0x30 | (2 << 1) | 1); // word, BCD
        out8(m, 0x41, 0x00);
        out8(m, 0x41, 0x00); // 0 means 10000 in BCD, which reads as 0000
        assertEquals(0x00, in8(m, 0x41));
        assertEquals(0x00, in8(m, 0x41));
        assertEquals(2345, I8254Pit.fromBcd(0x2345));
        assertEquals(0x9999, I8254Pit.toBcd(9999));
    }

    @Test
    void latchHoldsValueUntilRead() throws InterruptedException {
        long t0 = now();
        program(0, 2, 50000);
        out8(m, 0x43, 0x00);
        TestMachines.advance(m, 5);
        int lo = in8(m, 0x40);
        int hi = in8(m, 0x40);
        assertEquals(50000, lo | hi << 8, "latched at load time");
        long d = I8254Pit.ticks(now() - t0);
        assertEquals((int) (50000 - d % 50000), readCount(0));
    }

    @Test
    void readBackLatchesCountAndStatusTogether() {
        program(2, 3, 1234);
        out8(m, 0x43, 0xc0 | 0x08); // read-back counter 2: count and status
        assertEquals(0x80 | 0x30 | (3 << 1), in8(m, 0x42), "status comes first");
        assertEquals(1234 & 0xff, in8(m, 0x42));
        assertEquals(1234 >> 8, in8(m, 0x42));
    }

    @Test
    void controlWordSetsNullCountUntilCountWritten() {
        out8(m, 0x43, 0x80 | 0x30 | 0); // counter 2, mode 0
        assertEquals(0x40 | 0x30, status(2), "OUT low, null count");
        out8(m, 0x42, 0x10);
        out8(m, 0x42, 0x00);
        assertEquals(0x30, status(2));
    }

    @Test
    void port61GatesCounter2AndShowsItsOutput() throws InterruptedException {
        // Linux's PIT calibration: gate high, mode 0 on counter 2, poll bit 5.
        out8(m, 0x61, 0x01);
        long t0 = now();
        program(2, 0, 3000);
        assertEquals(0x01, in8(m, 0x61) & 0x23);
        while (I8254Pit.ticks(now() - t0) < 3000) {
            TestMachines.advance(m, 2);
        }
        assertEquals(0x21, in8(m, 0x61) & 0x23, "OUT2 high after terminal count");

        // With the gate low, mode 0 stops counting.
        program(2, 0, 60000);
        out8(m, 0x61, 0x00);
        int held = readCount(2);
        TestMachines.advance(m, 5);
        assertEquals(held, readCount(2));
        out8(m, 0x61, 0x01);
        TestMachines.advance(m, 5);
        assertTrue(readCount(2) < held);
    }

    @Test
    void port61RefreshBitToggles() throws InterruptedException {
        int first = in8(m, 0x61) & 0x10;
        boolean toggled = false;
        for (int i = 0; i < 50 && !toggled; i++) {
            TestMachines.advance(m, 1);
            toggled = (in8(m, 0x61) & 0x10) != first;
            long expected = (m.clock().nanos() / PcSpeaker.REFRESH_PERIOD_NS) & 1;
            assertEquals(expected << 4, in8(m, 0x61) & 0x10);
        }
        assertTrue(toggled, "bit 4 changes as guest time passes");
    }

    @Test
    void resetStartsCounter0InMode3WithFullCount() {
        assertEquals(0x80 | 0x30 | (3 << 1), status(0));
        assertEquals(0, readCount(0), "0x10000 reads as 0");
    }
}
