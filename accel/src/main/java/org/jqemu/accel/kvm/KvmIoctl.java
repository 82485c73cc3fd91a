package org.jqemu.accel.kvm;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.ValueLayout;

/**
 * The ioctls jqemu issues, each named after its {@code <linux/kvm.h>} macro and encoded as the
 * kernel's {@code _IO/_IOR/_IOW/_IOWR} do: direction in bits 30..31, argument size in bits
 * 16..29, the KVM type {@value #KVMIO} in bits 8..15 and the command number in bits 0..7. The
 * argument size comes from the Java layout of the argument, so a layout that drifts from the
 * kernel's also changes the number — and the layout test catches both.
 */
public enum KvmIoctl {
    // on the /dev/kvm fd
    KVM_GET_API_VERSION(Dir.NONE, 0x00, null),
    KVM_CREATE_VM(Dir.NONE, 0x01, null),
    KVM_CHECK_EXTENSION(Dir.NONE, 0x03, null),
    KVM_GET_VCPU_MMAP_SIZE(Dir.NONE, 0x04, null),
    KVM_GET_SUPPORTED_CPUID(Dir.READ_WRITE, 0x05, KvmStructs.KVM_CPUID2),
    // on a VM fd
    KVM_CREATE_VCPU(Dir.NONE, 0x41, null),
    KVM_SET_USER_MEMORY_REGION(Dir.WRITE, 0x46, KvmStructs.KVM_USERSPACE_MEMORY_REGION),
    KVM_SET_TSS_ADDR(Dir.NONE, 0x47, null),
    KVM_SET_IDENTITY_MAP_ADDR(Dir.WRITE, 0x48, ValueLayout.JAVA_LONG),
    KVM_CREATE_IRQCHIP(Dir.NONE, 0x60, null),
    KVM_IRQ_LINE(Dir.WRITE, 0x61, KvmStructs.KVM_IRQ_LEVEL),
    KVM_GET_IRQCHIP(Dir.READ_WRITE, 0x62, KvmStructs.KVM_IRQCHIP),
    KVM_SET_IRQCHIP(Dir.READ, 0x63, KvmStructs.KVM_IRQCHIP), // sic: _IOR in the header
    KVM_SET_GSI_ROUTING(Dir.WRITE, 0x6a, KvmStructs.KVM_IRQ_ROUTING),
    KVM_CREATE_PIT2(Dir.WRITE, 0x77, KvmStructs.KVM_PIT_CONFIG),
    KVM_GET_PIT2(Dir.READ, 0x9f, KvmStructs.KVM_PIT_STATE2),
    KVM_SET_PIT2(Dir.WRITE, 0xa0, KvmStructs.KVM_PIT_STATE2),
    KVM_SIGNAL_MSI(Dir.WRITE, 0xa5, KvmStructs.KVM_MSI),
    // on a vCPU fd
    KVM_RUN(Dir.NONE, 0x80, null),
    KVM_GET_REGS(Dir.READ, 0x81, KvmStructs.KVM_REGS),
    KVM_SET_REGS(Dir.WRITE, 0x82, KvmStructs.KVM_REGS),
    KVM_GET_SREGS(Dir.READ, 0x83, KvmStructs.KVM_SREGS),
    KVM_SET_SREGS(Dir.WRITE, 0x84, KvmStructs.KVM_SREGS),
    KVM_GET_MSRS(Dir.READ_WRITE, 0x88, KvmStructs.KVM_MSRS),
    KVM_SET_MSRS(Dir.WRITE, 0x89, KvmStructs.KVM_MSRS),
    KVM_SET_SIGNAL_MASK(Dir.WRITE, 0x8b, KvmStructs.KVM_SIGNAL_MASK),
    KVM_GET_FPU(Dir.READ, 0x8c, KvmStructs.KVM_FPU),
    KVM_SET_FPU(Dir.WRITE, 0x8d, KvmStructs.KVM_FPU),
    KVM_GET_LAPIC(Dir.READ, 0x8e, KvmStructs.KVM_LAPIC_STATE),
    KVM_SET_LAPIC(Dir.WRITE, 0x8f, KvmStructs.KVM_LAPIC_STATE),
    KVM_SET_CPUID2(Dir.WRITE, 0x90, KvmStructs.KVM_CPUID2),
    KVM_GET_MP_STATE(Dir.READ, 0x98, KvmStructs.KVM_MP_STATE),
    KVM_SET_MP_STATE(Dir.WRITE, 0x99, KvmStructs.KVM_MP_STATE),
    KVM_SET_TSC_KHZ(Dir.NONE, 0xa2, null),
    KVM_GET_TSC_KHZ(Dir.NONE, 0xa3, null);

    /** The ioctl type byte of every KVM request. */
    public static final int KVMIO = 0xAE;

    enum Dir {
        NONE(0), WRITE(1), READ(2), READ_WRITE(3);

        final int bits;

        Dir(int bits) {
            this.bits = bits;
        }
    }

    private final long number;

    KvmIoctl(Dir dir, int nr, MemoryLayout argument) {
        long size = argument == null ? 0 : argument.byteSize();
        this.number = ((long) dir.bits << 30) | (size << 16) | ((long) KVMIO << 8) | nr;
    }

    /** The request number passed to ioctl(2). */
    public long number() {
        return number;
    }
}
