package org.jqemu.hw.pc;

import static org.jqemu.hw.TestMachines.in8;
import static org.jqemu.hw.TestMachines.out8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.jqemu.hw.TestMachines;
import org.jqemu.hw.input.I8042;
import org.jqemu.system.irq.IrqLine;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.machine.MachineListener;
import org.jqemu.system.machine.ShutdownCause;
import org.jqemu.system.memory.IoRegion;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ResetAndA20Test {
    private Machine m;
    private final List<Boolean> a20 = new CopyOnWriteArrayList<>();
    private final LinkedBlockingQueue<ShutdownCause> resets = new LinkedBlockingQueue<>();

    @BeforeEach
    void setUp() {
        m = TestMachines.newMachine();
        Port92 p92 = new Port92(m, a20::add);
        I8042 kbc = new I8042(m, IrqLine.NONE, IrqLine.NONE, a20::add);
        m.io().root().add(0x92, new IoRegion("p92", 1, p92.port()));
        m.io().root().add(0x60, new IoRegion("kbd", 1, kbc.dataPort()));
        m.io().root().add(0x64, new IoRegion("kbc", 1, kbc.commandPort()));
        m.addDevice(p92);
        m.addDevice(kbc);
        m.addListener(new MachineListener() {
            @Override
            public void reset(ShutdownCause cause) {
                resets.add(cause);
            }
        });
        TestMachines.startPaused(m);
    }

    @AfterEach
    void tearDown() {
        m.close();
    }

    private void expectReset() throws InterruptedException {
        assertEquals(ShutdownCause.GUEST_RESET, resets.poll(10, TimeUnit.SECONDS));
    }

    private void expectNoReset() throws InterruptedException {
        TestMachines.drain(m);
        assertEquals(null, resets.poll());
    }

    @Test
    void port92FastA20AndReset() throws InterruptedException {
        out8(m, 0x92, 0x02);
        assertEquals(List.of(true), a20);
        assertEquals(0x02, in8(m, 0x92));
        out8(m, 0x92, 0x00);
        assertEquals(List.of(true, false), a20);
        expectNoReset();
        out8(m, 0x92, 0x03);
        expectReset();
        assertEquals(0x02, in8(m, 0x92), "system reset clears bit 0 and keeps A20");
    }

    @Test
    void i8042OutputPortA20AndReset() throws InterruptedException {
        out8(m, 0x64, 0xd0);
        assertEquals(0xcf, in8(m, 0x60) & 0xcf, "reset and A20 high, bits 2,3,6,7 wired high");
        out8(m, 0x64, 0xd1);
        out8(m, 0x60, 0xcd); // A20 off, reset line kept high
        assertEquals(List.of(false), a20);
        expectNoReset();
        out8(m, 0x64, 0xdf);
        assertEquals(List.of(false, true), a20);
        out8(m, 0x64, 0xfe); // pulse reset
        expectReset();
        out8(m, 0x64, 0xd1);
        out8(m, 0x60, 0xce); // reset bit low
        expectReset();
    }

    @Test
    void i8042CommandByteAndSelfTests() {
        out8(m, 0x64, 0x20);
        assertEquals(0x01, in8(m, 0x64) & 0x01, "output buffer full");
        assertEquals(0x03, in8(m, 0x60));
        out8(m, 0x64, 0x60);
        out8(m, 0x60, 0x65);
        out8(m, 0x64, 0x20);
        assertEquals(0x65, in8(m, 0x60));
        assertEquals(0x04, in8(m, 0x64) & 0x04, "system flag from the command byte");
        out8(m, 0x64, 0xab);
        assertEquals(0x00, in8(m, 0x60));
        out8(m, 0x60, 0xff); // keyboard reset
        List<Integer> reply = new ArrayList<>();
        while ((in8(m, 0x64) & 1) != 0) {
            reply.add(in8(m, 0x60));
        }
        assertEquals(List.of(0xfa, 0xaa), reply);
        out8(m, 0x64, 0xd3);
        out8(m, 0x60, 0x5a);
        assertEquals(0x21, in8(m, 0x64) & 0x21, "aux loop-back sets the mouse output flag");
        assertEquals(0x5a, in8(m, 0x60));
        assertTrue((in8(m, 0x64) & 1) == 0);
    }
}
