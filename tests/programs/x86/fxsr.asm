; fxsr.asm - FXSAVE/FXRSTOR (512-byte image: FCW FSW abridged tag FOP MXCSR MXCSR_MASK, ST0-7,
; XMM0-7 loaded through FXRSTOR and saved back), CR4.OSFXSR gating of MXCSR/XMM and of
; LDMXCSR/STMXCSR (#UD without it), #GP for a misaligned area, #NM with CR0.TS, the fences.
; FOP, FIP/FDP and the slot padding are not printed (QEMU leaves FOP and the padding alone and
; stores zeros for FIP/FDP). CLFLUSH is not used: neither CPU model advertises CLFSH.
%include "common.inc"

%define A1 scratch              ; 512-byte areas, 16-byte aligned
%define A2 scratch+1024

%macro DUMPHDR 1                ; print the header words of the area at %1
    PRINT "fcw="
    PHEX16 [%1]
    PRINT " fsw="
    PHEX16 [%1+2]
    PRINT " ftw="
    PHEX8 [%1+4]
    PRINT " mxcsr="
    PHEX32 [%1+24]
    PRINT " mask="
    PHEX32 [%1+28]
    call print_nl
%endmacro

main:
    mov eax, cr0
    and eax, ~0xe
    or eax, 0x20
    mov cr0, eax
    ; fill both areas with a pattern so untouched bytes show
    mov edi, A1
    mov ecx, 512
    mov eax, 0xa5a5a5a5
    rep stosd
    fninit
    fld qword [d_8]
    fld1
    fldz
    fldpi
    fxsave [A1]
    PRINT "osfxsr=0 "
    DUMPHDR A1
    PRINT "st"
    mov esi, A1+32
    call dump_regs
    PRINT "xmm0 "
    PHEX32 [A1+160+12]
    PHEX32 [A1+160]
    call print_nl
    ; OSFXSR=0: ldmxcsr is #UD
    mov ebx, .ud
    EXPECT .udx
.ud:
    ldmxcsr [mx]
.udx:
    PRINT "ldmxcsr osfxsr=0 "
    call report_exc
    call print_nl
    ; OSFXSR=1
    mov eax, cr4
    or eax, 0x600
    mov cr4, eax
    ldmxcsr [mx]
    stmxcsr [A2]
    PRINT "stmxcsr "
    PHEX32 [A2]
    call print_nl
    ; build an area: x87 state of A1, xmm from a pattern, then fxrstor and fxsave again
    mov esi, A1
    mov edi, A2
    mov ecx, 128
    rep movsd
    mov dword [A2+24], 0x1f00
    mov edi, A2+160
    mov eax, 0x03020100
    mov ecx, 32
.fill:
    mov [edi], eax
    add eax, 0x04040404
    add edi, 4
    loop .fill
    mov byte [A2+4], 0xf7       ; abridged tag: physical register 3 marked empty
    fninit
    fxrstor [A2]
    mov edi, A1
    mov ecx, 128
    mov eax, 0x5a5a5a5a
    rep stosd
    fxsave [A1]
    PRINT "osfxsr=1 "
    DUMPHDR A1
    PRINT "st"
    mov esi, A1+32
    call dump_regs
    PRINT "xmm"
    mov esi, A1+160
    mov ecx, 8
.x: PRINT " "
    PHEX32 [esi+12]
    PHEX32 [esi+8]
    PHEX32 [esi+4]
    PHEX32 [esi]
    add esi, 16
    loop .x
    call print_nl
    PRINT "tail "
    PHEX32 [A1+288]
    PHEX32 [A1+508]
    call print_nl
    fnstenv [A2]
    PRINT "after fxrstor tw="
    PHEX16 [A2+8]
    fnstsw ax
    PRINT " sw="
    PHEX16 eax
    fstp tword [A2]
    PRINT " st0="
    PHEX16 [A2+8]
    PHEX32 [A2+4]
    PHEX32 [A2]
    call print_nl
    ; misaligned -> #GP(0)
    mov ebx, .gp
    EXPECT .gpx
.gp:
    fxsave [A1+8]
.gpx:
    PRINT "fxsave misaligned "
    call report_exc
    call print_nl
    ; TS -> #NM
    mov eax, cr0
    or eax, 8
    mov cr0, eax
    mov ebx, .nm
    EXPECT .nmx
.nm:
    fxsave [A1]
.nmx:
    PRINT "fxsave TS "
    call report_exc
    mov ebx, .nm2
    EXPECT .nm2x
.nm2:
    stmxcsr [A1]
.nm2x:
    PRINT " stmxcsr TS "
    call report_exc
    clts
    call print_nl
    lfence
    mfence
    sfence
    PRINTLN "fences ok"
    ret

dump_regs:                      ; the 10 value bytes of the 8 16-byte slots at ESI
    push ecx
    push esi
    mov ecx, 8
.r: PRINT " "
    PHEX16 [esi+8]
    PHEX32 [esi+4]
    PHEX32 [esi]
    add esi, 16
    loop .r
    call print_nl
    pop esi
    pop ecx
    ret

section .data
align 8
d_8:    dq 8.0
mx:     dd 0x00001f80 | 0x6000 | 0x3f

section .text
END_IMAGE
