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
 * written. Each block remembers its two last successors with the TLB generation they were found under,
 * so a hot loop skips the code-TLB lookup and the hash probe.
 */
final class A64Executor implements CodePageMap.Listener {
    private static final int MAX_INSNS = 64;

    static final class Block {
        final long phys;
        final int[] words;
        boolean valid = true;
        // the two most recent successors (taken and fall-through of the final branch)
        Block next0, next1;
        long nextPc0 = -1, nextPc1 = -1;
        int nextGen0, nextGen1;
        int nextEl0, nextEl1;

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
        if (p != null) {
            if (p.nextPc0 == pc && p.nextGen0 == gen && p.nextEl0 == c.el && p.next0.valid) {
                return p.next0;
            }
            if (p.nextPc1 == pc && p.nextGen1 == gen && p.nextEl1 == c.el && p.next1.valid) {
                return p.next1;
            }
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
            // the two most recently used successors: the older one moves to slot 1
            p.next1 = p.next0;
            p.nextPc1 = p.nextPc0;
            p.nextGen1 = p.nextGen0;
            p.nextEl1 = p.nextEl0;
            p.next0 = b;
            p.nextPc0 = pc;
            p.nextGen0 = gen;
            p.nextEl0 = c.el;
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
            // other CPUs may hold fast-path write entries for this page (the kernel's linear
            // map lives long): they must take the slow path now so their stores drop our blocks
            for (var other : cpu.machine.cpus()) {
                if (other != cpu && other instanceof Aarch64Cpu peer) {
                    peer.requestTlbFlush();
                }
            }
        }
        return b;
    }

    private Aarch64Cpu c() {
        return cpu;
    }
}
