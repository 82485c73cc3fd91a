package org.jqemu.target.i386;

import static org.jqemu.target.i386.SysRig.expectFault;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** PAE paging, 4-level paging, NX and global pages (Intel SDM vol. 3, 4.4, 4.5, 4.10). */
class MmuLongModeTest {
    static final long PML4 = 0x10000, PDPT = 0x11000, PD = 0x12000, PT = 0x13000;
    static final long P = 1, RW = 2, US = 4, A = 0x20, D = 0x40, PS = 0x80, G = 0x100, XD = 1L << 63;

    final SysRig rig = new SysRig();
    final X86Cpu cpu = rig.cpu;
    final X86Mmu mmu = cpu.mmu;
    final SystemInsns sys = cpu.sys;

    long r64(long a) {
        return rig.ram.get(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, a);
    }

    /** Legacy PAE: PDPTE[1] → PD, PD[2] → PT, so linear 0x40400000 + n*4K goes through PT[n]. */
    void paeTables() {
        rig.w64(PDPT + 8, PD | P);
        rig.w64(PD + 16, PT | P | RW | US);
    }

    void legacyPae() {
        rig.protectedMode();
        sys.writeCr(4, SysBits.CR4_PAE);
        sys.writeCr(3, PDPT);
        sys.writeCr(0, cpu.cr0 | SysBits.CR0_PG);
    }

    /** 4-level: PML4[1] → PDPT, PDPT[2] → PD, PD[3] → PT: linear 0x80_8060_0000 + n*4K. */
    static final long LIN = (1L << 39) | (2L << 30) | (3L << 21);

    void longTables(long pteFlags) {
        rig.w64(PML4 + 8, PDPT | P | RW | US);
        rig.w64(PDPT + 16, PD | P | RW | US);
        rig.w64(PD + 24, PT | P | RW | US);
        rig.w64(PT + 8, 0x200000 | pteFlags);
    }

    void longMode(long efer) {
        rig.protectedMode();
        sys.wrmsrValue(SystemInsns.MSR_EFER, efer | X86Cpu.EFER_LME);
        sys.writeCr(4, SysBits.CR4_PAE | SysBits.CR4_PGE);
        sys.writeCr(3, PML4);
        sys.writeCr(0, cpu.cr0 | SysBits.CR0_PG);
    }

    @Test
    void legacyPaeTranslatesThroughPdptesLoadedAtCr3Write() {
        paeTables();
        rig.w64(PT + 8, 0x300000 | P | RW);
        legacyPae();
        mmu.write32(0x40401010L, 0x12345678);
        assertEquals(0x12345678, rig.r32(0x300010));
        assertEquals(P | RW | A | D, r64(PT + 8) & 0xfff);
        // The PDPTEs were cached at the CR3 write: changing memory does not affect them.
        rig.w64(PDPT + 8, 0);
        mmu.flushAll();
        assertEquals(0x12345678, mmu.read32(0x40401010L));
        // A not-present PDPTE faults with P=0.
        expectFault(14, 0, () -> mmu.read32(0x1000));
        assertEquals(0x1000, cpu.cr2);
    }

    @Test
    void paePdpteWithReservedBitsMakesCr3LoadFault() {
        rig.protectedMode();
        sys.writeCr(4, SysBits.CR4_PAE);
        rig.w64(PDPT, PD | P | RW); // R/W is reserved in a PAE PDPTE
        sys.writeCr(3, 0x20000);
        sys.writeCr(0, cpu.cr0 | SysBits.CR0_PG);
        expectFault(13, 0, () -> sys.writeCr(3, PDPT));
        assertEquals(0x20000, cpu.cr3);
    }

    @Test
    void paeTwoMegabytePage() {
        rig.w64(PDPT, PD | P);
        rig.w64(PD + 8 * 5, 0x400000 | P | RW | PS);
        legacyPae();
        mmu.write32(0xa1234cL, 0xfeedface);
        assertEquals(0xfeedface, rig.r32(0x41234c));
        assertEquals(P | RW | PS | A | D, r64(PD + 8 * 5) & 0xfff);
    }

    @Test
    void activatingPagingWithLmeSetsLmaAndWalksFourLevels() {
        longTables(P | RW);
        longMode(0);
        assertTrue(cpu.longMode());
        assertEquals(X86Cpu.EFER_LME | X86Cpu.EFER_LMA, sys.rdmsrValue(SystemInsns.MSR_EFER));
        mmu.write64(LIN + 0x1ff8, 0x1122334455667788L);
        assertEquals(0x1122334455667788L, r64(0x200ff8));
        for (long e : new long[] {PML4 + 8, PDPT + 16, PD + 24}) {
            assertEquals(A, r64(e) & (A | D), "upper levels get A only");
        }
        assertEquals(A | D, r64(PT + 8) & (A | D));
        expectFault(14, 0, () -> mmu.read8(LIN + 0x2000));
        assertEquals(LIN + 0x2000, cpu.cr2, "CR2 holds the full 64-bit address");
    }

    @Test
    void negativeCanonicalAddressesUseTheUpperHalf() {
        rig.w64(PML4 + 511 * 8, PDPT | P | RW);
        rig.w64(PDPT + 511 * 8, PD | P | RW);
        rig.w64(PD + 511 * 8, PT | P | RW);
        rig.w64(PT + 511 * 8, 0x250000 | P | RW);
        longMode(0);
        mmu.write32(0xfffffffffffff123L, 0xabcd);
        assertEquals(0xabcd, rig.r32(0x250123));
    }

    @Test
    void lmaRequiresPaeAndEferLmeIsLockedWhilePaging() {
        rig.protectedMode();
        sys.wrmsrValue(SystemInsns.MSR_EFER, X86Cpu.EFER_LME);
        expectFault(13, 0, () -> sys.writeCr(0, cpu.cr0 | SysBits.CR0_PG));
        assertFalse(cpu.longMode());
        longTables(P | RW);
        sys.writeCr(4, SysBits.CR4_PAE);
        sys.writeCr(3, PML4);
        sys.writeCr(0, cpu.cr0 | SysBits.CR0_PG);
        expectFault(13, 0, () -> sys.wrmsrValue(SystemInsns.MSR_EFER, 0));
        expectFault(13, 0, () -> sys.writeCr(4, 0));
        sys.writeCr(0, cpu.cr0 & ~SysBits.CR0_PG);
        assertFalse(cpu.longMode());
    }

    @Test
    void executeDisableFaultsOnFetchOnlyWithNxe() {
        longTables(P | RW | XD);
        expectFault(14, X86Mmu.PF_P | X86Mmu.PF_RSVD, () -> {
            longMode(0);
            mmu.read8(LIN + 0x1000); // XD without NXE is a reserved bit
        });
        sys.wrmsrValue(SystemInsns.MSR_EFER, X86Cpu.EFER_LME | X86Cpu.EFER_NXE);
        assertEquals(0, mmu.read8(LIN + 0x1000), "data reads of an XD page are fine");
        expectFault(14, X86Mmu.PF_P | X86Mmu.PF_ID, () -> mmu.translateCode(LIN + 0x1000));
        cpu.cpl = 3;
        expectFault(14, X86Mmu.PF_U | X86Mmu.PF_ID, () -> mmu.translateCode(LIN + 0x5000));
    }

    @Test
    void xdInAnUpperLevelAppliesToTheWholeRange() {
        longTables(P | RW);
        rig.w64(PDPT + 16, PD | P | RW | US | XD);
        longMode(X86Cpu.EFER_NXE);
        expectFault(14, X86Mmu.PF_P | X86Mmu.PF_ID, () -> mmu.translateCode(LIN + 0x1000));
    }

    @Test
    void userAndWriteProtectionAccumulateAcrossLevels() {
        longTables(P | RW | US);
        rig.w64(PDPT + 16, PD | P | US); // read-only at the PDPT level
        longMode(0);
        cpu.cpl = 3;
        assertEquals(0, mmu.read32(LIN + 0x1000));
        expectFault(14, X86Mmu.PF_P | X86Mmu.PF_W | X86Mmu.PF_U, () -> mmu.write32(LIN + 0x1000, 1));
        rig.w64(PML4 + 8, PDPT | P | RW); // supervisor-only at the top
        cpu.cpl = 0;
        sys.writeCr(3, PML4);
        cpu.cpl = 3;
        expectFault(14, X86Mmu.PF_P | X86Mmu.PF_U, () -> mmu.read32(LIN + 0x1000));
    }

    @Test
    void globalPagesSurviveCr3ReloadButNotInvlpg() {
        longTables(P | RW | G);
        rig.w64(PT + 16, 0x201000 | P | RW);
        longMode(0);
        rig.w32(0x200000, 1);
        rig.w32(0x201000, 2);
        assertEquals(1, mmu.read32(LIN + 0x1000));
        assertEquals(2, mmu.read32(LIN + 0x2000));
        rig.w64(PT + 8, 0x202000 | P | RW | G);
        rig.w64(PT + 16, 0x203000 | P | RW);
        rig.w32(0x202000, 3);
        rig.w32(0x203000, 4);
        sys.writeCr(3, PML4);
        assertEquals(1, mmu.read32(LIN + 0x1000), "global entry kept across a CR3 load");
        assertEquals(4, mmu.read32(LIN + 0x2000), "non-global entry flushed");
        sys.invlpg(LIN + 0x1000);
        assertEquals(3, mmu.read32(LIN + 0x1000));
    }

    @Test
    void oneGigabytePagesAreReservedWithoutPdpe1gb() {
        rig.w64(PML4, PDPT | P | RW);
        rig.w64(PDPT, P | RW | PS);
        longMode(0);
        expectFault(14, X86Mmu.PF_P | X86Mmu.PF_RSVD, () -> mmu.read8(0x1000));
    }

    @Test
    void debugTranslateWalksWithoutSideEffects() {
        longTables(P | RW);
        longMode(0);
        assertEquals(0x200abcL, mmu.debugTranslate(LIN + 0x1abc));
        assertEquals(0, r64(PT + 8) & A);
        assertEquals(-1, mmu.debugTranslate(LIN + 0x3000));
    }

    @Test
    void invlpgInsideATwoMegabytePageDropsAllOfItsPieces() {
        rig.w64(PML4, PDPT | P | RW);
        rig.w64(PDPT, PD | P | RW);
        rig.w64(PD + 8, 0x200000 | P | RW | PS);   // linear 2M..4M
        rig.w64(PD + 16, 0x400000 | P | RW | PS);  // linear 4M..6M, another page
        longMode(0);
        rig.w32(0x200010, 1);
        rig.w32(0x3ff010, 2);
        rig.w32(0x401010, 3);
        assertEquals(1, mmu.read32(0x200010));
        assertEquals(2, mmu.read32(0x3ff010));
        assertEquals(3, mmu.read32(0x401010));
        rig.w64(PD + 8, 0x600000 | P | RW | PS);
        rig.w64(PD + 16, 0x600000 | P | RW | PS);
        rig.w32(0x600010, 4);
        rig.w32(0x7ff010, 5);
        sys.invlpg(0x2ab000);
        assertEquals(4, mmu.read32(0x200010));
        assertEquals(5, mmu.read32(0x3ff010), "another 4K piece of the same 2M page");
        assertEquals(3, mmu.read32(0x401010), "a different large page stays cached");
    }
}
