package org.jqemu.system.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.jqemu.system.options.ConfigException;
import org.jqemu.system.options.Opts;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code -netdev dgram}, {@code socket,mcast=|udp=} and {@code tap}: option rules and error
 * messages (QEMU's wording where it has one), and real frames through real sockets on this host.
 */
class DatagramAndTapBackendsTest {
    @TempDir
    Path dir;

    /** Collects the frames a backend delivers; a NIC that always has room. */
    private static final class Nic implements NetFrontend {
        final BlockingQueue<byte[]> got = new LinkedBlockingQueue<>();
        volatile boolean up = true;

        @Override
        public boolean canReceive() {
            return true;
        }

        @Override
        public void receive(byte[] frame, int off, int len) {
            got.add(Arrays.copyOfRange(frame, off, off + len));
        }

        @Override
        public void setLinkUp(boolean up) {
            this.up = up;
        }

        @Override
        public boolean linkUp() {
            return up;
        }

        byte[] next() throws InterruptedException {
            return got.poll(5, TimeUnit.SECONDS);
        }
    }

    private static String error(String value) {
        try (NetBackends n = new NetBackends(Runnable::run)) {
            return assertThrows(ConfigException.class, () -> n.open(Opts.parse("-netdev " + value, value, "type")))
                    .getMessage().substring(("-netdev " + value + ": ").length());
        }
    }

    private static NetBackend open(NetBackends n, String value) throws ConfigException {
        return n.open(Opts.parse("-netdev " + value, value, "type"));
    }

    private static byte[] frame(int tag) {
        byte[] f = new byte[60];
        Arrays.fill(f, (byte) tag);
        return f;
    }

    @Test
    void dgramAndSocketOptionErrorsSayWhatIsWrong() {
        assertEquals("dgram requires local= parameter", error("dgram,id=d"));
        assertEquals("type=inet or type=unix requires remote parameter",
                error("dgram,id=d,local.type=unix,local.path=/tmp/x"));
        assertEquals("remote and local types must be the same", error(
                "dgram,id=d,local.type=unix,local.path=/tmp/x,remote.type=inet,remote.host=127.0.0.1,remote.port=5"));
        assertEquals("address type 'vsock' is not supported (inet or unix)", error("dgram,id=d,local.type=vsock"));
        assertEquals("port '99999' is not a number from 0 to 65535", error(
                "dgram,id=d,local.type=inet,local.host=127.0.0.1,local.port=99999,remote.type=inet,"
                        + "remote.host=127.0.0.1,remote.port=1"));
        assertEquals("address 'no such host!' is not a host name or IP address", error(
                "dgram,id=d,local.type=inet,local.host=no such host!,local.port=1,remote.type=inet,"
                        + "remote.host=127.0.0.1,remote.port=1"));
        assertEquals("Parameter 'remote.path' is missing",
                error("dgram,id=d,local.type=unix,local.path=/tmp/x,remote.type=unix"));
        assertEquals("localaddr= is mandatory with udp=", error("socket,id=s,udp=127.0.0.1:5"));
        assertEquals("localaddr= is only valid with mcast= or udp=", error("socket,id=s,listen=:5,localaddr=127.0.0.1"));
        assertEquals("exactly one of listen=, connect=, mcast= or udp= is required",
                error("socket,id=s,mcast=230.0.0.1:5,udp=127.0.0.1:6"));
        assertEquals("'127.0.0.1' is not an IPv4 multicast address", error("socket,id=s,mcast=127.0.0.1:5000"));
        assertEquals("localaddr 'eth0' is not a valid IPv4 address", error("socket,id=s,mcast=230.0.0.1:5,localaddr=eth0"));
        assertTrue(error("dgram,id=d,local.type=unix,local.path=" + "x".repeat(120) + ",remote.type=unix,remote.path=y")
                .startsWith("UNIX socket path 'xxx"));
    }

    @Test
    void tapOptionErrors() {
        assertEquals("vhost=on is not supported (jqemu has no vhost-net)", error("tap,id=t,vhost=on"));
        assertEquals("tap helper= is not supported", error("tap,id=t,helper=/usr/lib/qemu/qemu-bridge-helper"));
        assertEquals("ifname 'a-name-much-too-long' is not an interface name (1 to 15 bytes)",
                error("tap,id=t,ifname=a-name-much-too-long,script=no,downscript=no"));
    }

    /** Two backends with their unix paths crossed: each frame is one datagram, both ways. */
    @Test
    void unixDgramPairCarriesFramesBothWays() throws Exception {
        Path a = dir.resolve("a.sock");
        Path b = dir.resolve("b.sock");
        try (NetBackends n = new NetBackends(Runnable::run)) {
            NetBackend na = open(n, "dgram,id=a,local.type=unix,local.path=" + a + ",remote.type=unix,remote.path=" + b);
            NetBackend nb = open(n, "dgram,id=b,local.type=unix,local.path=" + b + ",remote.type=unix,remote.path=" + a);
            Nic ra = new Nic();
            Nic rb = new Nic();
            n.attach("a", "nic").attach(ra);
            n.attach("b", "nic").attach(rb);
            byte[] big = new byte[1514];
            new java.util.Random(7).nextBytes(big);
            na.send(big, 0, big.length);
            nb.send(frame(2), 0, 60);
            assertArrayEquals(big, rb.next());
            assertArrayEquals(frame(2), ra.next());
            assertTrue(Files.exists(a), "the local socket file");
        }
        assertFalse(Files.exists(a), "closing removes the socket file");
    }

    /** dgram inet unicast interoperates with a plain UDP socket: no length prefix on the wire. */
    @Test
    void inetDgramIsOneFramePerUdpDatagram() throws Exception {
        try (DatagramSocket peer = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
                NetBackends n = new NetBackends(Runnable::run)) {
            peer.setSoTimeout(5000);
            DatagramNetBackend d = (DatagramNetBackend) open(n, "dgram,id=d,local.type=inet,local.host=127.0.0.1,"
                    + "local.port=0,remote.type=inet,remote.host=127.0.0.1,remote.port=" + peer.getLocalPort());
            Nic nic = new Nic();
            n.attach("d", "nic").attach(nic);
            d.send(frame(5), 0, 60);
            DatagramPacket p = new DatagramPacket(new byte[2000], 2000);
            peer.receive(p);
            assertEquals(60, p.getLength());
            assertArrayEquals(frame(5), Arrays.copyOf(p.getData(), 60));
            byte[] reply = frame(6);
            peer.send(new DatagramPacket(reply, 60, d.localAddress()));
            assertArrayEquals(reply, nic.next());
        }
    }

    /** socket,udp= is the legacy spelling of the same thing. */
    @Test
    void socketUdpSendsToItsPeer() throws Exception {
        try (DatagramSocket peer = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
                NetBackends n = new NetBackends(Runnable::run)) {
            peer.setSoTimeout(5000);
            NetBackend s = open(n, "socket,id=s,udp=127.0.0.1:" + peer.getLocalPort() + ",localaddr=127.0.0.1:0");
            s.send(frame(9), 0, 60);
            DatagramPacket p = new DatagramPacket(new byte[2000], 2000);
            peer.receive(p);
            assertEquals(60, p.getLength());
        }
    }

    /**
     * Two members of one multicast group on the loopback interface (so nothing leaves the host):
     * a frame from one reaches the other; both spellings (socket,mcast= and dgram) join the bus.
     */
    @Test
    void multicastBusOnLoopback() throws Exception {
        int port;
        try (DatagramSocket s = new DatagramSocket(0)) {
            port = s.getLocalPort();
        }
        try (NetBackends n = new NetBackends(Runnable::run)) {
            NetBackend a = open(n, "socket,id=a,mcast=230.0.0.77:" + port + ",localaddr=127.0.0.1");
            open(n, "dgram,id=b,remote.type=inet,remote.host=230.0.0.77,remote.port=" + port
                    + ",local.type=inet,local.host=127.0.0.1,local.port=0");
            Nic rb = new Nic();
            n.attach("b", "nic").attach(rb);
            a.send(frame(0x42), 0, 60);
            assertArrayEquals(frame(0x42), rb.next());
        }
    }

    /** set_link on a netdev drops its frames both ways and switches its NIC; on a NIC only the NIC. */
    @Test
    void setLinkFollowsQemuRules() throws Exception {
        Path a = dir.resolve("a.sock");
        Path b = dir.resolve("b.sock");
        try (NetBackends n = new NetBackends(Runnable::run)) {
            NetBackend na = open(n, "dgram,id=a,local.type=unix,local.path=" + a + ",remote.type=unix,remote.path=" + b);
            open(n, "dgram,id=b,local.type=unix,local.path=" + b + ",remote.type=unix,remote.path=" + a);
            Nic ra = new Nic();
            Nic rb = new Nic();
            NetBackend ga = n.attach("a", "nic");
            ga.attach(ra);
            n.attach("b", "nic").attach(rb);
            assertEquals("virtio-net-pci.0", n.addNic(null, "virtio-net-pci", ra));
            assertEquals("nic-b", n.addNic("nic-b", "virtio-net-pci", rb));

            assertTrue(n.setLink("b", false));
            assertFalse(rb.linkUp(), "the NIC on the netdev goes down with it");
            assertEquals(Boolean.FALSE, n.linkUp("b"));
            ga.send(frame(1), 0, 60);
            assertNull(rb.got.poll(500, TimeUnit.MILLISECONDS), "a frame got through a downed netdev");
            assertTrue(n.setLink("b", true));
            ga.send(frame(3), 0, 60);
            assertArrayEquals(frame(3), rb.next());

            assertTrue(n.setLink("virtio-net-pci.0", false));
            assertFalse(ra.linkUp());
            assertEquals(Boolean.TRUE, n.linkUp("a"), "a NIC's set_link leaves its netdev up");
            assertFalse(n.setLink("nosuch", false));
            assertNull(n.linkUp("nosuch"));
            assertNotNull(na);

            // An unplugged NIC gives its netdev back and leaves set_link's names with it.
            n.release("b");
            assertFalse(n.setLink("nic-b", false), "a removed NIC still answered to set_link");
            assertTrue(n.setLink("virtio-net-pci.0", true), "the other NIC keeps its name");
            n.attach("b", "nic");
        }
    }

    /** Root (as the tests run here) creates a tap; the kernel sees the interface while it is open. */
    @Test
    void tapCreatesTheInterfaceAndPassesFrames() throws Exception {
        assumeTapsCanBeCreated();
        String name = "jqut" + (ProcessHandle.current().pid() % 100000);
        try (NetBackends n = new NetBackends(Runnable::run)) {
            TapNetBackend t = (TapNetBackend) open(n, "tap,id=t,ifname=" + name + ",script=no,downscript=no");
            assertEquals(name, t.ifname());
            assertTrue(Files.exists(Path.of("/sys/class/net", name)), "the kernel has no " + name);
            assertEquals("0x1002", Files.readString(Path.of("/sys/class/net", name, "tun_flags")).trim(),
                    "IFF_TAP | IFF_NO_PI");
            Nic nic = new Nic();
            n.attach("t", "nic").attach(nic);
            // The host stack sends IPv6 router solicitations / ARP once the interface is up with an address.
            run("ip", "link", "set", name, "up");
            run("ip", "addr", "add", "10.213.78.1/24", "dev", name);
            // ask the host for 10.213.78.1 from a made-up guest: it answers with an ARP reply
            byte[] mac = {0x52, 0x54, 0x00, 0x12, 0x34, 0x66};
            java.nio.ByteBuffer arp = java.nio.ByteBuffer.allocate(42);
            arp.put(new byte[] {-1, -1, -1, -1, -1, -1}).put(mac).putShort((short) 0x0806);
            arp.putShort((short) 1).putShort((short) 0x0800).put((byte) 6).put((byte) 4).putShort((short) 1);
            arp.put(mac).put(new byte[] {10, (byte) 213, 78, 2}).put(new byte[6]).put(new byte[] {10, (byte) 213, 78, 1});
            byte[] reply = null;
            for (int i = 0; i < 20 && reply == null; i++) {
                t.send(arp.array(), 0, 42);
                byte[] f;
                while ((f = nic.got.poll(250, TimeUnit.MILLISECONDS)) != null) {
                    if (f.length >= 42 && f[12] == 0x08 && f[13] == 0x06 && f[21] == 2) {
                        reply = f;
                        break;
                    }
                }
            }
            assertNotNull(reply, "no ARP reply from the host through " + name);
            assertArrayEquals(mac, Arrays.copyOfRange(reply, 0, 6), "the reply is addressed to the guest's MAC");
        }
        assertFalse(Files.exists(Path.of("/sys/class/net", name)), "closing a non-persistent tap removes it");
    }

    @Test
    void tapScriptFailureIsAnErrorWithItsStatus() throws Exception {
        assumeTapsCanBeCreated();
        Path script = dir.resolve("ifup");
        Files.writeString(script, "#!/bin/sh\necho \"$1\" > " + dir.resolve("arg") + "\nexit 3\n");
        script.toFile().setExecutable(true);
        String name = "jqus" + (ProcessHandle.current().pid() % 100000);
        assertEquals("network script " + script + " failed with status 3",
                error("tap,id=t,ifname=" + name + ",script=" + script + ",downscript=no"));
        assertEquals(name, Files.readString(dir.resolve("arg")).trim(), "the script gets the interface name");
        assertFalse(Files.exists(Path.of("/sys/class/net", name)), "the tap is closed again");
    }

    /** Skips (with the reason) where this process may not create a tap: not root, no tun device, a container without CAP_NET_ADMIN. */
    static void assumeTapsCanBeCreated() throws Exception {
        Assumptions.assumeTrue(Files.isReadable(Path.of("/dev/net/tun")), "no /dev/net/tun on this host");
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "creating a tap needs root");
        try (NetBackends n = new NetBackends(Runnable::run)) {
            open(n, "tap,id=probe,script=no,downscript=no");
        } catch (ConfigException e) {
            Assumptions.abort("this host refuses to create a tap: " + e.getMessage());
        }
    }

    private static void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), String.join(" ", cmd) + ": " + out);
    }

    @Test
    void localaddrMustBeAnAddressOfThisHost() {
        assertTrue(error("socket,id=s,mcast=230.0.0.1:5000,localaddr=192.0.2.1").startsWith("no network interface has the address 192.0.2.1"));
    }

    static InetAddress loopback() {
        return InetAddress.getLoopbackAddress();
    }
}
