package org.jqemu.qmp;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.PrettyPrinter;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * JSON as QMP speaks it. Input: UTF-8, with QEMU's extension of 'single-quoted' strings. Output:
 * ASCII only (other characters as \\uXXXX escapes), laid out as QEMU does ({@code {"a": 1, "b": []}})
 * or indented for {@code -qmp-pretty}, each message ended by CRLF.
 */
final class Json {
    static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(JsonReadFeature.ALLOW_SINGLE_QUOTES)
            .enable(JsonWriteFeature.ESCAPE_NON_ASCII)
            .build();

    static {
        MAPPER.getFactory().setStreamReadConstraints(StreamReadConstraints.builder()
                .maxNestingDepth(1024) // QEMU's limit
                .build());
    }

    private Json() {}

    static ObjectNode object() {
        return NODES.objectNode();
    }

    static ArrayNode array() {
        return NODES.arrayNode();
    }

    /** Parses one JSON text; throws with QEMU's "JSON parse error, ..." message. */
    static JsonNode parse(byte[] text, int len) throws QmpException {
        try (JsonParser p = MAPPER.getFactory().createParser(text, 0, len)) {
            JsonNode node = MAPPER.readTree(p);
            if (node == null || p.nextToken() != null) {
                throw QmpException.generic("JSON parse error, expecting value");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw QmpException.generic("JSON parse error, " + shortMessage(e));
        } catch (IOException e) {
            throw QmpException.generic("JSON parse error, " + e.getMessage());
        }
    }

    private static String shortMessage(JsonProcessingException e) {
        String m = e.getOriginalMessage();
        if (m == null) {
            return "invalid input";
        }
        if (m.contains("expected a value") || m.contains("Unexpected end-of-input")) {
            return "expecting value";
        }
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }

    /** One message as the bytes sent on the wire, CRLF included. */
    static byte[] encode(JsonNode message, boolean pretty) {
        try {
            String s = MAPPER.writer(pretty ? PRETTY : COMPACT).writeValueAsString(message);
            return (s + "\r\n").getBytes(StandardCharsets.US_ASCII);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise a JSON tree", e);
        }
    }

    private static final PrettyPrinter COMPACT = new QemuLayout();

    private static final DefaultPrettyPrinter PRETTY = new DefaultPrettyPrinter()
            .withObjectIndenter(new DefaultIndenter("    ", "\n"))
            .withArrayIndenter(new DefaultIndenter("    ", "\n"));

    /** QEMU's compact layout: ": " after keys, ", " between members and elements. */
    private static final class QemuLayout implements PrettyPrinter {
        @Override
        public void writeRootValueSeparator(JsonGenerator g) throws IOException {}

        @Override
        public void writeStartObject(JsonGenerator g) throws IOException {
            g.writeRaw('{');
        }

        @Override
        public void writeEndObject(JsonGenerator g, int nrOfEntries) throws IOException {
            g.writeRaw('}');
        }

        @Override
        public void writeObjectEntrySeparator(JsonGenerator g) throws IOException {
            g.writeRaw(", ");
        }

        @Override
        public void writeObjectFieldValueSeparator(JsonGenerator g) throws IOException {
            g.writeRaw(": ");
        }

        @Override
        public void writeStartArray(JsonGenerator g) throws IOException {
            g.writeRaw('[');
        }

        @Override
        public void writeEndArray(JsonGenerator g, int nrOfValues) throws IOException {
            g.writeRaw(']');
        }

        @Override
        public void writeArrayValueSeparator(JsonGenerator g) throws IOException {
            g.writeRaw(", ");
        }

        @Override
        public void beforeArrayValues(JsonGenerator g) throws IOException {}

        @Override
        public void beforeObjectEntries(JsonGenerator g) throws IOException {}
    }
}
