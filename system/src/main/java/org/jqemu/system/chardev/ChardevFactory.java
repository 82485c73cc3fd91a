package org.jqemu.system.chardev;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import java.util.function.Function;
import org.jqemu.system.options.ConfigException;
import org.jqemu.system.options.Opts;

/**
 * Creates backends from {@code -chardev BACKEND,id=ID,...} and from {@code -serial} shorthands,
 * with QEMU's option names and messages. One factory serves one machine: it knows which ids are
 * taken and that stdio can have only one user.
 */
public final class ChardevFactory {
    /** What backends need from the process and the machine. */
    public record Context(
            Executor mainLoop,
            InputStream stdin,
            OutputStream stdout,
            boolean realTerminal,
            Consumer<String> info,
            Runnable quit) {}

    /** The backend names {@code -chardev help} lists. */
    public static final List<String> BACKENDS = List.of("null", "file", "stdio", "socket", "mux");

    private final Context context;
    private final Function<String, Chardev> existing;
    private boolean stdioUsed;

    /** @param existing looks up chardevs already created (for duplicates and chardev:ID) */
    public ChardevFactory(Context context, Function<String, Chardev> existing) {
        this.context = context;
        this.existing = existing;
    }

    /** {@code -chardev ...}: the options must name a backend and an id. */
    public Chardev create(Opts opts) throws ConfigException {
        String where = opts.option();
        String backend = opts.getString("backend", null);
        String id = opts.getString("id", null);
        if (backend == null) {
            throw new ConfigException(where + ": chardev: no backend specified");
        }
        if (id == null) {
            throw new ConfigException(where + ": chardev: no id specified");
        }
        if (existing.apply(id) != null) {
            throw new ConfigException(where + ": Duplicate ID '" + id + "' for chardev");
        }
        boolean mux = opts.getBool("mux", false);
        Chardev c = switch (backend) {
            case "null" -> new NullChardev(id);
            case "file" -> {
                String path = opts.getString("path", null);
                if (path == null) {
                    throw new ConfigException(where + ": chardev: file: no filename given");
                }
                yield file(where, id, path, opts.getBool("append", false));
            }
            case "stdio" -> stdio(where, id, opts.getBool("signal", true));
            case "socket" -> socket(where, id, opts);
            case "mux" -> {
                String chardev = opts.requireString("chardev");
                Chardev target = existing.apply(chardev);
                if (target == null) {
                    throw new ConfigException(where + ": chardev: mux: chardev '" + chardev + "' not found");
                }
                yield new MuxChardev(id, target, context.mainLoop(), context.quit());
            }
            default -> throw new ConfigException(where + ": '" + backend + "' is not a valid char driver name");
        };
        try {
            opts.checkAllUsed();
        } catch (ConfigException e) {
            c.close();
            throw e;
        }
        return mux ? new MuxChardev(id, c, context.mainLoop(), context.quit()) : c;
    }

    /**
     * {@code -serial SPEC} for the port with chardev id {@code id} ("serial0", ...): stdio, null,
     * file:PATH, chardev:ID, mon:SPEC, tcp:[HOST]:PORT[,...], telnet:..., unix:PATH[,...].
     * Returns null for "none".
     */
    public Chardev createSerial(String id, String spec) throws ConfigException {
        String where = "-serial " + spec;
        if (spec.equals("none")) {
            return null;
        }
        if (spec.startsWith("mon:")) {
            Chardev inner = createSerial(id + "-base", spec.substring(4));
            if (inner == null) {
                throw new ConfigException(where + ": 'none' cannot be multiplexed");
            }
            return new MuxChardev(id, inner, context.mainLoop(), context.quit());
        }
        if (spec.equals("null")) {
            return new NullChardev(id);
        }
        if (spec.equals("stdio")) {
            return stdio(where, id, true);
        }
        if (spec.startsWith("file:")) {
            return file(where, id, spec.substring(5), false);
        }
        if (spec.startsWith("chardev:")) {
            String target = spec.substring(8);
            Chardev c = existing.apply(target);
            if (c == null) {
                throw new ConfigException(where + ": chardev '" + target + "' not found");
            }
            return new ChardevAlias(id, c);
        }
        if (spec.startsWith("tcp:") || spec.startsWith("telnet:") || spec.startsWith("unix:")) {
            int colon = spec.indexOf(':');
            String kind = spec.substring(0, colon);
            String rest = spec.substring(colon + 1);
            int comma = rest.indexOf(',');
            String addr = comma < 0 ? rest : rest.substring(0, comma);
            Map<String, String> m = new LinkedHashMap<>();
            if (kind.equals("unix")) {
                m.put("path", addr);
            } else {
                int sep = addr.lastIndexOf(':');
                if (sep < 0) {
                    throw new ConfigException(where + ": address '" + addr + "' lacks a port");
                }
                String host = addr.substring(0, sep);
                if (host.startsWith("[") && host.endsWith("]")) {
                    host = host.substring(1, host.length() - 1);
                }
                m.put("host", host);
                m.put("port", addr.substring(sep + 1));
                if (kind.equals("telnet")) {
                    m.put("telnet", "on");
                }
            }
            if (comma >= 0) {
                m.putAll(Opts.parse(where, rest.substring(comma + 1), null).asMap());
            }
            Opts opts = new Opts(where, m);
            Chardev c = socket(where, id, opts);
            opts.checkAllUsed();
            return c;
        }
        if (spec.equals("vc") || spec.startsWith("vc:") || spec.equals("pty") || spec.startsWith("pipe:")
                || spec.startsWith("udp:") || spec.equals("msmouse") || spec.equals("braille")
                || spec.startsWith("/dev/") || spec.equals("testdev")) {
            throw new ConfigException(where + ": not supported yet");
        }
        throw new ConfigException(where + ": '" + spec + "' is not a valid char driver");
    }

    /** The default serial port under -nographic: the terminal, shared with the (future) monitor. */
    public Chardev createNographicConsole(String id) throws ConfigException {
        return new MuxChardev(id, stdio("-nographic", id + "-base", true), context.mainLoop(), context.quit());
    }

    private Chardev file(String where, String id, String path, boolean append) throws ConfigException {
        try {
            return new FileChardev(id, Path.of(path), append);
        } catch (ConfigException e) {
            throw new ConfigException(where + ": " + e.getMessage());
        }
    }

    private Chardev stdio(String where, String id, boolean signals) throws ConfigException {
        if (stdioUsed) {
            throw new ConfigException(where + ": cannot use stdio by multiple character devices");
        }
        stdioUsed = true;
        return new StdioChardev(id, context.mainLoop(), context.stdin(), context.stdout(), context.realTerminal(),
                signals);
    }

    private Chardev socket(String where, String id, Opts opts) throws ConfigException {
        String path = opts.getString("path", null);
        String host = opts.getString("host", null);
        String port = opts.getString("port", null);
        boolean server = opts.getBool("server", false);
        boolean wait = opts.getBool("wait", true);
        boolean delay = opts.getBool("delay", true) && !opts.getBool("nodelay", false);
        boolean telnet = opts.getBool("telnet", false);
        SocketAddress address;
        if (path != null) {
            if (host != null || port != null) {
                throw new ConfigException(where + ": chardev: socket: 'path' cannot be combined with 'host'/'port'");
            }
            address = UnixDomainSocketAddress.of(path);
        } else {
            if (port == null) {
                throw new ConfigException(where + ": chardev: socket: must specify either 'path' or 'port'");
            }
            int p;
            try {
                p = Integer.parseInt(port);
            } catch (NumberFormatException e) {
                p = -1;
            }
            if (p < 0 || p > 65535) {
                throw new ConfigException(where + ": port '" + port + "' is not a number between 0 and 65535");
            }
            if (host == null || host.isEmpty()) {
                host = server ? "0.0.0.0" : "localhost";
            }
            address = new InetSocketAddress(host, p);
            if (((InetSocketAddress) address).isUnresolved()) {
                throw new ConfigException(where + ": address resolution failed for " + host + ":" + port);
            }
        }
        try {
            return SocketChardev.open(id, context.mainLoop(), address, server, server && wait, !delay, telnet,
                    msg -> context.info().accept(where + ": " + msg));
        } catch (ConfigException e) {
            throw new ConfigException(where + ": " + e.getMessage());
        }
    }
}
