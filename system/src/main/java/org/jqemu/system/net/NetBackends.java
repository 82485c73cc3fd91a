package org.jqemu.system.net;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.jqemu.system.options.ConfigException;
import org.jqemu.system.options.Opts;

/**
 * The {@code -netdev} backends of one machine, by id, for {@code -device ...,netdev=ID}. So far:
 * {@code stream} (QEMU 7.2 syntax, inet or unix), {@code socket} with {@code listen=} or
 * {@code connect=}, and {@code user} through passt; dgram, mcast and tap are later work.
 */
public final class NetBackends implements AutoCloseable {
    private final Map<String, NetBackend> backends = new LinkedHashMap<>();
    private final Set<String> attached = new HashSet<>();
    private final Consumer<Runnable> mainLoop;

    public NetBackends(Consumer<Runnable> mainLoop) {
        this.mainLoop = mainLoop;
    }

    public NetBackend open(Opts o) throws ConfigException {
        String where = o.option();
        String type = o.requireString("type");
        String id = o.requireString("id");
        if (backends.containsKey(id)) {
            throw new ConfigException(where + ": Duplicate ID '" + id + "' for netdev");
        }
        NetBackend b = switch (type) {
            case "stream" -> stream(o, id, where);
            case "socket" -> socket(o, id, where);
            case "user" -> user(o, id, where);
            case "dgram", "tap", "bridge", "l2tpv3", "vde", "vhost-user", "vhost-vdpa", "hubport" ->
                    throw new ConfigException(where + ": netdev type '" + type + "' is not supported yet");
            default -> throw new ConfigException(where + ": Parameter 'type' does not accept value '" + type + "'");
        };
        backends.put(id, b);
        return b;
    }

    private NetBackend stream(Opts o, String id, String where) throws ConfigException {
        boolean server = o.getBool("server", false);
        String addrType = o.requireString("addr.type");
        SocketAddress addr;
        switch (addrType) {
            case "inet" -> addr = inet(where, o.requireString("addr.host"), o.requireString("addr.port"));
            case "unix" -> addr = UnixDomainSocketAddress.of(o.requireString("addr.path"));
            default -> throw new ConfigException(where + ": addr.type '" + addrType + "' is not supported yet");
        }
        o.getString("reconnect", null);
        o.checkAllUsed();
        return StreamNetBackend.open(id, addr, server, mainLoop, where);
    }

    private NetBackend user(Opts o, String id, String where) throws ConfigException {
        // The command line joins repeated hostfwd= rules with newlines (DriveOptions).
        String fwd = o.getString("hostfwd", null);
        java.util.List<String> fwds = fwd == null ? java.util.List.of() : java.util.List.of(fwd.split("\n"));
        o.getString("net", null); // passt gets QEMU's default 10.0.2.0/24 layout
        o.checkAllUsed();
        return PasstNetBackend.start(id, fwds, mainLoop, where);
    }

    private NetBackend socket(Opts o, String id, String where) throws ConfigException {
        String listen = o.getString("listen", null);
        String connect = o.getString("connect", null);
        if (o.has("mcast") || o.has("udp") || o.has("fd")) {
            throw new ConfigException(where + ": socket mcast=, udp= and fd= are not supported yet");
        }
        o.checkAllUsed();
        if ((listen == null) == (connect == null)) {
            throw new ConfigException(where + ": exactly one of listen= and connect= is needed");
        }
        String hostPort = listen != null ? listen : connect;
        int colon = hostPort.lastIndexOf(':');
        if (colon < 0) {
            throw new ConfigException(where + ": '" + hostPort + "' is not host:port");
        }
        String host = hostPort.substring(0, colon);
        SocketAddress addr = inet(where, host.isEmpty() ? (listen != null ? "0.0.0.0" : "127.0.0.1") : host,
                hostPort.substring(colon + 1));
        return StreamNetBackend.open(id, addr, listen != null, mainLoop, where);
    }

    private static SocketAddress inet(String where, String host, String port) throws ConfigException {
        try {
            int p = Integer.parseInt(port);
            if (p < 0 || p > 65535) {
                throw new NumberFormatException();
            }
            return new InetSocketAddress(host, p);
        } catch (NumberFormatException e) {
            throw new ConfigException(where + ": port '" + port + "' is not a number from 0 to 65535");
        }
    }

    public NetBackend get(String id) {
        return backends.get(id);
    }

    /** Claims a backend for one NIC, as QEMU allows one NIC per netdev. */
    public NetBackend attach(String id, String deviceType) throws ConfigException {
        NetBackend b = backends.get(id);
        if (b == null) {
            throw new ConfigException(deviceType + ": Property '" + deviceType + ".netdev' can't find value '" + id + "'");
        }
        if (!attached.add(id)) {
            throw new ConfigException(deviceType + ": Property '" + deviceType + ".netdev' can't use value '" + id
                    + "', it's in use");
        }
        return b;
    }

    /** The ids of the backends devices hold now (hotplug notes which a new device took). */
    public java.util.Set<String> attachedIds() {
        return java.util.Set.copyOf(attached);
    }

    /** A device that held {@code id} is gone (hot unplug): another may take the netdev now. */
    public void release(String id) {
        attached.remove(id);
    }

    @Override
    public void close() {
        backends.values().forEach(NetBackend::close);
    }
}
