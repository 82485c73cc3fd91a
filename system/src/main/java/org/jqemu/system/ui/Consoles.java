package org.jqemu.system.ui;

import org.jqemu.system.machine.Machine;

/**
 * The meeting point of a machine's display devices and its viewers (VNC, the GL window,
 * screendump, QMP input commands): the board registers what the guest has, viewers look it up.
 * Found with {@code Consoles.of(machine)}; created on first use while the board is built.
 *
 * <p>Input from viewers arrives on their own threads; {@link #sendKey} and {@link #sendPointer}
 * hand it to the main loop, where device code runs with the machine lock held.
 */
public final class Consoles {
    private final Machine machine;
    private volatile GraphicConsole graphic;
    private volatile KeyboardInput keyboard;
    private volatile PointerInput pointer;
    private volatile RemoteDisplay remote;

    private Consoles(Machine machine) {
        this.machine = machine;
    }

    /** The machine's consoles, created on first call (call it first while the board is built). */
    public static synchronized Consoles of(Machine machine) {
        Consoles c = machine.component(Consoles.class);
        if (c == null) {
            c = new Consoles(machine);
            machine.putComponent(Consoles.class, c);
        }
        return c;
    }

    public Machine machine() {
        return machine;
    }

    public GraphicConsole graphic() {
        return graphic;
    }

    public void setGraphic(GraphicConsole graphic) {
        this.graphic = graphic;
    }

    public void setKeyboard(KeyboardInput keyboard) {
        this.keyboard = keyboard;
    }

    public boolean hasKeyboard() {
        return keyboard != null;
    }

    public void setPointer(PointerInput pointer) {
        this.pointer = pointer;
    }

    /** The VNC server, when -vnc started one (query-vnc, set_password). */
    public RemoteDisplay remote() {
        return remote;
    }

    public void setRemote(RemoteDisplay remote) {
        this.remote = remote;
    }

    /** A key press or release in qnum numbering (see {@link KeyboardInput}); any thread. */
    public void sendKey(int qnum, boolean down) {
        KeyboardInput k = keyboard;
        if (k != null) {
            machine.mainLoop().post(() -> k.key(qnum, down));
        }
    }

    /** Relative pointer motion and buttons; any thread. */
    public void sendPointer(int dx, int dy, int dz, int buttons) {
        PointerInput p = pointer;
        if (p != null) {
            machine.mainLoop().post(() -> p.pointer(dx, dy, dz, buttons));
        }
    }
}
