package org.jqemu.hw.acpi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jqemu.hw.TestMachines;
import org.jqemu.hw.TestMachines.RecordingLine;
import org.jqemu.hw.pci.PciBus;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.machine.MachineListener;
import org.jqemu.system.machine.ShutdownCause;
import org.jqemu.system.memory.IoRegion;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class Piix4PmTest {
    Machine m;
    PciBus bus;
    Piix4Pm pm;
    RecordingLine sci = new RecordingLine();
    List<ShutdownCause> shutdowns = new CopyOnWriteArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        m = TestMachines.newMachine();
        m.addListener(new MachineListener() {
            @Override
            public void shutdown(ShutdownCause cause) {
                shutdowns.add(cause);
            }
        });
        bus = new PciBus(m, "pci.0");
        pm = new Piix4Pm(m, bus, 0x10, sci, false, 0);
        m.io().root().add(0xb2, new IoRegion("apm", 2, pm.apmPorts()));
        m.io().root().add(0xafe0, new IoRegion("gpe0", 4, pm.gpeBlockPorts()));
    }

    /** What SeaBIOS does: PMBA = 0x600 | 1, PMREGMISC.PMIOSE = 1. */
    void program() {
        bus.configWrite(0x10, Piix4Pm.PMBA, 4, 0x601);
        bus.configWrite(0x10, Piix4Pm.PMREGMISC, 1, 1);
    }

    @Test
    void identityAndIoBaseProgramming() {
        assertEquals(0x7113_8086, bus.configRead(0x10, 0, 4));
        assertEquals(0x0680, bus.configRead(0x10, 0x0a, 2));
        assertEquals(1, bus.configRead(0x10, 0x3d, 1));
        assertEquals(1, bus.configRead(0x10, Piix4Pm.PMBA, 4), "I/O indicator bit, no base yet");
        assertEquals(-1, pm.ioBase());
        bus.configWrite(0x10, Piix4Pm.PMBA, 4, 0x601);
        assertEquals(0x601, bus.configRead(0x10, Piix4Pm.PMBA, 4));
        assertEquals(-1, pm.ioBase(), "not decoded until PMIOSE");
        assertEquals(0xffff_ffffL, m.io().read(0x608, 4));
        bus.configWrite(0x10, Piix4Pm.PMREGMISC, 1, 1);
        assertEquals(0x600, pm.ioBase());
        assertEquals(0, m.io().read(0x608, 4), "PM timer at a stopped clock's time 0");
        bus.configWrite(0x10, Piix4Pm.PMBA, 4, 0xb001);
        assertEquals(0xb000, pm.ioBase());
        assertEquals(0xffff_ffffL, m.io().read(0x608, 4));
    }

    @Test
    void presetBaseStandsInForTheBios() throws Exception {
        Machine m2 = TestMachines.newMachine();
        Piix4Pm p = new Piix4Pm(m2, new PciBus(m2, "pci"), 0x10, sci, false, 0x600);
        assertEquals(0x600, p.ioBase());
        p.reset();
        assertEquals(0x600, p.ioBase(), "the preset survives reset");
    }

    @Test
    void pmTimerRunsAt3579545HzAndWraps24Bits() throws Exception {
        program();
        TestMachines.startPaused(m);
        TestMachines.advance(m, 20);
        m.lock();
        try {
            long ns = m.clock().nanos();
            long expect = (ns / 1_000_000_000L) * 3_579_545L + (ns % 1_000_000_000L) * 3_579_545L / 1_000_000_000L;
            assertEquals(expect & 0xffffff, m.io().read(0x608, 4));
            assertTrue(expect > 3579, "at least a millisecond passed");
        } finally {
            m.unlock();
        }
        m.close();
    }

    @Test
    void powerButtonRaisesSciWhenEnabledAndStatusIsWriteOneToClear() {
        program();
        pm.powerButton();
        assertEquals(0, m.io().read(0x600, 2), "not enabled: no status (QEMU)");
        m.io().write(0x602, 2, Piix4Pm.PWRBTN_STS);
        pm.powerButton();
        assertEquals(Piix4Pm.PWRBTN_STS, m.io().read(0x600, 2));
        assertTrue(sci.level);
        m.io().write(0x600, 2, 0x0001); // clearing another bit leaves it
        assertTrue(sci.level);
        m.io().write(0x600, 2, Piix4Pm.PWRBTN_STS);
        assertFalse(sci.level);
        assertEquals(0, m.io().read(0x600, 2));
        // General-purpose events.
        m.io().write(0x60e, 2, 0x2);
        pm.gpe(1);
        assertTrue(sci.level);
        assertEquals(0x2, m.io().read(0x60c, 2));
        m.io().write(0x60c, 2, 0x2);
        assertFalse(sci.level);
        // The same registers in QEMU's GPE0 block at 0xAFE0.
        m.io().write(0xafe2, 2, 0x4);
        assertEquals(0x4, m.io().read(0x60e, 2));
        pm.gpe(2);
        assertEquals(0x4, m.io().read(0xafe0, 2));
        assertTrue(sci.level);
        m.io().write(0xafe0, 1, 0x4);
        assertFalse(sci.level);
    }

    @Test
    void apmCommandTogglesSciEnable() {
        program();
        m.io().write(0xb2, 1, Piix4Pm.APM_ENABLE_ACPI);
        assertEquals(Piix4Pm.SCI_EN, m.io().read(0x604, 2) & Piix4Pm.SCI_EN);
        m.io().write(0xb2, 1, Piix4Pm.APM_DISABLE_ACPI);
        assertEquals(0, m.io().read(0x604, 2) & Piix4Pm.SCI_EN);
        m.io().write(0xb3, 1, 0x5a);
        assertEquals(0x5a, m.io().read(0xb3, 1));
    }

    @Test
    void sleepTypeZeroPowersOff() {
        program();
        m.io().write(0x604, 2, Piix4Pm.SCI_EN | (1 << 10));
        assertTrue(shutdowns.isEmpty(), "SLP_TYP without SLP_EN does nothing");
        assertEquals(Piix4Pm.SCI_EN | (1 << 10), m.io().read(0x604, 2));
        m.io().write(0x604, 2, Piix4Pm.SCI_EN | Piix4Pm.SLP_EN);
        assertEquals(List.of(ShutdownCause.GUEST_SHUTDOWN), shutdowns);
        assertEquals(0, m.io().read(0x604, 2) & Piix4Pm.SLP_EN, "SLP_EN reads 0");
    }

    @Test
    void timerOverflowSetsTmrStsAndSci() throws Exception {
        program();
        TestMachines.startPaused(m);
        m.lock();
        try {
            m.io().write(0x602, 2, Piix4Pm.TMR_STS);
        } finally {
            m.unlock();
        }
        // 2^23 ticks = 2.34 s: too long to wait for; check the status is clear and no SCI yet.
        TestMachines.advance(m, 10);
        assertFalse(sci.level);
        assertEquals(0, TestMachines.in8(m, 0x600) & Piix4Pm.TMR_STS);
        m.close();
    }
}
