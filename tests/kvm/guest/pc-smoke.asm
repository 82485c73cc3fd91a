; pc-smoke.asm - the pc board under accel=kvm, as a multiboot kernel (-kernel) built on the x86
; test programs' runtime (tests/programs/x86/common.inc):
;   serial output on COM1          port I/O exits to jqemu's 16550 model
;   the HPET's capabilities        an MMIO exit to jqemu's HPET model (vendor 0x8086)
;   timer interrupts               the in-kernel 8254 through the in-kernel 8259 (IRQ 0)
;   a device interrupt             jqemu's 16550 raises IRQ 4 (THR empty) into the in-kernel
;                                  8259 through KVM_IRQ_LINE
;   a system reset              through port 0xCF9; CMOS byte 0x7E (kept across resets, as
;                                  battery-backed CMOS is) tells the second run it follows a
;                                  reset, which checks that the in-kernel 8259 came back in its
;                                  power-on state (the first run left its IMR at EF; KVM and
;                                  QEMU reset it to 00, jqemu's own model to FF)
; then returns, which ends the machine through isa-debug-exit (status 1 = PASS).
; Nothing timing-dependent is printed.
%include "common.inc"
NTICKS equ 3
CMOS_FLAG equ 0x7E
main:
    mov al, CMOS_FLAG
    out 0x70, al
    in al, 0x71
    cmp al, 0xA5
    je after_reset
    PRINTLN "kvm pc smoke"
    mov eax, [0xFED00000]       ; HPET general capabilities and ID, low half
    shr eax, 16
    PRINT "hpet vendor="
    PHEX16 eax
    call print_nl
    CHECK_EQ eax, 0x8086, "hpet vendor"
    ; 8259 pair: edge triggered, vectors 0x20 / 0x28, slave on IR2, all masked but IRQ0
    mov al, 0x11
    out 0x20, al
    out 0xA0, al
    mov al, 0x20
    out 0x21, al
    mov al, 0x28
    out 0xA1, al
    mov al, 0x04
    out 0x21, al
    mov al, 0x02
    out 0xA1, al
    mov al, 0x01
    out 0x21, al
    out 0xA1, al
    mov al, 0xFE
    out 0x21, al
    mov al, 0xFF
    out 0xA1, al
    in al, 0x21
    PRINT "imr master="
    PHEX8 eax
    call print_nl
    mov eax, 0x20
    mov ebx, timer_isr
    mov ecx, 0x8E
    call set_gate
    mov eax, 0x24
    mov ebx, com1_isr
    mov ecx, 0x8E
    call set_gate
    ; PIT channel 0: rate generator, ~1 kHz
    mov al, 0x34
    out 0x43, al
    mov al, 1193 & 0xff
    out 0x40, al
    mov al, 1193 >> 8
    out 0x40, al
    sti
.ticks:
    hlt
    cmp dword [ticks], NTICKS
    jb .ticks
    cli
    mov al, 0xFF                ; timer off again
    out 0x21, al
    PRINT "timer interrupts: "
    mov eax, [ticks]
    call print_dec
    call print_nl
    ; COM1: OUT2 gates the UART's interrupt onto the ISA bus; then "transmitter empty" interrupts
    mov dx, 0x3FC
    mov al, 0x08
    out dx, al
    mov al, 0xEF                ; IRQ 4 only
    out 0x21, al
    mov dx, 0x3F9
    mov al, 0x02
    out dx, al
    sti
.com1:
    hlt
    cmp dword [com1], 0
    je .com1
    cli
    PRINTLN "com1 interrupt"
    mov al, CMOS_FLAG
    out 0x70, al
    mov al, 0xA5
    out 0x71, al
    PRINTLN "reset"
    mov dx, 0xCF9
    mov al, 0x06                ; hard reset, reset CPU
    out dx, al
.gone:
    hlt
    jmp .gone

after_reset:
    in al, 0x21
    cmp al, 0xEF
    jne .fresh
    FAIL "8259 not reset (imr still ef)"
.fresh:
    PRINTLN "after reset: 8259 in its power-on state"
    ret

timer_isr:
    push eax
    cmp dword [ticks], NTICKS
    jae .eoi
    inc dword [ticks]
.eoi:
    mov al, 0x20
    out 0x20, al
    pop eax
    iretd

com1_isr:
    push eax
    push edx
    mov dx, 0x3FA               ; IIR: reading it acknowledges "transmitter empty"
    in al, dx
    mov dx, 0x3F9               ; IER: no more interrupts
    xor al, al
    out dx, al
    inc dword [com1]
    mov al, 0x20
    out 0x20, al
    pop edx
    pop eax
    iretd

align 4
ticks: dd 0
com1: dd 0
END_IMAGE
