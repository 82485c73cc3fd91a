; fpu.asm - x87 FPU: control/status/tag words, loads and stores of every format (printed as
; the stored bytes in hex), integer loads/stores and rounding control, the arithmetic forms,
; constants, comparisons (FCOM/FUCOM/FCOMI/FTST/FXAM), FCMOVcc, FPREM/FPREM1, FSCALE/FXTRACT,
; FBLD/FBSTP, FNSTENV/FLDENV/FNSAVE/FRSTOR, exceptions (masked flags, unmasked -> #MF at
; FWAIT with CR0.NE=1), #NM (TS, EM, WAIT with MP+TS) and a few transcendentals with exact
; results.
; Status words are printed without C1 (0x0200): the SDM makes it the round-up indicator, which
; QEMU does not model. Values are chosen so results are exact in double precision (see README).
%include "common.inc"

%define TB scratch              ; 10-byte buffer for m80 dumps
%define QB scratch+16           ; 8-byte buffer
%define ENV scratch+64          ; 108-byte FNSAVE area

; print "name " then ST0 as m80 (popped): "seee mmmmmmmmmmmmmmmm"
%macro P80 1
    PRINT %1, " "
    fstp tword [TB]
    call print80
%endmacro
; print "name " then ST0 as m64 (popped)
%macro P64 1
    PRINT %1, " "
    fstp qword [QB]
    call print64
%endmacro
; print "name sw=xxxx" (status word without C1)
%macro PSW 1
    PRINT %1, " sw="
    call printsw
%endmacro

main:
    mov eax, cr0
    or eax, 0x20                ; NE: native #MF reporting
    and eax, ~0xe               ; MP EM TS clear
    mov cr0, eax
    fninit
    fnstcw [QB]
    PRINT "fninit cw="
    PHEX16 [QB]
    fnstsw ax
    PRINT " sw="
    PHEX16 eax
    fnstenv [ENV]
    PRINT " tw="
    PHEX16 [ENV+8]
    call print_nl
    fxam
    PSW "fxam empty"
    call print_nl

    ; ---- loads and stores -------------------------------------------------------------
    fld dword [f_1p5]
    P80 "fld m32 1.5"
    fld qword [d_pi]
    P80 "fld m64 pi"
    fld qword [d_third]
    P80 "fld m64 1/3"
    fld tword [t_val]
    P80 "fld m80 roundtrip"
    fld tword [t_den]
    P80 "fld m80 denormal"
    fld dword [f_min]
    P80 "fld m32 -0.0"
    fld qword [d_inf]
    P80 "fld m64 +inf"
    fld tword [t_val]
    P64 "fst m64 of m80"
    fld tword [t_val]
    fstp dword [QB]
    PRINT "fst m32 of m80 "
    PHEX32 [QB]
    call print_nl
    fild word [w_neg]
    P80 "fild m16 -12345"
    fild dword [dw_max]
    P80 "fild m32 7fffffff"
    fild qword [q_min]
    P80 "fild m64 min"
    fild qword [q_big]
    P80 "fild m64 big"
    fild qword [q_big]
    fistp qword [QB]
    PRINT "fistp m64 roundtrip "
    call printq
    call print_nl
    fild qword [q_min]
    fistp qword [QB]
    PRINT "fistp m64 min "
    call printq
    call print_nl
    fninit
    fild dword [dw_max]
    fistp word [QB]
    PRINT "fistp m16 overflow "
    PHEX16 [QB]
    PSW ""
    call print_nl
    fninit
    fld qword [d_1e10]
    fistp dword [QB]
    PRINT "fistp m32 overflow "
    PHEX32 [QB]
    PSW ""
    call print_nl
    fninit
    fld qword [d_1e300]
    fstp dword [QB]
    PRINT "fst m32 overflow "
    PHEX32 [QB]
    PSW ""
    call print_nl
    fninit
    fld qword [d_third]
    fstp dword [QB]
    PRINT "fst m32 1/3 "
    PHEX32 [QB]
    PSW ""
    call print_nl
    fninit

    ; ---- rounding control: frndint and fist of +-2.5 and 1.75 ---------------------------
    xor ecx, ecx
.rc:
    mov eax, ecx
    shl eax, 10
    or eax, 0x37f
    mov [QB], ax
    fldcw [QB]
    PRINT "rc="
    PHEX8 ecx
    fld qword [d_2p5]
    frndint
    fistp dword [QB]
    PRINT " 2.5->"
    PHEX32 [QB]
    fld qword [d_m2p5]
    fistp dword [QB]
    PRINT " -2.5->"
    PHEX32 [QB]
    fld qword [d_1p75]
    fistp dword [QB]
    PRINT " 1.75->"
    PHEX32 [QB]
    fld qword [d_third]
    fld1
    fdivrp st1, st0         ; 3
    fld1
    fdivrp st1, st0         ; 1/3 rounded by RC
    P64 " 1/(1/3)^-1"
    fldpi
    P80 " pi"
    PSW " "
    call print_nl
    fninit
    inc ecx
    cmp ecx, 4
    jb .rc

    ; ---- constants ------------------------------------------------------------------
    fld1
    P80 "fld1"
    fldz
    P80 "fldz"
    fldl2t
    P80 "fldl2t"
    fldl2e
    P80 "fldl2e"
    fldlg2
    P80 "fldlg2"
    fldln2
    P80 "fldln2"

    ; ---- arithmetic forms: st0 = 8, st1 = 2 --------------------------------------------
%macro AR 2-3 nop               ; name, instructions (start with st1=2, st0=8), result in st0
    fninit
    fld qword [d_2]
    fld qword [d_8]
    %2
    %3
    P64 %1
%endmacro
    AR "fadd st0,st1", {fadd st0, st1}
    AR "fadd st1,st0", {fadd st1, st0}, fxch
    AR "faddp", {faddp st1, st0}
    AR "fsub st0,st1", {fsub st0, st1}
    AR "fsubr st0,st1", {fsubr st0, st1}
    AR "fsub st1,st0", {fsub st1, st0}, fxch
    AR "fsubr st1,st0", {fsubr st1, st0}, fxch
    AR "fsubp", {fsubp st1, st0}
    AR "fsubrp", {fsubrp st1, st0}
    AR "fmul st0,st1", {fmul st0, st1}
    AR "fmulp", {fmulp st1, st0}
    AR "fdiv st0,st1", {fdiv st0, st1}
    AR "fdivr st0,st1", {fdivr st0, st1}
    AR "fdiv st1,st0", {fdiv st1, st0}, fxch
    AR "fdivr st1,st0", {fdivr st1, st0}, fxch
    AR "fdivp", {fdivp st1, st0}
    AR "fdivrp", {fdivrp st1, st0}
    AR "fadd m32", fadd dword [f_1p5]
    AR "fsub m32", fsub dword [f_1p5]
    AR "fsubr m64", fsubr qword [d_pi]
    AR "fmul m64", fmul qword [d_pi]
    AR "fdiv m64", fdiv qword [d_third]
    AR "fdivr m32", fdivr dword [f_1p5]
    AR "fiadd m16", fiadd word [w_neg]
    AR "fisub m32", fisub dword [dw_max]
    AR "fisubr m16", fisubr word [w_neg]
    AR "fimul m32", fimul dword [dw_max]
    AR "fidiv m16", fidiv word [w_neg]
    AR "fidivr m32", fidivr dword [dw_max]
    AR "fsqrt", fsqrt
    AR "fsqrt 2", {fstp st0}, fsqrt
    AR "fchs", fchs
    AR "fabs", fchs, fabs
    AR "8/3", {fld qword [d_third]}, {fmulp st1, st0}
    fninit
    fld qword [d_third]
    fld qword [d_third]
    faddp st1, st0
    P64 "1/3+1/3"
    PSW ""
    call print_nl
    fninit
    fld tword [t_val]
    fldz
    faddp st1, st0
    P80 "m80+0 exact"
    fld1
    fld qword [d_1e300]
    fmul st0, st0
    fmul qword [d_1e300]
    fdiv qword [d_1e300]
    fdiv qword [d_1e300]
    P64 "1e300^3/1e600 (80-bit range)"
    fstp st0

    ; ---- 64-bit significands: inexact results in m80, each RC and PC -------------------
    xor ecx, ecx
.x80:
    mov eax, ecx
    and eax, 3
    shl eax, 10
    mov edx, ecx
    shr edx, 2
    mov edx, [pcs + edx*4]
    or eax, edx
    mov [QB], ax
    fninit
    fldcw [QB]
    PRINT "cw="
    PHEX16 [QB]
    call print_nl
    fld1
    fild dword [dw_3]
    fdivp st1, st0
    P80 " 1/3"
    fild qword [q_big]
    fild qword [q_big2]
    fmulp st1, st0
    P80 " big*big2"
    fild qword [q_big]
    fild qword [q_big2]
    fdivp st1, st0
    P80 " big/big2"
    fild dword [dw_3]
    fsqrt
    P80 " sqrt3"
    fld tword [t_val]
    fsqrt
    P80 " sqrt(2pi)"
    fld1
    fld tword [t_tiny]
    fsubp st1, st0
    P80 " 1-2^-70"
    fld tword [t_tiny]
    fld1
    faddp st1, st0
    P80 " 1+2^-70"
    fld tword [t_val]
    fild qword [q_big]
    fsubp st1, st0
    P80 " 2pi-big"
    fldpi
    fldl2e
    fmulp st1, st0
    P80 " pi*l2e"
    fnstsw ax
    PRINT " sw="
    and eax, 0x3f
    PHEX8 eax
    call print_nl
    inc ecx
    cmp ecx, 12
    jb .x80
    fninit

    ; ---- special values and masked exceptions ----------------------------------------
    fninit
    fldz
    fld1
    fdivrp st1, st0
    P80 "1/0"
    PSW ""
    call print_nl
    fninit
    fldz
    fldz
    fdivp st1, st0
    P80 "0/0"
    PSW ""
    call print_nl
    fninit
    fld qword [d_inf]
    fld qword [d_inf]
    fsubp st1, st0
    P80 "inf-inf"
    PSW ""
    call print_nl
    fninit
    fld qword [d_m1]
    fsqrt
    P80 "sqrt(-1)"
    PRINT " exceptions="
    call printexc
    call print_nl
    fninit
    fld qword [d_qnan]
    fld1
    faddp st1, st0
    P80 "qnan+1"
    PSW ""
    call print_nl
    fninit
    fld qword [d_1e300]
    fmul st0, st0
    fstp qword [QB]
    PRINT "1e600 to m64 "
    call printq
    PSW ""
    call print_nl
    fninit

    ; ---- comparisons --------------------------------------------------------------------
%macro CMP2 3+                  ; name, a (m64), b (m64) -> st0=a st1=b; then instructions
    fninit
    fld qword [%3]
    fld qword [%2]
%endmacro
%macro FC 3
    CMP2 x, %2, %3
    fcom st1
    PRINT %1, " fcom"
    call printcc
    fucom st1
    PRINT " fucom"
    call printcc
    fcomi st0, st1
    PRINT " fcomi"
    call printfl
    fucomi st0, st1
    PRINT " fucomi"
    call printfl
    fcomp qword [%3]
    PRINT " fcomp"
    call printcc
    call print_nl
%endmacro
    FC "1<2", d_1, d_2
    FC "2=2", d_2, d_2
    FC "8>2", d_8, d_2
    FC "-0=0", d_m0, d_0
    FC "nan?1", d_qnan, d_1
    fninit
    fld qword [d_1]
    fld qword [d_2]
    fcompp
    PRINT "fcompp"
    call printcc
    fld qword [d_1]
    fld qword [d_2]
    fucompp
    PRINT " fucompp"
    call printcc
    fld qword [d_1]
    fld qword [d_2]
    fcomip st0, st1
    PRINT " fcomip"
    call printfl
    fucomip st0, st0
    PRINT " fucomip"
    call printfl
    fnstsw ax
    PRINT " top="
    shr eax, 11
    and eax, 7
    PHEX8 eax
    call print_nl
    fninit
    ; ftst
    fld qword [d_m1]
    ftst
    PRINT "ftst -1"
    call printcc
    fldz
    ftst
    PRINT " 0"
    call printcc
    fld qword [d_qnan]
    ftst
    PRINT " nan"
    call printcc
    call print_nl
    ; fxam
    fninit
%macro XAM 2+
    %2
    fxam
    PRINT " ", %1
    call printc1
%endmacro
    PRINT "fxam"
    XAM "+norm", fld1
    XAM "-norm", fchs
    XAM "+0", fldz
    XAM "-0", fchs
    XAM "inf", fld qword [d_inf]
    XAM "-nan", fld qword [d_qnan]
    XAM "den", fld tword [t_den]
    call print_nl

    ; ---- fcmov: st1 = 1, st0 = 2, flags from cmp -------------------------------------
%macro FCM 1
    fninit
    fld qword [d_1]
    fld qword [d_2]
    popfd
    pushfd
    %1 st0, st1
    fistp dword [QB]
    mov eax, [QB]
    call print_hex8
%endmacro
    mov esi, flagsets
.fcm:
    mov eax, [esi]
    cmp eax, -1
    je .fcmdone
    PRINT "fcmov flags="
    PHEX16 eax
    PRINT " "
    push eax
    FCM fcmovb
    FCM fcmovnb
    FCM fcmove
    FCM fcmovne
    FCM fcmovbe
    FCM fcmovnbe
    FCM fcmovu
    FCM fcmovnu
    add esp, 4
    call print_nl
    add esi, 4
    jmp .fcm
.fcmdone:

    ; ---- stack manipulation -------------------------------------------------------------
    fninit
    fld1
    fldz
    fld qword [d_8]
    fxch st2
    P64 "fxch st2 -> st0"
    fincstp
    fnstsw ax
    PRINT " fincstp top="
    shr eax, 11
    and eax, 7
    PHEX8 eax
    fdecstp
    fdecstp
    fnstsw ax
    PRINT " fdecstp x2 top="
    shr eax, 11
    and eax, 7
    PHEX8 eax
    fincstp
    ffree st1
    fnstenv [ENV]
    PRINT " ffree st1 tw="
    PHEX16 [ENV+8]
    fld st0
    P64 " fld st0"
    call print_nl

    ; ---- fscale, fxtract, fprem, fprem1, frndint ----------------------------------------
    fninit
    fld qword [d_m2p5]
    fld qword [d_1p75]      ; st0 = 1.75, st1 = -2.5 -> scale by trunc(-2.5) = -2
    fxch
    fxch
    fld qword [d_3]
    fld qword [d_1p75]
    fscale
    P64 "fscale 1.75*2^3"
    fstp st0
    fld qword [d_m2p5]
    fld qword [d_3]
    fscale
    P64 "fscale 3*2^-2.5"
    fstp st0
    fld qword [d_m2p5]
    fxtract
    P64 "fxtract sig"
    P64 " exp"
    call print_nl
    fldz
    fxtract
    P80 "fxtract 0 sig"
    P80 " exp"
    PSW ""
    call print_nl
    fninit
%macro PREM 4-5 printccall       ; name, insn, a, b, status printer
    fninit
    fld qword [%4]
    fld qword [%3]
    %2
    PRINT %1
    call %5
    P64 ""
    fstp st0
%endmacro
    PREM "fprem 17/5", fprem, d_17, d_5
    PREM "fprem1 17/5", fprem1, d_17, d_5, printc2
    PREM "fprem -17/5", fprem, d_m17, d_5
    PREM "fprem1 -17/5", fprem1, d_m17, d_5, printc2
    PREM "fprem 1e300/3", fprem, d_1e300, d_3
    PREM "fprem1 7.5/2.5", fprem1, d_7p5, d_2p5, printc2
    PREM "fprem1 6.25/2.5", fprem1, d_6p25, d_2p5, printc2

    ; ---- BCD ----------------------------------------------------------------------------
    fninit
    fbld [bcd_in]
    fld st0
    P64 "fbld"
    fchs
    fbstp [TB]
    PRINT " fbstp "
    PHEX16 [TB+8]
    PHEX32 [TB+4]
    PHEX32 [TB]
    call print_nl

    ; ---- transcendentals with exact results ------------------------------------------
    fninit
    fldz
    fsin
    P64 "fsin 0"
    fldz
    fcos
    P64 " fcos 0"
    fldz
    fptan
    P64 " fptan 0 ->"
    P64 ""
    fldz
    fsincos
    P64 " fsincos 0 ->"
    P64 ""
    call print_nl
    fld1
    fld1
    fpatan
    P64 "fpatan 1,1"
    fld qword [d_m1]
    f2xm1
    P64 " f2xm1 -1"
    fld1
    fld qword [d_8]
    fyl2x
    P64 " fyl2x 8,1"
    fld qword [d_m1]
    fld qword [d_p5]
    fyl2x
    P64 " fyl2x .5,-1"
    fld1
    fldz
    fyl2xp1
    P64 " fyl2xp1 0,1"
    fnstsw ax
    and ax, 0x3800
    PRINT " sw="
    PHEX16 eax
    call print_nl

    ; ---- fnstenv / fldenv / fnsave / frstor -------------------------------------------
    fninit
    fld qword [d_8]
    fld1
    fldz
    mov word [QB], 0x0c7f       ; RC chop, PC extended, all masked
    fldcw [QB]
    fnstenv [ENV]
    PRINT "fnstenv32 cw="
    PHEX16 [ENV]
    PRINT " sw="
    PHEX16 [ENV+4]
    PRINT " tw="
    PHEX16 [ENV+8]
    o16 fnstenv [ENV]
    PRINT " fnstenv16 cw="
    PHEX16 [ENV]
    PRINT " sw="
    PHEX16 [ENV+2]
    PRINT " tw="
    PHEX16 [ENV+4]
    call print_nl
    mov word [ENV+4], 0xfff0    ; fldenv16: only st(7)..: physical 0,1 valid
    mov word [ENV], 0x037f
    o16 fldenv [ENV]
    fnstcw [QB]
    PRINT "fldenv16 cw="
    PHEX16 [QB]
    fnstenv [ENV]
    PRINT " tw="
    PHEX16 [ENV+8]
    call print_nl
    fninit
    fld qword [d_8]
    fld1
    fldz
    fld tword [t_val]
    fnsave [ENV]
    fnstcw [QB]
    PRINT "fnsave cw="
    PHEX16 [ENV]
    PRINT " sw="
    PHEX16 [ENV+4]
    PRINT " tw="
    PHEX16 [ENV+8]
    PRINT " after: cw="
    PHEX16 [QB]
    fnstsw ax
    PRINT " sw="
    PHEX16 eax
    fnstenv [ENV+200]
    PRINT " tw="
    PHEX16 [ENV+200+8]
    call print_nl
    PRINT "fnsave regs"
    mov edi, ENV+28
    mov ecx, 4
.sr:
    PRINT " "
    PHEX16 [edi+8]
    PHEX32 [edi+4]
    PHEX32 [edi]
    add edi, 10
    loop .sr
    call print_nl
    frstor [ENV]
    P80 "frstor st0"
    P80 " st1"
    P80 " st2"
    P80 " st3"
    fnstsw ax
    PRINT " top="
    shr eax, 11
    and eax, 7
    PHEX8 eax
    call print_nl
    fninit
    fld1
    o16 fnsave [ENV]
    fldz
    o16 frstor [ENV]
    P80 "fnsave16/frstor16 st0"
    PSW ""
    call print_nl

    ; ---- unmasked exception -> #MF at the next FWAIT ------------------------------------
    fninit
    mov word [QB], 0x037b       ; ZE unmasked
    fldcw [QB]
    fld1
    fldz
    mov ebx, .div
.div:
    fdivp st1, st0
    fnstsw ax
    and eax, ~0x3800            ; TOP: QEMU pops despite the unmasked exception
    PRINT "unmasked ZE sw="
    PHEX16 eax
    mov ebx, .wait
    EXPECT .after
.wait:
    fwait
.after:
    PRINT " fwait "
    call report_exc
    fnclex
    fnstsw ax
    PRINT " fnclex sw="
    and eax, ~0x3800
    PHEX16 eax
    call print_nl
    fninit

    ; ---- #NM --------------------------------------------------------------------------
    mov eax, cr0
    or eax, 8                   ; TS
    mov cr0, eax
    mov ebx, .nm1
    EXPECT .nm1x
.nm1:
    fld1
.nm1x:
    PRINT "TS fld1 "
    call report_exc
    mov ebx, .nm2
    EXPECT .nm2x
.nm2:
    fwait
.nm2x:
    PRINT " TS fwait "
    call report_exc
    mov eax, cr0
    or eax, 2                   ; MP
    mov cr0, eax
    mov ebx, .nm3
    EXPECT .nm3x
.nm3:
    fwait
.nm3x:
    PRINT " TS+MP fwait "
    call report_exc
    clts
    mov eax, cr0
    or eax, 4                   ; EM
    mov cr0, eax
    mov ebx, .nm4
    EXPECT .nm4x
.nm4:
    fninit
.nm4x:
    PRINT " EM fninit "
    call report_exc
    and eax, ~6
    mov cr0, eax
    call print_nl
    ret

; ---------------------------------------------------------------- helpers
print80:                        ; the 10 bytes at TB as seee:mmmmmmmmmmmmmmmm
    PHEX16 [TB+8]
    PRINT ":"
    PHEX32 [TB+4]
    PHEX32 [TB]
    call print_nl
    ret
print64:                        ; the 8 bytes at QB (no newline for chaining? newline)
    PHEX32 [QB+4]
    PHEX32 [QB]
    call print_nl
    ret
printq:
    PHEX32 [QB+4]
    PHEX32 [QB]
    ret
printsw:
    push eax
    fnstsw ax
    and eax, 0xfdff
    call print_hex16
    pop eax
    ret
printcc:                        ; C3 C2 C0 as "=ccc"
    push eax
    fnstsw ax
    and eax, 0x4500
    PRINT "="
    call print_hex16
    pop eax
    ret
printccall:                     ; C3 C2 C1 C0
    push eax
    fnstsw ax
    and eax, 0x4700
    PRINT " cc="
    call print_hex16
    pop eax
    ret
printc1:
    push eax
    fnstsw ax
    and eax, 0x4700
    PRINT "="
    call print_hex16
    pop eax
    ret
printc2:                        ; C2 only (QEMU leaves FPREM1's quotient bits clear)
    push eax
    fnstsw ax
    and eax, 0x0400
    PRINT " c2="
    call print_hex16
    pop eax
    ret
printexc:                       ; exception flags only (QEMU sets C2 on FSQRT of a negative)
    push eax
    fnstsw ax
    and eax, 0x00ff
    call print_hex8
    call print_nl
    pop eax
    ret
printfl:                        ; ZF PF CF
    push eax
    pushfd
    pop eax
    and eax, F_ZF | F_PF | F_CF
    PRINT "="
    call print_hex8
    pop eax
    ret

section .data
align 16
f_1p5:  dd 1.5
f_min:  dd -0.0
d_pi:   dq 3.14159265358979323846
d_third: dq 0x3fd5555555555555
d_inf:  dq 0x7ff0000000000000
d_qnan: dq 0xfff8000000000000
d_1e10: dq 1.0e10
d_1e300: dq 1.0e300
d_2p5:  dq 2.5
d_m2p5: dq -2.5
d_1p75: dq 1.75
d_0:    dq 0.0
d_m0:   dq -0.0
d_1:    dq 1.0
d_m1:   dq -1.0
d_2:    dq 2.0
d_3:    dq 3.0
d_5:    dq 5.0
d_8:    dq 8.0
d_17:   dq 17.0
d_m17:  dq -17.0
d_7p5:  dq 7.5
d_6p25: dq 6.25
d_p5:   dq 0.5
t_val:  dq 0xc90fdaa22168c235
        dw 0x4001
t_den:  dq 0x0000123456789abc
        dw 0x0000
t_tiny: dq 0x8000000000000000
        dw 0x3fff - 70
q_big2: dq 0x0fedcba987654321
dw_3:   dd 3
pcs:    dd 0x037f & ~0xf00 | 0x300, 0x037f & ~0xf00 | 0x200, 0x037f & ~0xf00
w_neg:  dw -12345
dw_max: dd 0x7fffffff
q_min:  dq 0x8000000000000000
q_big:  dq 0x123456789abcdef1
bcd_in: db 0x90, 0x78, 0x56, 0x34, 0x12, 0, 0, 0, 0x99, 0
flagsets:
        dd 0x002, 0x003, 0x042, 0x006, 0x046, 0x047, -1

section .text
END_IMAGE
