; irq.asm - 8259 PIC init (ICW1-4, remap master 0x20 / slave 0x28), IMR readback, PIT
; channel 0 rate generator (mode 2, ~1 kHz), sti+hlt until 10 timer interrupts, EOI,
; PIT counter latch (value in range), RTC/CMOS seconds register is BCD-valid.
; Nothing timing-dependent is printed.
%include "common.inc"
NTICKS equ 10
main:
    ; PIC: ICW1 edge, cascade, ICW4 needed
    mov al, 0x11
    out 0x20, al
    out 0xA0, al
    mov al, 0x20                ; ICW2 vector bases
    out 0x21, al
    mov al, 0x28
    out 0xA1, al
    mov al, 0x04                ; ICW3 master: slave on IR2
    out 0x21, al
    mov al, 0x02                ; ICW3 slave: cascade identity 2
    out 0xA1, al
    mov al, 0x01                ; ICW4 8086 mode
    out 0x21, al
    out 0xA1, al
    mov al, 0xFE                ; only IRQ0
    out 0x21, al
    mov al, 0xFF
    out 0xA1, al
    in al, 0x21
    PRINT "imr master="
    PHEX8 eax
    in al, 0xA1
    PRINT " slave="
    PHEX8 eax
    call print_nl
    ; IRQ0 handler at vector 0x20
    mov eax, 0x20
    mov ebx, timer_isr
    mov ecx, 0x8E
    call set_gate
    ; PIT ch0 mode 2, lobyte/hibyte, 1193 (~1 kHz)
    mov al, 0x34
    out 0x43, al
    mov al, 1193 & 0xff
    out 0x40, al
    mov al, 1193 >> 8
    out 0x40, al
    sti
.wait:
    hlt
    cmp dword [ticks], NTICKS
    jb .wait
    cli
    PRINT "timer interrupts: "
    mov eax, [ticks]
    cmp eax, NTICKS
    jne .bad
    call print_dec
    call print_nl
    ; read ISR via OCW3: nothing in service now
    mov al, 0x0B
    out 0x20, al
    in al, 0x20
    PRINT "isr after eoi="
    PHEX8 eax
    call print_nl
    ; PIT latch: counter must be in 1..1193
    mov al, 0x00                ; latch counter 0
    out 0x43, al
    in al, 0x40
    mov ah, al
    in al, 0x40
    xchg al, ah
    movzx eax, ax
    cmp eax, 1193
    ja .badpit
    PRINTLN "pit latch in range"
    ; mask the timer again
    mov al, 0xFF
    out 0x21, al
    ; RTC: wait for no update in progress, then read seconds
    mov al, 0x0B
    out 0x70, al
    in al, 0x71
    test al, 0x04
    jnz .binary
    mov ecx, 100000
.uip: mov al, 0x0A
    out 0x70, al
    in al, 0x71
    test al, 0x80
    jz .rd
    loop .uip
.rd: mov al, 0x00
    out 0x70, al
    in al, 0x71
    mov ah, al
    and ah, 0x0F
    cmp ah, 9
    ja .badrtc
    cmp al, 0x59
    ja .badrtc
    PRINTLN "rtc seconds bcd ok"
    ret
.binary:
    FAIL "rtc in binary mode"
.badrtc:
    FAIL "rtc seconds not bcd"
.badpit:
    FAIL "pit latch out of range"
.bad:
    FAIL "tick count"

timer_isr:
    push eax
    cmp dword [ticks], NTICKS   ; stop counting at NTICKS (no race with the final cli)
    jae .eoi
    inc dword [ticks]
.eoi:
    mov al, 0x20
    out 0x20, al
    pop eax
    iretd

align 4
ticks: dd 0
END_IMAGE
