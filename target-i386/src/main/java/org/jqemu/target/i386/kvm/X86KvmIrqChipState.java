package org.jqemu.target.i386.kvm;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.jqemu.accel.kvm.KvmConstants;
import org.jqemu.accel.kvm.KvmIoctl;
import org.jqemu.accel.kvm.KvmStructs;
import org.jqemu.accel.kvm.KvmVm;

/**
 * A snapshot of the in-kernel 8259 pair, IOAPIC and 8254 (KVM_GET_IRQCHIP, KVM_GET_PIT2). Taken
 * right after they are created, it is their power-on state; restoring it is how a system reset
 * resets them, as QEMU's kvm-i8259/kvm-ioapic/kvm-pit devices do on reset. (The local APICs are
 * per vCPU: {@link X86KvmRegisters} restores those.)
 */
final class X86KvmIrqChipState {
    private static final int[] CHIPS = {
        KvmConstants.KVM_IRQCHIP_PIC_MASTER, KvmConstants.KVM_IRQCHIP_PIC_SLAVE, KvmConstants.KVM_IRQCHIP_IOAPIC,
    };
    private static final long CHIP_ID = KvmStructs.offset(KvmStructs.KVM_IRQCHIP, "chip_id");

    private final KvmVm vm;
    private final MemorySegment[] chips = new MemorySegment[CHIPS.length];
    private final MemorySegment pit;

    private X86KvmIrqChipState(KvmVm vm, Arena arena, boolean withPit) {
        this.vm = vm;
        for (int i = 0; i < CHIPS.length; i++) {
            chips[i] = arena.allocate(KvmStructs.KVM_IRQCHIP);
            chips[i].set(ValueLayout.JAVA_INT, CHIP_ID, CHIPS[i]);
            vm.ioctl(KvmIoctl.KVM_GET_IRQCHIP, chips[i]);
        }
        if (withPit) {
            pit = arena.allocate(KvmStructs.KVM_PIT_STATE2);
            vm.ioctl(KvmIoctl.KVM_GET_PIT2, pit);
        } else {
            pit = null;
        }
    }

    /** Reads the current state of the chips (and the PIT when the kernel has one). */
    static X86KvmIrqChipState capture(KvmVm vm, Arena arena, boolean withPit) {
        return new X86KvmIrqChipState(vm, arena, withPit);
    }

    /** Puts the captured state back (KVM_SET_IRQCHIP per chip, KVM_SET_PIT2). */
    void restore() {
        for (MemorySegment chip : chips) {
            vm.ioctl(KvmIoctl.KVM_SET_IRQCHIP, chip);
        }
        if (pit != null) {
            vm.ioctl(KvmIoctl.KVM_SET_PIT2, pit);
        }
    }
}
