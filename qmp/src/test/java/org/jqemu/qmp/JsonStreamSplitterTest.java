package org.jqemu.qmp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class JsonStreamSplitterTest {
    private final List<String> out = new ArrayList<>();
    private final JsonStreamSplitter splitter = new JsonStreamSplitter(new JsonStreamSplitter.Sink() {
        @Override
        public void text(byte[] text, int len) {
            out.add(new String(text, 0, len, StandardCharsets.UTF_8));
        }

        @Override
        public void error(String desc) {
            out.add("ERROR " + desc);
        }
    }, 64);

    private void feed(String s) {
        byte[] b = s.getBytes(StandardCharsets.ISO_8859_1);
        splitter.feed(b, 0, b.length);
    }

    @Test
    void objectsNeedNoNewlines() {
        feed("{\"a\": 1}{\"b\": [1, {}]}  \r\n{\"c\":2}");
        assertEquals(List.of("{\"a\": 1}", "{\"b\": [1, {}]}", "{\"c\":2}"), out);
    }

    @Test
    void textsMaySpanReads() {
        feed("{\"exec");
        feed("ute\": \"stop\"");
        assertEquals(List.of(), out);
        feed("}");
        assertEquals(List.of("{\"execute\": \"stop\"}"), out);
    }

    @Test
    void bracesInsideStringsDoNotCount() {
        feed("{\"a\": \"}{\\\"]\", 'b}': 'it\\'s'}");
        assertEquals(List.of("{\"a\": \"}{\\\"]\", 'b}': 'it\\'s'}"), out);
    }

    @Test
    void scalarsEndAtDelimiters() {
        feed("1 true\"x\"[2]");
        assertEquals(List.of("1", "true", "\"x\"", "[2]"), out);
    }

    @Test
    void controlCharacterResetsHalfReadInput() {
        feed("{\"execute\": \"stop\"\u0001{\"a\":1}");
        assertEquals(List.of("ERROR JSON parse error, stray '\u0001'", "{\"a\":1}"), out);
    }

    @Test
    void byte0xffResetsEvenInsideStrings() {
        feed("{\"a\": \"x\u00ff{}");
        assertEquals(List.of("ERROR JSON parse error, stray '\uFFFD'", "{}"), out);
    }

    @Test
    void strayClosingBracketIsAnError() {
        feed("}{}");
        assertEquals(List.of("ERROR JSON parse error, expecting value", "{}"), out);
    }

    @Test
    void overlongTextIsDroppedAndReported() {
        feed("{\"a\": \"" + "x".repeat(100) + "\"}{\"b\":1}");
        assertEquals(List.of("ERROR JSON parse error, input longer than 64 bytes", "{\"b\":1}"), out);
    }

    @Test
    void utf8InsideStringsPasses() {
        byte[] b = "{\"n\": \"é\"}".getBytes(StandardCharsets.UTF_8);
        splitter.feed(b, 0, b.length);
        assertEquals(List.of("{\"n\": \"é\"}"), out);
    }
}
