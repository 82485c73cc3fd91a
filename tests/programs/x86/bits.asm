; bits.asm - bt bts btr btc (register, immediate, and memory bit-string forms with
; offsets beyond the operand and negative), bsf bsr, bswap, setcc/cmovcc/jcc (all 16),
; movzx movsx, cbw cwde cwd cdq, lahf sahf, xlat.
; Table lines: op/size a b : EAX [EBX] FL | ...  (flags clear | CF PF AF ZF SF OF set)
;   bt*: CF ZF shown (OF SF AF PF undefined).  bsf/bsr: ZF only; dest undefined for a
;   zero source and is printed as ffffffff/ffff (replaced by cmovz).
%include "common.inc"
%include "table.inc"

M_BT  equ F_CF|F_ZF

main:
    mov dword [show_regs], 0
    mov esi, bitops
    mov edi, bpairs
    call run_ops
    mov esi, unops
    mov edi, uvals
    call run_ops
    mov dword [show_regs], 2
    mov esi, exts
    mov edi, uvals
    call run_ops
    call bt_memory
    call conditions
    call xlat_test
    ret

TABLE bitops
OPS2 "bt",  M_BT, {bt ax, bx}, {bt eax, ebx}
OPS2 "bts", M_BT, {bts ax, bx}, {bts eax, ebx}
OPS2 "btr", M_BT, {btr ax, bx}, {btr eax, ebx}
OPS2 "btc", M_BT, {btc ax, bx}, {btc eax, ebx}
OPS2 "btc,i17", M_BT, {btc ax, 17}, {btc eax, 17}
TABLE_END

TABLE unops
STUB bsf16, {bsf ax, ax}, {cmovz ax, [undef]}
STUB bsf32, {bsf eax, eax}, {cmovz eax, [undef]}
OP "bsf", F_ZF, 0, bsf16, bsf32
STUB bsr16, {bsr ax, ax}, {cmovz ax, [undef]}
STUB bsr32, {bsr eax, eax}, {cmovz eax, [undef]}
OP "bsr", F_ZF, 0, bsr16, bsr32
STUB bsfm32, {mov [mem], eax}, {bsf eax, [mem]}, {cmovz eax, [undef]}
OP "bsf[m]", F_ZF, 0, 0, bsfm32
OPS1 "bswap", F_ARITH, 2, {bswap eax}
OPS1 "bswapedx", F_ARITH, 2, {xchg eax, edx}, {bswap edx}, {xchg eax, edx}
TABLE_END

TABLE exts
OPS1 "movzx r32,r8", F_ARITH, 0, {movzx eax, al}
OPS1 "movzx r32,r16", F_ARITH, 1, {movzx eax, ax}
OPS1 "movzx r16,r8", F_ARITH, 0, {movzx ax, al}
OPS1 "movsx r32,r8", F_ARITH, 0, {movsx eax, al}
OPS1 "movsx r32,r16", F_ARITH, 1, {movsx eax, ax}
OPS1 "movsx r16,r8", F_ARITH, 0, {movsx ax, al}
OPS1 "movsx r32,m8", F_ARITH, 0, {mov [mem], eax}, {movsx eax, byte [mem]}
OPS1 "movzx r16,m8", F_ARITH, 0, {mov [mem], eax}, {movzx ax, byte [mem]}
OPS1 "movsx r32,ah", F_ARITH, 0, {mov ah, al}, {movsx eax, ah}
OPS1 "cbw", F_ARITH, 0, {cbw}
OPS1 "cwde", F_ARITH, 1, {cwde}
OPS1 "cwd", F_ARITH, 1, {cwd}
OPS1 "cdq", F_ARITH, 2, {cdq}
OPS1 "sahf", F_ARITH, 0, {mov ah, al}, {sahf}
OPS1 "lahf", F_ARITH, 0, {lahf}
TABLE_END

; ---- bt/bts/btr/btc on memory: bit string at buf+4, offsets in a register
bt_memory:
    mov esi, offsets
.next:
    mov ecx, [esi]
    cmp ecx, 0x7777
    je .imm
    xor edi, edi
.op:
    call reset_buf
    PRINT "bt[m] "
    mov eax, [btnames + edi*4]
    push esi
    mov esi, eax
    call print_str
    pop esi
    call print_sp
    PHEX32 ecx
    PRINT ": CF="
    push dword 0
    popfd
    call [btfuncs + edi*4]
    setc al
    call print_hex8
    call print_buf
    inc edi
    cmp edi, 4
    jb .op
    add esi, 4
    jmp .next
.imm:
    ; 16-bit register offset (sign-extended) and immediate forms (offset masked)
    call reset_buf
    PRINT "bts word [buf+4],cx=fffe: CF="
    mov cx, 0xfffe
    bts word [buf+4], cx
    setc al
    call print_hex8
    call print_buf
    call reset_buf
    PRINT "btc word [buf+4],cx=0021: CF="
    mov cx, 0x21
    btc word [buf+4], cx
    setc al
    call print_hex8
    call print_buf
    call reset_buf
    PRINT "bts dword [buf+4],33: CF="
    bts dword [buf+4], 33
    setc al
    call print_hex8
    call print_buf
    call reset_buf
    PRINT "btr word [buf+4],0x1f: CF="
    btr word [buf+4], 0x1f
    setc al
    call print_hex8
    call print_buf
    ret

f_bt:  bt dword [buf+4], ecx
       ret
f_bts: bts dword [buf+4], ecx
       ret
f_btr: btr dword [buf+4], ecx
       ret
f_btc: btc dword [buf+4], ecx
       ret

reset_buf:
    mov dword [buf], 0x12345678
    mov dword [buf+4], 0x9abcdef0
    mov dword [buf+8], 0x0f0f0f0f
    mov dword [buf+12], 0xf0f0f0f0
    ret
print_buf:
    PRINT " buf="
    PHEX32 [buf]
    call print_sp
    PHEX32 [buf+4]
    call print_sp
    PHEX32 [buf+8]
    call print_sp
    PHEX32 [buf+12]
    call print_nl
    ret

; ---- setcc / cmovcc / jcc for all 16 conditions under several flag settings
conditions:
    mov esi, flagsets
.next:
    mov eax, [esi]
    cmp eax, -1
    je .done
    PRINT "fl="
    call print_hex16
    PRINT " setcc="
    xor ecx, ecx
.s: call do_setcc
    inc ecx
    cmp ecx, 16
    jb .s
    PRINT " cmov32="
    xor ecx, ecx
.c: call do_cmov32
    inc ecx
    cmp ecx, 16
    jb .c
    PRINT " cmov16m="
    xor ecx, ecx
.c16: call do_cmov16
    inc ecx
    cmp ecx, 16
    jb .c16
    PRINT " jcc="
    xor ecx, ecx
.j: call do_jcc
    inc ecx
    cmp ecx, 16
    jb .j
    call print_nl
    add esi, 4
    jmp .next
.done:
    ret

; each: EAX = flags to load, ECX = condition; prints one hex digit
do_setcc:
    push eax
    mov edx, ecx
    imul edx, edx, setcc_len
    add edx, setcc_tab
    push eax
    popfd
    mov eax, 0x12345678
    call edx                    ; AL = condition, upper bits kept
    xor eax, 0x12345600
    call print_hexd
    pop eax
    ret
do_cmov32:
    push eax
    mov edx, ecx
    imul edx, edx, cmov_len
    add edx, cmov_tab
    push eax
    popfd
    mov eax, 0x11111111
    mov ebx, 0x22222222
    call edx
    and eax, 3                  ; 1 = not moved, 2 = moved
    call print_hexd
    pop eax
    ret
do_cmov16:
    push eax
    mov edx, ecx
    imul edx, edx, cmovm_len
    add edx, cmovm_tab
    push eax
    popfd
    mov eax, 0x11111111
    mov word [mem], 0x2222
    call edx
    mov edx, eax                ; 11112222 moved, 11111111 not moved
    and eax, 3
    cmp edx, 0x11112222
    je .ok
    cmp edx, 0x11111111
    je .ok
    mov eax, 0xf                ; corrupted upper bits
.ok:
    call print_hexd
    pop eax
    ret
do_jcc:
    push eax
    mov edx, ecx
    imul edx, edx, jcc_len
    add edx, jcc_tab
    push eax
    popfd
    mov eax, 0
    call edx                    ; EAX = 1 taken, 0 not
    call print_hexd
    pop eax
    ret
print_hexd:
    push ecx
    mov ecx, 1
    call print_hexn
    pop ecx
    ret

setcc_tab:
%assign cc 0
%rep 16
    db 0x0F, 0x90+cc, 0xC0      ; setcc al
    ret
%assign cc cc+1
%endrep
setcc_len equ 4
cmov_tab:
%assign cc 0
%rep 16
    db 0x0F, 0x40+cc, 0xC3      ; cmovcc eax, ebx
    ret
%assign cc cc+1
%endrep
cmov_len equ 4
cmovm_tab:
%assign cc 0
%rep 16
    db 0x66, 0x0F, 0x40+cc, 0x05    ; cmovcc ax, [mem]
    dd mem
    ret
%assign cc cc+1
%endrep
cmovm_len equ 9
jcc_tab:
%assign cc 0
%rep 16
    db 0x70+cc, 0x01            ; jcc +1
    ret
    inc eax
    ret
%assign cc cc+1
%endrep
jcc_len equ 5

xlat_test:
    mov edi, xtab
    xor ecx, ecx
.f: mov al, cl
    xor al, 0x5a
    stosb
    inc cl
    jnz .f
    PRINT "xlat:"
    mov ebx, xtab
    mov esi, xvals
.x: lodsb
    cmp al, 0x11
    je .d
    mov ah, 0x77
    xlatb
    call print_sp
    PHEX16 eax
    jmp .x
.d: PRINT " fs:"
    mov ax, SEL_DATA32
    mov fs, ax
    mov eax, 0x99887780
    fs xlatb
    PHEX32 eax
    call print_nl
    ret

section .data
align 4
mem:   dd 0
undef: dd 0xffffffff
buf:   dd 0, 0, 0, 0
btfuncs: dd f_bt, f_bts, f_btr, f_btc
btnames: dd .n0, .n1, .n2, .n3
.n0: db "bt ", 0
.n1: db "bts", 0
.n2: db "btr", 0
.n3: db "btc", 0
offsets: dd 0, 31, 32, 63, -1, -32, -33, 95, 69, 0x7777
flagsets: dd 0x000, 0x001, 0x004, 0x040, 0x080, 0x800, 0x880, 0x041, 0x0c0, 0x840, 0x8d5, -1
xvals: db 0x00, 0x01, 0x5a, 0x80, 0xff, 0x11
bpairs: dd 0, bp16, bp32
bp16: dd 8
      dd 0x8001,0, 0x8001,15, 0x8001,16, 0x1234,33, 0x1234,4, 0x0000,0, 0x0100,0x0100, 0xffff,0xffff
bp32: dd 8
      dd 0x80000001,0, 0x80000001,31, 0x80000001,32, 0x12345678,65, 0x12345678,4
      dd 0x00000000,0, 0x00010000,0x00010000, 0xffffffff,0xffffffff
uvals: dd uv8, uv16, uv32
uv8:  dd 5
      dd 0x00,0, 0x01,0, 0x7f,0, 0x80,0, 0xd5,0
uv16: dd 5
      dd 0x0000,0, 0x0001,0, 0x7fff,0, 0x8000,0, 0x0100,0
uv32: dd 5
      dd 0x00000000,0, 0x00000001,0, 0x7fffffff,0, 0x80000000,0, 0x00012300,0
align 4
xtab: times 256 db 0

END_IMAGE
