; exceptions.asm - #DE #DB (TF single step, icebp, int 1, data breakpoint DR0) #BP (int3,
; int 3) #OF (into) #BR #UD (ud2, lock on a non-lockable insn) #NM (CR0.TS + fnop, CR0.EM)
; #DF (#GP while the #GP gate is not present) #TS (iret NT=1 to a non-TSS back link)
; #NP (fs <- not-present) #SS (ss <- not-present) #GP (several) #PF (CR2).
; Line: name: #vector err=errorcode eip=+offset-from-the-instruction
%include "common.inc"

%macro XT 2-5               ; XT "name", {setup}.., {faulting insn}: eip relative to the last
    PRINT %1, ": "
    EXPECT %%r
%if %0 = 2
%%i: %2
%elif %0 = 3
    %2
%%i: %3
%elif %0 = 4
    %2
    %3
%%i: %4
%else
    %2
    %3
    %4
%%i: %5
%endif
%%r: mov ebx, %%i
    call report_exc
    call print_nl
%endmacro

main:
    ; extra descriptors: 40 data not present, 48 code execute-only, 50 data read-only,
    ; 58 TSS (32-bit available), 60 data present but with DPL 3 (for ss checks)
    mov eax, 0x40
    xor ebx, ebx
    mov ecx, 0xfffff
    mov dx, 0xc012              ; P=0 data rw
    call set_desc
    mov eax, 0x48
    mov dx, 0xc098              ; code execute-only
    call set_desc
    mov eax, 0x50
    mov dx, 0xc090              ; data read-only
    call set_desc
    mov eax, 0x58
    mov ebx, tss
    mov ecx, 103
    mov dx, 0x0089              ; 32-bit TSS available
    call set_desc
    mov ax, 0x58
    ltr ax

    XT "div 0", div byte [zero]
    XT "into OF=1", {mov al, 0x7f}, {add al, 1}, {into}
    XT "int3", int3
    XT "int 3", int 3
    XT "int 1", int 1
    XT "ud2", ud2
    XT "lock nop", {db 0xf0, 0x90}
    XT "lock inc reg", {db 0xf0, 0x40}
    XT "bound", {mov eax, 5}, {bound eax, [bounds]}
    XT "fs<-not present", {mov ax, 0x40}, {mov fs, ax}
    XT "ss<-not present", {mov ax, 0x40}, {mov ss, ax}
    XT "ss<-read-only", {mov ax, 0x50}, {mov ss, ax}
    XT "ds<-exec-only code", {mov ax, 0x48}, {mov ds, ax}
    XT "ds<-beyond gdt", {mov ax, 0x1f8 + 8}, {mov ds, ax}
    XT "write read-only", {mov ax, 0x50}, {mov fs, ax}, {mov dword [fs:zero], 1}
    XT "write cs", {mov dword [cs:zero], 1}
    XT "null gs", {xor eax, eax}, {mov gs, ax}, {mov eax, [gs:0]}
    XT "mov eax,cr1", {mov eax, cr1}
    XT "jmp far null", jmp 0:0
    XT "int beyond idt", {lidt [short_idt]}, {int 0x40}
    lidt [idt_ptr]
    ; restore segments
    mov ax, SEL_DATA32
    mov fs, ax
    mov gs, ax
    ; #NM
    mov eax, cr0
    or eax, 8                   ; TS
    mov cr0, eax
    XT "fnop TS=1", fnop
    clts
    mov eax, cr0
    or eax, 4                   ; EM
    mov cr0, eax
    XT "fnop EM=1", fnop
    and eax, ~4
    mov cr0, eax
    ; #DF: gate 13 not present, then #GP
    and byte [idt + 13*8 + 5], 0x7f
    XT "#GP with gate 13 not present", {mov ax, 0x48}, {mov ds, ax}
    or byte [idt + 13*8 + 5], 0x80
    mov ax, SEL_DATA32
    mov ds, ax
    ; #TS: iret with NT=1 and back link -> a data segment
    mov word [tss], 0x50
    XT "iret NT=1 bad link", {pushfd}, {or dword [esp], 0x4000}, {popfd}, {iretd}
    pushfd
    and dword [esp], ~0x4000
    popfd
    ; #PF
    call pf_test
    ; single step
    call tf_test
    ; data breakpoint
    call dr_test
    ret

pf_test:
    ; identity map 0..4M with 4K pages, page 0x3ff000 not present
    mov edi, PT
    mov eax, 0x003
    mov ecx, 1024
.f: stosd
    add eax, 0x1000
    loop .f
    and dword [PT + 0x3ff*4], ~1
    mov dword [PD], PT + 3
    mov eax, PD
    mov cr3, eax
    mov eax, cr0
    or eax, 0x80000000
    mov cr0, eax
    XT "read not-present page", {mov eax, [0x3ff123]}
    PRINT "  cr2="
    PHEX32 [exc_cr2]
    call print_nl
    XT "write not-present page", {mov byte [0x3ffffe], 1}
    PRINT "  cr2="
    PHEX32 [exc_cr2]
    call print_nl
    mov eax, cr0
    and eax, 0x7fffffff
    mov cr0, eax
    ret

tf_test:
    mov dword [exc_hook], db_hook
    mov dword [nsteps], 0
    pushfd
    or dword [esp], F_TF
    popfd                       ; trap after the instruction following popfd
.s0: mov eax, 1
.s1: add eax, 2
.s2: jmp .s3
    nop
.s3: pushfd
.s4: and dword [esp], ~F_TF
.s5: popfd
.s6: nop
    mov dword [exc_hook], 0
    PRINT "single step eips:"
    xor ecx, ecx
.p: cmp ecx, [nsteps]
    jae .d
    call print_sp
    mov eax, [steps + ecx*4]
    sub eax, .s0
    call print_hex8
    inc ecx
    jmp .p
.d: PRINT " dr6&f="
    PHEX8 [last_dr6]
    call print_nl
    ret
db_hook:
    mov eax, [nsteps]
    mov edx, [ebp+FR_EIP]
    mov [steps + eax*4], edx
    inc dword [nsteps]
    mov eax, dr6
    and eax, 0x400f
    shr eax, 10                 ; BS -> bit 4
    mov [last_dr6], eax
    mov eax, dr6
    and eax, 0xf
    or [last_dr6], eax
    xor eax, eax
    mov dr6, eax
    ret

dr_test:
    mov eax, watched
    mov dr0, eax
    mov eax, (1 << 0) | (01b << 16) | (11b << 18)     ; L0, write, 4 bytes
    mov dr7, eax
    PRINT "write watchpoint: "
    EXPECT 1
    mov dword [watched], 5
.after:
    mov ebx, .after
    call report_exc
    mov eax, dr6
    and eax, 0xf
    PRINT " dr6&f="
    PHEX8 eax
    xor eax, eax
    mov dr7, eax
    mov dr6, eax
    call print_nl
    ret

PD equ 0x300000
PT equ 0x301000

align 4
zero:   dd 0
bounds: dd 10, 20
watched: dd 0
nsteps: dd 0
last_dr6: dd 0
steps:  times 16 dd 0
    dw 0
short_idt:
    dw 0x40*8 - 1
    dd idt
align 4
tss: times 104 db 0
END_IMAGE
