package org.jqemu.hw.input;

import org.jqemu.system.ui.PointerInput;

/**
 * A PS/2 mouse with the IntelliMouse wheel extension (IBM PS/2 Hardware Interface Technical
 * Reference, "Pointing Device"; Microsoft's sample-rate sequence 200, 100, 80 switches it to ID 3
 * and 4-byte packets). Stream mode only: reports go out while reporting is enabled (F4).
 */
public final class Ps2Mouse implements PointerInput {
    private final Ps2Queue queue = new Ps2Queue();
    private final Runnable dataReady;
    private int pendingCommand;
    private boolean enabled;
    private int sampleRate;
    private int resolution;
    private boolean scaling21;
    private int id;
    private final int[] lastRates = new int[3];
    private int buttons;

    public Ps2Mouse(Runnable dataReady) {
        this.dataReady = dataReady;
        reset();
    }

    public void reset() {
        queue.clear();
        pendingCommand = 0;
        defaults();
        id = 0;
        buttons = 0;
    }

    private void defaults() {
        enabled = false;
        sampleRate = 100;
        resolution = 2;
        scaling21 = false;
    }

    boolean hasData() {
        return !queue.isEmpty();
    }

    int read() {
        return queue.poll();
    }

    /** A byte the host sent to the mouse (controller command 0xD4, then port 0x60). */
    void write(int value) {
        int cmd = pendingCommand;
        pendingCommand = 0;
        if (cmd == 0xf3) {
            sampleRate = value;
            lastRates[0] = lastRates[1];
            lastRates[1] = lastRates[2];
            lastRates[2] = value;
            if (lastRates[0] == 200 && lastRates[1] == 100 && lastRates[2] == 80) {
                id = 3;
            }
            queue.add(0xfa);
        } else if (cmd == 0xe8) {
            resolution = value & 3;
            queue.add(0xfa);
        } else {
            command(value);
        }
        dataReady.run();
    }

    private void command(int value) {
        switch (value) {
            case 0xe6 -> {
                scaling21 = false;
                queue.add(0xfa);
            }
            case 0xe7 -> {
                scaling21 = true;
                queue.add(0xfa);
            }
            case 0xe8, 0xf3 -> {
                pendingCommand = value;
                queue.add(0xfa);
            }
            case 0xe9 -> {
                queue.add(0xfa);
                queue.add((enabled ? 0x20 : 0) | (scaling21 ? 0x10 : 0) | (buttons & 7));
                queue.add(resolution);
                queue.add(sampleRate);
            }
            case 0xeb -> {
                queue.add(0xfa);
                packet(0, 0, 0);
            }
            case 0xf2 -> {
                queue.add(0xfa);
                queue.add(id);
            }
            case 0xf4 -> {
                enabled = true;
                queue.add(0xfa);
            }
            case 0xf5 -> {
                enabled = false;
                queue.add(0xfa);
            }
            case 0xf6 -> {
                defaults();
                queue.add(0xfa);
            }
            case 0xff -> {
                queue.clear();
                defaults();
                id = 0;
                queue.add(0xfa);
                queue.add(0xaa);
                queue.add(0x00);
            }
            default -> queue.add(0xfa); // EA stream, F0 remote, EC/EE wrap: accepted
        }
    }

    @Override
    public void pointer(int dx, int dy, int dz, int buttonMask) {
        buttons = buttonMask & 7;
        if (!enabled) {
            return;
        }
        int ydown = dy;
        do {
            int px = Math.max(-255, Math.min(255, dx));
            int py = Math.max(-255, Math.min(255, ydown));
            int pz = Math.max(-8, Math.min(7, dz));
            if (queue.free() < 4) {
                break;
            }
            packet(px, -py, pz); // PS/2 y grows upwards
            dx -= px;
            ydown -= py;
            dz -= pz;
        } while (dx != 0 || ydown != 0 || dz != 0);
        dataReady.run();
    }

    private void packet(int dx, int dy, int dz) {
        queue.add(0x08 | (buttons & 7) | (dx < 0 ? 0x10 : 0) | (dy < 0 ? 0x20 : 0));
        queue.add(dx & 0xff);
        queue.add(dy & 0xff);
        if (id == 3) {
            queue.add(dz & 0xff);
        }
    }
}
