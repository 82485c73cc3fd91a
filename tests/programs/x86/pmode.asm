; pmode.asm - lgdt/lidt/lldt/ltr and sgdt/sidt/sldt/str/smsw, LDT data segment with a
; base, lar lsl verr verw arpl, ring 3 via iret, int 0x80 gate (DPL 3) with the stack
; switch through TSS ss0:esp0, a call gate (DPL 3 -> ring 0 code), #GP at CPL 3 for
; cli/in/out with IOPL=0 (I/O bitmap allows only COM1 and f0-f7), IOPL=3 allows cli,
; int to a DPL 0 gate from ring 3 -> #GP(vector*8+2).
%include "common.inc"
%include "ring3.inc"

%macro XT 2                 ; one faulting instruction
    PRINT %1, ": "
    EXPECT %%r
%%i: %2
%%r: mov ebx, %%i
    call report_exc
    call print_nl
%endmacro

main:
    call ring3_setup
    ; descriptors: 40 LDT (in GDT), 48 call gate DPL3 -> 08:gate_target
    mov eax, 0x40
    mov ebx, ldt
    mov ecx, 8*4 - 1
    mov dx, 0x0082
    call set_desc
    mov dword [ldt + 8], 0x0000ffff          ; LDT 0x0c: data base 0x10000, limit ffff
    mov dword [ldt + 12], 0x00409201
    mov dword [ldt + 16], 0x0000ffff         ; LDT 0x14: data DPL3 base 0 limit ffff (16-bit)
    mov dword [ldt + 20], 0x0000f200
    mov eax, gate_target
    mov [gdt + 0x48], ax
    mov word [gdt + 0x48 + 2], SEL_CODE32
    mov word [gdt + 0x48 + 4], 0xEC00        ; 32-bit call gate, DPL 3, 0 params
    shr eax, 16
    mov [gdt + 0x48 + 6], ax
    mov ax, 0x40
    lldt ax
    ; store instructions
    sgdt [sbuf]
    PRINT "sgdt limit="
    PHEX16 [sbuf]
    PRINT " base ok="
    mov eax, [sbuf+2]
    cmp eax, gdt
    sete al
    PHEX8 eax
    sidt [sbuf]
    PRINT " sidt limit="
    PHEX16 [sbuf]
    sldt ax
    PRINT " sldt="
    PHEX16 eax
    str ax
    PRINT " str="
    PHEX16 eax
    smsw ax
    PRINT " smsw&f="
    and eax, 0xf
    PHEX8 eax
    call print_nl
    ; LDT data segment with base
    mov dword [0x10010], 0x5a5a1234
    mov ax, 0x0c
    mov fs, ax
    PRINT "ldt fs:[10]="
    PHEX32 [fs:0x10]
    call print_nl
    ; lar / lsl / verr / verw / arpl
    mov esi, sels
.sl: movzx ecx, word [esi]
    cmp cx, 0xffff
    je .sd
    PRINT "sel "
    PHEX16 ecx
    mov eax, 0xeeeeeeee
    lar eax, ecx
    setz bl
    PRINT " lar="
    PHEX8 ebx
    call print_sp
    and eax, 0x00f0ff00
    PHEX32 eax
    mov eax, 0xeeeeeeee
    lsl eax, ecx
    setz bl
    PRINT " lsl="
    PHEX8 ebx
    call print_sp
    PHEX32 eax
    verr cx
    setz bl
    PRINT " verr="
    PHEX8 ebx
    verw cx
    setz bl
    PRINT " verw="
    PHEX8 ebx
    call print_nl
    add esi, 2
    jmp .sl
.sd:
    mov ax, 0x0028
    mov bx, 0x0033
    arpl ax, bx
    setz cl
    PRINT "arpl 28,33 -> "
    PHEX16 eax
    PHEX8 ecx
    mov ax, 0x0033
    mov bx, 0x0030
    arpl ax, bx
    setz cl
    PRINT " arpl 33,30 -> "
    PHEX16 eax
    PHEX8 ecx
    call print_nl
    ; ring 3
    mov dword [r3_iopl], 0
    mov ebx, user0
    call ring3_call
    PRINT "back in ring 0, eax="
    PHEX32 eax
    call print_nl
    mov dword [r3_iopl], 3
    mov ebx, user3
    call ring3_call
    PRINTLN "back in ring 0"
    ret

gate_target:                    ; reached through the call gate from ring 3
    mov ax, cs
    mov [gate_cs], eax
    mov eax, [esp+4]            ; caller CS
    mov [gate_ccs], eax
    mov [gate_esp], esp
    retf

user0:
    mov ax, cs
    PRINT "ring3 cs="
    PHEX16 eax
    mov ax, ss
    PRINT " ss="
    PHEX16 eax
    call print_nl
    XT "cli iopl0", cli
    XT "sti iopl0", sti
    XT "in 70 (bitmap denies)", {in al, 0x70}
    XT "out 80 (bitmap denies)", {out 0x80, al}
    XT "hlt", hlt
    XT "mov cr0", {mov eax, cr0}
    XT "lgdt", {lgdt [sbuf]}
    XT "int 0x21 (DPL0 gate)", {int 0x21}
    mov ax, SEL_DATA32
    EXPECT .r1
.i1: mov ds, ax
.r1: mov ebx, .i1
    PRINT "mov ds,10 at cpl3: "
    call report_exc
    call print_nl
    XT "insb (denied)", {insb}
    PRINT "out/in 3ff (scratch) allowed by bitmap: "
    mov dx, 0x3ff
    mov al, 0x5a
    out dx, al
    in al, dx
    PHEX8 eax
    call print_nl
    call SEL_CALLGATE:0
    PRINT "call gate: cs="
    PHEX16 [gate_cs]
    PRINT " caller cs="
    PHEX16 [gate_ccs]
    PRINT " ring0 esp=R0STACK-"
    mov eax, R0STACK
    sub eax, [gate_esp]
    PHEX8 eax
    call print_nl
    mov eax, 0x600d600d
    int 0x80

user3:
    PRINT "iopl3: "
    cli
    in al, 0x70
    pushfd
    pop eax
    shr eax, 12
    and eax, 3
    PRINT "cli/in ok, iopl="
    PHEX8 eax
    call print_nl
    int 0x80

SEL_CALLGATE equ 0x48 | 3

section .data
align 4
sbuf: dd 0, 0
gate_cs: dd 0
gate_ccs: dd 0
gate_esp: dd 0
sels: dw 0x0000, 0x0008, 0x0010, 0x0018, 0x002b, 0x0033, SEL_TSS, 0x0040, 0x004b, 0x000c, 0x0017, 0x0100, 0xffff
align 8
ldt: times 4 dq 0
END_IMAGE
