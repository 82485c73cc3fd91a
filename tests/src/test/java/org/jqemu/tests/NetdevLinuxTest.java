package org.jqemu.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code -netdev} backends beyond stream and user, with Debian's amd64 kernel and its
 * virtio_net driver on the {@code pc} machine: a tap to the host (the guest pings the host's end
 * of the tap, a host-local interface), link up/down through QMP and HMP {@code set_link} as the
 * guest's carrier, and two guests on a datagram link (unix sockets) or a multicast bus on the
 * loopback interface. Nothing leaves this machine.
 *
 * <p>Every wait is bounded (a boot gets {@link Timeouts#BOOT}; -Djqemu.test.timeScale=N stretches
 * every limit) so a stuck guest fails fast with its serial output.
 */
class NetdevLinuxTest {
    /** Seconds for one boot. */
    private static final long BOOT_TIMEOUT = Timeouts.BOOT;
    private static final String HOST_IP = "10.213.77.1";
    private static final String GUEST_IP = "10.213.77.2";

    @TempDir
    Path dir;

    /**
     * One boot. jqemu creates the tap and runs a {@code script=} that gives the host side an
     * address; the guest pings it; then QMP {@code set_link} takes the NIC's link down — the guest
     * sees carrier 0 and the host's pings go unanswered — and HMP {@code set_link} on the netdev
     * brings it back: carrier 1 and pings pass again.
     */
    @Test
    void guestPingsHostOverTapAndSetLinkSwitchesCarrier() throws Exception {
        Assumptions.assumeTrue(Files.isReadable(Path.of("/dev/net/tun")), "no /dev/net/tun on this host");
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")),
                "creating a tap needs root (or CAP_NET_ADMIN); these tests run as " + System.getProperty("user.name"));
        String tap = "jqnt" + (ProcessHandle.current().pid() % 100000);
        Process probe = new ProcessBuilder("ip", "tuntap", "add", "dev", tap, "mode", "tap").redirectErrorStream(true).start();
        String why = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        Assumptions.assumeTrue(probe.waitFor() == 0, "this host refuses to create a tap: " + why);
        new ProcessBuilder("ip", "tuntap", "del", "dev", tap, "mode", "tap").start().waitFor();
        Path g = VirtioGuests.stable(dir);
        Path ifup = dir.resolve("ifup");
        Files.writeString(ifup, "#!/bin/sh\nip addr add " + HOST_IP + "/24 dev \"$1\" && ip link set \"$1\" up\n");
        assertTrue(ifup.toFile().setExecutable(true));
        Path qmpSocket = dir.resolve("qmp.sock");
        String carrier = "$(cat /sys/class/net/eth0/carrier)";
        String script = """
                ip link set eth0 up; ip addr add %2$s/24 dev eth0
                i=0; until ping -c 1 -W 2 %1$s >/dev/null 2>&1; do i=$((i+1)); [ $i -gt 120 ] && break; sleep 1; done
                echo "first-reply-after=$i"
                ping -c 3 -W 10 %1$s
                echo "carrier=%3$s READY-FOR-LINK-DOWN"
                i=0; until [ "%3$s" = 0 ]; do i=$((i+1)); [ $i -gt 200 ] && break; sleep 1; done
                echo "carrier-down=%3$s operstate=$(cat /sys/class/net/eth0/operstate)"
                i=0; until [ "%3$s" = 1 ]; do i=$((i+1)); [ $i -gt 200 ] && break; sleep 1; done
                echo "carrier-up=%3$s"
                i=0; until ping -c 1 -W 2 %1$s >/dev/null 2>&1; do i=$((i+1)); [ $i -gt 60 ] && break; sleep 1; done
                echo "reply-after-up=$i"
                """.formatted(HOST_IP, GUEST_IP, carrier);
        List<String> args = VirtioGuests.args(g, script);
        args.addAll(List.of("-netdev", "tap,id=n0,ifname=" + tap + ",script=" + ifup + ",downscript=no,vhost=off",
                "-device", "virtio-net-pci,netdev=n0,id=nic0,mac=52:54:00:12:34:77",
                "-qmp", "unix:" + qmpSocket + ",server=on,wait=off"));
        try (JqemuSession vm = JqemuSession.start(dir, args)) {
            vm.expect("JQEMU-GUEST-RUN", BOOT_TIMEOUT);
            Matcher ping = vm.expect("(\\d+) packets transmitted, (\\d+) packets received", 240);
            assertEquals("3", ping.group(2), "the guest's pings to the host's tap address:\n" + vm.output());
            vm.expect("carrier=1 READY-FOR-LINK-DOWN", 60);
            assertTrue(Files.exists(Path.of("/sys/class/net", tap)), "jqemu created no " + tap);
            InetAddress guest = InetAddress.getByName(GUEST_IP);
            assertTrue(guest.isReachable(5000), "the host cannot reach the guest with the link up");
            try (QmpClient qmp = QmpClient.connect(UnixDomainSocketAddress.of(qmpSocket))) {
                qmp.ok("qmp_capabilities");
                qmp.ok("set_link", "name", "nic0", "up", false);
                vm.expect("carrier-down=0 operstate=down", 120);
                assertFalse(guest.isReachable(3000), "the host reached the guest through a downed link");
                JsonNode r = qmp.ok("human-monitor-command", "command-line", "set_link n0 on");
                assertEquals("", r.asText());
                vm.expect("carrier-up=1", 120);
                Matcher after = vm.expect("reply-after-up=(\\d+)", 120);
                assertTrue(Integer.parseInt(after.group(1)) <= 60, "no ping reply after the link came back:\n" + vm.output());
                assertTrue(guest.isReachable(5000), "the host cannot reach the guest after set_link on");
                JsonNode bad = qmp.execute("set_link", "name", "nosuch", "up", true);
                assertEquals("DeviceNotFound", bad.path("error").path("class").asText(), bad.toString());
            }
            vm.expect("JQEMU-GUEST-POWEROFF", 120);
            assertEquals(0, vm.waitFor(120), "exit status after power-off; stderr: " + vm.errors());
        }
        assertFalse(Files.exists(Path.of("/sys/class/net", tap)), "the tap outlived jqemu");
    }

    /** Two guests on {@code -netdev dgram} unix sockets with crossed paths ping each other. */
    @Test
    @Tag("slow")
    void twoGuestsPingOverDgramUnixSockets() throws Exception {
        Path g = VirtioGuests.stable(dir);
        Path a = dir.resolve("a.dgram");
        Path b = dir.resolve("b.dgram");
        twoGuestsPing(g,
                "dgram,id=n0,local.type=unix,local.path=" + a + ",remote.type=unix,remote.path=" + b,
                "dgram,id=n0,local.type=unix,local.path=" + b + ",remote.type=unix,remote.path=" + a);
    }

    /**
     * Two guests on one {@code -netdev socket,mcast=} bus bound to the loopback interface
     * ({@code localaddr=127.0.0.1}), so the group's datagrams stay on this host.
     */
    @Test
    @Tag("slow")
    void twoGuestsPingOverMulticastOnLoopback() throws Exception {
        Path g = VirtioGuests.stable(dir);
        int port;
        try (DatagramSocket s = new DatagramSocket(0)) {
            port = s.getLocalPort();
        }
        String bus = "socket,id=n0,mcast=230.0.0.1:" + port + ",localaddr=127.0.0.1";
        twoGuestsPing(g, bus, bus);
    }

    /**
     * Guest 1 boots and waits for its peer; only then guest 2 starts (two boots side by side
     * would halve the speed of each on this 2-core machine). Each pings the other.
     */
    private void twoGuestsPing(Path g, String netdev1, String netdev2) throws Exception {
        try (JqemuSession one = JqemuSession.start(dir, pingArgs(g, 1, 2, netdev1))) {
            one.expect("WAITING-FOR-PEER", BOOT_TIMEOUT);
            try (JqemuSession two = JqemuSession.start(dir, pingArgs(g, 2, 1, netdev2))) {
                two.expect("WAITING-FOR-PEER", BOOT_TIMEOUT);
                for (JqemuSession vm : List.of(two, one)) {
                    Matcher m = vm.expect("(\\d+) packets transmitted, (\\d+) packets received", 240);
                    assertEquals("3", m.group(2), "ping replies:\n" + vm.output());
                }
                for (JqemuSession vm : List.of(one, two)) {
                    vm.expect("JQEMU-GUEST-POWEROFF", 120);
                    assertEquals(0, vm.waitFor(120), "exit status after power-off; stderr: " + vm.errors());
                }
            }
        }
    }

    private static List<String> pingArgs(Path g, int self, int peer, String netdev) {
        String script = """
                ip link set eth0 up; ip addr add 10.0.4.%1$d/24 dev eth0
                echo WAITING-FOR-PEER
                i=0; until ping -c 1 -W 2 10.0.4.%2$d >/dev/null 2>&1; do i=$((i+1)); [ $i -gt 300 ] && break; sleep 1; done
                echo "first-reply-after=$i"
                ping -c 3 -W 10 10.0.4.%2$d
                sleep 30
                """.formatted(self, peer);
        List<String> args = VirtioGuests.args(g, script);
        args.addAll(List.of("-netdev", netdev, "-device", "virtio-net-pci,netdev=n0,mac=52:54:00:12:34:1" + self));
        return args;
    }

    /** The amd64 guest and its command line, as VirtioLinuxTest uses them. */
    static final class VirtioGuests {
        private VirtioGuests() {}

        /** A copy of the cached guest in {@code dir}, so a rebuild of the cache meanwhile cannot mix files. */
        static Path stable(Path dir) throws Exception {
            Path g = LinuxBootTest.guest("amd64");
            Path copy = Files.createDirectories(dir.resolve("guest"));
            for (String f : List.of("VERSION", "vmlinuz", "initrd.gz")) {
                Files.copy(g.resolve(f), copy.resolve(f), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
            return copy;
        }

        static List<String> args(Path g, String script) {
            String run = Base64.getEncoder().encodeToString(script.getBytes(StandardCharsets.UTF_8));
            return new ArrayList<>(List.of("-machine", "pc", "-m", "512",
                    "-kernel", g.resolve("vmlinuz").toString(), "-initrd", g.resolve("initrd.gz").toString(),
                    "-append", "console=ttyS0 jqemu.run=" + run,
                    "-display", "none", "-serial", "stdio", "-no-reboot"));
        }
    }
}
