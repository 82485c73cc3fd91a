#!/bin/bash
# run-virtio.sh - virtio I/O benchmark: the same Linux guest under Debian's QEMU (TCG) and jqemu.
#
# Usage: bench/run-virtio.sh [-j JQEMU] [-q QEMU] [-t TIMEOUT_S] [-o RESULTS.md] [-n]
#   -j  jqemu launcher (default: ./jqemu at the top of this repository)
#   -q  QEMU binary (default: qemu-system-x86_64)
#   -t  seconds after which one guest run is killed and counted as failed (default 1800)
#   -o  report file to append a section to (default: bench/RESULTS.md); -n prints it only
#
# The guest is tests/guests' amd64 one (Debian kernel + busybox); its /init runs the benchmark
# script given as jqemu.run= on the kernel command line. In the guest, one after the other:
#   disk write  dd if=/dev/zero of=/dev/vda bs=1M count=64 oflag=direct   (virtio-blk, raw file)
#   disk read   dd if=/dev/vda of=/dev/null bs=1M count=64 iflag=direct
#   tcp rx      busybox wget of a 32 MiB file from an HTTP server on the host (host -> guest)
#   tcp tx      the host's curl fetches a 32 MiB file from busybox httpd in the guest (guest -> host)
# Both emulators get the same devices: virtio-blk-pci on a raw image and virtio-net-pci on
# -nic user with a hostfwd; QEMU's user networking is libslirp inside QEMU, jqemu's is a
# passt process it starts (QEMU 7.2's -netdev stream to passt got no frames back here, so the
# user-mode stacks differ). Phases are timed on the
# host from the guest's serial console lines (each line is stamped when it arrives), not by the
# guest's clock; tcp tx is curl's own time_total. Networking reaches only this machine.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
jqemu="$top/jqemu"
qemu=qemu-system-x86_64
limit=1800
out="$here/RESULTS.md"
print_only=0
while getopts j:q:t:o:n opt; do
    case $opt in
        j) jqemu=$OPTARG ;;
        q) qemu=$OPTARG ;;
        t) limit=$OPTARG ;;
        o) out=$OPTARG ;;
        n) print_only=1 ;;
        *) sed -n "2,22p" "$0"; exit 2 ;;
    esac
done

need() {  # need COMMAND PACKAGE: install the Debian package when the command is missing
    command -v "$1" >/dev/null 2>&1 && return
    echo "run-virtio.sh: $1 missing, installing $2" >&2
    if [ "$(id -u)" = 0 ]; then apt-get install -y "$2" >&2; else sudo apt-get install -y "$2" >&2; fi
}
need "$qemu" qemu-system-x86
need passt passt
need bc bc
need curl curl
need python3 python3

guest=$("$top/tests/guests/build-guest.sh" --quiet amd64) || { echo "run-virtio.sh: building the guest failed" >&2; exit 1; }
work=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# The host's HTTP server: the file the guest downloads, and /done, which exists once the host has
# fetched the guest's file (the guest waits for it before powering off).
mkdir -p "$work/www"
dd if=/dev/urandom of="$work/www/blob" bs=1M count=32 status=none
http_port=$(free_port)
(cd "$work/www" && exec python3 -m http.server --bind 127.0.0.1 "$http_port") >"$work/http.log" 2>&1 &
pids+=($!)

script=$(cat <<EOF
ip link set lo up; ip addr add 10.0.2.15/24 dev eth0; ip link set eth0 up; ip route add default via 10.0.2.2
echo BENCH write-start
dd if=/dev/zero of=/dev/vda bs=1M count=64 oflag=direct 2>&1 | tail -n 1
echo BENCH write-end
echo BENCH read-start
dd if=/dev/vda of=/dev/null bs=1M count=64 iflag=direct 2>&1 | tail -n 1
echo BENCH read-end
echo BENCH rx-start
wget -q -O /tmp/blob http://10.0.2.2:$http_port/blob; echo "wget status=\$?"
echo BENCH rx-end
mkdir -p /www && mv /tmp/blob /www/blob && httpd -h /www -p 80 && echo BENCH httpd-up
i=0; until wget -q -O /dev/null http://10.0.2.2:$http_port/done; do i=\$((i+1)); [ \$i -gt 600 ] && break; sleep 1; done
EOF
)
run_arg="jqemu.run=$(printf '%s\n' "$script" | gzip -9n | base64 -w0)"

stamp() { perl -MTime::HiRes=time -ne 'BEGIN { $| = 1 } s/\r//g; printf "%.3f %s", time, $_'; }

# run NAME: boots the guest under NAME (jqemu|qemu); leaves $work/NAME.log (stamped serial lines)
# and $work/NAME.result (key=value lines)
run() {
    local name=$1 fwd disk="$work/$1.raw" log="$work/$1.log" res="$work/$1.result" emu args t0 pid
    rm -f "$work/www/done"
    truncate -s 64M "$disk"
    fwd=$(free_port)
    args=(-machine pc -accel tcg -m 512 -kernel "$guest/vmlinuz" -initrd "$guest/initrd.gz"
          -append "console=ttyS0 $run_arg" -display none -serial stdio -no-reboot
          -drive "file=$disk,format=raw,if=virtio")
    if [ "$name" = jqemu ]; then
        emu=$jqemu
        args+=(-nic "user,hostfwd=tcp:127.0.0.1:$fwd-:80")
    else
        emu=$qemu
        args+=(-nic "user,model=virtio-net-pci,hostfwd=tcp:127.0.0.1:$fwd-:80")
    fi
    t0=$(date +%s.%N)
    timeout -k 5 "$limit" "$emu" "${args[@]}" </dev/null 2>"$work/$name.err" | stamp >"$log" &
    pid=$!
    # tcp tx: fetched by the host once the guest's httpd is up
    local tx=""
    while kill -0 "$pid" 2>/dev/null; do
        if [ -z "$tx" ] && grep -q 'BENCH httpd-up' "$log"; then
            tx=$(curl -sS -o "$work/$name.blob" -w '%{time_total}' "http://127.0.0.1:$fwd/blob") &&
                tx=$(printf '%.3f' "$tx") || tx=fail
            touch "$work/www/done"
        fi
        sleep 0.5
    done
    wait "$pid"
    {
        echo "total_s=$(echo "$(date +%s.%N) - $t0" | bc)"
        echo "boot_s=$(awk -v t0="$t0" '/JQEMU-GUEST-BOOTED/ { printf "%.1f", $1 - t0; exit }' "$log")"
        for ph in write read rx; do
            awk -v ph="$ph" '$2 == "BENCH" && $3 == ph "-start" { s = $1 } $2 == "BENCH" && $3 == ph "-end" { printf "%s_s=%.3f\n", ph, $1 - s }' "$log"
        done
        echo "tx_s=$tx"
        if cmp -s "$work/$name.blob" "$work/www/blob" 2>/dev/null; then echo "tx_ok=yes"; else echo "tx_ok=no"; fi
        if grep -q 'wget status=0' "$log"; then echo "rx_ok=yes"; else echo "rx_ok=no"; fi
    } >"$res"
    echo "run-virtio.sh: $name: $(tr '\n' ' ' <"$res")" >&2
}

run qemu
run jqemu

get() { sed -n "s/^$2=//p" "$work/$1.result"; }
mibs() { [ -n "$2" ] && [ "$2" != fail ] && awk -v m="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.2f", m / s; else print "n/a" }' || echo n/a; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0 && b > 0) printf "%.1fx", a / b; else print "n/a" }'; }

row() { # row LABEL KEY MIB
    local q j
    q=$(get qemu "$2"); j=$(get jqemu "$2")
    echo "| $1 | $q s ($(mibs "$3" "$q") MiB/s) | $j s ($(mibs "$3" "$j") MiB/s) | $(ratio "$j" "$q") |"
}

report=$(
    echo
    echo "## virtio I/O: jqemu vs QEMU TCG ($(date -u +%Y-%m-%d), bench/run-virtio.sh)"
    echo
    echo "- Guest: Debian $(sed -n 's/^kernel_release=//p' "$guest/VERSION") amd64 + busybox (tests/guests), \`-machine pc -m 512\`, one vCPU,"
    echo "  virtio-blk-pci on a 64 MiB raw file, virtio-net-pci on \`-nic user,hostfwd=\` (QEMU: libslirp;"
    echo "  jqemu: passt, which it starts itself)."
    echo "- Times are host wall seconds between the guest's serial lines around each command (tcp tx: curl's"
    echo "  time_total); lower is better; ratio = jqemu time / QEMU time. One run each, QEMU first."
    echo "- $(nproc) host cores, load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (other jobs shared the machine)."
    echo "- QEMU: $("$qemu" --version | head -n1)"
    echo
    echo "| phase | QEMU TCG | jqemu | jqemu/QEMU |"
    echo "|---|---|---|---|"
    row "disk write, dd 64 MiB O_DIRECT bs=1M" write_s 64
    row "disk read, dd 64 MiB O_DIRECT bs=1M" read_s 64
    row "tcp host→guest, wget 32 MiB" rx_s 32
    row "tcp guest→host, curl 32 MiB" tx_s 32
    echo "| boot to /init marker | $(get qemu boot_s) s | $(get jqemu boot_s) s | $(ratio "$(get jqemu boot_s)" "$(get qemu boot_s)") |"
    echo
    echo "Checks: wget ok qemu=$(get qemu rx_ok) jqemu=$(get jqemu rx_ok); curl copy identical qemu=$(get qemu tx_ok) jqemu=$(get jqemu tx_ok)."
)
echo "$report"
if [ "$print_only" = 0 ]; then
    echo "$report" >>"$out"
    echo "run-virtio.sh: appended to $out" >&2
fi
