package org.jqemu.hw.intc;

import static org.jqemu.hw.TestMachines.in8;
import static org.jqemu.hw.TestMachines.out8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.jqemu.hw.TestMachines;
import org.jqemu.hw.TestMachines.RecordingLine;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.memory.IoRegion;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class I8259Test {
    private Machine m;
    private RecordingLine intr;
    private I8259 master;
    private I8259 slave;

    @BeforeEach
    void setUp() {
        m = TestMachines.newMachine();
        intr = new RecordingLine();
        master = new I8259(m, "pic-master", 0xf8, intr);
        slave = new I8259(m, "pic-slave", 0xde, master.input(2));
        master.attachSlave(2, slave);
        m.io().root().add(0x20, new IoRegion("m", 2, master.ports()));
        m.io().root().add(0xa0, new IoRegion("s", 2, slave.ports()));
        m.io().root().add(0x4d0, new IoRegion("em", 1, master.elcrPort()));
        m.io().root().add(0x4d1, new IoRegion("es", 1, slave.elcrPort()));
        // The BIOS's standard initialisation: vectors 0x08 and 0x70, cascade on IR2, 8086 mode.
        out8(m, 0x20, 0x11);
        out8(m, 0x21, 0x08);
        out8(m, 0x21, 0x04);
        out8(m, 0x21, 0x01);
        out8(m, 0xa0, 0x11);
        out8(m, 0xa1, 0x70);
        out8(m, 0xa1, 0x02);
        out8(m, 0xa1, 0x01);
        out8(m, 0x21, 0x00);
        out8(m, 0xa1, 0x00);
    }

    private int inta() {
        m.lock();
        try {
            return master.acknowledge();
        } finally {
            m.unlock();
        }
    }

    private void irq(int n, boolean level) {
        m.lock();
        try {
            if (n < 8) {
                master.setIrq(n, level);
            } else {
                slave.setIrq(n - 8, level);
            }
        } finally {
            m.unlock();
        }
    }

    @Test
    void initSequenceSetsVectorBaseAndClearsMask() {
        assertEquals(0, in8(m, 0x21));
        irq(0, true);
        assertTrue(intr.level);
        assertEquals(0x08, inta());
        assertFalse(intr.level, "in service: nothing else pending");
        assertEquals(0x01, master.isr());
        out8(m, 0x20, 0x20); // non-specific EOI
        assertEquals(0, master.isr());
    }

    @Test
    void icw1ResetsMaskAndInService() {
        out8(m, 0x21, 0xff);
        irq(3, true);
        assertFalse(intr.level);
        out8(m, 0x20, 0x11);
        assertEquals(0, in8(m, 0x21), "ICW1 clears IMR");
    }

    @Test
    void lowerInputWinsAndInServiceBlocksLowerPriority() {
        irq(5, true);
        irq(3, true);
        assertEquals(0x0b, inta());
        // IRQ5 has lower priority than IRQ3 in service: not presented until EOI.
        assertFalse(intr.level);
        irq(1, true);
        assertTrue(intr.level, "a higher priority request nests");
        assertEquals(0x09, inta());
        out8(m, 0x20, 0x20); // EOI IRQ1 (highest in service)
        assertEquals(1 << 3, master.isr());
        assertFalse(intr.level);
        out8(m, 0x20, 0x20); // EOI IRQ3
        assertTrue(intr.level);
        assertEquals(0x0d, inta());
    }

    @Test
    void specificEoiAndReadIsrIrr() {
        irq(4, true);
        irq(6, true);
        assertEquals(0x0c, inta());
        out8(m, 0x20, 0x0a); // OCW3: read IRR
        assertEquals(1 << 6, in8(m, 0x20));
        out8(m, 0x20, 0x0b); // OCW3: read ISR
        assertEquals(1 << 4, in8(m, 0x20));
        out8(m, 0x20, 0x60 | 4); // specific EOI for IRQ4
        assertEquals(0, in8(m, 0x20));
    }

    @Test
    void maskingHoldsRequestUntilUnmasked() {
        out8(m, 0x21, 1 << 4);
        irq(4, true);
        assertFalse(intr.level);
        assertEquals(1 << 4, master.irr());
        out8(m, 0x21, 0);
        assertTrue(intr.level);
        assertEquals(0x0c, inta());
    }

    @Test
    void cascadeDeliversSlaveVectorAndNeedsTwoEois() {
        irq(8 + 4, true); // IRQ12
        assertTrue(intr.level);
        assertEquals(0x74, inta());
        assertEquals(1 << 4, slave.isr());
        assertEquals(1 << 2, master.isr());
        irq(8 + 1, true); // IRQ9 outranks IRQ12 on the slave
        assertFalse(intr.level, "master's IR2 is in service, so nothing nests without SFNM");
        out8(m, 0xa0, 0x20);
        out8(m, 0x20, 0x20);
        assertTrue(intr.level);
        assertEquals(0x71, inta());
    }

    @Test
    void slaveRequestsAboveMasterLowerInputs() {
        irq(8, true);   // IRQ8 via IR2
        irq(3, true);   // IRQ3
        assertEquals(0x70, inta(), "IR2 (the slave) outranks IR3");
        out8(m, 0xa0, 0x20);
        out8(m, 0x20, 0x20);
        assertEquals(0x0b, inta());
    }

    @Test
    void edgeTriggeredNeedsNewEdgeLevelTriggeredFollowsLine() {
        irq(5, true);
        assertEquals(0x0d, inta());
        out8(m, 0x20, 0x20);
        assertFalse(intr.level, "an edge is consumed by INTA; holding the line high asks nothing");
        irq(5, false);
        irq(5, true);
        assertTrue(intr.level);
        assertEquals(0x0d, inta());
        out8(m, 0x20, 0x20);

        out8(m, 0x4d0, 0xff);
        assertEquals(0xf8, in8(m, 0x4d0), "IRQ0-2 cannot be level triggered");
        irq(5, false);
        irq(5, true);
        assertEquals(0x0d, inta());
        out8(m, 0x20, 0x20);
        assertTrue(intr.level, "a level input still asserted asks again after EOI");
        irq(5, false);
        assertFalse(intr.level, "a level request goes away with its line");
    }

    @Test
    void vanishedLevelRequestGivesSpuriousIrq7() {
        out8(m, 0x4d0, 0x20);
        irq(5, true);
        assertTrue(intr.level);
        irq(5, false);
        assertEquals(0x0f, inta(), "spurious vector of IR7");
        assertEquals(0, master.isr(), "a spurious interrupt sets no ISR bit");
    }

    @Test
    void spuriousOnSlaveGivesIrq15AndMasterCascadeInService() {
        out8(m, 0x4d1, 0x02);
        irq(9, true);
        assertTrue(intr.level);
        irq(9, false);
        // The master still latched IR2's edge; the slave has nothing: IRQ15's vector.
        assertEquals(0x77, inta());
        assertEquals(0, slave.isr());
        assertEquals(1 << 2, master.isr());
    }

    @Test
    void autoEoiLeavesNothingInService() {
        out8(m, 0x20, 0x11);
        out8(m, 0x21, 0x08);
        out8(m, 0x21, 0x04);
        out8(m, 0x21, 0x03); // 8086 mode, auto-EOI
        irq(6, true);
        assertEquals(0x0e, inta());
        assertEquals(0, master.isr());
    }

    @Test
    void rotateOnNonSpecificEoiMakesServicedInputLowest() {
        irq(0, true);
        assertEquals(0x08, inta());
        out8(m, 0x20, 0xa0); // rotate on non-specific EOI: IRQ0 becomes the lowest priority
        irq(0, false);
        irq(0, true);
        irq(7, true);
        assertEquals(0x0f, inta(), "after rotation IRQ7 outranks IRQ0");
    }

    @Test
    void setPriorityCommand() {
        out8(m, 0x20, 0xc0 | 4); // IRQ4 lowest, so IRQ5 highest
        irq(3, true);
        irq(6, true);
        assertEquals(0x0e, inta());
    }

    @Test
    void pollModeActsAsAcknowledge() {
        irq(6, true);
        out8(m, 0x20, 0x0c); // OCW3 poll
        assertEquals(0x86, in8(m, 0x20));
        assertEquals(1 << 6, master.isr());
        out8(m, 0x20, 0x0c);
        assertEquals(0x00, in8(m, 0x20), "nothing pending");
    }
}
