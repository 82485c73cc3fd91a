; selfmod.asm - self-modifying code: patch code that already ran (translation/block cache
; invalidation), patch the next instruction with and without an intervening jump, patch a
; loop body every iteration, and generate code into a data buffer, run it, rewrite it.
%include "common.inc"
main:
    ; 1: patch an immediate of a function that already ran
    call patchme
    PRINT "patchme before: "
    PHEX32 eax
    mov dword [patchme+1], 0x22222222
    call patchme
    PRINT " after: "
    PHEX32 eax
    call print_nl
    ; 2: patch the next instruction, then jump to it
    mov byte [.n1+1], 0x42
    jmp .n1
.n1: mov al, 0x00
    PRINT "next insn after jmp: "
    PHEX8 eax
    call print_nl
    ; 3: patch the very next instruction without a jump (x86 guarantees coherency)
    mov byte [.n2+1], 0x43
.n2: mov al, 0x00
    PRINT "next insn no jmp: "
    PHEX8 eax
    call print_nl
    ; 4: patch the opcode itself: inc eax (40) <-> dec eax (48)
    mov eax, 100
    mov ecx, 4
.loop:
    xor byte [.op], 0x08        ; toggles between inc and dec on every pass
.op: inc eax
    add eax, 10
    loop .loop
    PRINT "toggled inc/dec loop: "
    PHEX32 eax
    call print_nl
    ; 5: patch a loop body's immediate each iteration
    xor ebx, ebx
    mov ecx, 5
.l2:
    mov [.imm+2], cl            ; add ebx, imm8 (83 c3 ib)
.imm: add ebx, strict byte 0
    loop .l2
    PRINT "patched add sum: "
    PHEX32 ebx
    call print_nl
    ; 6: generate code in a buffer, run, rewrite, run
    mov edi, scratch
    mov byte [edi], 0xB8        ; mov eax, imm32
    mov dword [edi+1], 0x12345678
    mov byte [edi+5], 0xC3      ; ret
    call scratch
    PRINT "generated code: "
    PHEX32 eax
    mov dword [scratch+1], 0x87654321
    call scratch
    call print_sp
    PHEX32 eax
    mov word [scratch+5], 0xD0F7    ; not eax
    mov byte [scratch+7], 0xC3
    call scratch
    call print_sp
    PHEX32 eax
    call print_nl
    ; 7: rep stos over code that follows (writes nops over a ud2 that would fault)
    mov edi, .zap
    mov ecx, 4
    mov al, 0x90
    rep stosb
.zap: ud2
    ud2
    PRINTLN "rep stosb over following code: ok"
    ret

patchme:
    mov eax, 0x11111111
    ret
END_IMAGE
