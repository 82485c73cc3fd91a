// Exceptions and the stage-1 MMU: SVC/BRK/UNDEFINED at EL1 with ESR/ELR, 4 KiB-granule tables
// for TTBR0 (39-bit VA, level-1 blocks, a level-3 table with RW/RO/no-AF/EL0/invalid pages)
// and TTBR1 (an alias of RAM at the top of the address space), translation, permission and
// access-flag faults with FAR, AT S1E1R/S1E0R into PAR_EL1, and a trip to EL0 and back.
        .include "macros.inc"
        .text
        .global main
main:   stp     x29, x30, [sp, #-16]!
        stp     x19, x20, [sp, #-16]!
        adr     x0, vectors
        msr     vbar_el1, x0
        isb
        mrs     x0, currentel
        bl      show
        svc     #0x42
        brk     #7
        .word   0x00000000              // permanently undefined
        hvc     #0x99                   // PSCI: unknown function -> NOT_SUPPORTED in x0
        bl      show
        // page tables
        adr     x19, l1_ttbr0
        ldr     x1, =0x00000000 | 0x401 // block 0 GiB: device (AttrIndx 0), AF
        str     x1, [x19]
        ldr     x1, =0x40000000 | 0x705 // block 1 GiB: RAM, normal (AttrIndx 1), inner shareable, AF
        str     x1, [x19, #8]
        adr     x2, l2_table
        orr     x1, x2, #3
        str     x1, [x19, #16]          // 2..3 GiB -> level 2
        adr     x3, l3_table
        orr     x1, x3, #3
        str     x1, [x2]                // first 2 MiB -> level 3
        adr     x4, data_pages
        ldr     x5, =0x705 | 2          // page, normal, AF, EL1 RW
        orr     x1, x4, x5
        str     x1, [x3]                // page 0: EL1 RW
        add     x1, x1, #4096
        orr     x1, x1, #(2 << 6)       // page 1: read-only
        str     x1, [x3, #8]
        add     x1, x4, #8192
        ldr     x6, =0x305 | 2          // no access flag
        orr     x1, x1, x6
        str     x1, [x3, #16]           // page 2
        add     x1, x4, #12288
        orr     x1, x1, x5
        orr     x1, x1, #(1 << 6)       // page 3: EL0 RW
        str     x1, [x3, #24]
        adr     x1, el0_page
        orr     x1, x1, x5
        orr     x1, x1, #(3 << 6)       // page 5: EL0 code, read-only everywhere
        orr     x1, x1, #(1 << 53)      // PXN
        str     x1, [x3, #40]
        adr     x7, l1_ttbr1
        ldr     x1, =0x40000000 | 0x705
        str     x1, [x7]                // upper VA 0xffffff8000000000 -> RAM
        ldr     x1, =0xff00             // MAIR: attr0 device nGnRnE, attr1 normal WB
        msr     mair_el1, x1
        ldr     x1, =0x1b5193519         // T0SZ=T1SZ=25, TG1 4K, IPS 36 bits, WB cacheable, inner shareable
        msr     tcr_el1, x1
        msr     ttbr0_el1, x19
        msr     ttbr1_el1, x7
        isb
        mrs     x1, sctlr_el1
        orr     x1, x1, #1
        msr     sctlr_el1, x1
        isb
        adr     x0, msg_on
        bl      puts
        // translated accesses
        ldr     x20, =0x80000000
        ldr     x1, =0x1122334455667788
        str     x1, [x20]
        ldr     x0, [x4]                // same bytes through the identity map
        bl      show
        ldr     x8, =0xffffff8000000000
        ldr     x9, =0x40000000
        sub     x9, x4, x9
        add     x8, x8, x9
        ldr     x0, [x8]                // and through TTBR1
        bl      show
        add     x9, x20, #4096
        ldr     x1, [x9]                // read-only page: reading works
        str     x1, [x9]                // writing faults
        add     x9, x20, #8192
        ldr     x1, [x9]                // access flag fault
        add     x9, x20, #16384
        ldr     x1, [x9]                // invalid page: translation fault level 3
        ldr     x9, =0xc0000000
        ldr     x1, [x9]                // level 1 entry 3 invalid
        ldr     x9, =0x0000800000000000
        ldr     x1, [x9]                // outside the 39-bit TTBR0 range
        at      s1e1r, x20
        mrs     x0, par_el1
        bl      show
        add     x9, x20, #16384
        at      s1e1r, x9
        mrs     x0, par_el1
        bl      show
        at      s1e0r, x20
        mrs     x0, par_el1
        bl      show
        add     x9, x20, #4096
        at      s1e1w, x9
        mrs     x0, par_el1
        bl      show
        // EL0
        adr     x0, msg_el0
        bl      puts
        adr     x1, el1_resume
        adr     x9, resume_addr
        str     x1, [x9]
        ldr     x1, =0x80005000
        adr     x9, el0_page
        adr     x10, el0_code
        sub     x10, x10, x9
        add     x1, x1, x10
        msr     elr_el1, x1
        msr     spsr_el1, xzr           // EL0t, interrupts unmasked
        ldr     x2, =0x80003000         // EL0 RW page
        mov     x3, x20                 // EL1-only page
        ldr     x1, =0xabcdef
        msr     tpidrro_el0, x1
        mov     x1, sp
        msr     sp_el0, x1
        eret
el1_resume:
        adr     x0, msg_back
        bl      puts
        mrs     x0, currentel
        bl      show
        add     x9, x20, #12288
        ldr     x0, [x9]                // what EL0 stored
        bl      show
        mrs     x1, sctlr_el1
        bic     x1, x1, #1
        msr     sctlr_el1, x1
        isb
        ldp     x19, x20, [sp], #16
        ldp     x29, x30, [sp], #16
        ret

// --- exception handlers -----------------------------------------------------------------
sync_same:
        stp     x0, x30, [sp, #-16]!
        mov     w0, #'S'
        bl      putc
        mrs     x0, esr_el1
        bl      show
        mrs     x0, esr_el1
        lsr     x0, x0, #26
        cmp     x0, #0x25
        b.ne    1f
        mrs     x0, far_el1
        bl      show
1:      mrs     x0, elr_el1
        adr     x1, main
        sub     x0, x0, x1
        bl      show
        mrs     x0, esr_el1
        lsr     x0, x0, #26
        cmp     x0, #0x15               // SVC returns past itself already
        b.eq    2f
        mrs     x0, elr_el1
        add     x0, x0, #4
        msr     elr_el1, x0
2:      ldp     x0, x30, [sp], #16
        eret

sync_lower:
        stp     x0, x30, [sp, #-16]!
        mov     w0, #'L'
        bl      putc
        mrs     x0, esr_el1
        bl      show
        mrs     x0, esr_el1
        lsr     x0, x0, #26
        cmp     x0, #0x15
        b.eq    2f
        cmp     x0, #0x24
        b.ne    1f
        mrs     x0, far_el1
        bl      show
1:      mrs     x0, elr_el1
        add     x0, x0, #4
        msr     elr_el1, x0
        ldp     x0, x30, [sp], #16
        eret
2:      mov     x0, x4                  // value EL0 read from TPIDRRO_EL0
        bl      show
        mrs     x0, spsr_el1
        bl      show
        adr     x0, resume_addr
        ldr     x0, [x0]
        msr     elr_el1, x0
        mov     x0, #0x3c5              // EL1h, DAIF masked
        msr     spsr_el1, x0
        ldp     x0, x30, [sp], #16
        eret

unexpected:
        adr     x0, msg_unexp
        bl      puts
        b       exit

        .balign 2048
vectors:
        .rept   4
        b       unexpected
        .balign 128
        .endr
        b       sync_same               // 0x200: current EL, SPx, synchronous
        .balign 128
        .rept   3
        b       unexpected
        .balign 128
        .endr
        b       sync_lower              // 0x400: lower EL, AArch64, synchronous
        .balign 128
        .rept   7
        b       unexpected
        .balign 128
        .endr

        .balign 4096
el0_page:
        nop
el0_code:
        ldr     x1, [x2]
        add     x1, x1, #0x55
        str     x1, [x2]
        ldr     x1, [x3]                // EL1-only: data abort from EL0
        mrs     x1, midr_el1            // UNDEFINED at EL0
        mrs     x4, tpidrro_el0
        mrs     x5, currentel           // UNDEFINED at EL0
        svc     #0xff
        b       .
        .balign 4096

msg_on:    .asciz "mmu on\n"
msg_el0:   .asciz "to el0\n"
msg_back:  .asciz "back at el1\n"
msg_unexp: .asciz "unexpected exception\n"

        .data
        .balign 8
resume_addr: .quad 0
        .bss
        .balign 4096
l1_ttbr0:   .space 4096
l1_ttbr1:   .space 4096
l2_table:   .space 4096
l3_table:   .space 4096
data_pages: .space 4 * 4096
