package org.jqemu.qmp;

import java.util.ArrayList;
import java.util.List;

/**
 * A small ANSI terminal for tests: it applies what a line editor writes (text, CR, LF, BS, and
 * the CSI cursor, erase, insert and delete sequences of the "ansi" terminal type) to a grid of
 * lines, so a test can ask what a person would see and where the cursor is. Shared with the tests
 * module through this module's test jar.
 */
public final class TerminalScreen {
    private final int width;
    private final List<StringBuilder> rows = new ArrayList<>();
    private int row;
    private int col;
    private int state; // 0 text, 1 after ESC, 2 inside CSI
    private final StringBuilder params = new StringBuilder();

    public TerminalScreen(int width) {
        this.width = width;
        rows.add(new StringBuilder());
    }

    public synchronized void feed(String bytes) {
        for (int i = 0; i < bytes.length(); i++) {
            put(bytes.charAt(i));
        }
        notifyAll();
    }

    private void put(char c) {
        switch (state) {
            case 1 -> {
                state = c == '[' ? 2 : 0;
                params.setLength(0);
            }
            case 2 -> {
                if (c >= 0x40 && c <= 0x7e) {
                    state = 0;
                    csi(c);
                } else {
                    params.append(c);
                }
            }
            default -> text(c);
        }
    }

    private void text(char c) {
        switch (c) {
            case 0x1b -> state = 1;
            case '\r' -> col = 0;
            case '\n' -> down(1);
            case '\b' -> col = Math.max(0, col - 1);
            case 0x07 -> { }
            default -> {
                if (c < 0x20) {
                    return;
                }
                if (col >= width) { // auto margin
                    col = 0;
                    down(1);
                }
                StringBuilder line = line();
                while (line.length() < col) {
                    line.append(' ');
                }
                if (col < line.length()) {
                    line.setCharAt(col, c);
                } else {
                    line.append(c);
                }
                col++;
            }
        }
    }

    private void down(int n) {
        row += n;
        while (rows.size() <= row) {
            rows.add(new StringBuilder());
        }
    }

    private StringBuilder line() {
        return rows.get(row);
    }

    private int param(int index, int def) {
        String[] p = params.toString().replace("?", "").split(";");
        if (index >= p.length || p[index].isEmpty()) {
            return def;
        }
        return Integer.parseInt(p[index]);
    }

    private void csi(char c) {
        if (params.indexOf("?") >= 0) {
            return; // modes (h/l): nothing to show
        }
        int n = param(0, 1);
        StringBuilder line = line();
        switch (c) {
            case 'A' -> row = Math.max(0, row - n);
            case 'B' -> down(n);
            case 'C' -> col = Math.min(width - 1, col + n);
            case 'D' -> col = Math.max(0, col - n);
            case 'G' -> col = n - 1;
            case 'K' -> {
                int mode = param(0, 0);
                if (mode == 0 && col < line.length()) {
                    line.setLength(col);
                } else if (mode == 2) {
                    line.setLength(0);
                }
            }
            case 'J' -> {
                if (col < line.length()) {
                    line.setLength(col);
                }
                while (rows.size() > row + 1) {
                    rows.remove(rows.size() - 1);
                }
            }
            case 'P' -> {
                if (col < line.length()) {
                    line.delete(col, Math.min(line.length(), col + n));
                }
            }
            case 'X' -> {
                for (int i = col; i < Math.min(line.length(), col + n); i++) {
                    line.setCharAt(i, ' ');
                }
            }
            case '@' -> {
                if (col < line.length()) {
                    line.insert(col, " ".repeat(n));
                }
            }
            default -> { } // colours (m) and the like
        }
    }

    /** Draws what {@code in} sends, on a thread of its own, until it ends. */
    public static TerminalScreen reading(java.io.InputStream in) {
        TerminalScreen screen = new TerminalScreen(80);
        Thread t = new Thread(() -> {
            byte[] buf = new byte[4096];
            try {
                for (int n; (n = in.read(buf)) > 0; ) {
                    screen.feed(new String(buf, 0, n, java.nio.charset.StandardCharsets.ISO_8859_1));
                }
            } catch (java.io.IOException e) {
                // the other side went away
            }
        }, "screen-reader");
        t.setDaemon(true);
        t.start();
        return screen;
    }

    /** Waits (at most {@code seconds}) until {@code done} holds for what is shown. */
    public void await(String what, java.util.function.Predicate<TerminalScreen> done, long seconds)
            throws InterruptedException {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(seconds);
        synchronized (this) {
            while (!done.test(this)) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("the terminal never showed " + what + "; it shows:\n" + text()
                            + "cursor line: '" + currentLine() + "'");
                }
                wait(Math.max(1, java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(left)));
            }
        }
    }

    /** Waits until the cursor's line reads {@code line} (trailing blanks aside). */
    public void awaitLine(String line, long seconds) throws InterruptedException {
        await("the line '" + line + "'", s -> s.currentLine().equals(line), seconds);
    }

    /** How often {@code needle} is shown. */
    public synchronized int count(String needle) {
        String all = text();
        int n = 0;
        for (int i = all.indexOf(needle); i >= 0; i = all.indexOf(needle, i + 1)) {
            n++;
        }
        return n;
    }

    /** The line the cursor is on, trailing blanks removed. */
    public synchronized String currentLine() {
        return line().toString().stripTrailing();
    }

    public synchronized int cursorColumn() {
        return col;
    }

    /** Everything shown, lines joined with '\n'. */
    public synchronized String text() {
        StringBuilder sb = new StringBuilder();
        for (StringBuilder r : rows) {
            sb.append(r.toString().stripTrailing()).append('\n');
        }
        return sb.toString();
    }
}
