package org.jqemu.target.i386;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.jqemu.target.i386.decode.Decoder;
import org.jqemu.target.i386.decode.Insn;
import org.junit.jupiter.api.Test;

/**
 * The decoder's instruction lengths and operand fields against nasm (assembler) and ndisasm
 * (its disassembler) over a spread of encodings in 16- and 32-bit code.
 */
class DecodeLengthTest {
    private static final String BODY = """
            add eax, [ebx+esi*4+0x12345678]
            add word [bp+si+5], 0x1234
            add byte [0x1234], 7
            mov ax, [es:bx+di]
            mov eax, [esp+8]
            mov dword [ebp-4], 0x11223344
            lea ecx, [eax*8+0x100]
            imul ebx, [edx], 1000
            imul cx, si, -3
            push word 0x1234
            push dword 0x12345678
            push byte -1
            call 0x20:0x1000
            jmp far [ebx]
            enter 16, 3
            ret 8
            retf
            int 0x21
            rep movsd
            a16 rep stosb
            lock cmpxchg [ecx], edx
            cmpxchg8b [esi]
            shld eax, ebx, 5
            shrd [edi], ecx, cl
            bt dword [eax], 31
            bts eax, edx
            movzx eax, byte [ebx]
            movsx cx, al
            setne byte [eax+1]
            cmovg eax, [ebx]
            bswap ecx
            xadd [eax], ebx
            mov eax, cr0
            mov cr3, ebx
            mov dr7, eax
            lgdt [0x1000]
            sidt [eax]
            lldt ax
            invlpg [eax]
            in al, 0x60
            out dx, eax
            test byte [eax], 0x80
            test ax, 0x8000
            not dword [eax]
            div ecx
            mov [0x12345678], eax
            mov al, [0x1234]
            aam 16
            xlatb
            nop
            pause
            mov eax, [gs:ebx+2]
            o16 mov ax, 0x1234
            """;

    @Test
    void lengthsMatchNdisasm() throws Exception {
        for (int bits : new int[] {16, 32}) {
            Path dir = Files.createTempDirectory("jqemu-dec");
            byte[] code = ExecRig.nasm("bits " + bits + "\n" + BODY, null);
            Process p = new ProcessBuilder("ndisasm", "-b", String.valueOf(bits), writeTemp(dir, code).toString())
                    .redirectErrorStream(true).start();
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
                int len = Decoder.decode(off -> code[start + off] & 0xff, bits == 32, insn);
                assertEquals(offsets.get(k + 1) - start, len, bits + "-bit instruction at offset " + start);
                assertNotEquals(Insn.OP_UD, insn.opc, bits + "-bit instruction at offset " + start);
            }
        }
    }

    @Test
    void modrmFields32() {
        // 8B 84 B3 78 56 34 12: mov eax, [ebx+esi*4+0x12345678]
        byte[] b = {(byte) 0x8b, (byte) 0x84, (byte) 0xb3, 0x78, 0x56, 0x34, 0x12};
        Insn i = new Insn();
        assertEquals(7, Decoder.decode(off -> b[off] & 0xff, true, i));
        assertEquals(0x8b, i.opc);
        assertEquals(3, i.base);
        assertEquals(6, i.index);
        assertEquals(2, i.scale);
        assertEquals(0x12345678, i.disp);
        assertEquals(3, i.seg); // DS
    }

    @Test
    void bpBasedDefaultsToStackSegmentAndLockOnRegisterIsUd() {
        byte[] b = {(byte) 0x8b, 0x46, 0x02}; // mov ax, [bp+2] (16-bit)
        Insn i = new Insn();
        Decoder.decode(off -> b[off] & 0xff, false, i);
        assertEquals(2, i.seg);
        assertEquals(5, i.base);
        assertEquals(2, i.disp);
        byte[] l = {(byte) 0xf0, 0x01, (byte) 0xd8}; // lock add eax, ebx
        Decoder.decode(off -> l[off] & 0xff, true, i);
        assertEquals(Insn.OP_UD, i.opc);
        byte[] ud2 = {0x0f, 0x0b};
        Decoder.decode(off -> ud2[off] & 0xff, true, i);
        assertEquals(0x10b, i.opc);
    }

    private static Path writeTemp(Path dir, byte[] code) throws java.io.IOException {
        Path f = dir.resolve("code.bin");
        Files.write(f, code);
        return f;
    }
}
