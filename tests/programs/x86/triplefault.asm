; triplefault.asm - prints one line, then triple-faults on purpose (IDT limit 0, int3).
; On QEMU with -no-reboot the machine shuts down: no PASS line, exit status 0
; (isa-debug-exit is never written). jqemu must behave the same.
%include "common.inc"
main:
    PRINTLN "about to triple fault"
    lidt [null_idt]
    int3
    FAIL "still running after triple fault"
align 4
    dw 0
null_idt:
    dw 0
    dd 0
END_IMAGE
