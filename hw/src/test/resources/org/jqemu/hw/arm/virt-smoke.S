// A tiny arm64 "kernel" for the virt board test (VirtBoardTest): an Image header, then checks of
// the boot protocol (x0 = DTB), PSCI by HVC, a PL011 interrupt taken through the GICv2, and a
// secondary CPU started with PSCI CPU_ON. It prints one letter per step on the PL011:
//   D  x0 points at a flattened device tree
//   P  PSCI_VERSION says 1.1
//   T  transmitted with the TX interrupt unmasked...
//   I  ...and the interrupt arrived as ID 33 through GICC_IAR
//   S  the secondary CPU ran with its context ID in x0
//   R  first time round: a word in RAM outside the image is set, then PSCI SYSTEM_RESET, after
//      which the whole sequence runs again (RAM keeps its contents over a reset)
//   B  second time round: the machine powers off with SYSTEM_OFF.
// F means a check failed.
        .text
        .globl  _start
_start:
        b       entry                   // code0
        .word   0                       // code1
        .quad   0                       // text_offset
        .quad   image_end - _start      // image_size
        .quad   0                       // flags
        .quad   0, 0, 0                 // res2-res4
        .word   0x644d5241              // "ARM\x64"
        .word   0                       // res5

entry:
        mov     x19, x0
        ldr     x20, =0x09000000        // PL011
        ldr     x21, =0x08000000        // GIC distributor
        ldr     x22, =0x08010000        // GIC CPU interface
        ldr     w1, [x19]
        ldr     w2, =0xedfe0dd0         // d0 0d fe ed, read little-endian
        cmp     w1, w2
        b.ne    fail
        mov     w1, #'D'
        strb    w1, [x20]

        ldr     x0, =0x84000000         // PSCI_VERSION
        hvc     #0
        ldr     x1, =0x10001
        cmp     x0, x1
        b.ne    fail
        mov     w1, #'P'
        strb    w1, [x20]

        adr     x1, vectors
        msr     vbar_el1, x1
        mov     w1, #1
        str     w1, [x21]               // GICD_CTLR: enable
        mov     w1, #0xf0
        str     w1, [x22, #4]           // GICC_PMR
        mov     w1, #1
        str     w1, [x22]               // GICC_CTLR: enable
        mov     w1, #0xa0
        strb    w1, [x21, #0x421]       // GICD_IPRIORITYR, ID 33
        mov     w1, #1
        strb    w1, [x21, #0x821]       // GICD_ITARGETSR, ID 33 -> CPU 0
        mov     w1, #2
        str     w1, [x21, #0x104]       // GICD_ISENABLER1 bit 1 = ID 33
        mov     w1, #(1 << 5)
        str     w1, [x20, #0x38]        // UARTIMSC: TXIM
        mov     w1, #'T'
        strb    w1, [x20]
        msr     daifclr, #2             // unmask IRQ
        adr     x3, irq_seen
1:      ldr     w1, [x3]
        cbz     w1, 1b

        ldr     x0, =0xc4000003         // CPU_ON
        mov     x1, #1                  // MPIDR of CPU 1
        adr     x2, secondary
        mov     x3, #0x55
        hvc     #0
        cbnz    x0, fail
        adr     x3, sec_flag
2:      ldr     w1, [x3]
        cbz     w1, 2b

        ldr     x3, =0x47000000         // beyond the image and the DTB, not reloaded at reset
        ldr     w1, [x3]
        cbnz    w1, 3f
        mov     w1, #1
        str     w1, [x3]
        mov     w1, #'R'
        strb    w1, [x20]
        ldr     x0, =0x84000009         // SYSTEM_RESET
        hvc     #0
        b       fail
3:      mov     w1, #'B'
        strb    w1, [x20]
        ldr     x0, =0x84000008         // SYSTEM_OFF
        hvc     #0
        b       fail

secondary:
        cmp     x0, #0x55
        b.ne    fail
        ldr     x20, =0x09000000
        mov     w1, #'S'
        strb    w1, [x20]
        adr     x3, sec_flag
        mov     w4, #1
        str     w4, [x3]
        ldr     x0, =0x84000002         // CPU_OFF
        hvc     #0
        b       .

irq:
        ldr     w1, [x22, #0xc]         // GICC_IAR
        and     w2, w1, #0x3ff
        cmp     w2, #33
        b.ne    fail
        mov     w3, #(1 << 5)
        str     w3, [x20, #0x44]        // UARTICR: TX
        str     wzr, [x20, #0x38]       // UARTIMSC: nothing
        str     w1, [x22, #0x10]        // GICC_EOIR
        mov     w3, #'I'
        strb    w3, [x20]
        adr     x3, irq_seen
        mov     w4, #1
        str     w4, [x3]
        eret

fail:
        ldr     x20, =0x09000000
        mov     w1, #'F'
        strb    w1, [x20]
        b       .

        .ltorg
        .balign 8
irq_seen:
        .word   0
sec_flag:
        .word   0

        .balign 2048
vectors:
        .rept   5                       // EL1t sync/IRQ/FIQ/SError, EL1h sync
        b       fail
        .balign 128
        .endr
        b       irq                     // EL1h IRQ (vectors + 0x280)
        .balign 128
        .rept   10
        b       fail
        .balign 128
        .endr
image_end:
