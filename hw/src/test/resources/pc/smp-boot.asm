; A 64 KiB "BIOS" for SmpBootTest: the boot CPU starts the other CPUs with INIT and a startup IPI
; (vector 0xF0, so they start at F000:0000, the top of this image), each AP marks its initial
; APIC ID (CPUID leaf 1 EBX[31:24]) and counts itself in with LOCK INC; the BSP waits for all of
; them (CMOS 0x5F holds the CPU count - 1) and reports through isa-debug-exit (port 0x501):
; count + 16 * (mark[1] + 2 * mark[2]).
bits 16
org 0
ap_entry:                       ; F000:0000, physical 0xF0000
    xor ax, ax
    mov ds, ax
    mov eax, 1
    cpuid
    shr ebx, 24
    mov byte [bx + 0x610], 1
    lock inc byte [0x600]
    cli
.halt:
    hlt
    jmp .halt

main:
    cli
    lgdt [cs:gdtr]
    mov eax, cr0
    or al, 1
    mov cr0, eax
    jmp dword 0x08:(0xF0000 + pm32)

align 8
gdt:
    dq 0
    dq 0x00CF9A000000FFFF       ; flat 32-bit code
    dq 0x00CF92000000FFFF       ; flat data
gdtr:
    dw 23
    dd 0xF0000 + gdt

bits 32
pm32:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov esp, 0x7000
    mov dword [0xFEE000F0], 0x1FF       ; software-enable the APIC, spurious vector 0xFF
    mov dword [0xFEE00300], 0x000C4500  ; INIT, assert, all excluding self
    mov dword [0xFEE00300], 0x000C46F0  ; startup, vector 0xF0, all excluding self
    mov al, 0x5f
    out 0x70, al
    in al, 0x71
    mov cl, al
.wait:
    pause
    cmp byte [0x600], cl
    jne .wait
    movzx eax, byte [0x611]
    movzx edx, byte [0x612]
    add edx, edx
    add eax, edx
    shl eax, 4
    movzx edx, byte [0x600]
    add eax, edx
    mov dx, 0x501
    out dx, al
.halt:
    hlt
    jmp .halt

times 0xFFF0 - ($ - $$) db 0
bits 16
    jmp 0xF000:main             ; the reset vector
times 0x10000 - ($ - $$) db 0
