package org.jqemu.target.i386;

import static org.jqemu.target.i386.SysRig.expectFault;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.jqemu.system.memory.IoRegion;
import org.jqemu.system.memory.MemoryOps;
import org.junit.jupiter.api.Test;

class SysInsnsTest {
    final SysRig rig = new SysRig();
    final X86Cpu cpu = rig.cpu;
    final SystemInsns sys = cpu.sys;

    private String regsAsText(int... order) {
        StringBuilder sb = new StringBuilder();
        for (int r : order) {
            for (int i = 0; i < 4; i++) {
                sb.append((char) ((cpu.regs[r] >>> (8 * i)) & 0xff));
            }
        }
        return sb.toString();
    }

    @Test
    void cpuidIdentifiesTheModel() {
        cpu.regs[0] = 0;
        sys.cpuid();
        assertEquals(1, cpu.regs[0]);
        assertEquals("GenuineIntel", regsAsText(3, 2, 1));
        cpu.regs[0] = 1;
        sys.cpuid();
        assertEquals(X86Cpu.SIGNATURE, cpu.regs[0]);
        long edx = cpu.regs[2];
        assertEquals(0x07808001L, edx & 0x07808001L, "FPU CMOV MMX FXSR SSE SSE2");
        assertTrue((edx & (1 << 4)) != 0 && (edx & (1 << 8)) != 0 && (edx & (1 << 15)) != 0, "TSC CX8 CMOV");
        assertEquals(1 | 0x8000_0000L, cpu.regs[1], "ECX: SSE3 and the hypervisor bit");
        cpu.regs[0] = 0x80000000L;
        sys.cpuid();
        assertEquals(0x80000004L, cpu.regs[0]);
        StringBuilder brand = new StringBuilder();
        for (long leaf = 0x80000002L; leaf <= 0x80000004L; leaf++) {
            cpu.regs[0] = leaf;
            sys.cpuid();
            brand.append(regsAsText(0, 3, 1, 2));
        }
        assertEquals("jqemu Virtual CPU", brand.toString().replace("\0", ""));
    }

    @Test
    void controlRegisterRules() {
        expectFault(13, 0, () -> sys.writeCr(0, SysBits.CR0_PG)); // PG without PE
        expectFault(13, 0, () -> sys.writeCr(0, SysBits.CR0_NW | SysBits.CR0_PE));
        expectFault(13, 0, () -> sys.writeCr(4, 1L << 12)); // LA57 is not implemented
        expectFault(6, -1, () -> sys.readCr(1));
        sys.writeCr(4, SysBits.CR4_PSE);
        assertEquals(SysBits.CR4_PSE, sys.readCr(4));
        sys.writeCr(0, 0x11);
        assertEquals(0x11, sys.readCr(0), "ET stays set");
        sys.lmsw(0x0e); // cannot clear PE
        assertEquals(0x1f, sys.readCr(0));
        sys.clts();
        assertEquals(0x17, sys.readCr(0));
        assertEquals(0x17, sys.smsw() & 0xffff);
        rig.protectedMode();
        cpu.cpl = 3;
        expectFault(13, 0, () -> sys.readCr(0));
        expectFault(13, 0, () -> sys.writeCr(3, 0));
        expectFault(13, 0, () -> sys.invlpg(0));
        expectFault(13, 0, () -> sys.rdmsr());
    }

    @Test
    void debugRegistersAreRecorded() {
        sys.writeDr(0, 0x12345678L);
        assertEquals(0x12345678L, sys.readDr(0));
        assertEquals(0xffff0ff0L, sys.readDr(6));
        assertEquals(0x400, sys.readDr(5), "DR5 aliases DR7 without CR4.DE");
        sys.writeCr(4, SysBits.CR4_DE);
        expectFault(6, -1, () -> sys.readDr(4));
    }

    @Test
    void msrs() {
        cpu.regs[1] = SystemInsns.MSR_SYSENTER_EIP;
        cpu.regs[0] = 0xc0001000L;
        cpu.regs[2] = 0;
        sys.wrmsr();
        cpu.regs[0] = 0;
        sys.rdmsr();
        assertEquals(0xc0001000L, cpu.regs[0]);
        cpu.regs[1] = SystemInsns.MSR_APIC_BASE;
        sys.rdmsr();
        assertEquals(0xfee00800L, cpu.regs[0]);
        cpu.regs[1] = 0x1234;
        expectFault(13, 0, sys::rdmsr);
        expectFault(13, 0, sys::wrmsr);
        cpu.regs[1] = SystemInsns.MSR_TSC;
        cpu.regs[0] = 0;
        cpu.regs[2] = 5;
        sys.wrmsr();
        sys.rdmsr();
        assertEquals(5, cpu.regs[2]);
    }

    @Test
    void tscIsMonotonicAndCr4TsdGuardsIt() {
        rig.machine.clock().start();
        sys.rdtsc();
        long a = cpu.regs[0] | cpu.regs[2] << 32;
        sys.rdtsc();
        long b = cpu.regs[0] | cpu.regs[2] << 32;
        assertTrue(b >= a);
        rig.protectedMode();
        sys.writeCr(4, SysBits.CR4_TSD);
        sys.rdtsc(); // CPL 0 still may
        cpu.cpl = 3;
        expectFault(13, 0, sys::rdtsc);
    }

    @Test
    void portIoChecksPermissionAndLocks() {
        List<String> log = new ArrayList<>();
        rig.machine.io().root().add(0x80, new IoRegion("port80", 4, new MemoryOps() {
            @Override
            public long read(long offset, int size) {
                return 0xab;
            }

            @Override
            public void write(long offset, int size, long value) {
                log.add(offset + "=" + value + (rig.machine.holdsLock() ? "L" : ""));
            }
        }));
        sys.out(0x81, 1, 0x1ff);
        assertEquals(List.of("1=255L"), log);
        assertEquals(0xab, sys.in(0x80, 1));
        rig.protectedMode();
        rig.ring3(0x7000);
        expectFault(13, 0, () -> sys.out(0x80, 1, 0));
    }

    @Test
    void qemu64ModelAdvertisesLongModeAndDefaultModelDoesNot() {
        org.jqemu.system.machine.MachineConfig config = new org.jqemu.system.machine.MachineConfig();
        config.cpuModel = "qemu64";
        X86Cpu c64 = new X86Cpu(new org.jqemu.system.machine.Machine(config), 0);
        c64.regs[0] = 0x80000000L;
        c64.sys.cpuid();
        assertEquals(0x80000008L, c64.regs[0]);
        c64.regs[0] = 0x80000001L;
        c64.sys.cpuid();
        int ext = SystemInsns.EXT_SYSCALL | SystemInsns.EXT_NX | SystemInsns.EXT_RDTSCP | SystemInsns.EXT_LM;
        assertEquals(ext & 0xffffffffL, c64.regs[2]);
        assertEquals(SystemInsns.EXT_LAHF_LM, c64.regs[1]);
        c64.regs[0] = 1;
        c64.sys.cpuid();
        assertEquals(SystemInsns.FEATURES64_EDX, c64.regs[2]);
        assertEquals((SystemInsns.FEAT_CX16 | SystemInsns.FEAT_ECX_SSE3 | SystemInsns.FEAT_ECX_HYPERVISOR) & 0xffffffffL,
                c64.regs[1]);
        c64.regs[0] = 0x80000008L;
        c64.sys.cpuid();
        assertEquals(0x3028, c64.regs[0], "40 physical, 48 linear address bits");

        cpu.regs[0] = 0x80000001L;
        sys.cpuid();
        assertEquals(0, cpu.regs[2], "the 32-bit qemu32 model has no long mode");
        assertTrue(X86Cpu.isModel64(null), "without -cpu the model is qemu64");
    }
}
