// Self-modifying code: a routine is rewritten in place (and its page is also written as data
// in between), with the DC CVAU / DSB / IC IVAU / DSB / ISB sequence the architecture requires;
// each call must run the new instructions.
        .include "macros.inc"
        .text
        .global main
main:   stp     x29, x30, [sp, #-16]!
        stp     x19, x20, [sp, #-16]!
        adr     x19, patch
        mov     x20, #0
1:      // write "movz x0, #(0x100 + n)" over the first instruction of patch
        ldr     w1, =0xd2800000
        add     x2, x20, #0x100
        orr     w1, w1, w2, lsl #5
        str     w1, [x19]
        dc      cvau, x19
        dsb     ish
        ic      ivau, x19
        dsb     ish
        isb
        bl      patch
        bl      show
        add     x20, x20, #1
        cmp     x20, #5
        b.ne    1b
        // a data word on the same page as code changes without touching code
        adr     x1, counter
        mov     x2, #0
2:      ldr     x3, [x1]
        add     x3, x3, #3
        str     x3, [x1]
        add     x2, x2, #1
        cmp     x2, #1000
        b.ne    2b
        ldr     x0, [x1]
        bl      show
        bl      patch
        bl      show
        ldp     x19, x20, [sp], #16
        ldp     x29, x30, [sp], #16
        ret

        .balign 64
patch:  movz    x0, #0xdead
        ret
counter: .quad  0
