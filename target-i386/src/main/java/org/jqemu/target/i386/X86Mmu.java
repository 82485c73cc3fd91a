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
 * The x86 MMU of a 32-bit CPU without PAE: linear → physical translation through two-level page
 * tables with 4 KiB pages and, with CR4.PSE, 4 MiB pages (Intel SDM vol. 3, 4.3 "32-bit paging"),
 * U/S and R/W protection (CR0.WP for supervisor writes), accessed/dirty bits written back to the
 * guest's tables, #PF with CR2 and the P, W/R and U/S error-code bits, and the A20 gate.
 *
 * <p>A softmmu TLB sits in front: direct-mapped, 256 entries per access kind (read, write, code)
 * and per privilege (supervisor, user). An entry's tag is the linear page number; a hit means the
 * access is allowed, and either the entry points into a RAM {@link MemorySegment} (the fast path:
 * one array compare and one unaligned load or store) or its segment is null, which sends the
 * access to the slow path: device registers, writes to ROM, and writes to pages that hold
 * translated code (those must tell the code cache). A write entry is only created once the dirty
 * bit is set, so a later write never needs the page walk again.
 *
 * <p>The TLB is flushed as a real one is: CR3 loads, CR0.PG/WP and CR4 changes, INVLPG, plus
 * changes of the machine's memory map and of the A20 gate (which a real CPU does not cache).
 */
public final class X86Mmu {
    private static final ValueLayout.OfShort LE16 = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfInt LE32 = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfLong LE64 = ValueLayout.JAVA_LONG_UNALIGNED;

    static final int READ = 0, WRITE = 1, FETCH = 2;
    private static final int BITS = 8;
    private static final int SIZE = 1 << BITS;
    private static final int MASK = SIZE - 1;
    /** Page error-code bits (SDM 4.7). */
    public static final int PF_P = 1, PF_W = 2, PF_U = 4;

    private final X86Cpu cpu;
    private final Machine machine;
    private final AddressSpace memory;
    private final InterruptUnit intr;

    // Index = (user ? SIZE : 0) | (linear page & MASK).
    private final int[] readTag = new int[2 * SIZE];
    private final MemorySegment[] readSeg = new MemorySegment[2 * SIZE];
    private final long[] readOff = new long[2 * SIZE];
    private final long[] readPhys = new long[2 * SIZE];
    private final int[] writeTag = new int[2 * SIZE];
    private final MemorySegment[] writeSeg = new MemorySegment[2 * SIZE];
    private final long[] writeOff = new long[2 * SIZE];
    private final long[] writePhys = new long[2 * SIZE];
    private final int[] codeTag = new int[2 * SIZE];
    private final long[] codePhys = new long[2 * SIZE];
    /** A 4 MiB page went into the TLB: INVLPG must then drop everything (we hold 4 KiB pieces). */
    private boolean largePageCached;
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
        memory.addMapListener(this::flushAll);
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
        flushAll();
    }

    // ---- flushing -------------------------------------------------------------------------

    public void flushAll() {
        Arrays.fill(readTag, -1);
        Arrays.fill(writeTag, -1);
        Arrays.fill(codeTag, -1);
        Arrays.fill(readSeg, null);
        Arrays.fill(writeSeg, null);
        largePageCached = false;
        tlbGeneration++;
    }

    /** INVLPG: forgets the translation of the page holding {@code linear}. */
    public void flushPage(long linear) {
        if (largePageCached) {
            flushAll();
            return;
        }
        int page = (int) (linear >>> 12) & 0xfffff;
        tlbGeneration++;
        for (int mode = 0; mode < 2; mode++) {
            int i = (mode << BITS) | (page & MASK);
            if (readTag[i] == page) {
                readTag[i] = -1;
            }
            if (writeTag[i] == page) {
                writeTag[i] = -1;
            }
            if (codeTag[i] == page) {
                codeTag[i] = -1;
            }
        }
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

    // ---- the fast paths -------------------------------------------------------------------

    private int read8(long linear, int mode) {
        int a = (int) linear;
        int i = (mode << BITS) | ((a >>> 12) & MASK);
        if (readTag[i] == a >>> 12) {
            MemorySegment s = readSeg[i];
            if (s != null) {
                return s.get(ValueLayout.JAVA_BYTE, readOff[i] + (a & 0xfff)) & 0xff;
            }
        }
        return (int) readSlow(a, 1, mode);
    }

    private int read16(long linear, int mode) {
        int a = (int) linear;
        int i = (mode << BITS) | ((a >>> 12) & MASK);
        if (readTag[i] == a >>> 12 && (a & 0xfff) <= 0xffe) {
            MemorySegment s = readSeg[i];
            if (s != null) {
                return s.get(LE16, readOff[i] + (a & 0xfff)) & 0xffff;
            }
        }
        return (int) readSlow(a, 2, mode);
    }

    private int read32(long linear, int mode) {
        int a = (int) linear;
        int i = (mode << BITS) | ((a >>> 12) & MASK);
        if (readTag[i] == a >>> 12 && (a & 0xfff) <= 0xffc) {
            MemorySegment s = readSeg[i];
            if (s != null) {
                return s.get(LE32, readOff[i] + (a & 0xfff));
            }
        }
        return (int) readSlow(a, 4, mode);
    }

    private long read64(long linear, int mode) {
        int a = (int) linear;
        int i = (mode << BITS) | ((a >>> 12) & MASK);
        if (readTag[i] == a >>> 12 && (a & 0xfff) <= 0xff8) {
            MemorySegment s = readSeg[i];
            if (s != null) {
                return s.get(LE64, readOff[i] + (a & 0xfff));
            }
        }
        long lo = read32(linear, mode) & 0xffffffffL;
        long hi = read32((a + 4) & 0xffffffffL, mode) & 0xffffffffL;
        return lo | hi << 32;
    }

    private void write8(long linear, int v, int mode) {
        int a = (int) linear;
        int i = (mode << BITS) | ((a >>> 12) & MASK);
        if (writeTag[i] == a >>> 12) {
            MemorySegment s = writeSeg[i];
            if (s != null) {
                s.set(ValueLayout.JAVA_BYTE, writeOff[i] + (a & 0xfff), (byte) v);
                return;
            }
        }
        writeSlow(a, 1, v, mode);
    }

    private void write16(long linear, int v, int mode) {
        int a = (int) linear;
        int i = (mode << BITS) | ((a >>> 12) & MASK);
        if (writeTag[i] == a >>> 12 && (a & 0xfff) <= 0xffe) {
            MemorySegment s = writeSeg[i];
            if (s != null) {
                s.set(LE16, writeOff[i] + (a & 0xfff), (short) v);
                return;
            }
        }
        writeSlow(a, 2, v & 0xffffL, mode);
    }

    private void write32(long linear, int v, int mode) {
        int a = (int) linear;
        int i = (mode << BITS) | ((a >>> 12) & MASK);
        if (writeTag[i] == a >>> 12 && (a & 0xfff) <= 0xffc) {
            MemorySegment s = writeSeg[i];
            if (s != null) {
                s.set(LE32, writeOff[i] + (a & 0xfff), v);
                return;
            }
        }
        writeSlow(a, 4, v & 0xffffffffL, mode);
    }

    private void write64(long linear, long v, int mode) {
        int a = (int) linear;
        int i = (mode << BITS) | ((a >>> 12) & MASK);
        if (writeTag[i] == a >>> 12 && (a & 0xfff) <= 0xff8) {
            MemorySegment s = writeSeg[i];
            if (s != null) {
                s.set(LE64, writeOff[i] + (a & 0xfff), v);
                return;
            }
        }
        writeSlow(a, 8, v, mode);
    }

    // ---- slow paths -----------------------------------------------------------------------

    private long readSlow(int a, int size, int mode) {
        if ((a & 0xfff) + size > 0x1000) {
            // Straddles two pages: byte by byte, each through its own translation.
            long v = 0;
            for (int k = 0; k < size; k++) {
                v |= (long) read8((a + k) & 0xffffffffL, mode) << (8 * k);
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

    private void writeSlow(int a, int size, long v, int mode) {
        if ((a & 0xfff) + size > 0x1000) {
            // Check both pages before storing anything, so a #PF on the second page leaves
            // memory untouched, as on hardware.
            lookupOrFill(a, WRITE, mode);
            lookupOrFill((a + size - 1) & ~0xfff, WRITE, mode); // CR2: first byte on that page
            for (int k = 0; k < size; k++) {
                write8((a + k) & 0xffffffffL, (int) (v >>> (8 * k)), mode);
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

    private int lookupOrFill(int a, int access, int mode) {
        int page = a >>> 12;
        int i = (mode << BITS) | (page & MASK);
        int[] tags = access == READ ? readTag : access == WRITE ? writeTag : codeTag;
        if (tags[i] != page) {
            fill(a, access, mode);
        }
        return i;
    }

    private void fill(int a, int access, int mode) {
        int page = a >>> 12;
        int i = (mode << BITS) | (page & MASK);
        long physPage = translate(a, access, mode) & ~0xfffL;
        if (access == FETCH) {
            codeTag[i] = page;
            codePhys[i] = physPage;
            return;
        }
        if (access == READ) {
            readTag[i] = page;
            readPhys[i] = physPage;
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
            memory.write(phys, size, v);
        } finally {
            machine.unlock();
        }
    }

    // ---- instruction fetch ----------------------------------------------------------------

    /** The guest-physical address of an instruction byte at {@code linear}, at the current CPL. */
    public long translateCode(long linear) {
        int a = (int) linear;
        int mode = mode();
        int page = a >>> 12;
        int i = (mode << BITS) | (page & MASK);
        if (codeTag[i] != page) {
            fill(a, FETCH, mode);
        }
        return codePhys[i] | (a & 0xfff);
    }

    /**
     * Translates for a debugger or monitor: no fault, no A/D update; -1 when unmapped.
     */
    public long debugTranslate(long linear) {
        long lin = linear & 0xffffffffL;
        if ((cpu.cr0 & SysBits.CR0_PG) == 0) {
            return lin & cpu.a20Mask;
        }
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
    long translate(int a, int access, int mode) {
        long lin = a & 0xffffffffL;
        long a20 = cpu.a20Mask;
        if ((cpu.cr0 & SysBits.CR0_PG) == 0) {
            return lin & a20;
        }
        boolean write = access == WRITE;
        boolean user = mode == 1;
        long pdeAddr = ((cpu.cr3 & 0xfffff000L) | ((lin >>> 20) & 0xffc)) & a20;
        int pde = (int) readPhys(pdeAddr, 4);
        if ((pde & 1) == 0) {
            throw pageFault(a, 0, write, user);
        }
        if ((pde & 0x80) != 0 && (cpu.cr4 & SysBits.CR4_PSE) != 0) {
            checkAccess(a, pde, write, user);
            int updated = pde | 0x20 | (write ? 0x40 : 0);
            if (updated != pde) {
                writePhys(pdeAddr, 4, updated & 0xffffffffL);
            }
            largePageCached = true;
            return ((pde & 0xffc00000L) | (lin & 0x3fffff)) & a20;
        }
        long pteAddr = ((pde & 0xfffff000L) | ((lin >>> 10) & 0xffc)) & a20;
        int pte = (int) readPhys(pteAddr, 4);
        if ((pte & 1) == 0) {
            throw pageFault(a, 0, write, user);
        }
        checkAccess(a, pde & pte, write, user);
        if ((pde & 0x20) == 0) {
            writePhys(pdeAddr, 4, (pde | 0x20) & 0xffffffffL);
        }
        int updated = pte | 0x20 | (write ? 0x40 : 0);
        if (updated != pte) {
            writePhys(pteAddr, 4, updated & 0xffffffffL);
        }
        return ((pte & 0xfffff000L) | (lin & 0xfff)) & a20;
    }

    /** {@code perm}: the AND of the U/S (bit 2) and R/W (bit 1) bits along the walk. */
    private void checkAccess(int a, int perm, boolean write, boolean user) {
        if (user) {
            if ((perm & 4) == 0 || (write && (perm & 2) == 0)) {
                throw pageFault(a, PF_P, write, true);
            }
        } else if (write && (perm & 2) == 0 && (cpu.cr0 & SysBits.CR0_WP) != 0) {
            throw pageFault(a, PF_P, true, false);
        }
    }

    private X86Fault pageFault(int a, int present, boolean write, boolean user) {
        cpu.cr2 = a & 0xffffffffL;
        return intr.fault(InterruptUnit.PF, present | (write ? PF_W : 0) | (user ? PF_U : 0));
    }
}
