package org.jqemu.accel.kvm;

/**
 * Numeric constants of {@code <linux/kvm.h>} that jqemu uses, each named exactly as its C macro
 * (the layout test compares every {@code public static final} field here with the header).
 */
public final class KvmConstants {
    private KvmConstants() {}

    /** The only API version there has ever been (and the only one jqemu speaks). */
    public static final int KVM_API_VERSION = 12;

    // exit reasons (kvm_run.exit_reason)
    public static final int KVM_EXIT_UNKNOWN = 0;
    public static final int KVM_EXIT_EXCEPTION = 1;
    public static final int KVM_EXIT_IO = 2;
    public static final int KVM_EXIT_HYPERCALL = 3;
    public static final int KVM_EXIT_DEBUG = 4;
    public static final int KVM_EXIT_HLT = 5;
    public static final int KVM_EXIT_MMIO = 6;
    public static final int KVM_EXIT_IRQ_WINDOW_OPEN = 7;
    public static final int KVM_EXIT_SHUTDOWN = 8;
    public static final int KVM_EXIT_FAIL_ENTRY = 9;
    public static final int KVM_EXIT_INTR = 10;
    public static final int KVM_EXIT_NMI = 16;
    public static final int KVM_EXIT_INTERNAL_ERROR = 17;
    public static final int KVM_EXIT_SYSTEM_EVENT = 24;

    public static final int KVM_EXIT_IO_IN = 0;
    public static final int KVM_EXIT_IO_OUT = 1;

    public static final int KVM_SYSTEM_EVENT_SHUTDOWN = 1;
    public static final int KVM_SYSTEM_EVENT_RESET = 2;
    public static final int KVM_SYSTEM_EVENT_CRASH = 3;

    public static final int KVM_INTERNAL_ERROR_EMULATION = 1;
    public static final int KVM_INTERNAL_ERROR_SIMUL_EX = 2;
    public static final int KVM_INTERNAL_ERROR_DELIVERY_EV = 3;
    public static final int KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON = 4;

    public static final int KVM_MEM_READONLY = 2;
    public static final int KVM_PIT_SPEAKER_DUMMY = 1;
    public static final int KVM_PIT_FLAGS_HPET_LEGACY = 1;

    public static final int KVM_IRQCHIP_PIC_MASTER = 0;
    public static final int KVM_IRQCHIP_PIC_SLAVE = 1;
    public static final int KVM_IRQCHIP_IOAPIC = 2;
    public static final int KVM_IRQ_ROUTING_IRQCHIP = 1;
    public static final int KVM_IRQ_ROUTING_MSI = 2;

    public static final int KVM_MP_STATE_RUNNABLE = 0;
    public static final int KVM_MP_STATE_UNINITIALIZED = 1;

    /** A human name for an exit reason, for error messages ("KVM_EXIT_SHUTDOWN (8)"). */
    public static String exitReasonName(int reason) {
        for (var f : KvmConstants.class.getFields()) {
            String n = f.getName();
            if (n.startsWith("KVM_EXIT_") && !n.startsWith("KVM_EXIT_IO_") && f.getType() == int.class) {
                try {
                    if (f.getInt(null) == reason) {
                        return n + " (" + reason + ")";
                    }
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return "exit reason " + reason;
    }

    /** A human name for a KVM_EXIT_INTERNAL_ERROR sub-error. */
    public static String internalErrorName(int suberror) {
        return switch (suberror) {
            case KVM_INTERNAL_ERROR_EMULATION -> "emulation failure";
            case KVM_INTERNAL_ERROR_SIMUL_EX -> "simultaneous exceptions";
            case KVM_INTERNAL_ERROR_DELIVERY_EV -> "event delivery failed";
            case KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON -> "unexpected exit reason";
            default -> "sub-error " + suberror;
        };
    }
}
