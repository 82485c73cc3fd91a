package org.jqemu.hw.virtio;

import static org.jqemu.hw.virtio.VirtioDevice.*;
import static org.jqemu.hw.virtio.VirtioMmio.*;
import static org.jqemu.hw.virtio.Virtqueue.*;
import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.jqemu.hw.TestMachines;
import org.jqemu.hw.TestMachines.RecordingLine;
import org.jqemu.system.block.RawImage;
import org.jqemu.system.log.LogCategory;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.machine.MachineConfig;
import org.jqemu.system.memory.AddressSpace;
import org.jqemu.system.memory.RamRegion;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * virtio-blk over virtio-mmio with the test playing the driver: negotiation, queue set-up,
 * requests on a temporary raw image, and malformed rings that must put the device into
 * DEVICE_NEEDS_RESET without disturbing the machine or a second device.
 */
class VirtioBlkMmioTest {
    static final long RAM_SIZE = 16 << 20;
    static final long MMIO0 = 0x0a00_0000L;
    static final long MMIO1 = 0x0a00_0200L;
    static final long HDR = 0x80000;
    static final long STATUS_BYTE = 0x80100;
    static final long DATA = 0x100000;
    static final long INDIRECT_TABLE = 0x90000;
    static final long FEATURES = bit(F_VERSION_1) | bit(F_RING_EVENT_IDX) | bit(F_RING_INDIRECT_DESC)
            | bit(VirtioBlk.F_FLUSH) | bit(VirtioBlk.F_BLK_SIZE);

    @TempDir
    Path tmp;
    Machine m;
    AddressSpace mem;
    Path disk0;
    Path disk1;
    VirtioMmio t0;
    VirtioMmio t1;
    RecordingLine irq0 = new RecordingLine();
    RecordingLine irq1 = new RecordingLine();
    MmioDriver d0;
    MmioDriver d1;

    @BeforeEach
    void setUp() throws Exception {
        MachineConfig cfg = new MachineConfig();
        cfg.logCategories.add(LogCategory.GUEST_ERRORS);
        m = new Machine(cfg);
        mem = m.memory();
        mem.root().add(0, RamRegion.allocate(m.arena(), "ram", RAM_SIZE, false));
        disk0 = tmp.resolve("disk0.raw");
        disk1 = tmp.resolve("disk1.raw");
        byte[] content = new byte[64 * 512];
        for (int i = 0; i < content.length; i++) {
            content[i] = (byte) (i * 7 + i / 512);
        }
        Files.write(disk0, content);
        Files.write(disk1, content);
        t0 = attach(disk0, false, "blk0", MMIO0, irq0);
        t1 = attach(disk1, false, "blk1", MMIO1, irq1);
        d0 = new MmioDriver(m, MMIO0, 0x10000);
        d1 = new MmioDriver(m, MMIO1, 0x20000);
        d0.idle = ((VirtioBlk) t0.device())::awaitIdle;
        d1.idle = ((VirtioBlk) t1.device())::awaitIdle;
    }

    VirtioMmio attach(Path file, boolean ro, String id, long at, RecordingLine irq) throws Exception {
        RawImage img = RawImage.open(id, file.toString(), ro);
        VirtioMmio t = new VirtioMmio(new VirtioBlk(m, id, img, "SN-" + id), irq);
        mem.root().add(at, t.region());
        m.addDevice(t);
        return t;
    }

    @AfterEach
    void tearDown() throws Exception {
        ((VirtioBlk) t0.device()).image().close();
        ((VirtioBlk) t1.device()).image().close();
        m.close();
    }

    /** Header, data, status as three descriptors; returns the status byte the device wrote. */
    int request(MmioDriver d, int type, long sector, long data, int len) {
        long hdr = HDR + (d == d1 ? 0x1000 : 0);
        long st = STATUS_BYTE + (d == d1 ? 0x1000 : 0);
        mem.write32(hdr, type);
        mem.write32(hdr + 4, 0);
        mem.write64(hdr + 8, sector);
        mem.write8(st, 0xee);
        boolean in = type == VirtioBlk.T_IN || type == VirtioBlk.T_GET_ID;
        if (len > 0) {
            d.desc(0, hdr, 16, DESC_F_NEXT, 1);
            d.desc(1, data, len, DESC_F_NEXT | (in ? DESC_F_WRITE : 0), 2);
            d.desc(2, st, 1, DESC_F_WRITE, 0);
        } else {
            d.desc(0, hdr, 16, DESC_F_NEXT, 2);
            d.desc(2, st, 1, DESC_F_WRITE, 0);
        }
        d.submit(0);
        int[] u = d.nextUsed();
        assertNotNull(u, "device returned the request");
        assertEquals(0, u[0], "used id is the head");
        return mem.read8(st);
    }

    byte[] guest(long addr, int n) {
        byte[] b = new byte[n];
        mem.readBytes(addr, b, 0, n);
        return b;
    }

    // ---- negotiation ---------------------------------------------------------------------------

    @Test
    void identifiesAsVersion2BlockDevice() {
        assertEquals(MAGIC, d0.reg(MAGIC_VALUE));
        assertEquals(2, d0.reg(VERSION));
        assertEquals(ID_BLOCK, d0.reg(DEVICE_ID));
        assertEquals(VENDOR, d0.reg(VENDOR_ID));
        d0.reg(QUEUE_SEL, 0);
        assertEquals(VirtioBlk.QUEUE_SIZE, d0.reg(QUEUE_NUM_MAX));
        d0.reg(QUEUE_SEL, 1);
        assertEquals(0, d0.reg(QUEUE_NUM_MAX), "only one request queue");
        long f = d0.deviceFeatures();
        assertNotEquals(0, f & bit(F_VERSION_1));
        assertNotEquals(0, f & bit(F_RING_EVENT_IDX));
        assertNotEquals(0, f & bit(F_RING_INDIRECT_DESC));
        assertNotEquals(0, f & bit(VirtioBlk.F_FLUSH));
        assertEquals(0, f & bit(VirtioBlk.F_RO));
        assertEquals(64, d0.config(0, 8), "capacity in sectors");
        assertEquals(512, d0.config(20, 4), "blk_size");
    }

    @Test
    void featuresOkNeedsVersion1AndOnlyOfferedBits() {
        int st = d0.negotiate(bit(VirtioBlk.F_FLUSH));
        assertEquals(0, st & STATUS_FEATURES_OK, "no VERSION_1: refused");
        st = d0.negotiate(bit(F_VERSION_1) | bit(40));
        assertEquals(0, st & STATUS_FEATURES_OK, "bit 40 was never offered");
        st = d0.negotiate(bit(F_VERSION_1) | bit(VirtioBlk.F_FLUSH));
        assertEquals(STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK, st);
        assertEquals(bit(F_VERSION_1) | bit(VirtioBlk.F_FLUSH), t0.device().driverFeatures());
        // Features are frozen after FEATURES_OK.
        d0.reg(DRIVER_FEATURES_SEL, 0);
        d0.reg(DRIVER_FEATURES, 0);
        assertEquals(bit(F_VERSION_1) | bit(VirtioBlk.F_FLUSH), t0.device().driverFeatures());
        d0.reg(STATUS, 0);
        assertEquals(0, d0.reg(STATUS));
        assertEquals(0, t0.device().driverFeatures(), "reset forgets the features");
    }

    // ---- requests ------------------------------------------------------------------------------

    @Test
    void readWriteFlushAndGetIdRoundTrip() throws Exception {
        d0.init(FEATURES, 16);
        assertEquals(VirtioBlk.S_OK, request(d0, VirtioBlk.T_IN, 2, DATA, 1024));
        byte[] file = Files.readAllBytes(disk0);
        assertArrayEquals(Arrays.copyOfRange(file, 1024, 2048), guest(DATA, 1024));
        assertEquals(1, irq0.risingEdges, "used buffer interrupt");
        assertEquals(INT_USED_BUFFER, d0.reg(INTERRUPT_STATUS));
        d0.reg(INTERRUPT_ACK, INT_USED_BUFFER);
        assertFalse(irq0.level);

        byte[] pattern = new byte[1536];
        for (int i = 0; i < pattern.length; i++) {
            pattern[i] = (byte) (0xa5 ^ i);
        }
        mem.writeBytes(DATA + 0x10000, pattern);
        assertEquals(VirtioBlk.S_OK, request(d0, VirtioBlk.T_OUT, 5, DATA + 0x10000, pattern.length));
        assertEquals(VirtioBlk.S_OK, request(d0, VirtioBlk.T_FLUSH, 0, 0, 0));
        file = Files.readAllBytes(disk0);
        assertArrayEquals(pattern, Arrays.copyOfRange(file, 5 * 512, 8 * 512));

        assertEquals(VirtioBlk.S_OK, request(d0, VirtioBlk.T_GET_ID, 0, DATA, 20));
        assertEquals("SN-blk0", new String(guest(DATA, 7)));
        assertEquals(0, mem.read8(DATA + 7), "serial padded with zeros");
        assertEquals(VirtioBlk.S_UNSUPP, request(d0, 99, 0, 0, 0));
        assertEquals(0, d0.reg(STATUS) & STATUS_NEEDS_RESET);
    }

    @Test
    void writeZeroesAndDiscard() throws Exception {
        d0.init(FEATURES | bit(VirtioBlk.F_WRITE_ZEROES) | bit(VirtioBlk.F_DISCARD), 16);
        assertEquals(VirtioBlk.MAX_ZERO_SECTORS, d0.config(48, 4), "max_write_zeroes_sectors");
        long range = DATA + 0x20000;
        mem.write64(range, 4);
        mem.write32(range + 8, 3);
        mem.write32(range + 12, 0);
        assertEquals(VirtioBlk.S_OK, request(d0, VirtioBlk.T_WRITE_ZEROES, 0, range, 16));
        byte[] file = Files.readAllBytes(disk0);
        assertArrayEquals(new byte[3 * 512], Arrays.copyOfRange(file, 4 * 512, 7 * 512));
        assertNotEquals(0, file[7 * 512 + 1], "the sector after the range is untouched");
        assertEquals(VirtioBlk.S_OK, request(d0, VirtioBlk.T_DISCARD, 0, range, 16));
        mem.write64(range, 63);
        mem.write32(range + 8, 2);
        assertEquals(VirtioBlk.S_IOERR, request(d0, VirtioBlk.T_WRITE_ZEROES, 0, range, 16), "past the end");
        assertEquals(VirtioBlk.S_UNSUPP, request(d0, VirtioBlk.T_WRITE_ZEROES, 0, range, 32), "two ranges");
    }

    @Test
    void transferOutsideTheDiskIsAnIoError() {
        d0.init(FEATURES, 16);
        assertEquals(VirtioBlk.S_IOERR, request(d0, VirtioBlk.T_IN, 63, DATA, 1024));
        assertEquals(VirtioBlk.S_IOERR, request(d0, VirtioBlk.T_IN, 0, DATA, 100), "not whole sectors");
        assertEquals(VirtioBlk.S_OK, request(d0, VirtioBlk.T_IN, 63, DATA, 512));
    }

    @Test
    void hostIoErrorBecomesGuestIoError() throws Exception {
        d0.init(FEATURES, 16);
        ((VirtioBlk) t0.device()).image().close(); // every host read and write now fails
        assertEquals(VirtioBlk.S_IOERR, request(d0, VirtioBlk.T_IN, 0, DATA, 512));
        assertEquals(VirtioBlk.S_IOERR, request(d0, VirtioBlk.T_OUT, 0, DATA, 512));
        assertEquals(0, d0.reg(STATUS) & STATUS_NEEDS_RESET, "the device itself is fine");
        assertFalse(m.terminating());
    }

    @Test
    void readOnlyImageAdvertisesRoAndFailsWrites() throws Exception {
        Path ro = tmp.resolve("ro.raw");
        Files.write(ro, new byte[8 * 512]);
        VirtioMmio t = attach(ro, true, "ro", 0x0a00_0400L, new RecordingLine());
        MmioDriver d = new MmioDriver(m, 0x0a00_0400L, 0x30000);
        d.idle = ((VirtioBlk) t.device())::awaitIdle;
        assertNotEquals(0, d.deviceFeatures() & bit(VirtioBlk.F_RO));
        d.init(FEATURES | bit(VirtioBlk.F_RO), 8);
        mem.writeBytes(DATA, new byte[] {1, 2, 3, 4});
        assertEquals(VirtioBlk.S_IOERR, request(d, VirtioBlk.T_OUT, 0, DATA, 512));
        assertArrayEquals(new byte[8 * 512], Files.readAllBytes(ro));
        assertEquals(VirtioBlk.S_OK, request(d, VirtioBlk.T_IN, 0, DATA, 512));
        assertEquals(0, d.reg(STATUS) & STATUS_NEEDS_RESET);
        ((VirtioBlk) t.device()).image().close();
    }

    @Test
    void indirectTableRequest() throws Exception {
        d0.init(FEATURES, 16);
        mem.write32(HDR, VirtioBlk.T_IN);
        mem.write64(HDR + 8, 1);
        MmioDriver.writeDesc(mem, INDIRECT_TABLE, 0, HDR, 16, DESC_F_NEXT, 1);
        MmioDriver.writeDesc(mem, INDIRECT_TABLE, 1, DATA, 256, DESC_F_NEXT | DESC_F_WRITE, 2);
        MmioDriver.writeDesc(mem, INDIRECT_TABLE, 2, DATA + 0x5000, 256, DESC_F_NEXT | DESC_F_WRITE, 3);
        MmioDriver.writeDesc(mem, INDIRECT_TABLE, 3, STATUS_BYTE, 1, DESC_F_WRITE, 0);
        d0.desc(5, INDIRECT_TABLE, 64, DESC_F_INDIRECT, 0);
        d0.submit(5);
        int[] u = d0.nextUsed();
        assertArrayEquals(new int[] {5, 513}, u);
        assertEquals(VirtioBlk.S_OK, mem.read8(STATUS_BYTE));
        byte[] file = Files.readAllBytes(disk0);
        assertArrayEquals(Arrays.copyOfRange(file, 512, 768), guest(DATA, 256));
        assertArrayEquals(Arrays.copyOfRange(file, 768, 1024), guest(DATA + 0x5000, 256));
    }

    @Test
    void eventIdxSuppressesInterruptsUntilUsedEventIsPassed() {
        d0.init(FEATURES, 16);
        // used_event (after the avail ring) = 1: notify only when the used index passes 1.
        mem.write16(d0.avail + 4 + 2 * 16, 1);
        request(d0, VirtioBlk.T_FLUSH, 0, 0, 0);
        assertEquals(1, irq0.risingEdges, "first used buffer crosses nothing yet: notified as the first");
        d0.reg(INTERRUPT_ACK, INT_USED_BUFFER);
        request(d0, VirtioBlk.T_FLUSH, 0, 0, 0);
        assertEquals(2, irq0.risingEdges, "used index 2 passed used_event 1");
        d0.reg(INTERRUPT_ACK, INT_USED_BUFFER);
        request(d0, VirtioBlk.T_FLUSH, 0, 0, 0);
        assertEquals(2, irq0.risingEdges, "used_event still 1: suppressed");
        assertEquals(3, mem.read16(d0.used + 4 + 8 * 16), "avail_event tells the driver where to kick");
        assertTrue(Virtqueue.needEvent(5, 6, 5));
        assertFalse(Virtqueue.needEvent(7, 6, 5));
        assertTrue(Virtqueue.needEvent(0xffff, 1, 0xfffe), "wraps at 16 bits");
    }

    @Test
    void noInterruptFlagWithoutEventIdx() {
        d0.init(FEATURES & ~bit(F_RING_EVENT_IDX), 16);
        mem.write16(d0.avail, AVAIL_F_NO_INTERRUPT);
        request(d0, VirtioBlk.T_FLUSH, 0, 0, 0);
        assertEquals(0, irq0.risingEdges);
        mem.write16(d0.avail, 0);
        request(d0, VirtioBlk.T_FLUSH, 0, 0, 0);
        assertEquals(1, irq0.risingEdges);
    }

    /**
     * The driver keeps the queue full from its own thread while the device's I/O thread serves
     * it, as a guest on another vCPU would: every read must come back once, with the right data.
     */
    @Test
    void concurrentDriverKeepsTheQueueFull() throws Exception {
        d0.idle = null; // no waiting: driver and device run at the same time
        d0.init(FEATURES, 16);
        byte[] file = Files.readAllBytes(disk0);
        int slots = 5; // each request uses 3 descriptors: 5 in flight fill 15 of 16
        int total = 3000;
        int[] sectorOf = new int[slots];
        boolean[] busy = new boolean[slots];
        int submitted = 0;
        int completed = 0;
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (completed < total) {
            assertTrue(System.nanoTime() < deadline, "requests lost: " + completed + " of " + submitted + " done");
            for (int s = 0; s < slots && submitted < total; s++) {
                if (busy[s]) {
                    continue;
                }
                long hdr = 0x200000 + s * 0x1000L;
                int sector = (submitted * 7) % 64;
                mem.write32(hdr, VirtioBlk.T_IN);
                mem.write64(hdr + 8, sector);
                mem.write8(hdr + 0x100, 0xee);
                d0.desc(3 * s, hdr, 16, DESC_F_NEXT, 3 * s + 1);
                d0.desc(3 * s + 1, hdr + 0x200, 512, DESC_F_NEXT | DESC_F_WRITE, 3 * s + 2);
                d0.desc(3 * s + 2, hdr + 0x100, 1, DESC_F_WRITE, 0);
                sectorOf[s] = sector;
                busy[s] = true;
                submitted++;
                d0.submit(3 * s);
            }
            int[] u;
            while ((u = d0.nextUsed()) != null) {
                int s = u[0] / 3;
                long hdr = 0x200000 + s * 0x1000L;
                assertTrue(busy[s], "slot " + s + " returned twice");
                assertEquals(513, u[1]);
                assertEquals(VirtioBlk.S_OK, mem.read8(hdr + 0x100));
                assertArrayEquals(Arrays.copyOfRange(file, sectorOf[s] * 512, sectorOf[s] * 512 + 512), guest(hdr + 0x200, 512),
                        "sector " + sectorOf[s]);
                busy[s] = false;
                completed++;
            }
            Thread.onSpinWait();
        }
        assertEquals(0, d0.reg(STATUS) & STATUS_NEEDS_RESET);
    }

    // ---- malformed rings -----------------------------------------------------------------------

    /** Submits a chain the test built from head 0 and checks the device gave up cleanly. */
    void assertNeedsReset(Runnable buildChain) throws Exception {
        TestMachines.startPaused(m);
        d0.init(FEATURES, 16);
        d1.init(FEATURES, 16);
        buildChain.run();
        d0.submit(0);
        assertNull(d0.nextUsed(), "a malformed chain is never returned");
        int st = d0.reg(STATUS);
        assertEquals(STATUS_NEEDS_RESET, st & STATUS_NEEDS_RESET, "status 0x" + Integer.toHexString(st));
        assertEquals(INT_CONFIG, d0.reg(INTERRUPT_STATUS) & INT_CONFIG, "config change interrupt");
        assertTrue(irq0.level);
        // Further kicks do nothing; the device waits for a reset.
        request0Ignored();
        // The machine and the other device carry on.
        TestMachines.drain(m);
        assertFalse(m.terminating());
        assertEquals(VirtioBlk.S_OK, request(d1, VirtioBlk.T_IN, 3, DATA + 0x40000, 512));
        assertEquals(0, d1.reg(STATUS) & STATUS_NEEDS_RESET);
        // A reset brings the broken device back.
        d0.reg(STATUS, 0);
        assertEquals(0, d0.reg(STATUS));
        assertFalse(irq0.level, "reset lowers the interrupt");
        d0.init(FEATURES, 16);
        assertEquals(VirtioBlk.S_OK, request(d0, VirtioBlk.T_IN, 0, DATA, 512));
    }

    void request0Ignored() {
        int before = d0.usedIdx();
        d0.reg(QUEUE_NOTIFY, 0);
        assertEquals(before, d0.usedIdx());
    }

    void header(int type) {
        mem.write32(HDR, type);
        mem.write64(HDR + 8, 0);
    }

    @Test
    void descriptorLoop() throws Exception {
        assertNeedsReset(() -> {
            header(VirtioBlk.T_IN);
            d0.desc(0, HDR, 16, DESC_F_NEXT, 1);
            d0.desc(1, DATA, 512, DESC_F_NEXT | DESC_F_WRITE, 2);
            d0.desc(2, DATA + 512, 512, DESC_F_NEXT | DESC_F_WRITE, 1); // back to 1, forever
        });
    }

    @Test
    void bufferOutsideRam() throws Exception {
        assertNeedsReset(() -> {
            header(VirtioBlk.T_IN);
            d0.desc(0, HDR, 16, DESC_F_NEXT, 1);
            d0.desc(1, 0x4000_0000L, 512, DESC_F_NEXT | DESC_F_WRITE, 2);
            d0.desc(2, STATUS_BYTE, 1, DESC_F_WRITE, 0);
        });
    }

    @Test
    void bufferOverMmioRegisters() throws Exception {
        assertNeedsReset(() -> {
            header(VirtioBlk.T_IN);
            d0.desc(0, HDR, 16, DESC_F_NEXT, 1);
            d0.desc(1, MMIO1, 512, DESC_F_NEXT | DESC_F_WRITE, 2); // DMA into another device's registers
            d0.desc(2, STATUS_BYTE, 1, DESC_F_WRITE, 0);
        });
    }

    @Test
    void lengthRunningPastTheEndOfRam() throws Exception {
        assertNeedsReset(() -> {
            header(VirtioBlk.T_IN);
            d0.desc(0, HDR, 16, DESC_F_NEXT, 1);
            d0.desc(1, RAM_SIZE - 512, 0x7fff_fe00, DESC_F_NEXT | DESC_F_WRITE, 2);
            d0.desc(2, STATUS_BYTE, 1, DESC_F_WRITE, 0);
        });
    }

    @Test
    void addressWrapsAround() throws Exception {
        assertNeedsReset(() -> {
            header(VirtioBlk.T_IN);
            d0.desc(0, HDR, 16, DESC_F_NEXT, 1);
            d0.desc(1, -256L, 512, DESC_F_NEXT | DESC_F_WRITE, 2);
            d0.desc(2, STATUS_BYTE, 1, DESC_F_WRITE, 0);
        });
    }

    @Test
    void indirectInsideIndirect() throws Exception {
        assertNeedsReset(() -> {
            header(VirtioBlk.T_IN);
            MmioDriver.writeDesc(mem, INDIRECT_TABLE, 0, HDR, 16, DESC_F_NEXT, 1);
            MmioDriver.writeDesc(mem, INDIRECT_TABLE, 1, INDIRECT_TABLE + 0x100, 32, DESC_F_INDIRECT, 0);
            MmioDriver.writeDesc(mem, INDIRECT_TABLE + 0x100, 0, DATA, 512, DESC_F_NEXT | DESC_F_WRITE, 1);
            MmioDriver.writeDesc(mem, INDIRECT_TABLE + 0x100, 1, STATUS_BYTE, 1, DESC_F_WRITE, 0);
            d0.desc(0, INDIRECT_TABLE, 32, DESC_F_INDIRECT, 0);
        });
    }

    @Test
    void loopInsideIndirectTable() throws Exception {
        assertNeedsReset(() -> {
            header(VirtioBlk.T_IN);
            MmioDriver.writeDesc(mem, INDIRECT_TABLE, 0, HDR, 16, DESC_F_NEXT, 1);
            MmioDriver.writeDesc(mem, INDIRECT_TABLE, 1, DATA, 512, DESC_F_NEXT | DESC_F_WRITE, 0);
            d0.desc(0, INDIRECT_TABLE, 32, DESC_F_INDIRECT, 0);
        });
    }

    @Test
    void indirectTableOfOddLength() throws Exception {
        assertNeedsReset(() -> d0.desc(0, INDIRECT_TABLE, 40, DESC_F_INDIRECT, 0));
    }

    @Test
    void nextIndexOutsideTheQueue() throws Exception {
        assertNeedsReset(() -> {
            header(VirtioBlk.T_IN);
            d0.desc(0, HDR, 16, DESC_F_NEXT, 200);
        });
    }

    @Test
    void readableAfterWritable() throws Exception {
        assertNeedsReset(() -> {
            header(VirtioBlk.T_IN);
            d0.desc(0, HDR, 16, DESC_F_NEXT, 1);
            d0.desc(1, STATUS_BYTE, 1, DESC_F_NEXT | DESC_F_WRITE, 2);
            d0.desc(2, DATA, 512, 0, 0);
        });
    }

    @Test
    void requestWithoutStatusByte() throws Exception {
        assertNeedsReset(() -> {
            header(VirtioBlk.T_OUT);
            d0.desc(0, HDR, 16, 0, 0);
        });
    }

    @Test
    void headIndexOutsideTheQueue() throws Exception {
        TestMachines.startPaused(m);
        d0.init(FEATURES, 16);
        mem.write16(d0.avail + 4, 16);
        mem.write16(d0.avail + 2, 1);
        d0.reg(QUEUE_NOTIFY, 0);
        assertEquals(STATUS_NEEDS_RESET, d0.reg(STATUS) & STATUS_NEEDS_RESET);
    }

    @Test
    void availableIndexJumpingPastTheQueueSize() throws Exception {
        d0.init(FEATURES, 16);
        mem.write16(d0.avail + 2, 17);
        d0.reg(QUEUE_NOTIFY, 0);
        assertEquals(STATUS_NEEDS_RESET, d0.reg(STATUS) & STATUS_NEEDS_RESET);
    }

    @Test
    void ringsOutsideRamAreRefusedAtQueueReady() {
        d0.negotiate(FEATURES);
        d0.reg(QUEUE_SEL, 0);
        d0.reg(QUEUE_NUM, 16);
        d0.reg(QUEUE_DESC_LOW, (int) MMIO1);
        d0.reg(QUEUE_DRIVER_LOW, 0x11000);
        d0.reg(QUEUE_DEVICE_LOW, 0x12000);
        d0.reg(QUEUE_READY, 1);
        assertEquals(0, d0.reg(QUEUE_READY));
        assertEquals(STATUS_NEEDS_RESET, d0.reg(STATUS) & STATUS_NEEDS_RESET);
    }

    @Test
    void queueCanBeTurnedOffAndOnAgainLikeLinuxTearsItDown() {
        d0.init(FEATURES, 16);
        d0.reg(QUEUE_SEL, 0);
        d0.reg(QUEUE_READY, 0);
        assertEquals(0, d0.reg(QUEUE_READY));
        d0.reg(QUEUE_NOTIFY, 0); // ignored while off
        d0.reg(QUEUE_READY, 1);
        assertEquals(1, d0.reg(QUEUE_READY));
        assertEquals(VirtioBlk.S_OK, request(d0, VirtioBlk.T_FLUSH, 0, 0, 0));
        d0.reg(SHM_SEL, 0);
        assertEquals(-1, d0.reg(SHM_LEN_LOW), "no shared memory region");
    }

    @Test
    void queueSizeMustBeAPowerOfTwo() {
        d0.negotiate(FEATURES);
        d0.reg(QUEUE_SEL, 0);
        d0.reg(QUEUE_NUM, 24);
        assertEquals(STATUS_NEEDS_RESET, d0.reg(STATUS) & STATUS_NEEDS_RESET);
    }
}
