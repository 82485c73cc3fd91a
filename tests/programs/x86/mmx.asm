; mmx.asm - MMX and the SSE integer additions on MM registers: MOVD/MOVQ, the arithmetic,
; compare, pack/unpack, shift (imm and by register), PSHUFW, PINSRW/PEXTRW, PMOVMSKB,
; PMULUDQ/PADDQ (SSE2 on MMX), MASKMOVQ; the aliasing with the x87 registers (TOP=0, tags
; valid, exponent FFFF) and EMMS. Each line: MM0 after the instruction with MM0 = A, MM1 = B.
%include "common.inc"

%define OUT scratch

%macro T 2-4 pa, pb
    movq mm0, [%3]
    movq mm1, [%4]
    %2
    PRINT %1, " "
    call pmm0
%endmacro

main:
    mov eax, cr0
    and eax, ~0xc
    mov cr0, eax
    mov eax, cr4
    or eax, 0x600
    mov cr4, eax
    fninit
    fld1
    fld1
    T "movq", nop
    fnstsw ax
    PRINT "after movq top="
    shr eax, 11
    and eax, 7
    PHEX8 eax
    fnstenv [OUT]
    PRINT " tw="
    PHEX16 [OUT+8]
    fsave [OUT]
    PRINT " r0="                ; the significand only: QEMU does not set the exponent to FFFF
    PHEX32 [OUT+28+4]
    PHEX32 [OUT+28]
    call print_nl
    movq mm0, [pa]
    emms
    fnstenv [OUT]
    PRINT "emms tw="
    PHEX16 [OUT+8]
    call print_nl
    mov eax, 0x89abcdef
    T "movd r", {movd mm0, eax}
    T "movd m", {movd mm0, [pb+4]}
    movq mm2, [pb]
    movd eax, mm2
    PRINT "movd eax "
    PHEX32 eax
    pextrw eax, mm2, 3
    PRINT " pextrw3 "
    PHEX32 eax
    pmovmskb eax, mm2
    PRINT " pmovmskb "
    PHEX32 eax
    call print_nl
    mov eax, 0x1234
    T "pinsrw", {pinsrw mm0, eax, 2}
    T "pshufw", {pshufw mm0, mm1, 0x1b}
    T "pxor", {pxor mm0, mm1}
    T "por", {por mm0, [pb]}
    T "pand", {pand mm0, mm1}
    T "pandn", {pandn mm0, mm1}
    T "paddb", {paddb mm0, mm1}
    T "paddw", {paddw mm0, mm1}
    T "paddd", {paddd mm0, mm1}
    T "paddq", {paddq mm0, mm1}
    T "psubb", {psubb mm0, mm1}
    T "psubsw", {psubsw mm0, mm1}
    T "paddusb", {paddusb mm0, mm1}
    T "psubusw", {psubusw mm0, mm1}
    T "pcmpeqb", {pcmpeqb mm0, mm1}
    T "pcmpgtw", {pcmpgtw mm0, mm1}
    T "pcmpgtd", {pcmpgtd mm0, mm1}
    T "pmullw", {pmullw mm0, mm1}
    T "pmulhw", {pmulhw mm0, mm1}
    T "pmaddwd", {pmaddwd mm0, mm1}
    T "pmuludq", {pmuludq mm0, mm1}
    T "pminub", {pminub mm0, mm1}
    T "pmaxsw", {pmaxsw mm0, mm1}
    T "pavgb", {pavgb mm0, mm1}
    T "psadbw", {psadbw mm0, mm1}
    T "punpcklbw", {punpcklbw mm0, mm1}
    T "punpckhwd", {punpckhwd mm0, mm1}
    T "punpckldq", {punpckldq mm0, mm1}
    T "punpckhdq", {punpckhdq mm0, mm1}
    T "packsswb", {packsswb mm0, mm1}
    T "packuswb", {packuswb mm0, mm1}
    T "packssdw", {packssdw mm0, mm1}
    T "psrlw 4", {psrlw mm0, 4}
    T "psraw 9", {psraw mm0, 9}
    T "pslld 5", {pslld mm0, 5}
    T "psrlq 12", {psrlq mm0, 12}
    T "psllq x", {psllq mm0, [cnt]}
    T "psrad x", {psrad mm0, [cnt]}
    movq mm0, [pa]
    movq mm1, [pb]
    mov edi, OUT
    mov dword [OUT], 0
    mov dword [OUT+4], 0
    maskmovq mm0, mm1
    PRINT "maskmovq "
    PHEX32 [OUT+4]
    PHEX32 [OUT]
    call print_nl
    emms
    ret

pmm0:
    movq [OUT], mm0
    PHEX32 [OUT+4]
    PHEX32 [OUT]
    call print_nl
    ret

section .data
align 16
pa:     db 0x00, 0x01, 0x7f, 0x80, 0xff, 0xfe, 0x10, 0x9c
pb:     db 0x01, 0xff, 0x7f, 0x7f, 0x80, 0x02, 0xf0, 0x64
cnt:    dq 7

section .text
END_IMAGE
