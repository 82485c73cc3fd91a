package org.jqemu.hw.arm;

import java.util.List;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.machine.ShutdownCause;
import org.jqemu.target.arm.Aarch64Cpu;
import org.jqemu.target.arm.FirmwareCallHandler;

/**
 * The Power State Coordination Interface as the virt board's built-in firmware provides it to a
 * guest at EL1 through HVC (Arm DEN 0022D, "Arm Power State Coordination Interface", chapter 5
 * "PSCI functions"; calling convention SMC Calling Convention DEN 0028): function ID in w0,
 * arguments in x1-x3, result in x0. As QEMU's (target/arm/psci.c) it reports PSCI 1.1 and
 * implements PSCI_VERSION, CPU_SUSPEND (returns at once: a standby wake-up), CPU_OFF, CPU_ON,
 * AFFINITY_INFO, MIGRATE_INFO_TYPE (2: no Trusted OS to migrate), SYSTEM_OFF, SYSTEM_RESET and
 * PSCI_FEATURES; everything else, SMCCC queries included, answers NOT_SUPPORTED. SMC is not a
 * conduit here (the DTB says {@code method = "hvc"}), so it is left UNDEFINED to the CPU.
 */
public final class Psci implements FirmwareCallHandler {
    public static final int PSCI_VERSION = 0x8400_0000;
    public static final int CPU_SUSPEND_32 = 0x8400_0001;
    public static final int CPU_SUSPEND_64 = 0xc400_0001;
    public static final int CPU_OFF = 0x8400_0002;
    public static final int CPU_ON_32 = 0x8400_0003;
    public static final int CPU_ON_64 = 0xc400_0003;
    public static final int AFFINITY_INFO_32 = 0x8400_0004;
    public static final int AFFINITY_INFO_64 = 0xc400_0004;
    public static final int MIGRATE_32 = 0x8400_0005;
    public static final int MIGRATE_64 = 0xc400_0005;
    public static final int MIGRATE_INFO_TYPE = 0x8400_0006;
    public static final int SYSTEM_OFF = 0x8400_0008;
    public static final int SYSTEM_RESET = 0x8400_0009;
    public static final int PSCI_FEATURES = 0x8400_000a;

    public static final long SUCCESS = 0;
    public static final long NOT_SUPPORTED = -1;
    public static final long INVALID_PARAMETERS = -2;
    public static final long ALREADY_ON = -4;
    /** PSCI 1.1: major 1 in bits 31:16, minor 1. */
    public static final long VERSION_1_1 = 0x1_0001;
    /** AFFINITY_INFO results. */
    public static final long AFFINITY_ON = 0;
    public static final long AFFINITY_OFF = 1;

    /** What PSCI needs of a CPU: its affinity and its power switch. */
    public interface Core {
        long mpidr();

        boolean isPoweredOff();

        void powerOn(long entry, long contextId);

        void powerOff();

        static Core of(Aarch64Cpu cpu) {
            return new Core() {
                @Override
                public long mpidr() {
                    return cpu.mpidr();
                }

                @Override
                public boolean isPoweredOff() {
                    return cpu.isPoweredOff();
                }

                @Override
                public void powerOn(long entry, long contextId) {
                    cpu.powerOn(entry, contextId);
                }

                @Override
                public void powerOff() {
                    cpu.powerOff();
                }
            };
        }
    }

    private final Machine machine;
    private final List<Core> cpus;

    /** @param cpus the machine's CPUs, by index */
    public Psci(Machine machine, List<Core> cpus) {
        this.machine = machine;
        this.cpus = List.copyOf(cpus);
    }

    @Override
    public boolean call(Aarch64Cpu cpu, Conduit conduit, int imm16) {
        if (conduit != Conduit.HVC) {
            return false;
        }
        int function = (int) cpu.xreg(0);
        long result = dispatch(cpus.get(cpu.index()), function, cpu.xreg(1), cpu.xreg(2), cpu.xreg(3));
        cpu.setXreg(0, result);
        return true;
    }

    /** Runs function {@code function} for {@code caller}; returns what goes to x0. */
    long dispatch(Core caller, int function, long a1, long a2, long a3) {
        boolean smc32 = (function & 0x4000_0000) == 0;
        return switch (function) {
            case PSCI_VERSION -> VERSION_1_1;
            case CPU_SUSPEND_32, CPU_SUSPEND_64 -> SUCCESS;
            case CPU_OFF -> {
                caller.powerOff();
                yield SUCCESS;
            }
            case CPU_ON_32, CPU_ON_64 -> cpuOn(smc32 ? a1 & 0xffff_ffffL : a1,
                    smc32 ? a2 & 0xffff_ffffL : a2, smc32 ? a3 & 0xffff_ffffL : a3);
            case AFFINITY_INFO_32, AFFINITY_INFO_64 -> affinityInfo(smc32 ? a1 & 0xffff_ffffL : a1, a2);
            case MIGRATE_INFO_TYPE -> 2;
            case SYSTEM_OFF -> {
                machine.requestShutdown(ShutdownCause.GUEST_SHUTDOWN);
                caller.powerOff();
                yield SUCCESS;
            }
            case SYSTEM_RESET -> {
                // The call does not return: the caller stops here, and the reset (on the main
                // loop, once this vCPU has left guest code) starts the boot CPU afresh.
                caller.powerOff();
                machine.requestReset(ShutdownCause.GUEST_RESET);
                yield SUCCESS;
            }
            case PSCI_FEATURES -> features((int) a1);
            default -> {
                if (machine.log().unimp) {
                    machine.log().unimplemented("PSCI: function 0x%08x not supported", function);
                }
                yield NOT_SUPPORTED;
            }
        };
    }

    private static long features(int function) {
        return switch (function) {
            case PSCI_VERSION, CPU_SUSPEND_32, CPU_SUSPEND_64, CPU_OFF, CPU_ON_32, CPU_ON_64,
                    AFFINITY_INFO_32, AFFINITY_INFO_64, MIGRATE_INFO_TYPE, SYSTEM_OFF, SYSTEM_RESET,
                    PSCI_FEATURES -> SUCCESS;
            default -> NOT_SUPPORTED;
        };
    }

    /** The CPU whose MPIDR affinity fields (Aff3-Aff0) equal {@code mpidr}'s, or null. */
    private Core byMpidr(long mpidr) {
        long want = mpidr & 0xff_00ff_ffffL;
        for (Core c : cpus) {
            if ((c.mpidr() & 0xff_00ff_ffffL) == want) {
                return c;
            }
        }
        return null;
    }

    private long cpuOn(long target, long entry, long context) {
        Core c = byMpidr(target);
        if (c == null) {
            return INVALID_PARAMETERS;
        }
        if (!c.isPoweredOff()) {
            return ALREADY_ON;
        }
        c.powerOn(entry, context);
        return SUCCESS;
    }

    private long affinityInfo(long target, long level) {
        if (level != 0) {
            return INVALID_PARAMETERS; // only level 0 (one CPU), as QEMU
        }
        Core c = byMpidr(target);
        if (c == null) {
            return INVALID_PARAMETERS;
        }
        return c.isPoweredOff() ? AFFINITY_OFF : AFFINITY_ON;
    }
}
