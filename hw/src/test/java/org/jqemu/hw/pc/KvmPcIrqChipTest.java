package org.jqemu.hw.pc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.jqemu.accel.kvm.KvmIrqChip;
import org.jqemu.hw.audio.PcSpeaker;
import org.jqemu.hw.intc.ApicBus;
import org.jqemu.hw.intc.I8259;
import org.jqemu.hw.intc.IoApic;
import org.jqemu.hw.intc.LocalApic;
import org.jqemu.hw.isa.IsaBus;
import org.jqemu.hw.pci.PciBus;
import org.jqemu.hw.timer.I8254Pit;
import org.jqemu.system.device.Device;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.machine.MachineConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pc board on an in-kernel irqchip (kvm): no interrupt-controller or PIT models, ISA IRQ n on
 * GSI n, MSIs to the kernel. A recording {@link KvmIrqChip.Kernel} stands in for /dev/kvm.
 */
class KvmPcIrqChipTest {
    @TempDir
    Path dir;

    /** What the board asked of the kernel, in order. */
    private final List<String> kernelCalls = new ArrayList<>();

    private final KvmIrqChip.Kernel recorder = new KvmIrqChip.Kernel() {
        @Override
        public void setIrqLine(int gsi, boolean level) {
            kernelCalls.add("gsi " + gsi + "=" + (level ? 1 : 0));
        }

        @Override
        public void signalMsi(long address, int data) {
            kernelCalls.add(String.format("msi 0x%x 0x%x", address, data));
        }
    };

    private Machine machine(boolean pitInKernel) throws Exception {
        MachineConfig c = new MachineConfig();
        c.ramSize = 2L << 20;
        Path bios = dir.resolve("bios.bin");
        Files.write(bios, new byte[64 << 10]);
        c.bios = bios.toString();
        Machine m = new Machine(c);
        m.putComponent(KvmIrqChip.class, new KvmIrqChip(recorder, 24, pitInKernel));
        new PcMachine().build(m);
        return m;
    }

    @Test
    void noInterruptControllerOrPitModels() throws Exception {
        try (Machine m = machine(true)) {
            for (Device d : m.devices()) {
                assertTrue(!(d instanceof I8259 || d instanceof IoApic || d instanceof LocalApic
                        || d instanceof I8254Pit || d instanceof PcSpeaker), "unexpected model " + d);
            }
            assertNull(m.component(ApicBus.class));
            // The kernel decodes the 8259, ELCR, PIT and speaker ports: the board leaves them unmapped.
            assertEquals(0xff, m.io().read(0x21, 1) & 0xff);
            assertEquals(0xff, m.io().read(0x4d0, 1) & 0xff);
            assertEquals(0xff, m.io().read(0x40, 1) & 0xff);
            assertEquals(1, m.cpus().size());
        }
    }

    @Test
    void aPitModelStaysWhenTheKernelHasNone() throws Exception {
        try (Machine m = machine(false)) {
            assertTrue(m.devices().stream().anyMatch(d -> d instanceof I8254Pit));
            assertTrue(m.devices().stream().noneMatch(d -> d instanceof I8259));
        }
    }

    @Test
    void isaIrqsAreGsisAndMsisGoToTheKernel() throws Exception {
        try (Machine m = machine(true)) {
            IsaBus isa = m.component(IsaBus.class);
            kernelCalls.clear();
            isa.irq(4).set(true);
            isa.irq(4).set(false);
            isa.irq(0).set(true);
            isa.irq(15).set(true);
            PciBus pci = m.component(PciBus.class);
            assertNotNull(pci);
            pci.msi(0xfee00000L, 0x4041);
            assertEquals(List.of("gsi 4=1", "gsi 4=0", "gsi 0=1", "gsi 15=1", "msi 0xfee00000 0x4041"), kernelCalls);
        }
    }
}
