#!/bin/bash
# run-arm64-boot.sh - boot-to-marker benchmark of the arm64 guest on the virt board: Debian's
# arm64 kernel + busybox initramfs (tests/guests/build-guest.sh) under Debian's
# qemu-system-aarch64 (TCG) and under jqemu, same command line.
#
# Usage: bench/run-arm64-boot.sh [-n REPS] [-j JQEMU] [-q QEMU] [-t TIMEOUT_S] [-o RESULTS.md]
#   -n  repetitions per emulator (default 3; medians are reported)
#   -j  jqemu launcher (default: ./jqemu at the top of this repository)
#   -q  QEMU binary (default: qemu-system-aarch64)
#   -t  seconds after which one run is killed and counted as failed (default 900)
#   -o  report file (default: bench/RESULTS-arm64.md)
#
# "marker" is the time from process start until the guest's /init prints JQEMU-GUEST-BOOTED
# (kernel boot + initramfs unpack), "total" until the emulator exits after the guest's PSCI
# power-off (module loading and shutdown included). Runs alternate QEMU, jqemu.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
reps=3
jqemu="$top/jqemu"
qemu=qemu-system-aarch64
limit=900
out="$here/RESULTS-arm64.md"
while getopts n:j:q:t:o: opt; do
    case $opt in
        n) reps=$OPTARG ;;
        j) jqemu=$OPTARG ;;
        q) qemu=$OPTARG ;;
        t) limit=$OPTARG ;;
        o) out=$OPTARG ;;
        *) sed -n '2,16p' "$0"; exit 2 ;;
    esac
done
command -v "$qemu" >/dev/null 2>&1 || { echo "run-arm64-boot.sh: $qemu missing (apt-get install qemu-system-arm)" >&2; exit 1; }
guest=$(bash "$top/tests/guests/build-guest.sh" --quiet arm64 | tail -n 1) || exit 1

args=(-machine virt -cpu cortex-a57 -m 512 -accel tcg -nographic -no-reboot
      -kernel "$guest/vmlinuz" -initrd "$guest/initrd.gz" -append console=ttyAMA0)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# run NAME BINARY -> prints "MARKER_S TOTAL_S" or fails
run() {
    local name=$1 bin=$2 log="$work/$1.log" start marker end status
    start=$(date +%s.%N)
    rm -f "$work/marker"
    timeout -k 5 "$limit" "$bin" "${args[@]}" </dev/null 2>&1 | while IFS= read -r line; do
        printf '%s\n' "$line" >>"$log"
        case $line in *JQEMU-GUEST-BOOTED*) [ -f "$work/marker" ] || date +%s.%N >"$work/marker" ;; esac
    done
    status=${PIPESTATUS[0]}
    end=$(date +%s.%N)
    if [ "$status" != 0 ] || [ ! -f "$work/marker" ] || ! grep -aq 'reboot: Power down' "$log"; then
        echo "run-arm64-boot.sh: $name failed (exit status $status); last output:" >&2
        tail -c 600 "$log" >&2; echo >&2
        return 1
    fi
    marker=$(cat "$work/marker")
    awk -v s="$start" -v m="$marker" -v e="$end" 'BEGIN {printf "%.2f %.2f\n", m - s, e - s}'
}

median() {
    echo "$1" | tr ' ' '\n' | grep . | sort -n |
        awk '{v[NR]=$1} END {if (NR == 0) exit; if (NR%2) printf "%.2f", v[(NR+1)/2]; else printf "%.2f", (v[NR/2]+v[NR/2+1])/2}'
}
ratio() { [ -n "$1" ] && [ -n "$2" ] && awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1f", a / b}' || echo -; }

declare -A marker total dead
failures=()
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for ((i = 1; i <= reps; i++)); do
    for name in qemu jqemu; do
        [ -n "${dead[$name]:-}" ] && continue
        bin=$qemu; [ $name = jqemu ] && bin=$jqemu
        if line=$(run "$name" "$bin"); then
            read -r m t <<<"$line"
            marker[$name]+="$m "
            total[$name]+="$t "
            echo "run-arm64-boot.sh: $name #$i: marker $m s, total $t s" >&2
        else
            failures+=("$name")
            dead[$name]=1
        fi
    done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

qm=$(median "${marker[qemu]:-}"); jm=$(median "${marker[jqemu]:-}")
qt=$(median "${total[qemu]:-}"); jt=$(median "${total[jqemu]:-}")
{
    echo "# arm64 boot benchmark: jqemu vs QEMU TCG on the virt board"
    echo
    echo "Written by \`bench/run-arm64-boot.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC'); rerun it rather than editing."
    echo
    echo "- Machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) CPUs (nproc); load average $load_before before, $load_after after"
    echo "- QEMU: $("$qemu" --version | head -n 1)"
    echo "- jqemu: commit $(git -C "$top" rev-parse --short HEAD 2>/dev/null), $(/usr/lib/jvm/temurin-25-jdk-amd64/bin/java -version 2>&1 | head -n 1)"
    echo "- Guest: $(grep -E '^(kernel_package|kernel_package_version|busybox_version)=' "$guest/VERSION" | tr '\n' ' ')"
    echo "- Command line (both): \`-machine virt -cpu cortex-a57 -m 512 -accel tcg -nographic -no-reboot -kernel vmlinuz -initrd initrd.gz -append console=ttyAMA0\`"
    echo "- Medians of $reps runs each, QEMU and jqemu alternating; wall-clock seconds from process start."
    echo
    echo "| measure | QEMU (s) | jqemu (s) | ratio |"
    echo "|---|---|---|---|"
    echo "| boot to JQEMU-GUEST-BOOTED | ${qm:--} | ${jm:--} | $(ratio "$jm" "$qm") |"
    echo "| boot, modules, power-off (exit) | ${qt:--} | ${jt:--} | $(ratio "$jt" "$qt") |"
    echo
    echo "Ratios are jqemu / QEMU (higher = jqemu slower). All runs (marker / total):"
    echo
    for name in qemu jqemu; do
        echo "- $name: marker ${marker[$name]:-none} / total ${total[$name]:-none}"
    done
    if [ ${#failures[@]} -gt 0 ]; then
        echo
        echo "Failed: ${failures[*]}"
    fi
} >"$out"
echo "run-arm64-boot.sh: wrote $out" >&2
