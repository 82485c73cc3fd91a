package org.jqemu.hw.pci;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.jqemu.hw.TestMachines;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.memory.IoRegion;
import org.jqemu.system.memory.MemoryOps;
import org.junit.jupiter.api.Test;

class GpexHostTest {
    @Test
    void ecamReachesTheRootBusAndNothingElse() throws Exception {
        Machine m = TestMachines.newMachine();
        PciBus bus = new PciBus(m, "pcie.0");
        GpexHost host = new GpexHost(m, bus);
        MemoryOps ecam = host.ecam();
        assertEquals(0x0008_1b36L, ecam.read(0, 4));
        assertEquals(0x1b36, ecam.read(0, 2));
        assertEquals(0x0600, ecam.read(0x0a, 2));
        // Absent function, other bus, extended config space: all ones.
        assertEquals(0xffff_ffffL, ecam.read(1 << 15, 4));
        assertEquals(0xffff_ffffL, ecam.read(1 << 20, 4));
        assertEquals(0xffff_ffffL, ecam.read(0x100, 4));
        assertEquals(0xffff, ecam.read(1 << 20, 2));
        // Config writes land: the latency timer is writable on every function.
        ecam.write(PciDevice.LATENCY_TIMER, 1, 0x40);
        assertEquals(0x40, ecam.read(PciDevice.LATENCY_TIMER, 1));
    }

    @Test
    void pioWindowForwardsToIoSpace() throws Exception {
        Machine m = TestMachines.newMachine();
        GpexHost host = new GpexHost(m, new PciBus(m, "pcie.0"));
        int[] last = new int[2];
        m.io().root().add(0x1000, new IoRegion("probe", 8, new MemoryOps() {
            @Override
            public long read(long offset, int size) {
                return 0xa5 + offset;
            }

            @Override
            public void write(long offset, int size, long value) {
                last[0] = (int) offset;
                last[1] = (int) value;
            }
        }));
        MemoryOps pio = host.pioWindow();
        assertEquals(0xa7, pio.read(0x1002, 1));
        pio.write(0x1004, 1, 0x5a);
        assertEquals(4, last[0]);
        assertEquals(0x5a, last[1]);
    }

    @Test
    void virtSwizzleMatchesTheDeviceTreeInterruptMap() {
        // Pin P (0 = INTA) of slot S must reach SPI 3 + (S + P) mod 4, the virt board's map.
        for (int slot = 0; slot < 8; slot++) {
            for (int pin = 0; pin < 4; pin++) {
                int pirq = PciBus.pirqOf(slot << 3, pin);
                assertEquals((slot + pin) % 4, org.jqemu.hw.arm.VirtMachineAccess.intxSpiOffset(pirq));
            }
        }
    }
}
