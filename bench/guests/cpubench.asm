; cpubench.asm - CPU-bound benchmark guest (multiboot v1, a.out kludge, loaded at 1 MiB).
;
; 1. fills DATA_SIZE bytes at 16 MiB with xorshift32 output (seed 0x12345678, one dword per step)
; 2. CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320) over them, bit by bit, no table
; 3. sieve of Eratosthenes over [0, SIEVE_LIMIT) in a byte array after the data, counts primes
; Prints "crc32=xxxxxxxx primes=n" on COM1 (polling LSR bit 5) and exits through isa-debug-exit
; at port 0xf4 with value 0 (QEMU's process status (0 << 1) | 1 = 1).
; Sizes can be changed with nasm -DDATA_SIZE=... -DSIEVE_LIMIT=...; with 0 and 0 the guest only
; prints and exits, which measures start-up cost.
bits 32
org 0x100000

%ifndef DATA_SIZE
%define DATA_SIZE (16 * 1024 * 1024)
%endif
%ifndef SIEVE_LIMIT
%define SIEVE_LIMIT 4000000
%endif
DATA_ADDR  equ 0x1000000
SIEVE_ADDR equ DATA_ADDR + DATA_SIZE
MB_FLAGS   equ 0x00010000

mb_header:
    dd 0x1BADB002
    dd MB_FLAGS
    dd -(0x1BADB002 + MB_FLAGS)
    dd mb_header
    dd mb_header
    dd load_end
    dd bss_end
    dd start

start:
    cli
    mov esp, stack_top

    ; ---- 1. data --------------------------------------------------------------------------
    mov edi, DATA_ADDR
    mov ecx, DATA_SIZE / 4
    mov eax, 0x12345678
    jecxz .gen_done
.gen:
    mov edx, eax                        ; x ^= x << 13; x ^= x >> 17; x ^= x << 5
    shl edx, 13
    xor eax, edx
    mov edx, eax
    shr edx, 17
    xor eax, edx
    mov edx, eax
    shl edx, 5
    xor eax, edx
    mov [edi], eax
    add edi, 4
    dec ecx
    jnz .gen
.gen_done:

    ; ---- 2. CRC-32 ------------------------------------------------------------------------
    mov esi, DATA_ADDR
    mov ecx, DATA_SIZE
    mov eax, 0xffffffff
    jecxz .crc_done
.crc_byte:
    movzx edx, byte [esi]
    xor eax, edx
    mov ebx, 8
.crc_bit:
    shr eax, 1
    jnc .crc_no_xor
    xor eax, 0xEDB88320
.crc_no_xor:
    dec ebx
    jnz .crc_bit
    inc esi
    dec ecx
    jnz .crc_byte
.crc_done:
    not eax
    mov [crc], eax

    ; ---- 3. sieve -------------------------------------------------------------------------
    xor ebp, ebp                        ; prime count
%if SIEVE_LIMIT > 2
    mov edi, SIEVE_ADDR                 ; 1 = composite; start all 0
    mov ecx, SIEVE_LIMIT
    xor eax, eax
    rep stosb
    mov ebx, 2                          ; candidate
.sieve_next:
    cmp byte [SIEVE_ADDR + ebx], 0
    jne .sieve_skip
    inc ebp
    mov eax, ebx
    mul ebx                             ; start crossing out at p*p
    test edx, edx
    jnz .sieve_skip
    cmp eax, SIEVE_LIMIT
    jae .sieve_skip
.cross:
    mov byte [SIEVE_ADDR + eax], 1
    add eax, ebx
    cmp eax, SIEVE_LIMIT
    jb .cross
.sieve_skip:
    inc ebx
    cmp ebx, SIEVE_LIMIT
    jb .sieve_next
%endif
    mov [primes], ebp

    ; ---- report ---------------------------------------------------------------------------
    mov esi, s_crc
    call puts
    mov eax, [crc]
    call puthex
    mov esi, s_primes
    call puts
    mov eax, [primes]
    call putdec
    mov al, 10
    call putc
    mov al, 0
    out 0xf4, al
.halt:
    hlt
    jmp .halt

putc:                                   ; AL to COM1
    push edx
    push eax
    mov dx, 0x3fd
.wait:
    in al, dx
    test al, 0x20
    jz .wait
    pop eax
    mov dx, 0x3f8
    out dx, al
    pop edx
    ret

puts:                                   ; ESI -> NUL-terminated string
    push eax
.next:
    mov al, [esi]
    test al, al
    jz .done
    call putc
    inc esi
    jmp .next
.done:
    pop eax
    ret

puthex:                                 ; EAX as 8 hex digits
    mov ecx, 8
.digit:
    rol eax, 4
    push eax
    and al, 0x0f
    add al, '0'
    cmp al, '9'
    jbe .out
    add al, 'a' - '0' - 10
.out:
    call putc
    pop eax
    loop .digit
    ret

putdec:                                 ; EAX as unsigned decimal
    mov ebx, 10
    xor ecx, ecx
.div:
    xor edx, edx
    div ebx
    push edx
    inc ecx
    test eax, eax
    jnz .div
.emit:
    pop eax
    add al, '0'
    call putc
    loop .emit
    ret

s_crc:    db "crc32=", 0
s_primes: db " primes=", 0

load_end:
section .bss
alignb 4
crc:       resd 1
primes:    resd 1
stack:     resb 4096
stack_top:
bss_end:
