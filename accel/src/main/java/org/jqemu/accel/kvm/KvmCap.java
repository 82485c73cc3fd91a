package org.jqemu.accel.kvm;

/**
 * The KVM capabilities jqemu checks with KVM_CHECK_EXTENSION, named after their
 * {@code KVM_CAP_*} macros (the layout test compares each number with the header).
 */
public enum KvmCap {
    KVM_CAP_IRQCHIP(0),
    KVM_CAP_HLT(1),
    KVM_CAP_USER_MEMORY(3),
    KVM_CAP_SET_TSS_ADDR(4),
    KVM_CAP_EXT_CPUID(7),
    KVM_CAP_NR_MEMSLOTS(10),
    KVM_CAP_SYNC_MMU(16),
    KVM_CAP_DESTROY_MEMORY_REGION_WORKS(21),
    KVM_CAP_IRQ_ROUTING(25),
    KVM_CAP_JOIN_MEMORY_REGIONS_WORKS(30),
    KVM_CAP_READONLY_MEM(81),
    KVM_CAP_PIT2(33),
    KVM_CAP_SET_IDENTITY_MAP_ADDR(37),
    KVM_CAP_TSC_CONTROL(60),
    KVM_CAP_GET_TSC_KHZ(61),
    KVM_CAP_SIGNAL_MSI(77),
    KVM_CAP_IMMEDIATE_EXIT(136);

    private final int number;

    KvmCap(int number) {
        this.number = number;
    }

    public int number() {
        return number;
    }
}
