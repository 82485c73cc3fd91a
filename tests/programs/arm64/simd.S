// Floating point and Advanced SIMD: FMOV, scalar arithmetic, FMA, compares, FCSEL, conversions,
// rounding; vector integer ops used by string and memory routines (CMEQ, ADDP, UMAXV/UMINV,
// logic, DUP/INS/UMOV, EXT, TBL, ZIP/UZP/TRN, shifts, SHRN, USHLL, XTN, CNT, REV), structure
// loads and stores (LD1/ST1 multiple, LD2/ST2, LD1R, lane forms), MOVI/MVNI/ORR/BIC immediate.
        .include "macros.inc"
        // VSHOW vN: both halves of a vector register
        .macro VSHOW v
        mov     x0, \v\().d[1]
        bl      puthex
        mov     x0, \v\().d[0]
        bl      show
        .endm
        .text
        .global main
main:   stp     x29, x30, [sp, #-16]!
        mrs     x0, cpacr_el1
        orr     x0, x0, #(3 << 20)
        msr     cpacr_el1, x0
        isb
        // scalar FP
        fmov    d0, #1.5
        fmov    d1, #-0.25
        fadd    d2, d0, d1
        fmov    x0, d2
        bl      show
        fmul    d2, d0, d1
        fmov    x0, d2
        bl      show
        fdiv    d2, d1, d0
        fmov    x0, d2
        bl      show
        fsub    s3, s0, s1              // garbage bits in the low halves: just bits
        fmov    s4, #3.0
        fmov    s5, #0.5
        fmadd   s6, s4, s5, s4
        fmov    w0, s6
        bl      show
        fnmsub  d6, d0, d0, d1
        fmov    x0, d6
        bl      show
        fsqrt   d7, d0
        fmov    x0, d7
        bl      show
        fabs    d7, d1
        fneg    d8, d0
        fmov    x0, d7
        bl      show
        fmov    x0, d8
        bl      show
        fcmp    d0, d1
        FLAGS
        fcmp    d1, d0
        FLAGS
        fcmp    d0, #0.0
        FLAGS
        fcsel   d9, d0, d1, lt
        fmov    x0, d9
        bl      show
        fccmp   d0, d0, #2, eq
        FLAGS
        // conversions
        mov     x1, #-7
        scvtf   d10, x1
        fmov    x0, d10
        bl      show
        ucvtf   s11, w1
        fmov    w0, s11
        bl      show
        fmov    d12, #-2.75
        fcvtzs  x0, d12
        bl      show
        fcvtzu  w0, d12
        bl      show
        fcvtms  x0, d12
        bl      show
        fcvtps  w0, d12
        bl      show
        fcvtas  x0, d12
        bl      show
        fcvtns  x0, d12
        bl      show
        fcvt    s13, d12
        fmov    w0, s13
        bl      show
        fcvt    d14, s5
        fmov    x0, d14
        bl      show
        frintm  d15, d12
        fmov    x0, d15
        bl      show
        frintz  d15, d12
        fmov    x0, d15
        bl      show
        frinta  d15, d12
        fmov    x0, d15
        bl      show
        mov     x2, #1000
        scvtf   d16, x2, #4
        fmov    x0, d16
        bl      show
        fcvtzs  w0, d16, #8
        bl      show
        fmaxnm  d17, d0, d1
        fmin    d18, d0, d1
        fmov    x0, d17
        bl      show
        fmov    x0, d18
        bl      show
        // vector integer
        adr     x19, vdata
        ld1     {v0.16b, v1.16b}, [x19]
        VSHOW   v0
        VSHOW   v1
        movi    v2.16b, #0x41
        cmeq    v3.16b, v0.16b, v2.16b
        VSHOW   v3
        cmeq    v4.16b, v0.16b, #0
        VSHOW   v4
        addp    v5.16b, v3.16b, v4.16b
        VSHOW   v5
        umaxv   b6, v0.16b
        umov    w0, v6.b[0]
        bl      show
        uminv   h6, v1.8h
        umov    w0, v6.h[0]
        bl      show
        addv    s6, v1.4s
        mov     w0, v6.s[0]
        bl      show
        and     v7.16b, v0.16b, v1.16b
        VSHOW   v7
        orr     v7.16b, v0.16b, v1.16b
        VSHOW   v7
        eor     v7.16b, v0.16b, v1.16b
        VSHOW   v7
        bic     v7.16b, v0.16b, v1.16b
        VSHOW   v7
        orn     v7.8b, v0.8b, v1.8b
        VSHOW   v7
        mov     v8.16b, v3.16b
        bsl     v8.16b, v0.16b, v1.16b
        VSHOW   v8
        mov     v8.16b, v0.16b
        bit     v8.16b, v1.16b, v3.16b
        VSHOW   v8
        mov     v8.16b, v0.16b
        bif     v8.16b, v1.16b, v3.16b
        VSHOW   v8
        dup     v9.8h, w19
        VSHOW   v9
        dup     v9.4s, v0.s[3]
        VSHOW   v9
        ins     v9.b[3], w19
        ins     v9.d[1], v1.d[0]
        VSHOW   v9
        umov    x0, v1.d[1]
        bl      show
        smov    x0, v0.b[7]
        bl      show
        ext     v10.16b, v0.16b, v1.16b, #5
        VSHOW   v10
        ldr     q11, tblidx
        tbl     v12.16b, {v0.16b, v1.16b}, v11.16b
        VSHOW   v12
        movi    v13.16b, #0xee
        tbx     v13.16b, {v0.16b}, v11.16b
        VSHOW   v13
        zip1    v14.16b, v0.16b, v1.16b
        VSHOW   v14
        zip2    v14.8h, v0.8h, v1.8h
        VSHOW   v14
        uzp1    v14.4s, v0.4s, v1.4s
        VSHOW   v14
        uzp2    v14.16b, v0.16b, v1.16b
        VSHOW   v14
        trn1    v14.8h, v0.8h, v1.8h
        VSHOW   v14
        trn2    v14.2d, v0.2d, v1.2d
        VSHOW   v14
        shl     v15.4s, v0.4s, #3
        VSHOW   v15
        ushr    v15.8h, v0.8h, #5
        VSHOW   v15
        sshr    v15.16b, v0.16b, #2
        VSHOW   v15
        shrn    v16.8b, v0.8h, #4
        VSHOW   v16
        shrn2   v16.16b, v1.8h, #4
        VSHOW   v16
        ushll   v17.8h, v0.8b, #0
        VSHOW   v17
        sshll2  v17.4s, v1.8h, #2
        VSHOW   v17
        xtn     v18.8b, v1.8h
        VSHOW   v18
        cnt     v19.16b, v1.16b
        VSHOW   v19
        rev64   v19.16b, v0.16b
        VSHOW   v19
        rev32   v19.8h, v0.8h
        VSHOW   v19
        rev16   v19.16b, v0.16b
        VSHOW   v19
        not     v19.16b, v0.16b
        VSHOW   v19
        add     v20.2d, v0.2d, v1.2d
        VSHOW   v20
        sub     v20.4s, v0.4s, v1.4s
        VSHOW   v20
        mul     v20.8h, v0.8h, v1.8h
        VSHOW   v20
        umax    v20.16b, v0.16b, v1.16b
        VSHOW   v20
        smin    v20.8h, v0.8h, v1.8h
        VSHOW   v20
        cmhi    v20.16b, v0.16b, v1.16b
        VSHOW   v20
        cmgt    v20.4s, v0.4s, v1.4s
        VSHOW   v20
        cmtst   v20.16b, v0.16b, v1.16b
        VSHOW   v20
        umaxp   v20.16b, v0.16b, v1.16b
        VSHOW   v20
        uqsub   v20.16b, v0.16b, v1.16b
        VSHOW   v20
        uaddlv  h21, v0.16b
        VSHOW   v21
        umull   v21.8h, v0.8b, v1.8b
        VSHOW   v21
        addp    d22, v0.2d
        VSHOW   v22
        movi    v23.4s, #0x12, lsl #8
        VSHOW   v23
        mvni    v23.8h, #0x34
        VSHOW   v23
        orr     v23.4s, #0x56, lsl #16
        VSHOW   v23
        bic     v23.8h, #0xff
        VSHOW   v23
        movi    v23.2d, #0xff00ff0000ffff00
        VSHOW   v23
        fmov    v23.4s, #-1.25
        VSHOW   v23
        movi    d24, #0xffff
        VSHOW   v24
        // vector FP
        fadd    v25.4s, v23.4s, v23.4s
        VSHOW   v25
        fmul    v25.2d, v0.2d, v0.2d
        fcvtzs  v26.4s, v25.4s
        scvtf   v26.4s, v26.4s
        fcmgt   v26.4s, v23.4s, #0.0
        VSHOW   v26
        // structure loads/stores
        adr     x20, vbuf
        st1     {v0.16b, v1.16b}, [x20], #32
        st2     {v0.8h, v1.8h}, [x20]
        ldp     x0, x1, [x20]
        bl      show
        mov     x0, x1
        bl      show
        ld2     {v27.16b, v28.16b}, [x20]
        VSHOW   v27
        VSHOW   v28
        ld1r    {v29.4s}, [x19]
        VSHOW   v29
        ld1     {v29.s}[2], [x20]
        VSHOW   v29
        st1     {v1.h}[5], [x20]
        ldr     x0, [x20]
        bl      show
        mov     x21, #16
        ld1     {v30.2d}, [x19], x21
        sub     x0, x19, #16
        adr     x1, vdata
        sub     x0, x0, x1
        bl      show
        ld4     {v0.8b, v1.8b, v2.8b, v3.8b}, [x1]
        VSHOW   v0
        VSHOW   v3
        ld3r    {v4.8h, v5.8h, v6.8h}, [x1]
        VSHOW   v5
        stp     q0, q1, [x20]
        ldp     q2, q3, [x20]
        VSHOW   v2
        str     d3, [x20, #8]
        ldr     s4, [x20, #8]
        VSHOW   v4
        ldur    h4, [x20, #9]
        VSHOW   v4
        ldr     b4, [x20, #3]
        VSHOW   v4
        ldp     x29, x30, [sp], #16
        ret

        .balign 16
vdata:  .byte   0x41, 0x00, 0x7f, 0x80, 0xff, 0x41, 0x10, 0x93, 0x01, 0x41, 0x20, 0x00, 0xc3, 0x5a, 0x41, 0x07
        .byte   0x01, 0x02, 0x03, 0x04, 0xf0, 0xe1, 0xd2, 0xc3, 0x41, 0x41, 0x00, 0x80, 0x7f, 0x3c, 0x99, 0x10
tblidx: .byte   0, 31, 16, 5, 40, 15, 17, 3, 255, 8, 9, 30, 2, 1, 0, 12
        .bss
        .balign 16
vbuf:   .space  256
