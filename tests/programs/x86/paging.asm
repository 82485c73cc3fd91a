; paging.asm - 2-level paging: 4K pages, 4M pages (CR4.PSE), aliasing, accessed/dirty bits
; set by the CPU (PDE and PTE read back), invlpg and CR3 reload flushes, CR0.WP,
; #PF error codes (P, W/R, U/S) with CR2, from ring 0 and ring 3.
%include "common.inc"
%include "ring3.inc"

PD  equ 0x300000
PT0 equ 0x301000            ; 0-4M identity, user+rw
PT2 equ 0x302000            ; 8M-12M test pages
V   equ 0x800000            ; test virtual pages (PT2)

%macro XT 3                 ; XT "name", {setup}, {faulting insn}
    PRINT %1, ": "
    EXPECT %%r
    %2
%%i: %3
%%r: mov ebx, %%i
    call report_exc
    PRINT " cr2="
    PHEX32 [exc_cr2]
    call print_nl
%endmacro

main:
    call ring3_setup
    ; physical test data
    mov dword [0x500000], 0x11111111
    mov dword [0x501000], 0x22222222
    mov dword [0x502000], 0x33333333
    mov dword [0x503000], 0x44444444
    ; page tables
    mov edi, PD
    xor eax, eax
    mov ecx, 3072
    rep stosd
    mov edi, PT0
    mov eax, 0x007
    mov ecx, 1024
.f: stosd
    add eax, 0x1000
    loop .f
    mov dword [PD + 0*4], PT0 | 0x007
    mov dword [PD + 1*4], 0x400000 | 0x087     ; 4M page, identity, user rw
    mov dword [PD + 2*4], PT2 | 0x007
    mov dword [PD + 3*4], 0x400000 | 0x083     ; 4M alias at 12M -> 4M, supervisor
    mov dword [PT2 + 0*4], 0x500000 | 0x007    ; V+0000 -> 500000 user rw
    mov dword [PT2 + 1*4], 0x501000 | 0x007    ; V+1000 -> 501000 user rw (A/D test)
    mov dword [PT2 + 2*4], 0x502000 | 0x001    ; V+2000 -> 502000 supervisor read-only
    mov dword [PT2 + 3*4], 0x503000 | 0x003    ; V+3000 -> 503000 supervisor rw
    mov dword [PT2 + 4*4], 0x503000 | 0x005    ; V+4000 -> 503000 user read-only
    mov dword [PT2 + 5*4], 0x504000 | 0x006    ; V+5000 not present
    mov eax, cr4
    or eax, 0x10                ; PSE
    mov cr4, eax
    mov eax, PD
    mov cr3, eax
    mov eax, cr0
    or eax, 0x80000000
    mov cr0, eax
    PRINTLN "paging on"
    ; aliasing through 4K and 4M pages
    PRINT "read V+0 -> "
    PHEX32 [V]
    PRINT " V+1000 -> "
    PHEX32 [V+0x1000]
    call print_nl
    mov dword [0x400010], 0xabcdef01
    PRINT "4M page: write 400010, read c00010 -> "
    PHEX32 [0xc00010]
    call print_nl
    ; accessed / dirty
    and dword [PT2 + 1*4], ~0x60
    invlpg [V+0x1000]
    PRINT "A/D pte V+1000: initial="
    mov eax, [PT2 + 1*4]
    and eax, 0x60
    call print_hex8
    mov eax, [V+0x1000]
    PRINT " after read="
    mov eax, [PT2 + 1*4]
    and eax, 0x60
    call print_hex8
    mov dword [V+0x1000], 0x55555555
    PRINT " after write="
    mov eax, [PT2 + 1*4]
    and eax, 0x60
    call print_hex8
    PRINT " pde2 A="
    mov eax, [PD + 2*4]
    and eax, 0x60
    call print_hex8
    PRINT " pde1(4M) AD="
    mov eax, [PD + 1*4]
    and eax, 0x60
    call print_hex8
    PRINT " pde3(4M) AD="
    mov eax, [PD + 3*4]
    and eax, 0x60
    call print_hex8
    call print_nl
    ; remap V+0 -> 502000, invlpg
    mov eax, [V]
    mov dword [PT2 + 0*4], 0x502000 | 0x007
    invlpg [V]
    PRINT "after remap+invlpg V+0 -> "
    PHEX32 [V]
    mov dword [PT2 + 0*4], 0x503000 | 0x007
    mov eax, cr3
    mov cr3, eax
    PRINT " after remap+cr3 reload -> "
    PHEX32 [V]
    call print_nl
    ; ring 0 faults
    XT "r0 read not present", {}, {mov eax, [V+0x5004]}
    XT "r0 write not present", {}, {mov dword [V+0x5008], 1}
    PRINT "r0 write read-only WP=0: "
    mov dword [V+0x2000], 0x66666666
    PHEX32 [0x502000]
    call print_nl
    mov eax, cr0
    or eax, 0x10000             ; WP
    mov cr0, eax
    XT "r0 write read-only WP=1", {}, {mov dword [V+0x200c], 1}
    ; ring 3 faults
    mov dword [exc_resume], 0
    mov ebx, user_tests
    call ring3_call
    mov eax, cr0
    and eax, 0x7fffffff
    mov cr0, eax
    ret

user_tests:                     ; CPL 3
    XT "r3 read user page", {}, {mov eax, [V]}
    XT "r3 read supervisor page", {}, {mov eax, [V+0x3010]}
    XT "r3 write supervisor page", {}, {mov dword [V+0x3014], 1}
    XT "r3 write user read-only", {}, {mov dword [V+0x4018], 1}
    XT "r3 read not present", {}, {mov eax, [V+0x501c]}
    XT "r3 write not present", {}, {mov dword [V+0x5020], 1}
    XT "r3 read 4M supervisor", {}, {mov eax, [0xc00024]}
    int 0x80

END_IMAGE
