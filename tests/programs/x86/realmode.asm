; realmode.asm - leave protected mode through a 16-bit segment, run real-mode code
; (segment arithmetic, all 16-bit addressing forms with DS vs SS defaults, segment
; override, int n through the IVT, iret, pushf/popf, 32-bit operands/addressing in real
; mode), then return to protected mode. The real-mode blob is copied to 0x8000.
%include "common.inc"

RMBASE equ 0x8000
%define R(x) ((x) - rm_start)

main:
    PRINTLN "pm: going to real mode"
    mov esi, rm_start
    mov edi, RMBASE
    mov ecx, rm_end - rm_start
    rep movsb
    sgdt [RMBASE + R(rm_gdtr)]
    mov eax, 0x40               ; 16-bit code, base 0x8000
    mov ebx, RMBASE
    mov ecx, 0xffff
    mov dx, 0x009a
    call set_desc
    mov eax, 0x48               ; 16-bit data, base 0x8000
    mov dx, 0x0092
    call set_desc
    mov [saved_esp], esp
    jmp 0x40:R(pm16)
back32:
    mov ax, SEL_DATA32
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    mov ss, ax
    mov esp, [saved_esp]
    lidt [idt_ptr]
    PRINT "pm: back in protected mode, ax from rm="
    PHEX32 [RMBASE + R(rm_result)]
    call print_nl
    ret

align 4
saved_esp: dd 0

align 16
rm_start:
bits 16
pm16:
    mov ax, 0x48
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov eax, cr0
    and al, 0xfe
    mov cr0, eax
    jmp (RMBASE >> 4):R(rm)
rm:
    mov ax, RMBASE >> 4
    mov ds, ax
    mov es, ax
    mov ax, 0x700
    mov ss, ax
    mov sp, 0xff0
    lidt [R(rm_idtr)]
    mov si, R(s_hello)
    call rprint
    ; IVT entry 0x60
    xor ax, ax
    mov es, ax
    mov word [es:0x60*4], R(int60)
    mov word [es:0x60*4+2], RMBASE >> 4
    ; segment arithmetic: 1234:0010 == 1235:0000 == linear 12350
    mov ax, 0x1234
    mov es, ax
    mov word [es:0x10], 0xbeef
    mov ax, 0x1235
    mov fs, ax
    mov ax, [fs:0]
    mov si, R(s_seg)
    call rprint
    call rhex16
    call rnl
    ; fill: DS segment 0x900 (linear 9000) bytes = i, SS segment 0x700 (7000) = i ^ aa
    xor bx, bx
.fill:
    mov ax, 0x900
    mov es, ax
    mov [es:bx], bl
    mov al, bl
    xor al, 0xaa
    mov [ss:bx], al
    inc bl
    jnz .fill
    mov si, R(s_modes)
    call rprint
    mov ax, 0x900
    mov es, ax
    push ds
    mov ds, ax
    mov bx, 0x10
    mov si, 0x04
    mov di, 0x08
    mov bp, 0x20
    mov ax, [bx+si]
    call rhex16s
    mov ax, [bx+di]
    call rhex16s
    mov ax, [bp+si]
    call rhex16s
    mov ax, [bp+di]
    call rhex16s
    mov ax, [si]
    call rhex16s
    mov ax, [di]
    call rhex16s
    mov ax, [bp+0]
    call rhex16s
    mov ax, [bx]
    call rhex16s
    mov ax, [bx+si+0x31]
    call rhex16s
    mov ax, [bp+di-2]
    call rhex16s
    mov ax, [bp+si+0x1030]
    call rhex16s
    mov ax, [0x42]
    call rhex16s
    mov ax, [ds:bp+0x40]
    call rhex16s
    mov ax, [ss:bx+0x40]
    call rhex16s
    mov ax, [bx+si-0x10]         ; disp16 fff0: wraps to offset 4
    call rhex16s
    mov eax, 0x60               ; 32-bit addressing in real mode
    mov ax, [eax+ebx*2]
    call rhex16s
    pop ds
    call rnl
    ; int n / iret
    mov ax, 0x1111
    pushf
    pop cx
    sti
    int 0x60
    cli
    mov [R(rm_result)], ax
    mov si, R(s_int)
    call rprint
    call rhex16
    mov ax, [R(int_flags)]
    and ax, 0x0200
    call rhex16s
    call rnl
    ; pushf / popf, 32-bit operands
    push word 0x08d5
    popf
    pushf
    pop ax
    mov si, R(s_popf)
    call rprint
    call rhex16
    push word 0x0002
    popf
    mov eax, 0x12345678
    add eax, 0x11111111
    ror eax, 8
    mov [R(rm_tmp)], eax
    mov si, R(s_op32)
    call rprint
    mov ax, [R(rm_tmp)+2]
    call rhex16
    mov ax, [R(rm_tmp)]
    call rhex16
    call rnl
    ; back to protected mode
    cli
    lgdt [R(rm_gdtr)]
    mov eax, cr0
    or al, 1
    mov cr0, eax
    jmp dword SEL_CODE32:back32

int60:
    pushf
    pop word [cs:R(int_flags)]
    mov ax, 0x6060
    iret

rprint:                         ; DS:SI (AX preserved)
    push ax
.l: lodsb
    test al, al
    jz .d
    call rchar
    jmp .l
.d: pop ax
    ret
rchar:
    push dx
    push ax
    mov dx, 0x3fd
.w: in al, dx
    test al, 0x20
    jz .w
    pop ax
    mov dx, 0x3f8
    out dx, al
    pop dx
    ret
rnl:
    mov al, 10
    jmp rchar
rhex16s:
    push ax
    mov al, ' '
    call rchar
    pop ax
rhex16:
    push cx
    push ax
    mov cx, 4
.l: rol ax, 4
    push ax
    and al, 15
    add al, '0'
    cmp al, '9'
    jbe .o
    add al, 7
.o: call rchar
    pop ax
    loop .l
    pop ax
    pop cx
    ret

s_hello: db "rm: in real mode", 10, 0
s_seg:   db "rm: 1234:0010 via 1235:0000 = ", 0
s_modes: db "rm: modes", 0
s_int:   db "rm: int 60 ax=", 0
s_popf:  db "rm: popf 08d5 -> ", 0
s_op32:  db 10, "rm: 32-bit ops ", 0
align 4
rm_result: dd 0
rm_tmp:    dd 0
int_flags: dw 0
rm_idtr: dw 0x3ff
         dd 0
rm_gdtr: dw 0
         dd 0
rm_end:
bits 32
END_IMAGE
