package org.jqemu.hw.intc;

import org.jqemu.system.cpu.Cpu;
import org.jqemu.system.device.Device;
import org.jqemu.system.irq.IrqLine;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.memory.MemoryOps;

/**
 * The Arm Generic Interrupt Controller, architecture version 2, without the Security Extensions
 * (ARM IHI 0048B.b, "ARM Generic Interrupt Controller Architecture Specification version 2.0"),
 * as QEMU's {@code arm_gic} on the virt board: a distributor (chapter 4.3, "Distributor register
 * descriptions") and one CPU interface per CPU (4.4, "CPU interface register descriptions").
 *
 * <p>Interrupt IDs: 0-15 SGIs (software generated, raised through GICD_SGIR, pending per source
 * CPU), 16-31 PPIs (private: one banked copy per CPU, e.g. the generic timer), 32 and up SPIs
 * (shared, routed by GICD_ITARGETSR to one or more CPUs; the first CPU to acknowledge gets it).
 * Banked state (enable, pending, active, group, priority, configuration) of IDs 0-31 lives in one
 * copy per CPU; register accesses reach the copy of the CPU that makes the access.
 *
 * <p>Pending model (3.2.4 "Interrupt handling state machine"): an edge-triggered input latches
 * pending on its rising edge; a level-sensitive input is pending while its line is high or while
 * software set it pending. Acknowledging (GICC_IAR) clears the latch and makes the interrupt
 * active; an active interrupt is not signalled again until deactivated (GICC_EOIR, or GICC_DIR
 * when GICC_CTLR.EOImodeNS splits priority drop from deactivation). A CPU's IRQ line is high
 * while its highest-priority pending, enabled, targeted and not active interrupt has a priority
 * numerically below GICC_PMR and its group priority (GICC_BPR) below the running priority of
 * the interrupts it has acknowledged and not yet completed. Group 0 interrupts go to FIQ when
 * GICC_CTLR.FIQEn is set, everything else to IRQ. All 8 priority bits are implemented.
 *
 * <p>Register widths: the distributor is byte-addressable as QEMU's (wider accesses are split);
 * GICD_SGIR and the CPU interface are word registers.
 */
public final class Gicv2 implements Device {
    public static final int SGI_COUNT = 16;
    public static final int PRIVATE_COUNT = 32;
    public static final int SPURIOUS = 1023;
    /** Size of the distributor and of the CPU interface register frames (GICC_DIR is at 0x1000). */
    public static final int DIST_SIZE = 0x1000;
    public static final int CPU_IF_SIZE = 0x2000;

    // Distributor registers (4.3).
    static final int GICD_CTLR = 0x000;
    static final int GICD_TYPER = 0x004;
    static final int GICD_IIDR = 0x008;
    static final int GICD_IGROUPR = 0x080;
    static final int GICD_ISENABLER = 0x100;
    static final int GICD_ICENABLER = 0x180;
    static final int GICD_ISPENDR = 0x200;
    static final int GICD_ICPENDR = 0x280;
    static final int GICD_ISACTIVER = 0x300;
    static final int GICD_ICACTIVER = 0x380;
    static final int GICD_IPRIORITYR = 0x400;
    static final int GICD_ITARGETSR = 0x800;
    static final int GICD_ICFGR = 0xc00;
    static final int GICD_SGIR = 0xf00;
    static final int GICD_CPENDSGIR = 0xf10;
    static final int GICD_SPENDSGIR = 0xf20;
    /** Peripheral and component ID bytes at 0xFD0-0xFFC, as QEMU's GICv2 reports them. */
    private static final int[] ID_BYTES = {0x04, 0x00, 0x00, 0x00, 0x90, 0xb4, 0x2b, 0x00, 0x0d, 0xf0, 0x05, 0xb1};

    // CPU interface registers (4.4).
    static final int GICC_CTLR = 0x00;
    static final int GICC_PMR = 0x04;
    static final int GICC_BPR = 0x08;
    static final int GICC_IAR = 0x0c;
    static final int GICC_EOIR = 0x10;
    static final int GICC_RPR = 0x14;
    static final int GICC_HPPIR = 0x18;
    static final int GICC_ABPR = 0x1c;
    static final int GICC_AIAR = 0x20;
    static final int GICC_AEOIR = 0x24;
    static final int GICC_AHPPIR = 0x28;
    static final int GICC_APR0 = 0xd0;
    static final int GICC_NSAPR0 = 0xe0;
    static final int GICC_IIDR = 0xfc;
    static final int GICC_DIR = 0x1000;

    static final int CTLR_ENABLE_GRP0 = 1;
    static final int CTLR_ENABLE_GRP1 = 2;
    static final int CPU_CTLR_FIQ_EN = 1 << 3;
    static final int CPU_CTLR_EOI_MODE = 1 << 9;
    static final int CPU_CTLR_MASK = 0x26f; // EnableGrp0/1, AckCtl, FIQEn, CBPR, FIQ/IRQBypDis, EOImodeNS
    static final int IDLE_PRIORITY = 0x100;

    private final Machine machine;
    private final String id;
    private final int numIrq;
    private final int numCpu;

    // Per-interrupt state, indexed by slot(): cpu * 32 + id for IDs 0-31, then one slot per SPI.
    private final boolean[] enabled;
    private final boolean[] latch;
    private final boolean[] active;
    private final boolean[] level;
    private final boolean[] edge;
    private final boolean[] group1;
    private final int[] priority;
    /** SPI target CPU masks (GICD_ITARGETSR), by SPI slot. */
    private final int[] targets;
    /** Pending SGIs: [target cpu][sgi] = bit mask of source CPUs. */
    private final int[][] sgiSources;

    private int distCtlr;
    private final int[] cpuCtlr;
    private final int[] pmr;
    private final int[] bpr;
    private final int[] abpr;
    /** Acknowledged, not yet priority-dropped interrupts per CPU: IDs (with SGI source) and group priorities. */
    private final int[][] runningId;
    private final int[][] runningPrio;
    private final int[] runningDepth;

    private final IrqLine[] irqOut;
    private final IrqLine[] fiqOut;
    private final boolean[] irqState;
    private final boolean[] fiqState;
    private final IrqLine[] spiInputs;
    private final IrqLine[][] ppiInputs;

    /**
     * @param numIrq interrupt IDs implemented, a multiple of 32 from 64 to 1020 (QEMU virt: 288)
     * @param numCpu CPU interfaces, 1-8
     */
    public Gicv2(Machine machine, String id, int numIrq, int numCpu) {
        if (numIrq < 64 || numIrq > 1020 || numIrq % 32 != 0 || numCpu < 1 || numCpu > 8) {
            throw new IllegalArgumentException("GICv2 with " + numIrq + " interrupts and " + numCpu + " CPUs");
        }
        this.machine = machine;
        this.id = id;
        this.numIrq = numIrq;
        this.numCpu = numCpu;
        int slots = numCpu * PRIVATE_COUNT + (numIrq - PRIVATE_COUNT);
        enabled = new boolean[slots];
        latch = new boolean[slots];
        active = new boolean[slots];
        level = new boolean[slots];
        edge = new boolean[slots];
        group1 = new boolean[slots];
        priority = new int[slots];
        targets = new int[slots];
        sgiSources = new int[numCpu][SGI_COUNT];
        cpuCtlr = new int[numCpu];
        pmr = new int[numCpu];
        bpr = new int[numCpu];
        abpr = new int[numCpu];
        runningId = new int[numCpu][numIrq + SGI_COUNT * numCpu];
        runningPrio = new int[numCpu][numIrq + SGI_COUNT * numCpu];
        runningDepth = new int[numCpu];
        irqOut = new IrqLine[numCpu];
        fiqOut = new IrqLine[numCpu];
        irqState = new boolean[numCpu];
        fiqState = new boolean[numCpu];
        java.util.Arrays.fill(irqOut, IrqLine.NONE);
        java.util.Arrays.fill(fiqOut, IrqLine.NONE);
        spiInputs = new IrqLine[numIrq - PRIVATE_COUNT];
        for (int i = 0; i < spiInputs.length; i++) {
            int intid = PRIVATE_COUNT + i;
            spiInputs[i] = l -> setInput(0, intid, l);
        }
        ppiInputs = new IrqLine[numCpu][PRIVATE_COUNT - SGI_COUNT];
        for (int c = 0; c < numCpu; c++) {
            for (int i = 0; i < PRIVATE_COUNT - SGI_COUNT; i++) {
                int cpu = c;
                int intid = SGI_COUNT + i;
                ppiInputs[c][i] = l -> setInput(cpu, intid, l);
            }
        }
        reset();
    }

    @Override
    public String id() {
        return id;
    }

    public int numIrq() {
        return numIrq;
    }

    public int numCpu() {
        return numCpu;
    }

    /** Connects CPU interface {@code cpu}'s outputs to the CPU's IRQ and FIQ inputs. */
    public synchronized void connectCpu(int cpu, IrqLine irq, IrqLine fiq) {
        irqOut[cpu] = irq;
        fiqOut[cpu] = fiq;
        irqState[cpu] = false;
        fiqState[cpu] = false;
        update();
    }

    /** The input of shared peripheral interrupt {@code n} (interrupt ID 32 + n). */
    public IrqLine spi(int n) {
        return spiInputs[n];
    }

    /** The input of private peripheral interrupt ID {@code intid} (16-31) of CPU {@code cpu}. */
    public IrqLine ppi(int cpu, int intid) {
        return ppiInputs[cpu][intid - SGI_COUNT];
    }

    /** Makes an SPI pending as an edge would, whatever its configuration: a GICv2m MSI write. */
    public synchronized void raiseEdge(int intid) {
        if (intid >= PRIVATE_COUNT && intid < numIrq) {
            latch[slot(0, intid)] = true;
            update();
        }
    }

    private int slot(int cpu, int intid) {
        return intid < PRIVATE_COUNT ? cpu * PRIVATE_COUNT + intid : numCpu * PRIVATE_COUNT + intid - PRIVATE_COUNT;
    }

    private synchronized void setInput(int cpu, int intid, boolean l) {
        int s = slot(cpu, intid);
        if (level[s] == l) {
            return;
        }
        level[s] = l;
        if (l && edge[s]) {
            latch[s] = true;
        }
        update();
    }

    @Override
    public synchronized void reset() {
        java.util.Arrays.fill(enabled, false);
        java.util.Arrays.fill(latch, false);
        java.util.Arrays.fill(active, false);
        java.util.Arrays.fill(edge, false);
        java.util.Arrays.fill(group1, false);
        java.util.Arrays.fill(priority, 0);
        java.util.Arrays.fill(targets, 0);
        for (int c = 0; c < numCpu; c++) {
            java.util.Arrays.fill(sgiSources[c], 0);
            for (int i = 0; i < SGI_COUNT; i++) {
                // SGIs are always enabled and edge-triggered in this implementation (QEMU's too).
                enabled[slot(c, i)] = true;
                edge[slot(c, i)] = true;
            }
            cpuCtlr[c] = 0;
            pmr[c] = 0;
            bpr[c] = 0;
            abpr[c] = 1;
            runningDepth[c] = 0;
        }
        distCtlr = 0;
        update();
    }

    // ---- interrupt selection -----------------------------------------------------------------

    private boolean pending(int cpu, int intid) {
        if (intid < SGI_COUNT) {
            return sgiSources[cpu][intid] != 0;
        }
        int s = slot(cpu, intid);
        return latch[s] || (!edge[s] && level[s]);
    }

    private boolean groupEnabledInDistributor(int s) {
        return (distCtlr & (group1[s] ? CTLR_ENABLE_GRP1 : CTLR_ENABLE_GRP0)) != 0;
    }

    /** The highest-priority interrupt pending, enabled and not active for {@code cpu}, or SPURIOUS. */
    private int highestPending(int cpu) {
        int best = SPURIOUS;
        int bestPrio = IDLE_PRIORITY;
        for (int intid = 0; intid < numIrq; intid++) {
            int s = slot(cpu, intid);
            if (!enabled[s] || active[s] || priority[s] >= bestPrio || !groupEnabledInDistributor(s)) {
                continue;
            }
            if (intid >= PRIVATE_COUNT && (targets[s] & (1 << cpu)) == 0) {
                continue;
            }
            if (pending(cpu, intid)) {
                best = intid;
                bestPrio = priority[s];
            }
        }
        return best;
    }

    private int groupPriority(int cpu, int prio) {
        int mask = (0xff << (bpr[cpu] + 1)) & 0xff;
        return prio & mask;
    }

    private int runningPriority(int cpu) {
        int r = IDLE_PRIORITY;
        for (int i = 0; i < runningDepth[cpu]; i++) {
            r = Math.min(r, runningPrio[cpu][i]);
        }
        return r;
    }

    /** True when {@code intid} (pending for {@code cpu}) may interrupt that CPU now. */
    private boolean canSignal(int cpu, int intid) {
        if (intid == SPURIOUS) {
            return false;
        }
        int s = slot(cpu, intid);
        int grpBit = group1[s] ? CTLR_ENABLE_GRP1 : CTLR_ENABLE_GRP0;
        return (cpuCtlr[cpu] & grpBit) != 0
                && priority[s] < pmr[cpu]
                && groupPriority(cpu, priority[s]) < runningPriority(cpu);
    }

    private void update() {
        for (int c = 0; c < numCpu; c++) {
            int best = highestPending(c);
            boolean irq = false;
            boolean fiq = false;
            if (canSignal(c, best)) {
                boolean toFiq = !group1[slot(c, best)] && (cpuCtlr[c] & CPU_CTLR_FIQ_EN) != 0;
                fiq = toFiq;
                irq = !toFiq;
            }
            if (irq != irqState[c]) {
                irqState[c] = irq;
                irqOut[c].set(irq);
            }
            if (fiq != fiqState[c]) {
                fiqState[c] = fiq;
                fiqOut[c].set(fiq);
            }
        }
    }

    /** True while CPU interface {@code cpu} asserts its IRQ output. */
    public synchronized boolean irqAsserted(int cpu) {
        return irqState[cpu];
    }

    // ---- CPU interface -------------------------------------------------------------------------

    private int acknowledge(int cpu) {
        int intid = highestPending(cpu);
        if (!canSignal(cpu, intid)) {
            return SPURIOUS;
        }
        int s = slot(cpu, intid);
        int value = intid;
        if (intid < SGI_COUNT) {
            int src = Integer.numberOfTrailingZeros(sgiSources[cpu][intid]);
            sgiSources[cpu][intid] &= ~(1 << src);
            value |= src << 10;
        } else {
            latch[s] = false;
        }
        active[s] = true;
        int d = runningDepth[cpu];
        if (d < runningId[cpu].length) {
            runningId[cpu][d] = value;
            runningPrio[cpu][d] = groupPriority(cpu, priority[s]);
            runningDepth[cpu] = d + 1;
        } else {
            // Only a guest that clears active bits behind the CPU interface's back gets here.
            bad("CPU %d acknowledged more interrupts than it completed; priority drop of %d lost", cpu, intid);
        }
        update();
        return value;
    }

    private void endOfInterrupt(int cpu, int value) {
        int intid = value & 0x3ff;
        if (intid >= numIrq) {
            return; // spurious IDs: ignored
        }
        // Priority drop: the most recent matching acknowledge.
        boolean found = false;
        for (int i = runningDepth[cpu] - 1; i >= 0; i--) {
            int r = runningId[cpu][i];
            if ((r & 0x3ff) == intid && (intid >= SGI_COUNT || r == (value & 0x1fff))) {
                System.arraycopy(runningId[cpu], i + 1, runningId[cpu], i, runningDepth[cpu] - i - 1);
                System.arraycopy(runningPrio[cpu], i + 1, runningPrio[cpu], i, runningDepth[cpu] - i - 1);
                runningDepth[cpu]--;
                found = true;
                break;
            }
        }
        if (!found && machine.log().guestErrors) {
            machine.log().guestError("%s: EOI of interrupt %d, which CPU %d has not acknowledged", id, intid, cpu);
        }
        if ((cpuCtlr[cpu] & CPU_CTLR_EOI_MODE) == 0) {
            active[slot(cpu, intid)] = false;
        }
        update();
    }

    private synchronized long cpuRead(int cpu, int offset) {
        return switch (offset) {
            case GICC_CTLR -> cpuCtlr[cpu];
            case GICC_PMR -> pmr[cpu];
            case GICC_BPR -> bpr[cpu];
            case GICC_ABPR -> abpr[cpu];
            case GICC_IAR, GICC_AIAR -> acknowledge(cpu);
            case GICC_RPR -> Math.min(runningPriority(cpu), 0xff);
            case GICC_HPPIR, GICC_AHPPIR -> {
                int h = highestPending(cpu);
                if (h < SGI_COUNT) {
                    h |= Integer.numberOfTrailingZeros(sgiSources[cpu][h]) << 10;
                }
                yield h;
            }
            case GICC_IIDR -> 0x0002_043bL;
            default -> {
                if (offset >= GICC_APR0 && offset < GICC_NSAPR0 + 0x10) {
                    yield 0;
                }
                bad("read of unknown CPU interface register 0x%x", offset);
                yield 0;
            }
        };
    }

    private synchronized void cpuWrite(int cpu, int offset, int value) {
        switch (offset) {
            case GICC_CTLR -> cpuCtlr[cpu] = value & CPU_CTLR_MASK;
            case GICC_PMR -> pmr[cpu] = value & 0xff;
            case GICC_BPR -> bpr[cpu] = value & 7;
            case GICC_ABPR -> abpr[cpu] = Math.max(1, value & 7);
            case GICC_EOIR, GICC_AEOIR -> endOfInterrupt(cpu, value);
            case GICC_DIR -> {
                int intid = value & 0x3ff;
                if (intid < numIrq) {
                    active[slot(cpu, intid)] = false;
                }
            }
            default -> {
                if (offset >= GICC_APR0 && offset < GICC_NSAPR0 + 0x10) {
                    return;
                }
                bad("write of 0x%x to unknown or read-only CPU interface register 0x%x", value, offset);
            }
        }
        update();
    }

    // ---- distributor ---------------------------------------------------------------------------

    /** Interrupt ID of bit {@code bit} of the bitmap byte at {@code offset - base}. */
    private static int bitmapIrq(int offset, int base, int bit) {
        return (offset - base) * 8 + bit;
    }

    private int distReadByte(int cpu, int offset) {
        if (offset < 0x80) {
            return switch (offset & ~3) {
                case GICD_CTLR -> byteOf(distCtlr, offset);
                case GICD_TYPER -> byteOf(((numCpu - 1) << 5) | (numIrq / 32 - 1), offset);
                case GICD_IIDR -> byteOf(0x43b, offset);
                default -> 0;
            };
        }
        if (offset >= GICD_IGROUPR && offset < GICD_ISPENDR + 0x200) {
            int base = offset & ~0x7f;
            int v = 0;
            for (int b = 0; b < 8; b++) {
                int intid = bitmapIrq(offset, base, b);
                if (intid >= numIrq) {
                    break;
                }
                int s = slot(cpu, intid);
                boolean bit = switch (base) {
                    case GICD_IGROUPR -> group1[s];
                    case GICD_ISENABLER, GICD_ICENABLER -> enabled[s];
                    case GICD_ISPENDR, GICD_ICPENDR -> pending(cpu, intid);
                    default -> active[s];
                };
                v |= bit ? 1 << b : 0;
            }
            return v;
        }
        if (offset >= GICD_IPRIORITYR && offset < GICD_IPRIORITYR + numIrq) {
            return priority[slot(cpu, offset - GICD_IPRIORITYR)];
        }
        if (offset >= GICD_ITARGETSR && offset < GICD_ITARGETSR + numIrq) {
            int intid = offset - GICD_ITARGETSR;
            return intid < PRIVATE_COUNT ? 1 << cpu : targets[slot(cpu, intid)];
        }
        if (offset >= GICD_ICFGR && offset < GICD_ICFGR + numIrq / 4) {
            int v = 0;
            for (int i = 0; i < 4; i++) {
                int intid = (offset - GICD_ICFGR) * 4 + i;
                v |= edge[slot(cpu, intid)] ? 2 << (2 * i) : 0;
            }
            return v;
        }
        if (offset >= GICD_CPENDSGIR && offset < GICD_SPENDSGIR + 0x10) {
            return sgiSources[cpu][offset & 0xf];
        }
        if (offset >= 0xfd0 && offset < DIST_SIZE) {
            return ID_BYTES[(offset - 0xfd0) >> 2] * ((offset & 3) == 0 ? 1 : 0);
        }
        return 0;
    }

    private static int byteOf(int v, int offset) {
        return (v >>> (8 * (offset & 3))) & 0xff;
    }

    private void distWriteByte(int cpu, int offset, int v) {
        if (offset < 0x80) {
            if ((offset & ~3) == GICD_CTLR && (offset & 3) == 0) {
                distCtlr = v & (CTLR_ENABLE_GRP0 | CTLR_ENABLE_GRP1);
            }
            return;
        }
        if (offset >= GICD_IGROUPR && offset < GICD_ISPENDR + 0x200) {
            int base = offset & ~0x7f;
            for (int b = 0; b < 8; b++) {
                int intid = bitmapIrq(offset, base, b);
                if (intid >= numIrq) {
                    break;
                }
                boolean bit = (v & (1 << b)) != 0;
                int s = slot(cpu, intid);
                switch (base) {
                    case GICD_IGROUPR -> group1[s] = bit;
                    case GICD_ISENABLER -> enabled[s] |= bit;
                    case GICD_ICENABLER -> enabled[s] &= !bit || intid < SGI_COUNT;
                    case GICD_ISPENDR -> {
                        if (bit && intid >= SGI_COUNT) {
                            latch[s] = true;
                        }
                    }
                    case GICD_ICPENDR -> {
                        if (bit && intid >= SGI_COUNT) {
                            latch[s] = false;
                        }
                    }
                    case GICD_ISACTIVER -> active[s] |= bit;
                    default -> active[s] &= !bit;
                }
            }
            return;
        }
        if (offset >= GICD_IPRIORITYR && offset < GICD_IPRIORITYR + numIrq) {
            priority[slot(cpu, offset - GICD_IPRIORITYR)] = v & 0xff;
            return;
        }
        if (offset >= GICD_ITARGETSR && offset < GICD_ITARGETSR + numIrq) {
            int intid = offset - GICD_ITARGETSR;
            if (intid >= PRIVATE_COUNT) {
                targets[slot(cpu, intid)] = v & ((1 << numCpu) - 1);
            }
            return;
        }
        if (offset >= GICD_ICFGR && offset < GICD_ICFGR + numIrq / 4) {
            for (int i = 0; i < 4; i++) {
                int intid = (offset - GICD_ICFGR) * 4 + i;
                if (intid >= SGI_COUNT) {
                    edge[slot(cpu, intid)] = (v & (2 << (2 * i))) != 0;
                }
            }
            return;
        }
        if (offset >= GICD_CPENDSGIR && offset < GICD_CPENDSGIR + 0x10) {
            sgiSources[cpu][offset & 0xf] &= ~v;
            return;
        }
        if (offset >= GICD_SPENDSGIR && offset < GICD_SPENDSGIR + 0x10) {
            sgiSources[cpu][offset & 0xf] |= v & ((1 << numCpu) - 1);
            return;
        }
        bad("write of 0x%x to read-only or reserved distributor byte 0x%x", v, offset);
    }

    /** GICD_SGIR: software generated interrupt from {@code cpu} (4.3.15). */
    private void sendSgi(int cpu, int value) {
        int sgi = value & 0xf;
        int filter = (value >>> 24) & 3;
        int list = switch (filter) {
            case 0 -> (value >>> 16) & 0xff;
            case 1 -> ((1 << numCpu) - 1) & ~(1 << cpu);
            case 2 -> 1 << cpu;
            default -> 0;
        };
        for (int t = 0; t < numCpu; t++) {
            if ((list & (1 << t)) != 0) {
                sgiSources[t][sgi] |= 1 << cpu;
            }
        }
    }

    private synchronized long distRead(int cpu, int offset, int size) {
        long v = 0;
        for (int i = 0; i < size; i++) {
            v |= (long) distReadByte(cpu, offset + i) << (8 * i);
        }
        return v;
    }

    private synchronized void distWrite(int cpu, int offset, int size, long value) {
        if (offset == GICD_SGIR) {
            if (size == 4) {
                sendSgi(cpu, (int) value);
            } else {
                bad("GICD_SGIR written with a %d-byte access", size);
            }
        } else {
            for (int i = 0; i < size; i++) {
                distWriteByte(cpu, offset + i, (int) (value >>> (8 * i)) & 0xff);
            }
        }
        update();
    }

    private void bad(String format, Object... args) {
        if (machine.log().guestErrors) {
            machine.log().guestError(id + ": " + format, args);
        }
    }

    /** Index of the CPU making the current access (CPU 0 outside a vCPU thread). */
    private int currentCpu() {
        Cpu c = machine.currentCpu();
        return c == null ? 0 : Math.min(c.index(), numCpu - 1);
    }

    /** The distributor frame, banked by the CPU that makes the access. */
    public MemoryOps distributor() {
        return new MemoryOps() {
            @Override
            public long read(long offset, int size) {
                return distRead(currentCpu(), (int) offset, size);
            }

            @Override
            public void write(long offset, int size, long value) {
                distWrite(currentCpu(), (int) offset, size, value);
            }
        };
    }

    /** The distributor as CPU {@code cpu} sees it (tests, and CPUs with private views). */
    public MemoryOps distributor(int cpu) {
        return new MemoryOps() {
            @Override
            public long read(long offset, int size) {
                return distRead(cpu, (int) offset, size);
            }

            @Override
            public void write(long offset, int size, long value) {
                distWrite(cpu, (int) offset, size, value);
            }
        };
    }

    /** The CPU interface frame of the CPU that makes the access. */
    public MemoryOps cpuInterface() {
        return new MemoryOps() {
            @Override
            public long read(long offset, int size) {
                return cpuRead(currentCpu(), (int) offset & ~3);
            }

            @Override
            public void write(long offset, int size, long value) {
                cpuWrite(currentCpu(), (int) offset & ~3, (int) value);
            }
        };
    }

    /** CPU interface {@code cpu}, whoever accesses it. */
    public MemoryOps cpuInterface(int cpu) {
        return new MemoryOps() {
            @Override
            public long read(long offset, int size) {
                return cpuRead(cpu, (int) offset & ~3);
            }

            @Override
            public void write(long offset, int size, long value) {
                cpuWrite(cpu, (int) offset & ~3, (int) value);
            }
        };
    }
}
