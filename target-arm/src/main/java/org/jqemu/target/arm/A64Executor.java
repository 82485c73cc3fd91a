package org.jqemu.target.arm;

import java.util.ArrayList;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.jqemu.accel.tcg.BlockCache;
import org.jqemu.accel.tcg.CodePageMap;

/**
 * The tcg execution engine of one AArch64 CPU: finds or builds the block at PC, runs its
 * instructions through the {@link A64Interpreter}, and turns faults into exception entry.
 *
 * <p>A block is the run of instruction words from its start up to the first instruction of the
 * "branches, exception generating and system" group (which may change PC, EL, the MMU or the
 * interrupt masks), the end of the page, or 64 instructions. Blocks live in accel/tcg's
 * {@link BlockCache} keyed by guest-physical address (A64 decoding does not depend on any mode
 * bit; privilege is checked at execution), and {@link CodePageMap} drops them when their page is
 * written. Each block remembers its last successor with the TLB generation it was found under,
 * so a hot loop skips the code-TLB lookup and the hash probe.
 */
final class A64Executor implements CodePageMap.Listener {
    private static final int MAX_INSNS = 64;

    static final class Block {
        final long phys;
        final int[] words;
        boolean valid = true;
        Block next;
        long nextPc = -1;
        int nextGen;
        int nextEl;

        Block(long phys, int[] words) {
            this.phys = phys;
            this.words = words;
        }
    }

    private final Aarch64Cpu cpu;
    private final A64Interpreter interp;
    private final CodePageMap codePages;
    private final BlockCache<Block> cache = new BlockCache<>(4096);
    private final BlockCache<ArrayList<Block>> byPage = new BlockCache<>(256);
    private final ConcurrentLinkedQueue<Long> foreignInvalidations = new ConcurrentLinkedQueue<>();
    private volatile boolean foreignPending;
    private volatile Thread owner;
    private Block last;
    long insnCount;

    A64Executor(Aarch64Cpu cpu) {
        this.cpu = cpu;
        this.interp = new A64Interpreter(cpu);
        this.codePages = cpu.codePages;
        codePages.addListener(this);
    }

    void flushAll() {
        cache.clear();
        byPage.clear();
        last = null;
    }

    void bindThread() {
        owner = Thread.currentThread();
        drainInvalidations();
    }

    boolean foreignPending() {
        return foreignPending;
    }

    void drainInvalidations() {
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
                cache.remove(b.phys);
            }
        }
        last = null;
    }

    /** Runs blocks until the CPU needs the outer loop (exit request, interrupt, halt) or faulted. */
    void runBlocks() {
        A64Interpreter x = interp;
        Aarch64Cpu c = cpu;
        try {
            do {
                Block b = nextBlock();
                int[] w = b.words;
                int n = 0;
                for (int i = 0; i < w.length; i++) {
                    c.nextPc = c.pc + 4;
                    n++;
                    x.exec(w[i]);
                    c.pc = c.nextPc;
                    if (!b.valid) {
                        break;
                    }
                }
                insnCount += n;
                last = b.valid ? b : null;
            } while (!c.needsAttention());
        } catch (ArmFault f) {
            last = null;
            c.deliverFault();
        }
    }

    private Block nextBlock() {
        Aarch64Cpu c = cpu;
        long pc = c.pc;
        int gen = c.mmu.generation;
        Block p = last;
        if (p != null && p.nextPc == pc && p.nextGen == gen && p.nextEl == c.el && p.next.valid) {
            return p.next;
        }
        if ((pc & 3) != 0) {
            c.faultFar = pc;
            c.faultHasFar = true;
            c.faultEc = Aarch64Cpu.EC_PC_ALIGN;
            c.faultIss = 0;
            throw ArmFault.INSTANCE;
        }
        long phys = c.mmu.translateCode(pc);
        Block b = cache.get(phys);
        if (b == null) {
            b = translate(phys);
        }
        if (p != null) {
            p.next = b;
            p.nextPc = pc;
            p.nextGen = gen;
            p.nextEl = c.el;
        }
        return b;
    }

    private Block translate(long phys) {
        int[] buf = new int[MAX_INSNS];
        int n = 0;
        long a = phys;
        while (n < MAX_INSNS) {
            int w = (int) c().mmu.readPhys(a, 4);
            buf[n++] = w;
            a += 4;
            // branches, exception generation and system instructions end a block
            if ((w & 0x1c00_0000) == 0x1400_0000 || (a & 0xfff) == 0) {
                break;
            }
        }
        Block b = new Block(phys, java.util.Arrays.copyOf(buf, n));
        cache.put(phys, b);
        long pn = phys >>> 12;
        ArrayList<Block> l = byPage.get(pn);
        if (l == null) {
            l = new ArrayList<>();
            byPage.put(pn, l);
        }
        l.add(b);
        if (codePages.mark(phys)) {
            cpu.mmu.protectCodePage(phys & ~0xfffL);
        }
        return b;
    }

    private Aarch64Cpu c() {
        return cpu;
    }
}
