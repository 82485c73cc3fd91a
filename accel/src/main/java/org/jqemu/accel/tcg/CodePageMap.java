package org.jqemu.accel.tcg;

import java.util.concurrent.CopyOnWriteArrayList;
import org.jqemu.system.machine.Machine;

/**
 * Which guest-physical pages hold translated code, for one machine. Every vCPU of the machine
 * shares it, and so do DMA engines and loaders: a write to a marked page invalidates the
 * translations of that page in every CPU, which is how self-modifying code and code loaded over
 * old code keep working.
 *
 * <p>The test a store makes ({@link #contains}) is one array load and a bit test. The map covers
 * the first 4 GiB of guest-physical space with a fixed bitmap and keeps a small overflow flag for
 * anything above, so it never needs resizing.
 */
public final class CodePageMap {
    /** Told which page lost its code; drops every block that was decoded from it. */
    @FunctionalInterface
    public interface Listener {
        void invalidatePage(long physPage);
    }

    public static final int PAGE_SHIFT = 12;
    private static final long LOW_PAGES = 1L << (32 - PAGE_SHIFT);

    private final long[] bits = new long[(int) (LOW_PAGES >>> 6)];
    private final CopyOnWriteArrayList<Listener> listeners = new CopyOnWriteArrayList<>();
    /** Code above 4 GiB is rare (none on a 32-bit PC); any write up there just checks listeners. */
    private volatile boolean highCode;

    /** The map of {@code machine}, created on first use and hooked to its RAM write observer. */
    public static CodePageMap of(Machine machine) {
        synchronized (machine) {
            CodePageMap map = machine.component(CodePageMap.class);
            if (map == null) {
                map = new CodePageMap();
                machine.putComponent(CodePageMap.class, map);
                CodePageMap m = map;
                machine.memory().setRamWriteObserver(m::invalidate);
            }
            return map;
        }
    }

    public void addListener(Listener l) {
        listeners.add(l);
    }

    public void removeListener(Listener l) {
        listeners.remove(l);
    }

    /** True when the page of {@code physAddr} holds translated code. */
    public boolean contains(long physAddr) {
        long page = physAddr >>> PAGE_SHIFT;
        if (page < LOW_PAGES) {
            return (bits[(int) (page >>> 6)] & (1L << page)) != 0;
        }
        return highCode;
    }

    /** Marks the page of {@code physAddr} as holding code; returns true if it was not marked. */
    public boolean mark(long physAddr) {
        long page = physAddr >>> PAGE_SHIFT;
        if (page >= LOW_PAGES) {
            boolean was = highCode;
            highCode = true;
            return !was;
        }
        int w = (int) (page >>> 6);
        long bit = 1L << page;
        if ((bits[w] & bit) != 0) {
            return false;
        }
        bits[w] |= bit;
        return true;
    }

    /** A write hit {@code physAddr}: if its page holds code, every CPU drops that page's blocks. */
    public void invalidate(long physAddr) {
        if (!contains(physAddr)) {
            return;
        }
        long page = physAddr >>> PAGE_SHIFT;
        if (page < LOW_PAGES) {
            bits[(int) (page >>> 6)] &= ~(1L << page);
        }
        for (Listener l : listeners) {
            l.invalidatePage(page << PAGE_SHIFT);
        }
    }

    /** Forgets every mark (after the CPUs flushed all their blocks, for example at reset). */
    public void clear() {
        java.util.Arrays.fill(bits, 0);
        highCode = false;
    }
}
