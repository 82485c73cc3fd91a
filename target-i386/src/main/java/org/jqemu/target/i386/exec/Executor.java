package org.jqemu.target.i386.exec;

import java.util.ArrayList;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.jqemu.accel.tcg.BlockCache;
import org.jqemu.accel.tcg.CodePageMap;
import org.jqemu.target.i386.X86Cpu;
import org.jqemu.target.i386.X86Fault;
import org.jqemu.target.i386.decode.Decoder;
import org.jqemu.target.i386.decode.Insn;

/**
 * The tcg execution engine of one x86 CPU: finds or builds the decoded block at CS:EIP, runs it
 * through the {@link Interpreter}, and turns guest faults into exception delivery.
 *
 * <p>Blocks are keyed by guest-physical address plus CS.D (the only mode bit that changes how
 * bytes decode; privilege and paging rules are checked at execution time). Each block remembers
 * two successors — the fall-through and the taken branch of its last instruction — so a hot loop
 * skips the hash lookup and code-TLB translation: a cached successor is reused only while the
 * MMU's TLB generation, CS base and CPL are unchanged and the block is still valid.
 */
public final class Executor implements CodePageMap.Listener {
    private static final int MAX_INSNS = 64;
    private static final long CODE32_KEY = 1L << 62;
    private static final long CODE64_KEY = 1L << 61;

    private final X86Cpu cpu;
    private final Interpreter interp;
    private final CodePageMap codePages;
    private final BlockCache<Block> cache = new BlockCache<>(4096);
    /** Blocks by physical page number, for invalidation. */
    private final BlockCache<ArrayList<Block>> byPage = new BlockCache<>(256);
    private final ConcurrentLinkedQueue<Long> foreignInvalidations = new ConcurrentLinkedQueue<>();
    private volatile boolean foreignPending;
    private volatile Thread owner;

    private Block last;

    /*
     * The jump cache: blocks by linear PC (direct-mapped), for block entries the successor links
     * miss (returns, indirect jumps and calls). An entry holds while the MMU's TLB generation and
     * the CPL are those it was made at, so it never skips a translation or permission check that
     * would now give another answer.
     */
    private static final int JC_BITS = 12;
    private static final int JC_SIZE = 1 << JC_BITS;
    private final long[] jcLin = new long[JC_SIZE];
    private final int[] jcGen = new int[JC_SIZE];
    private final int[] jcCpl = new int[JC_SIZE];
    private final Block[] jcBlock = new Block[JC_SIZE];
    private long lastCsBase;
    private int lastCpl;

    // scratch for the decoder's byte source
    private long fetchLin;
    private long fetchPhys;
    private long fetchPage2 = -1;
    private boolean fetchAllowPage2;
    private boolean fetchCode64;
    private final Insn scratch = new Insn();
    private final Decoder.ByteSource source = this::fetchByte;

    /** Instructions executed, for speed measurements. */
    public long insnCount;

    public Executor(X86Cpu cpu, Flags flags, CodePageMap codePages) {
        this.cpu = cpu;
        this.interp = new Interpreter(cpu, flags);
        this.codePages = codePages;
        codePages.addListener(this);
    }

    public Interpreter interpreter() {
        return interp;
    }

    /** True while the one-instruction interrupt shadow (STI, MOV SS, POP SS) is active. */
    public boolean irqInhibited() {
        return interp.inhibitIrq;
    }

    public void clearIrqInhibit() {
        interp.inhibitIrq = false;
    }

    /** Forgets every translation (reset). */
    public void flushAll() {
        cache.clear();
        byPage.clear();
        java.util.Arrays.fill(jcBlock, null);
        last = null;
    }

    public void bindThread() {
        owner = Thread.currentThread();
        drainInvalidations();
    }

    public boolean foreignPending() {
        return foreignPending;
    }

    public void drainInvalidations() {
        if (foreignPending) {
            foreignPending = false;
            Long p;
            while ((p = foreignInvalidations.poll()) != null) {
                dropPage(p);
            }
        }
    }

    @Override
    public void invalidatePage(long physPage) {
        if (Thread.currentThread() == owner || owner == null) {
            dropPage(physPage);
        } else {
            foreignInvalidations.add(physPage);
            foreignPending = true;
            cpu.requestExit();
        }
    }

    private void dropPage(long physPage) {
        long pn = physPage >>> 12;
        ArrayList<Block> list = byPage.get(pn);
        if (list == null) {
            return;
        }
        byPage.remove(pn);
        for (Block b : list) {
            if (b.valid) {
                b.valid = false;
                cache.remove(b.key);
            }
        }
        last = null;
    }

    // ---- running --------------------------------------------------------------------------

    /**
     * Runs blocks until something needs the outer loop's attention (an exit request, a pending
     * interrupt, a halt, an interrupt shadow, a debug trap) or a fault was delivered.
     */
    public void runBlocks() {
        Interpreter x = interp;
        try {
            do {
                Block b = nextBlock();
                Insn[] insns = b.insns;
                long ipMask = b.code64 ? -1L : b.code32 ? 0xffffffffL : 0xffffL;
                boolean tf = (cpu.eflags & 0x100) != 0;
                x.watch = (cpu.dr[7] & 0xff) != 0;
                CompiledBlock cb = b.compiled;
                if (cb != null && !tf && !x.watch) {
                    int r = cb.run(x, insns, b);
                    b.execCount++;
                    last = b.valid ? b : null;
                    if (r < 0) {
                        insnCount -= r;
                        return;
                    }
                    insnCount += r;
                    continue;
                }
                if (b.execCount == jitThreshold) {
                    compile(b);
                }
                int n = 0;
                boolean brk = false;
                for (Insn i : insns) {
                    long start = cpu.rip;
                    x.insnStart = start;
                    cpu.rip = (start + i.len) & ipMask;
                    n++;
                    x.exec(i);
                    if (tf || x.dbHits != 0) {
                        debugTrap(i, tf);
                        brk = true;
                        break;
                    }
                    if (x.stop || !b.valid) {
                        x.stop = false;
                        brk = true;
                        break;
                    }
                }
                insnCount += n;
                b.execCount++;
                last = b.valid ? b : null;
                if (brk) {
                    return;
                }
            } while (!cpu.halted && !cpu.needsAttention());
        } catch (X86Fault f) {
            last = null;
            x.stop = false;
            x.dbHits = 0;
            cpu.rip = x.insnStart;
            cpu.intr.deliver(f.vector, false, f.errorCode, cpu.rip);
        }
    }

    /**
     * The #DB trap after an instruction: single step (TF was set when it started; BS) and data
     * breakpoint hits (B0-B3). INT n/INT3/INTO clear TF on entry and report no step trap.
     */
    private void debugTrap(Insn i, boolean tf) {
        Interpreter x = interp;
        x.stop = false;
        int op = i.opc;
        boolean softInt = op == 0xcc || op == 0xcd || op == 0xce || op == 0xf1;
        long bits = x.dbHits;
        if (tf && !softInt) {
            bits |= 0x4000;
        }
        x.dbHits = 0;
        if (bits != 0) {
            cpu.dr[6] |= bits;
            cpu.intr.deliver(1, false, -1, cpu.rip);
        }
    }

    /**
     * Executions after which a block is compiled to bytecode: -Djqemu.jit.threshold when the CPU
     * is created (0 = before its first run, negative = never).
     */
    private final int jitThreshold = Integer.getInteger("jqemu.jit.threshold", 2000);
    private static final System.Logger LOG = System.getLogger(Executor.class.getName());
    /** Blocks compiled (for measurements). */
    public long compiledBlocks;

    private void compile(Block b) {
        try {
            b.compiled = BlockCompiler.compile(b);
            compiledBlocks++;
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            // A translator bug must not stop the guest: the block stays interpreted.
            LOG.log(System.Logger.Level.WARNING, "tier-2 translation failed; interpreting the block", e);
        }
    }

    private Block nextBlock() {
        long csBase = cpu.segBase[X86Cpu.CS];
        long eip = cpu.rip;
        interp.insnStart = eip;
        int gen = cpu.mmu.tlbGeneration;
        Block p = last;
        boolean code64 = cpu.code64();
        boolean code32 = code64 || (cpu.segAttr[X86Cpu.CS] & 0x4000) != 0;
        if (p != null && csBase == lastCsBase && cpu.cpl == lastCpl) {
            Block c0 = p.chain0;
            if (p.chainEip0 == eip && p.chainGen0 == gen && p.chainCs0 == csBase && c0.valid && c0.code32 == code32
                    && c0.code64 == code64) {
                return c0;
            }
            Block c1 = p.chain1;
            if (p.chainEip1 == eip && p.chainGen1 == gen && p.chainCs1 == csBase && c1.valid && c1.code32 == code32
                    && c1.code64 == code64) {
                return c1;
            }
        }
        long lin;
        if (code64) {
            lin = eip;
            if (((lin << 16) >> 16) != lin) {
                throw cpu.intr.fault(13, 0);
            }
        } else {
            lin = (csBase + eip) & 0xffffffffL;
        }
        int cpl = cpu.cpl;
        int j = jumpSlot(lin);
        Block b = jcBlock[j];
        if (b == null || jcLin[j] != lin || jcGen[j] != gen || jcCpl[j] != cpl || !b.valid || b.code32 != code32
                || b.code64 != code64) {
            long phys = cpu.mmu.translateCode(lin);
            long key = phys | (code64 ? CODE64_KEY : code32 ? CODE32_KEY : 0);
            b = cache.get(key);
            if (b == null || (b.page2 >= 0 && cpu.mmu.translateCode(nextPage(lin, code64)) != b.page2)) {
                b = translate(lin, phys, code32, code64, key);
            }
            // Both translations above ran at this TLB generation and privilege, so the entry
            // stays right until either changes (as the successor links below).
            jcLin[j] = lin;
            jcGen[j] = cpu.mmu.tlbGeneration;
            jcCpl[j] = cpl;
            jcBlock[j] = b;
        }
        if (p != null) {
            // remember as a successor of the previous block (round robin over two slots)
            if (p.chainEip0 == -1 || (p.chainEip1 != -1 && p.chainEip0 != eip)) {
                p.chainEip0 = eip;
                p.chainGen0 = gen;
                p.chainCs0 = csBase;
                p.chain0 = b;
            } else {
                p.chainEip1 = eip;
                p.chainGen1 = gen;
                p.chainCs1 = csBase;
                p.chain1 = b;
            }
        }
        lastCsBase = csBase;
        lastCpl = cpu.cpl;
        return b;
    }

    private static int jumpSlot(long lin) {
        return (int) (lin ^ (lin >>> JC_BITS)) & (JC_SIZE - 1);
    }

    private static long nextPage(long lin, boolean code64) {
        long n = (lin | 0xfff) + 1;
        return code64 ? n : n & 0xffffffffL;
    }

    private int fetchByte(int off) {
        long lin = fetchLin + off;
        if (((lin ^ fetchLin) & ~0xfffL) == 0) {
            return cpu.machine().memory().read8(fetchPhys + off);
        }
        if (!fetchAllowPage2) {
            throw PageEnd.INSTANCE;
        }
        if (fetchPage2 < 0) {
            fetchPage2 = cpu.mmu.translateCode(fetchCode64 ? lin & ~0xfffL : lin & 0xfffff000L);
        }
        return cpu.machine().memory().read8(fetchPage2 + (lin & 0xfff));
    }

    /** Thrown by the byte source when a later instruction would cross into the next page. */
    private static final class PageEnd extends RuntimeException {
        static final PageEnd INSTANCE = new PageEnd();

        PageEnd() {
            super(null, null, false, false);
        }
    }

    private Block translate(long lin, long phys, boolean code32, boolean code64, long key) {
        fetchCode64 = code64;
        ArrayList<Insn> list = new ArrayList<>();
        long pageEnd = (lin | 0xfff) + 1;
        long cur = lin;
        long curPhys = phys;
        fetchPage2 = -1;
        long page2 = -1;
        while (list.size() < MAX_INSNS) {
            fetchLin = cur;
            fetchPhys = curPhys;
            fetchAllowPage2 = list.isEmpty();
            Insn i = new Insn();
            try {
                Decoder.decode(source, code32, code64, i);
            } catch (PageEnd e) {
                break;
            }
            list.add(i);
            if (fetchPage2 >= 0) {
                page2 = fetchPage2;
                break;
            }
            cur += i.len;
            curPhys += i.len;
            if (i.endsBlock || cur >= pageEnd) {
                break;
            }
        }
        Block b = new Block(key, phys, page2, code32, code64, list.toArray(new Insn[0]));
        cache.put(key, b);
        register(b, phys);
        if (page2 >= 0) {
            register(b, page2);
        }
        return b;
    }

    private void register(Block b, long physAddr) {
        long pn = physAddr >>> 12;
        ArrayList<Block> l = byPage.get(pn);
        if (l == null) {
            l = new ArrayList<>();
            byPage.put(pn, l);
        }
        l.add(b);
        if (codePages.mark(physAddr)) {
            cpu.mmu.protectCodePage(physAddr & ~0xfffL);
        }
    }
}
