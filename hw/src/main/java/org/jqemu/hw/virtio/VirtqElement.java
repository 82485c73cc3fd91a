package org.jqemu.hw.virtio;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import org.jqemu.system.memory.AddressSpace;

/**
 * One descriptor chain popped from a {@link Virtqueue}, already checked and resolved to pieces of
 * guest RAM: first the device-readable ("out") pieces, then the device-writable ("in") ones
 * (virtio 1.2, 2.7.4 "Message Framing" — the device sees a byte stream in each direction, however
 * the driver split it). A queue reuses one element, so popping allocates nothing; the arrays only
 * grow when a chain has more pieces than any before.
 */
public final class VirtqElement {
    private final AddressSpace memory;
    int head;
    int outCount;
    int inCount;
    long outBytes;
    long inBytes;
    MemorySegment[] seg = new MemorySegment[16];
    long[] off = new long[16];
    long[] gpa = new long[16];
    int[] len = new int[16];

    VirtqElement(AddressSpace memory) {
        this.memory = memory;
    }

    void clear(int headIndex) {
        head = headIndex;
        outCount = 0;
        inCount = 0;
        outBytes = 0;
        inBytes = 0;
    }

    void add(boolean writable, long guestAddr, MemorySegment s, long segOff, int n) {
        int i = outCount + inCount;
        if (i == seg.length) {
            int cap = i * 2;
            seg = java.util.Arrays.copyOf(seg, cap);
            off = java.util.Arrays.copyOf(off, cap);
            gpa = java.util.Arrays.copyOf(gpa, cap);
            len = java.util.Arrays.copyOf(len, cap);
        }
        seg[i] = s;
        off[i] = segOff;
        gpa[i] = guestAddr;
        len[i] = n;
        if (writable) {
            inCount++;
            inBytes += n;
        } else {
            outCount++;
            outBytes += n;
        }
    }

    /** Index of the chain's head descriptor: what the used ring reports back. */
    public int head() {
        return head;
    }

    /** Bytes the driver gave the device to read. */
    public long outBytes() {
        return outBytes;
    }

    /** Bytes the device may write. */
    public long inBytes() {
        return inBytes;
    }

    /** Copies up to {@code n} readable bytes starting at stream position {@code pos}; returns the count. */
    public int readOut(long pos, byte[] dst, int dstOff, int n) {
        int done = 0;
        for (int i = 0; i < outCount && done < n; i++) {
            if (pos >= len[i]) {
                pos -= len[i];
                continue;
            }
            int k = (int) Math.min(len[i] - pos, n - done);
            MemorySegment.copy(seg[i], ValueLayout.JAVA_BYTE, off[i] + pos, dst, dstOff + done, k);
            done += k;
            pos = 0;
        }
        return done;
    }

    /** Copies up to {@code n} bytes into the writable stream at {@code pos}; returns the count. */
    public int writeIn(long pos, byte[] src, int srcOff, int n) {
        int done = 0;
        for (int i = outCount; i < outCount + inCount && done < n; i++) {
            if (pos >= len[i]) {
                pos -= len[i];
                continue;
            }
            int k = (int) Math.min(len[i] - pos, n - done);
            MemorySegment.copy(src, srcOff + done, seg[i], ValueLayout.JAVA_BYTE, off[i] + pos, k);
            memory.ramWritten(gpa[i] + pos, k);
            done += k;
            pos = 0;
        }
        return done;
    }

    /** Writes one byte of the writable stream (a status byte); false if {@code pos} is past its end. */
    public boolean writeInByte(long pos, int b) {
        for (int i = outCount; i < outCount + inCount; i++) {
            if (pos < len[i]) {
                seg[i].set(ValueLayout.JAVA_BYTE, off[i] + pos, (byte) b);
                memory.ramWritten(gpa[i] + pos, 1);
                return true;
            }
            pos -= len[i];
        }
        return false;
    }

    /**
     * Views of {@code n} bytes of the readable ({@code writable == false}) or writable stream from
     * {@code pos}, for scattered I/O straight between a backend and guest RAM. A device that fills
     * writable views must call {@link #writtenIn} afterwards.
     */
    public ByteBuffer[] buffers(boolean writable, long pos, long n) {
        int first = writable ? outCount : 0;
        int end = writable ? outCount + inCount : outCount;
        int count = 0;
        long p = pos;
        long left = n;
        for (int i = first; i < end && left > 0; i++) {
            if (p >= len[i]) {
                p -= len[i];
                continue;
            }
            left -= Math.min(len[i] - p, left);
            p = 0;
            count++;
        }
        ByteBuffer[] out = new ByteBuffer[count];
        p = pos;
        left = n;
        int j = 0;
        for (int i = first; i < end && left > 0; i++) {
            if (p >= len[i]) {
                p -= len[i];
                continue;
            }
            long k = Math.min(len[i] - p, left);
            out[j++] = seg[i].asSlice(off[i] + p, k).asByteBuffer();
            left -= k;
            p = 0;
        }
        return out;
    }

    /** Tells the memory system that {@code n} bytes of the writable stream at {@code pos} changed. */
    public void writtenIn(long pos, long n) {
        for (int i = outCount; i < outCount + inCount && n > 0; i++) {
            if (pos >= len[i]) {
                pos -= len[i];
                continue;
            }
            long k = Math.min(len[i] - pos, n);
            memory.ramWritten(gpa[i] + pos, k);
            n -= k;
            pos = 0;
        }
    }
}
