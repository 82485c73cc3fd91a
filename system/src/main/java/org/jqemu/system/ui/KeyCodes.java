package org.jqemu.system.ui;

import java.util.HashMap;
import java.util.Map;

/**
 * Key numbering shared by the displays and QMP: QEMU's QKeyCode names and X11 keysyms (as VNC
 * sends them) mapped to qnum (PC/AT scancode set 1, 0x80 added for 0xE0-prefixed keys), for a US
 * keyboard layout.
 */
public final class KeyCodes {
    private KeyCodes() {}

    public static final int SHIFT = 0x2a;

    private static final Map<String, Integer> QCODES = new HashMap<>();
    private static final Map<Integer, Integer> KEYSYMS = new HashMap<>();
    /** Keysyms that a US keyboard types with Shift held. */
    private static final Map<Integer, Boolean> SHIFTED = new HashMap<>();

    private static void key(String qcode, int qnum, int... keysyms) {
        QCODES.put(qcode, qnum);
        for (int k : keysyms) {
            KEYSYMS.put(k, qnum);
        }
    }

    /** A printable key: its unshifted and shifted characters. */
    private static void chars(String qcode, int qnum, char plain, char shifted) {
        key(qcode, qnum, plain, shifted);
        SHIFTED.put((int) shifted, true);
    }

    static {
        String row1 = "1234567890";
        String row1s = "!@#$%^&*()";
        for (int i = 0; i < 10; i++) {
            chars(String.valueOf(row1.charAt(i)), 0x02 + i, row1.charAt(i), row1s.charAt(i));
        }
        chars("minus", 0x0c, '-', '_');
        chars("equal", 0x0d, '=', '+');
        chars("bracket_left", 0x1a, '[', '{');
        chars("bracket_right", 0x1b, ']', '}');
        chars("semicolon", 0x27, ';', ':');
        chars("apostrophe", 0x28, '\'', '"');
        chars("grave_accent", 0x29, '`', '~');
        chars("backslash", 0x2b, '\\', '|');
        chars("comma", 0x33, ',', '<');
        chars("dot", 0x34, '.', '>');
        chars("slash", 0x35, '/', '?');
        String[] letterRows = {"qwertyuiop", "asdfghjkl", "zxcvbnm"};
        int[] rowStart = {0x10, 0x1e, 0x2c};
        for (int r = 0; r < 3; r++) {
            for (int i = 0; i < letterRows[r].length(); i++) {
                char c = letterRows[r].charAt(i);
                chars(String.valueOf(c), rowStart[r] + i, c, Character.toUpperCase(c));
            }
        }
        key("spc", 0x39, ' ');
        key("esc", 0x01, 0xff1b);
        key("backspace", 0x0e, 0xff08);
        key("tab", 0x0f, 0xff09, 0xfe20);
        key("ret", 0x1c, 0xff0d);
        key("ctrl", 0x1d, 0xffe3);
        key("shift", 0x2a, 0xffe1);
        key("shift_r", 0x36, 0xffe2);
        key("alt", 0x38, 0xffe9, 0xffe7);
        key("caps_lock", 0x3a, 0xffe5);
        for (int i = 0; i < 10; i++) {
            key("f" + (i + 1), 0x3b + i, 0xffbe + i);
        }
        key("f11", 0x57, 0xffc8);
        key("f12", 0x58, 0xffc9);
        key("num_lock", 0x45, 0xff7f);
        key("scroll_lock", 0x46, 0xff14);
        key("kp_multiply", 0x37, 0xffaa);
        key("kp_7", 0x47, 0xffb7, 0xff95);
        key("kp_8", 0x48, 0xffb8, 0xff97);
        key("kp_9", 0x49, 0xffb9, 0xff9a);
        key("kp_subtract", 0x4a, 0xffad);
        key("kp_4", 0x4b, 0xffb4, 0xff96);
        key("kp_5", 0x4c, 0xffb5, 0xff9d);
        key("kp_6", 0x4d, 0xffb6, 0xff98);
        key("kp_add", 0x4e, 0xffab);
        key("kp_1", 0x4f, 0xffb1, 0xff9c);
        key("kp_2", 0x50, 0xffb2, 0xff99);
        key("kp_3", 0x51, 0xffb3, 0xff9b);
        key("kp_0", 0x52, 0xffb0, 0xff9e);
        key("kp_decimal", 0x53, 0xffae, 0xff9f);
        key("less", 0x56);
        key("kp_enter", 0x9c, 0xff8d);
        key("ctrl_r", 0x9d, 0xffe4);
        key("kp_divide", 0xb5, 0xffaf);
        key("print", 0xb7, 0xff61);
        key("sysrq", 0x54, 0xff15);
        key("alt_r", 0xb8, 0xffea, 0xfe03);
        key("home", 0xc7, 0xff50);
        key("up", 0xc8, 0xff52);
        key("pgup", 0xc9, 0xff55);
        key("left", 0xcb, 0xff51);
        key("right", 0xcd, 0xff53);
        key("end", 0xcf, 0xff57);
        key("down", 0xd0, 0xff54);
        key("pgdn", 0xd1, 0xff56);
        key("insert", 0xd2, 0xff63);
        key("delete", 0xd3, 0xffff);
        key("meta_l", 0xdb, 0xffeb);
        key("meta_r", 0xdc, 0xffec);
        key("menu", 0xdd, 0xff67);
        key("pause", 0xc6, 0xff13);
    }

    /** The qnum of a QKeyCode name, or -1. */
    public static int qcode(String name) {
        Integer q = QCODES.get(name);
        return q == null ? -1 : q;
    }

    /** The qnum of an X keysym on a US layout, or -1 when the keyboard has no such key. */
    public static int keysym(int keysym) {
        Integer q = KEYSYMS.get(keysym);
        return q == null ? -1 : q;
    }

    /** True when a US keyboard types this keysym with Shift held. */
    public static boolean keysymNeedsShift(int keysym) {
        return SHIFTED.containsKey(keysym);
    }
}
