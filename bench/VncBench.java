import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.Socket;

/**
 * VncBench - a measuring VNC client for bench/run-display.sh (run with `java VncBench.java`).
 *
 * Usage: java VncBench.java HOST PORT SECONDS
 * Connects with RFB 3.8 and no security, offers ZRLE, CopyRect and Raw (what both QEMU and jqemu
 * implement), asks for one full frame, then keeps one incremental update request outstanding for
 * SECONDS and counts the framebuffer updates and bytes that arrive. Rectangles are skipped, not
 * decoded. The time is checked after each update, so on a still screen it runs until killed. Prints: "updates=N seconds=S fps=F bytes=B bytes_per_update=P rects=R copyrect=C".
 */
public class VncBench {
    public static void main(String[] args) throws Exception {
        String host = args[0];
        int port = Integer.parseInt(args[1]);
        double seconds = Double.parseDouble(args[2]);
        try (Socket s = new Socket(host, port)) {
            s.setTcpNoDelay(true);
            DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(s.getInputStream(), 1 << 16));
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            in.readFully(new byte[12]);
            out.write("RFB 003.008\n".getBytes());
            int n = in.readUnsignedByte();
            in.readFully(new byte[n]);
            out.writeByte(1);
            if (in.readInt() != 0) {
                throw new IOException("security failed");
            }
            out.writeByte(1);
            int w = in.readUnsignedShort();
            int h = in.readUnsignedShort();
            in.readFully(new byte[16]);
            in.readFully(new byte[in.readInt()]);
            out.writeByte(2);
            out.writeByte(0);
            out.writeShort(4);
            for (int e : new int[] {16, 1, 0, -223}) {
                out.writeInt(e);
            }
            request(out, false, w, h);
            readUpdate(in); // the first, full frame is not counted
            long updates = 0;
            long bytes = 0;
            long rects = 0;
            long copies = 0;
            long start = System.nanoTime();
            long end = start + (long) (seconds * 1e9);
            request(out, true, w, h);
            while (System.nanoTime() < end) {
                long[] r = readUpdate(in); // blocks while the screen does not change

                if (r[3] != 0) {
                    w = (int) r[4];
                    h = (int) r[5];
                }
                updates++;
                bytes += r[0];
                rects += r[1];
                copies += r[2];
                request(out, true, w, h);
            }
            double t = (System.nanoTime() - start) / 1e9;
            System.out.printf("updates=%d seconds=%.1f fps=%.1f bytes=%d bytes_per_update=%d rects=%d copyrect=%d%n",
                    updates, t, updates / t, bytes, updates == 0 ? 0 : bytes / updates, rects, copies);
        }
    }

    static void request(DataOutputStream out, boolean incremental, int w, int h) throws IOException {
        out.writeByte(3);
        out.writeByte(incremental ? 1 : 0);
        out.writeShort(0);
        out.writeShort(0);
        out.writeShort(w);
        out.writeShort(h);
        out.flush();
    }

    /** Reads one FramebufferUpdate (skipping other messages): {bytes, rects, copyrects, resized, w, h}. */
    static long[] readUpdate(DataInputStream in) throws IOException {
        while (true) {
            int type = in.readUnsignedByte();
            if (type == 2) {
                continue;
            }
            if (type == 3) {
                in.readFully(new byte[3]);
                in.skipNBytes(in.readInt());
                continue;
            }
            if (type != 0) {
                throw new IOException("message type " + type);
            }
            in.readUnsignedByte();
            int n = in.readUnsignedShort();
            long bytes = 4;
            long copies = 0;
            long resized = 0;
            long nw = 0;
            long nh = 0;
            for (int i = 0; i < n; i++) {
                in.readUnsignedShort();
                in.readUnsignedShort();
                int w = in.readUnsignedShort();
                int h = in.readUnsignedShort();
                int enc = in.readInt();
                bytes += 12;
                switch (enc) {
                    case 0 -> {
                        in.skipNBytes(4L * w * h);
                        bytes += 4L * w * h;
                    }
                    case 1 -> {
                        in.skipNBytes(4);
                        bytes += 4;
                        copies++;
                    }
                    case 16 -> {
                        int len = in.readInt();
                        in.skipNBytes(len);
                        bytes += 4 + len;
                    }
                    case -223 -> {
                        resized = 1;
                        nw = w;
                        nh = h;
                    }
                    default -> throw new EOFException("encoding " + enc);
                }
            }
            return new long[] {bytes, n, copies, resized, nw, nh};
        }
    }
}
