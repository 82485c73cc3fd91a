package org.jqemu.target.i386;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.function.LongConsumer;
import java.util.function.LongPredicate;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.memory.AddressSpace;
import org.jqemu.system.memory.FlatRange;
import org.jqemu.system.memory.RamRegion;

/**
 * The x86 MMU: linear → physical translation in every paging mode of Intel SDM vol. 3, chapter 4
 * — 32-bit paging with 4 KiB and (CR4.PSE) 4 MiB pages (4.3), PAE paging with its four PDPTEs
 * loaded at CR3 write time and 2 MiB pages (4.4), and 4-level paging of long mode (4.5; no 1 GiB
 * pages, PDPE1GB is not advertised). Protection: U/S and R/W (CR0.WP for supervisor writes),
 * execute-disable (EFER.NXE, bit 63), reserved-bit checks (MAXPHYADDR 40), accessed/dirty bits
 * written back to the guest's tables, #PF with CR2 and the P, W/R, U/S, RSVD and I/D error-code
 * bits, global pages (CR4.PGE) that survive CR3 loads, and the A20 gate.
 *
 * <p>A softmmu TLB sits in front: direct-mapped, 1024 entries per access kind (read, write, code)
 * and per privilege (supervisor, user). An entry's tag is the linear page number; a hit means the
 * access is allowed, and either the entry points into a RAM {@link MemorySegment} (the fast path:
 * one array compare and one unaligned load or store) or its segment is null, which sends the
 * access to the slow path: device registers, writes to ROM, and writes to pages that hold
 * translated code (those must tell the code cache). A write entry is only created once the dirty
 * bit is set, so a later write never needs the page walk again.
 *
 * <p>The TLB is flushed as a real one is: CR3 loads (global entries stay), CR0.PG/WP and CR4
 * paging-bit changes, INVLPG, plus changes of the machine's memory map and of the A20 gate
 * (which a real CPU does not cache). Callers pass linear addresses already truncated to the
 * address width of the current mode (32 bits outside long mode).
 */
public final class X86Mmu {
    private static final ValueLayout.OfShort LE16 = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfInt LE32 = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfLong LE64 = ValueLayout.JAVA_LONG_UNALIGNED;

    static final int READ = 0, WRITE = 1, FETCH = 2;
    private static final int BITS = 10;
    private static final int SIZE = 1 << BITS;
    private static final int MASK = SIZE - 1;
    /** Page error-code bits (SDM 4.7). */
    public static final int PF_P = 1, PF_W = 2, PF_U = 4, PF_RSVD = 8, PF_ID = 16;
    /** Physical address width reported in CPUID 0x80000008 (as QEMU's default phys-bits). */
    public static final int PHYS_BITS = 40;
    /** Address bits of a PAE / 4-level paging entry (bits 12..MAXPHYADDR-1). */
    private static final long ADDR = ((1L << PHYS_BITS) - 1) & ~0xfffL;
    /** Bits MAXPHYADDR..51, reserved in every PAE / 4-level entry. */
    private static final long HIGH_RSVD = ((1L << 52) - 1) & ~((1L << PHYS_BITS) - 1);
    private static final long NX = 1L << 63;
    private static final int E_P = 1, E_RW = 2, E_US = 4, E_A = 0x20, E_D = 0x40, E_PS = 0x80, E_G = 0x100;

    private final X86Cpu cpu;
    private final Machine machine;
    private final AddressSpace memory;
    private final InterruptUnit intr;

    // Index = (user ? SIZE : 0) | (linear page & MASK).
    private final long[] readTag = new long[2 * SIZE];
    private final MemorySegment[] readSeg = new MemorySegment[2 * SIZE];
    private final long[] readOff = new long[2 * SIZE];
    private final long[] readPhys = new long[2 * SIZE];
    private final long[] writeTag = new long[2 * SIZE];
    private final MemorySegment[] writeSeg = new MemorySegment[2 * SIZE];
    private final long[] writeOff = new long[2 * SIZE];
    private final long[] writePhys = new long[2 * SIZE];
    private final long[] codeTag = new long[2 * SIZE];
    private final long[] codePhys = new long[2 * SIZE];
    /** Entries made from global pages (G bit with CR4.PGE): kept by {@link #flushNonGlobal}. */
    private final boolean[] readGlobal = new boolean[2 * SIZE];
    private final boolean[] writeGlobal = new boolean[2 * SIZE];
    private final boolean[] codeGlobal = new boolean[2 * SIZE];
    /** The four PDPTEs of legacy PAE paging, loaded when CR3 is written (SDM 4.4.1). */
    private final long[] pdpte = new long[4];
    /**
     * Entries that are 4 KiB pieces of a 2/4 MiB page: INVLPG anywhere in that page must drop
     * them all (SDM 4.10.4.1), so it also drops every large piece in the same 4 MiB region.
     */
    private final boolean[] readLarge = new boolean[2 * SIZE];
    private final boolean[] writeLarge = new boolean[2 * SIZE];
    private final boolean[] codeLarge = new boolean[2 * SIZE];
    private boolean largePageCached;
    /**
     * The 4 MiB regions that have large-page entries (a superset, recomputed when non-global
     * entries are flushed), so INVLPG of a 4 KiB page elsewhere skips the scan for large pieces.
     * Past its capacity every INVLPG scans.
     */
    private final long[] largeRegions = new long[64];
    private int largeRegionCount;
    /** Set by the page walk: the translation just made is global / part of a large page. */
    private boolean walkGlobal;
    private boolean walkLarge;
    private volatile int mapGeneration;
    /** Bumped on every flush, so cached block chains that crossed pages can be revalidated. */
    public int tlbGeneration;

    private LongPredicate isCodePage = p -> false;
    private LongConsumer invalidateCode = p -> {};

    public X86Mmu(X86Cpu cpu, InterruptUnit intr) {
        this.cpu = cpu;
        this.machine = cpu.machine;
        this.memory = machine.memory();
        this.intr = intr;
        flushAll();
        memory.addMapListener(this::mapChanged);
    }

    /**
     * The memory map changed, possibly on another thread (a hot-plugged device, QMP): flush, and
     * let a fill racing with us notice through {@link #mapGeneration} and drop what it made.
     */
    private void mapChanged() {
        mapGeneration++;
        flushAll();
    }

    /**
     * Connects the translated-code cache: {@code isCodePage} tells whether a guest-physical page
     * holds translated code, {@code invalidateCode} is told the physical address of every guest
     * write to such a page. Pages that become code pages later must be announced with
     * {@link #protectCodePage(long)}.
     */
    public void setCodeTracking(LongPredicate isCodePage, LongConsumer invalidateCode) {
        this.isCodePage = isCodePage;
        this.invalidateCode = invalidateCode;
    }

    public void reset() {
        Arrays.fill(pdpte, 0);
        flushAll();
    }

    // ---- flushing -------------------------------------------------------------------------

    public void flushAll() {
        Arrays.fill(readTag, -1);
        Arrays.fill(writeTag, -1);
        Arrays.fill(codeTag, -1);
        Arrays.fill(readSeg, null);
        Arrays.fill(writeSeg, null);
        Arrays.fill(readGlobal, false);
        Arrays.fill(writeGlobal, false);
        Arrays.fill(codeGlobal, false);
        Arrays.fill(readLarge, false);
        Arrays.fill(writeLarge, false);
        Arrays.fill(codeLarge, false);
        largePageCached = false;
        largeRegionCount = 0;
        tlbGeneration++;
    }

    /** A CR3 load: forgets every translation except those of global pages (CR4.PGE). */
    public void flushNonGlobal() {
        // The large-page regions are recomputed from the global entries that stay.
        largePageCached = false;
        largeRegionCount = 0;
        long lastRegion = -1;
        for (int i = 0; i < 2 * SIZE; i++) {
            if (!readGlobal[i]) {
                readTag[i] = -1;
                readSeg[i] = null;
            } else if (readLarge[i] && readTag[i] >>> 10 != lastRegion) {
                lastRegion = readTag[i] >>> 10;
                noteLargeRegion(lastRegion);
            }
            if (!writeGlobal[i]) {
                writeTag[i] = -1;
                writeSeg[i] = null;
            } else if (writeLarge[i] && writeTag[i] >>> 10 != lastRegion) {
                lastRegion = writeTag[i] >>> 10;
                noteLargeRegion(lastRegion);
            }
            if (!codeGlobal[i]) {
                codeTag[i] = -1;
            } else if (codeLarge[i] && codeTag[i] >>> 10 != lastRegion) {
                lastRegion = codeTag[i] >>> 10;
                noteLargeRegion(lastRegion);
            }
        }
        tlbGeneration++;
    }

    /** INVLPG: forgets the translation of the page holding {@code linear}, global or not. */
    public void flushPage(long linear) {
        long page = linear >>> 12;
        tlbGeneration++;
        if (largePageCached && mayHoldLarge(page >>> 10)) {
            long region = page >>> 10;
            for (int i = 0; i < 2 * SIZE; i++) {
                if (readLarge[i] && readTag[i] >>> 10 == region) {
                    readTag[i] = -1;
                    readLarge[i] = false;
                }
                if (writeLarge[i] && writeTag[i] >>> 10 == region) {
                    writeTag[i] = -1;
                    writeLarge[i] = false;
                }
                if (codeLarge[i] && codeTag[i] >>> 10 == region) {
                    codeTag[i] = -1;
                    codeLarge[i] = false;
                }
            }
        }
        for (int mode = 0; mode < 2; mode++) {
            int i = (mode << BITS) | ((int) page & MASK);
            if (readTag[i] == page) {
                readTag[i] = -1;
                readGlobal[i] = false;
            }
            if (writeTag[i] == page) {
                writeTag[i] = -1;
                writeGlobal[i] = false;
            }
            if (codeTag[i] == page) {
                codeTag[i] = -1;
                codeGlobal[i] = false;
            }
        }
    }

    private void noteLargeRegion(long region) {
        largePageCached = true;
        int n = largeRegionCount;
        if (n > largeRegions.length) {
            return;
        }
        for (int k = 0; k < n && k < largeRegions.length; k++) {
            if (largeRegions[k] == region) {
                return;
            }
        }
        if (n < largeRegions.length) {
            largeRegions[n] = region;
        }
        largeRegionCount = n + 1; // above the capacity: unknown, every region may hold some
    }

    private boolean mayHoldLarge(long region) {
        int n = largeRegionCount;
        if (n > largeRegions.length) {
            return true;
        }
        for (int k = 0; k < n; k++) {
            if (largeRegions[k] == region) {
                return true;
            }
        }
        return false;
    }

    /** A physical page now holds translated code: writes to it must leave the fast path. */
    public void protectCodePage(long physAddr) {
        long page = physAddr & ~0xfffL;
        for (int i = 0; i < writeTag.length; i++) {
            if (writeTag[i] != -1 && writePhys[i] == page) {
                writeSeg[i] = null;
            }
        }
    }

    /**
     * Loads the four PDPTEs of legacy PAE paging from the table CR3 points to (SDM 4.4.1: on a
     * CR3 load, and when CR0.PG, CR4.PAE or CR4.PGE change). Returns false, loading nothing, when
     * a present entry has a reserved bit set: the caller raises #GP(0).
     */
    public boolean loadPdptes(long cr3) {
        long base = cr3 & 0xffffffe0L;
        long[] e = new long[4];
        for (int n = 0; n < 4; n++) {
            e[n] = readPhys((base + 8L * n) & cpu.a20Mask, 8);
            if ((e[n] & E_P) != 0 && (e[n] & (HIGH_RSVD | NX | 0x1e6)) != 0) {
                return false;
            }
        }
        System.arraycopy(e, 0, pdpte, 0, 4);
        return true;
    }

    // ---- data accesses at the current privilege (CPL 3 = user) -----------------------------

    private int mode() {
        return cpu.cpl == 3 ? 1 : 0;
    }

    public int read8(long linear) {
        return read8(linear, mode());
    }

    public int read16(long linear) {
        return read16(linear, mode());
    }

    public int read32(long linear) {
        return read32(linear, mode());
    }

    public long read64(long linear) {
        return read64(linear, mode());
    }

    public void write8(long linear, int v) {
        write8(linear, v, mode());
    }

    public void write16(long linear, int v) {
        write16(linear, v, mode());
    }

    public void write32(long linear, int v) {
        write32(linear, v, mode());
    }

    public void write64(long linear, long v) {
        write64(linear, v, mode());
    }

    // ---- implicit supervisor accesses (descriptor tables, TSS) ----------------------------

    public int readSys8(long linear) {
        return read8(linear, 0);
    }

    public int readSys16(long linear) {
        return read16(linear, 0);
    }

    public int readSys32(long linear) {
        return read32(linear, 0);
    }

    public long readSys64(long linear) {
        return read64(linear, 0);
    }

    public void writeSys8(long linear, int v) {
        write8(linear, v, 0);
    }

    public void writeSys16(long linear, int v) {
        write16(linear, v, 0);
    }

    public void writeSys32(long linear, int v) {
        write32(linear, v, 0);
    }

    /** An access of {@code size} (1, 2 or 4) bytes as user or supervisor, for system code. */
    public int read(long linear, int size, boolean user) {
        int m = user ? 1 : 0;
        return switch (size) {
            case 1 -> read8(linear, m);
            case 2 -> read16(linear, m);
            default -> read32(linear, m);
        };
    }

    public void write(long linear, int size, int v, boolean user) {
        int m = user ? 1 : 0;
        switch (size) {
            case 1 -> write8(linear, v, m);
            case 2 -> write16(linear, v, m);
            default -> write32(linear, v, m);
        }
    }

    /** An 8-byte access as user or supervisor, for system code (64-bit stack frames). */
    public long read64(long linear, boolean user) {
        return read64(linear, user ? 1 : 0);
    }

    public void write64(long linear, long v, boolean user) {
        write64(linear, v, user ? 1 : 0);
    }

    // ---- the fast paths -------------------------------------------------------------------

    private int read8(long a, int mode) {
        long pg = a >>> 12;
        int i = (mode << BITS) | ((int) pg & MASK);
        if (readTag[i] == pg) {
            MemorySegment s = readSeg[i];
            if (s != null) {
                return s.get(ValueLayout.JAVA_BYTE, readOff[i] + (a & 0xfff)) & 0xff;
            }
        }
        return (int) readSlow(a, 1, mode);
    }

    private int read16(long a, int mode) {
        long pg = a >>> 12;
        int i = (mode << BITS) | ((int) pg & MASK);
        if (readTag[i] == pg && (a & 0xfff) <= 0xffe) {
            MemorySegment s = readSeg[i];
            if (s != null) {
                return s.get(LE16, readOff[i] + (a & 0xfff)) & 0xffff;
            }
        }
        return (int) readSlow(a, 2, mode);
    }

    private int read32(long a, int mode) {
        long pg = a >>> 12;
        int i = (mode << BITS) | ((int) pg & MASK);
        if (readTag[i] == pg && (a & 0xfff) <= 0xffc) {
            MemorySegment s = readSeg[i];
            if (s != null) {
                return s.get(LE32, readOff[i] + (a & 0xfff));
            }
        }
        return (int) readSlow(a, 4, mode);
    }

    private long read64(long a, int mode) {
        long pg = a >>> 12;
        int i = (mode << BITS) | ((int) pg & MASK);
        if (readTag[i] == pg && (a & 0xfff) <= 0xff8) {
            MemorySegment s = readSeg[i];
            if (s != null) {
                return s.get(LE64, readOff[i] + (a & 0xfff));
            }
        }
        return readSlow(a, 8, mode);
    }

    private void write8(long a, int v, int mode) {
        long pg = a >>> 12;
        int i = (mode << BITS) | ((int) pg & MASK);
        if (writeTag[i] == pg) {
            MemorySegment s = writeSeg[i];
            if (s != null) {
                s.set(ValueLayout.JAVA_BYTE, writeOff[i] + (a & 0xfff), (byte) v);
                return;
            }
        }
        writeSlow(a, 1, v, mode);
    }

    private void write16(long a, int v, int mode) {
        long pg = a >>> 12;
        int i = (mode << BITS) | ((int) pg & MASK);
        if (writeTag[i] == pg && (a & 0xfff) <= 0xffe) {
            MemorySegment s = writeSeg[i];
            if (s != null) {
                s.set(LE16, writeOff[i] + (a & 0xfff), (short) v);
                return;
            }
        }
        writeSlow(a, 2, v & 0xffffL, mode);
    }

    private void write32(long a, int v, int mode) {
        long pg = a >>> 12;
        int i = (mode << BITS) | ((int) pg & MASK);
        if (writeTag[i] == pg && (a & 0xfff) <= 0xffc) {
            MemorySegment s = writeSeg[i];
            if (s != null) {
                s.set(LE32, writeOff[i] + (a & 0xfff), v);
                return;
            }
        }
        writeSlow(a, 4, v & 0xffffffffL, mode);
    }

    private void write64(long a, long v, int mode) {
        long pg = a >>> 12;
        int i = (mode << BITS) | ((int) pg & MASK);
        if (writeTag[i] == pg && (a & 0xfff) <= 0xff8) {
            MemorySegment s = writeSeg[i];
            if (s != null) {
                s.set(LE64, writeOff[i] + (a & 0xfff), v);
                return;
            }
        }
        writeSlow(a, 8, v, mode);
    }

    // ---- slow paths -----------------------------------------------------------------------

    /** The linear address {@code k} bytes after {@code a}, wrapping at 4 GiB outside long mode. */
    private long next(long a, int k) {
        long n = a + k;
        return cpu.longMode() ? n : n & 0xffffffffL;
    }

    private long readSlow(long a, int size, int mode) {
        if ((a & 0xfff) + size > 0x1000) {
            // Straddles two pages: byte by byte, each through its own translation.
            long v = 0;
            for (int k = 0; k < size; k++) {
                v |= (long) read8(next(a, k), mode) << (8 * k);
            }
            return v;
        }
        int i = lookupOrFill(a, READ, mode);
        MemorySegment s = readSeg[i];
        if (s != null) {
            return ramGet(s, readOff[i] + (a & 0xfff), size);
        }
        return readPhys(readPhys[i] | (a & 0xfff), size);
    }

    private void writeSlow(long a, int size, long v, int mode) {
        if ((a & 0xfff) + size > 0x1000) {
            // Check both pages before storing anything, so a #PF on the second page leaves
            // memory untouched, as on hardware.
            lookupOrFill(a, WRITE, mode);
            lookupOrFill(next(a, size - 1) & ~0xfffL, WRITE, mode); // CR2: first byte on that page
            for (int k = 0; k < size; k++) {
                write8(next(a, k), (int) (v >>> (8 * k)), mode);
            }
            return;
        }
        int i = lookupOrFill(a, WRITE, mode);
        MemorySegment s = writeSeg[i];
        if (s != null) {
            ramSet(s, writeOff[i] + (a & 0xfff), size, v);
            return;
        }
        long phys = writePhys[i] | (a & 0xfff);
        writePhys(phys, size, v);
        if (writeTag[i] == a >>> 12 && writeSeg[i] == null) {
            // The code on that page may be gone now; then later writes can go fast again.
            refillRamEntry(i, writePhys[i]);
        }
    }

    private int lookupOrFill(long a, int access, int mode) {
        long page = a >>> 12;
        int i = (mode << BITS) | ((int) page & MASK);
        long[] tags = access == READ ? readTag : access == WRITE ? writeTag : codeTag;
        if (tags[i] != page) {
            fill(a, access, mode);
        }
        return i;
    }

    private void fill(long a, int access, int mode) {
        for (;;) {
            int generation = mapGeneration;
            fillEntry(a, access, mode);
            if (generation == mapGeneration) {
                return;
            }
            flushAll();
        }
    }

    private void fillEntry(long a, int access, int mode) {
        long page = a >>> 12;
        int i = (mode << BITS) | ((int) page & MASK);
        walkGlobal = false;
        walkLarge = false;
        long physPage = translate(a, access, mode) & ~0xfffL;
        boolean global = walkGlobal;
        boolean large = walkLarge;
        if (access == FETCH) {
            codeTag[i] = page;
            codePhys[i] = physPage;
            codeGlobal[i] = global;
            codeLarge[i] = large;
            return;
        }
        if (access == READ) {
            readTag[i] = page;
            readPhys[i] = physPage;
            readGlobal[i] = global;
            readLarge[i] = large;
            readSeg[i] = null;
            FlatRange r = ramRange(physPage);
            if (r != null) {
                readSeg[i] = ((RamRegion) r.region()).segment();
                readOff[i] = physPage - r.start() + r.regionOffset();
            }
            return;
        }
        writeTag[i] = page;
        writePhys[i] = physPage;
        writeGlobal[i] = global;
        writeLarge[i] = large;
        refillRamEntry(i, physPage);
    }

    private void refillRamEntry(int i, long physPage) {
        writeSeg[i] = null;
        FlatRange r = ramRange(physPage);
        if (r != null && !((RamRegion) r.region()).readOnly() && !isCodePage.test(physPage)) {
            writeSeg[i] = ((RamRegion) r.region()).segment();
            writeOff[i] = physPage - r.start() + r.regionOffset();
        }
    }

    /** The flat range when the whole 4 KiB page is RAM or ROM, else null. */
    private FlatRange ramRange(long physPage) {
        FlatRange r = memory.lookup(physPage);
        if (r != null && r.region() instanceof RamRegion && r.start() <= physPage && physPage + 0x1000 <= r.end()) {
            return r;
        }
        return null;
    }

    private static long ramGet(MemorySegment s, long off, int size) {
        return switch (size) {
            case 1 -> s.get(ValueLayout.JAVA_BYTE, off) & 0xffL;
            case 2 -> s.get(LE16, off) & 0xffffL;
            case 4 -> s.get(LE32, off) & 0xffffffffL;
            default -> s.get(LE64, off);
        };
    }

    private static void ramSet(MemorySegment s, long off, int size, long v) {
        switch (size) {
            case 1 -> s.set(ValueLayout.JAVA_BYTE, off, (byte) v);
            case 2 -> s.set(LE16, off, (short) v);
            case 4 -> s.set(LE32, off, (int) v);
            default -> s.set(LE64, off, v);
        }
    }

    // ---- physical accesses ----------------------------------------------------------------

    /** Reads guest-physical memory; device registers are accessed under the machine lock. */
    public long readPhys(long phys, int size) {
        FlatRange r = memory.lookup(phys);
        if (r != null && r.region() instanceof RamRegion && phys + size <= r.end()) {
            return ramGet(((RamRegion) r.region()).segment(), phys - r.start() + r.regionOffset(), size);
        }
        machine.lock();
        try {
            if (size == 8) {
                return (memory.read(phys, 4) & 0xffffffffL) | memory.read(phys + 4, 4) << 32;
            }
            return memory.read(phys, size);
        } finally {
            machine.unlock();
        }
    }

    /** Writes guest-physical memory, telling the code cache about writes to code pages. */
    public void writePhys(long phys, int size, long v) {
        FlatRange r = memory.lookup(phys);
        if (r != null && r.region() instanceof RamRegion ram && phys + size <= r.end()) {
            if (ram.readOnly()) {
                return;
            }
            ramSet(ram.segment(), phys - r.start() + r.regionOffset(), size, v);
            if (isCodePage.test(phys & ~0xfffL)) {
                invalidateCode.accept(phys);
            }
            if (((phys ^ (phys + size - 1)) & ~0xfffL) != 0 && isCodePage.test((phys + size - 1) & ~0xfffL)) {
                invalidateCode.accept(phys + size - 1);
            }
            return;
        }
        machine.lock();
        try {
            if (size == 8) {
                memory.write(phys, 4, v & 0xffffffffL);
                memory.write(phys + 4, 4, v >>> 32);
            } else {
                memory.write(phys, size, v);
            }
        } finally {
            machine.unlock();
        }
    }

    // ---- instruction fetch ----------------------------------------------------------------

    /** The guest-physical address of an instruction byte at {@code linear}, at the current CPL. */
    public long translateCode(long a) {
        int mode = mode();
        long page = a >>> 12;
        int i = (mode << BITS) | ((int) page & MASK);
        if (codeTag[i] != page) {
            fill(a, FETCH, mode);
        }
        return codePhys[i] | (a & 0xfff);
    }

    /**
     * Translates for a debugger or monitor: no fault, no A/D update; -1 when unmapped.
     */
    public long debugTranslate(long linear) {
        if ((cpu.cr0 & SysBits.CR0_PG) == 0) {
            return linear & 0xffffffffL & cpu.a20Mask;
        }
        if ((cpu.cr4 & SysBits.CR4_PAE) != 0) {
            return walkPae(cpu.longMode() ? linear : linear & 0xffffffffL, READ, 0, true);
        }
        long lin = linear & 0xffffffffL;
        int pde = (int) readPhys(((cpu.cr3 & 0xfffff000L) | ((lin >>> 20) & 0xffc)) & cpu.a20Mask, 4);
        if ((pde & 1) == 0) {
            return -1;
        }
        if ((pde & 0x80) != 0 && (cpu.cr4 & SysBits.CR4_PSE) != 0) {
            return ((pde & 0xffc00000L) | (lin & 0x3fffff)) & cpu.a20Mask;
        }
        int pte = (int) readPhys(((pde & 0xfffff000L) | ((lin >>> 10) & 0xffc)) & cpu.a20Mask, 4);
        if ((pte & 1) == 0) {
            return -1;
        }
        return ((pte & 0xfffff000L) | (lin & 0xfff)) & cpu.a20Mask;
    }

    // ---- the page walk --------------------------------------------------------------------

    /** Linear → physical with protection checks and A/D updates; raises #PF. */
    long translate(long a, int access, int mode) {
        if ((cpu.cr0 & SysBits.CR0_PG) == 0) {
            return a & 0xffffffffL & cpu.a20Mask;
        }
        if ((cpu.cr4 & SysBits.CR4_PAE) != 0) {
            return walkPae(a, access, mode, false);
        }
        return walk32(a & 0xffffffffL, access, mode);
    }

    /** 32-bit paging (SDM 4.3). */
    private long walk32(long lin, int access, int mode) {
        long a20 = cpu.a20Mask;
        boolean write = access == WRITE;
        boolean user = mode == 1;
        long pdeAddr = ((cpu.cr3 & 0xfffff000L) | ((lin >>> 20) & 0xffc)) & a20;
        int pde = (int) readPhys(pdeAddr, 4);
        if ((pde & 1) == 0) {
            throw pageFault(lin, 0, access, user);
        }
        if ((pde & 0x80) != 0 && (cpu.cr4 & SysBits.CR4_PSE) != 0) {
            checkAccess(lin, pde, false, access, user);
            int updated = pde | 0x20 | (write ? 0x40 : 0);
            if (updated != pde) {
                writePhys(pdeAddr, 4, updated & 0xffffffffL);
            }
            noteLargeRegion(lin >>> 22);
            walkLarge = true;
            walkGlobal = global(pde);
            return ((pde & 0xffc00000L) | (lin & 0x3fffff)) & a20;
        }
        long pteAddr = ((pde & 0xfffff000L) | ((lin >>> 10) & 0xffc)) & a20;
        int pte = (int) readPhys(pteAddr, 4);
        if ((pte & 1) == 0) {
            throw pageFault(lin, 0, access, user);
        }
        checkAccess(lin, pde & pte, false, access, user);
        if ((pde & 0x20) == 0) {
            writePhys(pdeAddr, 4, (pde | 0x20) & 0xffffffffL);
        }
        int updated = pte | 0x20 | (write ? 0x40 : 0);
        if (updated != pte) {
            writePhys(pteAddr, 4, updated & 0xffffffffL);
        }
        walkGlobal = global(pte);
        return ((pte & 0xfffff000L) | (lin & 0xfff)) & a20;
    }

    private boolean global(long entry) {
        return (entry & E_G) != 0 && (cpu.cr4 & SysBits.CR4_PGE) != 0;
    }

    /**
     * PAE paging (SDM 4.4) and, with EFER.LMA, 4-level paging (4.5). {@code probe}: a debugger
     * lookup that returns -1 instead of faulting and changes no accessed/dirty bit.
     */
    private long walkPae(long lin, int access, int mode, boolean probe) {
        long a20 = cpu.a20Mask;
        boolean user = mode == 1;
        boolean nxe = (cpu.efer & X86Cpu.EFER_NXE) != 0;
        long rsvd = HIGH_RSVD | (nxe ? 0 : NX);
        long perm = E_RW | E_US;
        long nx = 0;
        long dir;
        if (cpu.longMode()) {
            long pml4eAddr = ((cpu.cr3 & ADDR) | ((lin >>> 36) & 0xff8)) & a20;
            long pml4e = readPhys(pml4eAddr, 8);
            if ((pml4e & E_P) == 0 || (pml4e & (rsvd | E_PS)) != 0) {
                return walkFault(lin, pml4e, access, user, probe);
            }
            setAccessed(pml4eAddr, pml4e, probe);
            perm &= pml4e;
            nx |= pml4e;
            long pdpteAddr = ((pml4e & ADDR) | ((lin >>> 27) & 0xff8)) & a20;
            long e = readPhys(pdpteAddr, 8);
            // PS in a PDPTE (1 GiB page) is reserved: PDPE1GB is not advertised.
            if ((e & E_P) == 0 || (e & (rsvd | E_PS)) != 0) {
                return walkFault(lin, e, access, user, probe);
            }
            setAccessed(pdpteAddr, e, probe);
            perm &= e;
            nx |= e;
            dir = e;
        } else {
            dir = pdpte[(int) (lin >>> 30) & 3];
            if ((dir & E_P) == 0) {
                return walkFault(lin, dir, access, user, probe);
            }
        }
        long pdeAddr = ((dir & ADDR) | ((lin >>> 18) & 0xff8)) & a20;
        long pde = readPhys(pdeAddr, 8);
        if ((pde & E_P) == 0 || (pde & rsvd) != 0 || (pde & E_PS) != 0 && (pde & 0x1fe000L) != 0) {
            return walkFault(lin, pde, access, user, probe);
        }
        perm &= pde;
        nx |= pde;
        if ((pde & E_PS) != 0) {
            if (probe) {
                return ((pde & ADDR & ~0x1fffffL) | (lin & 0x1fffff)) & a20;
            }
            checkAccess(lin, perm, nxe && nx < 0, access, user);
            setAccessedDirty(pdeAddr, pde, access == WRITE);
            noteLargeRegion(lin >>> 22);
            walkLarge = true;
            walkGlobal = global(pde);
            return ((pde & ADDR & ~0x1fffffL) | (lin & 0x1fffff)) & a20;
        }
        setAccessed(pdeAddr, pde, probe);
        long pteAddr = ((pde & ADDR) | ((lin >>> 9) & 0xff8)) & a20;
        long pte = readPhys(pteAddr, 8);
        if ((pte & E_P) == 0 || (pte & rsvd) != 0) {
            return walkFault(lin, pte, access, user, probe);
        }
        if (probe) {
            return ((pte & ADDR) | (lin & 0xfff)) & a20;
        }
        perm &= pte;
        nx |= pte;
        checkAccess(lin, perm, nxe && nx < 0, access, user);
        setAccessedDirty(pteAddr, pte, access == WRITE);
        walkGlobal = global(pte);
        return ((pte & ADDR) | (lin & 0xfff)) & a20;
    }

    /** A walk stopped at a not-present entry or one with reserved bits set. */
    private long walkFault(long lin, long entry, int access, boolean user, boolean probe) {
        if (probe) {
            return -1;
        }
        int code = (entry & E_P) == 0 ? 0 : PF_P | PF_RSVD;
        throw pageFault(lin, code, access, user);
    }

    private void setAccessed(long addr, long entry, boolean probe) {
        if (!probe && (entry & E_A) == 0) {
            writePhys(addr, 4, (entry | E_A) & 0xffffffffL);
        }
    }

    private void setAccessedDirty(long addr, long entry, boolean write) {
        long updated = entry | E_A | (write ? E_D : 0);
        if (updated != entry) {
            writePhys(addr, 4, updated & 0xffffffffL);
        }
    }

    /**
     * {@code perm}: the AND of the U/S (bit 2) and R/W (bit 1) bits along the walk;
     * {@code noExec}: some level had XD set with EFER.NXE.
     */
    private void checkAccess(long a, long perm, boolean noExec, int access, boolean user) {
        boolean write = access == WRITE;
        if (user) {
            if ((perm & 4) == 0 || (write && (perm & 2) == 0)) {
                throw pageFault(a, PF_P, access, true);
            }
        } else if (write && (perm & 2) == 0 && (cpu.cr0 & SysBits.CR0_WP) != 0) {
            throw pageFault(a, PF_P, access, false);
        }
        if (noExec && access == FETCH) {
            throw pageFault(a, PF_P, access, user);
        }
    }

    private X86Fault pageFault(long a, int code, int access, boolean user) {
        cpu.cr2 = a;
        if (access == WRITE) {
            code |= PF_W;
        }
        if (user) {
            code |= PF_U;
        }
        if (access == FETCH && (cpu.efer & X86Cpu.EFER_NXE) != 0) {
            code |= PF_ID;
        }
        return intr.fault(InterruptUnit.PF, code);
    }
}
