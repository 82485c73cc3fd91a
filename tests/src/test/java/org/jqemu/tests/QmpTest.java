package org.jqemu.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * QMP end to end: a real jqemu process runs a guest (tests/programs/monitor/spin.asm, which counts
 * at 0x200100 forever and prints "spin: up" at each boot) and test clients talk to it over its
 * sockets, as a management tool would.
 */
class QmpTest {
    static final Path PROGRAMS = Path.of("programs").toAbsolutePath();
    static final long COUNTER = 0x200100;
    static Path kernel;

    @TempDir
    Path dir;
    private Process jqemu;
    private Path serial;
    private Path stderr;

    @BeforeAll
    static synchronized void assemble() throws IOException, InterruptedException {
        if (kernel != null) {
            return;
        }
        Path out = Files.createTempDirectory("jqemu-qmp-guest");
        Path bin = out.resolve("spin.bin");
        Process p = new ProcessBuilder("nasm", "-f", "bin", "-I", PROGRAMS.resolve("x86") + "/", "-o",
                bin.toString(), PROGRAMS.resolve("monitor/spin.asm").toString()).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("nasm failed (scripts/install-test-deps.sh installs it):\n" + log);
        }
        kernel = bin;
    }

    private void start(String... extra) throws IOException {
        start(kernel, extra);
    }

    private void start(Path guest, String... extra) throws IOException {
        serial = dir.resolve("serial.txt");
        stderr = dir.resolve("stderr.txt");
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED", "-cp",
                System.getProperty("java.class.path"), "org.jqemu.system.Main",
                "-machine", "pc", "-m", "32", "-display", "none", "-serial", "file:" + serial,
                "-kernel", guest.toString()));
        cmd.addAll(List.of(extra));
        jqemu = new ProcessBuilder(cmd).directory(dir.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectOutput(dir.resolve("stdout.txt").toFile())
                .redirectError(stderr.toFile()).start();
    }

    @AfterEach
    void stop() throws InterruptedException {
        if (jqemu != null && jqemu.isAlive()) {
            jqemu.destroyForcibly().waitFor();
        }
    }

    private int exitStatus() throws InterruptedException, IOException {
        assertTrue(jqemu.waitFor(30, TimeUnit.SECONDS), "jqemu did not exit");
        return jqemu.exitValue();
    }

    private String stderr() throws IOException {
        return Files.readString(stderr);
    }

    /** The guest's counter, read through pmemsave. */
    private long counter(QmpClient c) throws Exception {
        Path f = dir.resolve("counter.bin");
        c.ok("pmemsave", "val", COUNTER, "size", 4, "filename", f.toString());
        return ByteBuffer.wrap(Files.readAllBytes(f)).order(ByteOrder.LITTLE_ENDIAN).getInt() & 0xffffffffL;
    }

    private void awaitSerialLines(int lines) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            String s = Files.exists(serial) ? Files.readString(serial) : "";
            if (s.split("spin: up\n", -1).length - 1 >= lines) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("serial output: " + s);
            }
            Thread.sleep(50);
        }
    }

    @Test
    void scriptDrivesTheVmOverAUnixSocket() throws Exception {
        Path sock = dir.resolve("qmp.sock");
        start("-qmp", "unix:" + sock + ",server=on,wait=off");
        try (QmpClient c = QmpClient.connect(UnixDomainSocketAddress.of(sock))) {
            assertEquals("{\"QMP\":{\"version\":{\"qemu\":{\"micro\":0,\"minor\":1,\"major\":0},\"package\":\"jqemu\"},"
                    + "\"capabilities\":[]}}", c.greeting.toString());
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(sock)));
            assertEquals("CommandNotFound", c.execute("query-status").get("error").get("class").asText());
            c.ok("qmp_capabilities");
            assertEquals("running", c.ok("query-status").get("status").asText());
            awaitSerialLines(1);

            c.ok("stop");
            c.event("STOP");
            JsonNode status = c.ok("query-status");
            assertEquals("paused", status.get("status").asText());
            assertFalse(status.get("running").asBoolean());
            long frozen = counter(c);
            Thread.sleep(200);
            assertEquals(frozen, counter(c), "the guest ran while paused");

            c.ok("cont");
            c.event("RESUME");
            assertEquals("running", c.ok("query-status").get("status").asText());
            Thread.sleep(200);
            assertNotEquals(frozen, counter(c), "the guest did not run after cont");

            // the pc board's power button: POWERDOWN; this guest has not enabled ACPI, so it runs on
            c.ok("system_powerdown");
            c.event("POWERDOWN");
            assertEquals("running", c.ok("query-status").get("status").asText());

            c.ok("system_reset");
            JsonNode reset = c.event("RESET");
            assertEquals("{\"guest\":false,\"reason\":\"host-qmp-system-reset\"}", reset.get("data").toString());
            awaitSerialLines(2); // the guest booted again

            JsonNode q = c.execute("quit");
            assertEquals("{\"return\":{}}", q.toString());
            JsonNode shutdown = c.event("SHUTDOWN");
            assertEquals("{\"guest\":false,\"reason\":\"host-qmp-quit\"}", shutdown.get("data").toString());
        }
        assertEquals(0, exitStatus(), stderr());
        assertFalse(Files.exists(sock), "the socket file is removed at exit");
    }

    @Test
    void pciBlockMemsaveAndHotplugErrorsOnThePcBoard() throws Exception {
        Path disk = dir.resolve("disk.img");
        Files.write(disk, new byte[1 << 20]);
        Path sock = dir.resolve("qmp.sock");
        start("-qmp", "unix:" + sock + ",server=on,wait=off", "-drive", "file=" + disk + ",if=virtio,format=raw,id=d0");
        try (QmpClient c = QmpClient.connect(UnixDomainSocketAddress.of(sock))) {
            c.ok("qmp_capabilities");
            awaitSerialLines(1);

            JsonNode pci = c.ok("query-pci").get(0).get("devices");
            JsonNode host = pci.get(0);
            assertEquals("{\"device\":4663,\"vendor\":32902,\"subsystem\":4352,\"subsystem-vendor\":6900}",
                    host.get("id").toString(), "i440FX 8086:1237 in slot 0");
            assertEquals("Host bridge", host.get("class_info").get("desc").asText());
            JsonNode blk = null;
            for (JsonNode d : pci) {
                if (d.get("id").get("vendor").asInt() == 0x1af4) {
                    blk = d;
                }
            }
            assertTrue(blk != null, pci.toString());
            assertTrue(blk.get("regions").size() > 0 && blk.get("regions").get(0).get("size").asLong() > 0, blk.toString());
            String info = c.ok("human-monitor-command", "command-line", "info pci").asText();
            assertTrue(info.startsWith("  Bus  0, device   0, function 0:\r\n    Host bridge: PCI device 8086:1237\r\n"), info);
            assertEquals(pci, c.ok("query-pci").get(0).get("devices"), "looking changes nothing");

            JsonNode block = c.ok("query-block").get(0);
            assertEquals("d0", block.get("device").asText());
            assertEquals(disk.toString(), block.get("inserted").get("file").asText());
            assertEquals(1 << 20, block.get("inserted").get("image").get("virtual-size").asInt());

            // no paging in this guest: memsave (virtual) sees what pmemsave (physical) sees
            c.ok("memsave", "val", 0x200000, "size", 16, "filename", dir.resolve("v.bin").toString());
            assertEquals("jqemu-qmp-marker", Files.readString(dir.resolve("v.bin")));

            // pci.0 takes hotplugged devices; each type's own checks still apply (QEMU's words)
            JsonNode add = c.execute("device_add", "driver", "virtio-blk-pci", "id", "hot");
            assertEquals("drive property not set", add.get("error").get("desc").asText());
            JsonNode isa = c.execute("device_add", "driver", "isa-debug-exit", "id", "hot");
            assertEquals("Bus 'isa.0' does not support hotplugging", isa.get("error").get("desc").asText());
            JsonNode del = c.execute("device_del", "id", "nope");
            assertEquals("DeviceNotFound", del.get("error").get("class").asText());
            c.ok("quit");
        }
        assertEquals(0, exitStatus(), stderr());
    }

    @Test
    void startPausedWaitsForCont() throws Exception {
        Path sock = dir.resolve("qmp.sock");
        start("-S", "-qmp", "unix:" + sock + ",server=on,wait=off");
        try (QmpClient c = QmpClient.connect(UnixDomainSocketAddress.of(sock))) {
            c.ok("qmp_capabilities");
            assertEquals("prelaunch", c.ok("query-status").get("status").asText());
            assertEquals(0, counter(c));
            assertEquals("VM status: paused (prelaunch)\r\n",
                    c.ok("human-monitor-command", "command-line", "info status").asText());
            c.ok("cont");
            c.event("RESUME");
            awaitSerialLines(1);
            assertEquals("running", c.ok("query-status").get("status").asText());
            assertEquals("", c.ok("human-monitor-command", "command-line", "quit").asText());
            c.event("SHUTDOWN");
        }
        assertEquals(0, exitStatus(), stderr());
    }

    @Test
    void socatScriptOverUnixSocket() throws Exception {
        Path sock = dir.resolve("qmp.sock");
        start("-qmp", "unix:" + sock + ",server=on,wait=off", "-name", "scripted");
        try (QmpClient probe = QmpClient.connect(UnixDomainSocketAddress.of(sock))) {
            probe.ok("qmp_capabilities"); // the socket is up
        }
        // socat half-closes at the end of the script; the replies still come
        runScript("UNIX-CONNECT:" + sock);
    }

    @Test
    void socatScriptOverTcp() throws Exception {
        int port = freePort();
        start("-qmp", "tcp:127.0.0.1:" + port + ",server=on,wait=off", "-name", "scripted");
        awaitTcp(port).close();
        runScript("TCP:127.0.0.1:" + port);
    }

    /** As in the README (socat -t 5 - ADDRESS < script.json), with time for a loaded machine: jqemu hangs up at quit. */
    private void runScript(String address) throws Exception {
        Path script = dir.resolve("script.json");
        Files.writeString(script, """
                { "execute": "qmp_capabilities" }
                { "execute": "query-name", "id": "n" }
                { "execute": "stop" }
                { "execute": "query-status", "id": 2 }
                { "execute": "quit" }
                """);
        Process socat = new ProcessBuilder("socat", "-t", "30", "-", address)
                .redirectInput(script.toFile()).redirectErrorStream(true).start();
        String out = new String(socat.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        assertTrue(socat.waitFor(30, TimeUnit.SECONDS));
        assertTrue(out.contains("{\"return\": {\"name\": \"scripted\"}, \"id\": \"n\"}\r\n"), out);
        assertTrue(out.contains("\"event\": \"STOP\""), out);
        assertTrue(out.contains("{\"return\": {\"status\": \"paused\", \"singlestep\": false, \"running\": false}, "
                + "\"id\": 2}"), out);
        assertTrue(out.contains("\"event\": \"SHUTDOWN\", \"data\": {\"guest\": false, \"reason\": \"host-qmp-quit\"}"),
                out);
        assertEquals(0, exitStatus(), stderr());
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static java.net.Socket awaitTcp(int port) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            java.net.Socket s = new java.net.Socket();
            try {
                s.connect(new InetSocketAddress("127.0.0.1", port));
                return s;
            } catch (IOException e) {
                s.close();
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(50);
            }
        }
    }

    @Test
    void tcpPrettyAndChardevMonitors() throws Exception {
        int port = freePort();
        Path mon = dir.resolve("mon.sock");
        start("-qmp-pretty", "tcp:127.0.0.1:" + port + ",server=on,wait=off",
                "-chardev", "socket,id=mon0,path=" + mon + ",server=on,wait=off",
                "-mon", "chardev=mon0,mode=control");
        // -mon on a socket chardev: every new client gets its own greeting and negotiation
        for (int i = 0; i < 2; i++) {
            try (QmpClient c = QmpClient.connect(UnixDomainSocketAddress.of(mon))) {
                assertEquals("jqemu", c.greeting.get("QMP").get("version").get("package").asText());
                c.ok("qmp_capabilities");
                assertEquals("running", c.ok("query-status").get("status").asText());
            }
        }
        try (java.net.Socket s = awaitTcp(port)) {
            var in = new java.io.BufferedReader(new java.io.InputStreamReader(s.getInputStream(),
                    StandardCharsets.US_ASCII));
            StringBuilder greeting = new StringBuilder();
            String line;
            while (!(line = in.readLine()).equals("}")) {
                greeting.append(line).append('\n');
            }
            assertTrue(greeting.toString().startsWith("{\n    \"QMP\" : {\n"), greeting.toString());
            s.getOutputStream().write("{\"execute\":\"qmp_capabilities\"}{\"execute\":\"quit\"}".getBytes());
            StringBuilder rest = new StringBuilder();
            while ((line = in.readLine()) != null) {
                rest.append(line).append('\n');
            }
            assertTrue(rest.toString().contains("\"reason\" : \"host-qmp-quit\""), rest.toString());
        }
        assertEquals(0, exitStatus(), stderr());
    }

    /**
     * Garbage on one monitor never stops the VM or the other monitor: random bytes, truncated
     * JSON, a 1 MiB string, input beyond the size limit, and a client that leaves mid-command.
     */
    @Test
    void garbageNeitherCrashesNorStalls() throws Exception {
        Path sock = dir.resolve("qmp.sock");
        start("-qmp", "unix:" + sock + ",server=on,wait=off");
        try (QmpClient good = QmpClient.connect(UnixDomainSocketAddress.of(sock));
                QmpClient bad = QmpClient.connect(UnixDomainSocketAddress.of(sock))) {
            good.ok("qmp_capabilities");
            bad.ok("qmp_capabilities");
            Random random = new Random(5);
            for (int round = 0; round < 20; round++) {
                byte[] junk = new byte[1 + random.nextInt(4096)];
                random.nextBytes(junk);
                bad.sendRaw(junk);
                assertEquals("running", good.ok("query-status").get("status").asText());
            }
            // truncated JSON, then a control character to resynchronise (qmp-spec), then a command
            bad.sendRaw("{\"execute\": \"query-status\", \"arguments\": {\"a\": [1, 2");
            assertEquals("running", good.ok("query-status").get("status").asText());
            bad.sendRaw("\u0001");
            JsonNode r = bad.reply();
            while (!r.has("error") || !r.get("error").get("desc").asText().startsWith("JSON parse error, stray")) {
                r = bad.reply(); // errors left from the random bytes
            }
            bad.sendRaw("\n{\"execute\": \"query-name\", \"id\": \"after-junk\"}");
            do {
                r = bad.reply();
            } while (!r.has("id"));
            assertEquals("{\"return\":{},\"id\":\"after-junk\"}", r.toString());

            // a 1 MiB string argument is read and rejected as an unknown parameter
            String big = "x".repeat((1 << 20) - 100);
            r = bad.execute("query-name", "blob", big);
            assertEquals("Parameter 'blob' is unexpected", r.get("error").get("desc").asText());
            // beyond the limit: an error, not a heap full of input
            bad.sendRaw("{\"execute\": \"query-name\", \"arguments\": {\"s\": \"" + "y".repeat(3 << 20) + "\"}}");
            r = bad.reply();
            assertTrue(r.get("error").get("desc").asText().contains("longer than"), r.toString());
            assertEquals("running", good.ok("query-status").get("status").asText());
            assertTrue(bad.ok("query-status").get("running").asBoolean());
        }
        // a client that sends a command and leaves at once
        try (QmpClient leaver = QmpClient.connect(UnixDomainSocketAddress.of(sock))) {
            leaver.sendRaw("{\"execute\": \"qmp_capabilities\"}{\"execute\": \"query-qmp-schema\"}");
        }
        try (QmpClient c = QmpClient.connect(UnixDomainSocketAddress.of(sock))) {
            c.ok("qmp_capabilities");
            long before = counter(c);
            Thread.sleep(100);
            assertNotEquals(before, counter(c), "the guest stopped running");
            c.ok("quit");
        }
        assertEquals(0, exitStatus(), stderr());
    }

    /**
     * A client that sends commands and never reads the replies is throttled (we stop reading it)
     * instead of filling jqemu's memory, and another client is still answered promptly.
     */
    @Test
    void clientThatNeverReadsDoesNotStallOthers() throws Exception {
        Path sock = dir.resolve("qmp.sock");
        start("-qmp", "unix:" + sock + ",server=on,wait=off");
        try (QmpClient good = QmpClient.connect(UnixDomainSocketAddress.of(sock));
                java.nio.channels.SocketChannel deaf = java.nio.channels.SocketChannel.open(
                        UnixDomainSocketAddress.of(sock))) {
            good.ok("qmp_capabilities");
            byte[] flood = "{\"execute\": \"qmp_capabilities\"}{\"execute\": \"query-qmp-schema\"}".repeat(20_000)
                    .getBytes(StandardCharsets.US_ASCII);
            Thread writer = Thread.ofPlatform().daemon(true).start(() -> {
                try {
                    ByteBuffer b = ByteBuffer.wrap(flood);
                    while (b.hasRemaining()) {
                        deaf.write(b); // blocks once jqemu stops reading us
                    }
                } catch (IOException e) {
                    // closed at the end of the test
                }
            });
            Thread.sleep(1000);
            // each reply must come within QmpClient's 20 s while the flood is queued: commands of
            // different clients take turns, so the flood delays us by one command at most
            for (int i = 0; i < 20; i++) {
                good.ok("stop");
                good.ok("cont");
                assertEquals("running", good.ok("query-status").get("status").asText());
            }
            good.event("STOP");
            good.event("RESUME");
            assertTrue(writer.isAlive(), "jqemu read the whole flood without the client reading replies");
        }
        try (QmpClient c = QmpClient.connect(UnixDomainSocketAddress.of(sock))) {
            c.ok("qmp_capabilities");
            c.ok("quit");
        }
        assertEquals(0, exitStatus(), stderr());
    }

    /** QMP on stdio (-chardev stdio + -mon), as libvirt-less scripts pipe it. */
    @Test
    void monitorOnStdio() throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        Process p = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp",
                System.getProperty("java.class.path"), "org.jqemu.system.Main", "-machine", "pc", "-m", "32",
                "-display", "none", "-serial", "none", "-kernel", kernel.toString(),
                "-chardev", "stdio,id=mon0", "-mon", "chardev=mon0,mode=control")
                .redirectError(dir.resolve("stderr.txt").toFile()).start();
        jqemu = p;
        stderr = dir.resolve("stderr.txt");
        var in = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(), StandardCharsets.US_ASCII));
        assertTrue(in.readLine().startsWith("{\"QMP\": "));
        p.getOutputStream().write("{\"execute\": \"qmp_capabilities\"}\n{\"execute\": \"query-status\"}\n"
                .getBytes(StandardCharsets.US_ASCII));
        p.getOutputStream().flush();
        assertEquals("{\"return\": {}}", in.readLine());
        assertEquals("{\"return\": {\"status\": \"running\", \"singlestep\": false, \"running\": true}}", in.readLine());
        p.getOutputStream().write("{\"execute\": \"quit\"}".getBytes(StandardCharsets.US_ASCII));
        p.getOutputStream().flush();
        assertEquals("{\"return\": {}}", in.readLine());
        assertTrue(in.readLine().contains("\"reason\": \"host-qmp-quit\""));
        assertEquals(0, exitStatus(), stderr());
    }

    /** SIGTERM ends the VM with a SHUTDOWN event that says so. */
    @Test
    void signalShutdownIsAnnounced() throws Exception {
        Path sock = dir.resolve("qmp.sock");
        start("-qmp", "unix:" + sock + ",server=on,wait=off");
        try (QmpClient c = QmpClient.connect(UnixDomainSocketAddress.of(sock))) {
            c.ok("qmp_capabilities");
            jqemu.destroy(); // SIGTERM
            JsonNode shutdown = c.event("SHUTDOWN");
            assertEquals("{\"guest\":false,\"reason\":\"host-signal\"}", shutdown.get("data").toString());
        }
        assertEquals(0, exitStatus(), stderr());
    }

    /** -no-shutdown: a guest power-off (here a triple fault under -no-reboot) stops the VM instead. */
    @Test
    void noShutdownKeepsTheVmForInspection() throws Exception {
        Path triple = dir.resolve("triplefault.bin");
        Process p = new ProcessBuilder("nasm", "-f", "bin", "-I", PROGRAMS.resolve("x86") + "/", "-o",
                triple.toString(), PROGRAMS.resolve("x86/triplefault.asm").toString()).start();
        assertEquals(0, p.waitFor());
        Path sock = dir.resolve("qmp.sock");
        start(triple, "-S", "-no-reboot", "-no-shutdown", "-qmp", "unix:" + sock + ",server=on,wait=off");
        try (QmpClient c = QmpClient.connect(UnixDomainSocketAddress.of(sock))) {
            c.ok("qmp_capabilities");
            c.ok("cont");
            c.event("RESUME");
            JsonNode shutdown = c.event("SHUTDOWN");
            assertEquals("{\"guest\":true,\"reason\":\"guest-reset\"}", shutdown.get("data").toString());
            c.event("STOP");
            assertEquals("shutdown", c.ok("query-status").get("status").asText());
            assertEquals("Resetting the Virtual Machine is required",
                    c.execute("cont").get("error").get("desc").asText());
            c.ok("system_reset");
            c.event("RESET");
            assertEquals("prelaunch", c.ok("query-status").get("status").asText());
            c.ok("quit");
        }
        assertEquals(0, exitStatus(), stderr());
    }

    /** wait=on (a server's default): jqemu starts the VM only once the first client is there. */
    @Test
    void waitOnHoldsStartupForTheFirstClient() throws Exception {
        Path sock = dir.resolve("qmp.sock");
        start("-qmp", "unix:" + sock + ",server=on");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!stderr().contains("waiting for connection")) {
            assertTrue(System.nanoTime() < deadline, "no waiting message: " + stderr());
            Thread.sleep(50);
        }
        assertEquals("jqemu: info: jqemu waiting for connection on: disconnected:unix:" + sock + ",server=on\n",
                stderr());
        Thread.sleep(300);
        assertFalse(Files.exists(serial) && Files.size(serial) > 0, "the guest started before a client came");
        try (QmpClient c = QmpClient.connect(UnixDomainSocketAddress.of(sock))) {
            c.ok("qmp_capabilities");
            awaitSerialLines(1);
            c.ok("quit");
        }
        assertEquals(0, exitStatus(), stderr());
    }

    @Test
    void badMonitorOptionsAreOneLineErrors() throws Exception {
        start("-qmp", "unix:/nonexistent-dir/q.sock,server=on,wait=off");
        assertEquals(1, exitStatus());
        assertTrue(stderr().startsWith("jqemu: -qmp unix:/nonexistent-dir/q.sock,server=on,wait=off: Failed to bind "
                + "socket to /nonexistent-dir/q.sock: "), stderr());
        start("-mon", "chardev=nope,mode=control");
        assertEquals(1, exitStatus());
        assertEquals("jqemu: -mon chardev=nope,mode=control: chardev 'nope' not found\n", stderr());
    }
}
