package org.jqemu.target.i386;

import static org.jqemu.target.i386.SysRig.expectFault;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * IA-32e system behaviour: 64-bit IDT delivery (frame, IST, SS null on a CPL change, 16-byte
 * alignment), IRETQ, SYSCALL/SYSRET, SWAPGS and 16-byte TSS descriptors (SDM vol. 3, 5.8.8,
 * 6.14, 7.7).
 */
class LongModeSysTest {
    static final long PML4 = 0x10000, PDPT = 0x11000, PD = 0x12000, IDT64 = 0x14000, TSS64 = 0x15000;
    static final int K_CODE = 0x80, K_DATA = 0x88, U_CODE32 = 0x90, U_DATA = 0x98, U_CODE64 = 0xa0, TSS = 0xa8;

    final SysRig rig = new SysRig();
    final X86Cpu cpu = rig.cpu;
    final SystemInsns sys = cpu.sys;

    long r64(long a) {
        return rig.ram.get(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, a);
    }

    /** Identity-mapped 8 MiB, EFER.LME|SCE, paging on, CS = 64-bit ring 0 code, TSS loaded. */
    LongModeSysTest() {
        rig.protectedMode();
        rig.gdt(K_CODE, SysRig.desc(0, 0xfffff, 0x9a, 0xa));
        rig.gdt(K_DATA, SysRig.desc(0, 0xfffff, 0x92, 0xc));
        rig.gdt(U_CODE32, SysRig.desc(0, 0xfffff, 0xfa, 0xc));
        rig.gdt(U_DATA, SysRig.desc(0, 0xfffff, 0xf2, 0xc));
        rig.gdt(U_CODE64, SysRig.desc(0, 0xfffff, 0xfa, 0xa));
        rig.gdt(TSS, SysRig.desc(TSS64, 0x67, 0x89, 0));
        rig.w64(SysRig.GDT + TSS + 8, 0); // upper half of the 16-byte TSS descriptor
        rig.w64(PML4, PDPT | 7);
        rig.w64(PDPT, PD | 7);
        for (int n = 0; n < 4; n++) {
            rig.w64(PD + 8L * n, (n * 0x200000L) | 0x87);
        }
        sys.wrmsrValue(SystemInsns.MSR_EFER, X86Cpu.EFER_LME | X86Cpu.EFER_SCE);
        sys.writeCr(4, SysBits.CR4_PAE);
        sys.writeCr(3, PML4);
        sys.writeCr(0, cpu.cr0 | SysBits.CR0_PG);
        rig.load(X86Cpu.CS, K_CODE);
        rig.load(X86Cpu.SS, K_DATA);
        cpu.idtBase = IDT64;
        cpu.idtLimit = 256 * 16 - 1;
        cpu.seg.ltr(TSS);
        rig.w64(TSS64 + 4, 0x70000);   // RSP0
        rig.w64(TSS64 + 0x24, 0x60008); // IST1 (not 16-aligned on purpose)
    }

    void gate64(int vector, long offset, int typeAttr, int ist) {
        long lo = (offset & 0xffff) | ((long) K_CODE << 16) | ((long) ist << 32) | ((long) typeAttr << 40)
                | ((offset & 0xffff0000L) << 32);
        rig.w64(IDT64 + vector * 16L, lo);
        rig.w64(IDT64 + vector * 16L + 8, offset >>> 32);
    }

    @Test
    void tssDescriptorIsSixteenBytesAndLongModeIsActive() {
        assertTrue(cpu.code64());
        assertEquals(TSS64, cpu.trBase);
        rig.w64(SysRig.GDT + TSS + 8, 0x1L); // upper half of the base
        rig.gdt(TSS, SysRig.desc(TSS64, 0x67, 0x89, 0));
        cpu.seg.ltr(TSS);
        assertEquals(TSS64 | (1L << 32), cpu.trBase);
    }

    @Test
    void sameRingExceptionPushesFullFrameOnAlignedStack() {
        gate64(13, 0xffffffff80001234L, 0x8e, 0);
        cpu.regs[4] = 0x50008;
        cpu.setEflags(SysBits.IF | 0x2);
        cpu.intr.deliver(13, false, 0x18, 0x7000);
        assertEquals(0xffffffff80001234L, cpu.rip);
        long rsp = 0x50000 - 48;
        assertEquals(rsp, cpu.regs[4], "aligned down to 16, then six 8-byte slots");
        assertEquals(0x18, r64(rsp));
        assertEquals(0x7000, r64(rsp + 8));
        assertEquals(K_CODE, r64(rsp + 16));
        assertEquals(SysBits.IF | 0x2, r64(rsp + 24));
        assertEquals(0x50008, r64(rsp + 32));
        assertEquals(K_DATA, r64(rsp + 40));
        assertEquals(0, cpu.getEflags() & SysBits.IF);
    }

    @Test
    void fromRing3ToRing0LoadsRsp0AndNullSs() {
        gate64(0x80, 0x3000, 0xee, 0);
        rig.load(X86Cpu.CS, U_CODE64 | 3);
        rig.load(X86Cpu.SS, U_DATA | 3);
        cpu.cpl = 3;
        cpu.regs[4] = 0x123456789L & 0x7fffff;
        cpu.intr.deliver(0x80, true, -1, 0x4002);
        assertEquals(0, cpu.cpl);
        assertEquals(0x70000 - 40, cpu.regs[4]);
        assertEquals(U_CODE64 | 3, r64(0x70000 - 32));
        assertEquals(U_DATA | 3, r64(0x70000 - 8));
        assertEquals(0, cpu.segSel[X86Cpu.SS], "SS is a null selector with RPL = new CPL");
        // IRETQ back to ring 3 restores CS, SS, RSP
        cpu.seg.iret(8, 0);
        assertEquals(3, cpu.cpl);
        assertEquals(0x4002, cpu.rip);
        assertEquals(U_DATA | 3, cpu.segSel[X86Cpu.SS]);
        assertEquals(0x123456789L & 0x7fffff, cpu.regs[4]);
    }

    @Test
    void softwareInterruptToDpl0GateFromRing3Faults() {
        gate64(0x81, 0x3000, 0x8e, 0);
        gate64(13, 0x4000, 0x8e, 0);
        rig.load(X86Cpu.CS, U_CODE64 | 3);
        rig.load(X86Cpu.SS, U_DATA | 3);
        cpu.cpl = 3;
        cpu.regs[4] = 0x40000;
        cpu.intr.deliver(0x81, true, -1, 0x4002);
        assertEquals(0x4000, cpu.rip, "#GP delivered instead");
        assertEquals(0x81 * 8 + 2, r64(cpu.regs[4]), "error code names the IDT entry");
    }

    @Test
    void istStackIsUsedEvenWithoutPrivilegeChange() {
        gate64(8, 0x3000, 0x8e, 1);
        cpu.regs[4] = 0x50000;
        cpu.intr.deliver(8, false, 0, 0x7000);
        assertEquals(0x60000 - 48, cpu.regs[4]);
        assertEquals(0x50000, r64(0x60000 - 16));
    }

    @Test
    void syscallAndSysret() {
        sys.wrmsrValue(SystemInsns.MSR_STAR, ((long) U_CODE32 << 48) | ((long) K_CODE << 32));
        sys.wrmsrValue(SystemInsns.MSR_LSTAR, 0xffffffff81000000L);
        sys.wrmsrValue(SystemInsns.MSR_FMASK, SysBits.IF | SysBits.DF);
        rig.load(X86Cpu.CS, U_CODE64 | 3);
        rig.load(X86Cpu.SS, U_DATA | 3);
        cpu.cpl = 3;
        cpu.setEflags(SysBits.IF | SysBits.DF | SysBits.CF | 0x2);
        cpu.seg.syscall(0x401234);
        assertEquals(0, cpu.cpl);
        assertEquals(0xffffffff81000000L, cpu.rip);
        assertEquals(0x401234, cpu.regs[1]);
        assertEquals(SysBits.IF | SysBits.DF | SysBits.CF | 0x2, cpu.regs[11]);
        assertEquals(SysBits.CF | 0x2, cpu.getEflags());
        assertEquals(K_CODE, cpu.segSel[X86Cpu.CS]);
        assertEquals(K_CODE + 8, cpu.segSel[X86Cpu.SS]);
        assertTrue(cpu.code64());
        cpu.seg.sysret(true);
        assertEquals(3, cpu.cpl);
        assertEquals(0x401234, cpu.rip);
        assertEquals(U_CODE32 + 16 | 3, cpu.segSel[X86Cpu.CS]);
        assertEquals(U_CODE32 + 8 | 3, cpu.segSel[X86Cpu.SS]);
        assertTrue(cpu.code64());
        assertEquals(SysBits.IF | SysBits.DF | SysBits.CF | 0x2, cpu.getEflags());
        expectFault(13, 0, () -> cpu.seg.sysret(true)); // CPL 3
    }

    @Test
    void sysretToCompatibilityModeAndNonCanonicalRcx() {
        sys.wrmsrValue(SystemInsns.MSR_STAR, (long) U_CODE32 << 48);
        cpu.regs[1] = 0x0000800000000000L;
        expectFault(13, 0, () -> cpu.seg.sysret(true));
        cpu.regs[1] = 0x1_0000_1000L;
        cpu.regs[11] = 0x202;
        cpu.seg.sysret(false);
        assertFalse(cpu.code64());
        assertTrue(cpu.longMode());
        assertEquals(0x1000, cpu.rip);
    }

    @Test
    void syscallNeedsSce() {
        sys.wrmsrValue(SystemInsns.MSR_EFER, X86Cpu.EFER_LME);
        expectFault(6, -1, () -> cpu.seg.syscall(0));
    }

    /** Linux keeps user TLS in FS_BASE with FS = 0; IRETQ to ring 3 must not clear it. */
    @Test
    void iretqToRing3KeepsFsBaseOfNullFs() {
        gate64(0x80, 0x3000, 0xee, 0);
        rig.load(X86Cpu.CS, U_CODE64 | 3);
        rig.load(X86Cpu.SS, U_DATA | 3);
        cpu.cpl = 3;
        cpu.regs[4] = 0x7000;
        cpu.intr.deliver(0x80, true, -1, 0x4002);
        cpu.seg.loadNull(X86Cpu.FS);
        cpu.seg.loadNull(X86Cpu.GS);
        sys.wrmsrValue(SystemInsns.MSR_FS_BASE, 0x7f0012345740L);
        sys.wrmsrValue(SystemInsns.MSR_GS_BASE, 0x5000);
        rig.load(X86Cpu.DS, K_DATA);
        cpu.seg.iret(8, 0);
        assertEquals(3, cpu.cpl);
        assertEquals(0x7f0012345740L, cpu.segBase[X86Cpu.FS]);
        assertEquals(0x5000, cpu.segBase[X86Cpu.GS]);
        assertEquals(0, cpu.segSel[X86Cpu.DS], "a DPL 0 data segment still becomes null");
    }

    @Test
    void swapgsExchangesGsBaseWithKernelGsBase() {
        sys.wrmsrValue(SystemInsns.MSR_GS_BASE, 0x1111);
        sys.wrmsrValue(SystemInsns.MSR_KERNEL_GS_BASE, 0xffff888000000000L);
        sys.swapgs();
        assertEquals(0xffff888000000000L, cpu.segBase[X86Cpu.GS]);
        assertEquals(0x1111, sys.rdmsrValue(SystemInsns.MSR_KERNEL_GS_BASE));
        expectFault(13, 0, () -> sys.wrmsrValue(SystemInsns.MSR_FS_BASE, 0x0000800000000000L));
    }
}
