package org.jqemu.hw.pci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.jqemu.hw.TestMachines;
import org.jqemu.hw.TestMachines.RecordingLine;
import org.jqemu.system.machine.MachineListener;
import org.jqemu.system.machine.ShutdownCause;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.memory.IoRegion;
import org.jqemu.system.memory.MemoryOps;
import org.jqemu.system.memory.RamRegion;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class I440fxPiix3Test {
    /** Registers that remember the last write, to see which window an access reached. */
    static final class Regs implements MemoryOps {
        long last = -1;
        long lastOffset = -1;

        @Override
        public long read(long offset, int size) {
            return 0x1000 + offset;
        }

        @Override
        public void write(long offset, int size, long value) {
            lastOffset = offset;
            last = value;
        }
    }

    /** A function with an I/O BAR 0 (32 bytes) and a prefetchable memory BAR 1 (4 KiB). */
    static final class TestFunction extends PciDevice {
        final Regs io = new Regs();
        final Regs mem = new Regs();

        TestFunction(Machine m) {
            super(m, "test-fn");
            setIds(0x1af4, 0x1000, 1, 0x020000);
            setInterruptPin(1);
            addBar(0, PciBar.Space.IO, 32, false, new IoRegion("test-io", 32, io));
            addBar(1, PciBar.Space.MEMORY32, 4096, true, new IoRegion("test-mem", 4096, mem));
        }
    }

    Machine m;
    PciBus bus;
    I440fxHost host;
    Piix3 piix3;
    RamRegion ram;
    RecordingLine[] isa = new RecordingLine[16];

    @BeforeEach
    void setUp() throws Exception {
        m = TestMachines.newMachine();
        ram = RamRegion.allocate(m.arena(), "ram", 2 << 20, false);
        m.memory().root().add(0, ram);
        bus = new PciBus(m, "pci.0");
        host = new I440fxHost(m, bus, ram);
        m.io().root().add(0xcf8, new IoRegion("pci-conf", 8, host.configPorts()));
        for (int i = 0; i < 16; i++) {
            isa[i] = new RecordingLine();
        }
        piix3 = new Piix3(m, bus, 0x08, isa.clone());
        host.setResetControl(piix3.resetControlPort());
    }

    int cfgRead(int devfn, int reg, int size) {
        m.io().write(0xcf8, 4, 0x8000_0000L | devfn << 8 | (reg & 0xfc));
        return (int) m.io().read(0xcfc + (reg & 3), size);
    }

    void cfgWrite(int devfn, int reg, int size, int value) {
        m.io().write(0xcf8, 4, 0x8000_0000L | devfn << 8 | (reg & 0xfc));
        m.io().write(0xcfc + (reg & 3), size, value & 0xffff_ffffL);
    }

    @Test
    void mechanismOneReadsHostBridgeAndIsaBridgeIds() {
        assertEquals(0x1237_8086, cfgRead(0, 0, 4));
        assertEquals(0x8086, cfgRead(0, 0, 2));
        assertEquals(0x12, cfgRead(0, 3, 1));
        assertEquals(0x0600, cfgRead(0, 0x0a, 2));
        assertEquals(0x7000_8086, cfgRead(0x08, 0, 4));
        assertEquals(0x0601, cfgRead(0x08, 0x0a, 2));
        assertEquals(0x80, cfgRead(0x08, 0x0e, 1) & 0x80, "PIIX3 is multi-function");
        assertEquals(0xffff_ffff, cfgRead(0x10, 0, 4), "empty slot");
        assertEquals(0x8000_1000, (int) m.io().read(0xcf8, 4), "CONFADD reads back");
        // Disabled CONFADD: no cycle.
        m.io().write(0xcf8, 4, 0);
        assertEquals(0xffff_ffffL, m.io().read(0xcfc, 4));
        // Byte writes to 0xCF8 are not CONFADD.
        m.io().write(0xcf8, 4, 0x8000_0000L);
        m.io().write(0xcfa, 1, 0x12);
        assertEquals(0x8000_0000L, m.io().read(0xcf8, 4));
    }

    @Test
    void barSizingMappingAndCommandEnable() throws Exception {
        TestFunction f = new TestFunction(m);
        bus.plug(f, 3 << 3);
        int devfn = 3 << 3;
        // Sizing: write all-ones, read the mask and type bits back.
        cfgWrite(devfn, 0x10, 4, -1);
        assertEquals(0xffff_ffe1, cfgRead(devfn, 0x10, 4));
        cfgWrite(devfn, 0x14, 4, -1);
        assertEquals(0xffff_f008, cfgRead(devfn, 0x14, 4));
        cfgWrite(devfn, 0x10, 4, 0xc040);
        cfgWrite(devfn, 0x14, 4, 0xfebf_0000);
        // Not decoded before the command register enables the spaces.
        assertEquals(0xff, m.io().read(0xc040, 1));
        assertEquals(0xffff_ffffL, m.memory().read(0xfebf_0004L, 4));
        cfgWrite(devfn, 0x04, 2, PciDevice.COMMAND_IO | PciDevice.COMMAND_MEMORY);
        assertEquals(0x1004, m.io().read(0xc044, 2));
        m.memory().write(0xfebf_0010L, 4, 0x55);
        assertEquals(0x10, f.mem.lastOffset);
        assertEquals(0x55, f.mem.last);
        // Moving a BAR moves the window.
        cfgWrite(devfn, 0x10, 4, 0xc080);
        assertEquals(0xff, m.io().read(0xc040, 1));
        assertEquals(0x1000, m.io().read(0xc080, 2));
        // Memory decode off: only the memory window goes away.
        cfgWrite(devfn, 0x04, 2, PciDevice.COMMAND_IO);
        assertEquals(0xffff_ffffL, m.memory().read(0xfebf_0000L, 4));
        assertEquals(0x1000, m.io().read(0xc080, 2));
        f.reset();
        assertEquals(0xffff, m.io().read(0xc080, 2));
        assertEquals(0x1, cfgRead(devfn, 0x10, 4));
    }

    @Test
    void sixtyFourBitPrefetchableBarMapsAbove4GiB() throws Exception {
        Regs regs = new Regs();
        PciDevice d = new PciDevice(m, "bar64") {
            {
                setIds(0x1af4, 0x1042, 1, 0x010000);
                addBar(4, PciBar.Space.MEMORY64, 0x4000, true, new IoRegion("bar64", 0x4000, regs));
            }
        };
        bus.plug(d, 5 << 3);
        int devfn = 5 << 3;
        cfgWrite(devfn, 0x20, 4, -1);
        cfgWrite(devfn, 0x24, 4, -1);
        assertEquals(0xffff_c00c, cfgRead(devfn, 0x20, 4), "size mask, 64-bit, prefetchable");
        assertEquals(0xffff_ffff, cfgRead(devfn, 0x24, 4));
        cfgWrite(devfn, 0x20, 4, 0x0000_8000);
        cfgWrite(devfn, 0x24, 4, 0x8);
        cfgWrite(devfn, 0x04, 2, PciDevice.COMMAND_MEMORY);
        assertEquals(0x8_0000_8000L, d.barAddress(4));
        m.memory().write(0x8_0000_8010L, 4, 7);
        assertEquals(0x10, regs.lastOffset);
    }

    @Test
    void ramWinsOverABarPlacedOnIt() throws Exception {
        TestFunction f = new TestFunction(m);
        bus.plug(f, -1);
        cfgWrite(f.devfn(), 0x14, 4, 0x1000);
        cfgWrite(f.devfn(), 0x04, 2, PciDevice.COMMAND_MEMORY);
        m.memory().write(0x1000, 4, 0x1234);
        assertEquals(0x1234, m.memory().read(0x1000, 4));
        assertEquals(-1, f.mem.last);
    }

    @Test
    void headerIsReadOnlyWhereHardwareSaysSo() throws Exception {
        TestFunction f = new TestFunction(m);
        bus.plug(f, 2 << 3);
        cfgWrite(2 << 3, 0, 4, 0);
        assertEquals(0x1000_1af4, cfgRead(2 << 3, 0, 4));
        cfgWrite(2 << 3, 0x3c, 1, 11);
        assertEquals(11, cfgRead(2 << 3, 0x3c, 1));
        assertEquals(1, cfgRead(2 << 3, 0x3d, 1));
    }

    @Test
    void capabilitiesChainFromTheHeader() {
        PciDevice d = new PciDevice(m, "caps") {
            {
                addCapability(0x09, 16);
                addCapability(0x11, 12);
            }
        };
        assertEquals(PciDevice.STATUS_CAP_LIST, d.raw(PciDevice.STATUS, 2) & PciDevice.STATUS_CAP_LIST);
        assertEquals(0x40, d.raw(PciDevice.CAPABILITY_LIST, 1));
        assertEquals(0x09, d.raw(0x40, 1));
        assertEquals(0x50, d.raw(0x41, 1));
        assertEquals(0x11, d.raw(0x50, 1));
        assertEquals(0, d.raw(0x51, 1));
        d.configWrite(0x41, 1, 0x99);
        assertEquals(0x50, d.raw(0x41, 1), "capability pointers are read-only");
    }

    @Test
    void intxGoesThroughPirqRoutingToIsaIrq() throws Exception {
        TestFunction f = new TestFunction(m);
        bus.plug(f, 3 << 3); // device 3, INTA# -> PIRQ C
        assertEquals(2, PciBus.pirqOf(3 << 3, 0));
        f.setIntx(true);
        for (RecordingLine l : isa) {
            assertFalse(l.level, "routing disabled at reset");
        }
        cfgWrite(0x08, 0x62, 1, 11);
        assertTrue(isa[11].level);
        assertEquals(PciDevice.STATUS_INTERRUPT, cfgRead(3 << 3, 0x06, 2) & PciDevice.STATUS_INTERRUPT);
        // INTx disable in the command register masks the pin, status still shows it.
        cfgWrite(3 << 3, 0x04, 2, PciDevice.COMMAND_INTX_DISABLE);
        assertFalse(isa[11].level);
        cfgWrite(3 << 3, 0x04, 2, 0);
        assertTrue(isa[11].level);
        // Re-routing moves the level.
        cfgWrite(0x08, 0x62, 1, 10);
        assertFalse(isa[11].level);
        assertTrue(isa[10].level);
        f.setIntx(false);
        assertFalse(isa[10].level);
        // Reserved targets (IRQ 2) are not routed.
        f.setIntx(true);
        cfgWrite(0x08, 0x62, 1, 2);
        assertFalse(isa[2].level);
    }

    @Test
    void pamSelectsRomOrShadowRam() {
        RamRegion rom = RamRegion.allocate(m.arena(), "bios", 0x10000, true);
        rom.segment().set(java.lang.foreign.ValueLayout.JAVA_BYTE, 0x10, (byte) 0xaa);
        m.memory().root().add(0xf0000, rom, 1);
        host.addPciSideRom(0xf0000, rom, 0, 0x10000);
        // Reset: reads and writes go to the ROM.
        assertEquals(0xaa, m.memory().read(0xf0010, 1));
        m.memory().write(0xf0010, 1, 0x11);
        assertEquals(0xaa, m.memory().read(0xf0010, 1));
        // Write-only: writes reach RAM, reads still the ROM.
        cfgWrite(0, 0x59, 1, 0x20);
        m.memory().write(0xf0010, 1, 0x22);
        assertEquals(0xaa, m.memory().read(0xf0010, 1));
        // Read/write: shadow RAM with what was written.
        cfgWrite(0, 0x59, 1, 0x30);
        assertEquals(0x22, m.memory().read(0xf0010, 1));
        m.memory().write(0xf0010, 1, 0x33);
        assertEquals(0x33, m.memory().read(0xf0010, 1));
        // Read-only: RAM reads, writes dropped.
        cfgWrite(0, 0x59, 1, 0x10);
        m.memory().write(0xf0010, 1, 0x44);
        assertEquals(0x33, m.memory().read(0xf0010, 1));
        assertEquals(1, host.pamMode(12));
        // 16 KiB segments: PAM1 low nibble is 0xC0000-0xC3FFF, high nibble 0xC4000-0xC7FFF.
        cfgWrite(0, 0x5a, 1, 0x30);
        m.memory().write(0xc4000, 1, 0x77);
        assertEquals(0x77, m.memory().read(0xc4000, 1));
        assertEquals(0, host.pamMode(0));
        assertEquals(3, host.pamMode(1));
        assertEquals(0x30, cfgRead(0, 0x5a, 1));
        cfgWrite(0, 0x5b, 1, 0xff);
        assertEquals(0x33, cfgRead(0, 0x5b, 1), "only the two enable bits per nibble are writable");
        host.reset();
        assertEquals(0xaa, m.memory().read(0xf0010, 1));
    }

    @Test
    void smramRegisterIsRecorded() {
        assertEquals(0x02, host.smram());
        cfgWrite(0, 0x72, 1, 0x4a);
        assertEquals(0x4a, host.smram());
    }

    @Test
    void resetControlRegisterResetsOnBit2() throws Exception {
        java.util.List<ShutdownCause> resets = new java.util.concurrent.CopyOnWriteArrayList<>();
        m.addListener(new MachineListener() {
            @Override
            public void reset(ShutdownCause cause) {
                resets.add(cause);
            }
        });
        TestMachines.startPaused(m);
        m.lock();
        try {
            m.io().write(0xcf9, 1, 0x02);
            assertEquals(0x02, m.io().read(0xcf9, 1));
        } finally {
            m.unlock();
        }
        TestMachines.drain(m);
        assertTrue(resets.isEmpty());
        TestMachines.out8(m, 0xcf9, 0x06);
        TestMachines.drain(m);
        assertEquals(java.util.List.of(ShutdownCause.GUEST_RESET), resets);
        m.close();
    }

    @Test
    void unpluggedFunctionsOfASingleFunctionDeviceAreInvisible() throws Exception {
        TestFunction f0 = new TestFunction(m);
        bus.plug(f0, 4 << 3);
        TestFunction f1 = new TestFunction(m);
        bus.plug(f1, 4 << 3 | 1);
        assertEquals(0xffff_ffff, cfgRead(4 << 3 | 1, 0, 4));
        // Behind the multi-function PIIX3 a second function answers.
        TestFunction f2 = new TestFunction(m);
        bus.plug(f2, 0x08 | 1);
        assertEquals(0x1000_1af4, cfgRead(0x08 | 1, 0, 4));
    }
}
