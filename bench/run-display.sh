#!/bin/bash
# run-display.sh - display benchmark: VNC frame rate and bytes for a full-screen text scroll, and
# the CPU the display path costs while the guest is idle, for Debian's QEMU and for jqemu.
#
# Usage: bench/run-display.sh [-j JQEMU] [-q QEMU] [-s SECONDS] [-o RESULTS.md]
#   -j  jqemu launcher (default: ./jqemu at the top of this repository)
#   -q  QEMU binary (default: qemu-system-i386)
#   -s  seconds per measurement (default 20)
#   -o  report file; the "Display benchmark" section is replaced (default: bench/RESULTS.md)
#
# Guest: bench/guests/textscroll.asm (multiboot, -kernel), which scrolls the VGA text screen as
# fast as it can; its IDLE build draws one screen and halts. The client is bench/VncBench.java:
# RFB 3.8, encodings ZRLE, CopyRect, Raw, one incremental update request always outstanding.
# Idle CPU = user + system time of the emulator process per second of wall time, first with no
# VNC client, then with one connected and polling.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
jqemu="$top/jqemu"
qemu=qemu-system-i386
secs=20
out="$here/RESULTS.md"
while getopts j:q:s:o: opt; do
    case $opt in
        j) jqemu=$OPTARG ;;
        q) qemu=$OPTARG ;;
        s) secs=$OPTARG ;;
        o) out=$OPTARG ;;
        *) sed -n '2,17p' "$0"; exit 2 ;;
    esac
done
java=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java
work=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
nasm -f bin -o "$work/scroll.bin" "$here/guests/textscroll.asm" || exit 1
nasm -f bin -DIDLE -o "$work/idle.bin" "$here/guests/textscroll.asm" || exit 1
display=$((60 + $$ % 30))
port=$((5900 + display))

start() {  # start EMULATOR GUEST: runs it in the background with a VNC server, sets $pid
    "$1" -machine pc -m 128 -display none -vnc "127.0.0.1:$display" -kernel "$2" >"$work/emu.log" 2>&1 &
    pid=$!
    for _ in $(seq 300); do
        (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && return 0
        sleep 0.1
    done
    echo "run-display.sh: $1 did not open port $port" >&2; cat "$work/emu.log" >&2; return 1
}
stop() { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; pid=; }
cpu() {  # cpu PID: user + system clock ticks of the process (all threads)
    awk '{print $14 + $15}' "/proc/$1/stat"
}
hz=$(getconf CLK_TCK)

declare -A res
for emu in qemu jqemu; do
    bin=$qemu; [ $emu = jqemu ] && bin=$jqemu
    start "$bin" "$work/scroll.bin" || exit 1
    sleep 5  # jqemu's JIT warms up
    res[$emu.scroll]=$("$java" "$here/VncBench.java" 127.0.0.1 $port "$secs")
    stop
    start "$bin" "$work/idle.bin" || exit 1
    sleep 8
    c0=$(cpu "$pid"); sleep "$secs"; c1=$(cpu "$pid")
    res[$emu.idle]=$(awk -v a="$c0" -v b="$c1" -v hz="$hz" -v s="$secs" 'BEGIN{printf "%.1f", 100 * (b - a) / hz / s}')
    "$java" "$here/VncBench.java" 127.0.0.1 $port 3600 >/dev/null 2>&1 &
    client=$!
    sleep 4
    c0=$(cpu "$pid"); sleep "$secs"; c1=$(cpu "$pid")
    res[$emu.idlevnc]=$(awk -v a="$c0" -v b="$c1" -v hz="$hz" -v s="$secs" 'BEGIN{printf "%.1f", 100 * (b - a) / hz / s}')
    kill $client 2>/dev/null; wait $client 2>/dev/null
    stop
done

field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
section=$(cat <<EOT
# Display benchmark: VNC text scroll and idle display cost, jqemu vs QEMU

Written by \`bench/run-display.sh\` on $(date -u '+%Y-%m-%d %H:%M') UTC; rerun it rather than editing.

- Machine: $(nproc) CPUs; load average $(cut -d' ' -f1-3 /proc/loadavg) after the runs
- QEMU: $($qemu --version | head -1)
- jqemu: commit $(git -C "$top" rev-parse --short HEAD)
- Command line (both): \`-machine pc -m 128 -display none -vnc 127.0.0.1:N -kernel GUEST\`
- Guest: bench/guests/textscroll.asm, a full-screen 80x25 text scroll (one line, then a short
  spin without device accesses, repeated; the scroll rate differs between the emulators);
  client bench/VncBench.java (ZRLE, CopyRect, Raw; one incremental request outstanding), ${secs} s.
- Updates per second count frames with changes; bytes include RFB headers. A load average far
  above the CPU count (other jobs) lowers both frame rates.
- Idle: the IDLE build of the guest (one screen, then halted); CPU = process user + system time
  per wall second, without and with a VNC client connected.

| | QEMU | jqemu |
|---|---|---|
| scroll: updates per second | $(field "${res[qemu.scroll]}" fps) | $(field "${res[jqemu.scroll]}" fps) |
| scroll: bytes per second | $(awk -v b="$(field "${res[qemu.scroll]}" bytes)" -v s="$(field "${res[qemu.scroll]}" seconds)" 'BEGIN{printf "%d", b/s}') | $(awk -v b="$(field "${res[jqemu.scroll]}" bytes)" -v s="$(field "${res[jqemu.scroll]}" seconds)" 'BEGIN{printf "%d", b/s}') |
| scroll: bytes per update | $(field "${res[qemu.scroll]}" bytes_per_update) | $(field "${res[jqemu.scroll]}" bytes_per_update) |
| scroll: CopyRect rectangles | $(field "${res[qemu.scroll]}" copyrect) | $(field "${res[jqemu.scroll]}" copyrect) |
| idle CPU, no client (% of one core) | ${res[qemu.idle]} | ${res[jqemu.idle]} |
| idle CPU, one VNC client (% of one core) | ${res[qemu.idlevnc]} | ${res[jqemu.idlevnc]} |

Raw client output: QEMU \`${res[qemu.scroll]}\`; jqemu \`${res[jqemu.scroll]}\`.
EOT
)
if [ -f "$out" ] && grep -q '^# Display benchmark' "$out"; then
    awk '/^# Display benchmark/{skip=1; next} /^# /{skip=0} !skip' "$out" > "$work/rest"
else
    cp "$out" "$work/rest" 2>/dev/null || : > "$work/rest"
fi
{ cat "$work/rest"; echo; echo "$section"; } > "$out"
echo "$section"
