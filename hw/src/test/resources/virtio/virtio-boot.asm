; Boot sector for VirtioBlkSeabiosTest: SeaBIOS loads it from a virtio-blk-pci disk, so
; everything it does through INT 13h goes through SeaBIOS's own virtio driver and our device.
; Prints to the debug console (port 0x402): a start line, the text stored in sector 1 (a read),
; then writes sector 1 back with its first byte changed to sector 2 (a write) and says so,
; and finally writes 0x10 (0x11 on a disk error) to isa-debug-exit's port 0x501.
; nasm -f bin -o virtio-boot.bin virtio-boot.asm
        org 0x7c00
        bits 16
start:  cli
        xor ax, ax
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov sp, 0x7c00
        mov si, started
        call print
        mov ax, 0x0201          ; read 1 sector
        mov cx, 0x0002          ; cylinder 0, sector 2 = LBA 1
        xor dh, dh
        mov dl, 0x80
        mov bx, 0x8000
        int 0x13
        jc fail
        mov si, 0x8000
        call print
        mov byte [0x8000], 'W'
        mov ax, 0x0301          ; write 1 sector
        mov cx, 0x0003          ; LBA 2
        xor dh, dh
        mov dl, 0x80
        mov bx, 0x8000
        int 0x13
        jc fail
        mov si, written
        call print
        mov al, 0x10            ; isa-debug-exit, if present: exit status 0x21
        jmp exit
fail:   mov si, failed
        call print
        mov al, 0x11            ; exit status 0x23
exit:   mov dx, 0x501
        out dx, al
stop:   cli
        hlt
        jmp stop
print:  mov dx, 0x402
.next:  lodsb
        test al, al
        jz .done
        out dx, al
        jmp .next
.done:  ret
started: db "VIRTIO-MBR-START", 10, 0
written: db "VIRTIO-MBR-WRITTEN", 10, 0
failed:  db "VIRTIO-MBR-DISK-FAIL", 10, 0
        times 510-($-$$) db 0
        dw 0xaa55
