// The smallest program: a string through the UART, then PSCI SYSTEM_OFF.
        .text
        .global main
main:   stp     x29, x30, [sp, #-16]!
        adr     x0, msg
        bl      puts
        ldp     x29, x30, [sp], #16
        ret
msg:    .asciz  "Hello from arm64\n"
