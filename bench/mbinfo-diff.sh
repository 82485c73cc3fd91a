#!/bin/bash
# mbinfo-diff.sh - dev-time cross-check of the multiboot loader: boots guests/mbinfo.asm (which
# prints EAX, EBX, the info structure, memory map, command lines and modules) under QEMU and
# jqemu with the same -m/-append/-initrd and diffs the two outputs.
# Usage: bench/mbinfo-diff.sh [-j JQEMU] [-- extra args, e.g. -m 512 -append "a b" -initrd "m1 x,m2"]
set -u
here=$(cd "$(dirname "$0")" && pwd)
jqemu="$here/../jqemu"
if [ "${1:-}" = -j ]; then jqemu=$2; shift 2; fi
[ "${1:-}" = -- ] && shift
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
nasm -f bin -o "$work/mbinfo.bin" "$here/guests/mbinfo.asm" || exit 1
args=(-machine pc -accel tcg -display none -serial stdio -monitor none
      -device isa-debug-exit,iobase=0xf4,iosize=0x04 -kernel mbinfo.bin "$@")
# Run from the guest's folder so both put the same kernel path in the command line.
cd "$work" || exit 1
timeout 60 qemu-system-i386 "${args[@]}" </dev/null 2>&1 | tr -d '\r' | sed -n '/^eax=/,/^end$/p' >qemu.txt
timeout 120 "$jqemu" "${args[@]}" </dev/null 2>&1 | tr -d '\r' | sed -n '/^eax=/,/^end$/p' >jqemu.txt
if diff -u qemu.txt jqemu.txt; then
    echo "mbinfo-diff: identical ($(wc -l <qemu.txt) lines)"
else
    exit 1
fi
