package org.jqemu.qmp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A QMP session on an in-memory transport, for tests that drive a {@link QmpMonitor} without a
 * socket: input goes straight to {@link QmpSession#input}, and every message the session sends
 * (greeting, replies, events) is kept without its CRLF.
 */
final class FakeQmpClient {
    static final ObjectMapper MAPPER = new ObjectMapper();

    private final List<String> sent = new ArrayList<>();
    private final QmpSession session;
    private final List<String> greeting;

    FakeQmpClient(QmpMonitor monitor) {
        session = new QmpSession(monitor, new QmpSession.Transport() {
            @Override
            public void send(byte[] bytes) {
                String s = new String(bytes, StandardCharsets.UTF_8);
                assertTrue(s.endsWith("\r\n"), s);
                sent.add(s.substring(0, s.length() - 2));
            }

            @Override
            public long backlog() {
                return 0;
            }

            @Override
            public void setReading(boolean on) {}

            @Override
            public void close() {}

            @Override
            public String describe() {
                return "test";
            }
        }, false);
        session.open();
        greeting = List.copyOf(sent);
    }

    /** What the session sent on opening: QMP's greeting. */
    List<String> greeting() {
        return greeting;
    }

    /** A client that has read the greeting and negotiated capabilities. */
    static FakeQmpClient negotiated(QmpMonitor monitor) {
        FakeQmpClient c = new FakeQmpClient(monitor);
        c.one("{\"execute\": \"qmp_capabilities\"}");
        return c;
    }

    QmpSession session() {
        return session;
    }

    /** Feeds {@code input} and returns every message sent meanwhile. */
    List<String> send(String input) {
        sent.clear();
        byte[] b = input.getBytes(StandardCharsets.UTF_8);
        session.input(b, 0, b.length);
        return new ArrayList<>(sent);
    }

    /** Runs {@code action} (a device event, say) and returns the messages it made the session send. */
    List<String> sentDuring(Runnable action) {
        sent.clear();
        action.run();
        return new ArrayList<>(sent);
    }

    /** Feeds {@code input}, which must produce exactly one message, and returns it. */
    String one(String input) {
        List<String> r = send(input);
        assertEquals(1, r.size(), r.toString());
        return r.get(0);
    }

    /** {@link #one} parsed as JSON. */
    JsonNode run(String request) {
        try {
            return MAPPER.readTree(one(request));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** The error description of a request that must fail. */
    String error(String request) {
        return run(request).get("error").get("desc").asText();
    }

    /** The text an HMP command line prints, through human-monitor-command. */
    String hmp(String line) {
        JsonNode r = run("{\"execute\": \"human-monitor-command\", \"arguments\": {\"command-line\": "
                + MAPPER.valueToTree(line) + "}}");
        return r.get("return").asText();
    }
}
