// FEAT_LSE atomics (needs -cpu max: both QEMU and jqemu advertise them there) and CRC32/CRC32C:
// LDADD/LDCLR/LDEOR/LDSET/LD[SU]MAX/LD[SU]MIN/SWP in each size with acquire/release forms,
// ST aliases, CAS/CASP, and the ID register fields that advertise them.
        .include "macros.inc"
        .arch   armv8.1-a+crc
        .text
        .global main
main:   stp     x29, x30, [sp, #-16]!
        stp     x19, x20, [sp, #-16]!
        mrs     x0, id_aa64isar0_el1
        and     x0, x0, #0xff0000
        bl      show
        adr     x19, data
        ldr     x1, =0x00000000000000f0
        str     x1, [x19]
        mov     x2, #0x11
        ldadd   x2, x3, [x19]
        SHOW    x3
        ldr     x0, [x19]
        bl      show
        mov     x2, #0x0f
        ldclral x2, x3, [x19]
        SHOW    x3
        ldr     x0, [x19]
        bl      show
        mov     w2, #0x3c
        ldeora  w2, w3, [x19]
        SHOW    x3
        ldr     x0, [x19]
        bl      show
        mov     w2, #0x8000
        ldseth  w2, w3, [x19]
        SHOW    x3
        ldr     x0, [x19]
        bl      show
        mov     w2, #0x80
        ldsmaxb w2, w3, [x19]
        SHOW    x3
        ldr     x0, [x19]
        bl      show
        ldumaxb w2, w3, [x19]
        SHOW    x3
        ldr     x0, [x19]
        bl      show
        mov     x2, #-1
        ldsmin  x2, x3, [x19]
        SHOW    x3
        lduminl x2, x3, [x19]
        SHOW    x3
        ldr     x0, [x19]
        bl      show
        ldr     x2, =0x123456789abcdef0
        swpal   x2, x3, [x19]
        SHOW    x3
        swph    w2, w3, [x19]
        SHOW    x3
        ldr     x0, [x19]
        bl      show
        mov     w2, #5
        staddb  w2, [x19]
        ldr     x0, [x19]
        bl      show
        // CAS
        ldr     x4, [x19]
        mov     x5, #0x77
        mov     x6, x4
        cas     x6, x5, [x19]           // matches: stores, x6 = old
        SHOW    x6
        mov     x6, #1
        casal   x6, x5, [x19]           // no match: x6 = current
        SHOW    x6
        ldr     x0, [x19]
        bl      show
        mov     w6, #0x77
        mov     w7, #0x99
        casb    w6, w7, [x19]
        SHOW    x6
        ldr     x0, [x19]
        bl      show
        add     x20, x19, #16
        ldr     x1, =0x1111111122222222
        ldr     x2, =0x3333333344444444
        stp     x1, x2, [x20]
        mov     x4, x1
        mov     x5, x2
        mov     x6, #0xa
        mov     x7, #0xb
        casp    x4, x5, x6, x7, [x20]
        SHOW    x4
        ldp     x0, x1, [x20]
        bl      show
        SHOW    x1
        mov     w4, #0xa
        mov     w5, #0
        mov     w6, #0xc
        mov     w7, #0xd
        caspa   w4, w5, w6, w7, [x20]
        SHOW    x4
        SHOW    x5
        ldr     x0, [x20]
        bl      show
        // CRC32
        ldr     x1, =0x0123456789abcdef
        mov     w0, #0xffffffff
        crc32b  w0, w0, w1
        bl      show
        crc32h  w0, w0, w1
        bl      show
        crc32w  w0, w0, w1
        bl      show
        crc32x  w0, w0, x1
        bl      show
        crc32cx w0, w0, x1
        bl      show
        crc32cb w0, w0, w1
        bl      show
        ldp     x19, x20, [sp], #16
        ldp     x29, x30, [sp], #16
        ret
        .data
        .balign 16
data:   .space  64
