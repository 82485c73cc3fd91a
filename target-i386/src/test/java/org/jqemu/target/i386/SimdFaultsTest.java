package org.jqemu.target.i386;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * Which fault an MMX / SSE instruction raises for each CR0.EM / CR0.TS / CR4.OSFXSR setting
 * (SDM vol. 2, 2.5 and 23.x exception-class tables for legacy SIMD and MMX instructions),
 * and #XM vs #UD for an unmasked SIMD exception by CR4.OSXMMEXCPT.
 */
class SimdFaultsTest {
    private static String run(String body) throws Exception {
        String src = "%include \"common.inc\"\nmain:\n" + body + "\n    call print_nl\n    ret\n"
                + "section .data\nalign 16\none: dq 1.0, 0\nzero: dq 0, 0\nmx: dd 0x1d80\nsection .text\n"
                + "END_IMAGE\n";
        try (ExecRig rig = new ExecRig()) {
            rig.loadMultiboot(ExecRig.nasm(src, ExecProgramsTest.suiteDir()), "simd");
            rig.run(10_000);
            return rig.serial.toString();
        }
    }

    /** Runs {@code insn} with CR0/CR4 bits set as given and prints the exception it raised. */
    private static String fault(int cr0Set, int cr4Set, String insn) throws Exception {
        return run("""
                    mov eax, cr0
                    or eax, %d
                    mov cr0, eax
                    mov eax, cr4
                    or eax, %d
                    mov cr4, eax
                    mov ebx, .t
                    EXPECT .x
                .t:
                    %s
                .x:
                    call report_exc
                    clts
                """.formatted(cr0Set, cr4Set, insn)).replace("\nPASS\n", "");
    }

    private static final String NONE = "no exception";
    private static final String UD = "#06 err=00000000 eip=+00";
    private static final String NM = "#07 err=00000000 eip=+00";

    @Test
    void sseNeedsOsfxsrAndFaultsOnEmAndTs() throws Exception {
        assertEquals(UD, fault(0, 0, "pxor xmm0, xmm1"));
        assertEquals(NONE, fault(0, 0x200, "pxor xmm0, xmm1"));
        assertEquals(UD, fault(4, 0x200, "addps xmm0, xmm1"));
        assertEquals(NM, fault(8, 0x200, "movaps xmm0, xmm1"));
        assertEquals(UD, fault(0, 0, "ldmxcsr [mx]"));
    }

    @Test
    void mmxIgnoresOsfxsrButNotEmOrTs() throws Exception {
        assertEquals(NONE, fault(0, 0, "paddb mm0, mm1"));
        assertEquals(UD, fault(4, 0, "paddb mm0, mm1"));
        assertEquals(NM, fault(8, 0, "emms"));
    }

    @Test
    void unmaskedSimdExceptionIsXmOrUd() throws Exception {
        String body = """
                    movsd xmm0, [one]
                    ldmxcsr [mx]
                    mov ebx, .t
                    EXPECT .x
                .t:
                    divsd xmm0, [zero]
                .x:
                    call report_exc
                """;
        assertEquals("#13 err=00000000 eip=+00\nPASS\n", run("    mov eax, cr4\n    or eax, 0x600\n    mov cr4, eax\n" + body));
        assertEquals(UD + "\nPASS\n", run("    mov eax, cr4\n    or eax, 0x200\n    mov cr4, eax\n" + body));
    }
}
