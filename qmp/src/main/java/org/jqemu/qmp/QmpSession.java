package org.jqemu.qmp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One QMP conversation with one client, whatever carries it (a socket, a chardev): greeting,
 * capabilities negotiation, commands in order, replies with the client's {@code id}, and events.
 *
 * <p>Bytes arrive on the transport's thread and are split and parsed there; commands run one at a
 * time on the machine's monitor dispatcher, in the order they arrived. A client may have
 * {@link #MAX_IN_FLIGHT} commands waiting; beyond that its transport stops reading, so a client
 * that floods us feels back-pressure instead of growing our queues. Events for a client whose
 * unsent output exceeds {@link #MAX_EVENT_BACKLOG} are dropped (and logged), so a client that does
 * not read never holds up the VM or the other monitors.
 */
final class QmpSession implements JsonStreamSplitter.Sink {
    private static final Logger LOG = LoggerFactory.getLogger(QmpSession.class);

    static final int MAX_IN_FLIGHT = 8;
    static final long MAX_EVENT_BACKLOG = 1 << 20;

    /** What carries the session's bytes. */
    interface Transport {
        /** Queues bytes for the client; never blocks. Silently drops them once the client is gone. */
        void send(byte[] bytes);

        /** Bytes queued for the client and not yet written. */
        long backlog();

        /** Stops or restarts reading the client's input (back-pressure). */
        void setReading(boolean on);

        /** Hangs up once what is queued has been sent. */
        void close();

        /** For log messages. */
        String describe();
    }

    private final QmpMonitor monitor;
    private final Transport transport;
    private final boolean pretty;
    private final JsonStreamSplitter splitter = new JsonStreamSplitter(this);
    private volatile boolean negotiated;
    private volatile boolean open;
    private int inFlight;
    private boolean inputEnded;
    private final AtomicLong droppedEvents = new AtomicLong();

    QmpSession(QmpMonitor monitor, Transport transport, boolean pretty) {
        this.monitor = monitor;
        this.transport = transport;
        this.pretty = pretty;
    }

    /** The client connected: greet it and start listening. */
    void open() {
        open = true;
        negotiated = false;
        send(monitor.greeting());
        monitor.addSession(this);
    }

    /** The client left (or the transport closed); commands already queued still run, unanswered. */
    void closed() {
        open = false;
        monitor.removeSession(this);
    }

    boolean isOpen() {
        return open;
    }

    boolean negotiated() {
        return negotiated;
    }

    void setNegotiated() {
        negotiated = true;
    }

    /** Input from the client, on the transport's thread. */
    void input(byte[] data, int off, int len) {
        splitter.feed(data, off, len);
    }

    /** The client will send nothing more: hang up after answering what it sent. */
    void inputEnded() {
        boolean now;
        synchronized (this) {
            inputEnded = true;
            now = inFlight == 0;
        }
        if (now) {
            transport.close();
        }
    }

    @Override
    public void text(byte[] text, int len) {
        JsonNode request;
        try {
            request = Json.parse(text, len);
        } catch (QmpException e) {
            submit(() -> send(error(e, null)));
            return;
        }
        submit(() -> execute(request));
    }

    @Override
    public void error(String desc) {
        QmpException e = QmpException.generic(desc);
        submit(() -> send(error(e, null)));
    }

    private void submit(Runnable work) {
        synchronized (this) {
            if (++inFlight >= MAX_IN_FLIGHT) {
                transport.setReading(false);
            }
        }
        monitor.dispatch(this, () -> {
            try {
                work.run();
            } finally {
                boolean hangUp;
                synchronized (this) {
                    if (--inFlight < MAX_IN_FLIGHT) {
                        transport.setReading(true);
                    }
                    hangUp = inputEnded && inFlight == 0;
                }
                if (hangUp) {
                    transport.close();
                }
            }
        });
    }

    /** Runs one request on the dispatcher and sends its reply. */
    private void execute(JsonNode request) {
        JsonNode id = request.isObject() ? request.get("id") : null;
        QmpCall call;
        JsonNode result;
        try {
            ParsedRequest r = check(request);
            QmpCommand command = monitor.command(r.name());
            if (!negotiated && !r.name().equals("qmp_capabilities")) {
                throw new QmpException("CommandNotFound", "Expecting capabilities negotiation with 'qmp_capabilities'");
            }
            if (negotiated && r.name().equals("qmp_capabilities")) {
                throw new QmpException("CommandNotFound", "Capabilities negotiation is already complete, command ignored");
            }
            if (command == null) {
                throw new QmpException("CommandNotFound", "The command " + r.name() + " has not been found");
            }
            SchemaType.checkMembers(command.args(), r.args(), "");
            call = new QmpCall(monitor, this, r.args());
            result = command.handler().run(call);
        } catch (QmpException e) {
            send(error(e, id));
            return;
        } catch (RuntimeException e) {
            LOG.error("QMP command failed: {}", request, e);
            send(error(QmpException.generic("internal error: " + e), id));
            return;
        }
        ObjectNode reply = Json.object();
        reply.set("return", result);
        if (id != null) {
            reply.set("id", id);
        }
        send(reply);
        for (Runnable action : call.afterReplyActions()) {
            action.run();
        }
    }

    private record ParsedRequest(String name, ObjectNode args) {}

    /** The members of a request, with QEMU's messages for malformed ones. */
    private static ParsedRequest check(JsonNode request) throws QmpException {
        if (!request.isObject()) {
            throw QmpException.generic("QMP input must be a JSON object");
        }
        String name = null;
        ObjectNode args = Json.object();
        for (Map.Entry<String, JsonNode> e : request.properties()) {
            switch (e.getKey()) {
                case "execute" -> {
                    if (!e.getValue().isTextual()) {
                        throw QmpException.generic("QMP input member 'execute' must be a string");
                    }
                    name = e.getValue().asText();
                }
                case "arguments" -> {
                    if (!e.getValue().isObject()) {
                        throw QmpException.generic("QMP input member 'arguments' must be an object");
                    }
                    args = (ObjectNode) e.getValue();
                }
                case "id" -> { }
                // exec-oob too: out-of-band execution is not offered in the greeting.
                default -> throw QmpException.generic("QMP input member '" + e.getKey() + "' is unexpected");
            }
        }
        if (name == null) {
            throw QmpException.generic("QMP input lacks member 'execute'");
        }
        return new ParsedRequest(name, args);
    }

    private static ObjectNode error(QmpException e, JsonNode id) {
        ObjectNode err = Json.object();
        err.put("class", e.errorClass());
        err.put("desc", e.getMessage());
        ObjectNode reply = Json.object();
        reply.set("error", err);
        if (id != null) {
            reply.set("id", id);
        }
        return reply;
    }

    /** An event for every negotiated client; dropped for one that stopped reading. */
    void event(ObjectNode event) {
        if (!open || !negotiated) {
            return;
        }
        if (transport.backlog() > MAX_EVENT_BACKLOG) {
            if (droppedEvents.getAndIncrement() == 0) {
                LOG.warn("QMP client {} does not read its output; dropping events for it", transport.describe());
            }
            return;
        }
        send(event);
    }

    private void send(JsonNode message) {
        if (open) {
            transport.send(Json.encode(message, pretty));
        }
    }

}
