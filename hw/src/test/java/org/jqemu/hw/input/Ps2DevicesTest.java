package org.jqemu.hw.input;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.jqemu.hw.TestMachines;
import org.jqemu.hw.TestMachines.RecordingLine;
import org.jqemu.system.machine.Machine;
import org.junit.jupiter.api.Test;

class Ps2DevicesTest {
    private final Machine m = TestMachines.newMachine();
    private final RecordingLine kbdIrq = new RecordingLine();
    private final RecordingLine auxIrq = new RecordingLine();
    private final I8042 kbc = new I8042(m, kbdIrq, auxIrq, a20 -> { });

    private List<Integer> drain() {
        List<Integer> out = new ArrayList<>();
        while ((kbc.commandPort().read(0, 1) & I8042.STAT_OBF) != 0) {
            out.add((int) kbc.dataPort().read(0, 1));
        }
        return out;
    }

    private void commandByte(int value) {
        kbc.commandPort().write(0, 1, 0x60);
        kbc.dataPort().write(0, 1, value);
    }

    @Test
    void translatedKeysArriveInSet1() {
        commandByte(0x61); // interrupts on, translation on (as SeaBIOS and Linux leave it)
        kbc.keyboard().key(0x1e, true); // 'a'
        assertTrue(kbdIrq.level);
        kbc.keyboard().key(0x1e, false);
        kbc.keyboard().key(0xc8, true); // Up: 0xE0-prefixed
        kbc.keyboard().key(0xc8, false);
        assertEquals(List.of(0x1e, 0x9e, 0xe0, 0x48, 0xe0, 0xc8), drain());
        assertTrue(!kbdIrq.level);
    }

    @Test
    void untranslatedKeysAreSet2() {
        commandByte(0x01);
        kbc.keyboard().key(0x1e, true);
        kbc.keyboard().key(0x1e, false);
        kbc.keyboard().key(0x9d, false); // Right Ctrl release
        assertEquals(List.of(0x1c, 0xf0, 0x1c, 0xe0, 0xf0, 0x14), drain());
    }

    @Test
    void keyboardAnswersResetAndSetQuery() {
        commandByte(0x01);
        kbc.dataPort().write(0, 1, 0xff);
        assertEquals(List.of(0xfa, 0xaa), drain());
        kbc.dataPort().write(0, 1, 0xf0);
        kbc.dataPort().write(0, 1, 0x01);
        kbc.keyboard().key(0x1e, true);
        assertEquals(List.of(0xfa, 0xfa, 0x1e), drain());
    }

    @Test
    void mouseReportsMotionWhenEnabled() {
        commandByte(0x03);
        kbc.mouse().pointer(5, 5, 0, 0);
        assertEquals(List.of(), drain()); // reporting still off
        kbc.commandPort().write(0, 1, 0xd4);
        kbc.dataPort().write(0, 1, 0xf4);
        assertEquals(List.of(0xfa), drain());
        kbc.mouse().pointer(3, 2, 0, 1); // right 3, down 2, left button
        assertTrue(auxIrq.level);
        assertEquals(List.of(0x08 | 0x20 | 0x01, 3, 0xfe), drain());
    }

    @Test
    void intelliMouseSequenceSwitchesToWheelId() {
        commandByte(0x03);
        for (int rate : new int[] {200, 100, 80}) {
            kbc.commandPort().write(0, 1, 0xd4);
            kbc.dataPort().write(0, 1, 0xf3);
            kbc.commandPort().write(0, 1, 0xd4);
            kbc.dataPort().write(0, 1, rate);
        }
        drain();
        kbc.commandPort().write(0, 1, 0xd4);
        kbc.dataPort().write(0, 1, 0xf2);
        assertEquals(List.of(0xfa, 3), drain());
    }
}
