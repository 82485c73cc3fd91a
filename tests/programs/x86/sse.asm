; sse.asm - SSE/SSE2 on XMM registers: moves, the 128-bit integer operations, packed/scalar
; single and double arithmetic, comparisons (CMPxx, COMISD/UCOMISD flags), conversions
; (MXCSR rounding), shuffles and unpacks, MOVMSK/PMOVMSKB, PINSRW/PEXTRW, MXCSR flags.
; Each line: the instruction, then XMM0 (high quadword first) after it ran with
; XMM0 = A and XMM1 = B (or the named operands). Results are exact or correctly rounded once.
%include "common.inc"

%define OUT scratch

; T "name", insn  : xmm0 = [%3 or pa], xmm1 = [pb], run, print xmm0
%macro T 2-4 pa, pb
    movdqu xmm0, [%3]
    movdqu xmm1, [%4]
    %2
    PRINT %1, " "
    call pxmm0
%endmacro

%macro RCOP 2                   ; run two instructions, print the low quadword of xmm0
    %1
    %2
    movq [OUT+64], xmm0
    PHEX32 [OUT+68]
    PHEX32 [OUT+64]
    PRINT " "
%endmacro

main:
    mov eax, cr4
    or eax, 0x600               ; OSFXSR, OSXMMEXCPT
    mov cr4, eax
    mov eax, cr0
    and eax, ~0xc
    mov cr0, eax
    fninit

    ; ---- moves --------------------------------------------------------------------------
    T "movdqu", nop
    T "movdqa", {movdqa xmm0, [pb]}
    T "movaps", {movaps xmm0, xmm1}
    T "movups m", {movups xmm0, [pb+16]}
    T "movss r", {movss xmm0, xmm1}
    T "movss m", {movss xmm0, [pb]}
    T "movsd r", {movsd xmm0, xmm1}
    T "movsd m", {movsd xmm0, [pb]}
    T "movlps", {movlps xmm0, [pb]}
    T "movhps", {movhps xmm0, [pb]}
    T "movhlps", {movhlps xmm0, xmm1}
    T "movlhps", {movlhps xmm0, xmm1}
    T "movlpd", {movlpd xmm0, [pb+8]}
    T "movhpd", {movhpd xmm0, [pb+8]}
    T "movd", {movd xmm0, [pb+4]}
    T "movq m", {movq xmm0, [pb+4]}
    T "movq r", {movq xmm0, xmm1}
    T "movq st", {movq xmm1, xmm0}, pa, pb
    movdqu xmm0, [pa]
    movss [OUT], xmm0
    movsd [OUT+4], xmm0
    movhps [OUT+12], xmm0
    movq [OUT+20], xmm0
    movd [OUT+28], xmm0
    PRINT "stores "
    call pout32
    mov edi, OUT
    mov ecx, 8
    xor eax, eax
    rep stosd
    mov eax, 0x12345678
    movnti [OUT+16], eax
    movdqu xmm0, [pa]
    movdqu xmm1, [pb]
    mov edi, OUT+2
    maskmovdqu xmm0, xmm1
    PRINT "movnti/maskmovdqu "
    call pout32
    movdqu xmm2, [pb]
    movd eax, xmm2
    PRINT "movd eax "
    PHEX32 eax
    pextrw eax, xmm2, 5
    PRINT " pextrw5 "
    PHEX32 eax
    pmovmskb eax, xmm2
    PRINT " pmovmskb "
    PHEX32 eax
    movmskps eax, xmm2
    PRINT " movmskps "
    PHEX8 eax
    movmskpd eax, xmm2
    PRINT " movmskpd "
    PHEX8 eax
    call print_nl
    mov eax, 0xbeef
    T "pinsrw", {pinsrw xmm0, eax, 3}
    T "pinsrw m", {pinsrw xmm0, [pb+2], 6}

    ; ---- integer ------------------------------------------------------------------------
    T "pxor", {pxor xmm0, xmm1}
    T "por", {por xmm0, xmm1}
    T "pand", {pand xmm0, xmm1}
    T "pandn", {pandn xmm0, xmm1}
    T "paddb", {paddb xmm0, xmm1}
    T "paddw", {paddw xmm0, xmm1}
    T "paddd", {paddd xmm0, xmm1}
    T "paddq", {paddq xmm0, xmm1}
    T "psubb", {psubb xmm0, xmm1}
    T "psubw", {psubw xmm0, xmm1}
    T "psubd", {psubd xmm0, [pb]}
    T "psubq", {psubq xmm0, xmm1}
    T "paddsb", {paddsb xmm0, xmm1}
    T "paddusb", {paddusb xmm0, xmm1}
    T "paddsw", {paddsw xmm0, xmm1}
    T "paddusw", {paddusw xmm0, xmm1}
    T "psubsb", {psubsb xmm0, xmm1}
    T "psubusb", {psubusb xmm0, xmm1}
    T "psubsw", {psubsw xmm0, xmm1}
    T "psubusw", {psubusw xmm0, xmm1}
    T "pcmpeqb", {pcmpeqb xmm0, xmm1}
    T "pcmpeqw", {pcmpeqw xmm0, xmm1}
    T "pcmpeqd", {pcmpeqd xmm0, xmm0}
    T "pcmpgtb", {pcmpgtb xmm0, xmm1}
    T "pcmpgtw", {pcmpgtw xmm0, xmm1}
    T "pcmpgtd", {pcmpgtd xmm0, xmm1}
    T "pminub", {pminub xmm0, xmm1}
    T "pmaxub", {pmaxub xmm0, xmm1}
    T "pminsw", {pminsw xmm0, xmm1}
    T "pmaxsw", {pmaxsw xmm0, xmm1}
    T "pavgb", {pavgb xmm0, xmm1}
    T "pavgw", {pavgw xmm0, xmm1}
    T "pmullw", {pmullw xmm0, xmm1}
    T "pmulhw", {pmulhw xmm0, xmm1}
    T "pmulhuw", {pmulhuw xmm0, xmm1}
    T "pmuludq", {pmuludq xmm0, xmm1}
    T "pmaddwd", {pmaddwd xmm0, xmm1}
    T "psadbw", {psadbw xmm0, xmm1}
    T "punpcklbw", {punpcklbw xmm0, xmm1}
    T "punpcklwd", {punpcklwd xmm0, xmm1}
    T "punpckldq", {punpckldq xmm0, xmm1}
    T "punpcklqdq", {punpcklqdq xmm0, xmm1}
    T "punpckhbw", {punpckhbw xmm0, xmm1}
    T "punpckhwd", {punpckhwd xmm0, xmm1}
    T "punpckhdq", {punpckhdq xmm0, xmm1}
    T "punpckhqdq", {punpckhqdq xmm0, xmm1}
    T "packsswb", {packsswb xmm0, xmm1}
    T "packuswb", {packuswb xmm0, xmm1}
    T "packssdw", {packssdw xmm0, xmm1}
    T "pshufd 1b", {pshufd xmm0, xmm1, 0x1b}
    T "pshuflw 93", {pshuflw xmm0, xmm1, 0x93}
    T "pshufhw 4e", {pshufhw xmm0, xmm1, 0x4e}
    T "psrlw 3", {psrlw xmm0, 3}
    T "psraw 3", {psraw xmm0, 3}
    T "psllw 3", {psllw xmm0, 3}
    T "psrld 7", {psrld xmm0, 7}
    T "psrad 31", {psrad xmm0, 31}
    T "pslld 40", {pslld xmm0, 40}
    T "psrlq 4", {psrlq xmm0, 4}
    T "psllq 63", {psllq xmm0, 63}
    T "psrldq 3", {psrldq xmm0, 3}
    T "pslldq 5", {pslldq xmm0, 5}
    T "psrldq 16", {psrldq xmm0, 16}
    T "psrlw x", {psrlw xmm0, xmm2}, pa, cnt4
    T "pslld x", {pslld xmm0, xmm2}, pa, cnt4
    T "psraw big", {psraw xmm0, xmm2}, pa, cntbig
    T "psrlq x", {psrlq xmm0, xmm2}, pa, cnt4

    ; ---- floating point ---------------------------------------------------------------
    T "addps", {addps xmm0, xmm1}, psa, psb
    T "subps", {subps xmm0, xmm1}, psa, psb
    T "mulps", {mulps xmm0, xmm1}, psa, psb
    T "divps", {divps xmm0, xmm1}, psa, psb
    T "sqrtps", {sqrtps xmm0, xmm1}, psa, psb
    T "minps", {minps xmm0, xmm1}, psa, psb
    T "maxps", {maxps xmm0, xmm1}, psa, psb
    T "addss", {addss xmm0, xmm1}, psa, psb
    T "divss", {divss xmm0, xmm1}, psa, psb
    T "addpd", {addpd xmm0, xmm1}, pda, pdb
    T "subpd", {subpd xmm0, xmm1}, pda, pdb
    T "mulpd", {mulpd xmm0, xmm1}, pda, pdb
    T "divpd", {divpd xmm0, xmm1}, pda, pdb
    T "sqrtpd", {sqrtpd xmm0, xmm1}, pda, pdb
    T "minpd", {minpd xmm0, xmm1}, pda, pdb
    T "maxpd", {maxpd xmm0, xmm1}, pda, pdb
    T "addsd", {addsd xmm0, xmm1}, pda, pdb
    T "subsd", {subsd xmm0, xmm1}, pda, pdb
    T "mulsd", {mulsd xmm0, xmm1}, pda, pdb
    T "divsd", {divsd xmm0, xmm1}, pda, pdb
    T "sqrtsd", {sqrtsd xmm0, xmm1}, pda, pdb
    T "minsd", {minsd xmm0, xmm1}, pda, pdb
    T "maxsd", {maxsd xmm0, xmm1}, pda, pdb
    T "andpd", {andpd xmm0, xmm1}, pda, pdb
    T "andnps", {andnps xmm0, xmm1}, pda, pdb
    T "orps", {orps xmm0, xmm1}, pda, pdb
    T "xorpd", {xorpd xmm0, xmm1}, pda, pdb
    T "cmpltpd", {cmpltpd xmm0, xmm1}, pda, pdb
    T "cmpnlesd", {cmpnlesd xmm0, xmm1}, pda, pdb
    T "cmpeqps", {cmpeqps xmm0, xmm1}, psa, psb
    T "cmpunordps", {cmpunordps xmm0, xmm1}, psa, psn
    T "cmpordpd", {cmpordpd xmm0, xmm1}, pda, pdn
    T "addpd nan", {addpd xmm0, xmm1}, pda, pdn
    T "unpcklps", {unpcklps xmm0, xmm1}, psa, psb
    T "unpckhps", {unpckhps xmm0, xmm1}, psa, psb
    T "unpcklpd", {unpcklpd xmm0, xmm1}, pda, pdb
    T "unpckhpd", {unpckhpd xmm0, xmm1}, pda, pdb
    T "shufps 9c", {shufps xmm0, xmm1, 0x9c}, psa, psb
    T "shufpd 1", {shufpd xmm0, xmm1, 1}, pda, pdb
    T "cvtps2pd", {cvtps2pd xmm0, xmm1}, psa, psb
    T "cvtpd2ps", {cvtpd2ps xmm0, xmm1}, pda, pdb
    T "cvtss2sd", {cvtss2sd xmm0, xmm1}, pda, psb
    T "cvtsd2ss", {cvtsd2ss xmm0, xmm1}, psa, pdb
    T "cvtdq2ps", {cvtdq2ps xmm0, xmm1}, pa, pb
    T "cvtdq2pd", {cvtdq2pd xmm0, xmm1}, pa, pb
    T "cvttps2dq", {cvttps2dq xmm0, xmm1}, psa, psb
    T "cvtps2dq", {cvtps2dq xmm0, xmm1}, psa, psb
    T "cvttpd2dq", {cvttpd2dq xmm0, xmm1}, pda, pdb
    T "cvtpd2dq", {cvtpd2dq xmm0, xmm1}, pda, pdb
    mov eax, -7
    T "cvtsi2sd", {cvtsi2sd xmm0, eax}, pda, pdb
    T "cvtsi2ss", {cvtsi2ss xmm0, [pb]}, psa, psb
    ; conversions to int32 under the four rounding modes
    xor ecx, ecx
.rc:
    mov eax, ecx
    shl eax, 13
    or eax, 0x1f80
    mov [OUT], eax
    ldmxcsr [OUT]
    movdqu xmm1, [pdb]
    PRINT "rc="
    PHEX8 ecx
    cvtsd2si eax, xmm1
    PRINT " cvtsd2si "
    PHEX32 eax
    cvttsd2si eax, xmm1
    PRINT " cvttsd2si "
    PHEX32 eax
    cvtss2si eax, [psb+8]
    PRINT " cvtss2si "
    PHEX32 eax
    cvtsd2si eax, [big]
    PRINT " big "
    PHEX32 eax
    call print_nl
    PRINT "  "
    RCOP {movsd xmm0, [d1]}, {divsd xmm0, [d3]}
    RCOP {movsd xmm0, [dm1]}, {divsd xmm0, [d3]}
    RCOP {movsd xmm0, [d2]}, {sqrtsd xmm0, xmm0}
    RCOP {movsd xmm0, [d1]}, {addsd xmm0, [tiny]}
    RCOP {movsd xmm0, [dm1]}, {subsd xmm0, [tiny]}
    RCOP {movsd xmm0, [huge]}, {mulsd xmm0, xmm0}
    RCOP {movsd xmm0, [d3]}, {mulsd xmm0, [third]}
    call print_nl
    PRINT "  "
    RCOP {movss xmm0, [f1]}, {divss xmm0, [f3]}
    RCOP {movss xmm0, [fm1]}, {divss xmm0, [f3]}
    RCOP {movss xmm0, [f2]}, {sqrtss xmm0, xmm0}
    RCOP {movss xmm0, [f1]}, {addss xmm0, [ftiny]}
    call print_nl
    inc ecx
    cmp ecx, 4
    jb .rc
    ; comisd / ucomisd flags (ZF PF CF)
%macro CF 3
    movsd xmm0, [%2]
    movsd xmm1, [%3]
    push dword 0x8d5
    popfd
    %1 xmm0, xmm1
    pushfd
    pop eax
    and eax, 0x8d5
    PHEX16 eax
    PRINT " "
%endmacro
    PRINT "comisd "
    CF comisd, d1, d2
    CF comisd, d2, d1
    CF comisd, d2, d2
    CF ucomisd, d1, pdn
    CF comiss, d2, d1
    call print_nl
    ; MXCSR flags
    mov dword [OUT], 0x1f80
    ldmxcsr [OUT]
    movsd xmm0, [d1]
    divsd xmm0, [d3]
    stmxcsr [OUT]
    PRINT "mxcsr 1/3="
    PHEX32 [OUT]
    mov dword [OUT], 0x1f80
    ldmxcsr [OUT]
    movsd xmm0, [d1]
    xorpd xmm1, xmm1
    divsd xmm0, xmm1
    stmxcsr [OUT]
    PRINT " 1/0="
    PHEX32 [OUT]
    mov dword [OUT], 0x1f80
    ldmxcsr [OUT]
    xorpd xmm0, xmm0
    divsd xmm0, xmm1
    stmxcsr [OUT]
    PRINT " 0/0="
    PHEX32 [OUT]
    mov dword [OUT], 0x1f80
    ldmxcsr [OUT]
    movsd xmm0, [d2]
    addsd xmm0, [d1]
    stmxcsr [OUT]
    PRINT " 2+1="
    PHEX32 [OUT]
    call print_nl
    ret

pxmm0:
    movdqu [OUT], xmm0
    PHEX32 [OUT+12]
    PHEX32 [OUT+8]
    PRINT "_"
    PHEX32 [OUT+4]
    PHEX32 [OUT]
    call print_nl
    ret
pout32:
    PHEX32 [OUT+28]
    PHEX32 [OUT+24]
    PHEX32 [OUT+20]
    PHEX32 [OUT+16]
    PHEX32 [OUT+12]
    PHEX32 [OUT+8]
    PHEX32 [OUT+4]
    PHEX32 [OUT]
    call print_nl
    ret

section .data
align 16
pa:     db 0x00, 0x01, 0x7f, 0x80, 0xff, 0xfe, 0x10, 0x9c, 0x33, 0x44, 0x81, 0x7e, 0x02, 0xc0, 0x55, 0xaa
pb:     db 0x01, 0xff, 0x7f, 0x7f, 0x80, 0x02, 0xf0, 0x64, 0x33, 0x45, 0x01, 0x80, 0xfe, 0x40, 0xaa, 0x55
        db 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x00
cnt4:   dq 4, 0
cntbig: dq 0x100000000, 0
psa:    dd 1.5, -2.25, 100.0, 0.001
psb:    dd 0.5, 3.0, -2.5, 1.75
psn:    dd 1.0, 0x7fc00000, 2.0, 0xffc00001
pda:    dq 1.5, -2.25
pdb:    dq 2.5, 3.75
pdn:    dq 0x7ff8000000000123, 4.0
d1:     dq 1.0
d2:     dq 2.0
d3:     dq 3.0
big:    dq 3.0e9
dm1:    dq -1.0
tiny:   dq 0x3c30000000000000
huge:   dq 1.0e200
third:  dq 0x3fd5555555555555
f1:     dd 1.0
fm1:    dd -1.0
f2:     dd 2.0
f3:     dd 3.0
ftiny:  dd 0x33000000

section .text
END_IMAGE
