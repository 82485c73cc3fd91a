package org.jqemu.qmp;

/**
 * Cuts a QMP input byte stream into whole JSON texts, the way QEMU's JSON streamer does: input is
 * not line based, a text ends when its outermost brace or bracket closes (or, for a bare scalar,
 * at the next delimiter). Only structure is tracked here; the texts are parsed afterwards.
 *
 * <p>Recovery follows the QMP specification ("Forcing the JSON parser into known-good state"): a
 * byte that can never be part of JSON input (an ASCII control character other than tab, CR and
 * LF, or 0xFE/0xFF, or a non-ASCII byte outside a string) is a lexical error. It is reported, and
 * whatever was half read is thrown away, so a client can always resynchronise.
 *
 * <p>A text longer than {@link #MAX_TEXT} bytes is not kept: its bytes are counted and dropped
 * until it ends, then reported as an error. Memory stays bounded whatever a client sends.
 */
final class JsonStreamSplitter {
    /** The largest JSON text accepted: 1 MiB, ample for any QMP command. */
    static final int MAX_TEXT = 1 << 20;

    interface Sink {
        /** One whole JSON text, {@code len} bytes of {@code text} (valid only during the call). */
        void text(byte[] text, int len);

        /** Input that cannot be a JSON text; desc is QEMU's "JSON parse error, ..." message. */
        void error(String desc);
    }

    private final Sink sink;
    private final int maxText;
    private byte[] buf = new byte[512];
    private int len;
    private boolean overflow;
    private int depth;
    private boolean inScalar;
    private boolean inString;
    private boolean escaped;
    private int quote;

    JsonStreamSplitter(Sink sink) {
        this(sink, MAX_TEXT);
    }

    JsonStreamSplitter(Sink sink, int maxText) {
        this.sink = sink;
        this.maxText = maxText;
    }

    void feed(byte[] data, int off, int n) {
        for (int i = 0; i < n; i++) {
            step(data[off + i] & 0xff);
        }
    }

    private void step(int c) {
        if (c == 0xfe || c == 0xff || (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
                || (c >= 0x80 && !inString)) {
            reset();
            sink.error("JSON parse error, stray '" + (c >= 0x80 ? "\uFFFD" : String.valueOf((char) c)) + "'");
            return;
        }
        if (inString) {
            append(c);
            if (escaped) {
                escaped = false;
            } else if (c == '\\') {
                escaped = true;
            } else if (c == quote) {
                inString = false;
                if (depth == 0) {
                    emit();
                }
            }
            return;
        }
        if (inScalar) {
            if (!isDelimiter(c)) {
                append(c);
                return;
            }
            inScalar = false;
            emit(); // then c starts whatever follows the scalar
        }
        switch (c) {
            case ' ', '\t', '\n', '\r' -> {
                if (depth > 0) {
                    append(c);
                }
            }
            case '"', '\'' -> {
                append(c);
                inString = true;
                quote = c;
            }
            case '{', '[' -> {
                append(c);
                depth++;
            }
            case '}', ']' -> {
                if (depth == 0) {
                    sink.error("JSON parse error, expecting value");
                    return;
                }
                append(c);
                if (--depth == 0) {
                    emit();
                }
            }
            default -> {
                append(c);
                if (depth == 0) {
                    inScalar = true;
                }
            }
        }
    }

    private static boolean isDelimiter(int c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '{' || c == '}' || c == '[' || c == ']'
                || c == '"' || c == '\'' || c == ',' || c == ':';
    }

    private void append(int c) {
        if (len == maxText) {
            overflow = true;
            return;
        }
        if (len == buf.length) {
            buf = java.util.Arrays.copyOf(buf, Math.min(maxText, buf.length * 2));
        }
        buf[len++] = (byte) c;
    }

    private void emit() {
        boolean tooLong = overflow;
        int n = len;
        len = 0;
        overflow = false;
        if (tooLong) {
            sink.error("JSON parse error, input longer than " + maxText + " bytes");
        } else {
            sink.text(buf, n);
        }
        if (buf.length > 64 * 1024) {
            buf = new byte[512]; // do not keep a megabyte per client after one big command
        }
    }

    private void reset() {
        len = 0;
        overflow = false;
        depth = 0;
        inScalar = false;
        inString = false;
        escaped = false;
        if (buf.length > 64 * 1024) {
            buf = new byte[512];
        }
    }
}
