package org.jqemu.target.arm;

import org.jqemu.system.clock.Timer;
import org.jqemu.system.irq.IrqLine;

/**
 * The generic timer of one CPU (Arm ARM D11): the system counter, read as CNTPCT_EL0 and
 * CNTVCT_EL0 (CNTVOFF is 0 without EL2), runs at {@link Aarch64Cpu#CNTFRQ_HZ} from the machine's
 * virtual clock; the EL1 physical and the virtual timer each have CTL (ENABLE, IMASK, ISTATUS),
 * CVAL and the 32-bit signed TVAL view, and drive a level-sensitive output line:
 * ENABLE and not IMASK and counter &ge; CVAL.
 */
final class GenericTimer {
    static final int PHYS = 0, VIRT = 1;
    /** Counter ticks per nanosecond as a shift: 62.5 MHz is exactly one tick per 16 ns. */
    private static final int NS_SHIFT = 4;

    private final Aarch64Cpu cpu;
    private final long[] ctl = new long[2];
    private final long[] cval = new long[2];
    private final IrqLine[] out = {IrqLine.NONE, IrqLine.NONE};
    private final boolean[] level = new boolean[2];
    private final Timer[] deadline = new Timer[2];
    long cntkctl;

    GenericTimer(Aarch64Cpu cpu) {
        this.cpu = cpu;
        deadline[PHYS] = cpu.machine.newTimer("cpu" + cpu.index() + "-cntp", () -> update(PHYS));
        deadline[VIRT] = cpu.machine.newTimer("cpu" + cpu.index() + "-cntv", () -> update(VIRT));
    }

    void connect(IrqLine phys, IrqLine virt) {
        out[PHYS] = phys == null ? IrqLine.NONE : phys;
        out[VIRT] = virt == null ? IrqLine.NONE : virt;
    }

    void reset() {
        for (int t = 0; t < 2; t++) {
            ctl[t] = 0;
            cval[t] = 0;
            deadline[t].cancel();
            if (level[t]) {
                level[t] = false;
                setLine(t, false);
            }
        }
        cntkctl = 0;
    }

    long counter() {
        return cpu.machine.clock().nanos() >>> NS_SHIFT;
    }

    long readCtl(int t) {
        long c = ctl[t] & 3;
        if ((c & 1) != 0 && counter() >= cval[t]) {
            c |= 4;
        }
        return c;
    }

    long readCval(int t) {
        return cval[t];
    }

    long readTval(int t) {
        return (int) (cval[t] - counter()) & 0xffffffffL;
    }

    void writeCtl(int t, long v) {
        ctl[t] = v & 3;
        changed(t);
    }

    void writeCval(int t, long v) {
        cval[t] = v;
        changed(t);
    }

    void writeTval(int t, long v) {
        cval[t] = counter() + (int) v;
        changed(t);
    }

    /** A register write from the vCPU thread: the GIC is updated under the machine lock. */
    private void changed(int t) {
        cpu.machine.lock();
        try {
            update(t);
        } finally {
            cpu.machine.unlock();
        }
    }

    /** Recomputes the output and arms the deadline (machine lock held). */
    private void update(int t) {
        boolean enabled = (ctl[t] & 1) != 0;
        boolean fired = enabled && counter() >= cval[t];
        boolean lvl = fired && (ctl[t] & 2) == 0;
        if (lvl != level[t]) {
            level[t] = lvl;
            setLine(t, lvl);
        }
        if (enabled && !fired) {
            long c = cval[t];
            // a deadline beyond ~292 years of guest time never fires
            long ns = c >= (Long.MAX_VALUE >>> NS_SHIFT) ? Long.MAX_VALUE : c << NS_SHIFT;
            deadline[t].modNs(ns);
        } else {
            deadline[t].cancel();
        }
    }

    private void setLine(int t, boolean l) {
        out[t].set(l);
    }
}
