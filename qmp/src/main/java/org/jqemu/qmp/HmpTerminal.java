package org.jqemu.qmp;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.List;
import org.jqemu.system.chardev.CharFrontend;
import org.jqemu.system.chardev.Chardev;
import org.jqemu.system.chardev.MuxChardev;
import org.jqemu.system.chardev.SocketChardev;
import org.jqemu.system.cli.Listings;

/**
 * The human monitor on a chardev ({@code -monitor stdio}, {@code -monitor unix:...},
 * {@code -mon chardev=ID,mode=readline}, and Ctrl-A c under -nographic): a banner, the
 * "(qemu) " prompt, a line editor (typed characters are echoed and inserted at the cursor; Left,
 * Right, Home, End (and Ctrl-E), Backspace and Delete edit; Up and Down walk
 * the history of the last {@link #HISTORY} commands; Tab completes a command or {@code info}
 * subcommand, listing the choices when there are several) and the commands of {@link Hmp}.
 *
 * <p>The editor works on the chardev's bytes, as QEMU's own readline does, rather than through a
 * terminal library: the chardev (a socket, stdio in raw mode, the -nographic mux) already owns the
 * terminal, and the same editor then serves every backend.
 *
 * <p>A command runs on the monitor dispatcher, like QMP commands; input typed meanwhile waits.
 */
final class HmpTerminal implements CharFrontend {
    static final String PROMPT = "(qemu) ";
    static final String BANNER = "jqemu " + Listings.VERSION + " monitor - type 'help' for more information\r\n";
    private static final int MAX_LINE = 4096;
    private static final int INPUT_ROOM = 4096;
    static final int HISTORY = 64;

    private final QmpMonitor monitor;
    private final Chardev chardev;
    private final StringBuilder line = new StringBuilder();
    private final ArrayDeque<Byte> typeahead = new ArrayDeque<>();
    private volatile boolean busy;
    private boolean greeted;
    private boolean lastWasCr;
    private int escape; // 0 none, 1 after ESC, 2 inside a CSI/SS3 sequence
    private final java.util.List<String> history = new java.util.ArrayList<>();
    private int historyPos; // history.size() = the line being typed
    private int cursor; // in line
    private int csiParam; // the number inside ESC [ n ~

    HmpTerminal(QmpMonitor monitor, Chardev chardev) {
        this.monitor = monitor;
        this.chardev = chardev;
    }

    void start() {
        if (chardev instanceof MuxChardev) {
            // A mux gives its input to the first front end; attaching once the machine runs
            // leaves the terminal to the serial port until Ctrl-A c, as in QEMU.
            monitor.machine().mainLoop().post(() -> chardev.attach(this));
            return;
        }
        chardev.attach(this);
        if (!(chardev instanceof SocketChardev)) {
            opened(); // a socket greets each client when it connects
        }
    }

    @Override
    public synchronized void opened() {
        line.setLength(0);
        cursor = 0;
        greeted = true;
        print(BANNER + PROMPT);
    }

    @Override
    public synchronized void focus(boolean focused) {
        if (!focused) {
            return;
        }
        if (!greeted) {
            opened();
        } else {
            print("\r\n" + PROMPT + line + "\b".repeat(line.length() - cursor));
        }
    }

    @Override
    public synchronized int canReceive() {
        return INPUT_ROOM - typeahead.size();
    }

    @Override
    public synchronized void receive(byte[] buf, int off, int len) {
        for (int i = 0; i < len; i++) {
            typeahead.add((byte) buf[off + i]);
        }
        process();
    }

    /** Edits with what was typed until a command starts; the rest waits for it to finish. */
    private synchronized void process() {
        while (!busy && !typeahead.isEmpty()) {
            key(typeahead.poll() & 0xff);
        }
    }

    private void key(int c) {
        if (escape == 1) {
            escape = c == '[' || c == 'O' ? 2 : 0;
            csiParam = 0;
            return;
        }
        if (escape == 2) {
            if (c >= '0' && c <= '9') {
                csiParam = csiParam * 10 + (c - '0');
            } else if (c >= 0x40 && c <= 0x7e) {
                escape = 0;
                switch (c) {
                    case 'A' -> recall(-1);
                    case 'B' -> recall(1);
                    case 'C' -> moveTo(cursor + 1);
                    case 'D' -> moveTo(cursor - 1);
                    case 'H' -> moveTo(0);
                    case 'F' -> moveTo(line.length());
                    case '~' -> {
                        switch (csiParam) {
                            case 1, 7 -> moveTo(0);
                            case 4, 8 -> moveTo(line.length());
                            case 3 -> deleteAt(cursor);
                            default -> { }
                        }
                    }
                    default -> { }
                }
            }
            return;
        }
        boolean cr = lastWasCr;
        lastWasCr = c == '\r';
        switch (c) {
            case 0x1b -> escape = 1;
            case '\t' -> {
                if (cursor == line.length()) {
                    complete();
                }
            }
            case '\r' -> enter();
            case '\n' -> {
                if (!cr) {
                    enter();
                }
            }
            case 0x7f, 0x08 -> {
                if (cursor > 0) {
                    print("\b");
                    cursor--;
                    deleteAt(cursor);
                }
            }
            case 0x05 -> moveTo(line.length()); // Ctrl-E (Ctrl-A belongs to the -nographic mux)
            default -> {
                if (c >= 0x20 && c < 0x7f && line.length() < MAX_LINE) {
                    line.insert(cursor, (char) c);
                    String tail = line.substring(cursor);
                    cursor++;
                    print(tail + "\b".repeat(tail.length() - 1));
                }
            }
        }
    }

    /** Moves the cursor within the line, as the terminal shows it. */
    private void moveTo(int pos) {
        if (pos < 0 || pos > line.length() || pos == cursor) {
            return;
        }
        print(pos < cursor ? "\b".repeat(cursor - pos) : line.substring(cursor, pos));
        cursor = pos;
    }

    /** Deletes the character under the cursor and redraws the rest of the line. */
    private void deleteAt(int pos) {
        if (pos >= line.length()) {
            return;
        }
        line.deleteCharAt(pos);
        String tail = line.substring(pos);
        print(tail + " " + "\b".repeat(tail.length() + 1));
    }

    /** Up (-1) or Down (+1) through the history; the line shown is replaced. */
    private void recall(int step) {
        int pos = historyPos + step;
        if (pos < 0 || pos > history.size()) {
            return;
        }
        historyPos = pos;
        line.setLength(0);
        line.append(pos == history.size() ? "" : history.get(pos));
        cursor = line.length();
        print("\r\033[K" + PROMPT + line);
    }

    /** Tab: completes the command name, or the subcommand after "info ". */
    private void complete() {
        String text = line.toString();
        java.util.List<String> words;
        String prefix;
        String head;
        if (text.indexOf(' ') < 0) {
            words = Hmp.commandNames();
            prefix = text;
            head = "";
        } else if (text.startsWith("info ") && text.indexOf(' ', 5) < 0) {
            words = Hmp.infoNames();
            prefix = text.substring(5);
            head = "info ";
        } else {
            return;
        }
        java.util.List<String> matches = words.stream().filter(w -> w.startsWith(prefix)).sorted().toList();
        if (matches.isEmpty()) {
            return;
        }
        if (matches.size() == 1) {
            String add = matches.get(0).substring(prefix.length()) + " ";
            line.append(add);
            cursor = line.length();
            print(add);
            return;
        }
        String common = matches.get(0);
        for (String m : matches) {
            int i = 0;
            while (i < common.length() && i < m.length() && common.charAt(i) == m.charAt(i)) {
                i++;
            }
            common = common.substring(0, i);
        }
        if (common.length() > prefix.length()) {
            String add = common.substring(prefix.length());
            line.append(add);
            cursor = line.length();
            print(add);
            return;
        }
        print("\r\n" + String.join(" ", matches) + "\r\n" + PROMPT + head + prefix);
    }

    private void enter() {
        String command = line.toString();
        line.setLength(0);
        cursor = 0;
        if (!command.isBlank() && (history.isEmpty() || !history.get(history.size() - 1).equals(command))) {
            history.add(command);
            if (history.size() > HISTORY) {
                history.remove(0);
            }
        }
        historyPos = history.size();
        print("\r\n");
        busy = true;
        monitor.dispatch(this, () -> {
            QmpCall call = new QmpCall(monitor, null, Json.object());
            try {
                print(Hmp.execute(call, command));
                List<Runnable> after = call.afterReplyActions();
                if (after.isEmpty()) {
                    print(PROMPT);
                }
                after.forEach(Runnable::run);
            } finally {
                busy = false;
                process();
                chardev.acceptInput();
            }
        });
    }

    private void print(String s) {
        byte[] b = s.getBytes(StandardCharsets.ISO_8859_1);
        chardev.write(b, 0, b.length);
    }
}
