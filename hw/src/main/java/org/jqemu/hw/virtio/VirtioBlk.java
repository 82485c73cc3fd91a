package org.jqemu.hw.virtio;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.jqemu.system.block.BlockImage;
import org.jqemu.system.machine.Machine;

/**
 * virtio-blk (virtio 1.2, 5.2 "Block Device"): one request queue; each request is a 16-byte
 * header (type, reserved, sector) the device reads, data in the direction of the request, and a
 * status byte the device writes last (5.2.6). Supported types: IN, OUT, FLUSH, GET_ID, DISCARD
 * (a no-op hint) and WRITE_ZEROES; others complete with UNSUPP. A read-only image advertises VIRTIO_BLK_F_RO and fails writes with
 * IOERR; a host I/O error also becomes IOERR for the guest, never an emulator failure.
 *
 * <p>Requests are served on the device's own I/O thread, not on the vCPU that notified.
 */
public final class VirtioBlk extends VirtioDevice {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(VirtioBlk.class);
    // Feature bits (5.2.3).
    public static final int F_SEG_MAX = 2;
    public static final int F_RO = 5;
    public static final int F_BLK_SIZE = 6;
    public static final int F_FLUSH = 9;
    public static final int F_DISCARD = 13;
    public static final int F_WRITE_ZEROES = 14;

    // Request types and status values (5.2.6).
    public static final int T_IN = 0;
    public static final int T_OUT = 1;
    public static final int T_FLUSH = 4;
    public static final int T_GET_ID = 8;
    public static final int T_DISCARD = 11;
    public static final int T_WRITE_ZEROES = 13;
    /** Largest discard / write-zeroes range, in sectors (16 MiB), one range per request. */
    public static final int MAX_ZERO_SECTORS = 32768;
    public static final int S_OK = 0;
    public static final int S_IOERR = 1;
    public static final int S_UNSUPP = 2;

    public static final int SECTOR = 512;
    public static final int QUEUE_SIZE = 256;
    /** Length of the GET_ID answer (VIRTIO_BLK_ID_BYTES). */
    public static final int ID_BYTES = 20;
    private static final int HEADER = 16;
    private static final int CONFIG_SIZE = 60;

    private final BlockImage image;
    private final byte[] serial;
    private final byte[] config = new byte[CONFIG_SIZE];
    private final byte[] header = new byte[HEADER];
    private final ExecutorService io;
    private final Object ioState = new Object();
    private boolean inIo; // guarded by ioState
    private boolean workerScheduled; // guarded by the machine lock
    private int generation; // guarded by the machine lock
    private volatile boolean closed;
    private int reqType;
    private long reqSector;

    public VirtioBlk(Machine machine, String id, BlockImage image, String serial) {
        super(machine, id, ID_BLOCK, features(image), QUEUE_SIZE);
        this.image = image;
        this.serial = serial == null ? new byte[0] : serial.getBytes(StandardCharsets.US_ASCII);
        // Config layout (5.2.4): capacity in 512-byte sectors, size_max, seg_max, geometry, blk_size.
        putLe(config, 0, 8, image.size() / SECTOR);
        putLe(config, 12, 4, QUEUE_SIZE - 2);
        putLe(config, 20, 4, SECTOR);
        putLe(config, 34, 2, 1); // num_queues, meaningful only with VIRTIO_BLK_F_MQ
        putLe(config, 36, 4, MAX_ZERO_SECTORS); // max_discard_sectors
        putLe(config, 40, 4, 1); // max_discard_seg
        putLe(config, 44, 4, 1); // discard_sector_alignment
        putLe(config, 48, 4, MAX_ZERO_SECTORS); // max_write_zeroes_sectors
        putLe(config, 52, 4, 1); // max_write_zeroes_seg
        io = Executors.newSingleThreadExecutor(Thread.ofPlatform().daemon(true).name("virtio-blk " + id).factory());
        machine.addResourceToClose(this::closeIo);
    }

    private static long features(BlockImage image) {
        long f = bit(F_SEG_MAX) | bit(F_BLK_SIZE) | bit(F_FLUSH) | bit(F_DISCARD) | bit(F_WRITE_ZEROES);
        return image.readOnly() ? f | bit(F_RO) : f;
    }

    public BlockImage image() {
        return image;
    }

    @Override
    public int configSize() {
        return CONFIG_SIZE;
    }

    @Override
    public long readConfig(int offset, int size) {
        return readLe(config, offset, size);
    }

    // ---- request processing ----------------------------------------------------------------
    //
    // A kick only wakes this device's I/O thread, so the vCPU goes straight back to the guest.
    // The thread takes the machine lock to pop a request and to complete it, and does the file
    // I/O in between without it. One request is in flight at a time, so the queue's single
    // reused element suffices. A device reset waits for that request's I/O to finish (guest
    // RAM must not change behind a reset, as QEMU drains block I/O) and then drops its completion.

    @Override
    protected void queueNotified(Virtqueue q) {
        if (!workerScheduled && !closed) {
            workerScheduled = true;
            io.execute(() -> serve(q));
        }
    }

    @Override
    protected void resetDevice() {
        synchronized (ioState) {
            while (inIo) {
                try {
                    ioState.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        generation++;
    }

    private void serve(Virtqueue q) {
        while (true) {
            VirtqElement e;
            int gen;
            machine.lock();
            try {
                e = q.pop();
                while (e != null && !prepare(e)) {
                    e = q.pop(); // prepare() put the device into NEEDS_RESET: pop returns null
                }
                if (e == null) {
                    workerScheduled = false;
                    return;
                }
                gen = generation;
                setInIo(true);
            } finally {
                machine.unlock();
            }
            int written;
            try {
                written = execute(e);
            } finally {
                setInIo(false);
            }
            machine.lock();
            try {
                if (gen == generation) {
                    q.push(e, written);
                    q.flush();
                }
            } finally {
                machine.unlock();
            }
        }
    }

    private void setInIo(boolean v) {
        synchronized (ioState) {
            inIo = v;
            ioState.notifyAll();
        }
    }

    /** Waits until every request made available so far has completed (tests, shutdown). */
    public void awaitIdle() throws InterruptedException {
        while (true) {
            machine.lock();
            try {
                if (!workerScheduled) {
                    return;
                }
            } finally {
                machine.unlock();
            }
            Thread.sleep(1);
        }
    }

    private void closeIo() throws InterruptedException {
        closed = true;
        io.shutdown();
        io.awaitTermination(10, TimeUnit.SECONDS);
    }

    /** Reads and checks the request header, with the lock held; false if the chain is unusable. */
    private boolean prepare(VirtqElement e) {
        if (e.outBytes() < HEADER || e.inBytes() < 1) {
            needsReset("request of %d readable / %d writable bytes has no room for header and status",
                    e.outBytes(), e.inBytes());
            return false;
        }
        e.readOut(0, header, 0, HEADER);
        reqType = (int) readLe(header, 0, 4);
        reqSector = readLe(header, 8, 8);
        return true;
    }

    /** Serves the prepared request without the lock; returns the bytes written to the driver. */
    private int execute(VirtqElement e) {
        long sector = reqSector;
        long statusAt = e.inBytes() - 1;
        int status;
        int written = 1;
        switch (reqType) {
            case T_IN -> {
                long n = e.inBytes() - 1;
                status = checkRange(sector, n);
                if (status == S_OK) {
                    try {
                        image.read(sector * SECTOR, e.buffers(true, 0, n));
                        e.writtenIn(0, n);
                        written = (int) n + 1;
                    } catch (IOException | RuntimeException ex) {
                        status = hostError("read", sector, ex);
                    }
                }
            }
            case T_OUT -> {
                long n = e.outBytes() - HEADER;
                status = image.readOnly() ? S_IOERR : checkRange(sector, n);
                if (status == S_OK) {
                    try {
                        image.write(sector * SECTOR, e.buffers(false, HEADER, n));
                    } catch (IOException | RuntimeException ex) {
                        status = hostError("write", sector, ex);
                    }
                }
            }
            case T_FLUSH -> {
                status = S_OK;
                try {
                    image.flush();
                } catch (IOException | RuntimeException ex) {
                    status = hostError("flush", sector, ex);
                }
            }
            case T_GET_ID -> {
                int n = (int) Math.min(ID_BYTES, e.inBytes() - 1);
                byte[] id = new byte[n];
                System.arraycopy(serial, 0, id, 0, Math.min(n, serial.length));
                e.writeIn(0, id, 0, n);
                written = n + 1;
                status = S_OK;
            }
            case T_DISCARD, T_WRITE_ZEROES -> status = zeroRange(e, reqType == T_WRITE_ZEROES);
            default -> status = S_UNSUPP;
        }
        e.writeInByte(statusAt, status);
        return written;
    }

    /**
     * DISCARD and WRITE_ZEROES carry one 16-byte range {sector, num_sectors, flags} (5.2.6).
     * Discard is a hint and is accepted without touching the image; write-zeroes writes zeros.
     */
    private int zeroRange(VirtqElement e, boolean zero) {
        if (e.outBytes() - HEADER != 16) {
            guestError("%s with %d bytes of ranges; one 16-byte range is supported", zero ? "write-zeroes" : "discard",
                    e.outBytes() - HEADER);
            return S_UNSUPP;
        }
        byte[] range = new byte[16];
        e.readOut(HEADER, range, 0, 16);
        long sector = readLe(range, 0, 8);
        long count = readLe(range, 8, 4);
        int flags = (int) readLe(range, 12, 4);
        if (count > MAX_ZERO_SECTORS || (flags & ~1) != 0 || (!zero && flags != 0)) {
            guestError("range of %d sectors with flags 0x%x", count, flags);
            return S_UNSUPP;
        }
        if (image.readOnly()) {
            return S_IOERR;
        }
        int status = checkRange(sector, count * SECTOR);
        if (status != S_OK || !zero || count == 0) {
            return status;
        }
        try {
            image.writeZeroes(sector * SECTOR, count * SECTOR); // qcow2 v3 records zero clusters
        } catch (IOException | RuntimeException ex) {
            return hostError("write-zeroes", sector, ex);
        }
        return S_OK;
    }

    /** A transfer must be whole sectors inside the disk; otherwise the request fails with IOERR. */
    private int checkRange(long sector, long bytes) {
        long sectors = image.size() / SECTOR;
        if (bytes % SECTOR != 0 || sector < 0 || sector > sectors || bytes / SECTOR > sectors - sector) {
            guestError("request at sector %d of %d bytes outside a disk of %d sectors", sector, bytes, sectors);
            return S_IOERR;
        }
        return S_OK;
    }

    /** A host I/O failure: the user hears about it, the guest gets an I/O error, the VM goes on. */
    private int hostError(String what, long sector, Exception ex) {
        LOG.warn("{}: host {} error at sector {}: {}", id(), what, sector, String.valueOf(ex));
        return S_IOERR;
    }
}
