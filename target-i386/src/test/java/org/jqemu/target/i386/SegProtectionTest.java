package org.jqemu.target.i386;

import static org.jqemu.target.i386.SysRig.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SegProtectionTest {
    final SysRig rig = new SysRig();
    final X86Cpu cpu = rig.cpu;
    final Segmentation seg = cpu.seg;

    @Test
    void realModeLoadSetsBaseOnly() {
        cpu.segLimit[X86Cpu.DS] = -1; // "unreal" limit survives real-mode loads
        seg.loadSeg(X86Cpu.DS, 0x1234);
        assertEquals(0x12340, cpu.segBase[X86Cpu.DS]);
        assertEquals(-1, cpu.segLimit[X86Cpu.DS]);
    }

    @Test
    void dataSegmentLoadChecksAndAccessedBit() {
        rig.protectedMode();
        seg.loadSeg(X86Cpu.DS, 0); // null is fine for DS
        assertEquals(0, cpu.segAttr[X86Cpu.DS] & SysBits.ATTR_P);
        expectFault(13, 0, () -> seg.loadSeg(X86Cpu.SS, 0));
        expectFault(13, 0x100, () -> seg.loadSeg(X86Cpu.DS, 0x100)); // beyond the GDT limit
        expectFault(11, DATA0_ABSENT, () -> seg.loadSeg(X86Cpu.DS, DATA0_ABSENT));
        expectFault(13, CODE_EXEC_ONLY, () -> seg.loadSeg(X86Cpu.DS, CODE_EXEC_ONLY));
        expectFault(13, TSS_A_SEL, () -> seg.loadSeg(X86Cpu.DS, TSS_A_SEL));
        seg.loadSeg(X86Cpu.ES, CODE0); // readable code is fine
        rig.w64(GDT + (DATA2 & ~7), desc(0x10000, 0xfff, 0xd2, 0x4)); // DPL 2, accessed clear
        seg.loadSeg(X86Cpu.FS, DATA2);
        assertEquals(0x10000, cpu.segBase[X86Cpu.FS]);
        assertEquals(0xfff, cpu.segLimit[X86Cpu.FS]);
        assertEquals(0x40d3, cpu.segAttr[X86Cpu.FS]);
        assertTrue((rig.gdtEntry(DATA2) & (1L << 40)) != 0, "accessed bit written back");
        cpu.cpl = 3;
        expectFault(13, DATA2 & 0xfffc, () -> seg.loadSeg(X86Cpu.GS, DATA2)); // DPL 2 < CPL 3
        seg.loadSeg(X86Cpu.GS, CODE0_CONFORMING); // conforming code: no privilege check
    }

    @Test
    void stackSegmentRules() {
        rig.protectedMode();
        expectFault(13, DATA3 & 0xfffc, () -> seg.loadSeg(X86Cpu.SS, DATA3)); // RPL 3 != CPL 0
        expectFault(13, CODE0, () -> seg.loadSeg(X86Cpu.SS, CODE0));
        expectFault(13, DATA2 & 0xfffc, () -> seg.loadSeg(X86Cpu.SS, DATA2 & ~3));
        rig.ring3(0x7000);
        expectFault(12, DATA3_ABSENT, () -> seg.loadSeg(X86Cpu.SS, DATA3_ABSENT | 3));
        seg.loadSeg(X86Cpu.SS, DATA3);
    }

    @Test
    void vm86LoadIsRealModeStyleWithDpl3() {
        rig.protectedMode();
        cpu.eflags |= SysBits.VM;
        seg.loadSeg(X86Cpu.DS, 0xb800);
        assertEquals(0xb8000, cpu.segBase[X86Cpu.DS]);
        assertEquals(0xffff, cpu.segLimit[X86Cpu.DS]);
        assertEquals(3, (cpu.segAttr[X86Cpu.DS] >> 5) & 3);
    }

    @Test
    void farJumpToCodeAndPrivilegeRules() {
        rig.protectedMode();
        seg.farJump(CODE0_16, 0x1234, 0);
        assertEquals(CODE0_16, cpu.segSel[X86Cpu.CS]);
        assertEquals(0, cpu.segAttr[X86Cpu.CS] & SysBits.ATTR_DB, "16-bit code");
        assertEquals(0x1234, cpu.rip);
        expectFault(13, 0, () -> seg.farJump(CODE0_16, 0x10000, 0)); // beyond limit
        expectFault(13, CODE3 & 0xfffc, () -> seg.farJump(CODE3, 0, 0)); // DPL 3 != CPL 0
        expectFault(13, DATA0, () -> seg.farJump(DATA0, 0, 0));
        seg.farJump(CODE0_CONFORMING | 3, 0x10, 0); // conforming: CPL stays, RPL ignored
        assertEquals(CODE0_CONFORMING, cpu.segSel[X86Cpu.CS]);
        assertEquals(0, cpu.cpl);
    }

    @Test
    void realModeFarCallAndReturn() {
        seg.loadSeg(X86Cpu.SS, 0);
        cpu.regs[4] = 0x1000;
        cpu.segSel[X86Cpu.CS] = 0x50;
        seg.farCall(0x2000, 0x10, 2, 0x1234);
        assertEquals(0x20000, cpu.segBase[X86Cpu.CS]);
        assertEquals(0xffc, cpu.regs[4]);
        assertEquals(0x1234, rig.r16(0xffc));
        assertEquals(0x50, rig.r16(0xffe));
        seg.farReturn(2, 4);
        assertEquals(0x50, cpu.segSel[X86Cpu.CS]);
        assertEquals(0x1234, cpu.rip);
        assertEquals(0x1004, cpu.regs[4]);
    }

    @Test
    void callGateToRing0CopiesParametersAndReturnGoesBack() {
        rig.protectedMode();
        rig.ring3(0x7000);
        cpu.regs[4] = 0x6ff8;
        rig.w32(0x6ff8, 0x11111111); // parameter 0 (top of stack)
        rig.w32(0x6ffc, 0x22222222); // parameter 1
        seg.farCall(CALL_GATE, 0, 4, 0x4444);
        assertEquals(0, cpu.cpl);
        assertEquals(CODE0, cpu.segSel[X86Cpu.CS]);
        assertEquals(DATA0, cpu.segSel[X86Cpu.SS]);
        assertEquals(0x5000, cpu.rip);
        assertEquals(0x9000 - 24, cpu.regs[4]);
        int[] expect = {0x4444, CODE3, 0x11111111, 0x22222222, 0x6ff8, DATA3};
        for (int i = 0; i < expect.length; i++) {
            assertEquals(expect[i], rig.r32(0x9000 - 24 + 4 * i), "slot " + i);
        }
        seg.loadSeg(X86Cpu.DS, DATA0); // a ring-0 DS must not leak back to ring 3
        seg.farReturn(4, 8);
        assertEquals(3, cpu.cpl);
        assertEquals(CODE3, cpu.segSel[X86Cpu.CS]);
        assertEquals(DATA3, cpu.segSel[X86Cpu.SS]);
        assertEquals(0x4444, cpu.rip);
        assertEquals(0x7000, cpu.regs[4]);
        assertEquals(0, cpu.segSel[X86Cpu.DS], "DS nulled on return to the outer ring");
        assertEquals(DATA3, cpu.segSel[X86Cpu.ES]);
    }

    @Test
    void callGateDplAndReturnToInnerRingIsRefused() {
        rig.protectedMode();
        rig.gdt(CALL_GATE, gate(CODE0, 0x5000, 0x8c, 0)); // DPL 0 gate
        rig.ring3(0x7000);
        expectFault(13, CALL_GATE & 0xfffc, () -> seg.farCall(CALL_GATE, 0, 4, 0));
        rig.w32(0x6ff8, 0x100);
        rig.w32(0x6ffc, CODE0);
        cpu.regs[4] = 0x6ff8;
        expectFault(13, CODE0, () -> seg.farReturn(4, 0));
        assertEquals(0x6ff8, cpu.regs[4], "ESP untouched by a faulting RET");
    }

    @Test
    void iretToOuterRingAppliesFlagPrivilege() {
        rig.protectedMode();
        cpu.regs[4] = 0x8000 - 20;
        int[] frame = {0x1234, CODE3, 0x3202 | SysBits.IF, 0x6000, DATA3};
        for (int i = 0; i < frame.length; i++) {
            rig.w32(0x8000 - 20 + 4 * i, frame[i]);
        }
        seg.iret(4, 0);
        assertEquals(3, cpu.cpl);
        assertEquals(0x1234, cpu.rip);
        assertEquals(0x6000, cpu.regs[4]);
        assertEquals(0x3202 | SysBits.IF, cpu.getEflags() & 0xffff, "CPL 0 may set IOPL and IF");
        // Back in ring 3 with IOPL 0 an IRET cannot change IOPL or IF.
        cpu.setEflags(0x202);
        cpu.regs[4] = 0x5000;
        rig.w32(0x5000, 0x99);
        rig.w32(0x5004, CODE3);
        rig.w32(0x5008, 0x3002 | SysBits.CF);
        seg.iret(4, 0);
        assertEquals(0x203, cpu.getEflags() & 0xffff);
    }

    @Test
    void jumpToTssAndBack() {
        rig.protectedMode();
        rig.w32(TSS_B + 0x1c, 0);
        rig.w32(TSS_B + 0x20, 0x7000);
        rig.w32(TSS_B + 0x24, 0x2 | SysBits.CF);
        for (int i = 0; i < 8; i++) {
            rig.w32(TSS_B + 0x28 + 4 * i, 0x100 + i);
        }
        rig.w16(TSS_B + 0x48, DATA0);
        rig.w16(TSS_B + 0x4c, CODE0);
        rig.w16(TSS_B + 0x50, DATA0);
        rig.w16(TSS_B + 0x54, DATA0);
        cpu.regs[0] = 0xaaaa;
        cpu.regs[4] = 0x8000;
        seg.farJump(TSS_B_SEL, 0, 0x4242);
        assertEquals(TSS_B_SEL, cpu.trSel);
        assertEquals(0x7000, cpu.rip);
        assertEquals(0x100, cpu.regs[0]);
        assertEquals(0x104, cpu.regs[4]);
        assertEquals(SysBits.CF, cpu.getEflags() & SysBits.CF);
        assertTrue((cpu.cr0 & SysBits.CR0_TS) != 0);
        assertEquals(0x4242, rig.r32(TSS_A + 0x20), "old EIP saved");
        assertEquals(0xaaaa, rig.r32(TSS_A + 0x28), "old EAX saved");
        assertEquals(0x89, (int) (rig.gdtEntry(TSS_A_SEL) >>> 40) & 0xff, "old TSS no longer busy");
        assertEquals(0x8b, (int) (rig.gdtEntry(TSS_B_SEL) >>> 40) & 0xff, "new TSS busy");
        expectFault(13, TSS_B_SEL, () -> seg.farJump(TSS_B_SEL, 0, 0)); // busy TSS
        seg.farJump(TSS_A_SEL, 0, 0x7777);
        assertEquals(TSS_A_SEL, cpu.trSel);
        assertEquals(0x4242, cpu.rip);
        assertEquals(0xaaaa, cpu.regs[0]);
    }

    @Test
    void callThroughTaskGateNestsAndIretReturns() {
        rig.protectedMode();
        rig.w32(TSS_B + 0x20, 0x7000);
        rig.w32(TSS_B + 0x24, 0x2);
        rig.w32(TSS_B + 0x38, 0x6000);
        rig.w16(TSS_B + 0x4c, CODE0);
        rig.w16(TSS_B + 0x50, DATA0);
        cpu.regs[4] = 0x8000;
        seg.farCall(TASK_GATE, 0, 4, 0x4444);
        assertEquals(TSS_B_SEL, cpu.trSel);
        assertEquals(TSS_A_SEL, rig.r16(TSS_B), "back link");
        assertTrue((cpu.getEflags() & SysBits.NT) != 0);
        assertEquals(0x8b, (int) (rig.gdtEntry(TSS_A_SEL) >>> 40) & 0xff, "caller stays busy");
        seg.iret(4, 0x7010);
        assertEquals(TSS_A_SEL, cpu.trSel);
        assertEquals(0x4444, cpu.rip);
        assertEquals(0x8000, cpu.regs[4]);
        assertFalse((cpu.getEflags() & SysBits.NT) != 0);
        assertEquals(0x89, (int) (rig.gdtEntry(TSS_B_SEL) >>> 40) & 0xff, "returned-from task not busy");
        assertEquals(0x7010, rig.r32(TSS_B + 0x20));
        assertEquals(0, rig.r32(TSS_B + 0x24) & SysBits.NT, "NT cleared in the saved flags");
    }

    @Test
    void taskSwitchToBadCodeSegmentRaisesTsInNewTask() {
        rig.protectedMode();
        rig.idt(10, gate(CODE0, 0x5555, 0x8e, 0));
        rig.w32(TSS_B + 0x20, 0x7777);
        rig.w32(TSS_B + 0x38, 0x6000);
        rig.w16(TSS_B + 0x4c, DATA0); // CS = a data segment
        rig.w16(TSS_B + 0x50, DATA0);
        seg.farJump(TSS_B_SEL, 0, 0); // the #TS is delivered at once, in the new task
        assertEquals(TSS_B_SEL, cpu.trSel, "the fault belongs to the new task");
        assertEquals(0x5555, cpu.rip);
        assertEquals(DATA0, rig.r32(0x6000 - 16), "#TS(CS selector)");
        assertEquals(0x7777, rig.r32(0x6000 - 12), "returns to the new task's first instruction");
    }

    @Test
    void ioPermissionBitmap() {
        rig.protectedMode();
        cpu.seg.checkIo(0x3f8, 1); // CPL 0 <= IOPL 0
        rig.ring3(0x7000);
        rig.gdt(TSS_A_SEL, desc(TSS_A, 0x68 + 0x80 + 1, 0x8b, 0)); // bitmap covers ports 0..0x3ff
        cpu.trLimit = 0x68 + 0x80 + 1;
        for (int i = 0; i < 0x81; i++) {
            rig.ram.set(java.lang.foreign.ValueLayout.JAVA_BYTE, TSS_A + 0x68 + i, (byte) 0xff);
        }
        rig.ram.set(java.lang.foreign.ValueLayout.JAVA_BYTE, TSS_A + 0x68 + (0x3f8 >> 3), (byte) 0x00);
        cpu.seg.checkIo(0x3f8, 4);
        cpu.seg.checkIo(0x3fc, 4);
        expectFault(13, 0, () -> cpu.seg.checkIo(0x3f6, 4)); // 0x3f6..0x3f9 touches a denied port
        expectFault(13, 0, () -> cpu.seg.checkIo(0x60, 1));
        expectFault(13, 0, () -> cpu.seg.checkIo(0x8000, 1)); // beyond the TSS limit
        cpu.setEflags(0x3002);
        cpu.seg.checkIo(0x60, 1); // IOPL 3
    }

    @Test
    void larLslVerrVerw() {
        rig.protectedMode();
        assertEquals(0x00c09a00L, seg.lar(CODE0), "limit bits 16..19 are not access rights");
        assertEquals(0xffffffffL, seg.lsl(DATA0));
        assertEquals(0x67, seg.lsl(TSS_A_SEL));
        assertEquals(-1, seg.lsl(CALL_GATE));
        assertTrue(seg.lar(CALL_GATE) >= 0);
        assertEquals(-1, seg.lar(0x200));
        assertTrue(seg.verr(CODE0));
        assertFalse(seg.verr(CODE_EXEC_ONLY));
        assertTrue(seg.verw(DATA0));
        assertFalse(seg.verw(CODE0));
        rig.ring3(0x7000);
        assertEquals(-1, seg.lar(CODE0));
        assertFalse(seg.verw(DATA0));
        assertTrue(seg.verr(CODE0_CONFORMING));
    }

    @Test
    void ldtLoadAndLdtSelectors() {
        rig.protectedMode();
        rig.gdt(LDT_SEL, desc(0x4000, 0xf, 0x82, 0));
        rig.w64(0x4008, desc(0x20000, 0xffff, 0x92, 0));
        expectFault(13, 0xc, () -> seg.loadSeg(X86Cpu.DS, 0xc)); // no LDT yet
        seg.lldt(LDT_SEL);
        seg.loadSeg(X86Cpu.DS, 0xc);
        assertEquals(0x20000, cpu.segBase[X86Cpu.DS]);
        expectFault(13, 0x14, () -> seg.loadSeg(X86Cpu.DS, 0x14)); // beyond the LDT limit
        expectFault(13, DATA0, () -> seg.lldt(DATA0));
        rig.ring3(0x7000);
        expectFault(13, 0, () -> seg.lldt(LDT_SEL));
    }
}
