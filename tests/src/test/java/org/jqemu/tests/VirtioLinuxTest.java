package org.jqemu.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Unmodified Linux virtio drivers (Debian's amd64 kernel: virtio_pci, virtio_blk, virtio_net,
 * virtio_console) against jqemu's virtio devices, on the {@code pc} machine under tcg. The guest
 * runs a script handed to its /init as {@code jqemu.run=BASE64} on the kernel command line
 * (tests/guests/build-guest.sh), so no typing is needed except for the hvc0 shell check.
 *
 * <p>Networking reaches only this machine: the host's loopback through passt, or another jqemu.
 */
class VirtioLinuxTest {
    /** The kernel's last boot message on the serial console: the boot's time limit ends here. */
    static final String KERNEL_STARTS_INIT = "Run /init as init process";

    @TempDir
    Path dir;

    /**
     * Boot 1: busybox mke2fs on /dev/vda, mounted as ext4, a file written; the {@code readonly=on}
     * disk refuses a write in the guest (the image is unchanged); {@code console=hvc0} on a socket
     * chardev is the shell the test types into. Boot 2, same image: the file is still there; with
     * {@code -nic user,hostfwd=} the guest fetches a file from a host HTTP server and the host
     * fetches a page from busybox httpd in the guest.
     */
    @Test
    void ext4SurvivesPowerOffReadonlyDiskHvc0ShellAndUserNetworking() throws Exception {
        Path g = stableGuest();
        Path disk = dir.resolve("disk.raw");
        try (var f = new java.io.RandomAccessFile(disk.toFile(), "rw")) {
            f.setLength(64 << 20);
        }
        Path ro = dir.resolve("ro.raw");
        byte[] roBytes = new byte[1 << 20];
        new Random(4).nextBytes(roBytes);
        Files.write(ro, roBytes);

        // --- boot 1 -------------------------------------------------------------------------
        String script1 = """
                mke2fs -F /dev/vda >/dev/null 2>&1; echo "mke2fs status=$?"
                mkdir -p /mnt/d && mount -t ext4 /dev/vda /mnt/d && echo JQEMU-PERSIST-4242 > /mnt/d/persist.txt \\
                  && sync && umount /mnt/d && echo FS-MADE
                echo "vdb ro=$(cat /sys/block/vdb/ro)"
                dd if=/dev/zero of=/dev/vdb bs=512 count=1 oflag=direct; echo "ro-write status=$?"
                """;
        Path hvcSocket = dir.resolve("hvc0.sock");
        List<String> args1 = baseArgs(g, "console=ttyS0 console=hvc0 jqemu.shell", script1);
        args1.addAll(List.of(
                "-drive", "file=" + disk + ",format=raw,if=virtio",
                "-drive", "file=" + ro + ",format=raw,if=virtio,readonly=on",
                "-chardev", "socket,id=hv,path=" + hvcSocket + ",server=on,wait=off",
                "-device", "virtio-serial-pci", "-device", "virtconsole,chardev=hv"));
        try (JqemuSession vm = JqemuSession.start(dir, args1)) {
            try (Hvc hvc = Hvc.connect(hvcSocket, vm)) {
                vm.expect(KERNEL_STARTS_INIT, Timeouts.BOOT);
                hvc.expect("mke2fs status=0", Timeouts.STEP);
                hvc.expect("FS-MADE", Timeouts.STEP);
                hvc.expect("vdb ro=1", Timeouts.STEP);
                Matcher ro1 = hvc.expect("ro-write status=(\\d+)", Timeouts.STEP);
                assertTrue(Integer.parseInt(ro1.group(1)) != 0, "a write to the readonly disk succeeded:\n" + hvc.text());
                hvc.expect("JQEMU-GUEST-SHELL", Timeouts.STEP);
                // The shell prompt, then commands typed into hvc0 and their output back from it.
                hvc.send("echo \"answer-$((6 * 7))-on-$(tty)\"\n");
                hvc.expect("answer-42-on-/dev/hvc0", Timeouts.STEP);
                hvc.send("cat /proc/consoles | grep -c hvc0 | sed s/^/hvc-consoles-/\n");
                hvc.expect("hvc-consoles-1", Timeouts.STEP);
                hvc.send("exit\n");
                hvc.expect("JQEMU-GUEST-POWEROFF", Timeouts.STEP);
            }
            vm.assertExit(0, Timeouts.EXIT);
        }
        assertArrayEquals(roBytes, Files.readAllBytes(ro), "the readonly image changed");

        // --- boot 2 -------------------------------------------------------------------------
        HttpServer host = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        AtomicBoolean hostFetched = new AtomicBoolean();
        host.createContext("/hostfile.txt", ex -> reply(ex, 200, "HOST-FILE-CONTENT-777\n"));
        // The guest keeps serving until this says the host has fetched its page.
        host.createContext("/done", ex -> reply(ex, hostFetched.get() ? 200 : 404, "done\n"));
        host.start();
        int hostPort = host.getAddress().getPort();
        int fwdPort = freePort();
        try {
            String script2 = """
                    mkdir -p /mnt/d && mount -t ext4 /dev/vda /mnt/d && echo "persisted: $(cat /mnt/d/persist.txt)"
                    umount /mnt/d
                    ip link set lo up; ip addr add 10.0.2.15/24 dev eth0; ip link set eth0 up
                    ip route add default via 10.0.2.2
                    echo "guest-got: $(wget -q -O - http://10.0.2.2:%d/hostfile.txt)"
                    mkdir -p /www && echo GUEST-PAGE-99 > /www/index.html && httpd -h /www -p 80 && echo HTTPD-UP
                    i=0; until wget -q -O /dev/null http://10.0.2.2:%d/done; do i=$((i+1)); [ $i -gt 100 ] && break; sleep 1; done
                    echo "host-fetched-wait=$i"
                    """.formatted(hostPort, hostPort);
            List<String> args2 = baseArgs(g, "console=ttyS0", script2);
            args2.addAll(List.of(
                    "-drive", "file=" + disk + ",format=raw,if=virtio",
                    "-nic", "user,hostfwd=tcp:127.0.0.1:" + fwdPort + "-:80"));
            try (JqemuSession vm = JqemuSession.start(dir, args2)) {
                vm.expect(KERNEL_STARTS_INIT, Timeouts.BOOT);
                vm.expect("persisted: JQEMU-PERSIST-4242", Timeouts.STEP);
                vm.expect("guest-got: HOST-FILE-CONTENT-777", Timeouts.STEP);
                vm.expect("HTTPD-UP", Timeouts.STEP);
                HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(Timeouts.STEP)).build();
                HttpResponse<String> page = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + fwdPort + "/"))
                        .timeout(Duration.ofSeconds(Timeouts.STEP)).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, page.statusCode());
                assertEquals("GUEST-PAGE-99\n", page.body());
                hostFetched.set(true);
                vm.expect("host-fetched-wait=\\d+", Timeouts.STEP);
                vm.expect("JQEMU-GUEST-POWEROFF", Timeouts.STEP);
                vm.assertExit(0, Timeouts.EXIT);
            }
        } finally {
            host.stop(0);
        }
    }

    /**
     * Two jqemu guests on one {@code -netdev stream} link (a unix socket) ping each other. The
     * second starts when the first has booted and runs its script, so the two boots never compete
     * for the CPUs and each has a boot's time limit of its own. Slow (two more boots; virtio-net
     * is proven by the test above): {@code ./run-tests --all}.
     */
    @Test
    @Tag("slow")
    void twoGuestsPingEachOtherOverNetdevStream() throws Exception {
        Path g = stableGuest();
        Path link = dir.resolve("link.sock");
        try (JqemuSession a = JqemuSession.start(dir, pingArgs(g, 1, 2,
                "stream,id=n0,server=on,addr.type=unix,addr.path=" + link))) {
            long deadline = Timeouts.deadline(Timeouts.STEP);
            while (!Files.exists(link) && a.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            if (!Files.exists(link)) {
                throw a.failure("the server guest did not listen on " + link);
            }
            a.expect(KERNEL_STARTS_INIT, Timeouts.BOOT);
            a.expect("JQEMU-GUEST-RUN\\r?\\n", Timeouts.STEP);
            try (JqemuSession b = JqemuSession.start(dir, pingArgs(g, 2, 1,
                    "stream,id=n0,server=off,addr.type=unix,addr.path=" + link))) {
                b.expect(KERNEL_STARTS_INIT, Timeouts.BOOT);
                b.expect("first-reply-after=\\d+", Timeouts.STEP);
                for (JqemuSession vm : List.of(a, b)) {
                    Matcher m = vm.expect("(\\d+) packets transmitted, (\\d+) packets received", Timeouts.STEP);
                    if (!m.group(2).equals("3")) {
                        throw vm.failure(m.group(2) + " of 3 ping replies");
                    }
                }
                for (JqemuSession vm : List.of(a, b)) {
                    vm.expect("JQEMU-GUEST-POWEROFF", Timeouts.STEP);
                    vm.assertExit(0, Timeouts.EXIT);
                }
            }
        }
    }

    /**
     * The amd64 guest, copied into this test's directory so that every boot of the test uses the
     * same files even if another build replaces the shared cache meanwhile.
     */
    private Path stableGuest() throws Exception {
        Path g = LinuxBootTest.guest("amd64");
        Path copy = Files.createDirectories(dir.resolve("guest"));
        for (String f : List.of("VERSION", "vmlinuz", "initrd.gz")) {
            Files.copy(g.resolve(f), copy.resolve(f), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        String version = Files.readString(copy.resolve("VERSION"));
        assertTrue(version.matches("(?s).*modules=[^\\n]* ext4.*"),
                "the guest in " + g + " lacks ext4 / jqemu.run (built by an older build-guest.sh?):\n" + version);
        return copy;
    }

    private static List<String> pingArgs(Path g, int self, int peer, String netdev) {
        // Each pings until the other answers (the first one waits while the second boots, about
        // 3 s a round), then three counted pings; it stays up a while so the peer's pings are
        // answered too.
        String script = """
                ip link set eth0 up; ip addr add 10.0.3.%d/24 dev eth0
                i=0; until ping -c 1 -W 2 10.0.3.%d >/dev/null 2>&1; do i=$((i+1)); [ $i -gt 120 ] && break; sleep 1; done
                echo "first-reply-after=$i"
                ping -c 3 -W 10 10.0.3.%d
                sleep 30
                """.formatted(self, peer, peer);
        List<String> args = baseArgs(g, "console=ttyS0", script);
        args.addAll(List.of("-netdev", netdev,
                "-device", "virtio-net-pci,netdev=n0,mac=52:54:00:12:34:0" + self));
        return args;
    }

    private static List<String> baseArgs(Path g, String append, String script) {
        String run = Base64.getEncoder().encodeToString(script.getBytes(StandardCharsets.UTF_8));
        return new ArrayList<>(List.of("-machine", "pc", "-m", "512",
                "-kernel", g.resolve("vmlinuz").toString(), "-initrd", g.resolve("initrd.gz").toString(),
                "-append", append + " jqemu.run=" + run,
                "-display", "none", "-serial", "stdio", "-no-reboot"));
    }

    private static void reply(com.sun.net.httpserver.HttpExchange ex, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(status, b.length);
        try (OutputStream o = ex.getResponseBody()) {
            o.write(b);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** The guest's hvc0: a client of jqemu's socket chardev that collects what the guest writes. */
    private static final class Hvc implements AutoCloseable {
        private final SocketChannel channel;
        private final OutputStream out;
        private final StringBuilder text = new StringBuilder();
        private final JqemuSession vm;
        private int mark;

        private Hvc(SocketChannel channel, JqemuSession vm) {
            this.channel = channel;
            this.vm = vm;
            this.out = Channels.newOutputStream(channel);
            InputStream in = Channels.newInputStream(channel);
            Thread t = new Thread(() -> {
                byte[] buf = new byte[4096];
                try {
                    for (int n; (n = in.read(buf)) > 0; ) {
                        synchronized (this) {
                            text.append(new String(buf, 0, n, StandardCharsets.ISO_8859_1));
                            notifyAll();
                        }
                    }
                } catch (IOException e) {
                    // jqemu closed the socket
                }
            }, "hvc0-reader");
            t.setDaemon(true);
            t.start();
        }

        static Hvc connect(Path socket, JqemuSession vm) throws Exception {
            long deadline = Timeouts.deadline(Timeouts.STEP);
            while (true) {
                try {
                    return new Hvc(SocketChannel.open(UnixDomainSocketAddress.of(socket)), vm);
                } catch (IOException e) {
                    if (System.nanoTime() > deadline || !vm.isAlive()) {
                        throw vm.failure("no hvc0 socket " + socket + " (" + e + ")");
                    }
                    Thread.sleep(100);
                }
            }
        }

        void send(String s) throws IOException {
            out.write(s.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
        }

        /** As {@link JqemuSession#expect}, on hvc0; a failure reports hvc0's tail and the session's. */
        Matcher expect(String regex, long timeoutSeconds) throws InterruptedException {
            Pattern p = Pattern.compile(regex);
            long from = System.nanoTime();
            long deadline = Timeouts.deadline(timeoutSeconds);
            String seen;
            synchronized (this) {
                while (true) {
                    Matcher m = p.matcher(text);
                    if (m.find(mark)) {
                        mark = m.end();
                        return m;
                    }
                    long left = deadline - System.nanoTime();
                    if (left <= 0 || !vm.isAlive()) {
                        seen = GuestLogs.tail(text, 30);
                        break;
                    }
                    wait(Math.min(TimeUnit.NANOSECONDS.toMillis(left) + 1, 500));
                }
            }
            throw vm.failure((vm.isAlive() ? "timed out" + Timeouts.budgetNote(deadline) : "jqemu exited") + " after "
                    + TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - from) + " s (limit " + timeoutSeconds
                    + " s) waiting for /" + regex + "/ on hvc0", "--- hvc0 (last 30 lines) ---\n" + seen);
        }

        synchronized String text() {
            return text.toString();
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }
    }
}
