package org.jqemu.hw.pc;

import org.jqemu.accel.kvm.KvmIrqChip;
import org.jqemu.hw.isa.IsaBus;
import org.jqemu.system.irq.IrqLine;

/**
 * The pc board's interrupt wiring when KVM emulates the interrupt controllers (KVM_CREATE_IRQCHIP):
 * ISA IRQ n is the kernel's GSI n. The kernel's routing table (set up by the x86 KVM glue as QEMU
 * sets it) then does what the emulated board's wiring does: IRQ n reaches 8259 pin n and I/O APIC
 * pin n, IRQ 0 reaches I/O APIC pin 2, and IRQ 2 is the cascade. PCI INTx arrive here through
 * the PIIX3's PIRQ routing to ISA IRQs; MSIs go to {@link KvmIrqChip#msi} (KVM_SIGNAL_MSI).
 */
final class KvmPcIrqChip {
    private KvmPcIrqChip() {}

    /** The 16 ISA interrupt lines, each driving its GSI. */
    static IrqLine[] isaIrqs(KvmIrqChip chip) {
        IrqLine[] irqs = new IrqLine[IsaBus.IRQ_COUNT];
        for (int i = 0; i < irqs.length; i++) {
            irqs[i] = chip.gsi(i);
        }
        return irqs;
    }
}
