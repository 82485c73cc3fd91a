package org.jqemu.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.UnixDomainSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ACPI PCI hotplug on the {@code pc} machine against Debian's amd64 kernel (its built-in acpiphp
 * driver), in one boot: QMP {@code device_add virtio-net-pci} makes a NIC appear in the running
 * guest (a new PCI function bound to virtio-pci, and eth0 with the MAC we chose); QMP
 * {@code device_del} asks the guest to eject it, the guest's {@code _EJ0} removes it, QMP sends
 * DEVICE_DELETED for the virtio backend and then the device, and query-pci no longer lists it.
 * Then the same through HMP (human-monitor-command): {@code device_add} and {@code device_del} of
 * a second NIC on the netdev the first one gave back.
 */
class HotplugLinuxTest {
    /** The shared limits (see {@link Timeouts}): a boot, then each guest step. */
    private static final long BOOT_SECONDS = Timeouts.BOOT;
    private static final long GUEST_SECONDS = Timeouts.STEP;
    private static final int VIRTIO_NET_MODERN = 0x1041;

    @TempDir
    Path dir;

    @Test
    void deviceAddAndDeviceDelOfAVirtioNicReachTheLinuxGuest() throws Exception {
        Path g = LinuxBootTest.guest("amd64");
        // Each step waits for the host's next move; "w COND NAME" polls once a second.
        String script = """
                w() { i=0; while ! eval "$1"; do i=$((i+1)); [ $i -gt 240 ] && break; sleep 1; done; echo "$2-after=$i"; }
                pcils() { for d in /sys/bus/pci/devices/*; do
                  echo "pci $(basename $d) $(cat $d/vendor):$(cat $d/device) driver=$(basename "$(readlink $d/driver)")"; done; }
                echo "slots: $(ls /sys/bus/pci/slots | tr '\\n' ' ')"
                echo HP-READY
                w '[ -e /sys/class/net/eth0 ]' hp-added
                pcils
                echo "eth0-mac=$(cat /sys/class/net/eth0/address)"
                echo HP-SEEN
                w '[ ! -e /sys/class/net/eth0 ]' hp-removed
                echo "after-removal: $(ls /sys/bus/pci/devices | tr '\\n' ' ')"
                echo HP-GONE
                w '[ -e /sys/class/net/eth1 ] || [ -e /sys/class/net/eth0 ]' hmp-added
                echo "nics: $(ls /sys/class/net | tr '\\n' ' ')"
                echo HMP-SEEN
                w '[ ! -e /sys/class/net/eth1 ] && [ ! -e /sys/class/net/eth0 ]' hmp-removed
                """;
        Path qmpSock = dir.resolve("qmp.sock");
        List<String> args = new ArrayList<>(List.of("-machine", "pc", "-m", "512",
                "-kernel", g.resolve("vmlinuz").toString(), "-initrd", g.resolve("initrd.gz").toString(),
                "-append", "console=ttyS0 jqemu.run="
                        + Base64.getEncoder().encodeToString(script.getBytes(StandardCharsets.UTF_8)),
                "-display", "none", "-serial", "stdio", "-no-reboot",
                "-qmp", "unix:" + qmpSock + ",server=on,wait=off",
                "-netdev", "stream,id=n0,server=on,addr.type=unix,addr.path=" + dir.resolve("n0.sock"),
                "-netdev", "stream,id=n1,server=on,addr.type=unix,addr.path=" + dir.resolve("n1.sock")));
        try (JqemuSession vm = JqemuSession.start(dir, args)) {
            Matcher slots = vm.expect("slots: ([0-9 ]*)\r?\n", BOOT_SECONDS);
            assertTrue((" " + slots.group(1)).contains(" 3 "), "acpiphp registered slot 3 from _SUN:\n" + vm.output());
            vm.expect("HP-READY", GUEST_SECONDS);
            // connected once the guest is up: the greeting's 10 s limit holds on a loaded host
            try (QmpClient qmp = QmpClient.connect(UnixDomainSocketAddress.of(qmpSock))) {
                qmp.ok("qmp_capabilities");
                hotplugAndUnplug(vm, qmp);
            }
            vm.expect("JQEMU-GUEST-POWEROFF", GUEST_SECONDS);
            assertEquals(0, vm.waitFor(120), "exit status after power-off; stderr: " + vm.errors());
        }
    }

    private void hotplugAndUnplug(JqemuSession vm, QmpClient qmp) throws Exception {
        // --- QMP device_add: the guest's acpiphp finds the function and virtio_net binds ---
        qmp.ok("device_add", "driver", "virtio-net-pci", "netdev", "n0", "id", "hotnet", "mac", "52:54:00:12:34:77");
        JsonNode added = virtioNet(qmp);
        assertTrue(added != null, "query-pci lists the new NIC: " + qmp.ok("query-pci"));
        int slot = added.get("slot").asInt();
        Matcher after = vm.expect("hp-added-after=(\\d+)", GUEST_SECONDS);
        assertTrue(Integer.parseInt(after.group(1)) <= 240, "eth0 never appeared:\n" + vm.output());
        vm.expect(String.format("pci 0000:00:%02x.0 0x1af4:0x1041 driver=virtio-pci", slot), 60);
        vm.expect("eth0-mac=52:54:00:12:34:77", 60);
        vm.expect("HP-SEEN", 60);
        JsonNode dup = qmp.execute("device_add", "driver", "virtio-net-pci", "netdev", "n1", "id", "hotnet");
        assertEquals("Duplicate device ID 'hotnet'", dup.get("error").get("desc").asText());

        // --- QMP device_del: eject request, the guest's _EJ0, DEVICE_DELETED ---
        qmp.ok("device_del", "id", "hotnet");
        JsonNode backend = deviceDeleted(qmp);
        assertEquals("{\"path\":\"/machine/peripheral/hotnet/virtio-backend\"}", backend.get("data").toString());
        JsonNode dev = deviceDeleted(qmp);
        assertEquals("{\"device\":\"hotnet\",\"path\":\"/machine/peripheral/hotnet\"}", dev.get("data").toString());
        Matcher removed = vm.expect("hp-removed-after=(\\d+)", GUEST_SECONDS);
        assertTrue(Integer.parseInt(removed.group(1)) <= 240, "eth0 never went away:\n" + vm.output());
        Matcher left = vm.expect("after-removal: ([^\r\n]*)\r?\n", 60);
        assertTrue(!left.group(1).contains(String.format("0000:00:%02x.0", slot)), left.group(0));
        assertEquals(null, virtioNet(qmp), "query-pci after the eject: " + qmp.ok("query-pci"));
        assertEquals("DeviceNotFound", qmp.execute("device_del", "id", "hotnet").get("error").get("class").asText());
        vm.expect("HP-GONE", 60);

        // --- the same through HMP, on the netdev the deleted NIC gave back ---
        assertEquals("", qmp.ok("human-monitor-command", "command-line",
                "device_add virtio-net-pci,netdev=n0,id=hmpnet,mac=52:54:00:12:34:78").asText());
        vm.expect("hmp-added-after=\\d+", GUEST_SECONDS);
        vm.expect("HMP-SEEN", 60);
        String info = qmp.ok("human-monitor-command", "command-line", "info pci").asText();
        assertTrue(info.contains("Ethernet controller: PCI device 1af4:1041"), info);
        assertEquals("", qmp.ok("human-monitor-command", "command-line", "device_del hmpnet").asText());
        assertEquals("/machine/peripheral/hmpnet/virtio-backend", deviceDeleted(qmp).get("data").get("path").asText());
        assertEquals("hmpnet", deviceDeleted(qmp).get("data").get("device").asText());
        vm.expect("hmp-removed-after=\\d+", GUEST_SECONDS);
    }

    /** query-pci's virtio-net function on bus 0, or null. */
    private static JsonNode virtioNet(QmpClient qmp) throws Exception {
        for (JsonNode d : qmp.ok("query-pci").get(0).get("devices")) {
            if (d.get("id").get("vendor").asInt() == 0x1af4 && d.get("id").get("device").asInt() == VIRTIO_NET_MODERN) {
                return d;
            }
        }
        return null;
    }

    /** The next DEVICE_DELETED: the guest has to run its GPE handler and _EJ0 first. */
    private static JsonNode deviceDeleted(QmpClient qmp) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(GUEST_SECONDS);
        while (true) {
            try {
                return qmp.event("DEVICE_DELETED");
            } catch (AssertionError e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
            }
        }
    }
}
