; string.asm - movs cmps scas lods stos ins outs, 8/16/32-bit, rep/repe/repne, DF=0/1,
; count 0, a16 (SI/DI/CX with 16-bit wrap-around), segment override on the source.
; Each line: test: ESI-src EDI-dst ECX EAX FL | dst[0..23]
; (FL masked: CF PF AF ZF SF OF for cmps/scas, which set flags like cmp).
; ins/outs use the 16550 scratch register (port 0x3ff) and port 0x80.
%include "common.inc"

SRC  equ scratch            ; 64 bytes: i*3+1
DST  equ scratch + 0x100    ; 64 bytes reset to ee
LOW  equ 0x7000             ; below 64K for the a16 tests

%macro T 1                  ; start a test: reset buffers, load ESI/EDI, ECX from args
    call reset
    PRINT %1, ": "
%endmacro

main:
    mov ax, SEL_DATA32
    mov es, ax
    ; movs, DF=0
    T "rep movsb 7"
    mov ecx, 7
    rep movsb
    call report
    T "rep movsw 5"
    mov ecx, 5
    rep movsw
    call report
    T "rep movsd 3"
    mov ecx, 3
    rep movsd
    call report
    T "movsd (no rep)"
    mov ecx, 3
    movsd
    call report
    T "rep movsb 0"
    xor ecx, ecx
    rep movsb
    call report
    ; DF=1
    T "std rep movsb 7"
    add esi, 20
    add edi, 20
    mov ecx, 7
    std
    rep movsb
    cld
    call report
    T "std rep movsd 3"
    add esi, 20
    add edi, 20
    mov ecx, 3
    std
    rep movsd
    cld
    call report
    T "std movsw"
    add esi, 20
    add edi, 20
    std
    movsw
    cld
    call report
    ; stos / lods
    T "rep stosb 5"
    mov eax, 0x11223344
    mov ecx, 5
    rep stosb
    call report
    T "rep stosw 3"
    mov eax, 0x11223344
    mov ecx, 3
    rep stosw
    call report
    T "std rep stosd 2"
    add edi, 12
    mov eax, 0x11223344
    mov ecx, 2
    std
    rep stosd
    cld
    call report
    T "lodsb lodsw lodsd"
    mov eax, 0xffffffff
    lodsb
    lodsw
    call report
    T "lodsd"
    lodsd
    call report
    T "rep lodsb 4"
    mov ecx, 4
    rep lodsb
    call report
    ; cmps / scas
    call mkdiff
    T "repe cmpsb 16"
    call mkdiff
    mov ecx, 16
    repe cmpsb
    call report
    T "repe cmpsw 16"
    call mkdiff
    mov ecx, 16
    repe cmpsw
    call report
    T "repe cmpsd 16"
    call mkdiff
    mov ecx, 16
    repe cmpsd
    call report
    T "repne cmpsb 16"
    call mkdiff
    mov ecx, 16
    repne cmpsb
    call report
    T "repe cmpsb 4 (all equal)"
    mov esi, SRC
    mov edi, SRC
    mov ecx, 4
    repe cmpsb
    sub edi, SRC - DST
    call report
    T "cmpsb (no rep)"
    cmpsb
    call report
    T "repe cmpsb 0"
    xor ecx, ecx
    push dword 0x8d7
    popfd
    repe cmpsb
    call report
    T "repne scasb find 16"
    mov edi, SRC
    mov al, 16
    mov ecx, 30
    repne scasb
    sub edi, SRC - DST
    call report
    T "repne scasb miss"
    mov edi, SRC
    mov al, 2
    mov ecx, 10
    repne scasb
    sub edi, SRC - DST
    call report
    T "repe scasw"
    mov dword [DST], 0xeeeeeeee
    mov eax, 0x1234eeee
    mov ecx, 10
    repe scasw
    call report
    T "std repne scasd"
    add edi, 16
    mov dword [DST+4], 0x12345678
    mov eax, 0x12345678
    mov ecx, 10
    std
    repne scasd
    cld
    call report
    ; segment override on the source (FS base = 0x10, so fs:[esi] = esi+0x10)
    mov eax, 0x40
    mov ebx, 0x10
    mov ecx, 0xfffff
    mov dx, 0xc092
    call set_desc
    mov ax, 0x40
    mov fs, ax
    T "fs rep movsb 6 (base 10)"
    sub esi, 0x10
    mov ecx, 6
    fs rep movsb
    add esi, 0x10
    call report
    T "fs lodsd (base 10)"
    sub esi, 0x10
    fs lodsd
    add esi, 0x10
    call report
    T "gs cmpsb (base 0)"
    mov ax, SEL_DATA32
    mov gs, ax
    gs cmpsb
    call report
    ; a16: SI/DI/CX, 16-bit wrap
    call a16_tests
    ; ins/outs via the 16550 scratch register
    T "rep outsb 3 -> 3ff, rep insb 2"
    mov dx, 0x3ff
    mov ecx, 3
    rep outsb
    mov ecx, 2
    rep insb
    call report
    T "std outsb, insb"
    add esi, 8
    add edi, 8
    mov dx, 0x3ff
    std
    outsb
    insb
    cld
    call report
    T "outsw outsd -> 80"
    mov dx, 0x80
    outsw
    outsd
    call report
    ret

a16_tests:
    ; LOW area: fill 0x7000.. with pattern
    mov edi, LOW
    xor ecx, ecx
.f: mov [edi+ecx], cl
    inc ecx
    cmp ecx, 0x200
    jb .f
    PRINT "a16 rep movsb 5: "
    mov esi, 0xabcd0000 + LOW
    mov edi, 0x12340000 + LOW + 0x100
    mov ecx, 0xffff0005
    a16 rep movsb
    call report16
    PRINT "a16 std rep movsw 3: "
    mov esi, 0xabcd0000 + LOW + 0x20
    mov edi, 0x12340000 + LOW + 0x120
    mov ecx, 0xffff0003
    std
    a16 rep movsw
    cld
    call report16
    PRINT "a16 movsb wrap si=ffff: "
    mov esi, 0xabcdffff
    mov edi, 0x12340000 + LOW + 0x140
    mov ecx, 0x00000002
    a16 rep movsb
    call report16
    PRINT "a16 rep stosb wrap di=fffe,cx=4 over 0: "
    mov eax, [0]                ; save the dwords at linear 0 (IVT) and 0xfffc
    mov ebx, [0xfffc]
    push eax
    push ebx
    mov dword [0], 0x55667788   ; known contents around the wrap: what firmware left there
    mov dword [0xfffc], 0x11223344  ; differs between QEMU (SeaBIOS) and jqemu (no BIOS)
    mov edi, 0x5555fffe
    mov ecx, 4
    mov al, 0x99
    a16 rep stosb
    mov eax, [0xfffc]
    PHEX32 eax
    call print_sp
    mov eax, [0]
    PHEX32 eax
    call print_sp
    call report16
    pop ebx
    pop eax
    mov [0], eax
    mov [0xfffc], ebx
    xor eax, eax                ; leave no firmware bytes in EAX for the next line
    PRINT "a16 repne scasb: "
    mov edi, 0x77770000 + LOW
    mov ecx, 0x00030100
    mov al, 0x42
    a16 repne scasb
    call report16
    ret

report16:                       ; print raw ESI EDI ECX + DST area at LOW+0x100
    PHEX32 esi
    call print_sp
    PHEX32 edi
    call print_sp
    PHEX32 ecx
    PRINT " |"
    push esi
    mov esi, LOW + 0x100
    call dump
    pop esi
    call print_nl
    ret

reset:
    pushfd
    push eax
    push ecx
    xor ecx, ecx
.l: mov al, cl
    imul eax, eax, 3
    inc eax
    mov [SRC+ecx], al
    mov byte [DST+ecx], 0xee
    inc ecx
    cmp ecx, 64
    jb .l
    pop ecx
    pop eax
    popfd
    mov esi, SRC
    mov edi, DST
    ret

mkdiff:                         ; DST = copy of SRC with byte 9 different
    push esi
    push edi
    push ecx
    mov esi, SRC
    mov edi, DST
    mov ecx, 64
    rep movsb
    mov byte [DST+9], 0
    pop ecx
    pop edi
    pop esi
    ret

report:
    pushfd
    push eax
    mov eax, esi
    sub eax, SRC
    PHEX32 eax
    call print_sp
    mov eax, edi
    sub eax, DST
    PHEX32 eax
    call print_sp
    PHEX32 ecx
    call print_sp
    pop eax
    PHEX32 eax
    call print_sp
    pop eax
    push eax
    and eax, F_ARITH
    call print_hex16
    PRINT " |"
    push esi
    mov esi, DST
    call dump
    pop esi
    call print_nl
    popfd
    ret

dump:                           ; 24 bytes at ESI
    pushad
    mov ecx, 24
.l: call print_sp
    lodsb
    call print_hex8
    loop .l
    popad
    ret

END_IMAGE
