#!/bin/sh
# build.sh OUTDIR - assemble every arm64 guest test program into OUTDIR/<name>.elf
# (aarch64-linux-gnu-as/ld from binutils-aarch64-linux-gnu).
set -e
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: build.sh OUTDIR}
mkdir -p "$out"
aarch64-linux-gnu-as -o "$out/common.o" "$here/common.S"
for src in "$here"/*.S; do
    name=$(basename "$src" .S)
    [ "$name" = common ] && continue
    aarch64-linux-gnu-as -I "$here" -o "$out/$name.o" "$src"
    aarch64-linux-gnu-ld --no-warn-rwx-segments -T "$here/link.ld" -o "$out/$name.elf" "$out/common.o" "$out/$name.o"
    rm -f "$out/$name.o"
done
rm -f "$out/common.o"
