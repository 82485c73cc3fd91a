; alu.asm - add adc sub sbb cmp and or xor test inc dec neg not, 8/16/32-bit,
; register, memory-destination, memory-source, immediate and high-byte forms.
; Line: op<size> a b : EAX FL | EAX FL  -- first run with all arithmetic flags clear,
; second with CF PF AF ZF SF OF set (shows carry-in and flags left unchanged).
; FL = EFLAGS masked to the SDM-defined bits (AF masked for logic ops).
; Upper bits of EAX are pre-filled (12345600 / 12340000) to catch partial writes.
%include "common.inc"
%include "table.inc"

MASK_LOGIC equ 0x8C5

main:
    mov esi, binops
    mov edi, pairs
    call run_ops
    mov esi, unops
    mov edi, singles
    call run_ops
    ret

TABLE binops
OPS3 "add",  F_ARITH, {add al, bl}, {add ax, bx}, {add eax, ebx}
OPS3 "adc",  F_ARITH, {adc al, bl}, {adc ax, bx}, {adc eax, ebx}
OPS3 "sub",  F_ARITH, {sub al, bl}, {sub ax, bx}, {sub eax, ebx}
OPS3 "sbb",  F_ARITH, {sbb al, bl}, {sbb ax, bx}, {sbb eax, ebx}
OPS3 "cmp",  F_ARITH, {cmp al, bl}, {cmp ax, bx}, {cmp eax, ebx}
OPS3 "and",  MASK_LOGIC, {and al, bl}, {and ax, bx}, {and eax, ebx}
OPS3 "or",   MASK_LOGIC, {or al, bl}, {or ax, bx}, {or eax, ebx}
OPS3 "xor",  MASK_LOGIC, {xor al, bl}, {xor ax, bx}, {xor eax, ebx}
OPS3 "test", MASK_LOGIC, {test al, bl}, {test ax, bx}, {test eax, ebx}
; memory destination: adc [m], reg
STUB adcmd8,  {mov [mem], eax}, {adc byte [mem], bl}, {mov eax, [mem]}
STUB adcmd16, {mov [mem], eax}, {adc word [mem], bx}, {mov eax, [mem]}
STUB adcmd32, {mov [mem], eax}, {adc dword [mem], ebx}, {mov eax, [mem]}
OP "adc[m],r", F_ARITH, adcmd8, adcmd16, adcmd32
; memory source: sbb reg, [m]
STUB sbbms8,  {mov [mem], ebx}, {sbb al, [mem]}
STUB sbbms16, {mov [mem], ebx}, {sbb ax, [mem]}
STUB sbbms32, {mov [mem], ebx}, {sbb eax, [mem]}
OP "sbbr,[m]", F_ARITH, sbbms8, sbbms16, sbbms32
; high byte registers: sub ah, bh
STUB subh8, {mov ah, al}, {mov bh, bl}, {sub ah, bh}, {mov al, ah}, {mov ah, 0x56}
OP "subah,bh", F_ARITH, subh8, 0, 0
TABLE_END

TABLE unops
OPS3 "inc",  F_ARITH, {inc al}, {inc ax}, {inc eax}
OPS3 "dec",  F_ARITH, {dec al}, {dec ax}, {dec eax}
OPS3 "neg",  F_ARITH, {neg al}, {neg ax}, {neg eax}
OPS3 "not",  F_ARITH, {not al}, {not ax}, {not eax}
STUB incm8,  {mov [mem], eax}, {inc byte [mem]}, {mov eax, [mem]}
STUB incm16, {mov [mem], eax}, {inc word [mem]}, {mov eax, [mem]}
STUB incm32, {mov [mem], eax}, {inc dword [mem]}, {mov eax, [mem]}
OP "inc[m]", F_ARITH, incm8, incm16, incm32
STUB negm8,  {mov [mem], eax}, {neg byte [mem]}, {mov eax, [mem]}
STUB negm16, {mov [mem], eax}, {neg word [mem]}, {mov eax, [mem]}
STUB negm32, {mov [mem], eax}, {neg dword [mem]}, {mov eax, [mem]}
OP "neg[m]", F_ARITH, negm8, negm16, negm32
; add al,0x80 (04 ib) / add ax,-1 (83 /0 ib) / add eax,0x80000000 (05 id)
OPS3 "add,i",  F_ARITH, {add al, 0x80}, {add ax, strict byte -1}, {add eax, strict dword 0x80000000}
; sbb al,7f (80 /3 on r/m) / sbb ax,-2 (83 /3) / sbb eax,80000001 (81 /3)
OPS3 "sbb,i",  F_ARITH, {db 0x80, 0xD8, 0x7F}, {db 0x66, 0x83, 0xD8, 0xFE}, {db 0x81, 0xD8, 0x01, 0x00, 0x00, 0x80}
OPS3 "cmp,i",  F_ARITH, {cmp al, 0x7f}, {cmp ax, strict byte -128}, {cmp eax, strict dword 0x7fffffff}
OPS3 "and,i",  MASK_LOGIC, {and al, 0x0f}, {and ax, 0x8001}, {and eax, strict byte -16}
OPS3 "or,i",   MASK_LOGIC, {or al, 0x80}, {or ax, strict byte 1}, {or eax, 0x80000000}
OPS3 "xor,i",  MASK_LOGIC, {xor al, 0xff}, {xor ax, 0x8000}, {xor eax, strict byte -1}
OPS3 "test,i", MASK_LOGIC, {test al, 0x81}, {test ax, 0x8001}, {test eax, 0xffffffff}
TABLE_END

section .data
align 4
mem: dd 0
pairs:
    dd pairs8, pairs16, pairs32
pairs8:
    dd 10
    dd 0x00,0x00, 0x01,0x01, 0x7f,0x01, 0x80,0x80, 0xff,0x01
    dd 0x0f,0x01, 0x80,0x01, 0x5a,0xa5, 0xff,0xff, 0x00,0x01
pairs16:
    dd 10
    dd 0x0000,0x0000, 0x0001,0x0001, 0x7fff,0x0001, 0x8000,0x8000, 0xffff,0x0001
    dd 0x00ff,0x0001, 0x8000,0x0001, 0x1234,0xedcb, 0xffff,0xffff, 0x0000,0x0001
pairs32:
    dd 10
    dd 0x00000000,0x00000000, 0x00000001,0x00000001, 0x7fffffff,0x00000001
    dd 0x80000000,0x80000000, 0xffffffff,0x00000001, 0x0000ffff,0x00000001
    dd 0x80000000,0x00000001, 0x12345678,0x9abcdef0, 0xffffffff,0xffffffff
    dd 0x00000000,0x00000001
singles:
    dd singles8, singles16, singles32
singles8:
    dd 6
    dd 0x00,0, 0x01,0, 0x0f,0, 0x7f,0, 0x80,0, 0xff,0
singles16:
    dd 6
    dd 0x0000,0, 0x0001,0, 0x00ff,0, 0x7fff,0, 0x8000,0, 0xffff,0
singles32:
    dd 6
    dd 0x00000000,0, 0x00000001,0, 0x0000ffff,0, 0x7fffffff,0, 0x80000000,0, 0xffffffff,0

END_IMAGE
