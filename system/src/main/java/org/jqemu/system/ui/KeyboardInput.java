package org.jqemu.system.ui;

/**
 * A guest keyboard. Keys are numbered as QEMU's "qnum": the PC/AT scancode set 1 make code, with
 * 0x80 added for keys that send an 0xE0 prefix (Right Ctrl = 0x9d, Up = 0xc8, ...).
 */
@FunctionalInterface
public interface KeyboardInput {
    /** Called with the machine lock held. */
    void key(int qnum, boolean down);
}
