package org.jqemu.hw.chr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.jqemu.hw.TestMachines;
import org.jqemu.hw.TestMachines.RecordingLine;
import org.jqemu.hw.TestMachines.TestChardev;
import org.jqemu.system.memory.MemoryOps;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class Pl011Test {
    private final RecordingLine irq = new RecordingLine();
    private final TestChardev chr = new TestChardev("serial0");
    private Pl011 uart;
    private MemoryOps regs;

    @BeforeEach
    void setUp() {
        uart = new Pl011(TestMachines.newMachine(), "pl011", irq, chr);
        regs = uart.mmio();
    }

    @Test
    void identifiesAsAPrimeCellPl011() {
        int[] want = {0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1};
        for (int i = 0; i < 8; i++) {
            assertEquals(want[i], regs.read(0xfe0 + 4L * i, 4));
        }
        assertEquals(0x300, regs.read(Pl011.UARTCR, 4));
        assertEquals(Pl011.FR_TXFE | Pl011.FR_RXFE, regs.read(Pl011.UARTFR, 4));
    }

    @Test
    void transmitsAtOnceAndRaisesTheTransmitInterrupt() {
        for (char c : "hi\n".toCharArray()) {
            regs.write(Pl011.UARTDR, 4, c);
        }
        assertEquals("hi\n", chr.output.toString());
        assertEquals(Pl011.INT_TX, regs.read(Pl011.UARTRIS, 4));
        assertFalse(irq.level, "masked");
        regs.write(Pl011.UARTIMSC, 4, Pl011.INT_TX);
        assertTrue(irq.level);
        assertEquals(Pl011.INT_TX, regs.read(Pl011.UARTMIS, 4));
        regs.write(Pl011.UARTICR, 4, Pl011.INT_TX);
        assertFalse(irq.level);
    }

    @Test
    void receivesIntoTheFifoWithAnInterruptUntilDrained() {
        regs.write(Pl011.UARTLCR_H, 4, Pl011.LCR_FEN | 0x60);
        regs.write(Pl011.UARTIMSC, 4, Pl011.INT_RX | Pl011.INT_RT);
        assertEquals(16, uart.canReceive());
        assertEquals("", chr.feed("abc"));
        assertTrue(irq.level);
        assertEquals(0, regs.read(Pl011.UARTFR, 4) & Pl011.FR_RXFE);
        assertEquals('a', regs.read(Pl011.UARTDR, 4));
        assertEquals('b', regs.read(Pl011.UARTDR, 4));
        assertTrue(irq.level);
        assertEquals('c', regs.read(Pl011.UARTDR, 4));
        assertFalse(irq.level);
        assertEquals(Pl011.FR_RXFE, regs.read(Pl011.UARTFR, 4) & Pl011.FR_RXFE);
    }

    @Test
    void withoutTheFifoOneByteIsHeldAndTheBackendWaits() {
        assertEquals(1, uart.canReceive());
        assertEquals("yz", chr.feed("xyz"));
        assertEquals(0, uart.canReceive());
        assertEquals(Pl011.FR_RXFF, regs.read(Pl011.UARTFR, 4) & Pl011.FR_RXFF);
        assertEquals('x', regs.read(Pl011.UARTDR, 4));
        assertEquals(1, chr.acceptInputCalls, "a full FIFO that drains asks the backend for more");
    }

    @Test
    void fullFifoSignalsOverrun() {
        regs.write(Pl011.UARTLCR_H, 4, Pl011.LCR_FEN);
        for (int i = 0; i < 16; i++) {
            uart.receiveByte('0' + i);
        }
        uart.receiveByte('!');
        assertEquals(1 << 10, regs.read(Pl011.UARTRIS, 4) & (1 << 10));
        assertEquals(8, regs.read(Pl011.UARTRSR, 4));
        regs.write(Pl011.UARTRSR, 4, 0);
        assertEquals(0, regs.read(Pl011.UARTRSR, 4));
    }
}
