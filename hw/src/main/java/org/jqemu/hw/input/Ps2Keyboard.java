package org.jqemu.hw.input;

import org.jqemu.system.ui.KeyboardInput;

/**
 * A PS/2 (IBM MF II) keyboard: the commands a BIOS and Linux send (IBM PS/2 Hardware Interface
 * Technical Reference, "Keyboard": ED LEDs, EE echo, F0 scancode set, F2 identify, F3 typematic,
 * F4/F5/F6 enable/disable/defaults, FF reset) and key events in scancode set 2 (the default) or
 * set 1. The 8042 usually translates set 2 back to set 1 for the host ({@link I8042}).
 */
public final class Ps2Keyboard implements KeyboardInput {
    /** Scancode set 2 make code for each set 1 make code 0x00-0x58 (0 = no key). */
    static final int[] SET1_TO_SET2 = new int[128];

    static {
        int[] pairs = {
            0x01, 0x76, 0x02, 0x16, 0x03, 0x1e, 0x04, 0x26, 0x05, 0x25, 0x06, 0x2e, 0x07, 0x36, 0x08, 0x3d,
            0x09, 0x3e, 0x0a, 0x46, 0x0b, 0x45, 0x0c, 0x4e, 0x0d, 0x55, 0x0e, 0x66, 0x0f, 0x0d, 0x10, 0x15,
            0x11, 0x1d, 0x12, 0x24, 0x13, 0x2d, 0x14, 0x2c, 0x15, 0x35, 0x16, 0x3c, 0x17, 0x43, 0x18, 0x44,
            0x19, 0x4d, 0x1a, 0x54, 0x1b, 0x5b, 0x1c, 0x5a, 0x1d, 0x14, 0x1e, 0x1c, 0x1f, 0x1b, 0x20, 0x23,
            0x21, 0x2b, 0x22, 0x34, 0x23, 0x33, 0x24, 0x3b, 0x25, 0x42, 0x26, 0x4b, 0x27, 0x4c, 0x28, 0x52,
            0x29, 0x0e, 0x2a, 0x12, 0x2b, 0x5d, 0x2c, 0x1a, 0x2d, 0x22, 0x2e, 0x21, 0x2f, 0x2a, 0x30, 0x32,
            0x31, 0x31, 0x32, 0x3a, 0x33, 0x41, 0x34, 0x49, 0x35, 0x4a, 0x36, 0x59, 0x37, 0x7c, 0x38, 0x11,
            0x39, 0x29, 0x3a, 0x58, 0x3b, 0x05, 0x3c, 0x06, 0x3d, 0x04, 0x3e, 0x0c, 0x3f, 0x03, 0x40, 0x0b,
            0x41, 0x83, 0x42, 0x0a, 0x43, 0x01, 0x44, 0x09, 0x45, 0x77, 0x46, 0x7e, 0x47, 0x6c, 0x48, 0x75,
            0x49, 0x7d, 0x4a, 0x7b, 0x4b, 0x6b, 0x4c, 0x73, 0x4d, 0x74, 0x4e, 0x79, 0x4f, 0x69, 0x50, 0x72,
            0x51, 0x7a, 0x52, 0x70, 0x53, 0x71, 0x54, 0x84, 0x56, 0x61, 0x57, 0x78, 0x58, 0x07,
        };
        for (int i = 0; i < pairs.length; i += 2) {
            SET1_TO_SET2[pairs[i]] = pairs[i + 1];
        }
    }

    private final Ps2Queue queue = new Ps2Queue();
    private final Runnable dataReady;
    private int pendingCommand;
    private int scancodeSet = 2;
    private boolean scanning = true;

    /** @param dataReady told when bytes were queued (the controller may fill its output buffer) */
    public Ps2Keyboard(Runnable dataReady) {
        this.dataReady = dataReady;
    }

    public void reset() {
        queue.clear();
        pendingCommand = 0;
        scancodeSet = 2;
        scanning = true;
    }

    boolean hasData() {
        return !queue.isEmpty();
    }

    int read() {
        return queue.poll();
    }

    int scancodeSet() {
        return scancodeSet;
    }

    /** A byte the host sent to the keyboard (through port 0x60). */
    void write(int value) {
        int cmd = pendingCommand;
        pendingCommand = 0;
        if (cmd == 0xed || cmd == 0xf3) {
            queue.add(0xfa); // LED state / typematic rate accepted
        } else if (cmd == 0xf0) {
            queue.add(0xfa);
            if (value == 0) {
                queue.add(scancodeSet);
            } else if (value >= 1 && value <= 3) {
                scancodeSet = value;
            }
        } else {
            command(value);
        }
        dataReady.run();
    }

    private void command(int value) {
        switch (value) {
            case 0xed, 0xf3, 0xf0 -> {
                pendingCommand = value;
                queue.add(0xfa);
            }
            case 0xee -> queue.add(0xee);
            case 0xf2 -> {
                queue.add(0xfa);
                queue.add(0xab);
                queue.add(0x83);
            }
            case 0xf4 -> {
                scanning = true;
                queue.add(0xfa);
            }
            case 0xf5 -> {
                scanning = false;
                scancodeSet = 2;
                queue.add(0xfa);
            }
            case 0xf6 -> {
                scancodeSet = 2;
                queue.add(0xfa);
            }
            case 0xff -> {
                queue.clear();
                scancodeSet = 2;
                scanning = true;
                queue.add(0xfa);
                queue.add(0xaa);
            }
            default -> queue.add(0xfa);
        }
    }

    @Override
    public void key(int qnum, boolean down) {
        if (!scanning || queue.free() < 4) {
            return;
        }
        boolean extended = (qnum & 0x80) != 0;
        int code = qnum & 0x7f;
        if (scancodeSet == 1) {
            if (extended) {
                queue.add(0xe0);
            }
            queue.add(down ? code : code | 0x80);
        } else {
            int set2 = extended ? extendedSet2(code) : SET1_TO_SET2[code];
            if (set2 == 0) {
                return;
            }
            if (extended) {
                queue.add(0xe0);
            }
            if (!down) {
                queue.add(0xf0);
            }
            queue.add(set2);
        }
        dataReady.run();
    }

    /** The set 2 code of an 0xE0 key: the same as its set 1 twin's, except the Windows keys and Print Screen. */
    private static int extendedSet2(int code) {
        return switch (code) {
            case 0x5b -> 0x1f;
            case 0x5c -> 0x27;
            case 0x5d -> 0x2f;
            case 0x37 -> 0x7c;
            default -> SET1_TO_SET2[code];
        };
    }
}
