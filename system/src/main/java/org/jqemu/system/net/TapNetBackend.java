package org.jqemu.system.net;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.jqemu.system.options.ConfigException;

/**
 * {@code -netdev tap,id=ID[,ifname=NAME][,script=FILE|no][,downscript=FILE|no]}: a Linux TAP
 * interface (Documentation/networking/tuntap.rst) whose other end is the host's network stack.
 * /dev/net/tun is opened and bound to the interface with TUNSETIFF (IFF_TAP | IFF_NO_PI, no
 * virtio-net header), so every read(2) is one whole Ethernet frame and every write(2) sends one.
 * Without {@code ifname} the kernel picks the next free {@code tapN}. An existing persistent tap
 * (from {@code ip tuntap add NAME mode tap}) is attached to; otherwise creating one needs
 * CAP_NET_ADMIN.
 *
 * <p>As QEMU does, the interface is handed to {@code script} (default /etc/qemu-ifup, with the
 * interface name as its argument) once it exists and to {@code downscript} (default
 * /etc/qemu-ifdown) when jqemu closes it; {@code no} skips either. A script that fails stops the
 * start-up with its exit status.
 */
public final class TapNetBackend implements NetBackend {
    /** _IOW('T', 202, int), linux/if_tun.h. */
    static final long TUNSETIFF = 0x400454caL;
    static final short IFF_TAP = 0x0002;
    static final short IFF_NO_PI = 0x1000;
    /** struct ifreq: a 16-byte name, then a union whose first member here is the short flags. */
    static final int IFREQ_SIZE = 40;
    static final int IFNAMSIZ = 16;
    static final String DEFAULT_SCRIPT = "/etc/qemu-ifup";
    static final String DEFAULT_DOWNSCRIPT = "/etc/qemu-ifdown";
    private static final int MAX_FRAME = 65536;

    private final String id;
    private final String ifname;
    private final int fd;
    private final String downscript;
    private final Arena arena = Arena.ofAuto(); // send() may race close(): let the GC free it
    private final MemorySegment sendBuf = arena.allocate(MAX_FRAME);
    private final MemorySegment sendErrno = NetNative.newErrnoCapture(arena);
    private final FrameInbox inbox;
    private NativeFrameReader reader;
    private volatile boolean closed;

    private TapNetBackend(String id, String ifname, int fd, String downscript, Consumer<Runnable> mainLoop) {
        this.id = id;
        this.ifname = ifname;
        this.fd = fd;
        this.downscript = downscript;
        this.inbox = new FrameInbox(mainLoop);
    }

    /**
     * Opens (or creates) the tap and runs {@code script} on it.
     *
     * @param ifname the interface, or null for the kernel's choice
     * @param script a program or null for none
     * @param downscript a program or null for none
     */
    public static TapNetBackend open(String id, String ifname, String script, String downscript,
            Consumer<Runnable> mainLoop, String where) throws ConfigException {
        if (ifname != null && (ifname.isEmpty() || ifname.getBytes(StandardCharsets.UTF_8).length >= IFNAMSIZ)) {
            throw new ConfigException(where + ": ifname '" + ifname + "' is not an interface name (1 to "
                    + (IFNAMSIZ - 1) + " bytes)");
        }
        String name;
        int fd;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment errno = NetNative.newErrnoCapture(a);
            fd = NetNative.open(errno, "/dev/net/tun", NetNative.O_RDWR | NetNative.O_NONBLOCK | NetNative.O_CLOEXEC);
            if (fd < 0) {
                int e = NetNative.errno(errno);
                throw new ConfigException(where + ": could not open /dev/net/tun: " + NetNative.strerror(e)
                        + (e == 2 ? " (the tun module is not loaded, or no /dev/net/tun in this container)"
                                : e == 13 || e == 1 ? " (tap networking needs root or CAP_NET_ADMIN)" : ""));
            }
            MemorySegment ifr = a.allocate(IFREQ_SIZE);
            if (ifname != null) {
                byte[] n = ifname.getBytes(StandardCharsets.UTF_8);
                MemorySegment.copy(n, 0, ifr, ValueLayout.JAVA_BYTE, 0, n.length);
            }
            ifr.set(ValueLayout.JAVA_SHORT, IFNAMSIZ, (short) (IFF_TAP | IFF_NO_PI));
            if (NetNative.ioctl(errno, fd, TUNSETIFF, ifr) < 0) {
                int e = NetNative.errno(errno);
                NetNative.close(fd);
                throw new ConfigException(where + ": could not configure /dev/net/tun ("
                        + (ifname == null ? "tap%d" : ifname) + "): " + NetNative.strerror(e)
                        + (e == 1 ? " (creating a tap needs CAP_NET_ADMIN; or create it beforehand with"
                                + " 'ip tuntap add NAME mode tap user USER')" : ""));
            }
            name = ifr.getString(0, StandardCharsets.UTF_8);
        }
        if (script != null) {
            try {
                runScript(script, name, where);
            } catch (ConfigException e) {
                NetNative.close(fd);
                throw e;
            }
        }
        TapNetBackend t = new TapNetBackend(id, name, fd, downscript, mainLoop);
        // EIO while the interface is down is passing: the reader waits and tries again
        t.reader = new NativeFrameReader("netdev " + id + " rx", fd, MAX_FRAME, t.inbox, true);
        return t;
    }

    /** QEMU's launch_script: {@code script IFNAME}, waited for; a non-zero status is an error. */
    private static void runScript(String script, String ifname, String where) throws ConfigException {
        try {
            Process p = new ProcessBuilder(script, ifname).redirectOutput(ProcessBuilder.Redirect.INHERIT)
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new ConfigException(where + ": network script " + script + " did not finish in 60 s");
            }
            if (p.exitValue() != 0) {
                throw new ConfigException(where + ": network script " + script + " failed with status " + p.exitValue());
            }
        } catch (IOException e) {
            throw new ConfigException(where + ": could not launch network script " + script + ": " + e.getMessage()
                    + " (script=no skips it)");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ConfigException(where + ": interrupted while running network script " + script);
        }
    }

    @Override
    public String id() {
        return id;
    }

    /** The interface's name, as the kernel gave it. */
    public String ifname() {
        return ifname;
    }

    @Override
    public void attach(NetFrontend frontend) {
        inbox.attach(frontend);
    }

    /** Called with the machine lock held, so the one send buffer is never shared. */
    @Override
    public void send(byte[] frame, int off, int len) {
        if (closed || len > MAX_FRAME) {
            return;
        }
        MemorySegment.copy(frame, off, sendBuf, ValueLayout.JAVA_BYTE, 0, len);
        // -1 with EAGAIN (queue full) or EIO (interface down): the frame is dropped, as the kernel would
        NetNative.write(sendErrno, fd, sendBuf, len);
    }

    @Override
    public void acceptInput() {
        inbox.acceptInput();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        reader.stop();
        NetNative.close(fd);
        if (downscript != null) {
            try {
                runScript(downscript, ifname, "-netdev tap,id=" + id);
            } catch (ConfigException e) {
                System.err.println("jqemu: " + e.getMessage());
            }
        }
    }
}
