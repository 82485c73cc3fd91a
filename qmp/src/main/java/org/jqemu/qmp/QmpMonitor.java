package org.jqemu.qmp;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import org.jqemu.system.cli.Listings;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.machine.MachineListener;
import org.jqemu.system.machine.ShutdownCause;

/**
 * The QMP side of one machine, shared by all its monitors: the command registry, the run state
 * that {@code query-status} reports, and the events every negotiated client receives.
 *
 * <p>Commands of all clients run one at a time on the dispatcher (the machine's main loop, without
 * the machine lock, as QEMU runs them in its main loop), so two monitors never race on stop/cont.
 */
public final class QmpMonitor implements MachineListener {
    /** Events this monitor emits, for {@code query-qmp-schema}; the data members of each. */
    static final Map<String, SchemaType.Obj> EVENTS = eventTypes();

    private final Machine machine;
    private final Executor dispatcher;
    private final Map<String, QmpCommand> commands = new LinkedHashMap<>();
    private final List<QmpSession> sessions = new CopyOnWriteArrayList<>();
    private final List<Endpoint> endpoints = new CopyOnWriteArrayList<>();
    private volatile RunState state;
    private final Map<Object, ArrayDeque<Runnable>> queues = new HashMap<>();
    private final ArrayDeque<Object> turns = new ArrayDeque<>();
    private boolean pumping;

    /** A monitor's place in query-chardev: label (compat_monitorN) and QEMU's filename. */
    record Endpoint(String label, String filename) {}

    QmpMonitor(Machine machine, Executor dispatcher) {
        this.machine = machine;
        this.dispatcher = dispatcher;
        this.state = machine.config().startPaused ? RunState.PRELAUNCH : RunState.RUNNING;
        StandardCommands.registerAll(this);
        DisplayCommands.registerAll(this);
        NetCommands.registerAll(this);
        machine.addListener(this);
    }

    Machine machine() {
        return machine;
    }

    void register(QmpCommand command) {
        if (commands.putIfAbsent(command.name(), command) != null) {
            throw new IllegalArgumentException("duplicate QMP command " + command.name());
        }
    }

    QmpCommand command(String name) {
        return commands.get(name);
    }

    Collection<QmpCommand> commands() {
        return commands.values();
    }

    RunState state() {
        return state;
    }

    /**
     * Queues a client's request. Requests run one per dispatcher task, so whatever a command posts
     * to the main loop (a reset) happens before the next command runs, as in QEMU. Clients take
     * turns: one that queued many commands delays another by at most one command.
     *
     * @param client whose request this is (requests of one client run in order)
     */
    void dispatch(Object client, Runnable work) {
        boolean idle;
        synchronized (queues) {
            ArrayDeque<Runnable> q = queues.computeIfAbsent(client, k -> new ArrayDeque<>());
            if (q.isEmpty()) {
                turns.add(client);
            }
            q.add(work);
            idle = !pumping;
            pumping = true;
        }
        if (idle) {
            dispatcher.execute(this::runOne);
        }
    }

    private void runOne() {
        Runnable work = null;
        synchronized (queues) {
            Object client = turns.poll();
            if (client != null) {
                ArrayDeque<Runnable> q = queues.get(client);
                work = q.poll();
                if (q.isEmpty()) {
                    queues.remove(client);
                } else {
                    turns.add(client); // to the back of the line
                }
            }
        }
        try {
            if (work != null) {
                work.run();
            }
        } finally {
            boolean more;
            synchronized (queues) {
                more = !turns.isEmpty();
                pumping = more;
            }
            if (more) {
                dispatcher.execute(this::runOne);
            }
        }
    }

    void addSession(QmpSession s) {
        sessions.add(s);
    }

    void removeSession(QmpSession s) {
        sessions.remove(s);
    }

    void addEndpoint(Endpoint e) {
        endpoints.add(e);
    }

    List<Endpoint> endpoints() {
        return new ArrayList<>(endpoints);
    }

    ObjectNode greeting() {
        ObjectNode qmp = Json.object();
        qmp.set("version", version());
        qmp.set("capabilities", Json.array());
        ObjectNode g = Json.object();
        g.set("QMP", qmp);
        return g;
    }

    /** query-version's reply: jqemu's own version, "jqemu" as the package. */
    static ObjectNode version() {
        String[] parts = Listings.VERSION.split("\\.");
        ObjectNode q = Json.object();
        q.put("micro", parts.length > 2 ? Integer.parseInt(parts[2]) : 0);
        q.put("minor", parts.length > 1 ? Integer.parseInt(parts[1]) : 0);
        q.put("major", Integer.parseInt(parts[0]));
        ObjectNode v = Json.object();
        v.set("qemu", q);
        v.put("package", "jqemu");
        return v;
    }

    // ---- run state and events ------------------------------------------------------------------

    @Override
    public void stopped() {
        if (state != RunState.SHUTDOWN) {
            state = RunState.PAUSED;
        }
        emit("STOP", null);
    }

    @Override
    public void resumed() {
        state = RunState.RUNNING;
        emit("RESUME", null);
    }

    @Override
    public void reset(ShutdownCause cause) {
        if (state != RunState.RUNNING) {
            state = RunState.PRELAUNCH; // as QEMU: a reset VM that is not running waits like -S
        }
        emit("RESET", causeData(cause));
    }

    @Override
    public void shutdown(ShutdownCause cause) {
        if (machine.config().noShutdown && cause.fromGuest()) {
            state = RunState.SHUTDOWN;
        }
        emit("SHUTDOWN", causeData(cause));
    }

    @Override
    public void powerdown() {
        emit("POWERDOWN", null);
    }

    @Override
    public void deviceDeleted(String id, String path) {
        ObjectNode d = Json.object();
        if (id != null) {
            d.put("device", id);
        }
        d.put("path", path);
        emit("DEVICE_DELETED", d);
    }

    private static ObjectNode causeData(ShutdownCause cause) {
        ObjectNode d = Json.object();
        d.put("guest", cause.fromGuest());
        d.put("reason", cause.qemuName());
        return d;
    }

    /** Sends an event, timestamped now, to every negotiated client. */
    void emit(String name, ObjectNode data) {
        Instant now = Instant.now();
        ObjectNode ts = Json.object();
        ts.put("seconds", now.getEpochSecond());
        ts.put("microseconds", now.getNano() / 1000);
        ObjectNode event = Json.object();
        event.set("timestamp", ts);
        event.put("event", name);
        if (data != null) {
            event.set("data", data);
        }
        for (QmpSession s : sessions) {
            s.event(event);
        }
    }

    private static Map<String, SchemaType.Obj> eventTypes() {
        SchemaType.Obj cause = SchemaType.object("ShutdownEventData",
                SchemaType.required("guest", SchemaType.BOOL),
                SchemaType.required("reason", new SchemaType.Enum("ShutdownCause", causeNames())));
        Map<String, SchemaType.Obj> m = new LinkedHashMap<>();
        m.put("STOP", SchemaType.EMPTY);
        m.put("RESUME", SchemaType.EMPTY);
        m.put("RESET", cause);
        m.put("SHUTDOWN", cause);
        m.put("POWERDOWN", SchemaType.EMPTY);
        m.put("DEVICE_DELETED", SchemaType.object("q_obj_DEVICE_DELETED-arg",
                SchemaType.optional("device", SchemaType.STR), SchemaType.required("path", SchemaType.STR)));
        return m;
    }

    private static List<String> causeNames() {
        List<String> l = new ArrayList<>();
        for (ShutdownCause c : ShutdownCause.values()) {
            l.add(c.qemuName());
        }
        return l;
    }
}
