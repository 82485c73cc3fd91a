package org.jqemu.system.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.jqemu.system.options.ConfigException;
import org.jqemu.system.options.Opts;
import org.junit.jupiter.api.Test;

class NetBackendsTest {
    private static String error(String value) {
        try (NetBackends n = new NetBackends(Runnable::run)) {
            return assertThrows(ConfigException.class, () -> n.open(Opts.parse("-netdev " + value, value, "type")))
                    .getMessage();
        }
    }

    @Test
    void unsupportedAndBadNetdevsAreClearErrors() {
        assertEquals("-netdev vde,id=n: netdev type 'vde' is not supported yet", error("vde,id=n"));
        assertEquals("-netdev bogus,id=n: Parameter 'type' does not accept value 'bogus'", error("bogus,id=n"));
        assertEquals("-netdev socket,id=n: exactly one of listen=, connect=, mcast= or udp= is required",
                error("socket,id=n"));
        assertEquals("-netdev socket,id=n,connect=127.0.0.1:x: port 'x' is not a number from 0 to 65535",
                error("socket,id=n,connect=127.0.0.1:x"));
        assertEquals("-netdev stream,id=n,addr.type=inet,addr.host=127.0.0.1: Parameter 'addr.port' is missing",
                error("stream,id=n,addr.type=inet,addr.host=127.0.0.1"));
    }

    @Test
    void connectionRefusedNamesTheAddress() throws Exception {
        int port;
        try (var s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        String msg = error("socket,id=n,connect=127.0.0.1:" + port);
        assertEquals(true, msg.startsWith("-netdev socket,id=n,connect=127.0.0.1:" + port + ": could not connect to "), msg);
    }

    @Test
    void hostfwdRulesBecomePasstForwards() throws Exception {
        assertEquals("127.0.0.1/8080:80", PasstNetBackend.passtForward("w", "tcp:127.0.0.1:8080-:80"));
        assertEquals("2222:22", PasstNetBackend.passtForward("w", "tcp::2222-:22"));
        assertEquals("2222:22", PasstNetBackend.passtForward("w", "::2222-10.0.2.15:22"));
        assertEquals("w: invalid host forwarding rule 'tcp:8080'",
                assertThrows(ConfigException.class, () -> PasstNetBackend.passtForward("w", "tcp:8080")).getMessage());
    }

    /** passt answers an ARP request for the gateway: frames really flow through it. */
    @Test
    void userNetdevTalksToPasst() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(
                java.nio.file.Files.isExecutable(java.nio.file.Path.of("/usr/bin/passt")), "passt is not installed");
        var got = new java.util.concurrent.LinkedBlockingQueue<byte[]>();
        try (NetBackends n = new NetBackends(Runnable::run)) {
            int p1;
            int p2;
            try (var s1 = new java.net.ServerSocket(0); var s2 = new java.net.ServerSocket(0)) {
                p1 = s1.getLocalPort();
                p2 = s2.getLocalPort();
            }
            String spec = "user,id=u,hostfwd=tcp:127.0.0.1:" + p1 + "-:80\ntcp:127.0.0.1:" + p2 + "-:22";
            NetBackend b = n.open(Opts.parse("-netdev", spec, "type"));
            b.attach(new NetFrontend() {
                @Override
                public boolean canReceive() {
                    return true;
                }

                @Override
                public void receive(byte[] frame, int off, int len) {
                    got.add(java.util.Arrays.copyOfRange(frame, off, off + len));
                }
            });
            byte[] mac = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
            java.nio.ByteBuffer arp = java.nio.ByteBuffer.allocate(42);
            arp.put(new byte[] {-1, -1, -1, -1, -1, -1}).put(mac).putShort((short) 0x0806);
            arp.putShort((short) 1).putShort((short) 0x0800).put((byte) 6).put((byte) 4).putShort((short) 1);
            arp.put(mac).put(new byte[] {10, 0, 2, 15}).put(new byte[6]).put(new byte[] {10, 0, 2, 2});
            byte[] reply = null;
            for (int i = 0; i < 50 && reply == null; i++) {
                b.send(arp.array(), 0, 42);
                byte[] f;
                while ((f = got.poll(100, java.util.concurrent.TimeUnit.MILLISECONDS)) != null) {
                    if (f.length >= 42 && f[12] == 0x08 && f[13] == 0x06 && f[21] == 2) {
                        reply = f;
                        break;
                    }
                }
            }
            assertEquals(true, reply != null, "no ARP reply from passt");
            // Both forwards listen on the host (passt accepts; the guest side is not there).
            for (int port : new int[] {p1, p2}) {
                try (var c = new java.net.Socket("127.0.0.1", port)) {
                    assertEquals(true, c.isConnected());
                }
            }
            assertEquals(java.util.List.of(10, 0, 2, 2),
                    java.util.List.of((int) reply[28], (int) reply[29], (int) reply[30], (int) reply[31]),
                    "the gateway's address answered");
        }
    }
}
