package org.jqemu.hw.rtc;

import static org.jqemu.hw.TestMachines.in8;
import static org.jqemu.hw.TestMachines.out8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.LocalDateTime;
import java.time.ZoneOffset;
import org.jqemu.hw.TestMachines;
import org.jqemu.hw.TestMachines.RecordingLine;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.memory.IoRegion;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class Mc146818RtcTest {
    private Machine m;
    private RecordingLine irq8;
    private Mc146818Rtc rtc;

    /** 2024-02-29 (a Thursday) 13:59:58 UTC plus {@code fractionNs}. */
    private void create(long fractionNs) {
        m = TestMachines.newMachine();
        irq8 = new RecordingLine();
        long epoch = LocalDateTime.of(2024, 2, 29, 13, 59, 58).toEpochSecond(ZoneOffset.UTC);
        rtc = new Mc146818Rtc(m, "rtc", irq8, epoch * 1_000_000_000L + fractionNs);
        m.io().root().add(0x70, new IoRegion("rtc", 2, rtc.ports()));
        m.addDevice(rtc);
    }

    @AfterEach
    void tearDown() {
        m.close();
    }

    private int reg(int r) {
        out8(m, 0x70, r);
        return in8(m, 0x71);
    }

    private void setReg(int r, int v) {
        out8(m, 0x70, r);
        out8(m, 0x71, v);
    }

    @Test
    void readsBcdTwentyFourHourByDefault() {
        create(0);
        assertEquals(0x26, reg(0x0a));
        assertEquals(0x02, reg(0x0b));
        assertEquals(0x80, reg(0x0d), "valid RAM and time");
        assertEquals(0x58, reg(0));
        assertEquals(0x59, reg(2));
        assertEquals(0x13, reg(4));
        assertEquals(0x05, reg(6), "Thursday is day 5 (Sunday = 1)");
        assertEquals(0x29, reg(7));
        assertEquals(0x02, reg(8));
        assertEquals(0x24, reg(9));
        assertEquals(0x20, reg(0x32), "century");
    }

    @Test
    void binaryAndTwelveHourFormats() {
        create(0);
        setReg(0x0b, 0x04); // binary, 12 hour
        assertEquals(58, reg(0));
        assertEquals(0x80 | 1, reg(4), "1 PM");
        setReg(0x0b, 0x00); // BCD, 12 hour
        assertEquals(0x81, reg(4));
        setReg(0x0b, 0x06); // binary, 24 hour
        assertEquals(13, reg(4));
        assertEquals(24, reg(9));
    }

    @Test
    void setModeStopsClockAndWrittenTimeRunsOnRelease() throws InterruptedException {
        create(0);
        TestMachines.startPaused(m);
        setReg(0x0b, 0x82); // SET
        setReg(0, 0x30);
        setReg(2, 0x45);
        setReg(4, 0x08);
        setReg(9, 0x99);
        setReg(0x32, 0x19);
        TestMachines.advance(m, 20);
        assertEquals(0x30, reg(0), "stopped while SET");
        setReg(0x0b, 0x02);
        long start = m.clock().nanos();
        assertEquals(0x30, reg(0));
        assertEquals(0x99, reg(9));
        assertEquals(0x19, reg(0x32));
        // The day register still says 29 February, which 1999 lacks: the date carries into March.
        long expected = LocalDateTime.of(1999, 3, 1, 8, 45, 30).toEpochSecond(ZoneOffset.UTC);
        assertEquals(expected * 1_000_000_000L, rtc.guestEpochNs() - (m.clock().nanos() - start));
    }

    @Test
    void updateInProgressJustBeforeTheSecondEdge() throws InterruptedException {
        create(1_000_000_000L - Mc146818Rtc.UIP_HOLD_NS);
        assertEquals(0x80, reg(0x0a) & 0x80);
        assertEquals(0x58, reg(0));
        m.close();
        create(1_000_000_000L - Mc146818Rtc.UIP_HOLD_NS - 1);
        assertEquals(0, reg(0x0a) & 0x80);
    }

    @Test
    void periodicInterruptAtRegisterARate() throws InterruptedException {
        create(0);
        TestMachines.startPaused(m);
        setReg(0x0a, 0x26); // 1024 Hz
        assertEquals(976_562, rtc.periodicPeriodNs());
        setReg(0x0b, 0x42); // PIE
        assertFalse(irq8.level);
        TestMachines.advance(m, 10);
        assertTrue(irq8.level);
        assertEquals(0xc0, reg(0x0c), "IRQF and PF");
        assertFalse(irq8.level, "reading C acknowledges");
        assertEquals(0x00, reg(0x0c));
        TestMachines.advance(m, 10);
        assertTrue(irq8.level, "again at the next period");
        setReg(0x0a, 0x23); // rate 3: 8192 Hz
        assertEquals(122_070, rtc.periodicPeriodNs());
        setReg(0x0a, 0x21); // rate 1 repeats rate 8 (256 Hz)
        assertEquals(3_906_250, rtc.periodicPeriodNs());
    }

    @Test
    void pollingSeesFlagsWithoutInterruptEnables() throws InterruptedException {
        create(0);
        TestMachines.startPaused(m);
        reg(0x0c);
        TestMachines.advance(m, 5);
        assertEquals(0x40, reg(0x0c) & 0xf0, "PF set without PIE, no IRQF");
        assertFalse(irq8.level);
    }

    @Test
    void updateEndedAndAlarmInterrupts() throws InterruptedException {
        create(999_000_000L); // the update to :59 is 1 ms away
        TestMachines.startPaused(m);
        setReg(0x01, 0x59);
        setReg(0x03, 0xc0); // any minute
        setReg(0x05, 0xc0); // any hour
        setReg(0x0b, 0x32); // UIE + AIE
        setReg(0x0a, 0x20); // no periodic interrupts
        reg(0x0c);
        while (reg(0) != 0x59) {
            TestMachines.advance(m, 2);
        }
        TestMachines.drain(m);
        assertTrue(irq8.level);
        assertEquals(0x80 | 0x20 | 0x10, reg(0x0c), "IRQF, AF, UF");
    }

    @Test
    void cmosRamAndNmiMask() {
        create(0);
        out8(m, 0x70, 0x80 | 0x40);
        out8(m, 0x71, 0x5a);
        assertTrue(rtc.nmiMasked());
        assertEquals(0x5a, rtc.cmos(0x40));
        out8(m, 0x70, 0x40);
        assertFalse(rtc.nmiMasked());
        assertEquals(0x5a, in8(m, 0x71));
        rtc.setCmos(0x7f, 0x12);
        assertEquals(0x12, reg(0x7f));
    }
}
