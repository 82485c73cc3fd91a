package org.jqemu.qmp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jqemu.system.device.Device;
import org.jqemu.system.device.DeviceType;
import org.jqemu.system.device.HotplugBus;
import org.jqemu.system.device.PropertyInfo;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.machine.MachineConfig;
import org.jqemu.system.options.ConfigException;
import org.jqemu.system.options.Opts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * device_add / device_del / DEVICE_DELETED through a machine's {@link HotplugBus}: the
 * arguments reach the bus as -device style options, its errors come back in QEMU's words, and a
 * deletion becomes the event QEMU sends. The bus here is a stand-in that records what it is asked.
 */
class DeviceHotplugTest {
    private static final ObjectMapper MAPPER = FakeQmpClient.MAPPER;

    /** A PCI NIC type for this test (registered in META-INF/services of the test classes). */
    public static final class TestNic implements DeviceType {
        @Override
        public String name() {
            return "test-nic";
        }

        @Override
        public String bus() {
            return "PCI";
        }

        @Override
        public String category() {
            return "Network devices";
        }

        @Override
        public String description() {
            return "a NIC for monitor tests";
        }

        @Override
        public List<PropertyInfo> properties() {
            return List.of(new PropertyInfo("netdev", "str", null, "backend"));
        }

        @Override
        public Device create(Machine machine, Opts opts) throws ConfigException {
            String netdev = opts.getString("netdev", null);
            String id = opts.getString("id", "nic");
            if (!"n0".equals(netdev)) {
                throw new ConfigException(opts.option() + " test-nic: Property 'test-nic.netdev' can't find value '"
                        + netdev + "'");
            }
            opts.checkAllUsed();
            Device d = () -> id;
            machine.addDevice(d);
            return d;
        }
    }

    /** Plugs at once; unplug requests are recorded and completed by {@link #eject}. */
    private final class FakeBus implements HotplugBus {
        final List<Device> plugged = new ArrayList<>();
        final List<String> unplugRequests = new ArrayList<>();

        @Override
        public String busName() {
            return "pci.0";
        }

        @Override
        public boolean accepts(DeviceType type) {
            return type.bus().equals("PCI");
        }

        @Override
        public Device plug(DeviceType type, Opts opts, String userId) throws ConfigException {
            Device d = type.create(machine, opts);
            plugged.add(d);
            return d;
        }

        @Override
        public boolean contains(Device device) {
            return plugged.contains(device);
        }

        @Override
        public void requestUnplug(Device device) {
            unplugRequests.add(device.id());
        }

        void eject(Device d) {
            plugged.remove(d);
            machine.removeDevice(d);
            machine.deviceDeleted(null, "/machine/peripheral/" + d.id() + "/virtio-backend");
            machine.deviceDeleted(d.id(), "/machine/peripheral/" + d.id());
        }
    }

    private Machine machine;
    private FakeBus bus;
    private FakeQmpClient client;

    @BeforeEach
    void start() {
        machine = new Machine(new MachineConfig());
        bus = new FakeBus();
        machine.putComponent(HotplugBus.class, bus);
        machine.addDevice(() -> "fixed-isa-thing");
        client = FakeQmpClient.negotiated(new QmpMonitor(machine, Runnable::run));
    }

    @AfterEach
    void close() {
        machine.close();
    }

    private JsonNode run(String request) {
        return client.run(request);
    }

    private String error(String request) {
        return client.error(request);
    }

    @Test
    void deviceAddCreatesThroughTheHotplugBusAndDeviceDelAsksForTheEject() throws Exception {
        assertEquals("{}", run("{\"execute\": \"device_add\", \"arguments\": {\"driver\": \"test-nic\", "
                + "\"netdev\": \"n0\", \"id\": \"hot\", \"bus\": \"pci.0\"}}").get("return").toString());
        assertEquals(1, bus.plugged.size());
        assertEquals("hot", bus.plugged.get(0).id());
        assertEquals("Duplicate device ID 'hot'",
                error("{\"execute\": \"device_add\", \"arguments\": {\"driver\": \"test-nic\", \"id\": \"hot\"}}"));

        assertEquals("{}", run("{\"execute\": \"device_del\", \"arguments\": {\"id\": \"hot\"}}").get("return")
                .toString());
        assertEquals(List.of("hot"), bus.unplugRequests);

        List<String> sent = client.sentDuring(() -> bus.eject(bus.plugged.get(0)));
        assertEquals(2, sent.size(), sent.toString());
        JsonNode first = MAPPER.readTree(sent.get(0));
        JsonNode second = MAPPER.readTree(sent.get(1));
        assertEquals("DEVICE_DELETED", first.get("event").asText());
        assertEquals("{\"path\":\"/machine/peripheral/hot/virtio-backend\"}", first.get("data").toString());
        assertEquals("{\"device\":\"hot\",\"path\":\"/machine/peripheral/hot\"}", second.get("data").toString());
        assertTrue(second.get("timestamp").has("seconds"));
        assertEquals("Device 'hot' not found",
                error("{\"execute\": \"device_del\", \"arguments\": {\"id\": \"hot\"}}"));
    }

    @Test
    void errorsInQemusWords() {
        assertEquals("Property 'test-nic.netdev' can't find value 'nope'",
                error("{\"execute\": \"device_add\", \"arguments\": {\"driver\": \"test-nic\", \"netdev\": \"nope\"}}"));
        assertEquals("Invalid parameter 'speed'", error("{\"execute\": \"device_add\", \"arguments\": "
                + "{\"driver\": \"test-nic\", \"netdev\": \"n0\", \"speed\": 10}}"));
        assertEquals("Bus 'pci.7' not found", error("{\"execute\": \"device_add\", \"arguments\": "
                + "{\"driver\": \"test-nic\", \"bus\": \"pci.7\"}}"));
        assertEquals("Parameter 'id' expects an identifier", error("{\"execute\": \"device_add\", \"arguments\": "
                + "{\"driver\": \"test-nic\", \"id\": \"9lives\"}}"));
        assertEquals("Device 'fixed-isa-thing' does not support hotplugging",
                error("{\"execute\": \"device_del\", \"arguments\": {\"id\": \"fixed-isa-thing\"}}"));
        assertTrue(bus.plugged.isEmpty());
    }

    @Test
    void hmpRoutesToTheSameCommands() {
        JsonNode r = run("{\"execute\": \"human-monitor-command\", \"arguments\": {\"command-line\": "
                + "\"device_add test-nic,netdev=n0,id=h1\"}}");
        assertEquals("", r.get("return").asText());
        assertEquals("h1", bus.plugged.get(0).id());
        r = run("{\"execute\": \"human-monitor-command\", \"arguments\": {\"command-line\": \"device_del h1\"}}");
        assertEquals("", r.get("return").asText());
        assertEquals(List.of("h1"), bus.unplugRequests);
    }

    @Test
    void theSchemaDescribesDeviceDeleted() throws Exception {
        JsonNode schema = run("{\"execute\": \"query-qmp-schema\"}").get("return");
        String argType = null;
        for (JsonNode e : schema) {
            if (e.get("meta-type").asText().equals("event") && e.get("name").asText().equals("DEVICE_DELETED")) {
                argType = e.get("arg-type").asText();
            }
        }
        assertTrue(argType != null, "DEVICE_DELETED is in query-qmp-schema");
        for (JsonNode e : schema) {
            if (e.get("name").asText().equals(argType)) {
                assertEquals(Map.of("device", "str", "path", "str"), Map.of(
                        e.get("members").get(0).get("name").asText(), e.get("members").get(0).get("type").asText(),
                        e.get("members").get(1).get("name").asText(), e.get("members").get(1).get("type").asText()));
                assertTrue(e.get("members").get(0).has("default"), "device is optional: " + e);
                return;
            }
        }
        throw new AssertionError("no type " + argType);
    }
}
