package org.jqemu.hw.input;

/**
 * The byte queue a PS/2 device keeps for the controller (QEMU keeps 256 bytes; a real keyboard
 * 16 keys). When full, new input is dropped, as the device would.
 */
final class Ps2Queue {
    private final byte[] data = new byte[256];
    private int head;
    private int count;

    boolean isEmpty() {
        return count == 0;
    }

    int free() {
        return data.length - count;
    }

    void add(int b) {
        if (count < data.length) {
            data[(head + count++) % data.length] = (byte) b;
        }
    }

    int poll() {
        int b = data[head] & 0xff;
        head = (head + 1) % data.length;
        count--;
        return b;
    }

    void clear() {
        head = 0;
        count = 0;
    }
}
