// Shared routines of the arm64 guest test programs: output through the PL011 data register
// at 0x09000000 (as on QEMU's virt board) and power-off through PSCI SYSTEM_OFF (HVC #0).
// Calling convention: arguments in x0; x0-x7 and x9-x15 are clobbered, x19-x28 preserved.
        .text
        .global putc, puts, puthex, puthex32, newline, exit, _start
        .global vectors_default

putc:   mov     x9, #0x09000000
        strb    w0, [x9]
        ret

// puts(x0 = NUL-terminated string)
puts:   mov     x9, #0x09000000
1:      ldrb    w10, [x0], #1
        cbz     w10, 2f
        strb    w10, [x9]
        b       1b
2:      ret

// puthex(x0): 16 hex digits
puthex: mov     x9, #0x09000000
        mov     x11, #60
1:      lsr     x10, x0, x11
        and     x10, x10, #0xf
        cmp     x10, #10
        add     x12, x10, #'0'
        add     x13, x10, #('a' - 10)
        csel    x10, x12, x13, lo
        strb    w10, [x9]
        subs    x11, x11, #4
        b.pl    1b
        ret

// puthex32(x0): 8 hex digits of w0
puthex32:
        mov     x9, #0x09000000
        mov     x11, #28
1:      lsr     x10, x0, x11
        and     x10, x10, #0xf
        cmp     x10, #10
        add     x12, x10, #'0'
        add     x13, x10, #('a' - 10)
        csel    x10, x12, x13, lo
        strb    w10, [x9]
        subs    x11, x11, #4
        b.pl    1b
        ret

newline:
        mov     x9, #0x09000000
        mov     w10, #'\n'
        strb    w10, [x9]
        ret

exit:   ldr     x0, =0x84000008         // PSCI SYSTEM_OFF
        hvc     #0
1:      wfi
        b       1b

_start: ldr     x0, =stack_top
        mov     sp, x0
        bl      main
        b       exit

        .bss
        .balign 16
        .space  16384
stack_top:

        .text
        .global show
// show(x0): prints x0 as 16 hex digits and a newline; preserves everything but x9-x13
show:   stp     x0, x30, [sp, #-16]!
        bl      puthex
        bl      newline
        ldp     x0, x30, [sp], #16
        ret
