#!/usr/bin/env bash
# Runs a command with a real /dev/kvm, on hosts that have none: boots Debian's amd64 kernel under
# Debian's QEMU (TCG, "-cpu max" emulates AMD SVM with nested paging), loads kvm-amd in there,
# shares the host's root read-only and a work folder read-write over virtio-9p, chroots into the
# host root and runs the command. The default command is inside.sh: jqemu's kvm checks through
# the real ioctls — KvmSmoke (a bare machine), the pc board with a small multiboot guest
# (tests/kvm/guest/pc-smoke.asm) and the Debian amd64 guest booting to its shell marker.
#
#   tests/kvm/nested/run.sh [--timeout S] [--no-build] [--stages "smoke pc linux"] [-- COMMAND...]
#
# COMMAND runs in the host's root (read-only) as root, with HOME and the current directory set to
# the work folder. Its output and exit status come back on stdout; the script exits with them.
# Cache (kernel, busybox, initramfs): ${JQEMU_KVM_CACHE:-$HOME/.cache/jqemu/kvm-nested}.
# Work folder: ${JQEMU_KVM_WORK:-<cache>/work} (no commas in the path: -virtfs syntax).
# Build output used for the default command: -Djqemu.out=${JQEMU_OUT:-target-nested}.
# The Linux guest comes from tests/guests/build-guest.sh amd64 (~/.cache/jqemu/guests/amd64).
# Takes minutes here (boot ~15 s, the rest is the JVM and the guests inside the nested VM under TCG);
# see tests/kvm/README.md for measured times.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../../.." && pwd)
CACHE=${JQEMU_KVM_CACHE:-${HOME:?}/.cache/jqemu/kvm-nested}
WORK=${JQEMU_KVM_WORK:-$CACHE/work}
OUT=${JQEMU_OUT:-target-nested}
TIMEOUT=3600
BUILD=1
STAGES="smoke pc linux"
while [ $# -gt 0 ]; do
    case $1 in
        --timeout) TIMEOUT=$2; shift 2 ;;
        --no-build) BUILD=0; shift ;;
        --stages) STAGES=$2; shift 2 ;;
        --) shift; break ;;
        -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
log() { echo "kvm-nested: $*" >&2; }
die() { echo "kvm-nested: error: $*" >&2; exit 1; }
case $WORK in *,*) die "the work folder path may not contain a comma: $WORK" ;; esac
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 not found (apt-get install qemu-system-x86)"
mkdir -p "$CACHE/debs" "$WORK/tmp"

# --- Debian's kernel and busybox -------------------------------------------------------------
kpkg=$(apt-cache depends linux-image-amd64 | sed -n 's/^ *Depends: *\(linux-image-[0-9][^ ]*\).*/\1/p' | head -n1)
[ -n "$kpkg" ] || die "cannot resolve linux-image-amd64 (apt-get update?)"
fetch() {
    local pkg=$1 f
    f=$(ls "$CACHE/debs/${pkg}_"*.deb 2>/dev/null | head -n1 || true)
    if [ -z "$f" ]; then
        log "downloading $pkg"
        local opts=(-q)
        [ "$(id -u)" -ne 0 ] || opts+=(-oAPT::Sandbox::User=root)
        (cd "$CACHE/debs" && apt-get "${opts[@]}" download "$pkg") >&2 || die "apt-get download $pkg failed"
        f=$(ls "$CACHE/debs/${pkg}_"*.deb | head -n1)
    fi
    echo "$f"
}
kdeb=$(fetch "$kpkg")
bdeb=$(fetch busybox-static)
kdir="$CACHE/${kpkg}"
if [ ! -d "$kdir/boot" ]; then
    log "extracting $(basename "$kdeb")"
    rm -rf "$kdir.tmp" && mkdir -p "$kdir.tmp" && dpkg-deb -x "$kdeb" "$kdir.tmp" && mv "$kdir.tmp" "$kdir"
fi
kver=$(ls "$kdir/lib/modules" | head -n1)
vmlinuz="$kdir/boot/vmlinuz-$kver"

# --- initramfs: busybox, the kvm and 9p modules in load order, /init -----------------------
initrd="$CACHE/initrd-$kver.cpio"
if [ ! -s "$initrd" ] || [ "$HERE/run.sh" -nt "$initrd" ]; then
    log "building the initramfs for $kver"
    root=$(mktemp -d "$CACHE/.root.XXXXXX")
    trap 'rm -rf "$root"' EXIT
    dpkg-deb -x "$bdeb" "$root/bb"
    mkdir -p "$root/bin" "$root/proc" "$root/sys" "$root/dev" "$root/mnt" "$root/mods"
    cp "$root/bb/bin/busybox" "$root/bin/busybox" && rm -rf "$root/bb"
    mdir="$kdir/lib/modules/$kver"
    # Modules the nested VM needs, dependencies first (modinfo "depends=" closure).
    declare -A seen=()
    order=()
    add_mod() {
        local name=${1//-/_} f deps d
        [ -z "${seen[$name]:-}" ] || return 0
        seen[$name]=1
        f=$(find "$mdir/kernel" -name "$name.ko*" -o -name "${1//_/-}.ko*" | head -n1)
        if [ -z "$f" ]; then
            grep -q "/$name.ko" "$mdir/modules.builtin" 2>/dev/null && return 0
            die "module $name not found in $kpkg"
        fi
        deps=$(case $f in *.xz) xz -dc "$f" ;; *.zst) zstd -dcq "$f" ;; *) cat "$f" ;; esac |
               tr '\0' '\n' | sed -n 's/^depends=//p' | head -n1)
        for d in ${deps//,/ }; do add_mod "$d"; done
        case $f in
            *.xz) xz -dc "$f" > "$root/mods/$name.ko" ;;
            *.zst) zstd -dcq "$f" > "$root/mods/$name.ko" ;;
            *) cp "$f" "$root/mods/$name.ko" ;;
        esac
        order+=("$name")
    }
    for m in virtio virtio_ring virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci \
             netfs fscache 9pnet 9pnet_virtio 9p irqbypass kvm ccp kvm_amd; do
        add_mod "$m"
    done
    printf '%s\n' "${order[@]}" > "$root/mods/order"
    cat > "$root/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for m in $(cat /mods/order); do insmod /mods/$m.ko 2>/dev/null || echo "NESTED: insmod $m failed"; done
work=$(sed -n 's/.*jqemu.work=\([^ ]*\).*/\1/p' /proc/cmdline)
if [ ! -c /dev/kvm ]; then echo "NESTED: no /dev/kvm"; dmesg | grep -i -E 'kvm|svm' | tail -5; fi
mount -t 9p -o ro,trans=virtio,version=9p2000.L,msize=512000 hostroot /mnt || echo "NESTED: 9p hostroot failed"
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 work "/mnt$work" || echo "NESTED: 9p work failed"
mount -t proc proc /mnt/proc
mount -t sysfs sysfs /mnt/sys
mount -t devtmpfs devtmpfs /mnt/dev
echo "NESTED-READY $(uname -r) cpus=$(nproc) kvm=$([ -c /dev/kvm ] && echo yes || echo no)"
chroot /mnt /bin/sh -c "cd '$work' && HOME='$work' TMPDIR='$work/tmp' sh ./nested-cmd.sh" 
echo "NESTED-EXIT $?"
sync
poweroff -f
INIT
    chmod 755 "$root/init"
    python3 - "$root" "$initrd" <<'PY'
import os, sys, stat
root, out = sys.argv[1], sys.argv[2]
ino = 1
def entry(f, name, mode, data=b"", nlink=1):
    global ino
    n = name.encode() + b"\0"
    hdr = "070701%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x" % (
        ino, mode, 0, 0, nlink, 0, len(data), 0, 0, 0, 0, len(n), 0)
    ino += 1
    f.write(hdr.encode() + n)
    f.write(b"\0" * ((4 - (110 + len(n)) % 4) % 4))
    f.write(data)
    f.write(b"\0" * ((4 - len(data) % 4) % 4))
with open(out, "wb") as f:
    for d, dirs, files in os.walk(root):
        dirs.sort()
        rel = os.path.relpath(d, root)
        if rel != ".":
            entry(f, rel, stat.S_IFDIR | 0o755, nlink=2)
        for name in sorted(files):
            p = os.path.join(d, name)
            r = os.path.normpath(os.path.join(rel, name))
            entry(f, r, stat.S_IFREG | (os.stat(p).st_mode & 0o777), open(p, "rb").read())
    entry(f, "TRAILER!!!", 0)
PY
    rm -rf "$root"
    trap - EXIT
fi

# --- the command ------------------------------------------------------------------------------
if [ $# -gt 0 ]; then
    printf '%q ' "$@" > "$WORK/nested-cmd.sh"
    echo >> "$WORK/nested-cmd.sh"
else
    export JAVA_HOME=${JAVA_HOME:-$("$REPO/scripts/find-jdk.sh" 2>/dev/null || echo /usr/lib/jvm/temurin-25-jdk-amd64)}
    if [ "$BUILD" = 1 ]; then
        log "building jqemu (dist layout and test classes; -Djqemu.out=$OUT)"
        (cd "$REPO" && mvn -B -q -ntp -Djqemu.out="$OUT" -DskipTests package -pl dist -am) >&2 ||
            die "the build failed"
    fi
    case " $STAGES " in
        *" linux "*) [ -s "$HOME/.cache/jqemu/guests/amd64/vmlinuz" ] ||
            die "no amd64 guest: run tests/guests/build-guest.sh amd64 first" ;;
    esac
    nasm -f bin -I "$REPO/tests/programs/x86/" -o "$WORK/pc-smoke.bin" "$REPO/tests/kvm/guest/pc-smoke.asm" ||
        die "nasm failed on pc-smoke.asm"
    cp "$REPO/tests/kvm/guest/pc-smoke.expected" "$WORK/pc-smoke.expected"
    cat > "$WORK/nested-cmd.sh" <<CMD
ls -l /dev/kvm
JAVA_HOME='$JAVA_HOME' JQEMU_GUEST_DIR='$HOME/.cache/jqemu/guests/amd64' \\
    sh '$REPO/tests/kvm/nested/inside.sh' '$REPO' '$OUT' '$WORK' $STAGES
CMD
fi

# --- boot -------------------------------------------------------------------------------------
log "booting $kver under qemu-system-x86_64 -accel tcg -cpu max (timeout ${TIMEOUT}s)"
start=$(date +%s)
status=125
while IFS= read -r line; do
    line=${line%$'\r'}
    case $line in
        NESTED-EXIT\ *) status=${line#NESTED-EXIT }; echo "$line" ;;
        NESTED*|kvm-*|"  |"*|"  !"*) echo "$line" ;;
        *) [ -z "${JQEMU_KVM_VERBOSE:-}" ] || echo "$line" ;;
    esac
    echo "$line" >> "$WORK/console.log"
done < <(: > "$WORK/console.log"; timeout "$TIMEOUT" qemu-system-x86_64 -accel tcg -cpu max -m 4096 -smp 2 \
    -kernel "$vmlinuz" -initrd "$initrd" -append "console=ttyS0 quiet jqemu.work=$WORK" \
    -nographic -no-reboot -nodefaults -serial stdio \
    -virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap" \
    -virtfs "local,path=$WORK,mount_tag=work,security_model=none,multidevs=remap" </dev/null 2>&1)
log "finished in $(( $(date +%s) - start )) s with status $status (console: $WORK/console.log)"
exit "$status"
