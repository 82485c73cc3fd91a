#!/bin/sh
# build.sh OUTDIR - assemble every x86 guest test program into OUTDIR/<name>.bin (nasm only).
# elf.asm is additionally linked as an ELF32 kernel (OUTDIR/elf.elf) when GNU ld is available.
set -e
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: build.sh OUTDIR}
mkdir -p "$out"
for src in "$here"/*.asm; do
    name=$(basename "$src" .asm)
    case $name in elf) continue ;; esac
    nasm -f bin -I "$here/" -o "$out/$name.bin" "$src"
done
if [ -f "$here/elf.asm" ]; then
    if command -v ld >/dev/null 2>&1; then
        nasm -f elf32 -I "$here/" -o "$out/elf.o" "$here/elf.asm"
        ld -m elf_i386 --no-warn-rwx-segments -T "$here/elf.ld" -o "$out/elf.elf" "$out/elf.o"
        rm -f "$out/elf.o"
    else
        echo "build.sh: ld not found, skipping elf.asm" >&2
    fi
fi
