package org.jqemu.hw.rtc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.jqemu.hw.TestMachines;
import org.jqemu.hw.TestMachines.RecordingLine;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.memory.MemoryOps;
import org.junit.jupiter.api.Test;

class Pl031Test {
    private static final long START = 1_700_000_000L;

    private long locked(Machine m, MemoryOps regs, int off) {
        m.lock();
        try {
            return regs.read(off, 4);
        } finally {
            m.unlock();
        }
    }

    private void locked(Machine m, MemoryOps regs, int off, long v) {
        m.lock();
        try {
            regs.write(off, 4, v);
        } finally {
            m.unlock();
        }
    }

    @Test
    void countsFromTheStartTimeAndCanBeLoaded() {
        Machine m = TestMachines.newMachine();
        Pl031 rtc = new Pl031(m, "pl031", new RecordingLine(), START);
        MemoryOps regs = rtc.mmio();
        assertEquals(START, regs.read(Pl031.RTCDR, 4));
        assertEquals(1, regs.read(Pl031.RTCCR, 4));
        assertEquals(0x31, regs.read(0xfe0, 4));
        assertEquals(0xb1, regs.read(0xffc, 4));
        regs.write(Pl031.RTCLR, 4, 0xfffffff0L);
        assertEquals(0xfffffff0L, regs.read(Pl031.RTCDR, 4));
        assertEquals(0xfffffff0L, regs.read(Pl031.RTCLR, 4));
    }

    @Test
    void matchRaisesTheInterruptWhenTheCounterGetsThere() throws Exception {
        Machine m = TestMachines.newMachine();
        RecordingLine irq = new RecordingLine();
        Pl031 rtc = new Pl031(m, "pl031", irq, START);
        m.addDevice(rtc);
        TestMachines.startPaused(m);
        try {
            MemoryOps regs = rtc.mmio();
            locked(m, regs, Pl031.RTCIMSC, 1);
            locked(m, regs, Pl031.RTCMR, START + 1);
            assertFalse(irq.level);
            // Run guest time until the counter has passed the match value.
            for (int i = 0; i < 40 && locked(m, regs, Pl031.RTCDR) <= START + 1; i++) {
                TestMachines.advance(m, 100);
            }
            assertTrue(locked(m, regs, Pl031.RTCDR) > START + 1, "one virtual second passed");
            assertEquals(1, locked(m, regs, Pl031.RTCRIS));
            assertTrue(irq.level);
            locked(m, regs, Pl031.RTCICR, 1);
            assertFalse(irq.level);
            assertEquals(0, locked(m, regs, Pl031.RTCMIS));
        } finally {
            m.exit(0);
            m.awaitExit();
        }
    }
}
