package org.jqemu.system.net;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.jqemu.system.options.ConfigException;

/**
 * {@code -netdev user}: user-mode networking through passt (Debian package {@code passt}), which
 * jqemu starts and talks to over its unix socket with the stream framing. The guest gets QEMU's
 * familiar addresses (10.0.2.15/24, gateway 10.0.2.2, DNS forwarded at 10.0.2.3); passt maps the
 * gateway address to the host's loopback, so a guest reaches host services as 10.0.2.2.
 * {@code hostfwd=tcp:[ADDR]:HOSTPORT-:GUESTPORT} becomes a passt {@code -t} forward.
 */
public final class PasstNetBackend implements NetBackend {
    private final Process process;
    private final StreamNetBackend stream;
    private final Path socket;

    private PasstNetBackend(Process process, StreamNetBackend stream, Path socket) {
        this.process = process;
        this.stream = stream;
        this.socket = socket;
    }

    /**
     * @param hostfwds QEMU hostfwd rules, e.g. {@code tcp:127.0.0.1:8080-:80}
     */
    public static PasstNetBackend start(String id, List<String> hostfwds, Consumer<Runnable> mainLoop, String where)
            throws ConfigException {
        String passt = findPasst();
        if (passt == null) {
            throw new ConfigException(where + ": user networking needs passt, which is not installed"
                    + " (Debian: apt-get install passt)");
        }
        Path socket = Path.of(System.getProperty("java.io.tmpdir"),
                "jqemu-passt-" + ProcessHandle.current().pid() + "-" + System.nanoTime() + "-" + id + ".socket");
        List<String> cmd = new ArrayList<>(List.of(passt, "--foreground", "--quiet", "--one-off",
                "--socket", socket.toString(), "--address", "10.0.2.15", "--netmask", "24",
                "--gateway", "10.0.2.2", "--dns-forward", "10.0.2.3", "--udp-ports", "none"));
        for (String rule : hostfwds) {
            cmd.add("--tcp-ports"); // one option per rule: each may carry its own address
            cmd.add(passtForward(where, rule));
        }
        if (hostfwds.isEmpty()) {
            cmd.add("--tcp-ports");
            cmd.add("none");
        }
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        } catch (IOException e) {
            throw new ConfigException(where + ": could not start passt: " + e.getMessage());
        }
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!Files.exists(socket)) {
                if (!p.isAlive()) {
                    throw new ConfigException(where + ": passt exited with status " + p.exitValue());
                }
                if (System.nanoTime() > deadline) {
                    throw new ConfigException(where + ": passt did not create its socket " + socket);
                }
                Thread.sleep(10);
            }
            StreamNetBackend s = StreamNetBackend.open(id, UnixDomainSocketAddress.of(socket), false, mainLoop, where);
            return new PasstNetBackend(p, s, socket);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroy();
            throw new ConfigException(where + ": interrupted while starting passt");
        } catch (ConfigException e) {
            p.destroy();
            throw e;
        }
    }

    private static String findPasst() {
        String path = System.getenv("PATH");
        for (String dir : (path == null ? "/usr/bin:/bin" : path).split(":")) {
            Path p = Path.of(dir, "passt");
            if (Files.isExecutable(p)) {
                return p.toString();
            }
        }
        return null;
    }

    /** {@code tcp:[ADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT} → passt's {@code [ADDR/]HOSTPORT:GUESTPORT}. */
    static String passtForward(String where, String rule) throws ConfigException {
        String r = rule;
        if (r.startsWith("tcp:")) {
            r = r.substring(4);
        } else if (r.startsWith("udp:")) {
            throw new ConfigException(where + ": hostfwd=" + rule + ": udp forwards are not supported yet");
        } else if (r.startsWith(":")) {
            r = r.substring(1); // QEMU allows the protocol to be left out: tcp
        }
        int dash = r.indexOf('-');
        if (dash < 0) {
            throw new ConfigException(where + ": invalid host forwarding rule '" + rule + "'");
        }
        String host = r.substring(0, dash);
        String guest = r.substring(dash + 1);
        int hc = host.lastIndexOf(':');
        int gc = guest.lastIndexOf(':');
        if (gc < 0) {
            throw new ConfigException(where + ": invalid host forwarding rule '" + rule + "'");
        }
        String hostAddr = hc < 0 ? "" : host.substring(0, hc);
        String hostPort = hc < 0 ? host : host.substring(hc + 1);
        String guestPort = guest.substring(gc + 1);
        if (!hostPort.matches("\\d{1,5}") || !guestPort.matches("\\d{1,5}")) {
            throw new ConfigException(where + ": invalid host forwarding rule '" + rule + "'");
        }
        return (hostAddr.isEmpty() ? "" : hostAddr + "/") + hostPort + ":" + guestPort;
    }

    @Override
    public String id() {
        return stream.id();
    }

    @Override
    public void attach(NetFrontend frontend) {
        stream.attach(frontend);
    }

    @Override
    public void send(byte[] frame, int off, int len) {
        stream.send(frame, off, len);
    }

    @Override
    public void acceptInput() {
        stream.acceptInput();
    }

    @Override
    public void close() {
        stream.close();
        process.destroy();
        try {
            Files.deleteIfExists(socket);
        } catch (IOException e) {
            // passt may own it; it goes with /tmp
        }
    }
}
