package org.jqemu.accel.kvm;

import org.jqemu.system.irq.IrqLine;

/**
 * The in-kernel interrupt controllers of a KVM VM as a board sees them: one {@link IrqLine} per
 * global system interrupt (GSI) input, each driving KVM_IRQ_LINE, and {@link #msi} for message
 * signalled interrupts (KVM_SIGNAL_MSI). On x86 the routing is QEMU's: GSIs 0..15 reach the 8259
 * pair, and the IOAPIC's pins 0..23 except that GSI 0 (the PIT) is IOAPIC pin 2 and GSI 2 is the
 * 8259 cascade only — the same wiring the emulated {@code pc} board has. A board running under
 * {@code kvm} finds this with {@code machine.component(KvmIrqChip.class)} and, when present, wires
 * its devices' interrupt outputs here instead of creating interrupt-controller models of its own.
 */
public final class KvmIrqChip {
    /** Where interrupts go: the VM's ioctls, or a recorder in board tests without /dev/kvm. */
    public interface Kernel {
        void setIrqLine(int gsi, boolean level);

        void signalMsi(long address, int data);
    }

    private final Kernel kernel;
    private final int gsiCount;
    private final boolean pitInKernel;
    private final IrqLine[] lines;

    public KvmIrqChip(KvmVm vm, int gsiCount, boolean pitInKernel) {
        this(new Kernel() {
            @Override
            public void setIrqLine(int gsi, boolean level) {
                vm.setIrqLine(gsi, level);
            }

            @Override
            public void signalMsi(long address, int data) {
                vm.signalMsi(address, data);
            }
        }, gsiCount, pitInKernel);
    }

    public KvmIrqChip(Kernel kernel, int gsiCount, boolean pitInKernel) {
        this.kernel = kernel;
        this.gsiCount = gsiCount;
        this.pitInKernel = pitInKernel;
        this.lines = new IrqLine[gsiCount];
        for (int i = 0; i < gsiCount; i++) {
            int gsi = i;
            lines[i] = level -> kernel.setIrqLine(gsi, level);
        }
    }

    /** The line into GSI {@code n}. */
    public IrqLine gsi(int n) {
        return lines[n];
    }

    /** A message signalled interrupt, as a PCI device's MSI write. */
    public void msi(long address, int data) {
        kernel.signalMsi(address, data);
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
}
