#!/bin/bash
# run-cpu.sh - CPU-bound benchmark: the same guest under Debian's QEMU (TCG) and under jqemu.
#
# Usage: bench/run-cpu.sh [-n REPS] [-j JQEMU] [-q QEMU] [-t TIMEOUT_S] [-o RESULTS.md]
#   -n  repetitions per emulator and guest (default 3; medians are reported)
#   -j  jqemu launcher (default: ./jqemu at the top of this repository)
#   -q  QEMU binary (default: qemu-system-i386)
#   -t  seconds after which one run is killed and counted as failed (default 900)
#   -o  report file (default: bench/RESULTS.md)
# Environment: DATA_SIZE, SIEVE_LIMIT change the workload (see guests/cpubench.asm).
#
# Both emulators get the same command line. Runs alternate QEMU, jqemu, so drifting machine load
# hits both alike. Wall time includes process start-up; the "startup" guest (no work) measures
# that part on its own. CPU time (user + system of the process and its threads) is reported
# next to wall time because it is less disturbed by other load on the machine. Both emulators
# must print the same result line, or the run fails.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
reps=3
jqemu="$top/jqemu"
qemu=qemu-system-i386
limit=900
out="$here/RESULTS.md"
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
data_size=${DATA_SIZE:-16777216}
sieve_limit=${SIEVE_LIMIT:-4000000}

need() {  # need COMMAND PACKAGE: install the Debian package when the command is missing
    command -v "$1" >/dev/null 2>&1 && return
    echo "run-cpu.sh: $1 missing, installing $2" >&2
    if [ "$(id -u)" = 0 ]; then apt-get install -y "$2" >&2; else sudo apt-get install -y "$2" >&2; fi
}
need nasm nasm
need "$qemu" qemu-system-x86

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
nasm -f bin -DDATA_SIZE="$data_size" -DSIEVE_LIMIT="$sieve_limit" -o "$work/cpubench.bin" "$here/guests/cpubench.asm" || exit 1
nasm -f bin -DDATA_SIZE=0 -DSIEVE_LIMIT=0 -o "$work/startup.bin" "$here/guests/cpubench.asm" || exit 1

args=(-machine pc -accel tcg -nographic -device isa-debug-exit,iobase=0xf4,iosize=0x04)

# run NAME BINARY GUEST -> prints "WALL CPU RESULT" (seconds) or fails
run() {
    local name=$1 bin=$2 guest=$3 log="$work/$1.log" status result wall user sys
    local TIMEFORMAT='%R %U %S'
    { time { timeout -k 5 "$limit" "$bin" "${args[@]}" -kernel "$guest" </dev/null >"$log" 2>&1
             echo $? >"$work/status"; }; } 2>"$work/time"
    status=$(cat "$work/status")
    read -r wall user sys <"$work/time"
    result=$(tr -d '\r' <"$log" | grep -ao 'crc32=[0-9a-f]\{8\} primes=[0-9]*' | tail -n 1)
    # isa-debug-exit: the guest writes 0, the emulator exits with (0 << 1) | 1 = 1.
    if [ "$status" != 1 ] || [ -z "$result" ]; then
        echo "run-cpu.sh: $name on $(basename "$guest") failed (exit status $status); last output:" >&2
        tail -c 600 "$log" >&2; echo >&2
        return 1
    fi
    echo "$wall $(awk -v u="$user" -v s="$sys" 'BEGIN {printf "%.3f", u + s}') $result"
}

median() {  # of the numbers in $1; nothing for an empty list
    echo "$1" | tr ' ' '\n' | grep . | sort -n |
        awk '{v[NR]=$1} END {if (NR == 0) exit; if (NR%2) printf "%.2f", v[(NR+1)/2]; else printf "%.2f", (v[NR/2]+v[NR/2+1])/2}'
}

ratio() { [ -n "$1" ] && [ -n "$2" ] && awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1f", a / b}' || echo -; }

declare -A wall cpu results dead
failures=()
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for guest in startup cpubench; do
    for ((i = 1; i <= reps; i++)); do
        for name in qemu jqemu; do
            [ -n "${dead[$name]:-}" ] && continue
            bin=$qemu; [ $name = jqemu ] && bin=$jqemu
            if line=$(run "$name" "$bin" "$work/$guest.bin"); then
                read -r w c r <<<"$line"
                wall[$name.$guest]+="$w "
                cpu[$name.$guest]+="$c "
                results[$name.$guest]=$r
                echo "run-cpu.sh: $guest $name #$i: wall $w s, cpu $c s, $r" >&2
            else
                failures+=("$name on $guest")
                dead[$name]=1
            fi
        done
    done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

cpu_model=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
qemu_version=$("$qemu" --version | head -n 1)
java_version=$(/usr/lib/jvm/temurin-25-jdk-amd64/bin/java -version 2>&1 | head -n 1)
rev=$(git -C "$top" rev-parse --short HEAD 2>/dev/null)
# run-boot.sh keeps its own section in the same report: carry it over.
boot_section=$(awk '/<!-- run-boot.sh begin -->/,/<!-- run-boot.sh end -->/' "$out" 2>/dev/null)
{
    echo "# CPU benchmark: jqemu vs QEMU TCG"
    echo
    echo "Written by \`bench/run-cpu.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC'); rerun it rather than editing."
    echo
    echo "- Machine: $cpu_model, $(nproc) CPUs (nproc); load average $load_before before, $load_after after"
    echo "- QEMU: $qemu_version"
    echo "- jqemu: commit $rev, $java_version"
    echo "- Command line (both): \`${args[*]} -kernel GUEST\`"
    echo "- Guest \`cpubench\` (bench/guests/cpubench.asm): xorshift32 fill of $data_size bytes, bitwise"
    echo "  CRC-32 over them, sieve of Eratosthenes below $sieve_limit. \`startup\`: the same program with"
    echo "  no work (boot, print, exit)."
    echo "- Medians of $reps runs each, QEMU and jqemu alternating. Wall = elapsed time of the whole"
    echo "  process; CPU = its user + system time over all threads (JIT and GC threads included)."
    echo
    echo "| guest | QEMU wall (s) | jqemu wall (s) | wall ratio | QEMU CPU (s) | jqemu CPU (s) | CPU ratio | result |"
    echo "|---|---|---|---|---|---|---|---|"
    for guest in startup cpubench; do
        qw=$(median "${wall[qemu.$guest]:-}"); jw=$(median "${wall[jqemu.$guest]:-}")
        qc=$(median "${cpu[qemu.$guest]:-}"); jc=$(median "${cpu[jqemu.$guest]:-}")
        res=${results[qemu.$guest]:-}
        if [ -n "${results[jqemu.$guest]:-}" ] && [ "${results[jqemu.$guest]}" != "$res" ]; then
            res="QEMU: $res, jqemu: ${results[jqemu.$guest]} (MISMATCH)"
            failures+=("result mismatch on $guest")
        fi
        echo "| $guest | ${qw:-failed} | ${jw:-failed} | $(ratio "$jw" "$qw") | ${qc:-failed} | ${jc:-failed} | $(ratio "$jc" "$qc") | \`$res\` |"
        eval "${guest}_qw=\$qw ${guest}_jw=\$jw ${guest}_qc=\$qc ${guest}_jc=\$jc"
    done
    # The work alone: cpubench minus start-up, medians subtracted.
    minus() { [ -n "$1" ] && [ -n "$2" ] && awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a - b}'; }
    qw=$(minus "$cpubench_qw" "$startup_qw"); jw=$(minus "$cpubench_jw" "$startup_jw")
    qc=$(minus "$cpubench_qc" "$startup_qc"); jc=$(minus "$cpubench_jc" "$startup_jc")
    echo "| cpubench − startup | ${qw:--} | ${jw:--} | $(ratio "$jw" "$qw") | ${qc:--} | ${jc:--} | $(ratio "$jc" "$qc") | |"
    echo
    echo "Ratios are jqemu / QEMU (higher = jqemu slower). All runs, wall / CPU seconds:"
    echo
    for key in qemu.startup jqemu.startup qemu.cpubench jqemu.cpubench; do
        echo "- $key: wall ${wall[$key]:-none}/ CPU ${cpu[$key]:-none}"
    done
    if [ ${#failures[@]} -gt 0 ]; then
        echo
        echo "Failures: ${failures[*]}"
    fi
    if [ -n "$boot_section" ]; then
        echo
        echo "$boot_section"
    fi
} >"$out"
cat "$out"
[ ${#failures[@]} -eq 0 ]
