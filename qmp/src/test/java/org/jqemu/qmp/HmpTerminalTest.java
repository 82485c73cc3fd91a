package org.jqemu.qmp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.jqemu.system.chardev.CharFrontend;
import org.jqemu.system.chardev.Chardev;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.machine.MachineConfig;
import org.jqemu.system.options.Opts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The human monitor's line editor (JLine over a chardev's bytes), judged by what a terminal
 * shows: the line under the cursor after each key, as an ANSI terminal draws it.
 */
class HmpTerminalTest {
    private Machine machine;
    private final TerminalScreen screen = new TerminalScreen(80);
    private final StringBuffer raw = new StringBuffer();
    private CharFrontend frontend;
    private HmpTerminal terminal;

    /** A chardev whose output is drawn on {@link #screen}. */
    private final class Screen implements Chardev {
        @Override
        public String id() {
            return "screen";
        }

        @Override
        public void write(byte[] buf, int off, int len) {
            raw.append(new String(buf, off, len, StandardCharsets.ISO_8859_1));
            screen.feed(new String(buf, off, len, StandardCharsets.ISO_8859_1));
        }

        @Override
        public void attach(CharFrontend fe) {
            frontend = fe;
        }

        @Override
        public void acceptInput() {}

        @Override
        public void close() {}
    }

    @BeforeEach
    void start() throws Exception {
        MachineConfig config = new MachineConfig();
        config.devices.add(Opts.parse("-device", "e1000,netdev=n1,id=nic0", "driver"));
        config.netdevs.add(Opts.parse("-netdev", "user,id=n1", "type"));
        machine = new Machine(config);
        machine.addDevice(() -> "nic0");
        machine.addDevice(() -> "disk1");
        QmpMonitor monitor = new QmpMonitor(machine, Runnable::run);
        terminal = new HmpTerminal(monitor, new Screen());
        terminal.start();
        awaitLine("(qemu)");
        assertTrue(screen.text().startsWith("jqemu 0.1.0 monitor - type 'help' for more information\n(qemu)"),
                screen.text());
    }

    @AfterEach
    void close() {
        terminal.close();
        machine.close();
    }

    private void type(String keys) {
        byte[] b = keys.getBytes(StandardCharsets.ISO_8859_1);
        frontend.receive(b, 0, b.length);
    }

    private void awaitScreen(String what, Predicate<TerminalScreen> done) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        synchronized (screen) {
            while (!done.test(screen)) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("screen never showed " + what + "; it shows:\n" + screen.text()
                            + "cursor line: '" + screen.currentLine() + "'");
                }
                screen.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            }
        }
    }

    /** Waits until the cursor's line reads {@code text} (trailing blanks aside). */
    private void awaitLine(String text) throws InterruptedException {
        awaitScreen("the line '" + text + "'", s -> s.currentLine().equals(text));
    }

    private int count(String needle) {
        String all = screen.text();
        int n = 0;
        for (int i = all.indexOf(needle); i >= 0; i = all.indexOf(needle, i + 1)) {
            n++;
        }
        return n;
    }

    @Test
    void aScriptSeesThePromptTheEchoAndTheOutput() throws Exception {
        raw.setLength(0);
        type("info status\r");
        awaitScreen("the status", s -> s.text().contains("VM status: running\n(qemu)"));
        // JLine returns the carriage before the newline once more: "\r\r\n" after the line
        assertEquals("info status\nVM status: running\n(qemu) ", raw.toString().replace("\r", ""),
                "no escape sequences when nothing is edited");
    }

    @Test
    void cursorKeysInsertAndDeleteInsideTheLine() throws Exception {
        type("info stts");
        awaitLine("(qemu) info stts");
        type("\033[D\033[Da"); // Left twice, then 'a' goes before "ts"
        awaitLine("(qemu) info stats");
        assertEquals("(qemu) info sta".length(), screen.cursorColumn());
        type("\033[H\033[3~"); // Home, Delete
        awaitLine("(qemu) nfo stats");
        assertEquals("(qemu) ".length(), screen.cursorColumn());
        type("i\u0005\u007f\u007ftus"); // Ctrl-E (end), two Backspaces, "tus"
        awaitLine("(qemu) info status");
        type("\r");
        awaitLine("(qemu)");
        assertTrue(screen.text().contains("(qemu) info status\nVM status: running\n(qemu)"), screen.text());
    }

    @Test
    void upRecallsTheHistoryAndDownComesBack() throws Exception {
        type("info version\r");
        awaitScreen("the version", s -> s.text().contains("0.1.0 (jqemu)\n(qemu)"));
        type("stop\r");
        awaitScreen("the prompt after stop", s -> s.text().endsWith("stop\n(qemu)\n"));
        type("\033[A");
        awaitLine("(qemu) stop");
        type("\033[A");
        awaitLine("(qemu) info version");
        type("\033[B");
        awaitLine("(qemu) stop");
        type("\033[A\r");
        awaitScreen("the version twice", s -> count("0.1.0 (jqemu)") == 2);
        type("\u0010"); // Ctrl-P, QEMU's other key for the previous line
        awaitLine("(qemu) info version");
    }

    @Test
    void tabCompletesCommandsInfoSubcommandsAndDeviceIds() throws Exception {
        type("inf\t");
        awaitLine("(qemu) info");
        type("re\t");
        awaitLine("(qemu) info registers");
        assertEquals("(qemu) info registers ".length(), screen.cursorColumn(), "a space after a complete word");
        type("\u0015"); // Ctrl-U: the line is gone
        awaitLine("(qemu)");

        type("device_del d\t");
        awaitLine("(qemu) device_del disk1");
        type("\u0015set_link n\t");
        awaitScreen("both net client names", s -> s.text().contains("n1") && s.text().contains("nic0")
                && s.currentLine().equals("(qemu) set_link n"));
        type("i\t");
        awaitLine("(qemu) set_link nic0");
        type("\u0015s\t"); // several commands: listed under the line, which stays
        awaitScreen("the choices", s -> s.text().contains("screendump") && s.text().contains("system_reset"));
        assertEquals("(qemu) s", screen.currentLine());
    }

    @Test
    void ctrlDDeletesAndNeverEndsCtrlCIsIgnored() throws Exception {
        type("\u0004"); // on an empty line: nothing, as in QEMU (not end of input)
        type("info statux\u0002\u0004"); // Ctrl-B back onto the 'x', Ctrl-D deletes it
        awaitLine("(qemu) info statu");
        type("\u0003s"); // Ctrl-C: ignored, the line stays
        awaitLine("(qemu) info status");
        type("\r");
        awaitScreen("the status", s -> s.text().contains("VM status: running"));
    }

    @Test
    void historyOutlivesAClientAndANewClientIsGreeted() throws Exception {
        type("info version\r");
        awaitScreen("the version", s -> s.text().contains("0.1.0 (jqemu)\n(qemu)"));
        frontend.closed();
        frontend.opened(); // a socket's next client
        awaitScreen("a second banner", s -> count("monitor - type 'help'") == 2 && s.currentLine().equals("(qemu)"));
        type("\033[A");
        awaitLine("(qemu) info version");
    }

    @Test
    void completionChoicesFollowTheWordUnderTheCursor() {
        QmpMonitor monitor = new QmpMonitor(machine, Runnable::run);
        HmpCompleter c = new HmpCompleter(monitor);
        assertTrue(c.choices("").contains("info"));
        assertTrue(c.choices("inf").contains("system_reset"), "the editor filters by prefix, not the completer");
        assertEquals(Hmp.infoNames(), c.choices("info "));
        assertEquals(List.of("nic0", "disk1"), c.choices("device_del "));
        assertEquals(List.of("nic0", "n1"), c.choices("set_link ni"));
        assertTrue(c.choices("help ").contains("x"));
        assertFalse(c.choices("info registers ").contains("status"), "only the first argument completes");
        assertEquals(List.of(), c.choices("stop "));
    }
}
