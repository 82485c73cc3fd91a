#!/bin/sh
# run-qemu.sh KERNEL [extra qemu args] - run one program on Debian's qemu-system-i386,
# serial output to stdout, exit status = QEMU's (1 = PASS, 3 = FAIL, other = crash/timeout).
k=${1:?usage: run-qemu.sh KERNEL [qemu args]}; shift
tmp=$(mktemp)
timeout 60 qemu-system-i386 -machine pc -m 128 -display none -monitor none -no-reboot \
    -serial file:"$tmp" -device isa-debug-exit,iobase=0xf4,iosize=0x04 -kernel "$k" "$@"
rc=$?
cat "$tmp"; rm -f "$tmp"
exit $rc
