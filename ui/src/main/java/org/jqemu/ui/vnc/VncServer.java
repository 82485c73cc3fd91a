package org.jqemu.ui.vnc;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.options.ConfigException;
import org.jqemu.system.options.Opts;
import org.jqemu.system.ui.Consoles;
import org.jqemu.system.ui.RemoteDisplay;

/**
 * The VNC server of {@code -vnc}: {@code :N} (TCP port 5900+N on every address),
 * {@code HOST:N}, or {@code unix:PATH}; {@code password=on} requires VNC authentication with the
 * password QMP {@code set_password} sets (until then nobody can log in, as in QEMU).
 *
 * <p>Plain blocking NIO channels with one thread per client: a VNC server has a handful of
 * clients, and {@link ServerSocketChannel} serves TCP and unix sockets alike.
 */
public final class VncServer implements RemoteDisplay, AutoCloseable {
    private final Machine machine;
    private final Consoles consoles;
    private final ServerSocketChannel listener;
    private final String host;
    private final String service;
    private final String family;
    private final boolean passwordOn;
    private final Path unixPath;
    private final List<VncClient> clients = new CopyOnWriteArrayList<>();
    private volatile String password;
    private volatile boolean closed;

    private VncServer(Machine machine, ServerSocketChannel listener, String host, String service, String family,
            boolean passwordOn, Path unixPath) {
        this.machine = machine;
        this.consoles = Consoles.of(machine);
        this.listener = listener;
        this.host = host;
        this.service = service;
        this.family = family;
        this.passwordOn = passwordOn;
        this.unixPath = unixPath;
    }

    /** Starts the server {@code -vnc} describes; "none" gives null (no server, as QEMU's -vnc none). */
    public static VncServer start(Machine machine, Opts opts) throws ConfigException {
        String where = opts.option();
        String addr = opts.getString("vnc", "");
        boolean password = opts.getBool("password", false);
        opts.checkAllUsed();
        if (addr.equals("none")) {
            return null;
        }
        VncServer server;
        try {
            if (addr.startsWith("unix:")) {
                Path path = Path.of(addr.substring(5));
                Files.deleteIfExists(path);
                ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
                ch.bind(UnixDomainSocketAddress.of(path));
                server = new VncServer(machine, ch, "", path.toString(), "unix", password, path);
            } else {
                int colon = addr.lastIndexOf(':');
                if (colon < 0) {
                    throw new ConfigException(where + ": Failed to start VNC server: address must be HOST:N, :N or unix:PATH");
                }
                String h = addr.substring(0, colon);
                int display;
                try {
                    display = Integer.parseInt(addr.substring(colon + 1));
                } catch (NumberFormatException e) {
                    throw new ConfigException(where + ": Failed to start VNC server: bad display number '"
                            + addr.substring(colon + 1) + "'");
                }
                int port = 5900 + display;
                if (display < 0 || port > 65535) {
                    throw new ConfigException(where + ": Failed to start VNC server: display " + display + " out of range");
                }
                ServerSocketChannel ch = ServerSocketChannel.open();
                ch.bind(h.isEmpty() ? new InetSocketAddress(port) : new InetSocketAddress(h, port));
                server = new VncServer(machine, ch, h.isEmpty() ? "0.0.0.0" : h, String.valueOf(port), "ipv4",
                        password, null);
            }
        } catch (IOException e) {
            throw new ConfigException(where + ": Failed to start VNC server: " + e.getMessage());
        }
        machine.addResourceToClose(server);
        Consoles.of(machine).setRemote(server);
        Thread.ofPlatform().daemon(true).name("vnc-accept").start(server::acceptLoop);
        return server;
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                SocketChannel ch = listener.accept();
                VncClient c = new VncClient(this, ch, consoles);
                clients.add(c);
                Thread.ofPlatform().daemon(true).name("vnc-client").start(c::run);
            } catch (IOException e) {
                if (!closed) {
                    machine.log().guestError("vnc: accept failed: %s", e.getMessage());
                }
                return;
            }
        }
    }

    void clientClosed(VncClient c) {
        clients.remove(c);
    }

    String name() {
        return machine.config().name != null ? machine.config().name : "jqemu";
    }

    String password() {
        return password;
    }

    @Override
    public boolean passwordRequired() {
        return passwordOn;
    }

    @Override
    public void setPassword(String password) {
        this.password = password;
    }

    @Override
    public Info info() {
        return new Info(host, service, family, passwordOn ? "vnc" : "none", clients.size());
    }

    /** Total bytes sent to all current clients (benchmarks). */
    public long bytesSent() {
        return clients.stream().mapToLong(c -> c.bytesSent).sum();
    }

    /** Total framebuffer updates sent to all current clients (benchmarks). */
    public long updatesSent() {
        return clients.stream().mapToLong(c -> c.updatesSent).sum();
    }

    @Override
    public void close() {
        closed = true;
        try {
            listener.close();
        } catch (IOException e) {
            // closing anyway
        }
        for (VncClient c : clients) {
            c.close();
        }
        if (unixPath != null) {
            try {
                Files.deleteIfExists(unixPath);
            } catch (IOException e) {
                // best effort
            }
        }
    }
}
