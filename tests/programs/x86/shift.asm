; shift.asm - shl shr sar rol ror rcl rcr (by CL, by 1, by imm8, memory), shld shrd.
; Line: op<size> value count : EAX FL | EAX FL  (flags in: all clear | all set; so rcl/rcr
; show CF=0 and CF=1 carry-in). FL masked per SDM for the masked count c:
;   c=0: nothing changes (all flags shown);  shifts: AF undefined, OF only for c=1,
;   CF undefined for shl/shr when c >= operand size;  rotates: OF only for c=1 (others
;   unaffected, shown);  shld/shrd: AF undefined, OF only for c=1 (16-bit count > 16 not tested).
%include "common.inc"
%include "table.inc"

main:
    mov esi, shifts
    mov edi, counts
    call run_ops
    mov esi, fixed
    mov edi, values
    call run_ops
    mov dword [cur_d], 0x9abcdef0
    mov esi, doubles
    mov edi, dcounts
    call run_ops
    ret

; mask functions (EBX = count operand, EBP = size index) -> EAX
m_shift:                    ; shl/shr
    mov eax, F_ARITH
    and ebx, 31
    jz .r
    mov eax, F_CF|F_PF|F_ZF|F_SF
    cmp ebx, 1
    jne .n1
    or eax, F_OF
.n1:
    mov ecx, ebp
    mov edx, 8
    shl edx, cl
    cmp ebx, edx
    jb .r
    and eax, ~F_CF
.r: ret
m_sar:
    mov eax, F_ARITH
    and ebx, 31
    jz .r
    mov eax, F_CF|F_PF|F_ZF|F_SF
    cmp ebx, 1
    jne .r
    or eax, F_OF
.r: ret
m_rot:
    mov eax, F_ARITH
    and ebx, 31
    cmp ebx, 1
    jbe .r
    and eax, ~F_OF
.r: ret
m_dbl:
    mov eax, F_ARITH
    and ebx, 31
    jz .r
    mov eax, F_ARITH & ~F_AF
    cmp ebx, 1
    je .r
    and eax, ~F_OF
.r: ret

TABLE shifts
OPS3 "shl", m_shift, {shl al, cl}, {shl ax, cl}, {shl eax, cl}
OPS3 "shr", m_shift, {shr al, cl}, {shr ax, cl}, {shr eax, cl}
OPS3 "sar", m_sar,   {sar al, cl}, {sar ax, cl}, {sar eax, cl}
OPS3 "rol", m_rot,   {rol al, cl}, {rol ax, cl}, {rol eax, cl}
OPS3 "ror", m_rot,   {ror al, cl}, {ror ax, cl}, {ror eax, cl}
OPS3 "rcl", m_rot,   {rcl al, cl}, {rcl ax, cl}, {rcl eax, cl}
OPS3 "rcr", m_rot,   {rcr al, cl}, {rcr ax, cl}, {rcr eax, cl}
STUB sarm8,  {mov [mem], eax}, {sar byte [mem], cl}, {mov eax, [mem]}
STUB sarm16, {mov [mem], eax}, {sar word [mem], cl}, {mov eax, [mem]}
STUB sarm32, {mov [mem], eax}, {sar dword [mem], cl}, {mov eax, [mem]}
OP "sar[m]", m_sar, sarm8, sarm16, sarm32
STUB rclm8,  {mov [mem], eax}, {rcl byte [mem], cl}, {mov eax, [mem]}
STUB rclm16, {mov [mem], eax}, {rcl word [mem], cl}, {mov eax, [mem]}
STUB rclm32, {mov [mem], eax}, {rcl dword [mem], cl}, {mov eax, [mem]}
OP "rcl[m]", m_rot, rclm8, rclm16, rclm32
TABLE_END

MASK_S1 equ F_ARITH & ~F_AF
MASK_SN equ F_CF|F_PF|F_ZF|F_SF
MASK_RN equ F_ARITH & ~F_OF
TABLE fixed
; by-1 forms (D0/D1)
OPS3 "shl1", MASK_S1, {shl al, 1}, {shl ax, 1}, {shl eax, 1}
OPS3 "shr1", MASK_S1, {shr al, 1}, {shr ax, 1}, {shr eax, 1}
OPS3 "sar1", MASK_S1, {sar al, 1}, {sar ax, 1}, {sar eax, 1}
OPS3 "rol1", F_ARITH, {rol al, 1}, {rol ax, 1}, {rol eax, 1}
OPS3 "ror1", F_ARITH, {ror al, 1}, {ror ax, 1}, {ror eax, 1}
OPS3 "rcl1", F_ARITH, {rcl al, 1}, {rcl ax, 1}, {rcl eax, 1}
OPS3 "rcr1", F_ARITH, {rcr al, 1}, {rcr ax, 1}, {rcr eax, 1}
; imm8 forms (C0/C1), count 3; and count 0x21 (masked to 1)
OPS3 "shl3", MASK_SN, {shl al, 3}, {shl ax, 3}, {shl eax, 3}
OPS3 "sar3", MASK_SN, {sar al, 3}, {sar ax, 3}, {sar eax, 3}
OPS3 "ror3", MASK_RN, {ror al, 3}, {ror ax, 3}, {ror eax, 3}
OPS3 "rcr3", MASK_RN, {rcr al, 3}, {rcr ax, 3}, {rcr eax, 3}
OPS3 "shr33", MASK_S1, {shr al, 33}, {shr ax, 33}, {shr eax, 33}
TABLE_END

TABLE doubles               ; EDX = 9abcdef0 source
STUB shld16, {shld ax, dx, cl}
STUB shld32, {shld eax, edx, cl}
OP "shld", m_dbl, 0, shld16, shld32
STUB shrd16, {shrd ax, dx, cl}
STUB shrd32, {shrd eax, edx, cl}
OP "shrd", m_dbl, 0, shrd16, shrd32
STUB shldi16, {shld ax, dx, 4}
STUB shldi32, {shld eax, edx, 4}
OP "shld4", MASK_SN, 0, shldi16, shldi32
STUB shrdm16, {mov [mem], eax}, {shrd word [mem], dx, cl}, {mov eax, [mem]}
STUB shrdm32, {mov [mem], eax}, {shrd dword [mem], edx, cl}, {mov eax, [mem]}
OP "shrd[m]", m_dbl, 0, shrdm16, shrdm32
TABLE_END

section .data
align 4
mem: dd 0
counts: dd c8, c16, c32
c8:  dd 11
     dd 0x81,0, 0x81,1, 0x81,2, 0x81,7, 0x81,8, 0x81,9, 0x41,1, 0xc0,1, 0x81,31, 0x81,33, 0x81,0x20
c16: dd 11
     dd 0x8001,0, 0x8001,1, 0x8001,2, 0x8001,15, 0x8001,16, 0x8001,17, 0x4001,1, 0xc000,1, 0x8001,31, 0x8001,33, 0x8001,0xff
c32: dd 11
     dd 0x80000001,0, 0x80000001,1, 0x80000001,2, 0x80000001,31, 0x80000001,32, 0x80000001,33
     dd 0x40000001,1, 0xc0000000,1, 0x12345678,4, 0x12345678,20, 0x12345678,0xff
values: dd v8, v16, v32
v8:  dd 4
     dd 0x00,0, 0x81,0, 0x40,0, 0xc3,0
v16: dd 4
     dd 0x0000,0, 0x8001,0, 0x4000,0, 0xc003,0
v32: dd 4
     dd 0x00000000,0, 0x80000001,0, 0x40000000,0, 0xc0000003,0
dcounts: dd 0, d16, d32
d16: dd 9
     dd 0x1234,0, 0x1234,1, 0x1234,4, 0x1234,15, 0x1234,16, 0x8001,1, 0x8001,4, 0x1234,32, 0x1234,33
d32: dd 9
     dd 0x12345678,0, 0x12345678,1, 0x12345678,4, 0x12345678,31, 0x12345678,32
     dd 0x12345678,33, 0x80000001,1, 0x80000001,8, 0x00000000,16

END_IMAGE
