package org.jqemu.target.arm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicInteger;
import org.jqemu.system.cpu.CpuExecutor;
import org.junit.jupiter.api.Test;

/** The CPU's contract with the board, its reset state, ID registers, the generic timer and WFI. */
class CpuTest {
    @Test
    void resetStateAndIdentity() throws Exception {
        try (ArmRig rig = new ArmRig()) {
            Aarch64Cpu cpu = rig.cpu;
            assertEquals(1, cpu.currentEl());
            assertTrue(cpu.spSel, "EL1h");
            assertEquals(0x3c0, cpu.daif, "DAIF masked");
            assertEquals(0, cpu.sys.sctlrEl1 & 1, "MMU off");
            assertEquals(0x8000_0000L, cpu.mpidr());
            assertEquals(0x411f_d070L, cpu.sys.read(A64SysRegs.MIDR));
            // AArch64-only EL0/EL1, no EL2/EL3, FP and AdvSIMD present, no GIC system registers
            assertEquals(0x11, cpu.sys.read(A64SysRegs.ID_AA64PFR0));
            // CRC32 only in ISAR0 (no LSE on the A57, no crypto); nothing in ISAR1 (no PAuth)
            assertEquals(0x0001_0000L, cpu.sys.read(A64SysRegs.ID_AA64ISAR0));
            assertEquals(0, cpu.sys.read(A64SysRegs.ID_AA64ISAR1));
            // 4 KiB granule only
            long mmfr0 = cpu.sys.read(A64SysRegs.ID_AA64MMFR0);
            assertEquals(0, (mmfr0 >>> 28) & 0xf);
            assertEquals(0xf, (mmfr0 >>> 24) & 0xf);
            assertEquals(0, (mmfr0 >>> 20) & 0xf);
            assertEquals(Aarch64Cpu.CNTFRQ_HZ, cpu.sys.read(A64SysRegs.CNTFRQ));
        }
        try (ArmRig rig = new ArmRig()) {
            Aarch64Cpu third = new Aarch64Cpu(rig.machine, 10, ArmCpuModel.MAX);
            assertEquals(0x8000_0000L | (1 << 8) | 2, third.mpidr(), "Aff1 = index / 8, Aff0 = index % 8");
            assertEquals(0x0021_0000L, third.sys.read(A64SysRegs.ID_AA64ISAR0), "max: CRC32 and LSE atomics");
        }
    }

    @Test
    void bootProtocolAndPsciPower() throws Exception {
        try (ArmRig rig = new ArmRig()) {
            Aarch64Cpu cpu = rig.cpu;
            cpu.setXreg(5, 99);
            cpu.bootAt(0x4008_0000L, 0x4800_0000L);
            assertEquals(0x4008_0000L, cpu.pc());
            assertEquals(0x4800_0000L, cpu.xreg(0));
            assertEquals(0, cpu.xreg(5));
            assertEquals(0, cpu.xreg(31), "x31 reads as zero through xreg");

            cpu.powerOff();
            assertTrue(cpu.isPoweredOff());
            assertFalse(cpu.hasWork());
            assertEquals(CpuExecutor.EXIT_KICKED, cpu.execute(), "the pending exit request first");
            assertEquals(CpuExecutor.EXIT_HALTED, cpu.execute());
            AtomicInteger kicks = new AtomicInteger();
            cpu.setKicker(kicks::incrementAndGet);
            cpu.powerOn(0x4009_0000L, 0x1234);
            assertFalse(cpu.isPoweredOff());
            assertTrue(cpu.hasWork());
            assertEquals(1, kicks.get(), "powerOn wakes the vCPU thread");
            assertEquals(0x4009_0000L, cpu.pc());
            assertEquals(0x1234, cpu.xreg(0));
            assertEquals(1, cpu.currentEl());
        }
    }

    /**
     * The virtual timer, wired straight to the IRQ input, wakes WFI and is taken at
     * VBAR + 0x280 (current EL with SP_ELx, IRQ); the handler masks it through CNTV_CTL.IMASK.
     */
    @Test
    void virtualTimerInterruptWakesWfi() throws Exception {
        String src = """
                .text
                .global main
        main:   stp     x29, x30, [sp, #-16]!
                adr     x0, vectors
                msr     vbar_el1, x0
                mrs     x1, cntvct_el0
                mov     x2, #62500              // 1 ms at 62.5 MHz
                msr     cntv_tval_el0, x2
                mov     x2, #1
                msr     cntv_ctl_el0, x2        // enable, unmasked
                adr     x0, msg_wait
                bl      puts
        1:      adr     x3, fired               // IRQs stay masked while we decide to sleep;
                ldr     w3, [x3]                // WFI wakes on a masked pending IRQ, which is
                cbnz    w3, 3f                  // taken once unmasked
                wfi
                msr     daifclr, #2
                isb
                msr     daifset, #2
                b       1b
        3:
                mrs     x4, cntvct_el0
                sub     x4, x4, x1
                mov     x5, #62500
                cmp     x4, x5
                b.lo    2f
                adr     x0, msg_ok
                bl      puts
        2:      ldp     x29, x30, [sp], #16
                ret
        irq:    stp     x0, x30, [sp, #-16]!
                mrs     x0, cntv_ctl_el0        // ENABLE | ISTATUS
                add     x0, x0, #'0'
                bl      putc
                mov     x0, #3
                msr     cntv_ctl_el0, x0        // IMASK: the output falls
                adr     x0, fired
                mov     w1, #1
                str     w1, [x0]
                ldp     x0, x30, [sp], #16
                eret
        unexpected:
                adr     x0, msg_bad
                bl      puts
                b       exit
                .balign 2048
        vectors:
                .rept   5
                b       unexpected
                .balign 128
                .endr
                b       irq                     // 0x280
                .balign 128
                .rept   10
                b       unexpected
                .balign 128
                .endr
        msg_wait: .asciz "wait "
        msg_ok:   .asciz " ok"
        msg_bad:  .asciz "unexpected"
                .data
        fired:  .word 0
        """;
        try (ArmRig rig = new ArmRig()) {
            rig.cpu.connectTimers(null, rig.cpu.irqLine(), null, null);
            rig.loadElf(Asm.assemble("timer", src));
            assertTrue(rig.run(30_000), "program ended: " + rig.serial);
            assertEquals("wait 5 ok", rig.serial.toString(), "ISTATUS|ENABLE seen in the handler, >= 1 ms waited");
        }
    }

    /** A store-exclusive fails without a matching load-exclusive, or when the value changed. */
    @Test
    void exclusiveMonitor() throws Exception {
        String src = """
                .include "macros.inc"
                .text
                .global main
        main:   stp     x29, x30, [sp, #-16]!
                adr     x0, vectors
                msr     vbar_el1, x0
                adr     x1, word
                mov     x2, #5
                stxr    w3, x2, [x1]            // no monitor: fails
                SHOW    x3
                ldxr    x4, [x1]
                mov     x5, #9
                str     x5, [x1]                // the value changed under the monitor
                stxr    w3, x2, [x1]
                SHOW    x3
                ldxr    x4, [x1]
                stxr    w3, x2, [x1]            // succeeds
                SHOW    x3
                ldr     x0, [x1]
                bl      show
                ldxr    x4, [x1]
                clrex
                stxr    w3, x5, [x1]
                SHOW    x3
                add     x6, x1, #4
                ldxr    x4, [x6]                // misaligned exclusive: alignment fault
                ldp     x29, x30, [sp], #16
                ret
        fault:  mov     x0, #'E'
                bl      putc
                mrs     x0, esr_el1
                bl      show
                b       exit
                .balign 2048
        vectors:
                .rept   16
                b       fault
                .balign 128
                .endr
                .data
                .balign 16
        word:   .quad 1, 2
        """;
        try (ArmRig rig = new ArmRig()) {
            rig.loadElf(Asm.assemble("excl", src));
            rig.run(10_000);
            assertEquals("0000000000000001\n0000000000000001\n0000000000000000\n0000000000000005\n0000000000000001\nE0000000096000021\n",
                    rig.serial.toString());
        }
    }
}
