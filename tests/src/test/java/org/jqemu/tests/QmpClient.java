package org.jqemu.tests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A plain QMP client for tests: one JSON message per line, replies matched in order, events kept
 * in arrival order. A reader thread feeds a queue so every wait has a timeout.
 */
final class QmpClient implements AutoCloseable {
    static final ObjectMapper MAPPER = new ObjectMapper();

    private final SocketChannel channel;
    private final BlockingQueue<JsonNode> incoming = new ArrayBlockingQueue<>(10_000);
    private final List<JsonNode> events = new ArrayList<>();
    final JsonNode greeting;

    private QmpClient(SocketChannel channel) throws IOException, InterruptedException {
        this.channel = channel;
        BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel),
                StandardCharsets.US_ASCII));
        Thread.ofPlatform().daemon(true).name("qmp-test-reader").start(() -> {
            try {
                String line;
                while ((line = in.readLine()) != null) {
                    incoming.put(MAPPER.readTree(line));
                }
            } catch (IOException | InterruptedException e) {
                // connection closed
            }
        });
        greeting = next(10);
    }

    /** Connects, waiting up to 30 s for jqemu to create the socket. */
    static QmpClient connect(SocketAddress address) throws IOException, InterruptedException {
        return connect(address, 30);
    }

    /** Connects, waiting up to {@code seconds} for jqemu to create the socket. */
    static QmpClient connect(SocketAddress address, long seconds) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (true) {
            try {
                if (address instanceof UnixDomainSocketAddress u && !Files.exists(u.getPath())) {
                    throw new IOException("no socket yet");
                }
                SocketChannel ch = address instanceof UnixDomainSocketAddress
                        ? SocketChannel.open(StandardProtocolFamily.UNIX) : SocketChannel.open();
                ch.connect(address);
                return new QmpClient(ch);
            } catch (IOException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(50);
            }
        }
    }

    /** The next message (reply or event), or an AssertionError after {@code seconds}. */
    JsonNode next(int seconds) throws InterruptedException {
        JsonNode m = incoming.poll(seconds, TimeUnit.SECONDS);
        if (m == null) {
            throw new AssertionError("no QMP message within " + seconds + " s");
        }
        return m;
    }

    void sendRaw(byte[] bytes) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        while (b.hasRemaining()) {
            channel.write(b);
        }
    }

    void sendRaw(String s) throws IOException {
        sendRaw(s.getBytes(StandardCharsets.UTF_8));
    }

    /** Sends a command; returns its reply (a "return" or "error" object); events are kept. */
    JsonNode execute(String command, Object... keyValues) throws IOException, InterruptedException {
        ObjectNode req = MAPPER.createObjectNode();
        req.put("execute", command);
        if (keyValues.length > 0) {
            req.set("arguments", MAPPER.valueToTree(toMap(keyValues)));
        }
        sendRaw(MAPPER.writeValueAsString(req) + "\n");
        return reply();
    }

    /** The next reply; events before it are kept for {@link #event}. */
    JsonNode reply() throws InterruptedException {
        while (true) {
            JsonNode m = next(20);
            if (m.has("event")) {
                events.add(m);
            } else {
                return m;
            }
        }
    }

    /** The "return" member of a successful command. */
    JsonNode ok(String command, Object... keyValues) throws IOException, InterruptedException {
        JsonNode r = execute(command, keyValues);
        if (!r.has("return")) {
            throw new AssertionError(command + " failed: " + r);
        }
        return r.get("return");
    }

    /** Waits for the event {@code name} (already received or arriving), and consumes it. */
    JsonNode event(String name) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (true) {
            for (int i = 0; i < events.size(); i++) {
                if (events.get(i).get("event").asText().equals(name)) {
                    return events.remove(i);
                }
            }
            long left = deadline - System.nanoTime();
            JsonNode m = left > 0 ? incoming.poll(left, TimeUnit.NANOSECONDS) : null;
            if (m == null) {
                throw new AssertionError("no " + name + " event; have " + events);
            }
            if (!m.has("event")) {
                throw new AssertionError("unexpected reply " + m + " while waiting for " + name);
            }
            events.add(m);
        }
    }

    private static java.util.Map<String, Object> toMap(Object[] kv) {
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
