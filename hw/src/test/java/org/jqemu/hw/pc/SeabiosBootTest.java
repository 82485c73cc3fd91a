package org.jqemu.hw.pc;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import org.jqemu.accel.tcg.TcgAccelerator;
import org.jqemu.hw.TestMachines.TestChardev;
import org.jqemu.hw.chr.IsaDebugcon;
import org.jqemu.hw.isa.IsaBus;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.machine.MachineConfig;
import org.junit.jupiter.api.Test;

/**
 * Debian's SeaBIOS on the pc board under tcg, watched through its debug console (port 0x402):
 * it must find fw_cfg with DMA, probe the three chipset PCI functions, use the PIIX4 PM timer,
 * shadow itself through PAM and get as far as looking for a boot disk.
 */
class SeabiosBootTest {
    @Test
    void seabiosRunsToTheBootMenu() throws Exception {
        assumeTrue(Files.isReadable(PcSystemFirmware.DEFAULT_BIOS), "Debian's seabios package is not installed");
        MachineConfig c = new MachineConfig();
        c.ramSize = 128L << 20;
        Machine m = new Machine(c);
        TestChardev debug = new TestChardev("debugcon");
        try {
            TcgAccelerator tcg = new TcgAccelerator();
            tcg.init(m);
            m.setAccelerator(tcg);
            new PcMachine().build(m);
            IsaDebugcon con = new IsaDebugcon("debugcon", debug, 0xe9);
            m.component(IsaBus.class).mapPorts("debugcon", 0x402, 1, con.port());
            m.start();
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (System.nanoTime() < deadline && !log(m, debug).contains("Booting from Hard Disk")) {
                Thread.sleep(100);
            }
        } finally {
            m.exit(0);
            m.close();
        }
        String out = log(m, debug);
        for (String line : new String[] {
            "Running on QEMU (i440fx)", "Found QEMU fw_cfg", "QEMU fw_cfg DMA interface supported", "qemu/e820: addr 0x0000000000000000 len 0x0000000008000000 [RAM]",
            "Found 3 PCI devices", "PCI: init bdf=00:00.0 id=8086:1237", "PCI: init bdf=00:01.0 id=8086:7000",
            "PCI: init bdf=00:01.3 id=8086:7113", "Using pmtimer", "Booting from Hard Disk"}) {
            assertTrue(out.contains(line), "SeaBIOS did not print '" + line + "'; its log:\n" + out);
        }
    }

    private static String log(Machine m, TestChardev debug) {
        m.lock();
        try {
            return debug.output.toString();
        } finally {
            m.unlock();
        }
    }
}
