package org.jqemu.hw.input;

import java.util.ArrayDeque;
import java.util.function.Consumer;
import org.jqemu.system.device.Device;
import org.jqemu.system.irq.IrqLine;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.machine.ShutdownCause;
import org.jqemu.system.memory.MemoryOps;

/**
 * Intel 8042 keyboard controller as the PC/AT uses it (IBM PC/AT Technical Reference, "Keyboard
 * Controller": status register and commands at 0x64, data at 0x60; controller output port with
 * the A20 gate on bit 1 and the CPU reset line on bit 0), with a {@link Ps2Keyboard} on its
 * first port and a {@link Ps2Mouse} on its auxiliary port.
 *
 * <p>Controller commands: the command byte (0x20/0x60), self tests (0xAA, 0xAB, 0xA9), interface
 * enable/disable (0xAD/0xAE, 0xA7/0xA8), the input port (0xC0), the output port (0xD0/0xD1),
 * 0xDD/0xDF A20 commands, pulsing the reset line (0xFE and any 0xF0-0xFF with bit 0 clear), the
 * loop-back writes 0xD2/0xD3, and 0xD4 (next byte to the mouse). With command byte bit 6 set the
 * controller translates the keyboard's scancode set 2 into set 1, as PCs boot.
 */
public final class I8042 implements Device {
    static final int STAT_OBF = 0x01;
    static final int STAT_SYS = 0x04;
    static final int STAT_CMD = 0x08;
    static final int STAT_UNLOCKED = 0x10;
    static final int STAT_AUX_OBF = 0x20;

    static final int MODE_KBD_INT = 0x01;
    static final int MODE_AUX_INT = 0x02;
    static final int MODE_SYS = 0x04;
    static final int MODE_DISABLE_KBD = 0x10;
    static final int MODE_DISABLE_AUX = 0x20;
    static final int MODE_XLAT = 0x40;

    /** Set 2 to set 1, the inverse of {@link Ps2Keyboard#SET1_TO_SET2}; -1 = pass unchanged. */
    private static final int[] SET2_TO_SET1 = new int[256];

    static {
        java.util.Arrays.fill(SET2_TO_SET1, -1);
        for (int s1 = 0; s1 < 128; s1++) {
            int s2 = Ps2Keyboard.SET1_TO_SET2[s1];
            if (s2 != 0) {
                SET2_TO_SET1[s2] = s1;
            }
        }
        SET2_TO_SET1[0x1f] = 0x5b; // the Windows and menu keys (after 0xE0)
        SET2_TO_SET1[0x27] = 0x5c;
        SET2_TO_SET1[0x2f] = 0x5d;
    }

    static final int OUT_RESET = 0x01;
    static final int OUT_A20 = 0x02;
    static final int OUT_OBF = 0x10;
    static final int OUT_AUX_OBF = 0x20;
    /** Output port bits wired high on the AT (bits 2, 3, 6 and 7). */
    static final int OUT_ONES = 0xcc;

    private record Output(int value, boolean aux) {}

    private final Machine machine;
    private final IrqLine kbdIrq;
    private final IrqLine auxIrq;
    private final Consumer<Boolean> a20;
    private final ArrayDeque<Output> outputBuffer = new ArrayDeque<>();

    private int status;
    private int mode;
    private int outport;
    private int pendingCommand; // a controller command waiting for its data byte, or 0
    private boolean lastKbdIrq;
    private boolean lastAuxIrq;
    private final Ps2Keyboard keyboard = new Ps2Keyboard(this::updateIrq);
    private final Ps2Mouse mouse = new Ps2Mouse(this::updateIrq);

    public I8042(Machine machine, IrqLine kbdIrq, IrqLine auxIrq, Consumer<Boolean> a20) {
        this.machine = machine;
        this.kbdIrq = kbdIrq;
        this.auxIrq = auxIrq;
        this.a20 = a20;
        reset();
    }

    @Override
    public String id() {
        return "i8042";
    }

    @Override
    public void reset() {
        status = STAT_CMD | STAT_UNLOCKED;
        mode = MODE_KBD_INT | MODE_AUX_INT;
        outport = OUT_RESET | OUT_A20 | OUT_ONES;
        pendingCommand = 0;
        outputBuffer.clear();
        keyboard.reset();
        mouse.reset();
        updateIrq();
    }

    /** The keyboard behind the first port, fed by the displays. */
    public Ps2Keyboard keyboard() {
        return keyboard;
    }

    /** The mouse behind the auxiliary port. */
    public Ps2Mouse mouse() {
        return mouse;
    }

    /** Port 0x60 (data) at offset 0 of the returned ops. */
    public MemoryOps dataPort() {
        return new MemoryOps() {
            @Override
            public long read(long offset, int size) {
                return readData();
            }

            @Override
            public void write(long offset, int size, long value) {
                writeData((int) value & 0xff);
            }
        };
    }

    /** Port 0x64 (status on read, command on write). */
    public MemoryOps commandPort() {
        return new MemoryOps() {
            @Override
            public long read(long offset, int size) {
                return status;
            }

            @Override
            public void write(long offset, int size, long value) {
                writeCommand((int) value & 0xff);
            }
        };
    }

    public int outputPort() {
        return outport;
    }

    // ---- output buffer --------------------------------------------------------------------

    private void queue(int value, boolean aux) {
        outputBuffer.add(new Output(value & 0xff, aux));
        updateIrq();
    }

    int readData() {
        Output head = outputBuffer.poll();
        // Reading takes the interrupt away; a next byte raises it again, so the edge-triggered
        // 8259 sees one interrupt per byte (as the real controller loads the next byte later).
        if (lastKbdIrq) {
            lastKbdIrq = false;
            kbdIrq.set(false);
        }
        if (lastAuxIrq) {
            lastAuxIrq = false;
            auxIrq.set(false);
        }
        updateIrq();
        // With the buffer empty the last byte stays on the bus; reading 0x00 is close enough.
        return head == null ? 0 : head.value;
    }

    /**
     * Moves the next byte of the keyboard or mouse into the (empty) output buffer, unless its
     * interface is disabled; keyboard bytes are translated to set 1 when the command byte says so.
     */
    private void refill() {
        if (!outputBuffer.isEmpty()) {
            return;
        }
        if ((mode & MODE_DISABLE_KBD) == 0 && keyboard.hasData()) {
            int b = keyboard.read();
            if ((mode & MODE_XLAT) != 0) {
                boolean release = false;
                if (b == 0xf0 && keyboard.hasData()) {
                    release = true;
                    b = keyboard.read();
                }
                int t = SET2_TO_SET1[b];
                b = (t < 0 ? b : t) | (release ? 0x80 : 0);
            }
            outputBuffer.add(new Output(b & 0xff, false));
        } else if ((mode & MODE_DISABLE_AUX) == 0 && mouse.hasData()) {
            outputBuffer.add(new Output(mouse.read(), true));
        }
    }

    private void updateIrq() {
        refill();
        Output head = outputBuffer.peek();
        status &= ~(STAT_OBF | STAT_AUX_OBF);
        boolean kbd = false;
        boolean aux = false;
        if (head != null) {
            status |= STAT_OBF;
            if (head.aux) {
                status |= STAT_AUX_OBF;
                aux = (mode & MODE_AUX_INT) != 0;
            } else {
                kbd = (mode & MODE_KBD_INT) != 0;
            }
        }
        if (kbd != lastKbdIrq) {
            lastKbdIrq = kbd;
            kbdIrq.set(kbd);
        }
        if (aux != lastAuxIrq) {
            lastAuxIrq = aux;
            auxIrq.set(aux);
        }
    }

    // ---- controller commands --------------------------------------------------------------

    void writeCommand(int cmd) {
        status |= STAT_CMD;
        if (cmd >= 0xf0) {
            // Pulse output port bits 3-0 low where the command has a 0: bit 0 is CPU reset.
            if ((cmd & 1) == 0) {
                machine.requestReset(ShutdownCause.GUEST_RESET);
            }
            return;
        }
        switch (cmd) {
            case 0x20 -> queue(mode, false);
            case 0x60, 0xd1, 0xd2, 0xd3, 0xd4 -> pendingCommand = cmd;
            case 0xa7 -> {
                mode |= MODE_DISABLE_AUX;
                updateIrq();
            }
            case 0xa8 -> {
                mode &= ~MODE_DISABLE_AUX;
                updateIrq();
            }
            case 0xa9, 0xab -> queue(0x00, false); // interface tests pass
            case 0xaa -> {
                status |= STAT_SYS;
                queue(0x55, false);
            }
            case 0xad -> {
                mode |= MODE_DISABLE_KBD;
                updateIrq();
            }
            case 0xae -> {
                mode &= ~MODE_DISABLE_KBD;
                updateIrq();
            }
            case 0xc0 -> queue(0x80, false); // input port: keyboard not inhibited
            case 0xd0 -> {
                int v = outport & ~(OUT_OBF | OUT_AUX_OBF);
                if ((status & STAT_OBF) != 0) {
                    v |= OUT_OBF;
                }
                if ((status & STAT_AUX_OBF) != 0) {
                    v |= OUT_AUX_OBF;
                }
                queue(v, false);
            }
            case 0xdd -> writeOutport(outport & ~OUT_A20);
            case 0xdf -> writeOutport(outport | OUT_A20);
            default -> {
                if (machine.log().unimp) {
                    machine.log().unimplemented("i8042: unsupported controller command 0x%02x", cmd);
                }
            }
        }
    }

    void writeData(int value) {
        status &= ~STAT_CMD;
        int cmd = pendingCommand;
        pendingCommand = 0;
        switch (cmd) {
            case 0x60 -> {
                mode = value;
                status = (status & ~STAT_SYS) | ((value & MODE_SYS) != 0 ? STAT_SYS : 0);
                updateIrq();
            }
            case 0xd1 -> writeOutport(value);
            case 0xd2 -> queue(value, false);
            case 0xd3 -> queue(value, true);
            case 0xd4 -> mouse.write(value);
            default -> keyboard.write(value);
        }
    }

    private void writeOutport(int value) {
        outport = value;
        a20.accept((value & OUT_A20) != 0);
        if ((value & OUT_RESET) == 0) {
            machine.requestReset(ShutdownCause.GUEST_RESET);
        }
    }
}
