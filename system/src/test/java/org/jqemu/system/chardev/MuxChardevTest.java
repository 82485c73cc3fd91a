package org.jqemu.system.chardev;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Ctrl-A escapes, driven directly as the terminal backend would drive them. */
class MuxChardevTest {
    /** A terminal: records what the mux writes, feeds what we type. */
    static final class FakeTerminal implements Chardev {
        final ByteArrayOutputStream screen = new ByteArrayOutputStream();
        CharFrontend mux;
        int acceptCalls;

        @Override
        public String id() {
            return "term";
        }

        @Override
        public void write(byte[] buf, int off, int len) {
            screen.write(buf, off, len);
        }

        @Override
        public void attach(CharFrontend frontend) {
            mux = frontend;
        }

        @Override
        public void acceptInput() {
            acceptCalls++;
        }

        @Override
        public void close() {}

        void type(String keys) {
            byte[] b = keys.getBytes(StandardCharsets.ISO_8859_1);
            int n = Math.min(b.length, mux.canReceive());
            mux.receive(b, 0, n);
        }

        String screen() {
            return screen.toString(StandardCharsets.ISO_8859_1);
        }
    }

    private final FakeTerminal term = new FakeTerminal();
    private int quits;
    private final MuxChardev mux = new MuxChardev("serial0", term, Runnable::run, () -> quits++);
    private final RecordingFrontend uart = new RecordingFrontend(Integer.MAX_VALUE);

    {
        mux.attach(uart);
    }

    @Test
    void plainKeysReachTheGuest() {
        term.type("ls -l\r");
        assertEquals("ls -l\r", uart.text());
        assertEquals("", term.screen());
    }

    @Test
    void ctrlAxQuits() {
        term.type("a\u0001x");
        assertEquals(1, quits);
        assertEquals("a", uart.text());
        assertEquals("jqemu: terminated\n\r", term.screen());
    }

    @Test
    void ctrlAhPrintsTheEscapes() {
        term.type("\u0001h");
        assertEquals(0, quits);
        assertEquals("", uart.text());
        assertEquals("\n\rC-a h    print this help\n\rC-a x    exit emulator\n\r"
                + "C-a c    switch between console and monitor\n\rC-a C-a  sends C-a\n\r", term.screen());
    }

    @Test
    void ctrlAtwiceSendsOneCtrlA() {
        term.type("\u0001\u0001z");
        assertEquals("\u0001z", uart.text());
    }

    @Test
    void escapeSplitAcrossReads() {
        term.type("q\u0001");
        term.type("x");
        assertEquals(1, quits);
        assertEquals("q", uart.text());
    }

    @Test
    void unknownEscapeIsSwallowed() {
        term.type("\u0001zy");
        assertEquals("y", uart.text());
    }

    @Test
    void ctrlAcWithoutMonitorSaysSo() {
        term.type("\u0001cz");
        assertTrue(term.screen().contains("jqemu: no monitor shares this terminal"), term.screen());
        assertEquals("z", uart.text(), "focus stays on the serial port");
    }

    @Test
    void ctrlAcSwitchesBetweenFrontends() {
        RecordingFrontend second = new RecordingFrontend(Integer.MAX_VALUE);
        mux.attach(second);
        term.type("1\u0001c2\u0001c3");
        assertEquals("13", uart.text());
        assertEquals("2", second.text());
    }

    @Test
    void guestOutputGoesToTheTerminal() {
        mux.write("boot\n".getBytes(StandardCharsets.ISO_8859_1), 0, 5);
        assertEquals("boot\n", term.screen());
    }

    @Test
    void fullFrontendHoldsInputThenResumes() {
        uart.room = 2;
        term.type("abcd");
        assertEquals("ab", uart.text());
        uart.room = 10;
        mux.acceptInput();
        assertEquals("abcd", uart.text());
        assertTrue(term.acceptCalls > 0, "the terminal is asked for more once the held input is gone");
        // Escapes still work while the guest is not reading.
        uart.room = 0;
        term.type("e\u0001x");
        assertEquals(1, quits);
        assertFalse(uart.text().contains("x"));
    }
}
