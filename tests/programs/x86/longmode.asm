; longmode.asm - IA-32e mode: builds 4-level page tables, enables PAE + EFER.LME/NXE/SCE +
; CR0.PG, far-jumps into 64-bit code and tests REX arithmetic, byte registers with REX,
; 32-bit results zero-extending, RIP-relative addressing, 64-bit mul/div, shifts, push/pop
; sizes, string ops, cmpxchg16b, a higher-half alias, SYSCALL/SYSRET with SWAPGS, a ring-3
; round trip (IRETQ out, INT 0x80 through the 64-bit TSS back), #UD through an IST stack,
; #GP on a non-canonical address and #PF for NX and not-present pages.
; Recorded with qemu-system-x86_64 (default qemu64 CPU).
%include "common.inc"

PML4    equ 0x200000
PDPT    equ 0x201000
PD      equ 0x202000
PT      equ 0x203000
PDPT_HI equ 0x204000
IDT64   equ 0x206000
TSS64   equ 0x207000
IST1TOP equ 0x209000
RSP0TOP equ 0x20a000
USTACK  equ 0x20b000
NXPAGE  equ 0x20c000

K_CODE  equ 0x40
K_DATA  equ 0x48
U_CODE32 equ 0x50
U_DATA  equ 0x58
U_CODE64 equ 0x60
TSS_SEL equ 0x68

main:
    ; GDT: 64-bit kernel code/data, user code32/data/code64 (SYSRET layout), 16-byte TSS
    mov dword [gdt+K_CODE], 0x0000FFFF
    mov dword [gdt+K_CODE+4], 0x00AF9A00
    mov dword [gdt+K_DATA], 0x0000FFFF
    mov dword [gdt+K_DATA+4], 0x00CF9200
    mov dword [gdt+U_CODE32], 0x0000FFFF
    mov dword [gdt+U_CODE32+4], 0x00CFFA00
    mov dword [gdt+U_DATA], 0x0000FFFF
    mov dword [gdt+U_DATA+4], 0x00CFF200
    mov dword [gdt+U_CODE64], 0x0000FFFF
    mov dword [gdt+U_CODE64+4], 0x00AFFA00
    mov dword [gdt+TSS_SEL], 0x70000067     ; limit 0x67, base 15:0 = 0x7000
    mov dword [gdt+TSS_SEL+4], 0x00008920   ; base 23:16 = 0x20, type 9, P
    mov dword [gdt+TSS_SEL+8], 0
    mov dword [gdt+TSS_SEL+12], 0

    ; page tables and the other fixed structures: zero 0x200000..0x20d000
    cld
    mov edi, PML4
    mov ecx, 0xd000 / 4
    xor eax, eax
    rep stosd
    mov dword [PML4], PDPT | 7
    mov dword [PML4 + 511*8], PDPT_HI | 3
    mov dword [PDPT], PD | 7
    mov dword [PDPT_HI + 510*8], PD | 3       ; 0xffffffff80000000 -> physical 0
    mov dword [PD + 0*8], 0x000000 | 0x87
    mov dword [PD + 1*8], 0x200000 | 0x87
    mov dword [PD + 2*8], 0x400000 | 0x87
    mov dword [PD + 3*8], 0x600000 | 0x87
    mov dword [PD + 4*8], PT | 7              ; 0x800000: 4K pages
    mov dword [PT + 0*8], NXPAGE | 7
    mov dword [PT + 0*8 + 4], 0x80000000      ; XD
    mov byte [NXPAGE], 0xc3                   ; a ret that must never run
    ; 64-bit TSS: RSP0, IST1, no I/O bitmap
    mov dword [TSS64 + 4], RSP0TOP
    mov dword [TSS64 + 0x24], IST1TOP
    mov word [TSS64 + 0x66], 0x68

    mov eax, cr4
    or eax, 0x2a0                             ; PAE | PGE | OSFXSR
    mov cr4, eax
    mov eax, PML4
    mov cr3, eax
    mov ecx, 0xC0000080
    rdmsr
    or eax, 0x901                             ; SCE | LME | NXE
    wrmsr
    mov eax, cr0
    or eax, 0x80000000
    mov cr0, eax
    mov ecx, 0xC0000080
    rdmsr
    PRINT "efer "
    PHEX32 eax
    call print_nl
    jmp K_CODE:long_entry

; ------------------------------------------------------------------ 64-bit helpers
bits 64
p64_char:                       ; AL
    push rdx
    push rax
    mov dx, 0x3fd
.w: in al, dx
    test al, 0x20
    jz .w
    pop rax
    mov dx, 0x3f8
    out dx, al
    pop rdx
    ret

p64_str:                        ; RSI -> NUL-terminated
    push rsi
    push rax
.l: lodsb
    test al, al
    jz .d
    call p64_char
    jmp .l
.d: pop rax
    pop rsi
    ret

p64_hex:                        ; RAX, 16 digits and a space
    push rcx
    push rdx
    push rax
    mov rdx, rax
    mov ecx, 16
.l: rol rdx, 4
    mov al, dl
    and al, 15
    add al, '0'
    cmp al, '9'
    jbe .o
    add al, 'a' - '0' - 10
.o: call p64_char
    dec ecx
    jnz .l
    mov al, ' '
    call p64_char
    pop rax
    pop rdx
    pop rcx
    ret

p64_nl:
    push rax
    mov al, 10
    call p64_char
    pop rax
    ret

%macro SAY 1
section .data
%%s: db %1, ' ', 0
section .text
    push rsi
    lea rsi, [rel %%s]
    call p64_str
    pop rsi
%endmacro

%macro SHOW 1
    push rax
    mov rax, %1
    call p64_hex
    pop rax
%endmacro

%macro SAVEF 0                     ; capture RFLAGS right after the instruction under test
    pushfq
    pop qword [rel flags_tmp]
%endmacro

%macro SHOWFLAGS 1                ; the saved flags, masked to the defined ones
    push rax
    mov rax, [rel flags_tmp]
    and rax, %1
    call p64_hex
    pop rax
%endmacro

; gate64 vector, handler, type/attr byte, ist
%macro GATE64 4
    mov rax, %2
    mov rdi, IDT64 + %1 * 16
    mov [rdi], ax
    mov word [rdi+2], K_CODE
    mov byte [rdi+4], %4
    mov byte [rdi+5], %3
    shr rax, 16
    mov [rdi+6], ax
    shr rax, 16
    mov [rdi+8], eax
    mov dword [rdi+12], 0
%endmacro

long_entry:
    mov ax, K_DATA
    mov ds, ax
    mov es, ax
    mov ss, ax
    SAY "long mode cs"
    mov ax, cs
    SHOW rax
    call p64_nl

    GATE64 6, ud_handler, 0x8e, 1
    GATE64 13, gp_handler, 0x8e, 0
    GATE64 14, pf_handler, 0x8e, 0
    GATE64 0x80, int80_handler, 0xee, 0
    lidt [rel idt64_ptr]
    mov ax, TSS_SEL
    ltr ax

    ; ---- registers with REX, zero extension
    mov rax, 0x123456789abcdef0
    mov r8, 0x0fedcba987654321
    mov r15, r8
    add r15, rax
    SAVEF
    SAY "add64"
    SHOW r15
    SHOWFLAGS 0x8d5
    call p64_nl
    mov r9, -1
    add r9, 1
    SAVEF
    SAY "carry"
    SHOW r9
    SHOWFLAGS 0x8d5
    mov r10, 0x7fffffffffffffff
    inc r10
    SAVEF
    SHOW r10
    SHOWFLAGS 0x8d4
    mov r11, 0
    sub r11, 1
    SAVEF
    SHOW r11
    SHOWFLAGS 0x8d5
    call p64_nl
    mov rax, -1
    mov eax, 0x12345678
    mov rbx, -1
    add ebx, 1
    mov rcx, -1
    mov cx, 5
    mov rdx, -1
    mov dl, 7
    SAY "zext"
    SHOW rax
    SHOW rbx
    SHOW rcx
    SHOW rdx
    call p64_nl
    mov rsi, 0x1111111111111111
    mov rdi, 0x2222222222222222
    mov r12, 0x3333333333333333
    mov sil, 0xaa
    mov dil, 0xbb
    mov r12b, 0xcc
    mov rax, 0x4444444444444444
    mov ah, 0x55
    SAY "bytes"
    SHOW rsi
    SHOW rdi
    SHOW r12
    SHOW rax
    call p64_nl
    mov eax, -3
    movsxd rbx, eax
    cdqe
    mov rcx, rax
    cqo
    mov r13d, 0x8000
    movsx r14, r13w
    SAY "sext"
    SHOW rbx
    SHOW rcx
    SHOW rdx
    SHOW r14
    call p64_nl
    mov r8, 0x0102030405060708
    bswap r8
    mov r9, 0x8000000000000100
    bsr r10, r9
    bsf r11, r9
    bt r9, 63
    setc r12b
    movzx r12, r12b
    SAY "bits"
    SHOW r8
    SHOW r10
    SHOW r11
    SHOW r12
    call p64_nl

    ; ---- RIP-relative
    lea rax, [rel rip_data]
    mov rbx, [rel rip_data]
    mov qword [rel rip_data + 8], 0x5a5a
    mov rcx, [rax + 8]
    mov edx, rip_data
    sub rax, rdx
    SAY "riprel"
    SHOW rax
    SHOW rbx
    SHOW rcx
    call p64_nl

    ; ---- mul / div
    mov rax, 0xfedcba9876543210
    mov rbx, 0x123456789abcdef0
    mul rbx
    SAVEF
    SAY "mul"
    SHOW rdx
    SHOW rax
    SHOWFLAGS 0x801
    mov rax, -5
    mov rbx, 0x4000000000000000
    imul rbx
    SAVEF
    SHOW rdx
    SHOW rax
    SHOWFLAGS 0x801
    call p64_nl
    mov rax, 0x123456789
    imul rcx, rax, -7
    mov rdx, 0x300000000
    imul rdx, rdx
    SAVEF
    SAY "imul"
    SHOW rcx
    SHOW rdx
    SHOWFLAGS 0x801
    call p64_nl
    mov rdx, 0x0000000000000005
    mov rax, 0x0000000000000123
    mov rbx, 0x10000000000
    div rbx
    SAY "div"
    SHOW rax
    SHOW rdx
    mov rax, -1000000000001
    cqo
    mov rbx, 1000
    idiv rbx
    SHOW rax
    SHOW rdx
    call p64_nl

    ; ---- shifts
    mov rax, 0x1234
    shl rax, 40
    SAVEF
    SAY "shift"
    SHOW rax
    SHOWFLAGS 0xc5
    mov rbx, -256
    sar rbx, 4
    SHOW rbx
    mov rcx, 0xf000000000000001
    rol rcx, 4
    SHOW rcx
    mov rdx, 0x00000000000000ff
    mov rsi, 0xab00000000000000
    shld rdx, rsi, 8
    SHOW rdx
    mov rdi, 1
    mov cl, 63
    shl rdi, cl
    SHOW rdi
    call p64_nl

    ; ---- stack sizes
    mov rbx, rsp
    push -5
    pop rax
    push word 0x1234
    mov rcx, rbx
    sub rcx, rsp
    pop dx
    movzx rdx, dx
    SAY "stack"
    SHOW rax
    SHOW rcx
    SHOW rdx
    mov rcx, rbx
    call .callee
    SHOW rax
    call p64_nl
    jmp .after_call
.callee:
    mov rax, rcx
    sub rax, rsp
    ret
.after_call:

    ; ---- strings, cmpxchg16b
    lea rsi, [rel str_src]
    lea rdi, [rel str_dst]
    mov ecx, 3
    rep movsq
    mov rax, 0x7777777777777777
    mov ecx, 1
    rep stosq
    SAY "string"
    SHOW [rel str_dst]
    SHOW [rel str_dst + 16]
    SHOW [rel str_dst + 24]
    lea rax, [rel str_dst]
    sub rdi, rax
    SHOW rdi
    call p64_nl
    mov rax, 1
    mov rdx, 2
    mov rbx, 0x33
    mov rcx, 0x44
    lock cmpxchg16b [rel cx16]
    setz r8b
    mov rax, 0x11
    mov rdx, 0x22
    lock cmpxchg16b [rel cx16]
    setz r9b
    SAY "cx16"
    movzx rax, r8b
    SHOW rax
    movzx rax, r9b
    SHOW rax
    SHOW [rel cx16]
    SHOW [rel cx16 + 8]
    call p64_nl

    ; ---- SSE with REX.W: 66 stays the mandatory prefix (MOVQ xmm, r64 / r64, xmm),
    ; the sequence glibc's static startup uses to fill a list head
    mov rax, 0x1122334455667788
    movq xmm0, rax                  ; 66 REX.W 0F 6E
    punpcklqdq xmm0, xmm0
    movups [rel sse_buf], xmm0
    mov rcx, 0x0a0b0c0d0e0f1011
    movq xmm1, rcx
    movq rdx, xmm1                  ; 66 REX.W 0F 7E
    SAY "sse64"
    SHOW [rel sse_buf]
    SHOW [rel sse_buf + 8]
    SHOW rdx
    call p64_nl

    ; ---- higher half: run at the 0xffffffff80000000 alias
    mov rax, 0xffffffff80000000 + high_code
    jmp rax
high_code:
    lea rax, [rel high_code]
    SAY "high"
    SHOW rax
    mov rbx, [rel rip_data]
    SHOW rbx
    call p64_nl
    mov rax, back_low
    jmp rax
back_low:

    ; ---- exceptions
    mov [rel saved_rsp], rsp
    ud2
    SAY "ud"
    SHOW [rel exc_rsp_ok]
    SHOW [rel exc_ss_frame]
    call p64_nl
    lea rax, [rel .gp_back]
    mov [rel resume], rax
    mov rax, 0x0000800000000000
    mov rbx, [rax]
.gp_back:
    SAY "gp"
    SHOW [rel exc_err64]
    call p64_nl
    lea rax, [rel .nx_back]
    mov [rel resume], rax
    mov rax, 0x800000
    jmp rax
.nx_back:
    SAY "pf nx"
    SHOW [rel exc_err64]
    SHOW [rel exc_cr2_64]
    call p64_nl
    lea rax, [rel .np_back]
    mov [rel resume], rax
    mov rax, 0x801000
    mov [rax], ebx
.np_back:
    SAY "pf np"
    SHOW [rel exc_err64]
    SHOW [rel exc_cr2_64]
    mov rax, 0x800000
    mov al, [rax]
    movzx rax, al
    SHOW rax
    call p64_nl

    ; ---- compatibility mode: 32-bit code under IA-32e, an exception from it, and back
    mov qword [rel exc_rsp_ok], 0
    jmp far [rel compat_ptr]
bits 32
compat_code:
    mov eax, 0x7fffffff
    add eax, 1
    pushfd
    pop ebx
    and ebx, 0x8d5
    mov [compat_res], eax
    mov [compat_res + 4], ebx
    mov ecx, esp
    push eax
    sub ecx, esp
    pop eax
    mov [compat_res + 8], ecx
    ud2                                     ; IST1 handler in 64-bit code, IRETQ back here
    mov ax, cs
    mov [compat_res + 12], ax
    jmp K_CODE:compat_back
bits 64
compat_back:
    SAY "compat"
    mov eax, [rel compat_res]
    SHOW rax
    mov eax, [rel compat_res + 4]
    SHOW rax
    mov eax, [rel compat_res + 8]
    SHOW rax
    movzx eax, word [rel compat_res + 12]
    SHOW rax
    SHOW [rel exc_rsp_ok]
    call p64_nl

    ; ---- SYSCALL / SYSRET and a ring-3 round trip
    mov ecx, 0xC0000081             ; STAR
    mov edx, (U_CODE32 << 16) | K_CODE
    xor eax, eax
    wrmsr
    mov ecx, 0xC0000082             ; LSTAR
    lea rax, [rel syscall_entry]
    mov rdx, rax
    shr rdx, 32
    wrmsr
    mov ecx, 0xC0000084             ; FMASK: TF DF IF
    mov eax, 0x700
    xor edx, edx
    wrmsr
    mov [rel saved_rsp], rsp
    push U_DATA | 3
    push USTACK
    push 0x2
    push U_CODE64 | 3
    lea rax, [rel user_code]
    push rax
    iretq

user_code:                          ; ring 3, 64-bit
    mov rax, 0x1111
    std
    syscall
after_syscall:
    cld
    mov [rel user_rax], rax
    mov [rel user_r11], r11
    mov ax, cs
    mov [rel user_cs], ax
    mov ax, ss
    mov [rel user_ss], ax
    int 0x80
    ud2                             ; never reached

syscall_entry:                      ; ring 0 from SYSCALL: user RSP still loaded
    mov [rel sc_rcx], rcx
    mov [rel sc_r11], r11
    pushfq
    pop rax
    mov [rel sc_rflags], rax
    mov ax, cs
    mov [rel sc_cs], ax
    mov ax, ss
    mov [rel sc_ss], ax
    mov ecx, 0xC0000101             ; GS_BASE
    mov eax, 0xaaaa0000
    mov edx, 0x1234
    wrmsr
    mov ecx, 0xC0000102             ; KERNEL_GS_BASE
    mov eax, 0xbbbb0000
    xor edx, edx
    wrmsr
    swapgs
    mov ecx, 0xC0000101
    rdmsr
    mov [rel sc_gs], eax
    mov [rel sc_gs + 4], edx
    mov rcx, [rel sc_rcx]
    mov r11, [rel sc_r11]
    mov rax, 0x2222
    o64 sysret

int80_handler:                      ; from ring 3 through RSP0
    mov rax, [rsp + 8]              ; CS
    mov [rel i80_cs], rax
    mov rax, [rsp + 32]             ; SS
    mov [rel i80_ss], rax
    mov ax, ss
    mov [rel i80_newss], ax
    mov rax, rsp
    mov [rel i80_rsp], rax
    mov rsp, [rel saved_rsp]
    SAY "syscall"
    SHOW [rel sc_rcx]
    lea rax, [rel after_syscall]
    SHOW rax
    SHOW [rel sc_r11]
    SHOW [rel sc_rflags]
    movzx rax, word [rel sc_cs]
    SHOW rax
    movzx rax, word [rel sc_ss]
    SHOW rax
    call p64_nl
    SAY "sysret"
    SHOW [rel user_rax]
    SHOW [rel user_r11]
    movzx rax, word [rel user_cs]
    SHOW rax
    movzx rax, word [rel user_ss]
    SHOW rax
    SHOW [rel sc_gs]
    call p64_nl
    SAY "int80"
    SHOW [rel i80_cs]
    SHOW [rel i80_ss]
    movzx rax, word [rel i80_newss]
    SHOW rax
    SHOW [rel i80_rsp]
    call p64_nl

    SAY "PASS"
    call p64_nl
    mov al, 0
    out 0xf4, al
.h: hlt
    jmp .h

; ------------------------------------------------------------------ handlers
ud_handler:                         ; IST1: RSP must be the IST stack, 16-aligned
    mov rax, rsp
    add rax, 40                     ; frame: rip cs rflags rsp ss
    cmp rax, IST1TOP
    sete al
    movzx rax, al
    mov [rel exc_rsp_ok], rax
    mov rax, [rsp + 32]
    mov [rel exc_ss_frame], rax
    add qword [rsp], 2              ; skip ud2
    iretq

gp_handler:
    pop rax
    mov [rel exc_err64], rax
    mov rax, [rel resume]
    mov [rsp], rax
    iretq

pf_handler:
    pop rax
    mov [rel exc_err64], rax
    mov rax, cr2
    mov [rel exc_cr2_64], rax
    mov rax, [rel resume]
    mov [rsp], rax
    iretq

section .data
align 16
idt64_ptr:
    dw 256*16 - 1
    dq IDT64
align 16
rip_data:   dq 0x0123456789abcdef, 0
str_src:    dq 0x1010101010101010, 0x2020202020202020, 0x3030303030303030
str_dst:    dq 0, 0, 0, 0
align 16
cx16:       dq 0x11, 0x22
sse_buf:    dq 0, 0
saved_rsp:  dq 0
flags_tmp:  dq 0
compat_ptr: dq compat_code                 ; m16:64 (nasm encodes REX.W FF /5)
            dw SEL_CODE32
compat_res: dd 0, 0, 0, 0
resume:     dq 0
exc_rsp_ok: dq 0
exc_ss_frame: dq 0
exc_err64:  dq 0
exc_cr2_64: dq 0
sc_rcx:     dq 0
sc_r11:     dq 0
sc_rflags:  dq 0
sc_gs:      dq 0
sc_cs:      dw 0
sc_ss:      dw 0
user_cs:    dw 0
user_ss:    dw 0
align 8
user_rax:   dq 0
user_r11:   dq 0
i80_cs:     dq 0
i80_ss:     dq 0
i80_rsp:    dq 0
i80_newss:  dw 0
section .text
bits 32

END_IMAGE
