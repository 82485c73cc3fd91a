; mbinfo.asm - print the multiboot information the loader passes (QEMU's is the reference).
; Run with: -m 128 -append "hello multiboot"
; Prints magic, flags, mem_lower/upper, cmdline, mods_count, the memory map and checks the
; bss (bss_end_addr) was zeroed.
%include "common.inc"
main:
    PRINT "magic="
    PHEX32 [mb_magic]
    call print_nl
    mov ebx, [mb_info]
    PRINT "flags="
    PHEX32 [ebx]
    call print_nl
    test dword [ebx], 1
    jz .nomem
    PRINT "mem_lower="
    mov eax, [ebx+4]
    call print_dec
    PRINT " mem_upper="
    mov eax, [ebx+8]
    call print_dec
    call print_nl
.nomem:
    test dword [ebx], 1 << 2
    jz .nocmd
    PRINT "cmdline='"
    mov esi, [ebx+16]
    call print_str
    PRINTLN "'"
.nocmd:
    test dword [ebx], 1 << 3
    jz .nomods
    PRINT "mods_count="
    mov eax, [ebx+20]
    call print_dec
    call print_nl
.nomods:
    test dword [ebx], 1 << 6
    jz .nommap
    mov esi, [ebx+48]           ; mmap_addr
    mov edi, esi
    add edi, [ebx+44]           ; + mmap_length
.mm: cmp esi, edi
    jae .nommap
    PRINT "mmap base="
    PHEX32 [esi+8]
    PHEX32 [esi+4]
    PRINT " len="
    PHEX32 [esi+16]
    PHEX32 [esi+12]
    PRINT " type="
    mov eax, [esi+20]
    call print_dec
    call print_nl
    add esi, [esi]
    add esi, 4
    jmp .mm
.nommap:
    ; bss must be zero (scratch is in the bss)
    mov esi, scratch
    mov ecx, (scratch_end - scratch) / 4
.z: lodsd
    test eax, eax
    jnz .bad
    loop .z
    PRINTLN "bss zeroed"
    ret
.bad:
    FAIL "bss not zeroed"
END_IMAGE
