package org.jqemu.qmp;

import java.io.IOError;
import java.io.IOException;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.jline.keymap.KeyMap;
import org.jline.reader.Binding;
import org.jline.reader.EndOfFileException;
import org.jline.reader.History;
import org.jline.reader.LineReader;
import org.jline.reader.Reference;
import org.jline.reader.UserInterruptException;
import org.jline.reader.impl.DefaultParser;
import org.jline.reader.impl.LineReaderImpl;
import org.jline.terminal.Attributes;
import org.jline.terminal.Attributes.ControlChar;
import org.jline.terminal.Attributes.InputFlag;
import org.jline.terminal.Attributes.LocalFlag;
import org.jline.terminal.Terminal;
import org.jline.utils.NonBlockingReader;

/**
 * One person at the human monitor: a JLine {@link LineReader} on one terminal (the process's tty
 * for {@code -monitor stdio}, or a terminal over a chardev's byte streams), reading command lines
 * on its own thread and running each on the monitor's dispatcher, one at a time.
 *
 * <p>Keys behave as in QEMU's readline where the two differ from JLine's defaults: Ctrl-D deletes
 * the character under the cursor and never ends the monitor; Ctrl-C is not a key of the monitor
 * (with {@code signal=on} on the process's tty it ends jqemu, as the signal does in QEMU; anywhere
 * else it is ignored and the line kept). No bell, no history expansion, no multi-line input.
 */
final class HmpSession {
    private static final String IGNORE = "jqemu-ignore";

    private final QmpMonitor monitor;
    private final Terminal terminal;
    private final Reader reader;
    private final boolean ctrlCSignals;
    private final Thread thread;
    private volatile boolean ended;

    /**
     * @param history shared by the sessions of one monitor (QEMU keeps it per monitor, in memory)
     * @param ctrlCSignals Ctrl-C raises SIGINT in jqemu (the process's tty with signal=on)
     */
    HmpSession(QmpMonitor monitor, String name, Terminal terminal, History history, boolean ctrlCSignals) {
        this.monitor = monitor;
        this.terminal = terminal;
        this.ctrlCSignals = ctrlCSignals;
        terminal.setAttributes(baseMode(terminal.getAttributes(), ctrlCSignals));
        DefaultParser parser = new DefaultParser();
        parser.setEofOnUnclosedQuote(false);
        parser.setEofOnEscapedNewLine(false);
        this.reader = new Reader(terminal);
        reader.setHistory(history);
        reader.setCompleter(new HmpCompleter(monitor));
        reader.setParser(parser);
        reader.setVariable(LineReader.HISTORY_SIZE, HmpTerminal.HISTORY);
        reader.setVariable(LineReader.BELL_STYLE, "none");
        reader.setOpt(LineReader.Option.DISABLE_EVENT_EXPANSION);
        reader.unsetOpt(LineReader.Option.HISTORY_IGNORE_SPACE);
        reader.unsetOpt(LineReader.Option.AUTO_MENU);
        reader.setOpt(LineReader.Option.AUTO_LIST);
        reader.getWidgets().put(IGNORE, () -> true);
        for (String map : List.of(LineReader.EMACS, LineReader.VIINS)) {
            KeyMap<Binding> keys = reader.getKeyMaps().get(map);
            keys.bind(new Reference(LineReader.DELETE_CHAR), KeyMap.ctrl('D'));
            keys.bind(new Reference(IGNORE), KeyMap.ctrl('C'));
            // Keys as xterm and the Linux console send them, in either cursor key mode, whatever the
            // terminal type says; Up and Down walk the history as QEMU's (no prefix search)
            keys.bind(new Reference(LineReader.UP_LINE_OR_HISTORY), "\033[A", "\033OA");
            keys.bind(new Reference(LineReader.DOWN_LINE_OR_HISTORY), "\033[B", "\033OB");
            keys.bind(new Reference(LineReader.FORWARD_CHAR), "\033[C", "\033OC");
            keys.bind(new Reference(LineReader.BACKWARD_CHAR), "\033[D", "\033OD");
            keys.bind(new Reference(LineReader.BEGINNING_OF_LINE), "\033[H", "\033OH", "\033[1~", "\033[7~");
            keys.bind(new Reference(LineReader.END_OF_LINE), "\033[F", "\033OF", "\033[4~", "\033[8~");
            keys.bind(new Reference(LineReader.DELETE_CHAR), "\033[3~");
        }
        this.thread = Thread.ofPlatform().name("hmp-" + name).daemon(true).unstarted(this::run);
    }

    /**
     * The mode between commands as well as while a line is edited: no echo, keys one by one,
     * CR not turned into NL (the editor reads both), Ctrl-D no end-of-file, Ctrl-C a signal only
     * when asked. Output processing (NL to CRLF) stays.
     */
    private static Attributes baseMode(Attributes original, boolean signals) {
        Attributes a = new Attributes(original);
        a.setLocalFlags(EnumSet.of(LocalFlag.ICANON, LocalFlag.ECHO, LocalFlag.IEXTEN), false);
        a.setLocalFlag(LocalFlag.ISIG, signals);
        a.setInputFlags(EnumSet.of(InputFlag.IXON, InputFlag.ICRNL, InputFlag.INLCR), false);
        a.setControlChar(ControlChar.VEOF, 0); // _POSIX_VDISABLE: JLine's "Ctrl-D on an empty line ends"
        a.setControlChar(ControlChar.VMIN, 1);
        a.setControlChar(ControlChar.VTIME, 0);
        return a;
    }

    /**
     * JLine's reader without bracketed paste, and without even the sequence that switches it off:
     * a script reading the monitor sees the prompt and the echo, as from QEMU.
     */
    private static final class Reader extends LineReaderImpl {
        Reader(Terminal terminal) {
            super(terminal, "jqemu", new HashMap<>());
        }

        @Override
        public boolean isSet(Option option) {
            return option != Option.BRACKETED_PASTE && super.isSet(option);
        }
    }

    /** Greets (when {@code banner}) and starts reading. */
    void start(boolean banner) {
        if (banner) {
            print(HmpTerminal.BANNER);
        }
        thread.start();
    }

    /** Ends reading and gives the terminal back (a tty gets its mode from before jqemu). */
    void close() {
        ended = true;
        try {
            terminal.close();
        } catch (IOException | RuntimeException e) {
            // the other side is gone already
        }
    }

    /** The terminal is back from another front end (Ctrl-A c): the prompt and line again, on a new line. */
    void redraw() {
        if (ended || !reader.isReading()) {
            return; // a command runs: its prompt comes when it is done
        }
        print("\r\n");
        try {
            reader.callWidget(LineReader.REDRAW_LINE);
            reader.callWidget(LineReader.REDISPLAY);
        } catch (IllegalStateException e) {
            // the line was just accepted: the next prompt draws itself
        }
    }

    private void run() {
        String keep = null;
        try {
            while (!ended) {
                String line;
                try {
                    line = reader.readLine(HmpTerminal.PROMPT, null, (Character) null, keep);
                    keep = null;
                } catch (UserInterruptException e) {
                    keep = e.getPartialLine();
                    if (ctrlCSignals) {
                        raiseSigint();
                    }
                    continue;
                } catch (EndOfFileException e) {
                    if (inputEnded()) {
                        break;
                    }
                    continue; // a key that JLine took for end-of-file: nothing to end
                }
                if (!execute(line)) {
                    break;
                }
            }
        } catch (IOError | RuntimeException e) {
            if (!ended) {
                System.err.println("jqemu: monitor terminal failed: " + e);
            }
        } finally {
            if (!ended) {
                close();
            }
        }
    }

    /** True at a real end of input (the peer left, the tty hung up), as opposed to a stray key. */
    private boolean inputEnded() {
        if (ended) {
            return true;
        }
        try {
            return terminal.reader().peek(20) == NonBlockingReader.EOF;
        } catch (IOException | IOError | IllegalStateException e) {
            return true;
        }
    }

    /**
     * Runs one command line on the dispatcher and prints what it says; false when the command ends
     * the monitor (quit), which then shows no prompt again.
     */
    private boolean execute(String line) throws IOError {
        CompletableFuture<Boolean> done = new CompletableFuture<>();
        monitor.dispatch(this, () -> {
            QmpCall call = new QmpCall(monitor, null, Json.object());
            try {
                print(Hmp.execute(call, line));
                List<Runnable> after = call.afterReplyActions();
                done.complete(after.isEmpty());
                after.forEach(Runnable::run);
            } catch (RuntimeException | Error e) {
                done.complete(true);
                throw e;
            }
        });
        try {
            return done.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (ExecutionException e) {
            return true;
        }
    }

    /** HMP's output uses CRLF; the terminal adds the CR to each NL itself. */
    private void print(String text) {
        if (text.isEmpty() || ended) {
            return;
        }
        try {
            terminal.writer().print(text.replace("\r\n", "\n"));
            terminal.flush();
        } catch (IllegalStateException e) {
            // closed under us
        }
    }

    @SuppressWarnings("removal")
    private static void raiseSigint() {
        try {
            sun.misc.Signal.raise(new sun.misc.Signal("INT"));
        } catch (IllegalArgumentException e) {
            // no SIGINT here
        }
    }
}
