; elf.asm - the ELF32 path of the multiboot loader: same behaviour as hello, but linked
; with ld (elf.ld) at 1 MiB, multiboot header without the a.out kludge (flags bit 16 clear),
; so the loader must use the ELF program headers. Has a .bss that must be zeroed.
bits 32
section .multiboot
align 4
    dd 0x1BADB002
    dd 0x00000002
    dd -(0x1BADB002 + 0x00000002)

section .text
global _start
_start:
    mov esp, stack_top
    cmp eax, 0x2BADB002
    jne fail
    mov esi, msg
    call puts
    ; bss must be zero
    mov edi, bss_area
    mov ecx, 1024
    xor eax, eax
    repe scasd
    jne fail
    mov esi, ok
    call puts
    mov al, 0
    out 0xf4, al
    hlt
fail:
    mov esi, bad
    call puts
    mov al, 1
    out 0xf4, al
    hlt
puts:
    lodsb
    test al, al
    jz .d
    mov ah, al
    mov dx, 0x3fd
.w: in al, dx
    test al, 0x20
    jz .w
    mov dx, 0x3f8
    mov al, ah
    out dx, al
    jmp puts
.d: ret

section .data
msg: db "Hello from an ELF32 multiboot kernel", 10, 0
ok:  db "PASS", 10, 0
bad: db "FAIL elf", 10, 0

section .bss
alignb 16
bss_area: resd 1024
stack: resb 4096
stack_top:
