; spin.asm - a guest that runs until the host stops it, for the QMP tests.
; Prints "spin: up" on COM1 at every boot (so a system_reset shows as a second line), leaves a
; marker string at physical 0x200000 for pmemsave, then counts in a busy loop forever.
%include "common.inc"
main:
    mov esi, marker
    mov edi, 0x200000
    mov ecx, marker_len
    rep movsb
    PRINTLN "spin: up"
.loop:
    inc dword [0x200100]
    jmp .loop

marker: db "jqemu-qmp-marker"
marker_len equ $ - marker
END_IMAGE
