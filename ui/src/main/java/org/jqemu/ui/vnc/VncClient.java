package org.jqemu.ui.vnc;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;
import org.jqemu.system.ui.Consoles;
import org.jqemu.system.ui.DisplaySurface;
import org.jqemu.system.ui.GraphicConsole;
import org.jqemu.system.ui.KeyCodes;
import org.jqemu.system.ui.PointerInput;

/**
 * One RFB 3.3/3.7/3.8 connection (RFC 6143): handshake with None or VNC authentication, then a
 * reader thread for client messages and an update loop that sends what changed since the
 * client's last frame.
 *
 * <p>The server keeps a copy of what the client shows, so each update sends exactly the 64x64
 * tiles whose pixels differ; a vertical scroll of most of the screen goes as one CopyRect first.
 * Encodings: Raw, CopyRect, ZRLE, and the DesktopSize pseudo-encoding for mode changes.
 */
final class VncClient {
    static final int ENC_RAW = 0;
    static final int ENC_COPYRECT = 1;
    static final int ENC_ZRLE = 16;
    static final int ENC_DESKTOP_SIZE = -223;
    /** Update rate limit while changes keep coming. */
    static final long FRAME_NANOS = 33_000_000L;
    static final long IDLE_STEP_MILLIS = 50;
    static final long IDLE_MAX_MILLIS = 300;

    private final VncServer server;
    private final ByteChannel channel;
    private final Consoles consoles;
    private final Object lock = new Object();
    private volatile boolean closed;

    private PixelFormat format = PixelFormat.DEFAULT;
    private boolean zrle;
    private boolean copyRect;
    private boolean desktopSize;
    private boolean updateRequested;
    private boolean fullRequested;

    private int[] shadow = new int[0];
    private int shadowW;
    private int shadowH;
    private int lastX = -1;
    private int lastY = -1;
    private int lastButtons;
    private boolean shiftDown;
    private long idleMillis = FRAME_NANOS / 1_000_000;
    private boolean inputSeen;
    private final ZrleEncoder zrleEncoder = new ZrleEncoder();

    /** Counters for the benchmark: bytes and framebuffer updates sent. */
    volatile long bytesSent;
    volatile long updatesSent;

    VncClient(VncServer server, ByteChannel channel, Consoles consoles) {
        this.server = server;
        this.channel = channel;
        this.consoles = consoles;
    }

    void run() {
        try {
            if (!handshake()) {
                return;
            }
            Thread reader = Thread.ofPlatform().daemon(true).name("vnc-reader").start(this::readLoop);
            updateLoop();
            reader.join(100);
        } catch (IOException | InterruptedException e) {
            // the client went away
        } finally {
            close();
        }
    }

    void close() {
        closed = true;
        synchronized (lock) {
            lock.notifyAll();
        }
        try {
            channel.close();
        } catch (IOException e) {
            // already closed
        }
        zrleEncoder.close();
        server.clientClosed(this);
    }

    // ---- handshake ------------------------------------------------------------------------------

    private boolean handshake() throws IOException {
        write(ByteBuffer.wrap("RFB 003.008\n".getBytes(StandardCharsets.US_ASCII)));
        String version = new String(readFully(12).array(), StandardCharsets.US_ASCII);
        int minor = version.startsWith("RFB 003.") ? Integer.parseInt(version.substring(8, 11)) : 3;
        boolean password = server.passwordRequired();
        int type = password ? 2 : 1;
        if (minor >= 7) {
            write(ByteBuffer.wrap(new byte[] {1, (byte) type}));
            int chosen = readFully(1).get() & 0xff;
            if (chosen != type) {
                fail(minor, "unsupported security type");
                return false;
            }
        } else {
            write(ByteBuffer.allocate(4).putInt(0, type));
        }
        if (password && !authenticate()) {
            fail(minor, "Authentication failed");
            return false;
        }
        if (minor >= 8 || password) {
            write(ByteBuffer.allocate(4).putInt(0, 0)); // SecurityResult OK
        }
        readFully(1); // ClientInit: shared flag (every client shares)
        GraphicConsole g = consoles.graphic();
        int w = 640;
        int h = 480;
        if (g != null) {
            g.refresh();
            DisplaySurface s = g.surface();
            w = s.width();
            h = s.height();
        }
        byte[] name = server.name().getBytes(StandardCharsets.UTF_8);
        ByteBuffer init = ByteBuffer.allocate(24 + name.length);
        init.putShort((short) w).putShort((short) h);
        PixelFormat.DEFAULT.write(init);
        init.putInt(name.length).put(name).flip();
        write(init);
        shadowW = w;
        shadowH = h;
        shadow = new int[w * h]; // the client starts with an unknown picture: everything differs below
        java.util.Arrays.fill(shadow, -1);
        return true;
    }

    private void fail(int minor, String reason) throws IOException {
        byte[] r = reason.getBytes(StandardCharsets.US_ASCII);
        ByteBuffer b = ByteBuffer.allocate(8 + r.length);
        b.putInt(1);
        if (minor >= 8) {
            b.putInt(r.length).put(r);
        }
        b.flip();
        write(b);
    }

    /** VNC authentication: DES of a 16-byte challenge with the password (RFC 6143, 7.2.2). */
    private boolean authenticate() throws IOException {
        byte[] challenge = new byte[16];
        new SecureRandom().nextBytes(challenge);
        write(ByteBuffer.wrap(challenge.clone()));
        byte[] response = readFully(16).array();
        String pw = server.password();
        if (pw == null) {
            return false; // password=on and no password set yet: nobody gets in, as in QEMU
        }
        return MessageDigest.isEqual(desResponse(pw, challenge), response);
    }

    static byte[] desResponse(String password, byte[] challenge) {
        byte[] key = new byte[8];
        byte[] pw = password.getBytes(StandardCharsets.ISO_8859_1);
        for (int i = 0; i < 8 && i < pw.length; i++) {
            key[i] = (byte) (Integer.reverse(pw[i] & 0xff) >>> 24); // VNC's DES key has each byte's bits mirrored
        }
        try {
            Cipher des = Cipher.getInstance("DES/ECB/NoPadding");
            des.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "DES"));
            return des.doFinal(challenge);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("DES is not available", e);
        }
    }

    // ---- client messages ------------------------------------------------------------------------

    private void readLoop() {
        try {
            while (!closed) {
                int type = readFully(1).get() & 0xff;
                switch (type) {
                    case 0 -> {
                        ByteBuffer b = readFully(19);
                        b.position(3);
                        PixelFormat pf = PixelFormat.read(b);
                        synchronized (lock) {
                            if (pf.usable()) {
                                format = pf;
                            }
                            fullRequested = true;
                        }
                    }
                    case 2 -> {
                        ByteBuffer b = readFully(3);
                        int n = b.getShort(1) & 0xffff;
                        ByteBuffer e = readFully(4 * n);
                        boolean z = false;
                        boolean c = false;
                        boolean d = false;
                        for (int i = 0; i < n; i++) {
                            int enc = e.getInt(4 * i);
                            z |= enc == ENC_ZRLE;
                            c |= enc == ENC_COPYRECT;
                            d |= enc == ENC_DESKTOP_SIZE;
                        }
                        synchronized (lock) {
                            zrle = z;
                            copyRect = c;
                            desktopSize = d;
                        }
                    }
                    case 3 -> {
                        ByteBuffer b = readFully(9);
                        boolean incremental = b.get(0) != 0;
                        synchronized (lock) {
                            updateRequested = true;
                            fullRequested |= !incremental;
                            lock.notifyAll();
                        }
                    }
                    case 4 -> {
                        ByteBuffer b = readFully(7);
                        key(b.get(0) != 0, b.getInt(3));
                    }
                    case 5 -> {
                        ByteBuffer b = readFully(5);
                        pointer(b.get(0) & 0xff, b.getShort(1) & 0xffff, b.getShort(3) & 0xffff);
                    }
                    case 6 -> {
                        ByteBuffer b = readFully(7);
                        int len = b.getInt(3);
                        if (len < 0 || len > 1 << 20) {
                            return;
                        }
                        readFully(len); // clipboard text: the guest has no clipboard channel
                    }
                    default -> {
                        return; // unknown message: the stream cannot be followed any further
                    }
                }
            }
        } catch (IOException e) {
            // disconnected
        } finally {
            closed = true;
            synchronized (lock) {
                lock.notifyAll();
            }
        }
    }

    private void inputArrived() {
        synchronized (lock) {
            inputSeen = true;
            idleMillis = FRAME_NANOS / 1_000_000;
            lock.notifyAll();
        }
    }

    private void key(boolean down, int keysym) {
        inputArrived();
        int q = KeyCodes.keysym(keysym);
        if (q < 0) {
            return;
        }
        if (q == KeyCodes.SHIFT || q == 0x36) {
            shiftDown = down;
            consoles.sendKey(q, down);
            return;
        }
        boolean addShift = down && !shiftDown && KeyCodes.keysymNeedsShift(keysym);
        if (addShift) {
            consoles.sendKey(KeyCodes.SHIFT, true);
        }
        consoles.sendKey(q, down);
        if (addShift) {
            consoles.sendKey(KeyCodes.SHIFT, false);
        }
    }

    /** RFB buttons: bit 0 left, 1 middle, 2 right, 3/4 wheel up/down; positions are absolute. */
    private void pointer(int mask, int x, int y) {
        inputArrived();
        int dx = lastX < 0 ? 0 : x - lastX;
        int dy = lastY < 0 ? 0 : y - lastY;
        lastX = x;
        lastY = y;
        int dz = 0;
        if ((mask & 8) != 0 && (lastButtons & 8) == 0) {
            dz = -1;
        }
        if ((mask & 16) != 0 && (lastButtons & 16) == 0) {
            dz = 1;
        }
        lastButtons = mask;
        int buttons = ((mask & 1) != 0 ? PointerInput.BUTTON_LEFT : 0)
                | ((mask & 2) != 0 ? PointerInput.BUTTON_MIDDLE : 0)
                | ((mask & 4) != 0 ? PointerInput.BUTTON_RIGHT : 0);
        consoles.sendPointer(dx, dy, dz, buttons);
    }

    // ---- framebuffer updates --------------------------------------------------------------------

    private void updateLoop() throws IOException, InterruptedException {
        long lastGeneration = -1;
        while (!closed) {
            boolean full;
            synchronized (lock) {
                while (!updateRequested && !closed) {
                    lock.wait();
                }
                full = fullRequested;
            }
            if (closed) {
                return;
            }
            GraphicConsole g = consoles.graphic();
            if (g == null) {
                Thread.sleep(100);
                continue;
            }
            g.refresh();
            DisplaySurface s = g.surface();
            int[] cur;
            int w;
            int h;
            long gen;
            synchronized (s) {
                gen = s.generation();
                if (gen == lastGeneration && !full) {
                    cur = null;
                    w = h = 0;
                } else {
                    w = s.width();
                    h = s.height();
                    cur = s.snapshot();
                }
            }
            if (cur == null || !sendUpdate(cur, w, h, full)) {
                // nothing changed: look less often, as QEMU's VNC refresh backs off; client input
                // (which usually changes the screen soon) brings the rate back at once
                idleMillis = Math.min(idleMillis + IDLE_STEP_MILLIS, IDLE_MAX_MILLIS);
                synchronized (lock) {
                    if (!inputSeen) {
                        lock.wait(idleMillis);
                    }
                    inputSeen = false;
                }
                lastGeneration = gen;
                continue;
            }
            idleMillis = FRAME_NANOS / 1_000_000;
            lastGeneration = gen;
            Thread.sleep(FRAME_NANOS / 1_000_000);
        }
    }

    private record Rect(int x, int y, int w, int h) {}

    /** Sends one FramebufferUpdate for what differs from the client's copy; false when nothing did. */
    private boolean sendUpdate(int[] cur, int w, int h, boolean full) throws IOException {
        PixelFormat pf;
        boolean useZrle;
        boolean useCopy;
        boolean canResize;
        synchronized (lock) {
            pf = format;
            useZrle = zrle;
            useCopy = copyRect;
            canResize = desktopSize;
        }
        java.util.List<Rect> rects = new java.util.ArrayList<>();
        boolean resized = w != shadowW || h != shadowH;
        if (resized) {
            shadow = new int[w * h];
            java.util.Arrays.fill(shadow, -1);
            shadowW = w;
            shadowH = h;
        }
        if (full) {
            java.util.Arrays.fill(shadow, -1);
        }
        Rect copy = null;
        int copyFromY = 0;
        if (useCopy && !resized && !full) {
            int[] scroll = detectScroll(cur, w, h);
            if (scroll != null) {
                copyFromY = scroll[0];
                copy = new Rect(0, scroll[1], w, scroll[2]);
                System.arraycopy(shadow, copyFromY * w, shadow, copy.y() * w, copy.h() * w);
            }
        }
        for (int ty = 0; ty < h; ty += ZrleEncoder.TILE) {
            int th = Math.min(ZrleEncoder.TILE, h - ty);
            int spanStart = -1;
            for (int tx = 0; tx < w + ZrleEncoder.TILE; tx += ZrleEncoder.TILE) {
                boolean dirty = tx < w && tileDiffers(cur, w, tx, ty, Math.min(ZrleEncoder.TILE, w - tx), th);
                if (dirty && spanStart < 0) {
                    spanStart = tx;
                } else if (!dirty && spanStart >= 0) {
                    rects.add(new Rect(spanStart, ty, Math.min(tx, w) - spanStart, th));
                    spanStart = -1;
                }
            }
        }
        boolean sendSize = resized && canResize;
        int count = rects.size() + (copy != null ? 1 : 0) + (sendSize ? 1 : 0);
        if (count == 0) {
            synchronized (lock) {
                fullRequested = false;
            }
            return false;
        }
        synchronized (lock) {
            updateRequested = false;
            fullRequested = false;
        }
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        java.io.DataOutputStream d = new java.io.DataOutputStream(out);
        d.writeByte(0);
        d.writeByte(0);
        d.writeShort(count);
        if (sendSize) {
            rectHeader(d, 0, 0, w, h, ENC_DESKTOP_SIZE);
        }
        if (copy != null) {
            rectHeader(d, copy.x(), copy.y(), copy.w(), copy.h(), ENC_COPYRECT);
            d.writeShort(0);
            d.writeShort(copyFromY);
        }
        int bpp = pf.bytesPerPixel();
        for (Rect r : rects) {
            if (useZrle) {
                rectHeader(d, r.x(), r.y(), r.w(), r.h(), ENC_ZRLE);
                d.write(zrleEncoder.encode(cur, w, r.x(), r.y(), r.w(), r.h(), pf));
            } else {
                rectHeader(d, r.x(), r.y(), r.w(), r.h(), ENC_RAW);
                byte[] raw = new byte[r.w() * r.h() * bpp];
                int o = 0;
                for (int j = 0; j < r.h(); j++) {
                    int base = (r.y() + j) * w + r.x();
                    for (int i = 0; i < r.w(); i++) {
                        pf.put(raw, o, pf.convert(cur[base + i]), bpp);
                        o += bpp;
                    }
                }
                d.write(raw);
            }
            for (int j = 0; j < r.h(); j++) {
                int base = (r.y() + j) * w + r.x();
                System.arraycopy(cur, base, shadow, base, r.w());
            }
        }
        d.flush();
        byte[] msg = out.toByteArray();
        write(ByteBuffer.wrap(msg));
        bytesSent += msg.length;
        updatesSent++;
        return true;
    }

    private static void rectHeader(java.io.DataOutputStream d, int x, int y, int w, int h, int enc) throws IOException {
        d.writeShort(x);
        d.writeShort(y);
        d.writeShort(w);
        d.writeShort(h);
        d.writeInt(enc);
    }

    private boolean tileDiffers(int[] cur, int w, int x, int y, int tw, int th) {
        for (int j = 0; j < th; j++) {
            int base = (y + j) * w + x;
            if (java.util.Arrays.mismatch(cur, base, base + tw, shadow, base, base + tw) >= 0) {
                return true;
            }
        }
        return false;
    }

    /**
     * A vertical scroll: the new picture's rows [dst, dst+n) equal the client's rows [src, src+n)
     * for some shift, over at least half the screen. Returns {src, dst, n} or null.
     */
    private int[] detectScroll(int[] cur, int w, int h) {
        int first = 0;
        while (first < h && rowEquals(cur, first, shadow, first, w)) {
            first++;
        }
        if (first >= h) {
            return null;
        }
        for (int shift = 1; shift <= Math.min(64, h / 2); shift++) {
            // scrolled up (content moved towards the top): cur row r == shadow row r + shift
            int n = 0;
            while (first + n + shift < h && rowEquals(cur, first + n, shadow, first + n + shift, w)) {
                n++;
            }
            if (n >= h / 2 && !uniform(cur, first, n, w)) {
                return new int[] {first + shift, first, n};
            }
        }
        return null;
    }

    private static boolean uniform(int[] px, int y, int n, int w) {
        int v = px[y * w];
        for (int i = y * w; i < (y + n) * w; i++) {
            if (px[i] != v) {
                return false;
            }
        }
        return true;
    }

    private static boolean rowEquals(int[] a, int ra, int[] b, int rb, int w) {
        return java.util.Arrays.mismatch(a, ra * w, ra * w + w, b, rb * w, rb * w + w) < 0;
    }

    // ---- channel I/O ------------------------------------------------------------------------------

    private ByteBuffer readFully(int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining()) {
            if (channel.read(b) < 0) {
                throw new IOException("client closed the connection");
            }
        }
        b.flip();
        return b;
    }

    private void write(ByteBuffer b) throws IOException {
        synchronized (channel) {
            while (b.hasRemaining()) {
                channel.write(b);
            }
        }
    }
}
