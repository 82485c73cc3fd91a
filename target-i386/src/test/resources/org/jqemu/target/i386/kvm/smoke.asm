; A real-mode guest for the kvm accelerator's smoke test (KvmSmoke). It exercises each path a
; guest takes through jqemu under KVM:
;   port I/O exits    - prints "KVM" on the serial data port 0x3f8
;   MMIO exits        - writes 0x1234 to a device register at 0xd0010, reads back (device adds 1)
;                       and reports the value on port 0x500
;   in-kernel irqchip - programs the kernel's 8259 (vector base 8) and 8254 (channel 0, ~100 Hz),
;                       then halts until three timer interrupts arrived, printing "T" for each
;   kick and sync     - then spins with interrupts off (no exits at all): only a kick gets the vCPU
;                       out of KVM_RUN. The host pauses the machine, finds RIP in the loop, points
;                       it at "finish" and resumes
;   the end           - "finish" writes 0 to port 0x504, which ends the machine with that status
; Build: nasm -f bin -o smoke.bin smoke.asm   (loaded at 0000:7c00, entered in real mode)
bits 16
org 0x7c00

    jmp near start
spin_addr:   dw spin                 ; at 0x7c03: where the host expects RIP when it pauses us
finish_addr: dw finish               ; at 0x7c05: where the host sends us after the pause

start:
    cli
    xor ax, ax
    mov ds, ax
    mov ss, ax
    mov sp, 0x7000

    mov dx, 0x3f8
    mov al, 'K'
    out dx, al
    mov al, 'V'
    out dx, al
    mov al, 'M'
    out dx, al

    mov ax, 0xd000
    mov es, ax
    mov word [es:0x10], 0x1234
    mov ax, [es:0x10]
    mov dx, 0x500
    out dx, ax

    mov word [8 * 4], timer          ; IVT entry of vector 8 (IRQ 0 after the ICW2 below)
    mov word [8 * 4 + 2], 0

    mov al, 0x11                     ; ICW1: edge, cascade, ICW4 follows
    out 0x20, al
    mov al, 0x08                     ; ICW2: vectors 8..15
    out 0x21, al
    mov al, 0x04                     ; ICW3: slave on IRQ 2
    out 0x21, al
    mov al, 0x01                     ; ICW4: 8086 mode
    out 0x21, al
    mov al, 0xfe                     ; OCW1: only IRQ 0 unmasked
    out 0x21, al

    mov al, 0x34                     ; PIT channel 0, lobyte/hibyte, mode 2
    out 0x43, al
    mov al, 0x9c                     ; divisor 11932: about 100 Hz
    out 0x40, al
    mov al, 0x2e
    out 0x40, al

    sti
.wait:
    hlt
    cmp byte [ticks], 3
    jb .wait

    cli
    mov dx, 0x3f8
    mov al, 10
    out dx, al
spin:
    jmp spin

finish:
    mov dx, 0x504
    mov al, 0
    out dx, al
.stop:
    hlt
    jmp .stop

timer:
    push ax
    push dx
    ; Only the first three ticks print: KVM's PIT re-injects ticks a descheduled vCPU missed, so
    ; on a loaded host more may arrive back to back before the guest reaches its "cli".
    cmp byte [ticks], 3
    jae .eoi
    inc byte [ticks]
    mov dx, 0x3f8
    mov al, 'T'
    out dx, al
.eoi:
    mov al, 0x20                     ; non-specific EOI
    out 0x20, al
    pop dx
    pop ax
    iret

ticks: db 0
