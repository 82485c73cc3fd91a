package org.jqemu.target.arm;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.memory.AddressSpace;
import org.jqemu.system.memory.FlatRange;
import org.jqemu.system.memory.RamRegion;

/**
 * The stage-1 MMU of the EL1&amp;0 translation regime (Arm ARM D8): VMSAv8-64 with the 4 KiB
 * granule, up to 48-bit virtual addresses split between TTBR0_EL1 (bit 55 clear) and TTBR1_EL1
 * (bit 55 set) by TCR_EL1.T0SZ/T1SZ, top-byte-ignore (TBI0/TBI1), EPD0/EPD1, block and page
 * descriptors, hierarchical APTable/UXNTable/PXNTable, AP[2:1], UXN, PXN, SCTLR_EL1.WXN, the
 * access flag (faults; no hardware AF update is advertised). With SCTLR_EL1.M clear, VA = PA.
 *
 * <p>A softmmu TLB sits in front: direct-mapped, 256 entries per access kind (read, write,
 * fetch) and per privilege (EL1, EL0). A hit means the access is allowed; RAM entries point at
 * the {@link MemorySegment} (fast path), a null segment sends the access to the slow path
 * (devices, ROM writes, writes to pages with translated code). ASIDs and global bits are not
 * tracked: every TTBR/TCR/SCTLR write and every TLBI flushes everything, which is always safe.
 */
final class A64Mmu {
    private static final ValueLayout.OfShort LE16 = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfInt LE32 = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfLong LE64 = ValueLayout.JAVA_LONG_UNALIGNED;
    static final int READ = 0, WRITE = 1, FETCH = 2;
    private static final int BITS = 8, SIZE = 1 << BITS, MASK = SIZE - 1;
    /** Physical address bits (ID_AA64MMFR0.PARange = 44 bits, as the Cortex-A57). */
    static final int PA_BITS = 44;
    private static final long OA_MASK = 0x0000_ffff_ffff_f000L;

    /** Fault status codes (DFSC/IFSC), plus the level in bits 1..0. */
    static final int FSC_ADDR_SIZE = 0x00, FSC_TRANSLATION = 0x04, FSC_ACCESS = 0x08, FSC_PERMISSION = 0x0c,
            FSC_ALIGNMENT = 0x21;

    private final Aarch64Cpu cpu;
    private final Machine machine;
    private final AddressSpace memory;

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
    /** Bumped on every flush, so cached block successors can be revalidated. */
    int generation;

    // result of the last walk
    private long walkAttrIndex;
    private long walkShareability;
    private int walkFsc;

    A64Mmu(Aarch64Cpu cpu) {
        this.cpu = cpu;
        this.machine = cpu.machine;
        this.memory = machine.memory();
        memory.addMapListener(this::flushAll);
        flushAll();
    }

    void flushAll() {
        Arrays.fill(readTag, -1);
        Arrays.fill(writeTag, -1);
        Arrays.fill(codeTag, -1);
        Arrays.fill(readSeg, null);
        Arrays.fill(writeSeg, null);
        generation++;
    }

    /** A physical page now holds translated code: writes to it must leave the fast path. */
    void protectCodePage(long physAddr) {
        long page = physAddr & ~0xfffL;
        for (int i = 0; i < writeTag.length; i++) {
            if (writeTag[i] != -1 && writePhys[i] == page) {
                writeSeg[i] = null;
            }
        }
    }

    private int mode() {
        return cpu.el == 0 ? SIZE : 0;
    }

    // ---- data accesses (unprivileged = LDTR/STTR from EL1) ----------------------------------

    long read(long va, int size) {
        return read(va, size, mode());
    }

    void write(long va, int size, long v) {
        write(va, size, v, mode());
    }

    long readUnpriv(long va, int size) {
        return read(va, size, SIZE);
    }

    void writeUnpriv(long va, int size, long v) {
        write(va, size, v, SIZE);
    }

    private long read(long va, int size, int mode) {
        long pg = va >>> 12;
        int i = mode | ((int) pg & MASK);
        if (readTag[i] == pg && (va & 0xfff) <= 0x1000 - size) {
            MemorySegment s = readSeg[i];
            if (s != null) {
                long off = readOff[i] + (va & 0xfff);
                return switch (size) {
                    case 1 -> s.get(ValueLayout.JAVA_BYTE, off) & 0xffL;
                    case 2 -> s.get(LE16, off) & 0xffffL;
                    case 4 -> s.get(LE32, off) & 0xffffffffL;
                    default -> s.get(LE64, off);
                };
            }
        }
        return readSlow(va, size, mode);
    }

    private void write(long va, int size, long v, int mode) {
        long pg = va >>> 12;
        int i = mode | ((int) pg & MASK);
        if (writeTag[i] == pg && (va & 0xfff) <= 0x1000 - size) {
            MemorySegment s = writeSeg[i];
            if (s != null) {
                long off = writeOff[i] + (va & 0xfff);
                switch (size) {
                    case 1 -> s.set(ValueLayout.JAVA_BYTE, off, (byte) v);
                    case 2 -> s.set(LE16, off, (short) v);
                    case 4 -> s.set(LE32, off, (int) v);
                    default -> s.set(LE64, off, v);
                }
                return;
            }
        }
        writeSlow(va, size, v, mode);
    }

    private long readSlow(long va, int size, int mode) {
        if (((va & 0xfff) + size) > 0x1000) {
            long v = 0;
            for (int k = 0; k < size; k++) {
                v |= read(va + k, 1, mode) << (8 * k);
            }
            return v;
        }
        int i = entry(va, READ, mode);
        return readPhys(readPhys[i] | (va & 0xfff), size);
    }

    private void writeSlow(long va, int size, long v, int mode) {
        if (((va & 0xfff) + size) > 0x1000) {
            // translate both pages first so a fault on the second leaves memory untouched
            entry(va, WRITE, mode);
            entry(va + size - 1, WRITE, mode);
            for (int k = 0; k < size; k++) {
                write(va + k, 1, v >>> (8 * k), mode);
            }
            return;
        }
        int i = entry(va, WRITE, mode);
        writePhys(writePhys[i] | (va & 0xfff), size, v);
    }

    /** Physical address of a data access (for exclusives and DC ZVA), faulting as the access would. */
    long translateData(long va, boolean write) {
        int i = entry(va, write ? WRITE : READ, mode());
        return (write ? writePhys[i] : readPhys[i]) | (va & 0xfff);
    }

    /** The guest-physical address of the instruction at {@code va} at the current EL. */
    long translateCode(long va) {
        int mode = mode();
        long pg = va >>> 12;
        int i = mode | ((int) pg & MASK);
        if (codeTag[i] != pg) {
            fill(va, FETCH, mode);
        }
        return codePhys[i] | (va & 0xfff);
    }

    /** The TLB slot for (va, kind, mode), filled by a table walk if needed. */
    private int entry(long va, int kind, int mode) {
        long pg = va >>> 12;
        int i = mode | ((int) pg & MASK);
        long tag = kind == READ ? readTag[i] : writeTag[i];
        if (tag != pg) {
            fill(va, kind, mode);
        }
        return i;
    }

    private void fill(long va, int kind, int mode) {
        long pa = translate(va, kind, mode != 0, false);
        if (pa < 0) {
            raiseAbort(va, kind);
        }
        long page = pa & ~0xfffL;
        long pg = va >>> 12;
        int i = mode | ((int) pg & MASK);
        switch (kind) {
            case FETCH -> {
                codeTag[i] = pg;
                codePhys[i] = page;
            }
            case READ -> {
                readTag[i] = pg;
                readPhys[i] = page;
                readSeg[i] = null;
                FlatRange r = memory.lookup(page);
                if (r != null && r.region() instanceof RamRegion ram && page + 0x1000 <= r.end()) {
                    readSeg[i] = ram.segment();
                    readOff[i] = page - r.start() + r.regionOffset();
                }
            }
            default -> {
                writeTag[i] = pg;
                writePhys[i] = page;
                writeSeg[i] = null;
                FlatRange r = memory.lookup(page);
                if (r != null && r.region() instanceof RamRegion ram && !ram.readOnly() && page + 0x1000 <= r.end()
                        && !cpu.codePages.contains(page)) {
                    writeSeg[i] = ram.segment();
                    writeOff[i] = page - r.start() + r.regionOffset();
                }
            }
        }
    }

    private void raiseAbort(long va, int kind) {
        boolean lower = cpu.el == 0;
        int ec = kind == FETCH ? (lower ? Aarch64Cpu.EC_IABT_LOWER : Aarch64Cpu.EC_IABT_SAME)
                : (lower ? Aarch64Cpu.EC_DABT_LOWER : Aarch64Cpu.EC_DABT_SAME);
        int iss = walkFsc | (kind == WRITE ? 1 << 6 : 0);
        cpu.fault(ec, iss);
        cpu.faultFar = va;
        cpu.faultHasFar = true;
        throw ArmFault.INSTANCE;
    }

    /** An alignment fault of a data access (exclusives, SP alignment is separate). */
    ArmFault alignmentFault(long va, boolean write) {
        int ec = cpu.el == 0 ? Aarch64Cpu.EC_DABT_LOWER : Aarch64Cpu.EC_DABT_SAME;
        cpu.fault(ec, FSC_ALIGNMENT | (write ? 1 << 6 : 0));
        cpu.faultFar = va;
        cpu.faultHasFar = true;
        return ArmFault.INSTANCE;
    }

    // ---- the table walk ---------------------------------------------------------------------

    /**
     * Translates {@code va} for an access of {@code kind} at EL0 ({@code user}) or EL1. Returns
     * the physical address, or -1 with the fault status code in {@link #walkFsc}. With
     * {@code noPermission}, permission checks are skipped (AT reports only walk faults then? no:
     * AT checks permissions too; the flag exists for debuggers).
     */
    long translate(long va, int kind, boolean user, boolean noPermission) {
        A64SysRegs s = cpu.sys;
        walkAttrIndex = 0;
        if ((s.sctlrEl1 & 1) == 0) {
            if ((va >>> PA_BITS) != 0) {
                walkFsc = FSC_ADDR_SIZE;
                return -1;
            }
            return va;
        }
        long tcr = s.tcrEl1;
        boolean upper = ((va >>> 55) & 1) != 0;
        int tsz = (int) (upper ? (tcr >>> 16) & 0x3f : tcr & 0x3f);
        boolean tbi = ((tcr >>> (upper ? 38 : 37)) & 1) != 0 && kind != FETCH;
        boolean epd = ((tcr >>> (upper ? 23 : 7)) & 1) != 0;
        if (tsz < 16) {
            tsz = 16;
        } else if (tsz > 39) {
            tsz = 39;
        }
        int ia = 64 - tsz;
        // the bits above the input address must all equal bit 55 (below the top byte with TBI)
        long top = tbi ? (va << 8) >> (ia + 8) : va >> ia;
        if (top != (upper ? -1L : 0L) || epd) {
            walkFsc = FSC_TRANSLATION;
            return -1;
        }
        long table = (upper ? s.ttbr1El1 : s.ttbr0El1) & 0x0000_ffff_ffff_fffeL;
        int level = 4 - (ia - 12 + 8) / 9;
        boolean apNoEl0 = false, apRo = false, xnT = false, pxnT = false;
        while (true) {
            int shift = 12 + 9 * (3 - level);
            int bits = Math.min(9, ia - shift);
            long idx = (va >>> shift) & ((1L << bits) - 1);
            long desc = cpu.mmu.readPhys(table + idx * 8, 8);
            if ((desc & 1) == 0) {
                walkFsc = FSC_TRANSLATION | level;
                return -1;
            }
            boolean isTable = (desc & 2) != 0;
            if (level < 3 && isTable) {
                apNoEl0 |= ((desc >>> 61) & 1) != 0;
                apRo |= ((desc >>> 62) & 1) != 0;
                xnT |= ((desc >>> 60) & 1) != 0;
                pxnT |= ((desc >>> 59) & 1) != 0;
                table = desc & OA_MASK;
                level++;
                continue;
            }
            if ((level == 3 && !isTable) || level == 0) {
                walkFsc = FSC_TRANSLATION | level;
                return -1;
            }
            long oa = desc & OA_MASK & ~((1L << shift) - 1);
            if ((oa >>> PA_BITS) != 0) {
                walkFsc = FSC_ADDR_SIZE | level;
                return -1;
            }
            if ((desc & (1 << 10)) == 0) {
                walkFsc = FSC_ACCESS | level;
                return -1;
            }
            walkAttrIndex = (desc >>> 2) & 7;
            walkShareability = (desc >>> 8) & 3;
            if (!noPermission) {
                int ap = (int) (desc >>> 6) & 3;
                boolean el0Access = (ap & 1) != 0 && !apNoEl0;
                boolean readOnly = (ap & 2) != 0 || apRo;
                boolean el0Writable = el0Access && !readOnly;
                boolean ok = switch (kind) {
                    case READ -> !user || el0Access;
                    case WRITE -> !readOnly && (!user || el0Access);
                    default -> user
                            ? ((desc >>> 54) & 1) == 0 && !xnT
                            : ((desc >>> 53) & 1) == 0 && !pxnT && !el0Writable
                                    && !((s.sctlrEl1 & (1L << 19)) != 0 && !readOnly);
                };
                if (!ok) {
                    walkFsc = FSC_PERMISSION | level;
                    return -1;
                }
            }
            return oa | (va & ((1L << shift) - 1));
        }
    }

    /**
     * AT S1E{0,1}{R,W}: the PAR_EL1 value of a translation (64-bit format: bit 11 RES1, NS set
     * as we run non-secure, SH from the descriptor, the MAIR attribute; or F with the FST).
     */
    long addressTranslate(long va, boolean write, boolean user) {
        walkShareability = 0;
        long pa = translate(va, write ? WRITE : READ, user, false);
        if (pa < 0) {
            return 0x800 | ((long) walkFsc << 1) | 1;
        }
        long attr = (cpu.sys.mairEl1 >>> (8 * walkAttrIndex)) & 0xff;
        return (attr << 56) | (pa & 0x0000_ffff_ffff_f000L) | 0x800 | 0x200 | (walkShareability << 7);
    }

    // ---- physical accesses ------------------------------------------------------------------

    /** Reads guest-physical memory; device registers are accessed under the machine lock. */
    long readPhys(long phys, int size) {
        FlatRange r = memory.lookup(phys);
        if (r != null && r.region() instanceof RamRegion ram && phys + size <= r.end()) {
            MemorySegment s = ram.segment();
            long off = phys - r.start() + r.regionOffset();
            return switch (size) {
                case 1 -> s.get(ValueLayout.JAVA_BYTE, off) & 0xffL;
                case 2 -> s.get(LE16, off) & 0xffffL;
                case 4 -> s.get(LE32, off) & 0xffffffffL;
                default -> s.get(LE64, off);
            };
        }
        machine.lock();
        try {
            return memory.read(phys, size);
        } finally {
            machine.unlock();
        }
    }

    /** Writes guest-physical memory, telling the code cache about writes to code pages. */
    void writePhys(long phys, int size, long v) {
        FlatRange r = memory.lookup(phys);
        if (r != null && r.region() instanceof RamRegion ram && phys + size <= r.end()) {
            if (ram.readOnly()) {
                return;
            }
            MemorySegment s = ram.segment();
            long off = phys - r.start() + r.regionOffset();
            switch (size) {
                case 1 -> s.set(ValueLayout.JAVA_BYTE, off, (byte) v);
                case 2 -> s.set(LE16, off, (short) v);
                case 4 -> s.set(LE32, off, (int) v);
                default -> s.set(LE64, off, v);
            }
            if (cpu.codePages.contains(phys)) {
                cpu.codePages.invalidate(phys);
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

    /** The RAM segment holding {@code phys} and the offset in it, for atomic accesses; null if not RAM. */
    MemorySegment ramSegment(long phys, int size, long[] offOut) {
        FlatRange r = memory.lookup(phys);
        if (r != null && r.region() instanceof RamRegion ram && !ram.readOnly() && phys + size <= r.end()) {
            offOut[0] = phys - r.start() + r.regionOffset();
            return ram.segment();
        }
        return null;
    }
}
