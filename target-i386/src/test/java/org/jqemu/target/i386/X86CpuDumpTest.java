package org.jqemu.target.i386;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The monitor's view of an x86 CPU: QEMU's register dump and a side-effect-free page walk. */
class X86CpuDumpTest {
    final SysRig rig = new SysRig();
    final X86Cpu cpu = rig.cpu;

    @Test
    void resetStateDumpsAsQemuPrintsIt() {
        cpu.reset();
        // qemu-system-x86_64 -cpu qemu32 -S, "info registers" (QEMU 7.2), but for EDX (the model's signature)
        // and the x87 state: jqemu's RESET follows the SDM (vol. 3 table 10-1: FCW 0040H, tags 5555H
        // = all valid), QEMU's is FINIT's (037FH, all empty)
        assertEquals("""
                EAX=00000000 EBX=00000000 ECX=00000000 EDX=%08x
                ESI=00000000 EDI=00000000 EBP=00000000 ESP=00000000
                EIP=0000fff0 EFL=00000002 [-------] CPL=0 II=0 A20=1 SMM=0 HLT=0
                ES =0000 00000000 0000ffff 00009300
                CS =f000 ffff0000 0000ffff 00009b00
                SS =0000 00000000 0000ffff 00009300
                DS =0000 00000000 0000ffff 00009300
                FS =0000 00000000 0000ffff 00009300
                GS =0000 00000000 0000ffff 00009300
                LDT=0000 00000000 0000ffff 00008200
                TR =0000 00000000 0000ffff 00008b00
                GDT=     00000000 0000ffff
                IDT=     00000000 0000ffff
                CR0=60000010 CR2=00000000 CR3=00000000 CR4=00000000
                DR0=0000000000000000 DR1=0000000000000000 DR2=0000000000000000 DR3=0000000000000000\s
                DR6=00000000ffff0ff0 DR7=0000000000000400
                EFER=0000000000000000
                FCW=0040 FSW=0000 [ST=0] FTW=ff MXCSR=00001f80
                FPR0=0000000000000000 0000 FPR1=0000000000000000 0000
                FPR2=0000000000000000 0000 FPR3=0000000000000000 0000
                FPR4=0000000000000000 0000 FPR5=0000000000000000 0000
                FPR6=0000000000000000 0000 FPR7=0000000000000000 0000
                XMM00=0000000000000000 0000000000000000 XMM01=0000000000000000 0000000000000000
                XMM02=0000000000000000 0000000000000000 XMM03=0000000000000000 0000000000000000
                XMM04=0000000000000000 0000000000000000 XMM05=0000000000000000 0000000000000000
                XMM06=0000000000000000 0000000000000000 XMM07=0000000000000000 0000000000000000
                """.formatted(X86Cpu.SIGNATURE), cpu.dumpRegisters());
    }

    @Test
    void protectedModeSegmentsAreDescribed() {
        rig.protectedMode();
        String dump = cpu.dumpRegisters();
        String cs = dump.lines().filter(l -> l.startsWith("CS =")).findFirst().orElseThrow();
        assertEquals("CS32 [-R", cs.substring(cs.indexOf("DPL=0 ") + 6, cs.indexOf("DPL=0 ") + 14), cs);
    }

    @Test
    void translateWalksFourLevelPagingWithoutSettingAccessedBits() {
        // PML4 0x10000 -> PDPT 0x11000 -> PD 0x12000: a 2 MiB page at 0x400000 for virtual 0x7f_c020_0000,
        // and a PT 0x13000 with one 4 KiB page at 0x5000 for virtual 0x7f_c000_1000
        long va2m = 0x7fc0200000L, va4k = 0x7fc0001000L;
        rig.w64(0x10000 + 8 * (va2m >>> 39 & 0x1ff), 0x11000 | 3);
        rig.w64(0x11000 + 8 * (va2m >>> 30 & 0x1ff), 0x12000 | 3);
        rig.w64(0x12000 + 8 * (va2m >>> 21 & 0x1ff), 0x400000 | 0x83);
        rig.w64(0x12000 + 8 * (va4k >>> 21 & 0x1ff), 0x13000 | 3);
        rig.w64(0x13000 + 8 * (va4k >>> 12 & 0x1ff), 0x5000 | 3);
        cpu.cr3 = 0x10000;
        cpu.cr4 = SysBits.CR4_PAE;
        cpu.efer = X86Cpu.EFER_LME | X86Cpu.EFER_LMA;
        cpu.cr0 = 0x80000011L;
        assertEquals(0x400000L + 0x1234, cpu.translate(va2m + 0x1234));
        assertEquals(0x5abcL, cpu.translate(va4k + 0xabc));
        assertEquals(-1, cpu.translate(va4k + 0x1000), "PT entry 2 is not present");
        assertEquals(-1, cpu.translate(0x8000000000000000L), "not canonical");
        assertEquals(0x11000 | 3, rig.r32(0x10000 + 8 * (va2m >>> 39 & 0x1ff)), "no accessed bit set");
    }

    @Test
    void translateWalks32BitPagingWith4MiBPages() {
        rig.w32(0x10000 + 4 * 1, 0x800000 | 0x83); // PDE 1: 4 MiB page at 8 MiB
        cpu.cr3 = 0x10000;
        cpu.cr4 = SysBits.CR4_PSE;
        cpu.cr0 = 0x80000011L;
        assertEquals(0x800000L + 0x12345, cpu.translate(0x400000L + 0x12345));
        assertEquals(-1, cpu.translate(0x800000L));
        cpu.cr0 = 0x11;
        assertEquals(0x400000L, cpu.translate(0x400000L), "paging off: linear is physical");
    }
}
