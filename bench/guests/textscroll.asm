; textscroll.asm - display benchmark guest (multiboot v1, a.out kludge, loaded at 1 MiB).
;
; Scrolls the 80x25 VGA text screen at 0xB8000 up by one line and writes a new, different bottom
; line, then spins DELAY times without touching devices (a tight loop of VGA accesses would keep
; the emulator's device lock busy and starve its display thread), over and over: a full-screen
; text scroll, faster than any VNC frame rate on both emulators, for the VNC benchmark.
; With -DIDLE it fills the screen once and halts with interrupts off: an idle guest whose screen
; never changes, for the display path's idle CPU cost.
bits 32
org 0x100000

MB_FLAGS equ 0x00010000
%ifndef DELAY
%define DELAY 300000
%endif
VGA      equ 0xb8000

mb_header:
    dd 0x1BADB002
    dd MB_FLAGS
    dd -(0x1BADB002 + MB_FLAGS)
    dd mb_header
    dd mb_header
    dd load_end
    dd load_end
    dd start

start:
    cli
    mov esp, 0x90000                    ; multiboot leaves ESP undefined
    xor ebx, ebx                        ; line counter
%ifdef IDLE
    mov ebp, 25
.fill:
    call scroll
    dec ebp
    jnz .fill
.idle:
    hlt
    jmp .idle
%else
.loop:
    call scroll
    mov ecx, DELAY                      ; give the emulator's display thread a turn at the
.pause:                                 ; device lock (QEMU's BQL, jqemu's machine lock)
    dec ecx
    jnz .pause
    jmp .loop
%endif

; Moves rows 1-24 to rows 0-23 and writes line EBX (then EBX+1) in row 24: a hex line number
; followed by 72 characters that shift with the number, in colour attribute 0x07.
scroll:
    cld
    mov esi, VGA + 160
    mov edi, VGA
    mov ecx, 24 * 160 / 4
    rep movsd
    mov edi, VGA + 24 * 160
    mov edx, ebx
    mov ecx, 8
.hex:
    rol edx, 4
    mov eax, edx
    and eax, 15
    mov al, [hexdigits + eax]
    mov ah, 0x07
    stosw
    loop .hex
    mov ecx, 72
    mov eax, ebx
.text:
    inc eax
    mov edx, eax
    and edx, 63
    mov dl, [alphabet + edx]
    mov dh, 0x07
    mov [edi], dx
    add edi, 2
    loop .text
    inc ebx
    ret

hexdigits: db "0123456789abcdef"
alphabet:  db "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 ."
load_end:
