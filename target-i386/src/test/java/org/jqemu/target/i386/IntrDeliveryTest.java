package org.jqemu.target.i386;

import static org.jqemu.target.i386.SysRig.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class IntrDeliveryTest {
    final SysRig rig = new SysRig();
    final X86Cpu cpu = rig.cpu;
    final InterruptUnit intr = cpu.intr;

    @Test
    void realModeUsesTheIvt() {
        rig.w16(0x21 * 4, 0x1234);
        rig.w16(0x21 * 4 + 2, 0x2000);
        cpu.seg.loadSeg(X86Cpu.SS, 0x100);
        cpu.regs[4] = 0x200;
        cpu.segSel[X86Cpu.CS] = 0x700;
        cpu.segBase[X86Cpu.CS] = 0x7000;
        cpu.rip = 0x10;
        cpu.setEflags(SysBits.IF | SysBits.TF | 0x2 | SysBits.CF);
        intr.deliver(0x21, true, -1, 0x12);
        assertEquals(0x2000, cpu.segSel[X86Cpu.CS]);
        assertEquals(0x20000, cpu.segBase[X86Cpu.CS]);
        assertEquals(0x1234, cpu.rip);
        assertEquals(0x1fa, cpu.regs[4]);
        assertEquals(0x12, rig.r16(0x1000 + 0x1fa));
        assertEquals(0x700, rig.r16(0x1000 + 0x1fc));
        assertEquals(SysBits.IF | SysBits.TF | 0x2 | SysBits.CF, rig.r16(0x1000 + 0x1fe));
        assertEquals(0x2 | SysBits.CF, cpu.getEflags());
    }

    @Test
    void sameRingInterruptGateWithErrorCode() {
        rig.protectedMode();
        rig.idt(13, gate(CODE0, 0x123456, 0x8e, 0));
        cpu.regs[4] = 0x8000;
        cpu.rip = 0x4000;
        cpu.setEflags(SysBits.IF | 0x2);
        intr.deliver(13, false, 0x28, 0x4000);
        assertEquals(0x123456, cpu.rip);
        assertEquals(0x8000 - 16, cpu.regs[4]);
        assertEquals(0x28, rig.r32(0x8000 - 16));
        assertEquals(0x4000, rig.r32(0x8000 - 12));
        assertEquals(CODE0, rig.r32(0x8000 - 8));
        assertEquals(SysBits.IF | 0x2, rig.r32(0x8000 - 4));
        assertEquals(0, cpu.getEflags() & SysBits.IF, "interrupt gate clears IF");
    }

    @Test
    void trapGateKeepsIf() {
        rig.protectedMode();
        rig.idt(0x80, gate(CODE0, 0x5000, 0x8f, 0));
        cpu.setEflags(SysBits.IF | 0x2);
        intr.deliver(0x80, true, -1, 0x4002);
        assertTrue((cpu.getEflags() & SysBits.IF) != 0);
        assertEquals(0x5000, cpu.rip);
    }

    @Test
    void ring3ToRing0SwitchesToTheTssStack() {
        rig.protectedMode();
        rig.idt(0x80, gate(CODE0, 0x5000, 0xee, 0));
        rig.ring3(0x7000);
        cpu.setEflags(SysBits.IF | 0x2 | SysBits.TF);
        cpu.rip = 0x100;
        intr.deliver(0x80, true, -1, 0x102);
        assertEquals(0, cpu.cpl);
        assertEquals(CODE0, cpu.segSel[X86Cpu.CS]);
        assertEquals(DATA0, cpu.segSel[X86Cpu.SS]);
        assertEquals(0x9000 - 20, cpu.regs[4]);
        assertEquals(0x102, rig.r32(0x9000 - 20));
        assertEquals(CODE3, rig.r32(0x9000 - 16));
        assertEquals(SysBits.IF | 0x2 | SysBits.TF, rig.r32(0x9000 - 12));
        assertEquals(0x7000, rig.r32(0x9000 - 8));
        assertEquals(DATA3, rig.r32(0x9000 - 4));
        assertEquals(0, cpu.getEflags() & (SysBits.IF | SysBits.TF));
    }

    @Test
    void softwareInterruptBelowGateDplIsGeneralProtection() {
        rig.protectedMode();
        rig.idt(0x30, gate(CODE0, 0x5000, 0x8e, 0)); // DPL 0
        rig.idt(13, gate(CODE0, 0x6000, 0x8e, 0));
        rig.ring3(0x7000);
        cpu.rip = 0x100;
        intr.deliver(0x30, true, -1, 0x102);
        assertEquals(0x6000, cpu.rip);
        assertEquals(0x30 * 8 + 2, rig.r32(0x9000 - 24), "error code: IDT bit, no EXT");
        assertEquals(0x100, rig.r32(0x9000 - 20), "#GP returns to the INT instruction");
    }

    @Test
    void absentGateIsNotPresentWithExtBit() {
        rig.protectedMode();
        rig.idt(0x40, gate(CODE0, 0x5000, 0x0e, 0)); // P = 0
        rig.idt(11, gate(CODE0, 0x6000, 0x8e, 0));
        cpu.regs[4] = 0x8000;
        cpu.rip = 0x1000;
        intr.deliverExternal(0x40);
        assertEquals(0x6000, cpu.rip);
        assertEquals(0x40 * 8 + 3, rig.r32(0x8000 - 16));
    }

    @Test
    void contributoryDuringContributoryBecomesDoubleFault() {
        rig.protectedMode();
        rig.idt(13, gate(CODE0, 0x5000, 0x0e, 0)); // #GP gate not present → #NP
        rig.idt(8, gate(CODE0, 0x8888, 0x8e, 0));
        cpu.regs[4] = 0x8000;
        cpu.rip = 0x1000;
        intr.deliver(13, false, 0, 0x1000);
        assertEquals(0x8888, cpu.rip);
        assertEquals(0, rig.r32(0x8000 - 16), "#DF error code is 0");
        assertEquals(0x1000, rig.r32(0x8000 - 12));
    }

    @Test
    void pageFaultOnTheStackDuringPageFaultIsDoubleFault() {
        rig.protectedMode();
        rig.idt(14, gate(CODE0, 0x5000, 0x8e, 0));
        rig.idt(8, gate(TSS_B_SEL, 0, 0x85, 0)); // #DF through a task gate, as Linux/i386 does
        rig.w32(TSS_B + 0x1c, 0x10000); // CR3
        rig.w32(TSS_B + 0x20, 0x8888);
        rig.w32(TSS_B + 0x24, 0x2);
        rig.w32(TSS_B + 0x38, 0x6000);
        rig.w16(TSS_B + 0x4c, CODE0);
        rig.w16(TSS_B + 0x50, DATA0);
        // Identity-map the first 4 MiB except the page below 0x8000 (the ring-0 stack).
        long pd = 0x10000, pt = 0x11000;
        rig.w32(pd, (int) pt | 3);
        for (int i = 0; i < 1024; i++) {
            rig.w32(pt + 4L * i, (i << 12) | (i == 7 ? 0 : 3));
        }
        rig.w32(pt + 4 * 8, (8 << 12) | 3);
        cpu.sys.writeCr(3, pd);
        cpu.sys.writeCr(0, cpu.cr0 | SysBits.CR0_PG);
        cpu.regs[4] = 0x8000;
        cpu.rip = 0x1000;
        intr.deliver(14, false, 0, 0x1000);
        assertEquals(0x7ffc, cpu.cr2);
        assertEquals(TSS_B_SEL, cpu.trSel);
        assertEquals(0x8888, cpu.rip);
        assertEquals(0x6000 - 4, cpu.regs[4]);
        assertEquals(0, rig.r32(0x6000 - 4), "#DF error code");
        assertEquals(0x1000, rig.r32(TSS_A + 0x20), "old task resumes at the faulting instruction");
    }

    @Test
    void faultWhileDeliveringDoubleFaultIsTripleFault() {
        SysRig r = new SysRig(true);
        r.protectedMode();
        r.cpu.idtLimit = 0; // every vector is outside the IDT
        r.cpu.setEflags(SysBits.IF | 0x2);
        r.cpu.intr.deliver(0, false, -1, 0x1000);
        assertTrue(r.cpu.halted);
        assertEquals(0, r.cpu.getEflags() & SysBits.IF);
        assertTrue(r.machine.terminating(), "under -no-reboot the reset request ends the VM");
    }

    @Test
    void benignFaultDuringDeliveryIsDeliveredSerially() {
        rig.protectedMode();
        rig.idt(11, gate(CODE0, 0x6000, 0x8e, 0));
        rig.idt(8, gate(CODE0, 0x8888, 0x8e, 0));
        rig.idt(1, gate(CODE0, 0x5000, 0x0e, 0)); // absent
        cpu.regs[4] = 0x8000;
        intr.deliver(1, false, -1, 0x1000); // #DB is benign
        assertEquals(0x6000, cpu.rip, "#NP, not #DF");
        assertEquals(8 + 2 + 1, rig.r32(0x8000 - 16));
    }

    @Test
    void vm86InterruptSavesDataSegmentsAndIretReturns() {
        rig.protectedMode();
        rig.idt(0x0d, gate(CODE0, 0x5000, 0x8e, 0));
        // Enter vm86 with an IRETD frame.
        cpu.regs[4] = 0x8000 - 36;
        int[] frame = {0x0100, 0x1000, SysBits.VM | SysBits.IF | 0x2 | (3 << 12), 0xfffe, 0x2000, 0x3000, 0x4000, 0x5000, 0x6000};
        for (int i = 0; i < frame.length; i++) {
            rig.w32(0x8000 - 36 + 4 * i, frame[i]);
        }
        cpu.seg.iret(4, 0);
        assertEquals(3, cpu.cpl);
        assertEquals(0x10000, cpu.segBase[X86Cpu.CS]);
        assertEquals(0x100, cpu.rip);
        assertEquals(0x20000, cpu.segBase[X86Cpu.SS]);
        assertEquals(0xfffe, cpu.regs[4]);
        assertEquals(0x40000, cpu.segBase[X86Cpu.DS]);
        assertTrue((cpu.getEflags() & SysBits.VM) != 0);
        // A #GP in vm86 goes to ring 0 with the segment registers on the stack.
        intr.deliver(13, false, 0, 0x100);
        assertEquals(0, cpu.cpl);
        assertFalse((cpu.getEflags() & SysBits.VM) != 0);
        assertEquals(0x9000 - 40, cpu.regs[4]);
        int[] expect = {0, 0x100, 0x1000, SysBits.VM | SysBits.IF | 0x2 | (3 << 12), 0xfffe, 0x2000, 0x3000, 0x4000, 0x5000, 0x6000};
        for (int i = 0; i < expect.length; i++) {
            assertEquals(expect[i], rig.r32(0x9000 - 40 + 4 * i), "slot " + i);
        }
        assertEquals(0, cpu.segSel[X86Cpu.DS]);
        assertEquals(0, cpu.segAttr[X86Cpu.DS]);
        cpu.regs[4] += 4; // the handler drops the error code
        cpu.seg.iret(4, 0);
        assertEquals(0x40000, cpu.segBase[X86Cpu.DS]);
        assertEquals(0x60000, cpu.segBase[X86Cpu.GS]);
        assertEquals(3, cpu.cpl);
        assertEquals(0x100, cpu.rip);
    }

    @Test
    void taskGateInterruptSwitchesTask() {
        rig.protectedMode();
        rig.idt(0x50, gate(TSS_B_SEL, 0, 0x85, 0));
        rig.w32(TSS_B + 0x20, 0x7777);
        rig.w32(TSS_B + 0x24, 0x2);
        rig.w32(TSS_B + 0x38, 0x6000); // ESP
        rig.w16(TSS_B + 0x4c, CODE0);
        rig.w16(TSS_B + 0x50, DATA0);
        rig.w16(TSS_B + 0x54, DATA0);
        cpu.rip = 0x1000;
        intr.deliver(0x50, false, 0x1234, 0x1000);
        assertEquals(TSS_B_SEL, cpu.trSel);
        assertEquals(0x7777, cpu.rip);
        assertEquals(0x6000 - 4, cpu.regs[4]);
        assertEquals(0x1234, rig.r32(0x6000 - 4));
        assertEquals(TSS_A_SEL, rig.r16(TSS_B));
        assertTrue((cpu.getEflags() & SysBits.NT) != 0);
        assertEquals(0x1000, rig.r32(TSS_A + 0x20));
    }

    @Test
    void innerStackFromTssIsChecked() {
        rig.protectedMode();
        Segmentation seg = cpu.seg;
        rig.ring3(0x7000);
        // 32-bit TSS: ESP0/SS0 at 4/8.
        assertEquals(((long) DATA0 << 32) | 0x9000, seg.tssStack(0, 0));
        expectFault(10, 1, () -> seg.checkStackForTss(0, 0, 1)); // null SS, EXT set
        expectFault(10, DATA3 & 0xfffc, () -> seg.checkStackForTss(DATA3, 0, 0)); // RPL != DPL
        expectFault(10, CODE0, () -> seg.checkStackForTss(CODE0, 0, 0));
        rig.gdt(DATA0_ABSENT, desc(0, 0xfffff, 0x12, 0xc));
        expectFault(12, DATA0_ABSENT, () -> seg.checkStackForTss(DATA0_ABSENT, 0, 0));
        // A 16-bit TSS keeps SP0/SS0 at 2/4.
        rig.gdt(TSS_B_SEL, desc(TSS_B, 0x2b, 0x81, 0));
        rig.w16(TSS_B + 2, 0x1234);
        rig.w16(TSS_B + 4, DATA0);
        expectFault(13, TSS_A_SEL, () -> seg.farJump(TSS_A_SEL, 0, 0)); // TSS A is busy
        rig.w16(TSS_B + 0x0e, 0x4321); // IP
        rig.w16(TSS_B + 0x24, CODE0_16); // CS
        rig.w16(TSS_B + 0x26, DATA0); // SS
        rig.w16(TSS_B + 0x12, 0xbeef); // AX
        rig.w16(TSS_B + 0x1a, 0x7ff0); // SP
        cpu.cpl = 0;
        rig.load(X86Cpu.CS, CODE0);
        rig.load(X86Cpu.SS, DATA0);
        seg.farJump(TSS_B_SEL, 0, 0);
        assertEquals(0x4321, cpu.rip);
        assertEquals(0xbeef, cpu.regs[0] & 0xffff);
        assertEquals(0x7ff0, cpu.regs[4] & 0xffff);
        assertEquals(CODE0_16, cpu.segSel[X86Cpu.CS]);
        assertEquals(0x83, (int) (rig.gdtEntry(TSS_B_SEL) >>> 40) & 0xff, "16-bit TSS now busy");
    }

    @Test
    void ring3InterruptWithBadTssStackSegmentRaisesInvalidTss() {
        rig.protectedMode();
        rig.idt(0x80, gate(CODE0, 0x5000, 0xee, 0));
        rig.idt(10, gate(TSS_B_SEL, 0, 0x85, 0)); // #TS handled in its own task
        rig.w32(TSS_B + 0x20, 0x6666);
        rig.w32(TSS_B + 0x24, 0x2);
        rig.w32(TSS_B + 0x38, 0x6000);
        rig.w16(TSS_B + 0x4c, CODE0);
        rig.w16(TSS_B + 0x50, DATA0);
        rig.w32(TSS_A + 8, DATA3); // SS0 with RPL 3
        rig.ring3(0x7000);
        cpu.rip = 0x100;
        intr.deliver(0x80, true, -1, 0x102);
        assertEquals(0x6666, cpu.rip);
        assertEquals(DATA3 & 0xfffc, rig.r32(0x6000 - 4), "#TS(SS selector), INT n: no EXT");
        assertEquals(0x100, rig.r32(TSS_A + 0x20), "returns to the INT instruction");
    }

    @Test
    void faultAfterTaskSwitchCommitReturnsIntoTheNewTask() {
        rig.protectedMode();
        rig.idt(0x50, gate(TSS_B_SEL, 0, 0x85, 0));
        rig.idt(10, gate(CODE0, 0x5555, 0x8e, 0));
        rig.w32(TSS_B + 0x20, 0x7777);
        rig.w32(TSS_B + 0x24, 0x2);
        rig.w32(TSS_B + 0x38, 0x6000);
        rig.w16(TSS_B + 0x4c, CODE0);
        rig.w16(TSS_B + 0x50, DATA3); // SS with RPL 3 under CPL 0: #TS in the new task
        cpu.rip = 0x1000;
        intr.deliverExternal(0x50);
        assertEquals(TSS_B_SEL, cpu.trSel);
        assertEquals(0x5555, cpu.rip);
        assertEquals(DATA3 & 0xfffc, rig.r32(0x6000 - 16), "#TS(SS selector)");
        assertEquals(0x7777, rig.r32(0x6000 - 12), "returns to the new task's first instruction");
    }
}
