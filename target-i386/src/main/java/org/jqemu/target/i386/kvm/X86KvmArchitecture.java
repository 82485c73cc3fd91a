package org.jqemu.target.i386.kvm;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
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
 * mapping ({@link X86KvmRegisters}), with QEMU's PC interrupt routing and reset of the in-kernel chips
 * ({@link X86KvmIrqChipState}).
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

    private MemorySegment supportedCpuid;
    private X86KvmCpuid.Model cpuModel;

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
        if (kvm.checkExtension(KvmCap.KVM_CAP_IRQ_ROUTING) > 0) {
            vm.setGsiRouting(pcRoutes());
        }
        boolean pit = kvm.checkExtension(KvmCap.KVM_CAP_PIT2) > 0;
        if (pit) {
            vm.createPit2(KvmConstants.KVM_PIT_SPEAKER_DUMMY);
        }
        machine.putComponent(KvmIrqChip.class, new KvmIrqChip(vm, GSI_COUNT, pit));
        // Their state now is their power-on state; a system reset puts it back.
        X86KvmIrqChipState powerOn = X86KvmIrqChipState.capture(vm, machine.arena(), pit);
        machine.addResetHandler(powerOn::restore);
        supportedCpuid = kvm.supportedCpuid(machine.arena());
        cpuModel = X86KvmCpuid.model(machine.config().cpuModel);
        // A TSC rate KVM cannot give is a configuration error now, not a failure at vCPU creation.
        if (tscFrequency(machine.config().cpuModel) > 0 && kvm.checkExtension(KvmCap.KVM_CAP_TSC_CONTROL) <= 0) {
            throw new IllegalArgumentException("kvm: this host's KVM cannot set the TSC frequency (no KVM_CAP_TSC_CONTROL)");
        }
    }

    /**
     * QEMU's PC routing (kvm_pc_setup_irq_routing): GSI n drives 8259 pin n for n < 16 except the
     * cascade (2), and IOAPIC pin n for n < 24 — except GSI 0 (the PIT), which is IOAPIC pin 2 as
     * the MADT's interrupt source override says; GSI 2 reaches neither.
     */
    static List<KvmVm.IrqRoute> pcRoutes() {
        List<KvmVm.IrqRoute> routes = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            if (i != 2) {
                routes.add(new KvmVm.IrqRoute(i, i < 8 ? KvmConstants.KVM_IRQCHIP_PIC_MASTER
                        : KvmConstants.KVM_IRQCHIP_PIC_SLAVE, i & 7));
            }
        }
        for (int i = 0; i < GSI_COUNT; i++) {
            if (i != 2) {
                routes.add(new KvmVm.IrqRoute(i, KvmConstants.KVM_IRQCHIP_IOAPIC, i == 0 ? 2 : i));
            }
        }
        return routes;
    }

    @Override
    public boolean supports(Cpu cpu) {
        return cpu instanceof X86Cpu;
    }

    @Override
    public KvmVcpu createVcpu(KvmVm vm, Machine machine, Cpu cpu) {
        X86Cpu x86 = (X86Cpu) cpu;
        X86KvmRegisters registers = new X86KvmRegisters(x86);
        KvmVcpu vcpu = vm.createVcpu(x86.index(), machine, registers);
        try (Arena a = Arena.ofConfined()) {
            vcpu.ioctl(KvmIoctl.KVM_SET_CPUID2, cpuidFor(a, x86.index()));
        }
        registers.captureLapicResetState(vcpu);
        setTscFrequency(vcpu, machine.config().cpuModel);
        return vcpu;
    }

    /**
     * {@code -cpu MODEL,tsc-frequency=HZ} (QEMU's property): the guest's TSC rate, which KVM
     * scales in hardware (KVM_SET_TSC_KHZ). Without it the guest's TSC runs at the host's rate,
     * which the guest learns from kvmclock or by calibrating against the PIT, as under QEMU.
     */
    private static void setTscFrequency(KvmVcpu vcpu, String cpuModel) {
        long hz = tscFrequency(cpuModel);
        if (hz <= 0) {
            return;
        }
        vcpu.ioctl(KvmIoctl.KVM_SET_TSC_KHZ, hz / 1000);
    }

    /** The {@code tsc-frequency=} value of a -cpu string in Hz (k/M/G suffixes as QEMU's sizes), or 0. */
    static long tscFrequency(String cpuModel) {
        if (cpuModel == null) {
            return 0;
        }
        for (String prop : cpuModel.split(",")) {
            if (prop.startsWith("tsc-frequency=") || prop.startsWith("tsc-freq=")) {
                String v = prop.substring(prop.indexOf('=') + 1).trim();
                long unit = 1;
                char last = v.isEmpty() ? ' ' : Character.toUpperCase(v.charAt(v.length() - 1));
                if (last == 'K' || last == 'M' || last == 'G') {
                    unit = last == 'K' ? 1_000L : last == 'M' ? 1_000_000L : 1_000_000_000L;
                    v = v.substring(0, v.length() - 1);
                }
                try {
                    return Long.parseLong(v) * unit;
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("Parameter 'tsc-frequency' expects a number: " + prop);
                }
            }
        }
        return 0;
    }

    /** The CPUID table of one vCPU (see {@link X86KvmCpuid}). */
    MemorySegment cpuidFor(Arena arena, int apicId) {
        return X86KvmCpuid.forVcpu(arena, supportedCpuid, cpuModel, apicId);
    }
}
