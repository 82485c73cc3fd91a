package org.jqemu.target.arm;

/**
 * A64 floating-point and Advanced SIMD (Arm ARM C7): FP/SIMD register loads and stores, the
 * structure loads and stores (LD1..LD4/ST1..ST4 multiple and single, LD1R..LD4R), scalar FP in
 * single and double precision (arithmetic, fused multiply-add, compare, conditional select and
 * compare, conversions to and from integers and between precisions, rounding, FMOV), and the
 * integer Advanced SIMD instructions that C libraries and kernels use for string, memory and
 * checksum routines (three-same, two-register misc, across lanes, pairwise, shifts by immediate,
 * modified immediate, permutes, EXT, TBL/TBX, copies).
 *
 * <p>Vectors are two longs per register ({@code vlo}/{@code vhi}, lane 0 in the low bits).
 * Floating point uses Java's IEEE binary32/64 arithmetic with round-to-nearest-even; FPCR
 * rounding-mode and flush-to-zero bits are stored but not applied, FPSR cumulative exception
 * flags are not raised (Java does not expose them), and NaN results carry Java's propagation
 * rather than Arm's (FPCR.DN) rules. Not implemented (UNDEFINED, logged with {@code -d unimp}):
 * half-precision arithmetic, crypto/SHA, saturating shifts and most saturating narrows, the
 * reciprocal estimates, FCVTN/FCVTXN, FMULX, halving adds, polynomial multiply beyond 8 bits.
 */
final class A64Simd {
    private final Aarch64Cpu cpu;
    private final A64Interpreter integer;
    private final long[] lo;
    private final long[] hi;
    // scratch results, so a destination may also be a source
    private long rlo, rhi;

    A64Simd(Aarch64Cpu cpu, A64Interpreter integer) {
        this.cpu = cpu;
        this.integer = integer;
        this.lo = cpu.vlo;
        this.hi = cpu.vhi;
    }

    /** CPACR_EL1.FPEN traps FP/SIMD at EL0 (01) or EL0 and EL1 (00, 10). */
    void checkFp() {
        int fpen = (int) (cpu.sys.cpacrEl1 >>> 20) & 3;
        if (fpen == 3 || (fpen == 1 && cpu.el == 1)) {
            return;
        }
        throw cpu.fault(Aarch64Cpu.EC_FP, 0x1e0_0000);
    }

    // ---- element access ---------------------------------------------------------------------

    /** Element {@code i} of size 1 << sz bytes of register r, zero-extended. */
    private long elem(int r, int i, int sz) {
        int bits = 8 << sz;
        int bit = i * bits;
        long word = bit < 64 ? lo[r] : hi[r];
        if (bits == 64) {
            return word;
        }
        return (word >>> (bit & 63)) & ((1L << bits) - 1);
    }

    private long selem(int r, int i, int sz) {
        int bits = 8 << sz;
        long v = elem(r, i, sz);
        return (v << (64 - bits)) >> (64 - bits);
    }

    /** Sets element i of the scratch result. */
    private void put(int i, int sz, long v) {
        int bits = 8 << sz;
        int bit = i * bits;
        long m = bits == 64 ? -1L : ((1L << bits) - 1);
        if (bit < 64) {
            rlo = (rlo & ~(m << bit)) | ((v & m) << bit);
        } else {
            bit -= 64;
            rhi = (rhi & ~(m << bit)) | ((v & m) << bit);
        }
    }

    private void setElemReg(int r, int i, int sz, long v) {
        rlo = lo[r];
        rhi = hi[r];
        put(i, sz, v);
        lo[r] = rlo;
        hi[r] = rhi;
    }

    /** Writes the scratch result to vd; a 64-bit operation clears the upper half. */
    private void commit(int d, boolean q) {
        lo[d] = rlo;
        hi[d] = q ? rhi : 0;
    }

    private void clearScratch() {
        rlo = 0;
        rhi = 0;
    }

    // ---- loads and stores -------------------------------------------------------------------

    void loadReg(int rt, long addr, int bytes) {
        A64Mmu m = cpu.mmu;
        if (bytes == 16) {
            long a = m.read(addr, 8);
            long b = m.read(addr + 8, 8);
            lo[rt] = a;
            hi[rt] = b;
        } else {
            lo[rt] = m.read(addr, bytes);
            hi[rt] = 0;
        }
    }

    void storeReg(int rt, long addr, int bytes) {
        A64Mmu m = cpu.mmu;
        if (bytes == 16) {
            m.write(addr, 8, lo[rt]);
            m.write(addr + 8, 8, hi[rt]);
        } else {
            m.write(addr, bytes, lo[rt]);
        }
    }

    /** LD1-LD4 / ST1-ST4, multiple structures, single structure and replicate (C4.1.66). */
    void loadStoreStructure(int w) {
        checkFp();
        boolean q = (w & (1 << 30)) != 0;
        boolean post = (w & (1 << 23)) != 0;
        boolean single = (w & (1 << 24)) != 0;
        boolean load = (w & (1 << 22)) != 0;
        int rm = (w >>> 16) & 31;
        int opcode = (w >>> 12) & 0xf;
        int size = (w >>> 10) & 3;
        int rn = (w >>> 5) & 31;
        int rt = w & 31;
        if (!post && rm != 0) {
            throw cpu.undefined();
        }
        long base = cpu.x[rn];
        long addr = base;
        A64Mmu m = cpu.mmu;
        int ebytes;
        int total;
        if (!single) {
            int regs, selem;
            switch (opcode) {
                case 0 -> { regs = 1; selem = 4; }
                case 2 -> { regs = 4; selem = 1; }
                case 4 -> { regs = 1; selem = 3; }
                case 6 -> { regs = 3; selem = 1; }
                case 7 -> { regs = 1; selem = 1; }
                case 8 -> { regs = 1; selem = 2; }
                case 10 -> { regs = 2; selem = 1; }
                default -> throw cpu.undefined();
            }
            if (size == 3 && !q && selem != 1) {
                throw cpu.undefined();
            }
            ebytes = 1 << size;
            int elements = (q ? 16 : 8) / ebytes;
            if (selem == 1) {
                // consecutive registers, each loaded whole
                for (int r = 0; r < regs; r++) {
                    int t = (rt + r) & 31;
                    if (load) {
                        lo[t] = m.read(addr, 8);
                        hi[t] = q ? m.read(addr + 8, 8) : 0;
                    } else {
                        m.write(addr, 8, lo[t]);
                        if (q) {
                            m.write(addr + 8, 8, hi[t]);
                        }
                    }
                    addr += q ? 16 : 8;
                }
            } else {
                // interleaved structures
                if (load) {
                    // read everything first so a fault leaves the registers unchanged
                    long[] vals = new long[elements * selem];
                    for (int k = 0; k < vals.length; k++) {
                        vals[k] = m.read(addr + (long) k * ebytes, ebytes);
                    }
                    for (int s = 0; s < selem; s++) {
                        int t = (rt + s) & 31;
                        clearScratch();
                        for (int e = 0; e < elements; e++) {
                            put(e, size, vals[e * selem + s]);
                        }
                        commit(t, q);
                    }
                } else {
                    for (int e = 0; e < elements; e++) {
                        for (int s = 0; s < selem; s++) {
                            m.write(addr + (long) (e * selem + s) * ebytes, ebytes, elem((rt + s) & 31, e, size));
                        }
                    }
                }
                addr += (long) elements * selem * ebytes;
            }
            total = (int) (addr - base);
        } else {
            int opc3 = opcode >>> 1;
            int sbit = opcode & 1;
            int selem = (((opc3 & 1) << 1) | ((w >>> 21) & 1)) + 1;
            int scale = opc3 >>> 1;
            int qb = (w >>> 30) & 1;
            int index;
            boolean replicate = false;
            switch (scale) {
                case 0 -> index = qb << 3 | sbit << 2 | size;
                case 1 -> {
                    if ((size & 1) != 0) {
                        throw cpu.undefined();
                    }
                    index = qb << 2 | sbit << 1 | (size >>> 1);
                }
                case 2 -> {
                    if ((size & 2) != 0) {
                        throw cpu.undefined();
                    }
                    if ((size & 1) == 0) {
                        index = qb << 1 | sbit;
                    } else {
                        if (sbit != 0) {
                            throw cpu.undefined();
                        }
                        index = qb;
                        scale = 3;
                    }
                }
                default -> {
                    if (!load || sbit != 0) {
                        throw cpu.undefined();
                    }
                    replicate = true;
                    scale = size;
                    index = 0;
                }
            }
            ebytes = 1 << scale;
            for (int s = 0; s < selem; s++) {
                int t = (rt + s) & 31;
                long a = addr + (long) s * ebytes;
                if (replicate) {
                    long v = m.read(a, ebytes);
                    clearScratch();
                    int elements = (q ? 16 : 8) / ebytes;
                    for (int e = 0; e < elements; e++) {
                        put(e, scale, v);
                    }
                    commit(t, q);
                } else if (load) {
                    setElemReg(t, index, scale, m.read(a, ebytes));
                } else {
                    m.write(a, ebytes, elem(t, index, scale));
                }
            }
            total = selem * ebytes;
        }
        if (post) {
            cpu.x[rn] = base + (rm == 31 ? total : cpu.xreg(rm));
        }
    }

    // ---- dispatch -------------------------------------------------------------------------

    void exec(int w) {
        checkFp();
        if ((w & 0x5e00_0000) == 0x1e00_0000) {
            // bit 28 set, bit 30 clear: scalar floating point (bit 31 is sf for conversions)
            if ((w & (1 << 24)) != 0) {
                if (w < 0) {
                    throw cpu.undefined();
                }
                fpDataProc3(w);
            } else if ((w & (1 << 21)) == 0) {
                fixedPointConvert(w);
            } else {
                if (w < 0 && (w & 0xfc00) != 0) {
                    throw cpu.undefined();
                }
                scalarFp(w);
            }
            return;
        }
        if ((w & (1 << 31)) == 0 && (w & (1 << 28)) == 0) {
            advSimdVector(w);
            return;
        }
        if ((w & 0xd000_0000) == 0x5000_0000) {
            advSimdScalar(w);
            return;
        }
        throw cpu.undefined();
    }

    // ---- Advanced SIMD vector ----------------------------------------------------------------

    private void advSimdVector(int w) {
        boolean q = (w & (1 << 30)) != 0;
        boolean u = (w & (1 << 29)) != 0;
        int rd = w & 31, rn = (w >>> 5) & 31, rm = (w >>> 16) & 31;
        int size = (w >>> 22) & 3;
        if ((w & 0x9fe0_8400) == 0x0e00_0400) { // copy (DUP, INS, UMOV, SMOV)
            copy(w, q, u, rd, rn);
            return;
        }
        if ((w & 0xbf20_8c00) == 0x0e00_0000) { // TBL/TBX
            if (((w >>> 22) & 3) != 0) {
                throw cpu.undefined();
            }
            tbl(w, q, rd, rn, rm);
            return;
        }
        if ((w & 0xbf20_8c00) == 0x0e00_0800) { // ZIP/UZP/TRN
            permute(w, q, size, rd, rn, rm);
            return;
        }
        if ((w & 0xbf20_8400) == 0x2e00_0000) { // EXT
            int imm4 = (w >>> 11) & 0xf;
            if (!q && imm4 > 7) {
                throw cpu.undefined();
            }
            int bytes = q ? 16 : 8;
            clearScratch();
            for (int i = 0; i < bytes; i++) {
                int src = i + imm4;
                long b = src < bytes ? elem(rn, src, 0) : elem(rm, src - bytes, 0);
                put(i, 0, b);
            }
            commit(rd, q);
            return;
        }
        if ((w & 0x9ff8_0400) == 0x0f00_0400) { // modified immediate
            modifiedImmediate(w, q, u, rd);
            return;
        }
        if ((w & 0x9f80_0400) == 0x0f00_0400) { // shift by immediate
            shiftImmediate(w, q, u, rd, rn, false);
            return;
        }
        if ((w & 0x9f20_0400) == 0x0e20_0400) { // three same
            threeSame(w, q, u, size, rd, rn, rm, false);
            return;
        }
        if ((w & 0x9f3e_0c00) == 0x0e20_0800) { // two-register misc
            twoRegMisc(w, q, u, size, rd, rn, false);
            return;
        }
        if ((w & 0x9f3e_0c00) == 0x0e30_0800) { // across lanes
            acrossLanes(w, q, u, size, rd, rn);
            return;
        }
        if ((w & 0x9f20_0c00) == 0x0e20_0000) { // three different
            threeDifferent(w, q, u, size, rd, rn, rm);
            return;
        }
        if ((w & 0x9f00_0400) == 0x0f00_0000) { // by element
            byElement(w, q, u, size, rd, rn, rm);
            return;
        }
        unimp(w);
    }

    private ArmFault unimp(int w) {
        if (cpu.machine.log().unimp) {
            cpu.machine.log().unimplemented("cpu%d: unimplemented FP/SIMD instruction 0x%08x at pc 0x%x", cpu.index(), w, cpu.pc);
        }
        throw cpu.undefined();
    }

    private void copy(int w, boolean q, boolean op, int rd, int rn) {
        int imm5 = (w >>> 16) & 0x1f;
        int imm4 = (w >>> 11) & 0xf;
        int sz = Integer.numberOfTrailingZeros(imm5);
        if (sz > 3) {
            throw cpu.undefined();
        }
        int index = imm5 >>> (sz + 1);
        if (op) { // INS (element)
            if (!q) {
                throw cpu.undefined();
            }
            long v = elem(rn, imm4 >>> sz, sz);
            setElemReg(rd, index, sz, v);
            return;
        }
        int elements = (q ? 16 : 8) >>> sz;
        switch (imm4) {
            case 0 -> { // DUP (element)
                if (sz == 3 && !q) {
                    throw cpu.undefined();
                }
                long v = elem(rn, index, sz);
                clearScratch();
                for (int e = 0; e < elements; e++) {
                    put(e, sz, v);
                }
                commit(rd, q);
            }
            case 1 -> { // DUP (general)
                if (sz == 3 && !q) {
                    throw cpu.undefined();
                }
                long v = cpu.xreg(rn);
                clearScratch();
                for (int e = 0; e < elements; e++) {
                    put(e, sz, v);
                }
                commit(rd, q);
            }
            case 3 -> { // INS (general)
                if (!q) {
                    throw cpu.undefined();
                }
                setElemReg(rd, index, sz, cpu.xreg(rn));
            }
            case 5 -> { // SMOV
                long v = selem(rn, index, sz);
                cpu.setXreg(rd, q ? v : v & 0xffffffffL);
            }
            case 7 -> { // UMOV
                cpu.setXreg(rd, elem(rn, index, sz));
            }
            default -> throw cpu.undefined();
        }
    }

    private void tbl(int w, boolean q, int rd, int rn, int rm) {
        int len = ((w >>> 13) & 3) + 1;
        boolean tbx = (w & (1 << 12)) != 0;
        int bytes = q ? 16 : 8;
        clearScratch();
        for (int i = 0; i < bytes; i++) {
            int idx = (int) elem(rm, i, 0);
            long v;
            if (idx < 16 * len) {
                v = elem((rn + idx / 16) & 31, idx % 16, 0);
            } else {
                v = tbx ? elem(rd, i, 0) : 0;
            }
            put(i, 0, v);
        }
        commit(rd, q);
    }

    private void permute(int w, boolean q, int size, int rd, int rn, int rm) {
        int opcode = (w >>> 12) & 7;
        if (size == 3 && !q) {
            throw cpu.undefined();
        }
        int elements = (q ? 16 : 8) >>> size;
        int half = elements / 2;
        clearScratch();
        switch (opcode) {
            case 1, 5 -> { // UZP1/UZP2
                int part = opcode == 5 ? 1 : 0;
                for (int i = 0; i < elements; i++) {
                    int src = 2 * i + part;
                    put(i, size, src < elements ? elem(rn, src, size) : elem(rm, src - elements, size));
                }
            }
            case 2, 6 -> { // TRN1/TRN2
                int part = opcode == 6 ? 1 : 0;
                for (int p = 0; p < half; p++) {
                    put(2 * p, size, elem(rn, 2 * p + part, size));
                    put(2 * p + 1, size, elem(rm, 2 * p + part, size));
                }
            }
            case 3, 7 -> { // ZIP1/ZIP2
                int base = opcode == 7 ? half : 0;
                for (int p = 0; p < half; p++) {
                    put(2 * p, size, elem(rn, base + p, size));
                    put(2 * p + 1, size, elem(rm, base + p, size));
                }
            }
            default -> throw cpu.undefined();
        }
        commit(rd, q);
    }

    private void modifiedImmediate(int w, boolean q, boolean op, int rd) {
        int cmode = (w >>> 12) & 0xf;
        int o2 = (w >>> 11) & 1;
        long imm8 = ((w >>> 11) & 0xe0) | ((w >>> 5) & 0x1f);
        long imm;
        switch (cmode >>> 1) {
            case 0, 1, 2, 3 -> {
                long e = imm8 << (8 * (cmode >>> 1));
                imm = e | (e << 32);
            }
            case 4, 5 -> {
                long e = imm8 << (8 * ((cmode >>> 1) & 1));
                imm = e | (e << 16) | (e << 32) | (e << 48);
            }
            case 6 -> {
                long e = (cmode & 1) == 0 ? (imm8 << 8) | 0xff : (imm8 << 16) | 0xffff;
                imm = e | (e << 32);
            }
            default -> {
                if ((cmode & 1) == 0 && !op) {
                    long e = imm8 * 0x0101_0101_0101_0101L;
                    imm = e;
                } else if ((cmode & 1) == 0) {
                    long e = 0;
                    for (int b = 0; b < 8; b++) {
                        if (((imm8 >>> b) & 1) != 0) {
                            e |= 0xffL << (8 * b);
                        }
                    }
                    imm = e;
                } else if (!op) { // FMOV (vector, single)
                    long f = vfpExpandImm(imm8, false) & 0xffffffffL;
                    imm = f | (f << 32);
                } else { // FMOV (vector, double)
                    if (!q) {
                        throw cpu.undefined();
                    }
                    imm = vfpExpandImm(imm8, true);
                }
                if (o2 != 0) {
                    throw cpu.undefined();
                }
                lo[rd] = imm;
                hi[rd] = q ? imm : 0;
                return;
            }
        }
        boolean orrBic = (cmode & 1) != 0 && cmode < 12;
        if (op && !orrBic) {
            imm = ~imm; // MVNI
        }
        if (!orrBic) {
            lo[rd] = imm;
            hi[rd] = q ? imm : 0;
            return;
        }
        if (op) { // BIC
            lo[rd] &= ~imm;
            hi[rd] = q ? hi[rd] & ~imm : 0;
        } else { // ORR
            lo[rd] |= imm;
            hi[rd] = q ? hi[rd] | imm : 0;
        }
    }

    /** VFPExpandImm: the 8-bit FP immediate of FMOV. */
    static long vfpExpandImm(long imm8, boolean dbl) {
        long sign = (imm8 >>> 7) & 1;
        long b6 = (imm8 >>> 6) & 1;
        long frac = imm8 & 0x3f;
        if (dbl) {
            long exp = ((b6 ^ 1) << 10) | (b6 != 0 ? 0x3fc : 0) | ((imm8 >>> 4) & 3);
            return (sign << 63) | (exp << 52) | ((frac & 0xf) << 48);
        }
        long exp = ((b6 ^ 1) << 7) | (b6 != 0 ? 0x7c : 0) | ((imm8 >>> 4) & 3);
        return (sign << 31) | (exp << 23) | ((frac & 0xf) << 19);
    }

    private void shiftImmediate(int w, boolean q, boolean u, int rd, int rn, boolean scalar) {
        int immh = (w >>> 19) & 0xf;
        int immb = (w >>> 16) & 7;
        int opcode = (w >>> 11) & 0x1f;
        int size = 31 - Integer.numberOfLeadingZeros(immh);
        int esize = 8 << size;
        int immhb = (immh << 3) | immb;
        boolean narrow = opcode == 0x10 || opcode == 0x11 || opcode == 0x12 || opcode == 0x13;
        boolean longer = opcode == 0x14;
        if (scalar && size != 3 && !narrow) {
            throw unimp(w);
        }
        if (!scalar && size == 3 && !q && !narrow && !longer) {
            throw cpu.undefined();
        }
        int elements = scalar ? 1 : (q ? 16 : 8) >>> size;
        int rshift = 2 * esize - immhb;
        int lshift = immhb - esize;
        clearScratch();
        switch (opcode) {
            case 0x00, 0x02, 0x04, 0x06 -> { // SSHR/USHR, SSRA/USRA, SRSHR/URSHR, SRSRA/URSRA
                boolean acc = opcode == 0x02 || opcode == 0x06;
                boolean round = opcode >= 0x04;
                for (int e = 0; e < elements; e++) {
                    long v = u ? elem(rn, e, size) : selem(rn, e, size);
                    long r = shr(v, rshift, u, round, esize);
                    if (acc) {
                        r += elem(rd, e, size);
                    }
                    put(e, size, r);
                }
            }
            case 0x08 -> { // SRI (u) only
                if (!u) {
                    throw unimp(w);
                }
                long m = rshift >= 64 ? 0 : (esize == 64 ? -1L : (1L << esize) - 1) >>> rshift;
                for (int e = 0; e < elements; e++) {
                    long v = rshift >= esize ? 0 : elem(rn, e, size) >>> rshift;
                    put(e, size, (elem(rd, e, size) & ~m) | (v & m));
                }
            }
            case 0x0a -> { // SHL / SLI
                for (int e = 0; e < elements; e++) {
                    long v = elem(rn, e, size) << lshift;
                    if (u) {
                        long m = (esize == 64 ? -1L : (1L << esize) - 1) << lshift;
                        v = (elem(rd, e, size) & ~m) | (v & m);
                    }
                    put(e, size, v);
                }
            }
            case 0x10, 0x11 -> { // SHRN/RSHRN (u=0), SQSHRUN... (u=1: not implemented)
                if (u) {
                    throw unimp(w);
                }
                int nsize = size; // destination element size
                int srcSize = nsize + 1;
                int n = scalar ? 1 : 8 >>> nsize;
                int sh = 2 * (8 << nsize) - immhb;
                for (int e = 0; e < n; e++) {
                    long v = elem(rn, e, srcSize);
                    put(e, nsize, shr(v, sh, true, opcode == 0x11, 8 << srcSize));
                }
                narrowCommit(rd, q, n, nsize);
                return;
            }
            case 0x14 -> { // SSHLL/USHLL (SXTL/UXTL)
                int n = 8 >>> size;
                int base = q ? n : 0;
                for (int e = 0; e < n; e++) {
                    long v = u ? elem(rn, base + e, size) : selem(rn, base + e, size);
                    put(e, size + 1, v << lshift);
                }
                commit(rd, true);
                return;
            }
            default -> throw unimp(w);
        }
        commit(rd, q);
    }

    /** Writes a narrowed result into the lower (q = 0, upper cleared) or upper half (q = 1, "2" form). */
    private void narrowCommit(int rd, boolean q, int n, int nsize) {
        if (!q) {
            lo[rd] = rlo;
            hi[rd] = 0;
        } else {
            hi[rd] = rlo;
        }
    }

    private static long shr(long v, int sh, boolean unsigned, boolean round, int esize) {
        if (sh >= 64) {
            return unsigned || v >= 0 ? 0 : (round ? 0 : -1);
        }
        long r = unsigned ? v >>> sh : v >> sh;
        if (round && sh > 0) {
            r += (v >>> (sh - 1)) & 1;
        }
        return r;
    }

    private static long emask(int size) {
        return size == 3 ? -1L : (1L << (8 << size)) - 1;
    }

    private static long signExt(long v, int size) {
        int sh = 64 - (8 << size);
        return (v << sh) >> sh;
    }

    private void threeSame(int w, boolean q, boolean u, int size, int rd, int rn, int rm, boolean scalar) {
        int opcode = (w >>> 11) & 0x1f;
        if (opcode == 3) { // logical
            long a = lo[rn], b = lo[rm], ah = hi[rn], bh = hi[rm];
            long dl = lo[rd], dh = hi[rd];
            long rl, rh;
            switch ((u ? 4 : 0) | size) {
                case 0 -> { rl = a & b; rh = ah & bh; }
                case 1 -> { rl = a & ~b; rh = ah & ~bh; }
                case 2 -> { rl = a | b; rh = ah | bh; }
                case 3 -> { rl = a | ~b; rh = ah | ~bh; }
                case 4 -> { rl = a ^ b; rh = ah ^ bh; }
                case 5 -> { rl = (dl & a) | (~dl & b); rh = (dh & ah) | (~dh & bh); } // BSL
                case 6 -> { rl = (dl & ~b) | (a & b); rh = (dh & ~bh) | (ah & bh); } // BIT
                default -> { rl = (dl & b) | (a & ~b); rh = (dh & bh) | (ah & ~bh); } // BIF
            }
            lo[rd] = rl;
            hi[rd] = q ? rh : 0;
            return;
        }
        if (opcode >= 0x18 || (opcode >= 0x1a)) {
            fpThreeSame(w, q, u, rd, rn, rm, scalar);
            return;
        }
        if (size == 3 && !q && !scalar) {
            throw cpu.undefined();
        }
        int elements = scalar ? 1 : (q ? 16 : 8) >>> size;
        int esize = 8 << size;
        clearScratch();
        for (int e = 0; e < elements; e++) {
            long a = elem(rn, e, size), b = elem(rm, e, size);
            long sa = signExt(a, size), sb = signExt(b, size);
            long r;
            switch (opcode) {
                case 0x01 -> { // SQADD/UQADD
                    r = u ? satU(a + b, a, b, size, true) : satS(sa + sb, size);
                    if (size == 3 && !u) {
                        long s = sa + sb;
                        r = (((sa ^ s) & (sb ^ s)) < 0) ? (sa < 0 ? Long.MIN_VALUE : Long.MAX_VALUE) : s;
                    }
                }
                case 0x05 -> { // SQSUB/UQSUB
                    if (u) {
                        r = Long.compareUnsigned(a, b) < 0 ? 0 : a - b;
                    } else if (size == 3) {
                        long s = sa - sb;
                        r = (((sa ^ sb) & (sa ^ s)) < 0) ? (sa < 0 ? Long.MIN_VALUE : Long.MAX_VALUE) : s;
                    } else {
                        r = satS(sa - sb, size);
                    }
                }
                case 0x06 -> r = (u ? Long.compareUnsigned(a, b) > 0 : sa > sb) ? -1 : 0; // CMGT/CMHI
                case 0x07 -> r = (u ? Long.compareUnsigned(a, b) >= 0 : sa >= sb) ? -1 : 0; // CMGE/CMHS
                case 0x08 -> { // SSHL/USHL
                    int sh = (byte) b;
                    if (sh >= 0) {
                        r = sh >= esize ? 0 : a << sh;
                    } else {
                        int rs = -sh;
                        r = u ? (rs >= esize ? 0 : a >>> rs) : (rs >= esize ? (sa < 0 ? -1 : 0) : sa >> rs);
                    }
                }
                case 0x0c -> r = u ? (Long.compareUnsigned(a, b) >= 0 ? a : b) : Math.max(sa, sb); // SMAX/UMAX
                case 0x0d -> r = u ? (Long.compareUnsigned(a, b) <= 0 ? a : b) : Math.min(sa, sb); // SMIN/UMIN
                case 0x0e, 0x0f -> { // SABD/UABD, SABA/UABA
                    long d = u ? (Long.compareUnsigned(a, b) >= 0 ? a - b : b - a) : Math.abs(sa - sb);
                    r = opcode == 0x0f ? elem(rd, e, size) + d : d;
                }
                case 0x10 -> r = u ? a - b : a + b; // ADD/SUB
                case 0x11 -> r = u ? (a == b ? -1 : 0) : ((a & b) != 0 ? -1 : 0); // CMEQ / CMTST
                case 0x12 -> { // MLA/MLS
                    long p = a * b;
                    r = u ? elem(rd, e, size) - p : elem(rd, e, size) + p;
                }
                case 0x13 -> {
                    if (u) {
                        r = pmul(a, b, esize); // PMUL
                    } else {
                        r = a * b; // MUL
                    }
                }
                case 0x14 -> r = pairElem(rn, rm, e, elements, size, u, true); // SMAXP/UMAXP
                case 0x15 -> r = pairElem(rn, rm, e, elements, size, u, false); // SMINP/UMINP
                case 0x17 -> { // ADDP
                    if (u) {
                        throw unimp(w);
                    }
                    int half = elements / 2;
                    r = e < half ? elem(rn, 2 * e, size) + elem(rn, 2 * e + 1, size)
                            : elem(rm, 2 * (e - half), size) + elem(rm, 2 * (e - half) + 1, size);
                }
                default -> throw unimp(w);
            }
            put(e, size, r);
        }
        commit(rd, q);
        if (scalar) {
            hi[rd] = 0;
        }
    }

    private long pairElem(int rn, int rm, int e, int elements, int size, boolean u, boolean max) {
        int half = elements / 2;
        int src = e < half ? rn : rm;
        int i = e < half ? 2 * e : 2 * (e - half);
        long a = elem(src, i, size), b = elem(src, i + 1, size);
        if (u) {
            int c = Long.compareUnsigned(a, b);
            return max ? (c >= 0 ? a : b) : (c <= 0 ? a : b);
        }
        long sa = signExt(a, size), sb = signExt(b, size);
        return max ? Math.max(sa, sb) : Math.min(sa, sb);
    }

    private static long pmul(long a, long b, int esize) {
        long r = 0;
        for (int i = 0; i < esize; i++) {
            if (((b >>> i) & 1) != 0) {
                r ^= a << i;
            }
        }
        return r;
    }

    private static long satS(long v, int size) {
        long max = (1L << ((8 << size) - 1)) - 1;
        long min = -max - 1;
        return v > max ? max : v < min ? min : v;
    }

    private static long satU(long sum, long a, long b, int size, boolean add) {
        if (size == 3) {
            return Long.compareUnsigned(sum, a) < 0 ? -1L : sum;
        }
        long max = emask(size);
        return sum > max ? max : sum;
    }

    private void twoRegMisc(int w, boolean q, boolean u, int size, int rd, int rn, boolean scalar) {
        int opcode = (w >>> 12) & 0x1f;
        if (opcode >= 0x0c && opcode != 0x12 && opcode != 0x13 && opcode != 0x14) {
            fpTwoRegMisc(w, q, u, size, rd, rn, scalar);
            return;
        }
        int elements = scalar ? 1 : (q ? 16 : 8) >>> size;
        clearScratch();
        switch (opcode) {
            case 0x00 -> { // REV64 / REV32
                int group = u ? 4 : 8;
                revGroups(rn, size, group, elements);
            }
            case 0x01 -> {
                if (u) {
                    throw unimp(w);
                }
                revGroups(rn, size, 2, elements); // REV16
            }
            case 0x02, 0x06 -> { // SADDLP/UADDLP, SADALP/UADALP
                int n = elements / 2;
                for (int e = 0; e < n; e++) {
                    long a = u ? elem(rn, 2 * e, size) : selem(rn, 2 * e, size);
                    long b = u ? elem(rn, 2 * e + 1, size) : selem(rn, 2 * e + 1, size);
                    long acc = opcode == 0x06 ? elem(rd, e, size + 1) : 0;
                    put(e, size + 1, a + b + acc);
                }
            }
            case 0x05 -> {
                if (size != 0) {
                    if (u && size == 1) { // RBIT
                        for (int e = 0; e < elements; e++) {
                            put(e, 0, Integer.reverse((int) elem(rn, e, 0)) >>> 24);
                        }
                        break;
                    }
                    throw unimp(w);
                }
                for (int e = 0; e < elements; e++) {
                    long v = elem(rn, e, 0);
                    put(e, 0, u ? ~v : Long.bitCount(v)); // NOT / CNT
                }
            }
            case 0x04 -> { // CLS / CLZ
                int esize = 8 << size;
                for (int e = 0; e < elements; e++) {
                    long v = elem(rn, e, size);
                    long r = u ? Long.numberOfLeadingZeros(v) - (64 - esize)
                            : Long.numberOfLeadingZeros(signExt(v, size) ^ (signExt(v, size) >> 1)) - (64 - esize) - 1;
                    put(e, size, r);
                }
            }
            case 0x08, 0x09, 0x0a -> { // CMGT/CMGE #0, CMEQ/CMLE #0, CMLT #0
                for (int e = 0; e < elements; e++) {
                    long v = selem(rn, e, size);
                    boolean r = switch (opcode) {
                        case 0x08 -> u ? v >= 0 : v > 0;
                        case 0x09 -> u ? v <= 0 : v == 0;
                        default -> v < 0;
                    };
                    put(e, size, r ? -1 : 0);
                }
                if (opcode == 0x0a && u) {
                    throw cpu.undefined();
                }
            }
            case 0x0b -> { // ABS / NEG
                for (int e = 0; e < elements; e++) {
                    long v = selem(rn, e, size);
                    put(e, size, u ? -v : Math.abs(v));
                }
            }
            case 0x12 -> { // XTN/XTN2 (u=0), SQXTUN (u=1: not implemented)
                if (u) {
                    throw unimp(w);
                }
                int n = 8 >>> size;
                for (int e = 0; e < n; e++) {
                    put(e, size, elem(rn, e, size + 1));
                }
                narrowCommit(rd, q, n, size);
                return;
            }
            case 0x14 -> { // SQXTN/UQXTN
                int n = 8 >>> size;
                for (int e = 0; e < n; e++) {
                    long v = u ? elem(rn, e, size + 1) : selem(rn, e, size + 1);
                    long r = u ? Math.min(v, emask(size)) : satS(v, size);
                    if (u && size == 2 && v < 0) {
                        r = emask(size);
                    }
                    put(e, size, r);
                }
                narrowCommit(rd, q, n, size);
                return;
            }
            default -> throw unimp(w);
        }
        commit(rd, q);
        if (scalar) {
            hi[rd] = 0;
        }
    }

    private void revGroups(int rn, int size, int groupBytes, int elements) {
        int per = groupBytes >>> size;
        if (per <= 1) {
            throw cpu.undefined();
        }
        for (int e = 0; e < elements; e++) {
            int g = e / per, k = e % per;
            put(e, size, elem(rn, g * per + (per - 1 - k), size));
        }
    }

    private void acrossLanes(int w, boolean q, boolean u, int size, int rd, int rn) {
        int opcode = (w >>> 12) & 0x1f;
        int elements = (q ? 16 : 8) >>> size;
        if (opcode == 0x0c || opcode == 0x0f) {
            fpAcross(w, q, u, size, rd, rn);
            return;
        }
        if (size == 3 || (size == 2 && !q)) {
            throw cpu.undefined();
        }
        long r;
        int rsize = size;
        switch (opcode) {
            case 0x03 -> { // SADDLV/UADDLV
                r = 0;
                for (int e = 0; e < elements; e++) {
                    r += u ? elem(rn, e, size) : selem(rn, e, size);
                }
                rsize = size + 1;
            }
            case 0x0a, 0x1a -> { // SMAXV/UMAXV, SMINV/UMINV
                boolean max = opcode == 0x0a;
                r = u ? elem(rn, 0, size) : selem(rn, 0, size);
                for (int e = 1; e < elements; e++) {
                    long v = u ? elem(rn, e, size) : selem(rn, e, size);
                    r = max ? Math.max(r, v) : Math.min(r, v);
                }
            }
            case 0x1b -> { // ADDV
                if (u) {
                    throw unimp(w);
                }
                r = 0;
                for (int e = 0; e < elements; e++) {
                    r += elem(rn, e, size);
                }
            }
            default -> throw unimp(w);
        }
        lo[rd] = r & emask(rsize);
        hi[rd] = 0;
    }

    private void threeDifferent(int w, boolean q, boolean u, int size, int rd, int rn, int rm) {
        int opcode = (w >>> 12) & 0xf;
        if (size == 3) {
            throw unimp(w);
        }
        int n = 8 >>> size;
        int base = q ? n : 0;
        clearScratch();
        switch (opcode) {
            case 0x0, 0x2 -> { // SADDL/UADDL, SSUBL/USUBL
                for (int e = 0; e < n; e++) {
                    long a = u ? elem(rn, base + e, size) : selem(rn, base + e, size);
                    long b = u ? elem(rm, base + e, size) : selem(rm, base + e, size);
                    put(e, size + 1, opcode == 0 ? a + b : a - b);
                }
            }
            case 0x1, 0x3 -> { // SADDW/UADDW, SSUBW/USUBW
                for (int e = 0; e < n; e++) {
                    long a = elem(rn, e, size + 1);
                    long b = u ? elem(rm, base + e, size) : selem(rm, base + e, size);
                    put(e, size + 1, opcode == 1 ? a + b : a - b);
                }
            }
            case 0x8, 0xa, 0xc -> { // SMLAL/UMLAL, SMLSL/UMLSL, SMULL/UMULL
                for (int e = 0; e < n; e++) {
                    long a = u ? elem(rn, base + e, size) : selem(rn, base + e, size);
                    long b = u ? elem(rm, base + e, size) : selem(rm, base + e, size);
                    long acc = opcode == 0xc ? 0 : elem(rd, e, size + 1);
                    put(e, size + 1, opcode == 0xa ? acc - a * b : acc + a * b);
                }
            }
            case 0xe -> { // PMULL (8-bit only)
                if (u || size != 0) {
                    throw unimp(w);
                }
                for (int e = 0; e < n; e++) {
                    put(e, 1, pmul(elem(rn, base + e, 0), elem(rm, base + e, 0), 8));
                }
            }
            case 0x4, 0x6 -> { // ADDHN/SUBHN (u: RADDHN...)
                if (u) {
                    throw unimp(w);
                }
                for (int e = 0; e < n; e++) {
                    long a = elem(rn, e, size + 1), b = elem(rm, e, size + 1);
                    long s = opcode == 4 ? a + b : a - b;
                    put(e, size, s >>> (8 << size));
                }
                narrowCommit(rd, q, n, size);
                return;
            }
            default -> throw unimp(w);
        }
        commit(rd, true);
    }

    private void byElement(int w, boolean q, boolean u, int size, int rd, int rn, int rm) {
        int opcode = (w >>> 12) & 0xf;
        int h = (w >>> 11) & 1, l = (w >>> 21) & 1, m = (w >>> 20) & 1;
        if (opcode == 0x8 || opcode == 0x0 || opcode == 0x4) { // MUL/MLA/MLS by element
            if (opcode == 0x8 && u) {
                throw unimp(w);
            }
            int index;
            int rmr = rm;
            if (size == 1) {
                index = (h << 2) | (l << 1) | m;
                rmr = rm & 0xf;
            } else if (size == 2) {
                index = (h << 1) | l;
            } else {
                throw cpu.undefined();
            }
            int elements = (q ? 16 : 8) >>> size;
            long b = elem(rmr, index, size);
            clearScratch();
            for (int e = 0; e < elements; e++) {
                long p = elem(rn, e, size) * b;
                long r = opcode == 0x8 ? p : opcode == 0 ? elem(rd, e, size) + p : elem(rd, e, size) - p;
                put(e, size, r);
            }
            commit(rd, q);
            return;
        }
        if ((opcode == 0x9 || opcode == 0x1 || opcode == 0x5) && !u && size >= 2) { // FMUL/FMLA/FMLS by element
            boolean dbl = size == 3;
            int index = dbl ? h : (h << 1) | l;
            int elements = dbl ? (q ? 2 : 1) : (q ? 4 : 2);
            clearScratch();
            for (int e = 0; e < elements; e++) {
                if (dbl) {
                    double a = Double.longBitsToDouble(elem(rn, e, 3)), b = Double.longBitsToDouble(elem(rm, index, 3));
                    double d = Double.longBitsToDouble(elem(rd, e, 3));
                    double r = opcode == 9 ? a * b : opcode == 1 ? Math.fma(a, b, d) : Math.fma(-a, b, d);
                    put(e, 3, Double.doubleToRawLongBits(r));
                } else {
                    float a = Float.intBitsToFloat((int) elem(rn, e, 2)), b = Float.intBitsToFloat((int) elem(rm, index, 2));
                    float d = Float.intBitsToFloat((int) elem(rd, e, 2));
                    float r = opcode == 9 ? a * b : opcode == 1 ? Math.fma(a, b, d) : Math.fma(-a, b, d);
                    put(e, 2, Float.floatToRawIntBits(r) & 0xffffffffL);
                }
            }
            commit(rd, q);
            return;
        }
        throw unimp(w);
    }

    // ---- Advanced SIMD scalar ----------------------------------------------------------------

    private void advSimdScalar(int w) {
        boolean u = (w & (1 << 29)) != 0;
        int rd = w & 31, rn = (w >>> 5) & 31, rm = (w >>> 16) & 31;
        int size = (w >>> 22) & 3;
        if ((w & 0xdfe0_8400) == 0x5e00_0400) { // DUP (element), scalar: MOV b/h/s/d
            int imm5 = (w >>> 16) & 0x1f;
            int sz = Integer.numberOfTrailingZeros(imm5);
            if (sz > 3 || u) {
                throw cpu.undefined();
            }
            lo[rd] = elem(rn, imm5 >>> (sz + 1), sz);
            hi[rd] = 0;
            return;
        }
        if ((w & 0xdf3e_0c00) == 0x5e30_0800) { // pairwise scalar: ADDP, FADDP, FMAXP...
            int opcode = (w >>> 12) & 0x1f;
            if (opcode == 0x1b && !u && size == 3) {
                lo[rd] = lo[rn] + hi[rn];
                hi[rd] = 0;
                return;
            }
            if (u && opcode == 0x0d) { // FADDP scalar
                if ((size & 1) != 0) {
                    lo[rd] = Double.doubleToRawLongBits(Double.longBitsToDouble(lo[rn]) + Double.longBitsToDouble(hi[rn]));
                } else {
                    float s = Float.intBitsToFloat((int) lo[rn]) + Float.intBitsToFloat((int) (lo[rn] >>> 32));
                    lo[rd] = Float.floatToRawIntBits(s) & 0xffffffffL;
                }
                hi[rd] = 0;
                return;
            }
            throw unimp(w);
        }
        if ((w & 0xdf80_0400) == 0x5f00_0400) { // shift by immediate, scalar
            shiftImmediate(w, false, u, rd, rn, true);
            return;
        }
        if ((w & 0xdf20_0400) == 0x5e20_0400) { // three same, scalar
            int opcode = (w >>> 11) & 0x1f;
            if (opcode >= 0x18) {
                fpThreeSame(w, false, u, rd, rn, rm, true);
                return;
            }
            if (size != 3 && opcode != 0x01 && opcode != 0x05) {
                throw unimp(w);
            }
            threeSame(w, false, u, size, rd, rn, rm, true);
            return;
        }
        if ((w & 0xdf3e_0c00) == 0x5e20_0800) { // two-reg misc, scalar
            twoRegMisc(w, false, u, size, rd, rn, true);
            return;
        }
        throw unimp(w);
    }

    // ---- floating point --------------------------------------------------------------------

    private double getD(int r) {
        return Double.longBitsToDouble(lo[r]);
    }

    private float getS(int r) {
        return Float.intBitsToFloat((int) lo[r]);
    }

    private void setD(int r, double v) {
        lo[r] = Double.doubleToRawLongBits(v);
        hi[r] = 0;
    }

    private void setS(int r, float v) {
        lo[r] = Float.floatToRawIntBits(v) & 0xffffffffL;
        hi[r] = 0;
    }

    private void setFlagsCompare(double a, double b) {
        int f;
        if (Double.isNaN(a) || Double.isNaN(b)) {
            f = 0x3000_0000; // C V
        } else if (a == b) {
            f = 0x6000_0000; // Z C
        } else if (a < b) {
            f = 0x8000_0000; // N
        } else {
            f = 0x2000_0000; // C
        }
        cpu.nzcv = f;
    }

    /** Floating-point data processing with one, two sources; compare; select; immediate; conversions with integers. */
    private void scalarFp(int w) {
        int type = (w >>> 22) & 3;
        int rd = w & 31, rn = (w >>> 5) & 31, rm = (w >>> 16) & 31;
        if ((w & 0x0000_0c00) == 0x0000_0800) { // two sources
            int opcode = (w >>> 12) & 0xf;
            if (type == 1) {
                double a = getD(rn), b = getD(rm);
                double r = switch (opcode) {
                    case 0 -> a * b;
                    case 1 -> a / b;
                    case 2 -> a + b;
                    case 3 -> a - b;
                    case 4 -> fmax(a, b);
                    case 5 -> fmin(a, b);
                    case 6 -> fmaxnm(a, b);
                    case 7 -> fminnm(a, b);
                    case 8 -> -(a * b);
                    default -> throw cpu.undefined();
                };
                setD(rd, r);
            } else if (type == 0) {
                float a = getS(rn), b = getS(rm);
                float r = switch (opcode) {
                    case 0 -> a * b;
                    case 1 -> a / b;
                    case 2 -> a + b;
                    case 3 -> a - b;
                    case 4 -> (float) fmax(a, b);
                    case 5 -> (float) fmin(a, b);
                    case 6 -> (float) fmaxnm(a, b);
                    case 7 -> (float) fminnm(a, b);
                    case 8 -> -(a * b);
                    default -> throw cpu.undefined();
                };
                setS(rd, r);
            } else {
                throw unimp(w);
            }
            return;
        }
        if ((w & 0x0000_0c00) == 0x0000_0c00) { // FCSEL
            boolean c = integer.cond((w >>> 12) & 0xf);
            int src = c ? rn : rm;
            lo[rd] = type == 1 ? lo[src] : lo[src] & 0xffffffffL;
            hi[rd] = 0;
            return;
        }
        if ((w & 0x0000_0c00) == 0x0000_0400) { // FCCMP/FCCMPE
            if (integer.cond((w >>> 12) & 0xf)) {
                if (type == 1) {
                    setFlagsCompare(getD(rn), getD(rm));
                } else {
                    setFlagsCompare(getS(rn), getS(rm));
                }
            } else {
                cpu.nzcv = (w & 0xf) << 28;
            }
            return;
        }
        if ((w & 0x0000_1c00) == 0x0000_1000) { // FMOV (scalar, immediate)
            long imm8 = (w >>> 13) & 0xff;
            if (type == 1) {
                lo[rd] = vfpExpandImm(imm8, true);
            } else if (type == 0) {
                lo[rd] = vfpExpandImm(imm8, false) & 0xffffffffL;
            } else {
                throw unimp(w);
            }
            hi[rd] = 0;
            return;
        }
        if ((w & 0x0000_3c00) == 0x0000_2000) { // FCMP/FCMPE
            boolean zero = (w & 8) != 0;
            if (type == 1) {
                setFlagsCompare(getD(rn), zero ? 0.0 : getD(rm));
            } else {
                setFlagsCompare(getS(rn), zero ? 0.0f : getS(rm));
            }
            return;
        }
        if ((w & 0x0000_7c00) == 0x0000_4000) { // one source
            fpOneSource(w, type, rd, rn);
            return;
        }
        if ((w & 0x0000_fc00) == 0x0000_0000) { // conversions between FP and integer
            fpIntConvert(w, type, rd, rn);
            return;
        }
        throw unimp(w);
    }

    private void fpOneSource(int w, int type, int rd, int rn) {
        int opcode = (w >>> 15) & 0x3f;
        if (opcode == 4 || opcode == 5 || opcode == 7) { // FCVT between precisions
            int to = opcode & 3;
            double v;
            switch (type) {
                case 0 -> v = getS(rn);
                case 1 -> v = getD(rn);
                case 3 -> v = Float.float16ToFloat((short) lo[rn]);
                default -> throw cpu.undefined();
            }
            switch (to) {
                case 0 -> setS(rd, (float) v);
                case 1 -> setD(rd, v);
                default -> {
                    lo[rd] = Float.floatToFloat16((float) v) & 0xffffL;
                    hi[rd] = 0;
                }
            }
            return;
        }
        if (type == 1) {
            double a = getD(rn);
            double r = switch (opcode) {
                case 0 -> a; // FMOV
                case 1 -> Math.abs(a);
                case 2 -> -a;
                case 3 -> Math.sqrt(a);
                case 8 -> Math.rint(a); // FRINTN
                case 9 -> Math.ceil(a); // FRINTP
                case 10 -> Math.floor(a); // FRINTM
                case 11 -> a < 0 ? Math.ceil(a) : Math.floor(a); // FRINTZ
                case 12 -> roundAway(a); // FRINTA
                case 14, 15 -> Math.rint(a); // FRINTX, FRINTI (current mode = nearest)
                default -> throw unimp(w);
            };
            if (opcode == 0 || opcode == 1 || opcode == 2) {
                long bits = lo[rn];
                lo[rd] = opcode == 0 ? bits : opcode == 1 ? bits & Long.MAX_VALUE : bits ^ Long.MIN_VALUE;
                hi[rd] = 0;
                return;
            }
            setD(rd, r);
        } else if (type == 0) {
            float a = getS(rn);
            if (opcode <= 2) {
                long bits = lo[rn] & 0xffffffffL;
                lo[rd] = opcode == 0 ? bits : opcode == 1 ? bits & 0x7fffffffL : bits ^ 0x80000000L;
                hi[rd] = 0;
                return;
            }
            double r = switch (opcode) {
                case 3 -> Math.sqrt(a);
                case 8 -> Math.rint(a);
                case 9 -> Math.ceil(a);
                case 10 -> Math.floor(a);
                case 11 -> a < 0 ? Math.ceil(a) : Math.floor(a);
                case 12 -> roundAway(a);
                case 14, 15 -> Math.rint(a);
                default -> throw unimp(w);
            };
            setS(rd, (float) r);
        } else {
            throw unimp(w);
        }
    }

    private static double roundAway(double a) {
        if (Double.isNaN(a) || Double.isInfinite(a)) {
            return a;
        }
        double r = Math.floor(Math.abs(a) + 0.5);
        return Math.copySign(r, a);
    }

    private static double fmax(double a, double b) {
        if (Double.isNaN(a) || Double.isNaN(b)) {
            return Double.NaN;
        }
        return Math.max(a, b);
    }

    private static double fmin(double a, double b) {
        if (Double.isNaN(a) || Double.isNaN(b)) {
            return Double.NaN;
        }
        return Math.min(a, b);
    }

    private static double fmaxnm(double a, double b) {
        if (Double.isNaN(a)) {
            return b;
        }
        if (Double.isNaN(b)) {
            return a;
        }
        return Math.max(a, b);
    }

    private static double fminnm(double a, double b) {
        if (Double.isNaN(a)) {
            return b;
        }
        if (Double.isNaN(b)) {
            return a;
        }
        return Math.min(a, b);
    }

    private void fpIntConvert(int w, int type, int rd, int rn) {
        boolean sf = w < 0;
        int rmode = (w >>> 19) & 3;
        int opcode = (w >>> 16) & 7;
        if (opcode == 6 || opcode == 7) { // FMOV general <-> FP
            boolean toFp = opcode == 7;
            if (rmode == 1 && type == 2 && sf) { // FMOV Xd, Vn.D[1] / Vd.D[1], Xn
                if (toFp) {
                    hi[rd] = cpu.xreg(rn);
                } else {
                    cpu.setXreg(rd, hi[rn]);
                }
                return;
            }
            if (rmode != 0) {
                throw cpu.undefined();
            }
            if (toFp) {
                long v = cpu.xreg(rn);
                lo[rd] = type == 1 ? v : type == 3 ? v & 0xffff : v & 0xffffffffL;
                hi[rd] = 0;
            } else {
                long v = lo[rn];
                cpu.setXreg(rd, type == 1 ? v : type == 3 ? v & 0xffff : v & 0xffffffffL);
            }
            return;
        }
        if (opcode == 2 || opcode == 3) { // SCVTF/UCVTF
            if (rmode != 0) {
                throw cpu.undefined();
            }
            long v = cpu.xreg(rn);
            boolean unsigned = opcode == 3;
            if (!sf) {
                v = unsigned ? v & 0xffffffffL : (int) v;
            }
            if (type == 1) {
                setD(rd, unsigned && sf ? unsignedToDouble(v) : (double) v);
            } else if (type == 0) {
                setS(rd, unsigned && sf ? (float) unsignedToDouble(v) : (float) v);
            } else {
                throw unimp(w);
            }
            return;
        }
        // FCVT{N,P,M,Z}{S,U}: rmode selects the rounding; FCVTA{S,U}: opcode 4/5 with rmode 0
        double v = type == 1 ? getD(rn) : type == 0 ? getS(rn) : Double.NaN;
        if (type > 1) {
            throw unimp(w);
        }
        double rounded;
        if (opcode == 4 || opcode == 5) {
            if (rmode != 0) {
                throw cpu.undefined();
            }
            rounded = roundAway(v);
        } else if (opcode == 0 || opcode == 1) {
            rounded = switch (rmode) {
                case 0 -> Math.rint(v);
                case 1 -> Math.ceil(v);
                case 2 -> Math.floor(v);
                default -> v < 0 ? Math.ceil(v) : Math.floor(v);
            };
        } else {
            throw cpu.undefined();
        }
        boolean unsigned = (opcode & 1) != 0;
        cpu.setXreg(rd, toInt(rounded, unsigned, sf));
    }

    private static double unsignedToDouble(long v) {
        if (v >= 0) {
            return (double) v;
        }
        // halve with the lost bit kept sticky, convert, double
        return ((double) ((v >>> 1) | (v & 1))) * 2.0;
    }

    /** Saturating FP -> integer conversion of an already rounded value (NaN -> 0). */
    private static long toInt(double r, boolean unsigned, boolean sf) {
        if (Double.isNaN(r)) {
            return 0;
        }
        if (unsigned) {
            if (r <= 0) {
                return 0;
            }
            if (sf) {
                if (r >= 18446744073709551616.0) {
                    return -1L;
                }
                if (r >= 9223372036854775808.0) {
                    return (long) (r - 9223372036854775808.0) ^ Long.MIN_VALUE;
                }
                return (long) r;
            }
            return r >= 4294967295.0 ? 0xffffffffL : (long) r;
        }
        if (sf) {
            return (long) r; // Java saturates like Arm
        }
        return ((int) r) & 0xffffffffL;
    }

    private void fixedPointConvert(int w) {
        int type = (w >>> 22) & 3;
        int rd = w & 31, rn = (w >>> 5) & 31;
        boolean sf = w < 0;
        int rmode = (w >>> 19) & 3;
        int opcode = (w >>> 16) & 7;
        int fbits = 64 - ((w >>> 10) & 0x3f);
        if (!sf && fbits > 32 || type > 1) {
            throw cpu.undefined();
        }
        double scale = Math.scalb(1.0, fbits);
        if (rmode == 0 && (opcode == 2 || opcode == 3)) { // SCVTF/UCVTF (fixed)
            long v = cpu.xreg(rn);
            boolean unsigned = opcode == 3;
            if (!sf) {
                v = unsigned ? v & 0xffffffffL : (int) v;
            }
            double d = (unsigned && sf ? unsignedToDouble(v) : (double) v) / scale;
            if (type == 1) {
                setD(rd, d);
            } else {
                setS(rd, (float) d);
            }
            return;
        }
        if (rmode == 3 && (opcode == 0 || opcode == 1)) { // FCVTZS/FCVTZU (fixed)
            double v = (type == 1 ? getD(rn) : getS(rn)) * scale;
            double r = v < 0 ? Math.ceil(v) : Math.floor(v);
            cpu.setXreg(rd, toInt(r, opcode == 1, sf));
            return;
        }
        throw cpu.undefined();
    }

    private void fpDataProc3(int w) {
        int type = (w >>> 22) & 3;
        int rd = w & 31, rn = (w >>> 5) & 31, rm = (w >>> 16) & 31, ra = (w >>> 10) & 31;
        boolean o1 = (w & (1 << 21)) != 0, o0 = (w & (1 << 15)) != 0;
        if (type == 1) {
            double a = getD(ra), n = getD(rn), m = getD(rm);
            double r;
            if (!o1) {
                r = o0 ? Math.fma(-n, m, a) : Math.fma(n, m, a); // FMSUB : FMADD
            } else {
                r = o0 ? Math.fma(n, m, -a) : Math.fma(-n, m, -a); // FNMSUB : FNMADD
            }
            setD(rd, r);
        } else if (type == 0) {
            float a = getS(ra), n = getS(rn), m = getS(rm);
            float r;
            if (!o1) {
                r = o0 ? Math.fma(-n, m, a) : Math.fma(n, m, a);
            } else {
                r = o0 ? Math.fma(n, m, -a) : Math.fma(-n, m, -a);
            }
            setS(rd, r);
        } else {
            throw unimp(w);
        }
    }

    /** Vector/scalar FP three-same: FADD, FSUB, FMUL, FDIV, FMAX/FMIN(NM), FMLA/FMLS, FCMxx, FADDP, FABD. */
    private void fpThreeSame(int w, boolean q, boolean u, int rd, int rn, int rm, boolean scalar) {
        int opcode = (w >>> 11) & 0x1f;
        boolean dbl = (w & (1 << 22)) != 0;
        int a23 = (w >>> 23) & 1;
        int op = (u ? 0x40 : 0) | (a23 << 5) | opcode;
        int sz = dbl ? 3 : 2;
        if (dbl && !q && !scalar) {
            throw cpu.undefined();
        }
        int elements = scalar ? 1 : (q ? 16 : 8) >>> sz;
        clearScratch();
        for (int e = 0; e < elements; e++) {
            double a, b, d;
            boolean pairwise = op == 0x5a || op == 0x5e || op == 0x7e || op == 0x58 || op == 0x78;
            if (pairwise) {
                int half = elements / 2;
                int src = e < half ? rn : rm;
                int i = e < half ? 2 * e : 2 * (e - half);
                a = fpElem(src, i, dbl);
                b = fpElem(src, i + 1, dbl);
            } else {
                a = fpElem(rn, e, dbl);
                b = fpElem(rm, e, dbl);
            }
            d = fpElem(rd, e, dbl);
            double r;
            long bits = -2;
            switch (op) {
                case 0x1a -> r = a + b; // FADD
                case 0x3a -> r = a - b; // FSUB
                case 0x5b -> r = a * b; // FMUL
                case 0x5f -> r = a / b; // FDIV
                case 0x1e -> r = fmax(a, b);
                case 0x3e -> r = fmin(a, b);
                case 0x18 -> r = fmaxnm(a, b);
                case 0x38 -> r = fminnm(a, b);
                case 0x19 -> r = dbl ? Math.fma(a, b, d) : Math.fma((float) a, (float) b, (float) d); // FMLA
                case 0x39 -> r = dbl ? Math.fma(-a, b, d) : Math.fma((float) -a, (float) b, (float) d); // FMLS
                case 0x5a -> r = a + b; // FADDP
                case 0x5e -> r = fmax(a, b); // FMAXP
                case 0x7e -> r = fmin(a, b); // FMINP
                case 0x58 -> r = fmaxnm(a, b); // FMAXNMP
                case 0x78 -> r = fminnm(a, b); // FMINNMP
                case 0x7a -> r = Math.abs(a - b); // FABD
                case 0x1c -> { r = 0; bits = a == b ? -1 : 0; } // FCMEQ
                case 0x5c -> { r = 0; bits = a >= b ? -1 : 0; } // FCMGE
                case 0x7c -> { r = 0; bits = a > b ? -1 : 0; } // FCMGT
                case 0x5d -> { r = 0; bits = Math.abs(a) >= Math.abs(b) ? -1 : 0; } // FACGE
                case 0x7d -> { r = 0; bits = Math.abs(a) > Math.abs(b) ? -1 : 0; } // FACGT
                default -> throw unimp(w);
            }
            if (bits != -2) {
                put(e, sz, bits);
            } else {
                put(e, sz, dbl ? Double.doubleToRawLongBits(r) : Float.floatToRawIntBits((float) r) & 0xffffffffL);
            }
        }
        commit(rd, q);
        if (scalar) {
            hi[rd] = 0;
        }
    }

    private double fpElem(int r, int i, boolean dbl) {
        return dbl ? Double.longBitsToDouble(elem(r, i, 3)) : Float.intBitsToFloat((int) elem(r, i, 2));
    }

    private void fpTwoRegMisc(int w, boolean q, boolean u, int size, int rd, int rn, boolean scalar) {
        int opcode = (w >>> 12) & 0x1f;
        boolean dbl = (size & 1) != 0;
        int a23 = size >>> 1;
        int sz = dbl ? 3 : 2;
        int elements = scalar ? 1 : (q ? 16 : 8) >>> sz;
        int op = (u ? 0x40 : 0) | (a23 << 5) | opcode;
        if (op == 0x16 || op == 0x56) { // FCVTN/FCVTXN (double -> single narrow), FCVTL (0x17)
            throw unimp(w);
        }
        if (op == 0x17) { // FCVTL/FCVTL2: single -> double from the lower/upper half
            if (!dbl) {
                throw unimp(w);
            }
            double a0 = Float.intBitsToFloat((int) elem(rn, q ? 2 : 0, 2));
            double a1 = Float.intBitsToFloat((int) elem(rn, q ? 3 : 1, 2));
            lo[rd] = Double.doubleToRawLongBits(a0);
            hi[rd] = Double.doubleToRawLongBits(a1);
            return;
        }
        if (dbl && !q && !scalar) {
            throw cpu.undefined();
        }
        clearScratch();
        for (int e = 0; e < elements; e++) {
            double a = fpElem(rn, e, dbl);
            long raw = elem(rn, e, sz);
            long res;
            switch (op) {
                case 0x2f -> res = raw & (dbl ? Long.MAX_VALUE : 0x7fffffffL); // FABS
                case 0x6f -> res = raw ^ (dbl ? Long.MIN_VALUE : 0x80000000L); // FNEG
                case 0x7f -> res = fpBits(Math.sqrt(a), dbl); // FSQRT
                case 0x1d -> res = fpBits((double) (dbl ? raw : (int) raw), dbl); // SCVTF
                case 0x5d -> res = fpBits(dbl ? unsignedToDouble(raw) : (double) raw, dbl); // UCVTF
                case 0x3b -> res = toInt(a < 0 ? Math.ceil(a) : Math.floor(a), false, dbl); // FCVTZS
                case 0x7b -> res = toInt(a < 0 ? Math.ceil(a) : Math.floor(a), true, dbl); // FCVTZU
                case 0x18 -> res = fpBits(Math.rint(a), dbl); // FRINTN
                case 0x19 -> res = fpBits(Math.floor(a), dbl); // FRINTM
                case 0x38 -> res = fpBits(Math.ceil(a), dbl); // FRINTP
                case 0x39 -> res = fpBits(a < 0 ? Math.ceil(a) : Math.floor(a), dbl); // FRINTZ
                case 0x58 -> res = fpBits(roundAway(a), dbl); // FRINTA
                case 0x2c -> res = a > 0 ? -1 : 0; // FCMGT #0
                case 0x6c -> res = a >= 0 ? -1 : 0; // FCMGE #0
                case 0x2d -> res = a == 0 ? -1 : 0; // FCMEQ #0
                case 0x6d -> res = a <= 0 ? -1 : 0; // FCMLE #0
                case 0x2e -> res = a < 0 ? -1 : 0; // FCMLT #0
                default -> throw unimp(w);
            }
            put(e, sz, res);
        }
        commit(rd, q);
        if (scalar) {
            hi[rd] = 0;
        }
    }

    private static long fpBits(double v, boolean dbl) {
        return dbl ? Double.doubleToRawLongBits(v) : Float.floatToRawIntBits((float) v) & 0xffffffffL;
    }

    private void fpAcross(int w, boolean q, boolean u, int size, int rd, int rn) {
        int opcode = (w >>> 12) & 0x1f;
        if (!u || !q || (size & 1) != 0) {
            throw unimp(w);
        }
        boolean min = (size & 2) != 0;
        double r = fpElem(rn, 0, false);
        for (int e = 1; e < 4; e++) {
            double v = fpElem(rn, e, false);
            r = opcode == 0x0c ? (min ? fminnm(r, v) : fmaxnm(r, v)) : (min ? fmin(r, v) : fmax(r, v));
        }
        setS(rd, (float) r);
    }
}
