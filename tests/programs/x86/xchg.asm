; xchg.asm - xchg cmpxchg cmpxchg8b xadd (reg/mem, lock), bound (#BR), enter/leave
; (levels 0,1,3), pusha/popa (32/16), pushf/popf, push imm, push/pop sreg, near ret imm,
; far call/jmp/ret (direct, indirect, retf imm16), loop/loopz/loopnz/jcxz/jecxz (a32/a16).
; Flags printed masked to CF PF AF ZF SF OF (all defined for these instructions).
%include "common.inc"

STK equ scratch + 0x8000        ; private stack for enter/pusha tests

%macro SHOWF 0                  ; print " fl=" (EFLAGS & 8d5), preserves flags
    pushfd
    push eax
    pushfd
    pop eax
    and eax, F_ARITH
    PRINT " fl="
    call print_hex16
    pop eax
    popfd
%endmacro
%macro REG 2                    ; REG "name", value
    PRINT " ", %1, "="
    PHEX32 %2
%endmacro

main:
    ; ---- xchg
    mov eax, 0x11223344
    mov ebx, 0x55667788
    xchg al, bh
    PRINT "xchg al,bh:"
    REG "eax", eax
    REG "ebx", ebx
    call print_nl
    xchg ax, bx
    xchg eax, ebx
    mov dword [mem], 0xa1b2c3d4
    xchg [mem], ecx
    mov ecx, 0xcafef00d
    xchg cx, [mem]
    PRINT "xchg ax,bx/eax,ebx/[m]:"
    REG "eax", eax
    REG "ebx", ebx
    REG "ecx", ecx
    REG "mem", [mem]
    call print_nl
    ; ---- cmpxchg
    mov dword [mem], 0x12345678
    mov eax, 0x12345678
    mov ebx, 0x9abcdef0
    lock cmpxchg [mem], ebx
    PRINT "cmpxchg32 eq:"
    REG "eax", eax
    REG "mem", [mem]
    SHOWF
    call print_nl
    mov eax, 0x11111111
    cmpxchg [mem], ebx
    PRINT "cmpxchg32 ne:"
    REG "eax", eax
    REG "mem", [mem]
    SHOWF
    call print_nl
    mov eax, 0x000000f0
    mov ecx, 0x00000034
    mov edx, 0x000000f0
    cmpxchg dl, cl
    PRINT "cmpxchg8 eq:"
    REG "eax", eax
    REG "edx", edx
    SHOWF
    call print_nl
    mov eax, 0xffff8000
    mov dx, 0x7fff
    cmpxchg dx, cx
    PRINT "cmpxchg16 ne:"
    REG "eax", eax
    REG "edx", edx
    SHOWF
    call print_nl
    ; ---- cmpxchg8b
    mov dword [mem], 0x11111111
    mov dword [mem+4], 0x22222222
    mov eax, 0x11111111
    mov edx, 0x22222222
    mov ebx, 0x33333333
    mov ecx, 0x44444444
    lock cmpxchg8b [mem]
    PRINT "cmpxchg8b eq:"
    REG "edx:eax", edx
    PHEX32 eax
    REG "mem", [mem+4]
    PHEX32 [mem]
    SHOWF
    call print_nl
    mov eax, 0
    mov edx, 0
    cmpxchg8b [mem]
    PRINT "cmpxchg8b ne:"
    REG "edx:eax", edx
    PHEX32 eax
    REG "mem", [mem+4]
    PHEX32 [mem]
    SHOWF
    call print_nl
    ; ---- xadd
    mov eax, 0x7fffffff
    mov ebx, 1
    xadd eax, ebx
    PRINT "xadd32:"
    REG "eax", eax
    REG "ebx", ebx
    SHOWF
    call print_nl
    mov dword [mem], 0x000000ff
    mov ecx, 0x12345601
    lock xadd [mem], cl
    PRINT "lock xadd8 [m]:"
    REG "mem", [mem]
    REG "ecx", ecx
    SHOWF
    call print_nl
    mov eax, 0x1234ffff
    mov edx, 0x56780001
    xadd ax, dx
    PRINT "xadd16:"
    REG "eax", eax
    REG "edx", edx
    SHOWF
    call print_nl
    mov dword [mem], 5
    lock add dword [mem], -6
    PRINT "lock add [m]:"
    REG "mem", [mem]
    SHOWF
    lock inc dword [mem]
    lock not dword [mem]
    lock btc dword [mem], 31
    REG "mem", [mem]
    call print_nl
    ; ---- bound
    mov dword [bndv], 10
    mov dword [bndv+4], 20
    mov word [bndw], 0xfff0    ; -16
    mov word [bndw+2], 5
    mov eax, 10
    bound eax, [bndv]
    mov eax, 20
    bound eax, [bndv]
    mov ax, -16
    bound ax, [bndw]
    PRINTLN "bound in range: ok"
    PRINT "bound 21 in [10,20]: "
    EXPECT .r1
    mov eax, 21
.i1: bound eax, [bndv]
.r1: mov ebx, .i1
    call report_exc
    call print_nl
    PRINT "bound16 -17 in [-16,5]: "
    EXPECT .r2
    mov ax, -17
.i2: bound ax, [bndw]
.r2: mov ebx, .i2
    call report_exc
    call print_nl
    ; ---- enter / leave on a private stack
    mov [saved_esp], esp
    mov esp, STK
    mov ebp, STK - 0x100        ; fake outer frame pointer chain
    mov dword [STK - 0x100 - 4], 0xaaaa0001
    mov dword [STK - 0x100 - 8], 0xaaaa0002
    mov dword [STK - 0x100 - 12], 0xaaaa0003
    call clrstk
    enter 16, 0
    call frame_report
    leave
    call frame_report
    call clrstk
    enter 8, 1
    call frame_report
    leave
    call clrstk
    enter 12, 3
    call frame_report
    call stack_dump
    leave
    call frame_report
    call clrstk
    o16 enter 4, 2
    call frame_report
    call stack_dump
    o16 leave
    call frame_report
    ; ---- pusha / popa
    mov eax, 0xa0a0a0a0
    mov ecx, 0xc1c1c1c1
    mov edx, 0xd2d2d2d2
    mov ebx, 0xb3b3b3b3
    mov ebp, 0xe5e5e5e5
    mov esi, 0x56565656
    mov edi, 0x7d7d7d7d
    pushad
    PRINT "pushad:"
    call stack_dump
    mov dword [esp+12], 0x12345678      ; the pushed ESP is ignored by popad
    mov dword [esp+28], 0xfeedface
    popad
    call frame_report
    PRINT "popad eax:"
    PHEX32 eax
    call print_nl
    pushaw
    PRINT "pushaw:"
    call stack_dump
    popaw
    call frame_report
    ; ---- push imm / sreg
    push byte -2
    push dword 0x12345678
    push word 0xbeef
    push word 0xdead
    PRINT "push imm:"
    call stack_dump
    add esp, 12
    mov dword [esp-4], 0xffffffff
    push fs
    PRINT "push fs(32):"
    PHEX16 [esp]
    call frame_report
    pop gs
    o16 push ds
    call frame_report
    o16 pop es
    mov ax, gs
    mov bx, es
    PRINT "pop gs/es:"
    PHEX16 eax
    PRINT " "
    PHEX16 ebx
    call print_nl
    ; ---- pushf / popf
    push dword 0xfffffcff       ; everything except IF and TF
    popfd
    pushfd
    pop eax
    PRINT "popfd fffffcff -> "
    PHEX32 eax
    push dword 0
    popfd
    pushfd
    pop eax
    PRINT " popfd 0 -> "
    PHEX32 eax
    push word 0x0cd5
    popf
    pushf
    pop ax
    PRINT " popf16 0cd5 -> "
    PHEX16 eax
    call print_nl
    push dword 2
    popfd
    ; ---- near ret imm, far transfers
    push dword 0x11111111
    push dword 0x22222222
    call ret8
    call frame_report
    call SEL_CODE32:far_target
    PRINT "far call: ret eax="
    PHEX32 eax
    call frame_report
    call far [farptr]
    PRINT "far call [m]: ret eax="
    PHEX32 eax
    call frame_report
    jmp far [farjmp]
.back:
    PRINT "far jmp [m]: eax="
    PHEX32 eax
    call print_nl
    jmp SEL_CODE32:.back2
.back2:
    push dword 0x33333333
    push dword 0x44444444
    call SEL_CODE32:far_ret8
    PRINT "retf 8:"
    call frame_report
    ; o16 far call to a 16-bit-offset target is not possible at 1 MiB; covered in realmode.asm
    ; ---- loops
    mov ecx, 5
    xor eax, eax
.l1: inc eax
    loop .l1
    PRINT "loop 5: eax="
    PHEX32 eax
    PRINT " ecx="
    PHEX32 ecx
    mov ecx, 0x00010003
    xor eax, eax
.l2: inc eax
    a16 loop .l2
    PRINT " a16 loop: eax="
    PHEX32 eax
    PRINT " ecx="
    PHEX32 ecx
    call print_nl
    mov esi, lz_data
    mov ecx, 8
    xor eax, eax
.l3: inc eax
    cmp byte [esi+eax-1], 0
    loopz .l3
    PRINT "loopz: eax="
    PHEX32 eax
    PRINT " ecx="
    PHEX32 ecx
    mov ecx, 8
    xor eax, eax
.l4: inc eax
    cmp byte [esi+eax+3], 0
    loopnz .l4
    PRINT " loopnz: eax="
    PHEX32 eax
    PRINT " ecx="
    PHEX32 ecx
    call print_nl
    mov ecx, 0x00010000
    xor eax, eax
    jecxz .j1
    or al, 1
.j1: a16 jcxz .j2
    or al, 2
.j2: xor ecx, ecx
    jecxz .j3
    or al, 4
.j3: mov ecx, 0             ; loop with ecx=0 runs 2^32 times: only check a16 form, cx=0 -> 65536
    mov ebx, 0x00070000
    mov ecx, ebx
.l5: inc eax
    a16 loop .l5
    PRINT "jcxz/jecxz/a16 loop 65536: eax="
    PHEX32 eax
    PRINT " ecx="
    PHEX32 ecx
    call print_nl
    mov esp, [saved_esp]
    ret

ret8:
    ret 8
far_target:
    mov eax, [esp+4]
    and eax, 0xffff             ; pushed CS (upper half of the slot not checked)
    retf
far_target2:
    mov eax, 0x12121212
    retf
far_jmp_target:
    mov eax, 0x34343434
    jmp main.back
far_ret8:
    retf 8

clrstk:                         ; zero STK-0x80..STK-8 (below our own return address)
    mov [clr_save], eax
    mov [clr_save+4], ecx
    mov [clr_save+8], edi
    mov edi, STK - 0x80
    mov ecx, 0x1f
    mov eax, 0
    rep stosd
    mov eax, [clr_save]
    mov ecx, [clr_save+4]
    mov edi, [clr_save+8]
    ret

frame_report:                   ; prints ESP/EBP relative to STK (registers preserved)
    pushfd
    push eax
    PRINT " esp=STK"
    lea eax, [esp+12]           ; caller's ESP before the call
    sub eax, STK
    call print_hexsigned
    PRINT " ebp=STK"
    mov eax, ebp
    sub eax, STK
    call print_hexsigned
    call print_nl
    pop eax
    popfd
    ret
print_hexsigned:
    test eax, eax
    jns .p
    neg eax
    PRINT "-"
    jmp .o
.p: PRINT "+"
.o: call print_hex32
    ret
stack_dump:                     ; 10 dwords from the caller's ESP
    pushad
    lea esi, [esp+36]
    mov ecx, 10
.l: call print_sp
    lodsd
    mov edx, eax
    sub edx, STK - 0x1000       ; pointers into the private stack shown as s+offset
    cmp edx, 0x2000
    jae .raw
    PRINT "s+"
    mov eax, edx
    call print_hex16
    jmp .n
.raw: call print_hex32
.n: loop .l
    call print_nl
    popad
    ret

section .data
align 4
mem:    dd 0, 0
bndv:    dd 0, 0
bndw:  dd 0
saved_esp: dd 0
clr_save: dd 0, 0, 0
farptr: dd far_target2
        dw SEL_CODE32
farjmp: dd far_jmp_target
        dw SEL_CODE32
lz_data: db 0, 0, 0, 5, 1, 2, 0, 3, 0, 0

END_IMAGE
