package org.jqemu.hw.intc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.jqemu.hw.TestMachines;
import org.jqemu.hw.TestMachines.RecordingLine;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.memory.MemoryOps;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class Gicv2Test {
    private Machine machine;
    private Gicv2 gic;
    private final RecordingLine[] irq = {new RecordingLine(), new RecordingLine()};
    private final RecordingLine[] fiq = {new RecordingLine(), new RecordingLine()};
    private MemoryOps[] dist;
    private MemoryOps[] cpuIf;

    @BeforeEach
    void setUp() {
        machine = TestMachines.newMachine();
        gic = new Gicv2(machine, "gic", 288, 2);
        for (int c = 0; c < 2; c++) {
            gic.connectCpu(c, irq[c], fiq[c]);
        }
        dist = new MemoryOps[] {gic.distributor(0), gic.distributor(1)};
        cpuIf = new MemoryOps[] {gic.cpuInterface(0), gic.cpuInterface(1)};
    }

    /** What Linux's gic driver does at boot: enable distributor and CPU interfaces, PMR 0xf0. */
    private void linuxInit() {
        dist[0].write(Gicv2.GICD_CTLR, 4, 1);
        for (int c = 0; c < 2; c++) {
            cpuIf[c].write(Gicv2.GICC_PMR, 4, 0xf0);
            cpuIf[c].write(Gicv2.GICC_CTLR, 4, 1);
        }
    }

    private void enable(int cpu, int intid) {
        dist[cpu].write(Gicv2.GICD_ISENABLER + 4L * (intid / 32), 4, 1L << (intid % 32));
    }

    private void priority(int cpu, int intid, int prio) {
        dist[cpu].write(Gicv2.GICD_IPRIORITYR + intid, 1, prio);
    }

    private void target(int intid, int mask) {
        dist[0].write(Gicv2.GICD_ITARGETSR + intid, 1, mask);
    }

    private int ack(int cpu) {
        return (int) cpuIf[cpu].read(Gicv2.GICC_IAR, 4);
    }

    private void eoi(int cpu, int value) {
        cpuIf[cpu].write(Gicv2.GICC_EOIR, 4, value);
    }

    @Test
    void typerAndIdentificationDescribeTheConfiguration() {
        // ITLinesNumber = 288/32 - 1 = 8, CPUNumber = 1 (two CPUs), no security extensions.
        assertEquals(0x28, dist[0].read(Gicv2.GICD_TYPER, 4));
        assertEquals(0x2b, dist[0].read(0xfe8, 4)); // PIDR2: architecture version 2
        assertEquals(0xb1, dist[0].read(0xffc, 4));
        assertEquals(0x0002043bL, cpuIf[0].read(Gicv2.GICC_IIDR, 4));
        // The read-only target bytes of private interrupts name the reading CPU.
        assertEquals(0x01010101L, dist[0].read(Gicv2.GICD_ITARGETSR, 4));
        assertEquals(0x02020202L, dist[1].read(Gicv2.GICD_ITARGETSR + 28, 4));
        // SGIs are enabled and edge-triggered from reset.
        assertEquals(0xffff, dist[0].read(Gicv2.GICD_ISENABLER, 4));
        assertEquals(0xaaaaaaaaL, dist[0].read(Gicv2.GICD_ICFGR, 4));
    }

    @Test
    void levelSpiIsSignalledAcknowledgedAndCompleted() {
        linuxInit();
        int intid = 33; // SPI 1, the virt board's UART
        enable(0, intid);
        priority(0, intid, 0xa0);
        target(intid, 1);
        gic.spi(1).set(true);
        assertTrue(irq[0].level);
        assertFalse(irq[1].level);
        assertEquals(intid, cpuIf[0].read(Gicv2.GICC_HPPIR, 4));
        assertEquals(intid, ack(0));
        // Active: not signalled again while the line stays high, running priority is its own.
        assertFalse(irq[0].level);
        assertEquals(0xa0, cpuIf[0].read(Gicv2.GICC_RPR, 4));
        assertEquals(Gicv2.SPURIOUS, ack(0));
        gic.spi(1).set(false);
        eoi(0, intid);
        assertEquals(0xff, cpuIf[0].read(Gicv2.GICC_RPR, 4));
        assertFalse(irq[0].level);
        // Still high at EOI: pending again at once.
        gic.spi(1).set(true);
        assertEquals(intid, ack(0));
        eoi(0, intid);
        assertTrue(irq[0].level);
    }

    @Test
    void edgeSpiLatchesOnTheRisingEdgeOnly() {
        linuxInit();
        int intid = 48; // SPI 16, the first virtio-mmio slot
        dist[0].write(Gicv2.GICD_ICFGR + 12, 1, 0x2); // ID 48: edge
        enable(0, intid);
        priority(0, intid, 0xa0);
        target(intid, 1);
        gic.spi(16).pulse();
        assertTrue(irq[0].level);
        assertEquals(intid, ack(0));
        assertFalse(irq[0].level);
        eoi(0, intid);
        assertFalse(irq[0].level, "the edge was consumed by the acknowledge");
        // Pending bits read back through ISPENDR and clear through ICPENDR.
        gic.spi(16).pulse();
        assertEquals(1, dist[0].read(Gicv2.GICD_ISPENDR + 6, 1));
        dist[0].write(Gicv2.GICD_ICPENDR + 4, 4, 1 << 16);
        assertEquals(0, dist[0].read(Gicv2.GICD_ISPENDR + 6, 1));
        assertFalse(irq[0].level);
    }

    @Test
    void disabledMaskedOrUntargetedInterruptsStayQuiet() {
        linuxInit();
        int intid = 40;
        priority(0, intid, 0xa0);
        target(intid, 2);
        gic.spi(8).set(true);
        assertFalse(irq[0].level || irq[1].level, "not enabled");
        enable(0, intid);
        assertFalse(irq[0].level, "targets CPU 1 only");
        assertTrue(irq[1].level);
        cpuIf[1].write(Gicv2.GICC_PMR, 4, 0xa0);
        assertFalse(irq[1].level, "priority not below the mask");
        cpuIf[1].write(Gicv2.GICC_PMR, 4, 0xf0);
        assertTrue(irq[1].level);
        dist[0].write(Gicv2.GICD_CTLR, 4, 0);
        assertFalse(irq[1].level, "distributor off");
        assertEquals(Gicv2.SPURIOUS, ack(1));
    }

    @Test
    void higherPriorityPreemptsAndLowerWaits() {
        linuxInit();
        for (int intid : new int[] {34, 35}) {
            enable(0, intid);
            target(intid, 1);
        }
        priority(0, 34, 0xa0);
        priority(0, 35, 0x80);
        gic.spi(2).set(true);
        assertEquals(34, ack(0));
        gic.spi(3).set(true);
        assertTrue(irq[0].level, "0x80 preempts a running 0xa0");
        assertEquals(35, ack(0));
        assertEquals(0x80, cpuIf[0].read(Gicv2.GICC_RPR, 4));
        gic.spi(3).set(false);
        eoi(0, 35);
        assertEquals(0xa0, cpuIf[0].read(Gicv2.GICC_RPR, 4));
        gic.spi(2).set(false);
        eoi(0, 34);
        assertEquals(0xff, cpuIf[0].read(Gicv2.GICC_RPR, 4));
        // Equal priorities: the lower interrupt ID wins.
        priority(0, 35, 0xa0);
        gic.spi(3).set(true);
        gic.spi(2).set(true);
        assertEquals(34, ack(0));
    }

    @Test
    void sgisCarryTheirSourceCpu() {
        linuxInit();
        priority(1, 5, 0x00);
        // CPU 0 sends SGI 5 to the CPU list {1}.
        dist[0].write(Gicv2.GICD_SGIR, 4, (0b10 << 16) | 5);
        assertFalse(irq[0].level);
        assertTrue(irq[1].level);
        assertEquals(1, dist[1].read(Gicv2.GICD_SPENDSGIR + 5, 1));
        int iar = ack(1);
        assertEquals(5, iar & 0x3ff);
        assertEquals(0, iar >> 10);
        eoi(1, iar);
        assertFalse(irq[1].level);
        // "All but self" from CPU 1 reaches CPU 0 with source 1; "self" stays on CPU 1.
        dist[1].write(Gicv2.GICD_SGIR, 4, (1 << 24) | 3);
        assertEquals(3 | (1 << 10), ack(0));
        dist[1].write(Gicv2.GICD_SGIR, 4, (2 << 24) | 7);
        assertEquals(7 | (1 << 10), ack(1));
    }

    @Test
    void ppisAreBankedPerCpu() {
        linuxInit();
        int timer = 27;
        enable(0, timer);
        priority(0, timer, 0xa0);
        gic.ppi(1, timer).set(true);
        assertFalse(irq[1].level, "CPU 1's copy is not enabled");
        assertFalse(irq[0].level, "CPU 0's copy has no input");
        enable(1, timer);
        priority(1, timer, 0xa0);
        assertTrue(irq[1].level);
        assertEquals(1 << 27, dist[1].read(Gicv2.GICD_ISPENDR, 4));
        assertEquals(0, dist[0].read(Gicv2.GICD_ISPENDR, 4));
        assertEquals(timer, ack(1));
    }

    @Test
    void eoiModeSplitsPriorityDropFromDeactivation() {
        linuxInit();
        cpuIf[0].write(Gicv2.GICC_CTLR, 4, 1 | Gicv2.CPU_CTLR_EOI_MODE);
        enable(0, 36);
        priority(0, 36, 0xa0);
        target(36, 1);
        gic.spi(4).set(true);
        assertEquals(36, ack(0));
        gic.spi(4).set(false);
        eoi(0, 36);
        assertEquals(0xff, cpuIf[0].read(Gicv2.GICC_RPR, 4));
        assertEquals(1 << 4, dist[0].read(Gicv2.GICD_ISACTIVER + 4, 4), "still active until GICC_DIR");
        gic.spi(4).set(true);
        assertFalse(irq[0].level);
        cpuIf[0].write(Gicv2.GICC_DIR, 4, 36);
        assertTrue(irq[0].level);
    }

    @Test
    void group0GoesToFiqWhenFiqEnIsSet() {
        linuxInit();
        cpuIf[0].write(Gicv2.GICC_CTLR, 4, 1 | Gicv2.CPU_CTLR_FIQ_EN);
        enable(0, 37);
        priority(0, 37, 0xa0);
        target(37, 1);
        gic.spi(5).set(true);
        assertTrue(fiq[0].level);
        assertFalse(irq[0].level);
    }

    @Test
    void v2mFrameTurnsMsiWritesIntoEdges() {
        linuxInit();
        Gicv2m v2m = new Gicv2m(machine, gic, 48, 64);
        MemoryOps frame = v2m.mmio();
        assertEquals((80L << 16) | 64, frame.read(0x8, 4));
        int intid = 90;
        dist[0].write(Gicv2.GICD_ICFGR + intid / 4, 1, 2 << (2 * (intid % 4)));
        enable(0, intid);
        priority(0, intid, 0xa0);
        target(intid, 1);
        frame.write(Gicv2m.MSI_SETSPI_NS, 4, intid);
        assertTrue(irq[0].level);
        assertEquals(intid, ack(0));
        eoi(0, intid);
        assertFalse(irq[0].level);
        frame.write(Gicv2m.MSI_SETSPI_NS, 4, 40); // outside the frame's block: ignored
        assertFalse(irq[0].level);
    }

    @Test
    void acknowledgingWithoutCompletingNeverOverflows() {
        linuxInit();
        enable(0, 33);
        target(33, 1);
        gic.spi(1).set(true);
        // A hostile guest: acknowledge, clear the active bit behind the CPU interface's back,
        // repeat. The running priority holds further acknowledges off; nothing overflows.
        assertEquals(33, ack(0));
        for (int i = 0; i < 2000; i++) {
            dist[0].write(Gicv2.GICD_ICACTIVER + 4, 4, 2);
            assertEquals(Gicv2.SPURIOUS, ack(0));
        }
        eoi(0, 33);
        assertEquals(33, ack(0), "usable again after the EOI");
    }

    @Test
    void resetClearsEverything() {
        linuxInit();
        enable(0, 33);
        gic.spi(1).set(true);
        gic.reset();
        assertEquals(0, dist[0].read(Gicv2.GICD_CTLR, 4));
        assertEquals(0, dist[0].read(Gicv2.GICD_ISENABLER + 4, 4));
        assertFalse(irq[0].level);
    }
}
