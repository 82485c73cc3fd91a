package org.jqemu.hw.pci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jqemu.hw.TestMachines;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.memory.ContainerRegion;
import org.jqemu.system.memory.IoRegion;
import org.jqemu.system.options.ConfigException;
import org.jqemu.system.options.Opts;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class MsiXTest {
    /** A function with 3 MSI-X vectors: table at 0 and PBA at 0x800 of memory BAR 1. */
    static final class MsixFunction extends PciDevice {
        final MsiX msix;

        MsixFunction(Machine m) {
            super(m, "msix-fn");
            setIds(0x1af4, 0x1041, 1, 0x020000);
            msix = new MsiX(this, 3, 1, 0, 1, 0x800);
            ContainerRegion bar = new ContainerRegion("msix-bar", 0x1000);
            bar.add(0, new IoRegion("msix-table", msix.tableSize(), msix.tableOps()));
            bar.add(0x800, new IoRegion("msix-pba", msix.pbaSize(), msix.pbaOps()));
            addBar(1, PciBar.Space.MEMORY32, 0x1000, false, bar);
        }
    }

    Machine m;
    PciBus bus;
    MsixFunction f;
    record Msg(long address, int data) {}
    List<Msg> sent = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        m = TestMachines.newMachine();
        bus = new PciBus(m, "pci.0");
        bus.setMsiSink((a, d) -> sent.add(new Msg(a, d)));
        f = new MsixFunction(m);
        bus.plug(f, 2 << 3);
        bus.configWrite(2 << 3, 0x14, 4, 0xfe00_0000);
        bus.configWrite(2 << 3, 0x04, 2, PciDevice.COMMAND_MEMORY | PciDevice.COMMAND_MASTER);
    }

    int cap() {
        return f.msix.capabilityOffset();
    }

    @Test
    void capabilityLayout() {
        assertEquals(cap(), bus.configRead(2 << 3, PciDevice.CAPABILITY_LIST, 1));
        assertEquals(MsiX.CAP_ID, bus.configRead(2 << 3, cap(), 1));
        assertEquals(2, bus.configRead(2 << 3, cap() + 2, 2), "table size - 1");
        assertEquals(0x0000_0001, bus.configRead(2 << 3, cap() + 4, 4), "table at 0 in BAR 1");
        assertEquals(0x0000_0801, bus.configRead(2 << 3, cap() + 8, 4), "PBA at 0x800 in BAR 1");
        assertEquals(1, m.memory().read32(0xfe00_000cL), "vectors come up masked");
    }

    @Test
    void maskedVectorsPendAndFireOnUnmask() {
        f.msix.notify(1);
        assertTrue(sent.isEmpty(), "MSI-X disabled: nothing");
        bus.configWrite(2 << 3, cap() + 2, 2, MsiX.CONTROL_ENABLE);
        assertTrue(f.msix.enabled());
        m.memory().write32(0xfe00_0010L, 0xfee0_1000);
        m.memory().write32(0xfe00_0014L, 0);
        m.memory().write32(0xfe00_0018L, 0x4031);
        f.msix.notify(1);
        assertTrue(sent.isEmpty(), "vector 1 still masked");
        assertEquals(0x2, m.memory().read32(0xfe00_0800L), "pending bit");
        m.memory().write32(0xfe00_001cL, 0);
        assertEquals(List.of(new Msg(0xfee0_1000L, 0x4031)), sent);
        assertEquals(0, m.memory().read32(0xfe00_0800L));
        f.msix.notify(1);
        assertEquals(2, sent.size());
        // Function mask holds everything; clearing it sends what is pending.
        bus.configWrite(2 << 3, cap() + 2, 2, MsiX.CONTROL_ENABLE | MsiX.CONTROL_FUNCTION_MASK);
        f.msix.notify(1);
        assertEquals(2, sent.size());
        bus.configWrite(2 << 3, cap() + 2, 2, MsiX.CONTROL_ENABLE);
        assertEquals(3, sent.size());
        // No bus mastering, no message.
        bus.configWrite(2 << 3, 0x04, 2, PciDevice.COMMAND_MEMORY);
        f.msix.notify(1);
        assertEquals(3, sent.size());
        assertFalse(f.msix.isPending(1));
    }

    @Test
    void addrPropertyParsesSlotAndFunction() throws Exception {
        assertEquals(-1, PciBus.parseAddr(new Opts("-device", Map.of()), "x"));
        assertEquals(4 << 3, PciBus.parseAddr(new Opts("-device", Map.of("addr", "04")), "x"));
        assertEquals(0x1f << 3 | 2, PciBus.parseAddr(new Opts("-device", Map.of("addr", "1f.2")), "x"));
        assertEquals(0x10 << 3, PciBus.parseAddr(new Opts("-device", Map.of("addr", "0x10")), "x"));
        ConfigException e = assertThrows(ConfigException.class,
                () -> PciBus.parseAddr(new Opts("-device", Map.of("addr", "20.0")), "virtio-blk-pci"));
        assertEquals("Property 'virtio-blk-pci.addr' doesn't take value '20.0'", e.getMessage());
    }
}
