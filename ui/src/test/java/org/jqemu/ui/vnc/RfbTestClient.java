package org.jqemu.ui.vnc;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * A small RFB 3.8 client for tests: None or VNC authentication, 32-bit little-endian 0x00RRGGBB
 * pixels, Raw/CopyRect/ZRLE/DesktopSize decoding into its own framebuffer, key events.
 */
final class RfbTestClient implements AutoCloseable {
    final Socket socket;
    final DataInputStream in;
    final DataOutputStream out;
    int width;
    int height;
    int[] fb;
    final Inflater inflater = new Inflater();
    long bytesReceived;
    int copyRects;
    int zrleRects;
    int rawRects;

    RfbTestClient(String host, int port, String password) throws IOException {
        socket = new Socket(host, port);
        socket.setSoTimeout(60_000);
        in = new DataInputStream(socket.getInputStream());
        out = new DataOutputStream(socket.getOutputStream());
        byte[] version = new byte[12];
        in.readFully(version);
        out.write("RFB 003.008\n".getBytes());
        int n = in.readUnsignedByte();
        byte[] types = new byte[n];
        in.readFully(types);
        int type = types[0];
        out.writeByte(type);
        if (type == 2) {
            byte[] challenge = new byte[16];
            in.readFully(challenge);
            out.write(VncClient.desResponse(password == null ? "" : password, challenge));
        }
        int result = in.readInt();
        if (result != 0) {
            byte[] reason = new byte[in.readInt()];
            in.readFully(reason);
            throw new IOException("security failed: " + new String(reason));
        }
        out.writeByte(1); // shared
        width = in.readUnsignedShort();
        height = in.readUnsignedShort();
        in.readFully(new byte[16]);
        in.readFully(new byte[in.readInt()]);
        fb = new int[width * height];
    }

    void setEncodings(int... encodings) throws IOException {
        out.writeByte(2);
        out.writeByte(0);
        out.writeShort(encodings.length);
        for (int e : encodings) {
            out.writeInt(e);
        }
        out.flush();
    }

    void requestUpdate(boolean incremental) throws IOException {
        out.writeByte(3);
        out.writeByte(incremental ? 1 : 0);
        out.writeShort(0);
        out.writeShort(0);
        out.writeShort(width);
        out.writeShort(height);
        out.flush();
    }

    void key(int keysym, boolean down) throws IOException {
        out.writeByte(4);
        out.writeByte(down ? 1 : 0);
        out.writeShort(0);
        out.writeInt(keysym);
        out.flush();
    }

    void type(String text) throws IOException {
        for (char c : text.toCharArray()) {
            int ks = c == '\n' ? 0xff0d : c;
            key(ks, true);
            key(ks, false);
        }
    }

    /** Reads one server message; returns its type (0 = framebuffer update). */
    int readMessage() throws IOException {
        int type = in.readUnsignedByte();
        bytesReceived++;
        switch (type) {
            case 0 -> {
                in.readUnsignedByte();
                int rects = in.readUnsignedShort();
                bytesReceived += 3;
                for (int i = 0; i < rects; i++) {
                    readRect();
                }
            }
            case 2 -> { } // bell
            case 3 -> {
                in.readFully(new byte[3]);
                in.readFully(new byte[in.readInt()]);
            }
            default -> throw new IOException("unexpected server message " + type);
        }
        return type;
    }

    private void readRect() throws IOException {
        int x = in.readUnsignedShort();
        int y = in.readUnsignedShort();
        int w = in.readUnsignedShort();
        int h = in.readUnsignedShort();
        int enc = in.readInt();
        bytesReceived += 12;
        switch (enc) {
            case VncClient.ENC_RAW -> {
                rawRects++;
                byte[] b = new byte[w * h * 4];
                in.readFully(b);
                bytesReceived += b.length;
                for (int j = 0; j < h; j++) {
                    for (int i = 0; i < w; i++) {
                        int o = 4 * (j * w + i);
                        fb[(y + j) * width + x + i] = (b[o] & 0xff) | (b[o + 1] & 0xff) << 8 | (b[o + 2] & 0xff) << 16;
                    }
                }
            }
            case VncClient.ENC_COPYRECT -> {
                copyRects++;
                int sx = in.readUnsignedShort();
                int sy = in.readUnsignedShort();
                bytesReceived += 4;
                int[] copy = new int[w * h];
                for (int j = 0; j < h; j++) {
                    System.arraycopy(fb, (sy + j) * width + sx, copy, j * w, w);
                }
                for (int j = 0; j < h; j++) {
                    System.arraycopy(copy, j * w, fb, (y + j) * width + x, w);
                }
            }
            case VncClient.ENC_ZRLE -> {
                zrleRects++;
                int len = in.readInt();
                byte[] z = new byte[len];
                in.readFully(z);
                bytesReceived += 4 + len;
                decodeZrle(z, x, y, w, h);
            }
            case VncClient.ENC_DESKTOP_SIZE -> {
                width = w;
                height = h;
                fb = new int[w * h];
            }
            default -> throw new IOException("unexpected encoding " + enc);
        }
    }

    private int pos;
    private byte[] data;

    private void decodeZrle(byte[] z, int x, int y, int w, int h) throws IOException {
        inflater.setInput(z);
        byte[] buf = new byte[w * h * 4 + 64 * ((w / 64 + 1) * (h / 64 + 1)) * 80];
        int n = 0;
        try {
            int k;
            while ((k = inflater.inflate(buf, n, buf.length - n)) > 0) {
                n += k;
            }
        } catch (DataFormatException e) {
            throw new IOException(e);
        }
        data = buf;
        pos = 0;
        for (int ty = y; ty < y + h; ty += 64) {
            int th = Math.min(64, y + h - ty);
            for (int tx = x; tx < x + w; tx += 64) {
                int tw = Math.min(64, x + w - tx);
                int sub = data[pos++] & 0xff;
                if (sub == 0) {
                    for (int j = 0; j < th; j++) {
                        for (int i = 0; i < tw; i++) {
                            fb[(ty + j) * width + tx + i] = cpixel();
                        }
                    }
                } else if (sub == 1) {
                    int c = cpixel();
                    for (int j = 0; j < th; j++) {
                        for (int i = 0; i < tw; i++) {
                            fb[(ty + j) * width + tx + i] = c;
                        }
                    }
                } else if (sub <= 16) {
                    int[] pal = new int[sub];
                    for (int i = 0; i < sub; i++) {
                        pal[i] = cpixel();
                    }
                    int bits = sub == 2 ? 1 : sub <= 4 ? 2 : 4;
                    for (int j = 0; j < th; j++) {
                        int acc = 0;
                        int left = 0;
                        for (int i = 0; i < tw; i++) {
                            if (left == 0) {
                                acc = data[pos++] & 0xff;
                                left = 8;
                            }
                            left -= bits;
                            fb[(ty + j) * width + tx + i] = pal[(acc >> left) & ((1 << bits) - 1)];
                        }
                    }
                } else {
                    throw new IOException("RLE subencoding " + sub + " not expected from jqemu");
                }
            }
        }
    }

    private int cpixel() {
        int v = (data[pos] & 0xff) | (data[pos + 1] & 0xff) << 8 | (data[pos + 2] & 0xff) << 16;
        pos += 3;
        return v;
    }

    @Override
    public void close() throws IOException {
        socket.close();
        inflater.end();
    }
}
