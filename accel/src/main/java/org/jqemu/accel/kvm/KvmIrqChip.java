package org.jqemu.accel.kvm;

import org.jqemu.system.irq.IrqLine;

/**
 * The in-kernel interrupt controllers of a KVM VM as a board sees them: one {@link IrqLine} per
 * global system interrupt (GSI) input, each driving KVM_IRQ_LINE. On x86 with KVM_CREATE_IRQCHIP,
 * GSIs 0..15 reach both the 8259 pair and IOAPIC pins 0..15 (KVM's default routing) and 16..23
 * only the IOAPIC. A board running under {@code kvm} finds this with
 * {@code machine.component(KvmIrqChip.class)} and, when present, wires its devices' interrupt
 * outputs here instead of creating interrupt-controller models of its own.
 */
public final class KvmIrqChip {
    private final KvmVm vm;
    private final int gsiCount;
    private final boolean pitInKernel;
    private final IrqLine[] lines;

    public KvmIrqChip(KvmVm vm, int gsiCount, boolean pitInKernel) {
        this.vm = vm;
        this.gsiCount = gsiCount;
        this.pitInKernel = pitInKernel;
        this.lines = new IrqLine[gsiCount];
        for (int i = 0; i < gsiCount; i++) {
            int gsi = i;
            lines[i] = level -> vm.setIrqLine(gsi, level);
        }
    }

    /** The line into GSI {@code n}. */
    public IrqLine gsi(int n) {
        return lines[n];
    }

    public int gsiCount() {
        return gsiCount;
    }

    /**
     * True when the kernel also emulates the 8254 PIT (ports 0x40..0x43, its IRQ 0 and the port
     * 0x61 speaker gate): the board must then not map a PIT model of its own on those ports.
     */
    public boolean pitInKernel() {
        return pitInKernel;
    }

    public KvmVm vm() {
        return vm;
    }
}
