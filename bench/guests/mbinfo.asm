; mbinfo.asm - dev-time cross-check guest: prints what a multiboot v1 loader handed over
; (EAX, EBX, the info structure, the memory map, command lines, modules) on COM1 as text,
; then leaves through isa-debug-exit. Run the same image under QEMU and jqemu and diff.
bits 32
org 0x100000

%ifndef MB_FLAGS
%define MB_FLAGS 0x00010002              ; want memory info; a.out kludge addresses below
%endif

mb_header:
    dd 0x1BADB002
    dd MB_FLAGS
    dd -(0x1BADB002 + MB_FLAGS)
    dd mb_header                        ; header_addr
    dd mb_header                        ; load_addr
    dd load_end                         ; load_end_addr
    dd bss_end                          ; bss_end_addr
    dd start                            ; entry_addr

start:
    mov esp, stack_top
    mov [saved_eax], eax
    mov [saved_ebx], ebx
    mov esi, s_eax
    call puts
    mov eax, [saved_eax]
    call puthex
    mov esi, s_ebx
    call puts
    mov eax, [saved_ebx]
    call puthex
    call newline

    ; the 88-byte info structure as 22 words
    mov ebx, [saved_ebx]
    xor ecx, ecx
.info:
    mov esi, s_info
    call puts
    mov eax, ecx
    shl eax, 2
    call puthex8
    mov al, ' '
    call putc
    mov eax, [ebx + ecx*4]
    call puthex
    call newline
    inc ecx
    cmp ecx, 22
    jb .info

    ; memory map: size, base, length, type per entry
    mov esi, [ebx + 48]                 ; mmap_addr
    mov edi, esi
    add edi, [ebx + 44]                 ; + mmap_length
.mmap:
    cmp esi, edi
    jae .mmap_done
    push esi
    mov esi, s_mmap
    call puts
    pop esi
    mov eax, [esi]
    call puthex
    mov al, ' '
    call putc
    mov eax, [esi + 8]
    call puthex
    mov eax, [esi + 4]
    call puthex
    mov al, ' '
    call putc
    mov eax, [esi + 16]
    call puthex
    mov eax, [esi + 12]
    call puthex
    mov al, ' '
    call putc
    mov eax, [esi + 20]
    call puthex
    call newline
    mov eax, [esi]
    lea esi, [esi + eax + 4]
    jmp .mmap
.mmap_done:

    mov esi, s_cmdline
    call puts
    mov esi, [ebx + 16]
    call puts
    mov al, '|'
    call putc
    call newline
    mov esi, s_loader
    call puts
    mov esi, [ebx + 64]
    call puts
    mov al, '|'
    call putc
    call newline

    ; modules: start, end, cmdline, first bytes of the contents
    mov ecx, [ebx + 20]
    mov edx, [ebx + 24]
.mods:
    test ecx, ecx
    jz .mods_done
    mov esi, s_mod
    call puts
    mov eax, [edx]
    call puthex
    mov al, ' '
    call putc
    mov eax, [edx + 4]
    call puthex
    mov al, ' '
    call putc
    mov eax, [edx + 8]
    call puthex
    mov al, ' '
    call putc
    mov esi, [edx + 8]
    call puts
    mov al, '|'
    call putc
    mov eax, [edx]
    mov eax, [eax]
    call puthex
    call newline
    add edx, 16
    dec ecx
    jmp .mods
.mods_done:
    mov esi, s_end
    call puts
    mov al, 0
    out 0xf4, al
    hlt

; ---- COM1 output ------------------------------------------------------------------------
putc:                                   ; AL
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

puts:                                   ; ESI -> NUL-terminated
    push eax
    push esi
.next:
    mov al, [esi]
    test al, al
    jz .done
    call putc
    inc esi
    jmp .next
.done:
    pop esi
    pop eax
    ret

newline:
    push eax
    mov al, 10
    call putc
    pop eax
    ret

puthex:                                 ; EAX as 8 hex digits
    push ecx
    mov ecx, 8
    jmp hexloop
puthex8:                                ; AL as 2 hex digits
    push ecx
    shl eax, 24
    mov ecx, 2
hexloop:
    rol eax, 4
    push eax
    and al, 0x0f
    add al, '0'
    cmp al, '9'
    jbe .digit
    add al, 'a' - '0' - 10
.digit:
    call putc
    pop eax
    loop hexloop
    pop ecx
    ret

s_eax:     db "eax=", 0
s_ebx:     db " ebx=", 0
s_info:    db "info+", 0
s_mmap:    db "mmap ", 0
s_cmdline: db "cmdline=|", 0
s_loader:  db "loader=|", 0
s_mod:     db "mod ", 0
s_end:     db "end", 10, 0

load_end:
section .bss
alignb 4
saved_eax: resd 1
saved_ebx: resd 1
stack:     resb 4096
stack_top:
bss_end:
