// Branches: B.cond over every condition, CBZ/CBNZ, TBZ/TBNZ, BL/BLR/BR/RET, a counted loop.
        .include "macros.inc"
        .text
        .global main
main:   stp     x29, x30, [sp, #-16]!
        stp     x19, x20, [sp, #-16]!
        // for each NZCV value, build a mask of the conditions that hold
        mov     x19, #0
1:      lsl     x0, x19, #28
        msr     nzcv, x0
        mov     x20, #0
        b.eq    2f
        b       3f
2:      orr     x20, x20, #1
3:      b.ne    4f
        b       5f
4:      orr     x20, x20, #2
5:      b.cs    6f
        b       7f
6:      orr     x20, x20, #4
7:      b.cc    8f
        b       9f
8:      orr     x20, x20, #8
9:      b.mi    10f
        b       11f
10:     orr     x20, x20, #16
11:     b.pl    12f
        b       13f
12:     orr     x20, x20, #32
13:     b.vs    14f
        b       15f
14:     orr     x20, x20, #64
15:     b.vc    16f
        b       17f
16:     orr     x20, x20, #128
17:     b.hi    18f
        b       19f
18:     orr     x20, x20, #256
19:     b.ls    20f
        b       21f
20:     orr     x20, x20, #512
21:     b.ge    22f
        b       23f
22:     orr     x20, x20, #1024
23:     b.lt    24f
        b       25f
24:     orr     x20, x20, #2048
25:     b.gt    26f
        b       27f
26:     orr     x20, x20, #4096
27:     b.le    28f
        b       29f
28:     orr     x20, x20, #8192
29:     b.al    30f
        b       31f
30:     orr     x20, x20, #16384
31:     SHOW    x20
        add     x19, x19, #1
        cmp     x19, #16
        b.ne    1b
        // cbz/cbnz/tbz/tbnz
        mov     x20, #0
        mov     x1, #0x100000000
        cbz     w1, 40f
        orr     x20, x20, #1
40:     cbnz    x1, 41f
        orr     x20, x20, #2
41:     tbz     x1, #32, 42f
        orr     x20, x20, #4
42:     tbnz    x1, #31, 43f
        orr     x20, x20, #8
43:     tbnz    x1, #32, 44f
        orr     x20, x20, #16
44:     SHOW    x20
        // calls
        adr     x2, leaf
        blr     x2
        SHOW    x0
        bl      leaf
        SHOW    x0
        adr     x3, 45f
        br      x3
        mov     x0, #0xbad
        bl      show
45:     mov     x4, #0
        mov     x5, #100
46:     add     x4, x4, x5
        subs    x5, x5, #1
        b.ne    46b
        SHOW    x4
        ldp     x19, x20, [sp], #16
        ldp     x29, x30, [sp], #16
        ret
leaf:   mov     x0, x30
        and     x0, x0, #0xfff
        ret
