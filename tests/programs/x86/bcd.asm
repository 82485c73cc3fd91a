; bcd.asm - daa das aaa aas aam aad (default base 10 and imm8 base 16/7), aam 0 -> #DE.
; Line: op/size value : EAX FL | EAX FL   (run with flags clear | CF PF AF ZF SF OF set,
; so AF/CF carry-in is covered). Flags masked to the defined ones:
;   daa/das: CF AF SF ZF PF (OF undefined);  aaa/aas: CF AF;  aam/aad: SF ZF PF.
; daa/das operate on AL (/8 lines); aaa/aas/aam/aad show AX (/16 lines).
%include "common.inc"
%include "table.inc"

M_DAA equ F_CF|F_AF|F_SF|F_ZF|F_PF
M_AAA equ F_CF|F_AF
M_AAM equ F_SF|F_ZF|F_PF

main:
    mov esi, t8
    mov edi, v8
    call run_ops
    mov esi, t16
    mov edi, v16
    call run_ops
    PRINT "aam 0: "
    EXPECT .r1
    mov ax, 0x1234
.i1: aam 0
.r1: mov ebx, .i1
    call report_exc
    PRINT " ax="
    PHEX16 eax
    call print_nl
    ret

TABLE t8
STUB s_daa, {daa}
OP "daa", M_DAA, s_daa, 0, 0
STUB s_das, {das}
OP "das", M_DAA, s_das, 0, 0
TABLE_END

TABLE t16
STUB s_aaa, {aaa}
OP "aaa", M_AAA, 0, s_aaa, 0
STUB s_aas, {aas}
OP "aas", M_AAA, 0, s_aas, 0
STUB s_aam, {aam}
OP "aam", M_AAM, 0, s_aam, 0
STUB s_aam16, {aam 16}
OP "aam16", M_AAM, 0, s_aam16, 0
STUB s_aad, {aad}
OP "aad", M_AAM, 0, s_aad, 0
STUB s_aad7, {aad 7}
OP "aad7", M_AAM, 0, s_aad7, 0
TABLE_END

section .data
align 4
v8:  dd l8, 0, 0
l8:  dd 16
     dd 0x00,0, 0x09,0, 0x0a,0, 0x0f,0, 0x10,0, 0x19,0, 0x1a,0, 0x5b,0
     dd 0x99,0, 0x9a,0, 0x9f,0, 0xa0,0, 0xf9,0, 0xfa,0, 0xff,0, 0x66,0
v16: dd 0, l16, 0
l16: dd 10
     dd 0x0000,0, 0x0009,0, 0x000a,0, 0x00ff,0, 0x01f9,0, 0x0ffa,0, 0x0100,0, 0x0563,0
     dd 0xff0f,0, 0x0909,0

END_IMAGE
