// Loads and stores: every addressing mode, sizes, sign extension, pairs, literals,
// exclusives, acquire/release, unaligned accesses.
        .include "macros.inc"
        .text
        .global main
main:   stp     x29, x30, [sp, #-16]!
        stp     x19, x20, [sp, #-16]!
        adr     x19, buf
        ldr     x1, =0x8899aabbccddeeff
        str     x1, [x19]
        ldr     x2, =0x0011223344556677
        str     x2, [x19, #8]
        ldrb    w0, [x19]
        bl      show
        ldrsb   x0, [x19, #1]
        bl      show
        ldrsb   w0, [x19, #2]
        bl      show
        ldrh    w0, [x19, #2]
        bl      show
        ldrsh   x0, [x19, #6]
        bl      show
        ldrsw   x0, [x19, #4]
        bl      show
        ldr     w0, [x19, #4]
        bl      show
        ldur    x0, [x19, #3]
        bl      show
        ldur    x0, [x19, #-0]
        bl      show
        // pre/post index
        mov     x20, x19
        ldr     x0, [x20, #8]!
        bl      show
        sub     x0, x20, x19
        bl      show
        ldrb    w0, [x20], #-3
        bl      show
        sub     x0, x20, x19
        bl      show
        // register offsets
        mov     x3, #1
        ldr     x0, [x19, x3, lsl #3]
        bl      show
        mov     w4, #-8
        add     x5, x19, #16
        ldr     x0, [x5, w4, sxtw]
        bl      show
        ldrh    w0, [x19, x3, lsl #1]
        bl      show
        mov     w6, #5
        ldrb    w0, [x19, w6, uxtw]
        bl      show
        // stores of each size
        mov     x7, #0
        str     x7, [x19, #16]
        str     x7, [x19, #24]
        mov     x8, #0x4142
        strb    w8, [x19, #16]
        strh    w8, [x19, #18]
        str     w1, [x19, #20]
        stur    x2, [x19, #25]
        ldr     x0, [x19, #16]
        bl      show
        ldr     x0, [x19, #24]
        bl      show
        // pairs
        ldp     x0, x1, [x19]
        bl      show
        mov     x0, x1
        bl      show
        ldp     w0, w1, [x19, #4]
        bl      show
        mov     x0, x1
        bl      show
        ldpsw   x0, x1, [x19]
        bl      show
        mov     x0, x1
        bl      show
        mov     x20, x19
        stp     x1, x2, [x20, #32]!
        sub     x0, x20, x19
        bl      show
        ldp     x3, x4, [x20], #-16
        sub     x0, x20, x19
        bl      show
        eor     x0, x3, x4
        bl      show
        stp     w8, w1, [x19, #48]
        ldr     x0, [x19, #48]
        bl      show
        // literal
        ldr     x0, lit
        bl      show
        ldr     w0, lit
        bl      show
        ldrsw   x0, lit
        bl      show
        // exclusives
        add     x20, x19, #64
        mov     x1, #7
        str     x1, [x20]
        ldxr    x2, [x20]
        add     x2, x2, #1
        stxr    w3, x2, [x20]
        mov     x0, x3
        bl      show
        ldr     x0, [x20]
        bl      show
        stxr    w3, x2, [x20]
        mov     x0, x3
        bl      show
        ldaxr   w2, [x20]
        stlxr   w3, w1, [x20]
        mov     x0, x3
        bl      show
        ldxrb   w2, [x20]
        stxrb   w3, w2, [x20]
        mov     x0, x3
        bl      show
        ldxp    x4, x5, [x19]
        stxp    w3, x5, x4, [x19]
        mov     x0, x3
        bl      show
        ldr     x0, [x19]
        bl      show
        clrex
        ldar    x0, [x20]
        bl      show
        stlr    w6, [x20]
        ldarb   w0, [x20]
        bl      show
        // unaligned across a cache line
        add     x20, x19, #61
        ldr     x1, =0x0102030405060708
        str     x1, [x20]
        ldr     x0, [x20]
        bl      show
        ldr     w0, [x20, #1]
        bl      show
        // prefetch is a no-op
        prfm    pldl1keep, [x19]
        ldp     x19, x20, [sp], #16
        ldp     x29, x30, [sp], #16
        ret
        .balign 8
lit:    .quad   0xfedcba9876543210
        .data
        .balign 64
buf:    .space  128
