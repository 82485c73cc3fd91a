// Integer data processing: immediates, logical immediates, shifts, extends, bitfields,
// add/sub with flags, conditional select/compare, multiply/divide, CLZ/RBIT/REV, EXTR.
        .include "macros.inc"
        .text
        .global main
main:   stp     x29, x30, [sp, #-16]!
        movz    x19, #0x1234, lsl #48
        movk    x19, #0x5678, lsl #16
        SHOW    x19
        movn    w20, #0x12
        SHOW    x20
        mov     x20, #-2
        SHOW    x20
        ldr     x21, =0x8000000000000001
        add     x1, x21, #0xfff
        SHOW    x1
        add     x1, x21, #1, lsl #12
        SHOW    x1
        adds    x1, x21, x21
        SHOW    x1
        FLAGS
        subs    w1, w21, #2
        SHOW    x1
        FLAGS
        cmp     x19, x19
        FLAGS
        cmn     w20, #2
        FLAGS
        and     x1, x19, #0xff00ff00ff00ff00
        SHOW    x1
        orr     w1, wzr, #0x3c3c3c3c
        SHOW    x1
        eor     x1, x19, #0x5555555555555555
        SHOW    x1
        ands    x1, x21, #0xf
        SHOW    x1
        FLAGS
        tst     x19, #0x8000000000000000
        FLAGS
        // shifted and extended registers
        add     x1, x19, x21, lsl #3
        SHOW    x1
        sub     x1, x19, x21, asr #60
        SHOW    x1
        eor     w1, w19, w21, ror #4
        SHOW    x1
        orn     x1, x19, x21, lsr #1
        SHOW    x1
        bics    x1, x19, x19
        FLAGS
        mov     x2, #-5
        add     x1, x19, w2, sxtw #2
        SHOW    x1
        add     x1, x19, w2, uxtb #1
        SHOW    x1
        sub     x1, x19, x2, sxth
        SHOW    x1
        mov     x3, sp
        add     x1, sp, #16
        sub     x1, x1, x3
        SHOW    x1
        // bitfields
        ubfx    x1, x19, #16, #12
        SHOW    x1
        sbfx    x1, x21, #60, #4
        SHOW    x1
        bfi     x1, x19, #8, #16
        SHOW    x1
        bfxil   w1, w19, #20, #8
        SHOW    x1
        lsl     w1, w20, #7
        SHOW    x1
        lsr     x1, x21, #63
        SHOW    x1
        asr     x1, x21, #8
        SHOW    x1
        sxtb    x1, w20
        SHOW    x1
        uxth    w1, w20
        SHOW    x1
        sxtw    x1, w19
        SHOW    x1
        ror     x1, x19, #12
        SHOW    x1
        extr    x1, x19, x21, #20
        SHOW    x1
        extr    w1, w19, w21, #4
        SHOW    x1
        // variable shifts
        mov     x4, #67
        lslv    x1, x19, x4
        SHOW    x1
        asrv    w1, w21, w4
        SHOW    x1
        rorv    x1, x19, x4
        SHOW    x1
        // carry chains
        mov     x5, #-1
        adds    x1, x5, #1
        adcs    x1, x5, xzr
        SHOW    x1
        FLAGS
        sbcs    x1, xzr, x5
        SHOW    x1
        FLAGS
        ngc     w1, w5
        SHOW    x1
        // conditional
        cmp     x19, x21
        csel    x1, x19, x21, gt
        SHOW    x1
        csinc   x1, x19, x21, lt
        SHOW    x1
        csinv   w1, w19, w21, eq
        SHOW    x1
        csneg   x1, x19, x5, ne
        SHOW    x1
        cset    x1, hi
        SHOW    x1
        csetm   x1, ls
        SHOW    x1
        ccmp    x19, x19, #4, lt
        FLAGS
        ccmp    x19, #31, #3, ge
        FLAGS
        ccmn    w5, #1, #0, vc
        FLAGS
        // multiply / divide
        mul     x1, x19, x21
        SHOW    x1
        madd    w1, w19, w21, w20
        SHOW    x1
        msub    x1, x19, x20, x21
        SHOW    x1
        smull   x1, w20, w19
        SHOW    x1
        umull   x1, w20, w19
        SHOW    x1
        smaddl  x1, w20, w20, x19
        SHOW    x1
        umsubl  x1, w20, w20, x19
        SHOW    x1
        smulh   x1, x19, x20
        SHOW    x1
        umulh   x1, x19, x20
        SHOW    x1
        udiv    x1, x19, x20
        SHOW    x1
        sdiv    x1, x19, x20
        SHOW    x1
        sdiv    w1, w20, wzr
        SHOW    x1
        mov     x6, #-1
        sdiv    x1, x21, x6
        SHOW    x1
        udiv    w1, w19, w4
        SHOW    x1
        // bit manipulation
        clz     x1, x19
        SHOW    x1
        clz     w1, wzr
        SHOW    x1
        cls     x1, x20
        SHOW    x1
        cls     w1, w19
        SHOW    x1
        rbit    x1, x19
        SHOW    x1
        rbit    w1, w19
        SHOW    x1
        rev     x1, x19
        SHOW    x1
        rev     w1, w21
        SHOW    x1
        rev16   x1, x19
        SHOW    x1
        rev32   x1, x19
        SHOW    x1
        // pc-relative
        adr     x1, main
        adrp    x2, main
        sub     x1, x1, x2
        SHOW    x1
        ldp     x29, x30, [sp], #16
        ret
