package org.jqemu.system.net;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.jqemu.system.options.ConfigException;
import org.jqemu.system.options.Opts;

/**
 * The {@code -netdev} backends of one machine, by id, for {@code -device ...,netdev=ID}:
 * {@code stream} (QEMU 7.2 syntax, inet or unix), {@code dgram} (QEMU 7.2 syntax: inet unicast,
 * inet multicast, unix), {@code socket} with {@code listen=}, {@code connect=}, {@code mcast=} or
 * {@code udp=}, {@code tap}, and {@code user} through passt. It also knows the NICs by name, for
 * QMP/HMP {@code set_link}.
 */
public final class NetBackends implements AutoCloseable {
    private final Map<String, NetBackend> backends = new LinkedHashMap<>();
    private final Map<String, GatedNetBackend> attached = new LinkedHashMap<>();
    private final Map<String, NetFrontend> nics = new LinkedHashMap<>();
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
            case "dgram" -> dgram(o, id, where);
            case "socket" -> socket(o, id, where);
            case "tap" -> tap(o, id, where);
            case "user" -> user(o, id, where);
            case "bridge", "l2tpv3", "vde", "vhost-user", "vhost-vdpa", "hubport", "af-xdp", "vmnet-host",
                    "vmnet-shared", "vmnet-bridged" ->
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

    /**
     * QEMU 7.2's dgram rules: an inet remote with a multicast address makes a multicast bus
     * (local, if given, names the interface's address); otherwise local is required and a remote
     * of the same type too.
     */
    private NetBackend dgram(Opts o, String id, String where) throws ConfigException {
        String localType = o.getString("local.type", null);
        String remoteType = o.getString("remote.type", null);
        for (String t : new String[] {localType, remoteType}) {
            if (t != null && !t.equals("inet") && !t.equals("unix")) {
                throw new ConfigException(where + ": address type '" + t + "' is not supported (inet or unix)");
            }
        }
        if ("inet".equals(remoteType)) {
            InetSocketAddress remote = inet(where, o.requireString("remote.host"), o.requireString("remote.port"));
            if (remote.getAddress().isMulticastAddress()) {
                InetAddress localAddr = null;
                if (localType != null) {
                    if (!localType.equals("inet")) {
                        throw new ConfigException(where + ": only support inet or fd type for local");
                    }
                    localAddr = ipv4(where, o.requireString("local.host"));
                    o.getString("local.port", null); // QEMU's schema wants one; multicast ignores it
                }
                o.checkAllUsed();
                return DatagramNetBackend.multicast(id, remote, localAddr, mainLoop, where);
            }
        }
        if (localType == null) {
            throw new ConfigException(where + ": dgram requires local= parameter");
        }
        if (remoteType == null) {
            throw new ConfigException(where + ": type=inet or type=unix requires remote parameter");
        }
        if (!remoteType.equals(localType)) {
            throw new ConfigException(where + ": remote and local types must be the same");
        }
        if (localType.equals("unix")) {
            String local = o.requireString("local.path");
            String remote = o.requireString("remote.path");
            o.checkAllUsed();
            return UnixDatagramNetBackend.open(id, local, remote, mainLoop, where);
        }
        InetSocketAddress local = inet(where, o.requireString("local.host"), o.requireString("local.port"));
        InetSocketAddress remote = inet(where, o.requireString("remote.host"), o.requireString("remote.port"));
        o.checkAllUsed();
        return DatagramNetBackend.unicast(id, local, remote, mainLoop, where);
    }

    /**
     * {@code -netdev tap}: {@code script}/{@code downscript} default to QEMU's /etc/qemu-ifup and
     * /etc/qemu-ifdown; {@code vhost=off} and {@code vnet_hdr=off} are what jqemu does anyway.
     */
    private NetBackend tap(Opts o, String id, String where) throws ConfigException {
        String ifname = o.getString("ifname", null);
        String script = o.getString("script", TapNetBackend.DEFAULT_SCRIPT);
        String downscript = o.getString("downscript", TapNetBackend.DEFAULT_DOWNSCRIPT);
        if (o.getBool("vhost", false)) {
            throw new ConfigException(where + ": vhost=on is not supported (jqemu has no vhost-net)");
        }
        if (o.getBool("vnet_hdr", false)) {
            throw new ConfigException(where + ": vnet_hdr=on is not supported (virtio-net offers no offloads)");
        }
        for (String key : new String[] {"fd", "fds", "helper", "br", "vhostfd", "vhostfds", "queues"}) {
            if (o.has(key)) {
                throw new ConfigException(where + ": tap " + key + "= is not supported");
            }
        }
        o.getString("vhostforce", null);
        o.checkAllUsed();
        return TapNetBackend.open(id, ifname, script.equals("no") || script.isEmpty() ? null : script,
                downscript.equals("no") || downscript.isEmpty() ? null : downscript, mainLoop, where);
    }

    private NetBackend user(Opts o, String id, String where) throws ConfigException {
        // The command line joins repeated hostfwd= rules with newlines (DriveOptions).
        String fwd = o.getString("hostfwd", null);
        java.util.List<String> fwds = fwd == null ? java.util.List.of() : java.util.List.of(fwd.split("\n"));
        o.getString("net", null); // passt gets QEMU's default 10.0.2.0/24 layout
        o.checkAllUsed();
        return PasstNetBackend.start(id, fwds, mainLoop, where);
    }

    /** QEMU's legacy socket netdev: a TCP stream (listen/connect) or UDP (mcast/udp), one of them. */
    private NetBackend socket(Opts o, String id, String where) throws ConfigException {
        String listen = o.getString("listen", null);
        String connect = o.getString("connect", null);
        String mcast = o.getString("mcast", null);
        String udp = o.getString("udp", null);
        String localaddr = o.getString("localaddr", null);
        if (o.has("fd")) {
            throw new ConfigException(where + ": socket fd= is not supported");
        }
        o.checkAllUsed();
        int given = (listen != null ? 1 : 0) + (connect != null ? 1 : 0) + (mcast != null ? 1 : 0) + (udp != null ? 1 : 0);
        if (given != 1) {
            throw new ConfigException(where + ": exactly one of listen=, connect=, mcast= or udp= is required");
        }
        if (localaddr != null && mcast == null && udp == null) {
            throw new ConfigException(where + ": localaddr= is only valid with mcast= or udp=");
        }
        if (mcast != null) {
            InetSocketAddress group = hostPort(where, mcast, "0.0.0.0");
            return DatagramNetBackend.multicast(id, group, localaddr == null ? null : ipv4(where, localaddr), mainLoop, where);
        }
        if (udp != null) {
            if (localaddr == null) {
                throw new ConfigException(where + ": localaddr= is mandatory with udp=");
            }
            return DatagramNetBackend.unicast(id, hostPort(where, localaddr, "0.0.0.0"), hostPort(where, udp, "127.0.0.1"),
                    mainLoop, where);
        }
        SocketAddress addr = hostPort(where, listen != null ? listen : connect, listen != null ? "0.0.0.0" : "127.0.0.1");
        return StreamNetBackend.open(id, addr, listen != null, mainLoop, where);
    }

    /** {@code [host]:port}, with {@code defaultHost} for an empty host. */
    private static InetSocketAddress hostPort(String where, String hostPort, String defaultHost) throws ConfigException {
        int colon = hostPort.lastIndexOf(':');
        if (colon < 0) {
            throw new ConfigException(where + ": '" + hostPort + "' is not host:port");
        }
        String host = hostPort.substring(0, colon);
        return inet(where, host.isEmpty() ? defaultHost : host, hostPort.substring(colon + 1));
    }

    /** A dotted IPv4 address, as QEMU's inet_aton check for localaddr. */
    private static InetAddress ipv4(String where, String text) throws ConfigException {
        if (!text.matches("\\d{1,3}(\\.\\d{1,3}){3}")) {
            throw new ConfigException(where + ": localaddr '" + text + "' is not a valid IPv4 address");
        }
        try {
            return InetAddress.getByName(text);
        } catch (java.net.UnknownHostException e) {
            throw new ConfigException(where + ": localaddr '" + text + "' is not a valid IPv4 address");
        }
    }

    private static InetSocketAddress inet(String where, String host, String port) throws ConfigException {
        int p;
        try {
            p = Integer.parseInt(port);
            if (p < 0 || p > 65535) {
                throw new NumberFormatException();
            }
        } catch (NumberFormatException e) {
            throw new ConfigException(where + ": port '" + port + "' is not a number from 0 to 65535");
        }
        // Only what a host name or address can hold, so junk fails here and is never sent to DNS.
        if (!host.matches("[A-Za-z0-9._:\\[\\]-]+")) {
            throw new ConfigException(where + ": address '" + host + "' is not a host name or IP address");
        }
        InetSocketAddress a = new InetSocketAddress(host.startsWith("[") && host.endsWith("]")
                ? host.substring(1, host.length() - 1) : host, p);
        if (a.isUnresolved()) {
            throw new ConfigException(where + ": address resolution failed for " + host + ":" + port);
        }
        return a;
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
        if (attached.containsKey(id)) {
            throw new ConfigException(deviceType + ": Property '" + deviceType + ".netdev' can't use value '" + id
                    + "', it's in use");
        }
        GatedNetBackend g = new GatedNetBackend(b);
        attached.put(id, g);
        return g;
    }

    /**
     * Names a NIC for {@code set_link}: its device id, or QEMU's {@code MODEL.N} (N counting that
     * model's NICs) when it has none. Returns the name.
     */
    public String addNic(String deviceId, String model, NetFrontend nic) {
        String name = deviceId;
        if (name == null) {
            int n = 0;
            while (nics.containsKey(model + "." + n)) {
                n++;
            }
            name = model + "." + n;
        }
        nics.put(name, nic);
        return name;
    }

    /**
     * QMP/HMP {@code set_link}, with QEMU's rules: a NIC name switches that NIC's link (what the
     * guest sees as carrier); a netdev id switches the backend's side and the NIC attached to it.
     * Returns false when nothing has that name. Call with the machine lock held.
     */
    public boolean setLink(String name, boolean up) {
        NetFrontend nic = nics.get(name);
        if (nic != null) {
            nic.setLinkUp(up);
            return true;
        }
        GatedNetBackend g = attached.get(name);
        if (g != null) {
            g.setUp(up);
            if (g.frontend() != null) {
                g.frontend().setLinkUp(up);
            }
            return true;
        }
        return backends.containsKey(name); // a netdev no NIC uses: nothing to switch
    }

    /** The link state of a NIC or netdev by name (for tests and {@code info network}); null if unknown. */
    public Boolean linkUp(String name) {
        NetFrontend nic = nics.get(name);
        if (nic != null) {
            return nic.linkUp();
        }
        GatedNetBackend g = attached.get(name);
        if (g != null) {
            return g.up();
        }
        return backends.containsKey(name) ? Boolean.TRUE : null;
    }

    /** The ids of the backends devices hold now (hotplug notes which a new device took). */
    public java.util.Set<String> attachedIds() {
        return java.util.Set.copyOf(attached.keySet());
    }

    /**
     * A device that held {@code id} is gone (hot unplug): another may take the netdev now, and
     * the gone NIC no longer answers to {@code set_link}.
     */
    public void release(String id) {
        GatedNetBackend g = attached.remove(id);
        if (g != null && g.frontend() != null) {
            nics.values().remove(g.frontend());
        }
    }

    @Override
    public void close() {
        backends.values().forEach(NetBackend::close);
    }
}
