package org.jqemu.hw.intc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.jqemu.hw.TestMachines;
import org.jqemu.system.machine.Machine;
import org.jqemu.target.i386.X86InterruptSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Local APIC and I/O APIC against a stopped virtual clock (timers: {@link TestMachines#advance}). */
class ApicTest {
    /** A CPU's pins that record what the APIC did. */
    static final class RecordingPins implements X86InterruptSource.Pins {
        boolean intr;
        int nmis;
        int inits;
        final List<Integer> sipis = new ArrayList<>();

        @Override
        public void interruptRequest(boolean pending) {
            intr = pending;
        }

        @Override
        public void nmi() {
            nmis++;
        }

        @Override
        public void init() {
            inits++;
        }

        @Override
        public void startup(int vector) {
            sipis.add(vector);
        }
    }

    Machine m;
    ApicBus bus;
    LocalApic bsp;
    LocalApic ap;
    RecordingPins bspPins = new RecordingPins();
    RecordingPins apPins = new RecordingPins();
    IoApic ioapic;

    @BeforeEach
    void setUp() {
        m = TestMachines.newMachine();
        bus = new ApicBus(m);
        bsp = new LocalApic(m, bus, 0, 0);
        ap = new LocalApic(m, bus, 1, 1);
        bsp.connect(bspPins);
        ap.connect(apPins);
        ioapic = new IoApic(m, bus, "ioapic", 2);
    }

    static int read(LocalApic a, int reg) {
        return (int) a.mmioRead(reg, 4);
    }

    static void write(LocalApic a, int reg, int v) {
        a.mmioWrite(reg, 4, v & 0xffff_ffffL);
    }

    static void enable(LocalApic a) {
        write(a, 0xf0, 0x1ff);
    }

    @Test
    void resetState() {
        assertEquals(0x0005_0014, read(bsp, 0x30));
        assertEquals(0, read(bsp, 0x20));
        assertEquals(1 << 24, read(ap, 0x20));
        assertEquals(0xff, read(bsp, 0xf0));
        assertEquals(0x700, read(bsp, 0x350), "BSP LINT0 is ExtINT (virtual wire)");
        assertEquals(0x10000, read(ap, 0x350));
        assertEquals(0x10000, read(bsp, 0x320));
        assertEquals(0xffff_ffff, read(bsp, 0xe0));
        assertEquals(0xfee0_0900L, bsp.apicBase());
        assertEquals(0xfee0_0800L, ap.apicBase());
        assertEquals(0x5, bsp.mmioRead(0x32, 1) & 0xff, "byte reads see part of the dword (0x50014 >> 16)");
    }

    @Test
    void fixedInterruptAcknowledgeAndEoi() {
        bus.deliver(0, false, ApicBus.DM_FIXED, 0x41, false);
        assertTrue(bsp.irrSet(0x41));
        assertFalse(bspPins.intr, "software-disabled APIC delivers nothing");
        enable(bsp);
        assertTrue(bspPins.intr);
        assertEquals(0x41, bsp.acknowledge());
        assertTrue(bsp.isrSet(0x41));
        assertFalse(bsp.irrSet(0x41));
        assertFalse(bspPins.intr);
        assertEquals(0x40, read(bsp, 0xa0), "PPR is the in-service class");
        write(bsp, 0xb0, 0);
        assertFalse(bsp.isrSet(0x41));
        assertEquals(0, read(bsp, 0xa0));
        assertFalse(ap.irrSet(0x41), "physical destination 0 is only the BSP");
    }

    @Test
    void taskPriorityAndInServicePriorityBlockLowerClasses() {
        enable(bsp);
        bsp.setTpr(0x50);
        bus.deliver(0, false, ApicBus.DM_FIXED, 0x45, false);
        assertFalse(bspPins.intr);
        assertEquals(0x50, read(bsp, 0xa0));
        bus.deliver(0, false, ApicBus.DM_FIXED, 0x61, false);
        assertTrue(bspPins.intr);
        assertEquals(0x61, bsp.acknowledge());
        bsp.setTpr(0);
        // 0x61 in service: 0x45 (lower class) waits, 0x62 (same class) waits, 0x71 preempts.
        assertFalse(bspPins.intr);
        bus.deliver(0, false, ApicBus.DM_FIXED, 0x62, false);
        assertFalse(bspPins.intr);
        bus.deliver(0, false, ApicBus.DM_FIXED, 0x71, false);
        assertEquals(0x71, bsp.acknowledge());
        write(bsp, 0xb0, 0);
        write(bsp, 0xb0, 0);
        assertEquals(0x62, bsp.acknowledge());
        write(bsp, 0xb0, 0);
        assertEquals(0x45, bsp.acknowledge());
        // Nothing left: the spurious vector.
        write(bsp, 0xb0, 0);
        write(bsp, 0xf0, 0x1ef);
        assertEquals(0xef, bsp.acknowledge());
    }

    @Test
    void pic8259PassesThroughLint0ExtInt() {
        bsp.setPic(() -> 0x20 + 3);
        bsp.lint0().set(true);
        assertTrue(bspPins.intr, "ExtINT passes the 8259 even with the APIC software-disabled");
        assertEquals(0x23, bsp.acknowledge());
        enable(bsp);
        write(bsp, 0x350, 0x10700);
        assertFalse(bspPins.intr, "masked LINT0 blocks the 8259");
        // A globally disabled APIC lets the 8259 through (and forgets its LVT setup).
        assertTrue(bsp.setApicBase(0xfee0_0000L));
        assertTrue(bspPins.intr);
        assertFalse(bsp.setApicBase(1L << 60), "reserved bits");
    }

    @Test
    void lint1NmiAndSoftwareDisableMasksLvt() {
        enable(bsp);
        write(bsp, 0x360, 0x400);
        bsp.lint1().set(true);
        assertEquals(1, bspPins.nmis);
        write(bsp, 0xf0, 0xff);
        assertEquals(0x10400, read(bsp, 0x360));
        write(bsp, 0x360, 0x400);
        assertEquals(0x10400, read(bsp, 0x360), "mask stays set while software-disabled");
    }

    @Test
    void ipisSelfAllButSelfInitSipiAndLogicalDestinations() {
        enable(bsp);
        enable(ap);
        write(bsp, 0x300, 0x40000 | 0x51); // self
        assertTrue(bsp.irrSet(0x51));
        write(bsp, 0x300, 0xc0000 | 0x52); // all excluding self
        assertTrue(ap.irrSet(0x52));
        assertFalse(bsp.irrSet(0x52));
        write(bsp, 0x310, 1 << 24);
        write(bsp, 0x300, 0x4500); // INIT, assert, physical dest 1
        assertEquals(1, apPins.inits);
        assertFalse(ap.irrSet(0x52), "INIT resets the APIC");
        write(bsp, 0x300, 0x8500); // INIT level de-assert: nothing
        assertEquals(1, apPins.inits);
        write(bsp, 0x300, 0x4600 | 0x9a); // SIPI
        assertEquals(List.of(0x9a), apPins.sipis);
        assertEquals(0, read(bsp, 0x300) & (1 << 12), "delivery status idle");
        // Logical flat: LDR bit 1 for the AP.
        enable(ap);
        write(ap, 0xd0, 0x02 << 24);
        write(bsp, 0x310, 0x02 << 24);
        write(bsp, 0x300, 0x800 | 0x63);
        assertTrue(ap.irrSet(0x63));
        assertFalse(bsp.irrSet(0x63));
        // Cluster model: cluster 1, member bit 0.
        write(ap, 0xe0, 0x0fff_ffff);
        write(ap, 0xd0, 0x11 << 24);
        write(bsp, 0x310, 0x13 << 24);
        write(bsp, 0x300, 0x800 | 0x64);
        assertTrue(ap.irrSet(0x64));
        // Sending an illegal vector is an error the guest sees after writing ESR.
        write(bsp, 0x300, 0x40000 | 0x05);
        write(bsp, 0x280, 0);
        assertEquals(0x20, read(bsp, 0x280));
    }

    @Test
    void timerDivideOneShotAndPeriodic() throws Exception {
        TestMachines.startPaused(m);
        m.lock();
        try {
            enable(bsp);
            write(bsp, 0x3e0, 0xb); // divide by 1
            write(bsp, 0x320, 0x30);
            write(bsp, 0x380, 5_000_000); // 5 ms
            assertEquals(5_000_000, read(bsp, 0x390), "a stopped clock: count has not moved");
        } finally {
            m.unlock();
        }
        TestMachines.advance(m, 30);
        m.lock();
        try {
            assertTrue(bsp.irrSet(0x30), "one-shot fired");
            assertEquals(0, read(bsp, 0x390));
            assertEquals(0x30, bsp.acknowledge());
            write(bsp, 0xb0, 0);
            // Periodic by 16: the count keeps wrapping and the interrupt repeats.
            write(bsp, 0x3e0, 0x3);
            write(bsp, 0x320, 0x20031);
            write(bsp, 0x380, 62_500); // 1 ms at 1 GHz / 16
        } finally {
            m.unlock();
        }
        TestMachines.advance(m, 30);
        m.lock();
        try {
            assertTrue(bsp.irrSet(0x31));
            int count = read(bsp, 0x390);
            assertTrue(count > 0 && count <= 62_500, "periodic count " + count);
            write(bsp, 0x380, 0);
            assertEquals(0, read(bsp, 0x390));
        } finally {
            m.unlock();
        }
        m.close();
    }

    /**
     * The intermittent stall of loaded Linux boots: a one-shot count of a few ticks, written
     * while guest time runs, looked expired by the time the timer was armed and was disarmed
     * without its interrupt. Every such count must interrupt, however short.
     */
    @Test
    void shortOneShotCountsWrittenWhileTimeRunsAlwaysInterrupt() throws Exception {
        TestMachines.startPaused(m);
        m.lock();
        try {
            enable(bsp);
            write(bsp, 0x3e0, 0xb); // divide by 1: one tick per nanosecond
            write(bsp, 0x320, 0x30);
        } finally {
            m.unlock();
        }
        m.resume();
        for (int i = 0; i < 200; i++) {
            m.lock();
            try {
                write(bsp, 0x380, 1 + i % 4);
            } finally {
                m.unlock();
            }
            long deadline = System.nanoTime() + 5_000_000_000L;
            boolean fired = false;
            while (!fired && System.nanoTime() < deadline) {
                m.lock();
                try {
                    fired = bsp.irrSet(0x30);
                    if (fired) {
                        assertEquals(0x30, bsp.acknowledge());
                        write(bsp, 0xb0, 0);
                    }
                } finally {
                    m.unlock();
                }
                if (!fired) {
                    Thread.sleep(1);
                }
            }
            assertTrue(fired, "count " + (1 + i % 4) + " written in round " + i + " never interrupted");
        }
        m.close();
    }

    /**
     * A count that ran out while the main loop was busy (its callback not run yet) still
     * interrupts when the guest then rewrites the divider, the LVT or the count.
     */
    @Test
    void anExpiryTheMainLoopHasNotRunYetSurvivesTimerRegisterWrites() throws Exception {
        TestMachines.startPaused(m);
        int[][] writes = {{0x3e0, 0x3}, {0x320, 0x31}, {0x380, 50_000_000}};
        for (int[] w : writes) {
            m.lock();
            try {
                enable(bsp);
                write(bsp, 0x3e0, 0xb);
                write(bsp, 0x320, 0x31);
                write(bsp, 0x380, 1000); // 1 us
                m.resume();
                Thread.sleep(5); // the count runs out; the main loop waits for the lock
                write(bsp, w[0], w[1]);
                assertTrue(bsp.irrSet(0x31), "the expiry was lost by a write of 0x" + Integer.toHexString(w[1])
                        + " to 0x" + Integer.toHexString(w[0]));
                assertEquals(0x31, bsp.acknowledge());
                write(bsp, 0xb0, 0);
                write(bsp, 0x380, 0);
            } finally {
                m.unlock();
            }
            m.pause();
            TestMachines.drain(m);
            assertFalse(bsp.irrSet(0x31), "delivered once, not again by the stale callback");
        }
        m.close();
    }

    @Test
    void tscDeadlineMode() throws Exception {
        TestMachines.startPaused(m);
        m.lock();
        try {
            enable(bsp);
            write(bsp, 0x320, 0x40032);
            bsp.setTscDeadline(m.clock().nanos() + 2_000_000); // TSC at 1 GHz = ns
            assertTrue(bsp.tscDeadline() != 0);
            write(bsp, 0x380, 1234);
            assertEquals(0, read(bsp, 0x380), "initial count ignored in TSC-deadline mode");
        } finally {
            m.unlock();
        }
        TestMachines.advance(m, 30);
        assertTrue(bsp.irrSet(0x32));
        assertEquals(0, bsp.tscDeadline());
        m.close();
    }

    // ---- I/O APIC ----------------------------------------------------------------------------------

    static int ioRead(IoApic io, int reg) {
        io.mmio().write(0, 4, reg);
        return (int) io.mmio().read(0x10, 4);
    }

    static void ioWrite(IoApic io, int reg, int v) {
        io.mmio().write(0, 4, reg);
        io.mmio().write(0x10, 4, v & 0xffff_ffffL);
    }

    @Test
    void ioApicIdentity() {
        assertEquals(0x0017_0020, ioRead(ioapic, 1));
        assertEquals(2 << 24, ioRead(ioapic, 0), "the ID given by the board");
        assertEquals(0x10000, ioRead(ioapic, 0x10), "entries come up masked");
    }

    @Test
    void edgeInputPendsWhileMaskedAndDeliversOnUnmask() {
        enable(bsp);
        ioWrite(ioapic, 0x10 + 2 * 4 + 1, 0); // dest APIC 0
        ioWrite(ioapic, 0x10 + 2 * 4, 0x10000 | 0x34);
        ioapic.setIrq(4, true);
        ioapic.setIrq(4, false);
        assertFalse(bsp.irrSet(0x34));
        ioWrite(ioapic, 0x10 + 2 * 4, 0x34);
        assertTrue(bsp.irrSet(0x34));
        assertEquals(0x34, bsp.acknowledge());
        write(bsp, 0xb0, 0);
        ioapic.setIrq(4, true);
        assertTrue(bsp.irrSet(0x34), "the next rising edge");
    }

    @Test
    void levelInputRemoteIrrAndEoiRedelivery() {
        enable(bsp);
        enable(ap);
        ioWrite(ioapic, 0x10 + 2 * 11 + 1, 1 << 24); // to APIC 1
        ioWrite(ioapic, 0x10 + 2 * 11, 0x8000 | 0x3b);
        ioapic.setIrq(11, true);
        assertTrue(ap.irrSet(0x3b));
        assertEquals(0x4000, ioRead(ioapic, 0x10 + 2 * 11) & 0x4000, "remote IRR");
        assertEquals(0x3b, ap.acknowledge());
        write(ap, 0xb0, 0); // EOI of a level vector (TMR set) is broadcast
        assertTrue(ap.irrSet(0x3b), "still asserted: sent again");
        assertEquals(0x3b, ap.acknowledge());
        ioapic.setIrq(11, false);
        write(ap, 0xb0, 0);
        assertFalse(ap.irrSet(0x3b));
        assertEquals(0, ioRead(ioapic, 0x10 + 2 * 11) & 0x4000);
        // The version 0x20 EOI register clears remote IRR too.
        ioapic.setIrq(11, true);
        ioapic.mmio().write(0x40, 4, 0x3b);
        assertEquals(0x4000, ioRead(ioapic, 0x10 + 2 * 11) & 0x4000, "re-sent because still high");
    }

    @Test
    void lowestPriorityAndMsiMessages() {
        enable(bsp);
        enable(ap);
        write(bsp, 0xd0, 0x01 << 24);
        write(ap, 0xd0, 0x02 << 24);
        bus.deliver(0x03, true, ApicBus.DM_LOWEST, 0x44, false);
        assertTrue(bsp.irrSet(0x44) ^ ap.irrSet(0x44), "exactly one CPU gets a lowest-priority interrupt");
        bus.msi(0xfee0_1000L, 0x0055);
        assertTrue(ap.irrSet(0x55));
        bus.msi(0xfee0_0000L, 0x0400);
        assertEquals(1, bspPins.nmis);
        // A device's MSI write into the APIC window (beyond the register page).
        bus.mmio().write(0x1000, 4, 0x0056);
        assertTrue(ap.irrSet(0x56));
        // While a CPU's register write reaches its APIC (the test thread acts as CPU 0).
        bus.mmio().write(0x80, 4, 0x20);
        assertEquals(0x20, bsp.tpr());
    }
}
