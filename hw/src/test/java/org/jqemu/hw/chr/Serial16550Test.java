package org.jqemu.hw.chr;

import static org.jqemu.hw.TestMachines.in8;
import static org.jqemu.hw.TestMachines.out8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.jqemu.hw.TestMachines;
import org.jqemu.hw.TestMachines.RecordingLine;
import org.jqemu.hw.TestMachines.TestChardev;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.memory.IoRegion;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class Serial16550Test {
    private static final int BASE = 0x3f8;
    private static final int RBR = BASE;
    private static final int IER = BASE + 1;
    private static final int IIR = BASE + 2;
    private static final int FCR = BASE + 2;
    private static final int LCR = BASE + 3;
    private static final int MCR = BASE + 4;
    private static final int LSR = BASE + 5;
    private static final int MSR = BASE + 6;
    private static final int SCR = BASE + 7;

    private Machine m;
    private RecordingLine irq;
    private TestChardev chr;
    private Serial16550 uart;

    @BeforeEach
    void setUp() {
        m = TestMachines.newMachine();
        irq = new RecordingLine();
        chr = new TestChardev("serial0");
        uart = new Serial16550(m, "serial0", irq, chr);
        m.io().root().add(BASE, new IoRegion("uart", 8, uart.ports()));
    }

    @AfterEach
    void tearDown() {
        m.close();
    }

    private void feed(String s) {
        m.lock();
        try {
            assertEquals("", chr.feed(s));
        } finally {
            m.unlock();
        }
    }

    @Test
    void resetState() {
        assertEquals(0x01, in8(m, IIR));
        assertEquals(0x60, in8(m, LSR), "THR and transmitter empty");
        assertEquals(0x08, in8(m, MCR), "OUT2");
        assertEquals(0xb0, in8(m, MSR), "DCD, DSR, CTS");
        assertEquals(12, uart.divisor());
    }

    @Test
    void transmitGoesToChardev() {
        for (char c : "hi\n".toCharArray()) {
            out8(m, BASE, c);
        }
        assertEquals("hi\n", chr.output.toString());
        assertEquals(0x60, in8(m, LSR) & 0x60);
    }

    @Test
    void divisorLatchAndScratch() {
        out8(m, LCR, 0x80);
        out8(m, BASE, 0x01);
        out8(m, BASE + 1, 0x00);
        assertEquals(1, uart.divisor());
        assertEquals(0x01, in8(m, BASE));
        out8(m, LCR, 0x03);
        assertEquals(0x03, in8(m, LCR));
        out8(m, BASE, 'x');
        assertEquals("x", chr.output.toString(), "with DLAB clear offset 0 is THR again");
        out8(m, SCR, 0xa5);
        assertEquals(0xa5, in8(m, SCR));
        assertEquals(1_000_000_000L * 10 / 115_200, uart.characterTimeNs(), "8N1 is 10 bits");
    }

    @Test
    void loopbackReceivesOwnOutputAndMirrorsModemLines() {
        out8(m, MCR, 0x10 | 0x01); // loop, DTR
        out8(m, BASE, 'A');
        assertEquals("", chr.output.toString(), "nothing leaves in loopback");
        assertEquals(0x01, in8(m, LSR) & 0x01);
        assertEquals('A', in8(m, RBR));
        assertEquals(0, in8(m, LSR) & 0x01);
        assertEquals(0x20, in8(m, MSR), "DTR shows as DSR");
        out8(m, MCR, 0x10 | 0x02 | 0x04 | 0x08);
        assertEquals(0x10 | 0x40 | 0x80, in8(m, MSR), "RTS-CTS, OUT1-RI, OUT2-DCD");
    }

    @Test
    void fifoHoldsSixteenBytesThenOverruns() {
        out8(m, FCR, 0x01);
        assertEquals(0xc1, in8(m, IIR), "FIFO enabled bits");
        out8(m, MCR, 0x10);
        for (int i = 0; i < 17; i++) {
            out8(m, BASE, 'a' + i);
        }
        assertEquals(16, uart.receiveFifoCount());
        int lsr = in8(m, LSR);
        assertEquals(0x03, lsr & 0x03, "data ready and overrun");
        assertEquals(0, in8(m, LSR) & 0x02, "reading LSR clears OE");
        StringBuilder got = new StringBuilder();
        while ((in8(m, LSR) & 1) != 0) {
            got.append((char) in8(m, RBR));
        }
        assertEquals("abcdefghijklmnop", got.toString());
        out8(m, MCR, 0x10);
        out8(m, BASE, 'z');
        out8(m, FCR, 0x03); // clear the receive FIFO
        assertEquals(0, in8(m, LSR) & 1);
    }

    @Test
    void receiveInterruptAtTriggerLevel() {
        out8(m, FCR, 0x41); // trigger at 4 bytes
        out8(m, IER, 0x01);
        feed("abc");
        assertFalse(irq.level);
        assertEquals(0xc1, in8(m, IIR));
        feed("d");
        assertTrue(irq.level);
        assertEquals(0xc4, in8(m, IIR));
        in8(m, RBR);
        assertFalse(irq.level, "below the trigger level again");
    }

    @Test
    void characterTimeoutInterruptBelowTriggerLevel() throws InterruptedException {
        TestMachines.startPaused(m);
        out8(m, FCR, 0xc1); // trigger at 14
        out8(m, IER, 0x01);
        feed("k");
        assertFalse(irq.level);
        TestMachines.advance(m, 20); // 4 characters at 9600 baud take about 4.2 ms
        assertTrue(irq.level);
        assertEquals(0xcc, in8(m, IIR));
        assertEquals('k', in8(m, RBR));
        assertFalse(irq.level);
        assertEquals(0xc1, in8(m, IIR));
    }

    @Test
    void thrEmptyInterruptClearedByIirRead() {
        out8(m, IER, 0x02);
        assertTrue(irq.level, "enabling THRI with THR empty interrupts at once");
        assertEquals(0x02, in8(m, IIR));
        assertFalse(irq.level);
        assertEquals(0x01, in8(m, IIR));
        int edges = irq.risingEdges;
        out8(m, BASE, 'x');
        assertEquals(edges + 1, irq.risingEdges, "THR empty again after the byte left");
    }

    @Test
    void lineStatusInterruptHasPriority() {
        out8(m, IER, 0x07);
        out8(m, MCR, 0x10);
        out8(m, BASE, '1');
        out8(m, BASE, '2'); // overrun: no FIFO, RBR still full
        assertEquals(0x06, in8(m, IIR));
        in8(m, LSR);
        assertEquals(0x04, in8(m, IIR), "then received data");
        in8(m, RBR);
        assertEquals(0x02, in8(m, IIR), "then THR empty");
    }

    @Test
    void inputFlowControlThroughChardev() {
        assertEquals(1, chr.frontend.canReceive(), "no FIFO: one byte at a time");
        feed("a");
        assertEquals(0, chr.frontend.canReceive());
        assertEquals('a', in8(m, RBR));
        assertEquals(1, chr.acceptInputCalls, "the backend is told when the receiver drained");
        out8(m, FCR, 0x01);
        assertEquals(16, chr.frontend.canReceive());
        feed("0123456789abcdef");
        assertEquals(0, chr.frontend.canReceive());
        for (int i = 0; i < 15; i++) {
            in8(m, RBR);
        }
        assertEquals(1, chr.acceptInputCalls);
        in8(m, RBR);
        assertEquals(2, chr.acceptInputCalls);
    }
}
