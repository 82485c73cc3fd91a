package org.jqemu.system.ui;

/**
 * A guest's graphics output (a VGA card, a framebuffer device). Viewers call {@link #refresh()}
 * at their own pace; it brings {@link #surface()} up to date with the guest's video memory and
 * registers, marking what changed.
 */
public interface GraphicConsole {
    DisplaySurface surface();

    /** Renders the current guest picture into the surface. Safe from any thread. */
    void refresh();
}
