package org.jqemu.qmp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.machine.MachineConfig;
import org.jqemu.system.machine.ShutdownCause;
import org.jqemu.system.memory.RamRegion;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The protocol over a fake transport, on a machine that is built but not started. */
class QmpSessionTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final MachineConfig config = new MachineConfig();
    private Machine machine;
    private QmpMonitor monitor;
    private FakeQmpClient client;
    private QmpSession session;

    private void start() {
        machine = new Machine(config);
        monitor = new QmpMonitor(machine, Runnable::run);
        client = new FakeQmpClient(monitor);
        session = client.session();
    }

    @AfterEach
    void close() {
        if (machine != null) {
            machine.close();
        }
    }

    private List<String> send(String input) {
        return client.send(input);
    }

    private String one(String input) {
        return client.one(input);
    }

    private void negotiate() {
        assertEquals("{\"return\": {}}", one("{\"execute\": \"qmp_capabilities\"}"));
    }

    @Test
    void greetingAsQemu() {
        start();
        assertEquals(List.of("{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 1, \"major\": 0}, "
                + "\"package\": \"jqemu\"}, \"capabilities\": []}}"), client.greeting());
    }

    @Test
    void commandsWaitForNegotiation() {
        start();
        assertEquals("{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"Expecting capabilities negotiation "
                + "with 'qmp_capabilities'\"}, \"id\": 7}", one("{\"execute\": \"query-status\", \"id\": 7}"));
        negotiate();
        assertEquals("{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"Capabilities negotiation is already "
                + "complete, command ignored\"}}", one("{\"execute\": \"qmp_capabilities\"}"));
    }

    @Test
    void oobIsNotOffered() {
        start();
        assertEquals("{\"error\": {\"class\": \"GenericError\", \"desc\": \"Capability 'oob' not available\"}}",
                one("{\"execute\": \"qmp_capabilities\", \"arguments\": {\"enable\": [\"oob\"]}}"));
        assertEquals("{\"error\": {\"class\": \"GenericError\", \"desc\": \"Parameter 'enable[0]' does not accept "
                + "value 'x'\"}}", one("{\"execute\": \"qmp_capabilities\", \"arguments\": {\"enable\": [\"x\"]}}"));
    }

    @Test
    void idIsEchoedVerbatim() {
        start();
        negotiate();
        assertEquals("{\"return\": {\"UUID\": \"00000000-0000-0000-0000-000000000000\"}, "
                + "\"id\": {\"a\": [1, 2.5, null, \"\\u00E9\"]}}",
                one("{\"execute\": \"query-uuid\", \"id\": {\"a\": [1, 2.5, null, \"é\"]}}"));
        assertEquals("{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"The command nope has not been found\"}, "
                + "\"id\": \"x\"}", one("{'execute': 'nope', 'id': 'x'}"));
    }

    @Test
    void malformedRequests() {
        start();
        negotiate();
        assertEquals(error("JSON parse error, expecting value"), one("{\"execute\": }"));
        assertEquals(error("QMP input must be a JSON object"), one("[1]"));
        assertEquals(error("QMP input must be a JSON object"), one("42 "));
        assertEquals(error("QMP input lacks member 'execute'"), one("{}"));
        assertEquals(error("QMP input member 'foo' is unexpected"), one("{\"foo\": 1}"));
        assertEquals(error("QMP input member 'exec-oob' is unexpected"), one("{\"exec-oob\": \"stop\"}"));
        assertEquals(error("QMP input member 'execute' must be a string"), one("{\"execute\": 1}"));
        assertEquals(error("QMP input member 'arguments' must be an object"),
                one("{\"execute\": \"stop\", \"arguments\": []}"));
        // and the connection still works
        assertTrue(one("{\"execute\": \"query-status\"}").startsWith("{\"return\""));
    }

    @Test
    void argumentsAreCheckedWithQemuTexts() {
        start();
        negotiate();
        assertEquals(error("Parameter 'a' is unexpected"), one("{\"execute\": \"stop\", \"arguments\": {\"a\": 1}}"));
        assertEquals(error("Parameter 'val' is missing"),
                one("{\"execute\": \"pmemsave\", \"arguments\": {\"size\": 1, \"filename\": \"f\"}}"));
        assertEquals(error("Invalid parameter type for 'val', expected: integer"),
                one("{\"execute\": \"pmemsave\", \"arguments\": {\"val\": \"0\", \"size\": 1, \"filename\": \"f\"}}"));
        assertEquals(error("Invalid parameter type for 'filename', expected: string"),
                one("{\"execute\": \"pmemsave\", \"arguments\": {\"val\": 0, \"size\": 1, \"filename\": 3}}"));
        assertEquals(error("Parameter 'size' expects uint64"),
                one("{\"execute\": \"pmemsave\", \"arguments\": {\"val\": 0, \"size\": -1, \"filename\": \"f\"}}"));
        assertEquals(error("Invalid parameter type for 'command-line', expected: string"),
                one("{\"execute\": \"human-monitor-command\", \"arguments\": {\"command-line\": true}}"));
    }

    private static String error(String desc) {
        return "{\"error\": {\"class\": \"GenericError\", \"desc\": \"" + desc + "\"}}";
    }

    @Test
    void runStateAndEvents() throws Exception {
        config.startPaused = true;
        start();
        negotiate();
        assertEquals("{\"return\": {\"status\": \"prelaunch\", \"singlestep\": false, \"running\": false}}",
                one("{\"execute\": \"query-status\"}"));
        List<String> r = send("{\"execute\": \"cont\"}");
        assertEquals(2, r.size(), r.toString());
        assertEquals("RESUME", MAPPER.readTree(r.get(0)).get("event").asText());
        assertTrue(MAPPER.readTree(r.get(0)).get("timestamp").get("microseconds").isInt());
        assertEquals("{\"return\": {}}", r.get(1));
        assertEquals("{\"return\": {\"status\": \"running\", \"singlestep\": false, \"running\": true}}",
                one("{\"execute\": \"query-status\"}"));
        r = send("{\"execute\": \"stop\"}");
        assertEquals("STOP", MAPPER.readTree(r.get(0)).get("event").asText());
        assertEquals("{\"return\": \"VM status: paused\\r\\n\"}",
                one("{\"execute\": \"human-monitor-command\", \"arguments\": {\"command-line\": \"info status\"}}"));
        List<String> sent = client.sentDuring(() -> machine.requestShutdown(ShutdownCause.HOST_SIGNAL));
        JsonNode ev = MAPPER.readTree(sent.get(0));
        assertEquals("SHUTDOWN", ev.get("event").asText());
        assertEquals("{\"guest\":false,\"reason\":\"host-signal\"}", ev.get("data").toString());
    }

    @Test
    void noEventsBeforeNegotiation() {
        start();
        assertEquals(List.of(), client.sentDuring(machine::requestPowerdown));
        negotiate();
        List<String> sent = client.sentDuring(machine::requestPowerdown);
        assertEquals(1, sent.size());
        assertTrue(sent.get(0).contains("\"event\": \"POWERDOWN\""), sent.get(0));
    }

    @Test
    void powerdownWithoutButtonIsAnError() {
        start();
        negotiate();
        assertTrue(one("{\"execute\": \"system_powerdown\"}").contains("no power button"));
        List<String> pressed = new ArrayList<>();
        machine.addPowerButton(() -> pressed.add("x"));
        assertEquals("{\"return\": {}}", send("{\"execute\": \"system_powerdown\"}").get(1));
    }

    @Test
    void quitRepliesThenShutsDown() throws Exception {
        start();
        negotiate();
        List<String> r = send("{\"execute\": \"quit\", \"id\": 1}");
        assertEquals("{\"return\": {}, \"id\": 1}", r.get(0));
        assertEquals("host-qmp-quit", MAPPER.readTree(r.get(1)).get("data").get("reason").asText());
        assertTrue(machine.terminating());
    }

    @Test
    void commandListAndSchemaAgree() throws Exception {
        start();
        negotiate();
        JsonNode cmds = MAPPER.readTree(one("{\"execute\": \"query-commands\"}")).get("return");
        Set<String> names = new HashSet<>();
        cmds.forEach(c -> names.add(c.get("name").asText()));
        assertTrue(names.containsAll(Set.of("qmp_capabilities", "query-status", "stop", "cont", "system_reset",
                "system_powerdown", "quit", "human-monitor-command", "pmemsave", "memsave", "query-qmp-schema",
                "query-block", "query-pci", "query-chardev", "device_add", "device_del")), names.toString());
        assertFalse(names.contains("migrate"), "only what jqemu implements");
        JsonNode schema = MAPPER.readTree(one("{\"execute\": \"query-qmp-schema\"}")).get("return");
        Set<String> inSchema = new HashSet<>();
        Set<String> typeNames = new HashSet<>();
        schema.forEach(e -> {
            if (e.get("meta-type").asText().equals("command")) {
                inSchema.add(e.get("name").asText());
            }
            typeNames.add(e.get("name").asText());
        });
        assertEquals(names, inSchema);
        // every type a command refers to is described
        schema.forEach(e -> {
            if (e.has("arg-type")) {
                assertTrue(typeNames.contains(e.get("arg-type").asText()), e.toString());
            }
        });
    }

    @Test
    void pmemsaveWritesGuestMemory(@TempDir Path dir) throws Exception {
        start();
        RamRegion ram = RamRegion.allocate(machine.arena(), "ram", 0x10000, false);
        machine.memory().root().add(0, ram);
        machine.memory().writeBytes(0x1000, "hello, memory".getBytes(StandardCharsets.US_ASCII));
        negotiate();
        Path f = dir.resolve("dump");
        assertEquals("{\"return\": {}}", one("{\"execute\": \"pmemsave\", \"arguments\": {\"val\": 4096, \"size\": 13, "
                + "\"filename\": \"" + f + "\"}}"));
        assertEquals("hello, memory", Files.readString(f));
        assertEquals(error("Could not open '" + dir + "/no/such': No such file or directory"),
                one("{\"execute\": \"pmemsave\", \"arguments\": {\"val\": 0, \"size\": 1, \"filename\": \""
                        + dir + "/no/such\"}}"));
    }

    @Test
    void hmpBridge() {
        start();
        negotiate();
        assertEquals("{\"return\": \"unknown command: 'bogus'\\r\\n\"}",
                one("{\"execute\": \"human-monitor-command\", \"arguments\": {\"command-line\": \"bogus\"}}"));
        assertEquals("{\"return\": \"0.1.0 (jqemu)\\r\\n\"}",
                one("{\"execute\": \"human-monitor-command\", \"arguments\": {\"command-line\": \"info version\"}}"));
        assertTrue(one("{\"execute\": \"human-monitor-command\", \"arguments\": {\"command-line\": \"help\"}}")
                .contains("system_reset"));
    }
}
