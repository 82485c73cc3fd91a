package org.jqemu.ui.gl;

/**
 * Linux input event key codes (linux/input-event-codes.h; X11 keycodes are these plus 8) to
 * qnum. Codes 1-88 are the PC/AT set 1 make codes themselves; the navigation block, keypad
 * Enter and slash, the right Ctrl/Alt and the Windows keys are 0xE0 keys.
 */
final class EvdevKeys {
    private EvdevKeys() {}

    private static final int[] EXTENDED = new int[128];

    static {
        int[] pairs = {96, 0x9c, 97, 0x9d, 98, 0xb5, 99, 0xb7, 100, 0xb8, 102, 0xc7, 103, 0xc8, 104, 0xc9,
            105, 0xcb, 106, 0xcd, 107, 0xcf, 108, 0xd0, 109, 0xd1, 110, 0xd2, 111, 0xd3, 119, 0xc6, 125, 0xdb,
            126, 0xdc, 127, 0xdd};
        for (int i = 0; i < pairs.length; i += 2) {
            EXTENDED[pairs[i]] = pairs[i + 1];
        }
    }

    /** The qnum of an evdev key code, or 0 when the PC keyboard has no such key. */
    static int qnum(int evdev) {
        if (evdev >= 1 && evdev <= 88) {
            return evdev;
        }
        return evdev > 0 && evdev < 128 ? EXTENDED[evdev] : 0;
    }
}
