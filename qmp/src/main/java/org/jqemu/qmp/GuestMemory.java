package org.jqemu.qmp;

import org.jqemu.system.cpu.Cpu;
import org.jqemu.system.machine.Machine;

/**
 * Guest memory as the monitor reads it: physical addresses ({@code xp}, {@code pmemsave}) or a
 * CPU's virtual addresses ({@code x}, {@code memsave}), translated page by page without touching
 * the guest's page tables. Reads take the machine lock, since device registers may be behind an
 * address.
 */
interface GuestMemory {
    long PAGE = 4096;

    /** Fills {@code buf[0, len)} from {@code addr}; false when part of the range is unmapped. */
    boolean read(long addr, byte[] buf, int len);

    static GuestMemory physical(Machine m) {
        return (addr, buf, len) -> {
            readPhysical(m, addr, buf, 0, len);
            return true;
        };
    }

    static GuestMemory virtual(Machine m, Cpu cpu) {
        return (addr, buf, len) -> {
            int done = 0;
            while (done < len) {
                long va = addr + done;
                int n = (int) Math.min(len - done, PAGE - (va & (PAGE - 1)));
                long pa;
                m.lock();
                try {
                    pa = cpu.translate(va);
                } finally {
                    m.unlock();
                }
                if (pa < 0) {
                    return false;
                }
                readPhysical(m, pa, buf, done, n);
                done += n;
            }
            return true;
        };
    }

    private static void readPhysical(Machine m, long addr, byte[] buf, int off, int len) {
        m.lock();
        try {
            m.memory().readBytes(addr, buf, off, len);
        } finally {
            m.unlock();
        }
    }
}
