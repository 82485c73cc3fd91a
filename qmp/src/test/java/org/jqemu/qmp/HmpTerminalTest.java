package org.jqemu.qmp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import org.jqemu.system.chardev.CharFrontend;
import org.jqemu.system.chardev.Chardev;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.machine.MachineConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The HMP line editor on a chardev: what a terminal receives for each key. */
class HmpTerminalTest {
    private Machine machine;
    private final StringBuilder screen = new StringBuilder();
    private CharFrontend terminal;

    /** A chardev that keeps what is written, for a test to read. */
    private final class Screen implements Chardev {
        @Override
        public String id() {
            return "screen";
        }

        @Override
        public void write(byte[] buf, int off, int len) {
            screen.append(new String(buf, off, len, StandardCharsets.ISO_8859_1));
        }

        @Override
        public void attach(CharFrontend frontend) {
            terminal = frontend;
        }

        @Override
        public void acceptInput() {}

        @Override
        public void close() {}
    }

    @BeforeEach
    void start() {
        machine = new Machine(new MachineConfig());
        QmpMonitor monitor = new QmpMonitor(machine, Runnable::run);
        new HmpTerminal(monitor, new Screen()).start();
        screen.setLength(0);
    }

    @AfterEach
    void close() {
        machine.close();
    }

    private String type(String keys) {
        screen.setLength(0);
        byte[] b = keys.getBytes(StandardCharsets.ISO_8859_1);
        terminal.receive(b, 0, b.length);
        return screen.toString();
    }

    @Test
    void cursorKeysInsertAndDeleteInsideTheLine() {
        assertEquals("info stts", type("info stts"));
        // Left twice, then 'a': inserted before "ts", the rest redrawn and the cursor put back
        assertEquals("\b\bats\b\b", type("\033[D\033[Da"));
        // Home, Delete: the rest of "info stats" moves left over a blank
        assertEquals("\b".repeat(8) + "nfo stats " + "\b".repeat(10), type("\033[H\033[3~"));
        assertEquals("info stats" + "\b".repeat(9), type("i"));
        assertEquals("nfo stats", type("\033[F")); // End
        assertEquals("", type("\033[C")); // Right at the end: nothing
        assertEquals("\b \b\b \btus", type("\u007f\u007ftus"));
        assertEquals("\r\nVM status: running\r\n(qemu) ", type("\r"));
    }

    @Test
    void historyRecallPutsTheCursorAtTheEnd() {
        type("info version\r");
        assertEquals("\r\033[K(qemu) info version", type("\033[A"));
        assertEquals("\b".repeat(12), type("\033[1~")); // Home
        assertEquals("info version", type("\u0005")); // Ctrl-E
        assertEquals(" ", type("\t"), "a complete subcommand only gets its space");
        assertEquals("", type("\t"), "nothing to complete after it");
        assertEquals("\r\n0.1.0 (jqemu)\r\n(qemu) ", type("\r"));
    }
}
