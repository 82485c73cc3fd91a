package org.jqemu.qmp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import org.jqemu.system.machine.Machine;

/** One command being run: its checked arguments, the monitor it came from, and its machine. */
public final class QmpCall {
    private final QmpMonitor monitor;
    private final QmpSession session;
    private final ObjectNode args;
    private final List<Runnable> afterReply = new ArrayList<>();

    QmpCall(QmpMonitor monitor, QmpSession session, ObjectNode args) {
        this.monitor = monitor;
        this.session = session;
        this.args = args;
    }

    public Machine machine() {
        return monitor.machine();
    }

    QmpMonitor monitor() {
        return monitor;
    }

    QmpSession session() {
        return session;
    }

    public ObjectNode args() {
        return args;
    }

    public String string(String name) {
        JsonNode v = args.get(name);
        return v == null ? null : v.asText();
    }

    public long integer(String name, long def) {
        JsonNode v = args.get(name);
        return v == null ? def : v.asLong();
    }

    public boolean bool(String name, boolean def) {
        JsonNode v = args.get(name);
        return v == null ? def : v.asBoolean();
    }

    /** Runs {@code action} once the reply has been queued (quit: reply first, then end the VM). */
    public void afterReply(Runnable action) {
        afterReply.add(action);
    }

    List<Runnable> afterReplyActions() {
        return afterReply;
    }
}
