#!/usr/bin/env bash
# Boots a guest built by build-guest.sh under Debian's QEMU (TCG) and reports whether it reached
# the marker and powered off, with the boot-to-marker time. A reference for jqemu, not a test.
#
#   tests/guests/qemu-boot.sh [--timeout S] [--log FILE] ARCH [extra QEMU args...]
#   e.g. tests/guests/qemu-boot.sh amd64 -smp 2
#
# Prints one line:  ARCH marker=yes|no poweroff=yes|no marker_s=N total_s=N qemu_cpu_s=N exit=N
# (qemu_cpu_s: user+sys CPU seconds of the whole QEMU run, all vCPU threads together)
# and exits 0 only when the guest reached the marker and powered off with QEMU exit status 0.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TIMEOUT=300
LOG=
while [ $# -gt 0 ]; do
    case $1 in
        --timeout) TIMEOUT=$2; shift 2 ;;
        --log) LOG=$2; shift 2 ;;
        *) break ;;
    esac
done
[ $# -ge 1 ] || { sed -n '2,8p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }
ARCH=$1; shift
dir=$("$HERE/build-guest.sh" "$ARCH")

case $ARCH in
    amd64)   qemu=(qemu-system-x86_64 -machine pc);                  console=ttyS0;    pkg=qemu-system-x86 ;;
    i386)    qemu=(qemu-system-i386 -machine pc);                    console=ttyS0;    pkg=qemu-system-x86 ;;
    arm64)   qemu=(qemu-system-aarch64 -machine virt -cpu cortex-a57); console=ttyAMA0; pkg=qemu-system-arm ;;
    ppc64el) qemu=(qemu-system-ppc64 -machine pseries);              console=hvc0;     pkg=qemu-system-ppc ;;
    s390x)   qemu=(qemu-system-s390x -machine s390-ccw-virtio);      console=ttysclp0; pkg=qemu-system-misc ;;
    *) echo "qemu-boot: unknown architecture $ARCH" >&2; exit 2 ;;
esac
command -v "${qemu[0]}" >/dev/null 2>&1 || { echo "qemu-boot: ${qemu[0]} not found (apt-get install $pkg)" >&2; exit 1; }

LOG=${LOG:-$(mktemp "/tmp/jqemu-guest-$ARCH.XXXXXX.log")}
start=$(date +%s.%N)
marker=no poweroff=no marker_s=- rc=0 cpu_s=0
exec 3< <(timeout "$TIMEOUT" "${qemu[@]}" -accel tcg -m 512 -kernel "$dir/vmlinuz" -initrd "$dir/initrd.gz" \
            -append "console=$console" -nographic -no-reboot "$@" </dev/null 2>&1; rc=$?
            # CPU seconds QEMU used (user+sys): less sensitive to a busy host than wall time.
            # (times must run in this shell, not in a pipeline's subshell, to see QEMU's usage.)
            times > "$LOG.times"
            awk 'NR == 2 { split($1, u, /[ms]/); split($2, s, /[ms]/); print "QEMU-CPU", u[1] * 60 + u[2] + s[1] * 60 + s[2] }' "$LOG.times"
            rm -f "$LOG.times"
            echo "QEMU-EXIT $rc")
while IFS= read -r line <&3; do
    line=${line%$'\r'}
    printf '%s\n' "$line" >> "$LOG"
    case $line in
        *"JQEMU-GUEST-BOOTED $ARCH"*) marker=yes; marker_s=$(awk -v a="$(date +%s.%N)" -v b="$start" "BEGIN{print a-b}") ;;
        *JQEMU-GUEST-POWEROFF-FAILED*) ;;
        *JQEMU-GUEST-POWEROFF*) poweroff=yes ;;
        "QEMU-EXIT "*) rc=${line#QEMU-EXIT } ;;
        "QEMU-CPU "*) cpu_s=${line#QEMU-CPU } ;;
    esac
done
total_s=$(awk -v a="$(date +%s.%N)" -v b="$start" "BEGIN{print a-b}")
printf '%s marker=%s poweroff=%s marker_s=%.1f total_s=%.1f qemu_cpu_s=%.1f exit=%s log=%s\n' \
    "$ARCH" "$marker" "$poweroff" "${marker_s/-/0}" "$total_s" "$cpu_s" "$rc" "$LOG"
[ "$marker" = yes ] && [ "$poweroff" = yes ] && [ "$rc" = 0 ]
