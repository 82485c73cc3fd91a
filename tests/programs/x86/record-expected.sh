#!/bin/sh
# record-expected.sh - dev tool: rebuild every program and re-record NAME.expected from
# Debian's qemu-system-i386 (TCG); longmode from qemu-system-x86_64. Tests never run QEMU; they compare against these files.
# Exit status convention checked here: 1 = PASS (isa-debug-exit 0), triplefault: 0.
set -e
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$here/build.sh" "$work"
cd "$work"                                   # kernels are passed by bare name: QEMU puts
status=0                                     # the kernel path into the multiboot cmdline
for k in *.bin *.elf; do
    [ -f "$k" ] || continue
    name=${k%.*}
    args=""
    want=1
    qemu=qemu-system-i386
    case $name in
        longmode) qemu=qemu-system-x86_64 ;;  # needs a 64-bit CPU (default qemu64)
        mbinfo) args="-append hello-multiboot" ;;
        triplefault) want=0 ;;
    esac
    rm -f out.txt
    set +e
    timeout 60 $qemu -machine pc -m 128 -display none -monitor none -no-reboot \
        -serial file:out.txt -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
        -kernel "$k" $args
    rc=$?
    set -e
    cp out.txt "$here/$name.expected"
    if [ $rc -ne $want ]; then
        echo "record-expected: $name: exit status $rc, expected $want" >&2
        status=1
    else
        echo "$name: ok ($(wc -l < out.txt) lines)"
    fi
done
exit $status
