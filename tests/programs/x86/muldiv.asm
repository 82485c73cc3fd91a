; muldiv.asm - mul, imul (1, 2 and 3 operand forms, register and memory), div, idiv,
; #DE on divide by zero and on quotient overflow.
; mul/imul lines: op/size a b : EAX EDX FL | ...  (FL = CF|OF only; SF ZF AF PF undefined)
; div/idiv lines: op/size a b : EAX EBX EDX | ... (flags undefined: not shown as such,
;   FL printed masked to 0). A #DE shows EBX = de00de00 and EAX/EDX unchanged (precise fault).
;   dividend: 8-bit: AX = a.  div/16: DX:AX = a (32-bit).  idiv/16: CWD of AX.
;   div/32: EDX = a>>24, EAX = a.  idiv/32: CDQ of EAX.
%include "common.inc"
%include "table.inc"

MASK_MUL equ F_CF|F_OF

main:
    mov dword [show_regs], 2
    mov esi, muls
    mov edi, mpairs
    call run_ops
    ; divisions: #DE resumes at de_recover (returns from the stub)
    mov dword [hipat], 0x12340000
    mov dword [hipat+4], 0
    mov dword [digits], 4
    mov dword [digits+4], 8
    mov dword [show_regs], 3
    mov dword [exc_resume], de_recover
    mov esi, divs
    mov edi, dpairs
    call run_ops
    mov dword [exc_resume], 0

    ; explicit #DE reports: EIP must point at the faulting instruction
    PRINT "div ebx by 0: "
    EXPECT .r1
    xor ebx, ebx
    mov eax, 5
    xor edx, edx
.i1: div ebx
.r1: mov ebx, .i1
    call report_exc
    call print_nl
    PRINT "idiv byte [m]=0: "
    EXPECT .r2
    mov byte [mem], 0
    mov ax, 100
.i2: idiv byte [mem]
.r2: mov ebx, .i2
    call report_exc
    call print_nl
    PRINT "div 16 overflow: "
    EXPECT .r3
    mov dx, 2
    mov ax, 0
    mov bx, 2
.i3: div bx
.r3: mov ebx, .i3
    call report_exc
    call print_nl
    PRINT "idiv 80000000:0/-1: "
    EXPECT .r4
    mov eax, 0x80000000
    cdq
    mov ecx, -1
.i4: idiv ecx
.r4: mov ebx, .i4
    call report_exc
    call print_nl
    ret

de_recover:
    mov ebx, 0xde00de00
    ret

TABLE muls
OPS3 "mul",  MASK_MUL, {mul bl}, {mul bx}, {mul ebx}
OPS3 "imul", MASK_MUL, {imul bl}, {imul bx}, {imul ebx}
STUB mulm8,  {mov [mem], ebx}, {mul byte [mem]}
STUB mulm16, {mov [mem], ebx}, {mul word [mem]}
STUB mulm32, {mov [mem], ebx}, {mul dword [mem]}
OP "mul[m]", MASK_MUL, mulm8, mulm16, mulm32
STUB imulm8,  {mov [mem], ebx}, {imul byte [mem]}
STUB imulm16, {mov [mem], ebx}, {imul word [mem]}
STUB imulm32, {mov [mem], ebx}, {imul dword [mem]}
OP "imul[m]", MASK_MUL, imulm8, imulm16, imulm32
STUB imul2_16, {imul ax, bx}
STUB imul2_32, {imul eax, ebx}
OP "imulr,r", MASK_MUL, 0, imul2_16, imul2_32
STUB imul2m16, {mov [mem], ebx}, {imul ax, [mem]}
STUB imul2m32, {mov [mem], ebx}, {imul eax, [mem]}
OP "imulr,[m]", MASK_MUL, 0, imul2m16, imul2m32
STUB imul3a16, {imul ax, bx, -3}
STUB imul3a32, {imul eax, ebx, -3}
OP "imulr,r,-3", MASK_MUL, 0, imul3a16, imul3a32
STUB imul3b16, {imul ax, bx, 0x4321}
STUB imul3b32, {imul eax, ebx, 0x12345}
OP "imulr,r,iw", MASK_MUL, 0, imul3b16, imul3b32
STUB imul3m16, {mov [mem], ebx}, {imul ax, [mem], 0x7f}
STUB imul3m32, {mov [mem], ebx}, {imul eax, [mem], 0x7fffffff}
OP "imulr,[m],i", MASK_MUL, 0, imul3m16, imul3m32
TABLE_END

TABLE divs
STUB div8,   {div bl}
STUB div16,  {mov edx, eax}, {shr edx, 16}, {div bx}
STUB div32,  {mov edx, eax}, {shr edx, 24}, {div ebx}
OP "div", 0, div8, div16, div32
STUB idiv8,  {idiv bl}
STUB idiv16, {cwd}, {idiv bx}
STUB idiv32, {cdq}, {idiv ebx}
OP "idiv", 0, idiv8, idiv16, idiv32
STUB divm8,  {mov [mem], ebx}, {div byte [mem]}
STUB divm16, {mov [mem], ebx}, {mov edx, eax}, {shr edx, 16}, {div word [mem]}
STUB divm32, {mov [mem], ebx}, {mov edx, eax}, {shr edx, 24}, {div dword [mem]}
OP "div[m]", 0, divm8, divm16, divm32
TABLE_END

section .data
align 4
mem: dd 0
mpairs: dd mp8, mp16, mp32
mp8:  dd 9
      dd 0x00,0x00, 0x01,0xff, 0xff,0xff, 0x80,0x02, 0x7f,0x7f, 0x80,0x80, 0x10,0x10, 0x0f,0x11, 0x80,0xff
mp16: dd 9
      dd 0x0000,0x0000, 0x0001,0xffff, 0xffff,0xffff, 0x8000,0x0002, 0x7fff,0x7fff
      dd 0x8000,0x8000, 0x0100,0x0100, 0x1234,0x5678, 0x0002,0x0003
mp32: dd 9
      dd 0x00000000,0x00000000, 0x00000001,0xffffffff, 0xffffffff,0xffffffff
      dd 0x80000000,0x00000002, 0x7fffffff,0x7fffffff, 0x80000000,0x80000000
      dd 0x00010000,0x00010000, 0x12345678,0x9abcdef0, 0x00000002,0x00000003
dpairs: dd dp8, dp16, dp32
dp8:  dd 11
      dd 0x0000,0x01, 0x00ff,0x01, 0x00ff,0xff, 0x1234,0x56, 0x7fff,0xff, 0x0100,0x01
      dd 0x0005,0x00, 0xff80,0xff, 0xff80,0x01, 0xfff9,0x02, 0x0007,0xfe
dp16: dd 11
      dd 0x00000000,0x0001, 0x0000ffff,0x0001, 0x0001ffff,0x0002, 0x12345678,0x1234
      dd 0xfffeffff,0xffff, 0x00010000,0x0001, 0x00000005,0x0000, 0x00008000,0xffff
      dd 0x00008000,0x0001, 0x0000fff9,0x0002, 0x00000007,0xfffe
dp32: dd 9
      dd 0x00000000,0x00000001, 0xffffffff,0x00000001, 0xffffffff,0xffffffff
      dd 0x12345678,0x00001234, 0x7fffffff,0x7fffffff, 0x80000000,0xffffffff
      dd 0x00000005,0x00000000, 0xfffffff9,0x00000002, 0x00000007,0xfffffffe

END_IMAGE
