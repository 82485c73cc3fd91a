package org.jqemu.qmp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.jqemu.system.machine.Machine;
import org.jqemu.system.machine.MachineConfig;
import org.jqemu.system.net.NetBackends;
import org.jqemu.system.net.NetFrontend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** QMP set_link and HMP set_link against a NIC registered with the machine's NetBackends. */
class NetCommandsTest {
    private final Machine machine = new Machine(new MachineConfig());
    private FakeQmpClient client;
    private boolean nicUp = true;

    private void start() {
        NetBackends nets = new NetBackends(Runnable::run);
        machine.putComponent(NetBackends.class, nets);
        nets.addNic("nic0", "virtio-net-pci", new NetFrontend() {
            @Override
            public boolean canReceive() {
                return true;
            }

            @Override
            public void receive(byte[] frame, int off, int len) {}

            @Override
            public void setLinkUp(boolean up) {
                nicUp = up;
            }
        });
        client = FakeQmpClient.negotiated(new QmpMonitor(machine, Runnable::run));
    }

    @AfterEach
    void close() {
        machine.close();
    }

    private String one(String input) {
        return client.one(input);
    }

    private String hmp(String line) {
        return one("{\"execute\": \"human-monitor-command\", \"arguments\": {\"command-line\": \"" + line + "\"}}");
    }

    @Test
    void qmpSetLinkSwitchesTheNicAndNamesAnUnknownDevice() {
        start();
        assertEquals("{\"return\": {}}", one("{\"execute\": \"set_link\", \"arguments\": {\"name\": \"nic0\", \"up\": false}}"));
        assertFalse(nicUp);
        assertEquals("{\"return\": {}}", one("{\"execute\": \"set_link\", \"arguments\": {\"name\": \"nic0\", \"up\": true}}"));
        assertTrue(nicUp);
        assertEquals("{\"error\": {\"class\": \"DeviceNotFound\", \"desc\": \"Device 'eth9' not found\"}}",
                one("{\"execute\": \"set_link\", \"arguments\": {\"name\": \"eth9\", \"up\": true}}"));
        assertEquals("{\"error\": {\"class\": \"GenericError\", \"desc\": \"Parameter 'up' is missing\"}}",
                one("{\"execute\": \"set_link\", \"arguments\": {\"name\": \"nic0\"}}"));
    }

    @Test
    void hmpSetLinkTakesOnOrOff() {
        start();
        assertEquals("{\"return\": \"\"}", hmp("set_link nic0 off"));
        assertFalse(nicUp);
        assertEquals("{\"return\": \"\"}", hmp("set_link nic0 on"));
        assertTrue(nicUp);
        assertEquals("{\"return\": \"Expected 'on' or 'off'\\r\\n\"}", hmp("set_link nic0 maybe"));
        assertEquals("{\"return\": \"Error: Device 'eth9' not found\\r\\n\"}", hmp("set_link eth9 off"));
        assertTrue(hmp("help set_link").contains("set_link name on|off -- change the link status of a network adapter"));
    }
}
