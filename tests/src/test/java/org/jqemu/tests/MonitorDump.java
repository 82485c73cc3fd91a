package org.jqemu.tests;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * What a guest that stopped making progress was doing, asked from jqemu's QMP monitor as a person
 * would from HMP: {@code info status}, {@code info cpus}, {@code info registers -a}. A stuck
 * main loop must not stall the failure report, so every answer has a short limit and a missing
 * answer is reported as such.
 */
final class MonitorDump {
    static final List<String> COMMANDS = List.of("info status", "info cpus", "info registers -a");
    private static final int REPLY_SECONDS = 10;

    private MonitorDump() {}

    static String of(Path qmpSocket) {
        if (!Files.exists(qmpSocket)) {
            return "(no monitor: jqemu never opened " + qmpSocket + ")\n";
        }
        StringBuilder out = new StringBuilder();
        try (QmpClient qmp = QmpClient.connect(UnixDomainSocketAddress.of(qmpSocket), 5)) {
            command(qmp, "{\"execute\": \"qmp_capabilities\"}");
            for (String hmp : COMMANDS) {
                JsonNode r = command(qmp, "{\"execute\": \"human-monitor-command\", \"arguments\": {\"command-line\": "
                        + QmpClient.MAPPER.writeValueAsString(hmp) + "}}");
                out.append("(qemu) ").append(hmp).append('\n')
                        .append(r.has("return") ? r.get("return").asText().replace("\r\n", "\n") : r.toString() + "\n");
            }
        } catch (AssertionError | Exception e) {
            out.append("(the monitor did not answer: ").append(e.getMessage()).append(")\n");
        }
        return out.toString();
    }

    /** Sends one request and returns its reply, skipping events. */
    private static JsonNode command(QmpClient qmp, String json) throws Exception {
        qmp.sendRaw(json + "\n");
        while (true) {
            JsonNode m = qmp.next(REPLY_SECONDS);
            if (!m.has("event")) {
                return m;
            }
        }
    }
}
