package org.jqemu.hw.virtio;

import static org.jqemu.hw.virtio.VirtioDevice.*;
import static org.jqemu.hw.virtio.VirtioPci.*;
import static org.jqemu.hw.virtio.Virtqueue.*;
import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.jqemu.hw.TestMachines;
import org.jqemu.hw.pci.PciBus;
import org.jqemu.hw.pci.PciDevice;
import org.jqemu.system.block.RawImage;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.memory.AddressSpace;
import org.jqemu.system.memory.RamRegion;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * virtio-blk over modern virtio-pci, with the test doing what Linux's virtio_pci_modern does:
 * find the vendor capabilities, program the BAR, negotiate, set up the queue, and read a sector,
 * taking the INTx interrupt and acknowledging it through the ISR.
 */
class VirtioBlkPciTest {
    static final long BAR_ADDR = 0xfe00_0000L;
    static final int DEVFN = 4 << 3;
    @TempDir
    Path tmp;
    Machine m;
    AddressSpace mem;
    PciBus bus;
    boolean[] pirq = new boolean[4];
    VirtioPci pci;
    RawImage image;
    Path disk;

    @BeforeEach
    void setUp() throws Exception {
        m = TestMachines.newMachine();
        mem = m.memory();
        mem.root().add(0, RamRegion.allocate(m.arena(), "ram", 16 << 20, false));
        bus = new PciBus(m, "pci.0");
        bus.setPirqSink((p, level) -> pirq[p] = level);
        bus.setMsiSink((address, data) -> mem.write32(address, data)); // no APIC here: messages land in RAM
        disk = tmp.resolve("d.raw");
        byte[] content = new byte[16 * 512];
        for (int i = 0; i < content.length; i++) {
            content[i] = (byte) (i ^ (i >> 9));
        }
        Files.write(disk, content);
        image = RawImage.open("d", disk.toString(), false);
        pci = new VirtioPci(new VirtioBlk(m, "d", image, "pci-serial"), bus, DEVFN, VirtioBlkPciType.CLASS_STORAGE_SCSI);
    }

    @AfterEach
    void tearDown() throws Exception {
        image.close();
        m.close();
    }

    int cfg(int off, int size) {
        return bus.configRead(DEVFN, off, size);
    }

    /** The capabilities by cfg_type: {bar, offset, length, notify multiplier}. */
    Map<Integer, int[]> capabilities() {
        Map<Integer, int[]> caps = new HashMap<>();
        assertNotEquals(0, cfg(PciDevice.STATUS, 2) & PciDevice.STATUS_CAP_LIST);
        for (int p = cfg(PciDevice.CAPABILITY_LIST, 1); p != 0; p = cfg(p + 1, 1)) {
            if (cfg(p, 1) != 0x09) {
                continue;
            }
            int type = cfg(p + 3, 1);
            caps.put(type, new int[] {cfg(p + 4, 1), cfg(p + 8, 4), cfg(p + 12, 4),
                    type == CAP_NOTIFY ? cfg(p + 16, 4) : 0});
        }
        return caps;
    }

    /** The ID of the capability after the four virtio ones. */
    int msixCapId() {
        return cfg(msixCap(), 1);
    }

    int msixCap() {
        int p = cfg(PciDevice.CAPABILITY_LIST, 1);
        while (cfg(p, 1) == 0x09) {
            p = cfg(p + 1, 1);
        }
        return p;
    }

    @Test
    void identityAndCapabilities() {
        assertEquals(0x1af4, cfg(PciDevice.VENDOR_ID, 2));
        assertEquals(0x1042, cfg(PciDevice.DEVICE_ID, 2));
        assertEquals(1, cfg(PciDevice.REVISION_ID, 1));
        assertEquals(0x0100, cfg(PciDevice.CLASS_DEVICE, 2));
        assertEquals(1, cfg(PciDevice.INTERRUPT_PIN, 1));
        Map<Integer, int[]> caps = capabilities();
        assertEquals(4, caps.size());
        assertEquals(0x11, msixCapId(), "MSI-X capability after the virtio ones");
        for (int[] c : caps.values()) {
            assertEquals(BAR, c[0]);
        }
        assertTrue(caps.get(CAP_COMMON)[2] >= 0x38);
        assertTrue(caps.get(CAP_DEVICE)[2] >= 8);
        assertEquals(4, caps.get(CAP_NOTIFY)[3]);
        // BAR 4 sizing: 16 KiB memory window.
        bus.configWrite(DEVFN, PciDevice.BAR0 + 16, 4, -1);
        assertEquals(~(BAR_SIZE - 1), cfg(PciDevice.BAR0 + 16, 4));
    }

    @Test
    void readSectorThroughPciTransport() throws Exception {
        Map<Integer, int[]> caps = capabilities();
        bus.configWrite(DEVFN, PciDevice.BAR0 + 16, 4, (int) BAR_ADDR);
        bus.configWrite(DEVFN, PciDevice.COMMAND, 2, PciDevice.COMMAND_MEMORY | PciDevice.COMMAND_MASTER);
        long common = BAR_ADDR + caps.get(CAP_COMMON)[1];
        long isr = BAR_ADDR + caps.get(CAP_ISR)[1];
        long devcfg = BAR_ADDR + caps.get(CAP_DEVICE)[1];
        long notify = BAR_ADDR + caps.get(CAP_NOTIFY)[1];
        m.lock();
        try {
            assertEquals(16, mem.read64(devcfg), "capacity through the device config window");
            mem.write8(common + DEVICE_STATUS, 0);
            mem.write8(common + DEVICE_STATUS, STATUS_ACKNOWLEDGE | STATUS_DRIVER);
            mem.write32(common + DEVICE_FEATURE_SELECT, 1);
            assertEquals(1, mem.read32(common + DEVICE_FEATURE) & 1, "VERSION_1 offered");
            mem.write32(common + DRIVER_FEATURE_SELECT, 0);
            mem.write32(common + DRIVER_FEATURE, (int) bit(F_RING_EVENT_IDX));
            mem.write32(common + DRIVER_FEATURE_SELECT, 1);
            mem.write32(common + DRIVER_FEATURE, 1);
            mem.write8(common + DEVICE_STATUS, STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK);
            assertEquals(STATUS_FEATURES_OK, mem.read8(common + DEVICE_STATUS) & STATUS_FEATURES_OK);
            assertEquals(1, mem.read16(common + NUM_QUEUES));
            mem.write16(common + QUEUE_SELECT, 0);
            assertEquals(VirtioBlk.QUEUE_SIZE, mem.read16(common + QUEUE_SIZE));
            mem.write16(common + QUEUE_SIZE, 8);
            assertEquals(NO_VECTOR, mem.read16(common + QUEUE_MSIX_VECTOR), "no vector: INTx");
            mem.write16(common + QUEUE_MSIX_VECTOR, 999);
            assertEquals(NO_VECTOR, mem.read16(common + QUEUE_MSIX_VECTOR), "beyond the table: refused");
            mem.write64(common + QUEUE_DESC, 0x10000);
            mem.write32(common + QUEUE_DRIVER, 0x11000);
            mem.write32(common + QUEUE_DRIVER + 4, 0);
            mem.write64(common + QUEUE_DEVICE, 0x12000);
            assertEquals(0x11000, mem.read64(common + QUEUE_DRIVER));
            mem.write16(common + QUEUE_ENABLE, 1);
            assertEquals(1, mem.read16(common + QUEUE_ENABLE));
            int notifyOff = mem.read16(common + QUEUE_NOTIFY_OFF);
            mem.write8(common + DEVICE_STATUS, STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK | STATUS_DRIVER_OK);

            mem.write32(0x80000, VirtioBlk.T_IN);
            mem.write64(0x80008, 3);
            MmioDriver.writeDesc(mem, 0x10000, 0, 0x80000, 16, DESC_F_NEXT, 1);
            MmioDriver.writeDesc(mem, 0x10000, 1, 0x100000, 512, DESC_F_NEXT | DESC_F_WRITE, 2);
            MmioDriver.writeDesc(mem, 0x10000, 2, 0x80100, 1, DESC_F_WRITE, 0);
            mem.write16(0x11004, 0);
            mem.write16(0x11002, 1);
            mem.write16(notify + (long) notifyOff * caps.get(CAP_NOTIFY)[3], 0);
            m.unlock(); // the device serves the request on its own thread, which takes the lock
            try {
                ((VirtioBlk) pci.device()).awaitIdle();
            } finally {
                m.lock();
            }

            assertEquals(1, mem.read16(0x12002), "used index");
            assertEquals(513, mem.read32(0x12008));
            assertEquals(VirtioBlk.S_OK, mem.read8(0x80100));
            byte[] got = new byte[512];
            mem.readBytes(0x100000, got, 0, 512);
            assertArrayEquals(Arrays.copyOfRange(Files.readAllBytes(disk), 3 * 512, 4 * 512), got);
            assertTrue(pirq[PciBus.pirqOf(DEVFN, 0)], "INTA# asserted");
            assertEquals(1, mem.read8(isr), "ISR: queue interrupt");
            assertFalse(pirq[PciBus.pirqOf(DEVFN, 0)], "reading the ISR deasserts INTx");
            assertEquals(0, mem.read8(isr));
        } finally {
            m.unlock();
        }
    }

    @Test
    void msixDeliversPerQueueAndConfigVectorsAndHoldsMaskedOnesPending() throws Exception {
        Map<Integer, int[]> caps = capabilities();
        int cap = msixCap();
        assertEquals(1, cfg(cap + 2, 2) & 0x7ff, "table size 2 (queue + config), encoded N-1");
        assertEquals(1, cfg(cap + 4, 4), "table in BAR 1 at offset 0");
        assertEquals(0x801, cfg(cap + 8, 4), "PBA in BAR 1 at 0x800");
        long msixBar = 0xfe01_0000L;
        bus.configWrite(DEVFN, PciDevice.BAR0 + 4, 4, (int) msixBar);
        bus.configWrite(DEVFN, PciDevice.BAR0 + 16, 4, (int) BAR_ADDR);
        bus.configWrite(DEVFN, PciDevice.COMMAND, 2, PciDevice.COMMAND_MEMORY | PciDevice.COMMAND_MASTER);
        bus.configWrite(DEVFN, cap + 2, 2, 0x8000); // MSI-X enable
        // Vector 0 → queue, vector 1 → config; the "APIC" here is plain RAM, so the message shows up there.
        mem.write32(msixBar, 0x9000);
        mem.write32(msixBar + 8, 0x1111);
        mem.write32(msixBar + 12, 0);
        mem.write32(msixBar + 16, 0x9010);
        mem.write32(msixBar + 24, 0x2222);
        mem.write32(msixBar + 28, 1); // masked
        long common = BAR_ADDR + caps.get(CAP_COMMON)[1];
        mem.write8(common + DEVICE_STATUS, STATUS_ACKNOWLEDGE | STATUS_DRIVER);
        mem.write32(common + DRIVER_FEATURE_SELECT, 1);
        mem.write32(common + DRIVER_FEATURE, 1);
        mem.write8(common + DEVICE_STATUS, STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK);
        mem.write16(common + CONFIG_MSIX_VECTOR, 1);
        assertEquals(1, mem.read16(common + CONFIG_MSIX_VECTOR));
        mem.write16(common + QUEUE_SIZE, 8);
        mem.write16(common + QUEUE_MSIX_VECTOR, 0);
        assertEquals(0, mem.read16(common + QUEUE_MSIX_VECTOR));
        mem.write64(common + QUEUE_DESC, 0x10000);
        mem.write64(common + QUEUE_DRIVER, 0x11000);
        mem.write64(common + QUEUE_DEVICE, 0x12000);
        mem.write16(common + QUEUE_ENABLE, 1);
        mem.write8(common + DEVICE_STATUS, STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK | STATUS_DRIVER_OK);

        mem.write32(0x80000, VirtioBlk.T_FLUSH);
        MmioDriver.writeDesc(mem, 0x10000, 0, 0x80000, 16, DESC_F_NEXT, 1);
        MmioDriver.writeDesc(mem, 0x10000, 1, 0x80100, 1, DESC_F_WRITE, 0);
        mem.write16(0x11004, 0);
        mem.write16(0x11002, 1);
        mem.write16(BAR_ADDR + caps.get(CAP_NOTIFY)[1], 0);
        ((VirtioBlk) pci.device()).awaitIdle();
        assertEquals(0x1111, mem.read32(0x9000), "queue vector message");
        assertFalse(pirq[PciBus.pirqOf(DEVFN, 0)], "no INTx while MSI-X is on");

        // A malformed chain: the config vector is masked, so its message waits in the PBA.
        MmioDriver.writeDesc(mem, 0x10000, 2, 0x80000, 16, DESC_F_NEXT, 2);
        mem.write16(0x11006, 2);
        mem.write16(0x11002, 2);
        mem.write16(BAR_ADDR + caps.get(CAP_NOTIFY)[1], 0);
        ((VirtioBlk) pci.device()).awaitIdle();
        assertEquals(0, mem.read32(0x9010));
        assertEquals(2, mem.read32(msixBar + 0x800), "vector 1 pending");
        mem.write32(msixBar + 28, 0); // unmask
        assertEquals(0x2222, mem.read32(0x9010), "delivered on unmask");
        assertEquals(0, mem.read32(msixBar + 0x800));
    }

    @Test
    void malformedRingRaisesConfigInterruptThroughIsr() throws Exception {
        Map<Integer, int[]> caps = capabilities();
        bus.configWrite(DEVFN, PciDevice.BAR0 + 16, 4, (int) BAR_ADDR);
        bus.configWrite(DEVFN, PciDevice.COMMAND, 2, PciDevice.COMMAND_MEMORY | PciDevice.COMMAND_MASTER);
        long common = BAR_ADDR + caps.get(CAP_COMMON)[1];
        m.lock();
        try {
            mem.write8(common + DEVICE_STATUS, STATUS_ACKNOWLEDGE | STATUS_DRIVER);
            mem.write32(common + DRIVER_FEATURE_SELECT, 1);
            mem.write32(common + DRIVER_FEATURE, 1);
            mem.write8(common + DEVICE_STATUS, STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK);
            mem.write16(common + QUEUE_SIZE, 8);
            mem.write64(common + QUEUE_DESC, 0x10000);
            mem.write64(common + QUEUE_DRIVER, 0x11000);
            mem.write64(common + QUEUE_DEVICE, 0x12000);
            mem.write16(common + QUEUE_ENABLE, 1);
            mem.write8(common + DEVICE_STATUS, STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK | STATUS_DRIVER_OK);
            MmioDriver.writeDesc(mem, 0x10000, 0, 0x80000, 16, DESC_F_NEXT, 0); // points at itself
            mem.write16(0x11004, 0);
            mem.write16(0x11002, 1);
            mem.write16(BAR_ADDR + caps.get(CAP_NOTIFY)[1], 0);
            m.unlock();
            try {
                ((VirtioBlk) pci.device()).awaitIdle();
            } finally {
                m.lock();
            }
            assertEquals(STATUS_NEEDS_RESET, mem.read8(common + DEVICE_STATUS) & STATUS_NEEDS_RESET);
            assertTrue(pirq[PciBus.pirqOf(DEVFN, 0)]);
            assertEquals(2, mem.read8(BAR_ADDR + caps.get(CAP_ISR)[1]), "ISR: config change");
            mem.write8(common + DEVICE_STATUS, 0);
            assertEquals(0, mem.read8(common + DEVICE_STATUS));
        } finally {
            m.unlock();
        }
    }
}
