package org.jqemu.target.i386;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.jqemu.target.i386.decode.Decoder;
import org.jqemu.target.i386.decode.Insn;
import org.junit.jupiter.api.Test;

/** 64-bit mode decoding (SDM vol. 2, 2.2): REX, RIP-relative, imm64/moffs64, i64 opcodes. */
class Decode64Test {
    private static final String BODY = """
            add rax, [rbx+r12*4+0x12345678]
            add r15, [rel $+0x100]
            mov r8b, [r13]
            mov sil, dil
            mov rax, 0x123456789abcdef0
            mov eax, 0x12345678
            mov rax, [qword 0x1122334455667788]
            mov [qword 0x1122334455667788], al
            movsxd rcx, dword [rsp+8]
            push r15
            push qword [rel $+16]
            pop r9
            call [rax]
            jmp r11
            lea r10, [rel $+0x40]
            imul r14, [r8], 1000
            cmpxchg16b [rdi]
            lock xadd [rcx], r8
            shld r9, r10, 3
            bswap r12
            a32 mov eax, [ebx]
            o16 push word 0x1234
            mov cr8, rax
            mov rax, cr3
            swapgs
            rdtscp
            syscall
            o64 sysret
            o64 iret
            xchg r8, rax
            nop
            mov fs:[rax], edx
            test r9w, 0x8000
            sete r10b
            """;

    private static int decode(byte[] code, int start, Insn insn) {
        return Decoder.decode(off -> code[start + off] & 0xff, true, true, insn);
    }

    @Test
    void lengthsMatchNdisasm() throws Exception {
        Path dir = Files.createTempDirectory("jqemu-dec64");
        byte[] code = ExecRig.nasm("bits 64\n" + BODY, null);
        Path f = dir.resolve("code.bin");
        Files.write(f, code);
        Process p = new ProcessBuilder("ndisasm", "-b", "64", f.toString()).redirectErrorStream(true).start();
        List<Integer> offsets = new ArrayList<>();
        for (String line : new String(p.getInputStream().readAllBytes()).split("\n")) {
            if (line.length() > 8 && Character.isLetterOrDigit(line.charAt(0))) {
                offsets.add(Integer.parseInt(line.substring(0, 8), 16));
            }
        }
        assertEquals(0, p.waitFor());
        offsets.add(code.length);
        for (int k = 0; k + 1 < offsets.size(); k++) {
            int start = offsets.get(k);
            Insn insn = new Insn();
            assertEquals(offsets.get(k + 1) - start, decode(code, start, insn), "instruction at offset " + start);
            assertNotEquals(Insn.OP_UD, insn.opc, "instruction at offset " + start);
        }
    }

    @Test
    void rexExtendsRegistersAndSetsOperandSize() {
        // 4E 03 84 A3 78 56 34 12: add r8, [rbx+r12*4+0x12345678]
        byte[] b = {0x4e, 0x03, (byte) 0x84, (byte) 0xa3, 0x78, 0x56, 0x34, 0x12};
        Insn i = new Insn();
        assertEquals(8, decode(b, 0, i));
        assertTrue(i.o64);
        assertTrue(i.a64);
        assertEquals(8, i.reg);
        assertEquals(3, i.base);
        assertEquals(12, i.index);
        assertEquals(2, i.scale);
    }

    @Test
    void ripRelativeOnlyWithoutSib() {
        byte[] rip = {0x48, (byte) 0x8b, 0x05, 0x10, 0, 0, 0}; // mov rax, [rip+0x10]
        Insn i = new Insn();
        decode(rip, 0, i);
        assertTrue(i.ripRel);
        assertEquals(0x10, i.disp);
        byte[] abs = {0x48, (byte) 0x8b, 0x04, 0x25, 0x10, 0, 0, 0}; // mov rax, [0x10] (SIB, no base)
        decode(abs, 0, i);
        assertFalse(i.ripRel);
        assertEquals(-1, i.base);
    }

    @Test
    void movImm64AndOpcodeRegister() {
        byte[] b = {0x49, (byte) 0xbf, 8, 7, 6, 5, 4, 3, 2, 1}; // mov r15, 0x0102030405060708
        Insn i = new Insn();
        assertEquals(10, decode(b, 0, i));
        assertEquals(15, i.opreg);
        assertEquals(0x0102030405060708L, i.imm64);
    }

    @Test
    void rexOnlyCountsDirectlyBeforeTheOpcode() {
        byte[] b = {0x48, 0x66, (byte) 0x89, (byte) 0xc0}; // REX.W then 66: REX is ignored -> mov ax, ax
        Insn i = new Insn();
        decode(b, 0, i);
        assertFalse(i.o64);
        assertFalse(i.o32);
    }

    @Test
    void opcodesInvalidIn64BitModeAreUd() {
        for (int op : new int[] {0x06, 0x07, 0x0e, 0x16, 0x17, 0x1e, 0x1f, 0x27, 0x2f, 0x37, 0x3f, 0x60, 0x61, 0x62,
                0x82, 0x9a, 0xce, 0xd4, 0xd5, 0xd6, 0xea}) {
            byte[] b = {(byte) op, 0, 0, 0, 0, 0, 0, 0};
            Insn i = new Insn();
            decode(b, 0, i);
            assertEquals(Insn.OP_UD, i.opc, Integer.toHexString(op));
        }
        byte[] inc = {0x40, (byte) 0xff, (byte) 0xc0}; // 40 is REX: inc eax with an empty REX
        Insn i = new Insn();
        assertEquals(3, decode(inc, 0, i));
        assertEquals(0xff, i.opc);
    }
}
