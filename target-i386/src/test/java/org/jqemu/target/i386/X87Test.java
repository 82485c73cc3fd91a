package org.jqemu.target.i386;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * x87 behaviour the SDM defines but QEMU's TCG does not model, so the recorded guest program
 * (tests/programs/x86/fpu.asm) cannot cover it: stack overflow/underflow (IE+SF, C1, the real
 * indefinite), unmasked exceptions leaving the stack alone, FNSTENV masking all exceptions, C1
 * as the round-up bit, FCOMI clearing OF/SF/AF.
 */
class X87Test {
    private static String run(String body) throws Exception {
        String src = "%include \"common.inc\"\nmain:\n" + body + "\n    call print_nl\n    ret\n"
                + "p80:\n    PHEX16 [scratch+8]\n    PRINT \":\"\n    PHEX32 [scratch+4]\n    PHEX32 [scratch]\n    ret\n"
                + "psw:\n    push eax\n    fnstsw ax\n    call print_hex16\n    pop eax\n    ret\n"
                + "END_IMAGE\n";
        try (ExecRig rig = new ExecRig()) {
            rig.loadMultiboot(ExecRig.nasm(src, ExecProgramsTest.suiteDir()), "x87");
            rig.run(10_000);
            return rig.serial.toString();
        }
    }

    @Test
    void stackOverflowPushesTheIndefinite() throws Exception {
        String out = run("""
                    fninit
                %rep 8
                    fld1
                %endrep
                    fldz
                    call psw
                    PRINT " "
                    fstp tword [scratch]
                    call p80
                """);
        assertEquals("3a41 ffff:c000000000000000\nPASS\n", out);
    }

    @Test
    void stackUnderflowWritesTheIndefinite() throws Exception {
        String out = run("""
                    fninit
                    fld1
                    fadd st0, st3
                    call psw
                    PRINT " "
                    fstp tword [scratch]
                    call p80
                """);
        assertEquals("3841 ffff:c000000000000000\nPASS\n", out);
    }

    @Test
    void unmaskedZeroDivideLeavesTheStack() throws Exception {
        String out = run("""
                    mov eax, cr0
                    or eax, 0x20
                    mov cr0, eax
                    fninit
                    mov word [scratch], 0x037b
                    fldcw [scratch]
                    fld1
                    fldz
                    fdivp st1, st0
                    call psw
                    fnclex
                    PRINT " "
                    fstp tword [scratch]
                    call p80
                """);
        assertEquals("b084 0000:0000000000000000\nPASS\n", out);
    }

    @Test
    void fnstenvMasksExceptionsAndC1ShowsRoundUp() throws Exception {
        String out = run("""
                    fninit
                    mov word [scratch], 0x0b40
                    fldcw [scratch]
                    fnstenv [scratch+16]
                    fnstcw [scratch]
                    PHEX16 [scratch]
                    PRINT " "
                    fldpi
                    fstp qword [scratch]
                    call psw
                    PRINT " "
                    PHEX32 [scratch]
                """);
        assertEquals("0b7f 0220 54442d19\nPASS\n", out);
    }

    @Test
    void fcomiClearsOverflowSignAndAuxiliary() throws Exception {
        String out = run("""
                    fninit
                    fld1
                    fld1
                    fld1
                    faddp st1, st0
                    fxch
                    push dword 0x8d4
                    popfd
                    fcomi st0, st1
                    pushfd
                    pop eax
                    and eax, 0x8d5
                    PHEX16 eax
                """);
        assertEquals("0001\nPASS\n", out);
    }
}
