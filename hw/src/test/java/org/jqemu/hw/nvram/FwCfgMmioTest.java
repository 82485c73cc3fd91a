package org.jqemu.hw.nvram;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.jqemu.hw.TestMachines;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.memory.MemoryOps;
import org.junit.jupiter.api.Test;

class FwCfgMmioTest {
    @Test
    void selectorIsBigEndianAndDataComesInStreamOrder() {
        Machine m = TestMachines.newMachine();
        FwCfg fw = new FwCfg(m, "fw_cfg", true);
        fw.addInt16(FwCfg.NB_CPUS, 2);
        MemoryOps regs = FwCfgMmio.of(fw);
        // Linux: iowrite16be(key, base + 8); the LE value of that store is the key byte-swapped.
        regs.write(8, 2, Short.reverseBytes((short) FwCfg.SIGNATURE) & 0xffff);
        assertEquals('Q' | 'E' << 8 | 'M' << 16 | 'U' << 24, regs.read(0, 4));
        regs.write(8, 2, Short.reverseBytes((short) FwCfg.NB_CPUS) & 0xffff);
        assertEquals(2, regs.read(0, 1));
        assertEquals(0, regs.read(0, 1));
        // The DMA register reads the "QEMU CFG" signature, big-endian.
        assertEquals(Long.reverseBytes(FwCfg.DMA_SIGNATURE), regs.read(0x10, 8));
    }
}
