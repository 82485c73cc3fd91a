package org.jqemu.target.i386.kvm;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.util.EnumSet;
import java.util.Set;
import org.jqemu.accel.kvm.Kvm;
import org.jqemu.accel.kvm.KvmArchitecture;
import org.jqemu.accel.kvm.KvmCap;
import org.jqemu.accel.kvm.KvmConstants;
import org.jqemu.accel.kvm.KvmIoctl;
import org.jqemu.accel.kvm.KvmIrqChip;
import org.jqemu.accel.kvm.KvmStructs;
import org.jqemu.accel.kvm.KvmVcpu;
import org.jqemu.accel.kvm.KvmVm;
import org.jqemu.system.cpu.Cpu;
import org.jqemu.system.machine.Machine;
import org.jqemu.target.i386.X86Cpu;

/**
 * x86 glue of the {@code kvm} accelerator: the in-kernel irqchip (two 8259s, IOAPIC, a local APIC
 * per vCPU) and PIT, the real-mode helper pages Intel's VMX needs, CPUID, and the register
 * mapping ({@link X86KvmRegisters}).
 *
 * <p>The board finds the irqchip as {@code machine.component(KvmIrqChip.class)} (see
 * {@link KvmIrqChip}); it exists from accelerator init on, before the board is built.
 */
public final class X86KvmArchitecture implements KvmArchitecture {
    /**
     * Three pages just below the BIOS ROM that VMX uses for real-mode emulation (an identity page
     * table, then a TSS); the board must keep them out of guest RAM, as a PC's layout does. These
     * are QEMU's addresses.
     */
    static final long IDENTITY_MAP_ADDR = 0xfeffc000L;
    static final long TSS_ADDR = IDENTITY_MAP_ADDR + 0x1000;
    /** IOAPIC pins: GSIs 0..23. */
    static final int GSI_COUNT = 24;

    private static final VarHandle NENT = KvmStructs.field(KvmStructs.KVM_CPUID2, "nent");
    private static final long ENTRIES = KvmStructs.offset(KvmStructs.KVM_CPUID2, "entries");
    private static final long ENTRY_SIZE = KvmStructs.KVM_CPUID_ENTRY2.byteSize();
    private static final long FUNCTION = KvmStructs.offset(KvmStructs.KVM_CPUID_ENTRY2, "function");
    private static final long EBX = KvmStructs.offset(KvmStructs.KVM_CPUID_ENTRY2, "ebx");
    private static final long EDX = KvmStructs.offset(KvmStructs.KVM_CPUID_ENTRY2, "edx");

    private MemorySegment supportedCpuid;

    @Override
    public boolean supportsHost(String osArch) {
        return "amd64".equals(osArch) || "x86_64".equals(osArch);
    }

    @Override
    public Set<KvmCap> requiredCapabilities() {
        // QEMU's x86 list, plus the in-kernel irqchip: jqemu does not inject interrupts itself.
        return EnumSet.of(KvmCap.KVM_CAP_SET_TSS_ADDR, KvmCap.KVM_CAP_EXT_CPUID, KvmCap.KVM_CAP_IRQCHIP);
    }

    @Override
    public void setupVm(KvmVm vm, Machine machine) {
        Kvm kvm = vm.kvm();
        if (kvm.checkExtension(KvmCap.KVM_CAP_SET_IDENTITY_MAP_ADDR) > 0) {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment addr = a.allocateFrom(java.lang.foreign.ValueLayout.JAVA_LONG, IDENTITY_MAP_ADDR);
                vm.ioctl(KvmIoctl.KVM_SET_IDENTITY_MAP_ADDR, addr);
            }
        }
        vm.ioctl(KvmIoctl.KVM_SET_TSS_ADDR, TSS_ADDR);
        vm.createIrqChip();
        boolean pit = kvm.checkExtension(KvmCap.KVM_CAP_PIT2) > 0;
        if (pit) {
            vm.createPit2(KvmConstants.KVM_PIT_SPEAKER_DUMMY);
        }
        machine.putComponent(KvmIrqChip.class, new KvmIrqChip(vm, GSI_COUNT, pit));
        supportedCpuid = kvm.supportedCpuid(machine.arena());
    }

    @Override
    public boolean supports(Cpu cpu) {
        return cpu instanceof X86Cpu;
    }

    @Override
    public KvmVcpu createVcpu(KvmVm vm, Machine machine, Cpu cpu) {
        X86Cpu x86 = (X86Cpu) cpu;
        KvmVcpu vcpu = vm.createVcpu(x86.index(), machine, new X86KvmRegisters(x86));
        try (Arena a = Arena.ofConfined()) {
            vcpu.ioctl(KvmIoctl.KVM_SET_CPUID2, cpuidFor(a, x86.index()));
        }
        return vcpu;
    }

    /**
     * The CPUID table of one vCPU: what the host's KVM supports, with this vCPU's APIC id in leaf
     * 1 (EBX[31:24]) and the x2APIC id leaves (0xB, 0x1F: EDX).
     */
    MemorySegment cpuidFor(Arena arena, int apicId) {
        int n = (int) NENT.get(supportedCpuid);
        MemorySegment t = Kvm.allocateCpuid2(arena, n);
        MemorySegment.copy(supportedCpuid, ENTRIES, t, ENTRIES, n * ENTRY_SIZE);
        for (int i = 0; i < n; i++) {
            long e = ENTRIES + i * ENTRY_SIZE;
            int function = t.get(java.lang.foreign.ValueLayout.JAVA_INT, e + FUNCTION);
            if (function == 1) {
                int ebx = t.get(java.lang.foreign.ValueLayout.JAVA_INT, e + EBX);
                t.set(java.lang.foreign.ValueLayout.JAVA_INT, e + EBX, (ebx & 0x00ffffff) | (apicId << 24));
            } else if (function == 0xb || function == 0x1f) {
                t.set(java.lang.foreign.ValueLayout.JAVA_INT, e + EDX, apicId);
            }
        }
        return t;
    }
}
