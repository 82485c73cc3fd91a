package org.jqemu.system.ui;

/** A guest pointing device that reports relative motion (a PS/2 mouse). */
@FunctionalInterface
public interface PointerInput {
    int BUTTON_LEFT = 1;
    int BUTTON_RIGHT = 2;
    int BUTTON_MIDDLE = 4;

    /** Motion since the last event (y grows downwards, dz > 0 scrolls down) and the buttons held. Machine lock held. */
    void pointer(int dx, int dy, int dz, int buttons);
}
