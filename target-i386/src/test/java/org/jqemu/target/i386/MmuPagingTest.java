package org.jqemu.target.i386;

import static org.jqemu.target.i386.SysRig.expectFault;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.jqemu.system.memory.IoRegion;
import org.jqemu.system.memory.MemoryOps;
import org.jqemu.system.memory.RamRegion;
import org.junit.jupiter.api.Test;

class MmuPagingTest {
    static final long PD = 0x10000, PT = 0x11000;
    static final int P = 1, RW = 2, US = 4, A = 0x20, D = 0x40, PS = 0x80;

    final SysRig rig = new SysRig();
    final X86Cpu cpu = rig.cpu;
    final X86Mmu mmu = cpu.mmu;

    /** Maps linear 0x400000.. through PD[1] → PT; PT[n] maps to physical {@code phys}. */
    void map(int pdeFlags, int n, long phys, int pteFlags) {
        rig.w32(PD + 4, (int) PT | pdeFlags);
        rig.w32(PT + 4L * n, (int) phys | pteFlags);
    }

    void paging() {
        rig.protectedMode();
        cpu.sys.writeCr(3, PD);
        cpu.sys.writeCr(0, cpu.cr0 | SysBits.CR0_PG);
    }

    @Test
    void withoutPagingLinearIsPhysicalAndA20Masks() {
        rig.w32(0x1234, 0xcafebabe);
        assertEquals(0xcafebabe, mmu.read32(0x1234));
        mmu.write16(0x2000, 0x4321);
        assertEquals(0x4321, rig.r16(0x2000));
    }

    @Test
    void a20GateFoldsBit20() {
        rig.w32(0x1234, 0x11111111);
        rig.w32(0x101234, 0x22222222);
        assertEquals(0x22222222, mmu.read32(0x101234));
        cpu.setA20(false);
        assertEquals(0x11111111, mmu.read32(0x101234));
        mmu.write32(0x101238, 0x33);
        assertEquals(0x33, rig.r32(0x1238));
        cpu.setA20(true);
        assertEquals(0x22222222, mmu.read32(0x101234));
    }

    @Test
    void fourKilobytePageTranslatesAndSetsAccessedAndDirty() {
        map(P | RW, 0, 0x200000, P | RW);
        paging();
        mmu.write32(0x400123, 0xdeadbeef);
        assertEquals(0xdeadbeef, rig.r32(0x200123));
        assertEquals(0xdeadbeef, mmu.read32(0x400123));
        assertEquals(P | RW | A | D, rig.r32(PT) & 0xfff);
        assertEquals(P | RW | A, rig.r32(PD + 4) & 0xfff, "PDE gets A, never D");
    }

    @Test
    void readSetsAccessedOnlyAndFirstWriteAfterReadSetsDirty() {
        map(P | RW, 0, 0x200000, P | RW);
        paging();
        mmu.read32(0x400000);
        assertEquals(P | RW | A, rig.r32(PT) & 0xfff);
        mmu.write8(0x400001, 5);
        assertEquals(P | RW | A | D, rig.r32(PT) & 0xfff);
    }

    @Test
    void notPresentFaultsWithCr2AndErrorCode() {
        paging();
        expectFault(14, 0, () -> mmu.read32(0x400010));
        assertEquals(0x400010, cpu.cr2);
        rig.w32(PD + 4, (int) PT | P | RW | US);
        expectFault(14, 2, () -> mmu.write16(0x401002, 1));
        assertEquals(0x401002, cpu.cr2);
        cpu.cpl = 3;
        expectFault(14, 4, () -> mmu.read8(0x402000));
        expectFault(14, 6, () -> mmu.write8(0x402000, 1));
    }

    /** Every U/S × R/W combination at both levels, user and supervisor, read and write, WP on/off. */
    @Test
    void permissionMatrix() {
        paging();
        int cases = 0;
        for (int pde = 0; pde < 4; pde++) {
            for (int pte = 0; pte < 4; pte++) {
                for (int user = 0; user < 2; user++) {
                    for (int write = 0; write < 2; write++) {
                        for (int wp = 0; wp < 2; wp++) {
                            int pdeFlags = P | ((pde & 1) != 0 ? RW : 0) | ((pde & 2) != 0 ? US : 0);
                            int pteFlags = P | ((pte & 1) != 0 ? RW : 0) | ((pte & 2) != 0 ? US : 0);
                            map(pdeFlags, 0, 0x200000, pteFlags);
                            cpu.cpl = 0;
                            cpu.sys.writeCr(0, wp == 1 ? cpu.cr0 | SysBits.CR0_WP : cpu.cr0 & ~SysBits.CR0_WP);
                            cpu.sys.writeCr(3, PD);
                            cpu.cpl = user == 1 ? 3 : 0;
                            boolean userOk = (pdeFlags & pteFlags & US) != 0;
                            boolean writable = (pdeFlags & pteFlags & RW) != 0;
                            boolean allowed = user == 1
                                    ? userOk && (write == 0 || writable)
                                    : write == 0 || writable || wp == 0;
                            String what = "pde=" + pdeFlags + " pte=" + pteFlags + " user=" + user + " write=" + write + " wp=" + wp;
                            if (allowed) {
                                if (write == 1) {
                                    mmu.write32(0x400040, 0x1234 + cases);
                                    assertEquals(0x1234 + cases, rig.r32(0x200040), what);
                                } else {
                                    mmu.read32(0x400040);
                                }
                            } else {
                                int err = 1 | (write == 1 ? 2 : 0) | (user == 1 ? 4 : 0);
                                int c = cases;
                                boolean isWrite = write == 1;
                                X86Fault f = org.junit.jupiter.api.Assertions.assertThrows(X86Fault.class,
                                        () -> {
                                            if (isWrite) {
                                                mmu.write32(0x400040, c);
                                            } else {
                                                mmu.read32(0x400040);
                                            }
                                        }, what);
                                assertEquals(14, f.vector, what);
                                assertEquals(err, f.errorCode, what);
                                assertEquals(0, rig.r32(PT) & D, "no dirty bit on a refused write: " + what);
                            }
                            cases++;
                        }
                    }
                }
            }
        }
        assertEquals(128, cases);
    }

    @Test
    void largePagesNeedPse() {
        rig.w32(PD + 8, 0x400000 | P | RW | PS); // linear 8 MiB → physical 4 MiB, 4 MiB page
        rig.w32(0x400000 + 0x1234, 0x5a5a5a5a);
        rig.w32(0x400000 + 4, 0x00201000 | P | RW); // read as a page table without PSE
        rig.w32(0x201000 + 0x234, 0x77777777);
        paging();
        assertEquals(0x77777777, mmu.read32(0x801234), "PS ignored without CR4.PSE");
        cpu.sys.writeCr(4, SysBits.CR4_PSE);
        assertEquals(0x5a5a5a5a, mmu.read32(0x801234));
        mmu.write32(0x801238, 1);
        assertEquals(P | RW | PS | A | D, rig.r32(PD + 8) & 0xfff);
    }

    @Test
    void tlbKeepsStaleTranslationUntilInvlpgOrCr3Load() {
        map(P | RW, 0, 0x200000, P | RW);
        rig.w32(0x200000, 1);
        rig.w32(0x300000, 2);
        paging();
        assertEquals(1, mmu.read32(0x400000));
        rig.w32(PT, 0x300000 | P | RW);
        assertEquals(1, mmu.read32(0x400000), "a TLB hit does not re-walk");
        cpu.sys.invlpg(0x400abc);
        assertEquals(2, mmu.read32(0x400000));
        rig.w32(PT, 0x200000 | P | RW);
        assertEquals(2, mmu.read32(0x400000));
        cpu.sys.writeCr(3, PD);
        assertEquals(1, mmu.read32(0x400000));
    }

    @Test
    void pageCrossingWriteFaultsBeforeWritingAnything() {
        map(P | RW, 0, 0x200000, P | RW);
        paging();
        rig.w32(0x200ffc, 0);
        expectFault(14, 2, () -> mmu.write32(0x400ffe, 0xaabbccdd));
        assertEquals(0x401000, cpu.cr2);
        assertEquals(0, rig.r32(0x200ffc), "first page untouched");
        rig.w32(PT + 4, 0x250000 | P | RW);
        mmu.write32(0x400ffe, 0xaabbccdd);
        assertEquals(0xccdd, rig.r16(0x200ffe));
        assertEquals(0xaabb, rig.r16(0x250000));
        assertEquals(0xaabbccdd, mmu.read32(0x400ffe));
        mmu.write64(0x400ffc, 0x1122334455667788L);
        assertEquals(0x1122334455667788L, mmu.read64(0x400ffc));
        assertEquals(0x11223344, rig.r32(0x250000));
    }

    @Test
    void writesToCodePagesReachTheCodeCache() {
        List<Long> invalidated = new ArrayList<>();
        boolean[] code = new boolean[1];
        mmu.setCodeTracking(p -> code[0] && (p & ~0xfffL) == 0x5000, invalidated::add);
        mmu.write32(0x5010, 1); // fast entry made while the page is not code
        code[0] = true;
        mmu.protectCodePage(0x5000);
        mmu.write32(0x5020, 2);
        mmu.write8(0x5024, 3);
        assertEquals(List.of(0x5020L, 0x5024L), invalidated);
        assertEquals(2, rig.r32(0x5020));
        code[0] = false;
        mmu.write32(0x5028, 4);
        mmu.write32(0x502c, 5);
        assertEquals(List.of(0x5020L, 0x5024L), invalidated, "no code left: no more invalidations");
        assertEquals(5, rig.r32(0x502c));
    }

    @Test
    void deviceRegionsGoThroughTheirOpsUnderTheMachineLock() {
        List<String> log = new ArrayList<>();
        rig.machine.memory().root().add(0xfee00000L, new IoRegion("dev", 0x1000, new MemoryOps() {
            @Override
            public long read(long offset, int size) {
                log.add("r" + offset + "/" + size + (rig.machine.holdsLock() ? "L" : ""));
                return 0x12345678;
            }

            @Override
            public void write(long offset, int size, long value) {
                log.add("w" + offset + "/" + size + "=" + Long.toHexString(value) + (rig.machine.holdsLock() ? "L" : ""));
            }
        }), 1);
        assertEquals(0x12345678, mmu.read32(0xfee00020L));
        mmu.write16(0xfee00030L, 0xbeef);
        assertEquals(List.of("r32/4L", "w48/2=beefL"), log);
    }

    @Test
    void memoryMapChangesFlushTheTlb() {
        rig.w32(0x600000, 7);
        assertEquals(7, mmu.read32(0x600000));
        RamRegion other = RamRegion.allocate(rig.machine.arena(), "other", 0x1000, false);
        other.segment().set(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED, 0, 9);
        rig.machine.memory().root().add(0x600000, other, 1);
        assertEquals(9, mmu.read32(0x600000));
    }

    @Test
    void romIgnoresWrites() {
        RamRegion rom = RamRegion.allocate(rig.machine.arena(), "rom", 0x1000, true);
        rom.segment().set(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED, 0, 0x55);
        rig.machine.memory().root().add(0x700000, rom, 1);
        mmu.write32(0x700000, 0x66);
        assertEquals(0x55, mmu.read32(0x700000));
    }

    @Test
    void supervisorVariantsIgnoreCpl() {
        map(P | RW, 0, 0x200000, P | RW); // supervisor-only page
        paging();
        cpu.cpl = 3;
        mmu.writeSys32(0x400000, 42);
        assertEquals(42, mmu.readSys32(0x400000));
        expectFault(14, 5, () -> mmu.read32(0x400000));
    }

    @Test
    void instructionFetchTranslation() {
        map(P | RW | US, 3, 0x234000, P | US);
        paging();
        assertEquals(0x234567, mmu.translateCode(0x403567));
        assertTrue((rig.r32(PT + 12) & A) != 0);
        cpu.cpl = 3;
        assertEquals(0x234568, mmu.translateCode(0x403568));
        expectFault(14, 4, () -> mmu.translateCode(0x404000));
        assertFalse(mmu.debugTranslate(0x404000) >= 0);
        assertEquals(0x234001, mmu.debugTranslate(0x403001));
    }
}
