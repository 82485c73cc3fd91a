package org.jqemu.hw.timer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.jqemu.hw.TestMachines;
import org.jqemu.hw.TestMachines.RecordingLine;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.memory.IoRegion;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class HpetTest {
    static final long BASE = 0xfed0_0000L;
    Machine m;
    Hpet hpet;
    RecordingLine[] gsi = new RecordingLine[24];

    @BeforeEach
    void setUp() {
        m = TestMachines.newMachine();
        for (int i = 0; i < 24; i++) {
            gsi[i] = new RecordingLine();
        }
        hpet = new Hpet(m, "hpet", n -> gsi[n]);
        m.memory().root().add(BASE, new IoRegion("hpet", 0x400, hpet.mmio()));
    }

    long rd(long reg) {
        m.lock();
        try {
            return m.memory().read(BASE + reg, 8);
        } finally {
            m.unlock();
        }
    }

    void wr(long reg, long v) {
        m.lock();
        try {
            m.memory().write(BASE + reg, 8, v);
        } finally {
            m.unlock();
        }
    }

    @Test
    void capabilities() {
        long cap = rd(0);
        assertEquals(10_000_000L, cap >>> 32, "10 ns period in fs");
        assertEquals(0x8086, (cap >> 16) & 0xffff);
        assertEquals(2, (cap >> 8) & 0x1f, "three timers");
        assertEquals(1 << 15 | 1 << 13, cap & (1 << 15 | 1 << 13), "legacy capable, 64-bit counter");
        assertEquals(0x30, rd(0x100) & 0x30, "periodic and 64-bit capable");
        // 32-bit halves read separately.
        m.lock();
        try {
            assertEquals(10_000_000L, m.memory().read(BASE + 4, 4));
        } finally {
            m.unlock();
        }
    }

    @Test
    void counterStopsWhenDisabledAndIsWritableThen() throws Exception {
        TestMachines.startPaused(m);
        wr(0xf0, 1000);
        assertEquals(1000, rd(0xf0));
        wr(0x10, 1);
        TestMachines.advance(m, 10);
        long c = rd(0xf0);
        assertTrue(c >= 1000 + 10_000_000 / 10 / 2, "about 100 MHz: " + c);
        wr(0x10, 0);
        assertEquals(c, rd(0xf0), "the clock is stopped, so the counter too");
        TestMachines.advance(m, 5);
        assertEquals(c, rd(0xf0), "disabled: frozen");
        m.close();
    }

    @Test
    void oneShotLevelTimerRaisesItsRoutedLineUntilStatusCleared() throws Exception {
        TestMachines.startPaused(m);
        wr(0x100, Hpet.TN_LEVEL | Hpet.TN_ENABLE | (16L << 9));
        wr(0x108, 100_000); // 1 ms
        wr(0x10, 1);
        TestMachines.advance(m, 20);
        assertTrue(gsi[16].level);
        assertEquals(1, rd(0x20));
        wr(0x20, 1);
        assertFalse(gsi[16].level);
        assertEquals(0, rd(0x20));
        m.close();
    }

    @Test
    void periodicEdgeTimerInLegacyModeDrivesGsi0AndCutsThePit() throws Exception {
        TestMachines.startPaused(m);
        hpet.pitInput().set(true);
        assertTrue(gsi[0].level, "PIT passes through when not in legacy mode");
        hpet.pitInput().set(false);
        wr(0x100, Hpet.TN_ENABLE | Hpet.TN_PERIODIC | Hpet.TN_SETVAL);
        wr(0x108, 100_000); // every 1 ms
        wr(0x10, Hpet.ENABLE | Hpet.LEGACY);
        hpet.pitInput().set(true);
        assertFalse(gsi[0].level, "legacy replacement cuts the PIT off");
        TestMachines.advance(m, 10);
        int first = gsi[0].risingEdges;
        assertTrue(first >= 1, "fired");
        TestMachines.advance(m, 10);
        // Periods the main loop was too late for are skipped, not queued (as QEMU's HPET does),
        // so only "it fired again" is certain.
        assertTrue(gsi[0].risingEdges > first, "periodic: fired again");
        long cmp = rd(0x108);
        long now = rd(0xf0);
        assertTrue(cmp > now && cmp - now <= 100_000, "comparator moved ahead by the period");
        m.close();
    }
}
