#!/bin/bash
# run-boot.sh - Linux boot benchmark: the amd64 test guest under Debian's QEMU (TCG) and jqemu.
#
# Usage: bench/run-boot.sh [-n REPS] [-j JQEMU] [-q QEMU] [-t TIMEOUT_S] [-o RESULTS.md] [-a ARCH]
#   -n  runs per emulator (default 3; medians are reported)
#   -j  jqemu command (default: java on dist/$JQEMU_OUT/lib when built, else ./jqemu)
#   -q  QEMU binary (default: qemu-system-x86_64)
#   -t  seconds after which one run is killed and counted as failed (default 900)
#   -o  report file (default: bench/RESULTS.md; only the boot section is replaced)
#   -a  guest architecture from tests/guests/build-guest.sh (default amd64)
# Environment: JQEMU_OUT (build folder name, default target), JQEMU_JAVA_OPTS, GUEST_DIR (a folder
# with vmlinuz and initrd.gz to use instead of the build-guest.sh cache, e.g. a frozen copy).
#
# Both emulators get the same command line (-machine pc -accel tcg -cpu qemu64 -m 512
# -nographic -no-reboot -kernel -initrd -append console=ttyS0). Runs alternate QEMU, jqemu.
# For each run bench/boot-timer.pl records wall and CPU time (all threads) until the guest's
# /init prints JQEMU-GUEST-BOOTED and until the emulator exits after the guest's poweroff.
# Every run is appended to bench/boot-history.tsv, so RESULTS.md shows before/after.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
reps=3
qemu=qemu-system-x86_64
limit=900
out="$here/RESULTS.md"
arch=amd64
jqemu=()
while getopts n:j:q:t:o:a: opt; do
    case $opt in
        n) reps=$OPTARG ;;
        j) read -r -a jqemu <<<"$OPTARG" ;;
        q) qemu=$OPTARG ;;
        t) limit=$OPTARG ;;
        o) out=$OPTARG ;;
        a) arch=$OPTARG ;;
        *) sed -n '2,15p' "$0"; exit 2 ;;
    esac
done
java=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
lib="$top/dist/${JQEMU_OUT:-target}/lib"
if [ ${#jqemu[@]} -eq 0 ]; then
    if [ -d "$lib" ] && [ -x "$java" ]; then
        # shellcheck disable=SC2206  # JQEMU_JAVA_OPTS is a list of options
        jqemu=("$java" --enable-native-access=ALL-UNNAMED ${JQEMU_JAVA_OPTS:-} -cp "$lib/*" org.jqemu.system.Main)
    else
        jqemu=("$top/jqemu")
    fi
fi
command -v "$qemu" >/dev/null || { echo "run-boot.sh: $qemu missing (apt-get install qemu-system-x86)" >&2; exit 1; }

if [ -n "${GUEST_DIR:-}" ]; then
    guest=$GUEST_DIR
else
    guest=$(bash "$top/tests/guests/build-guest.sh" --quiet "$arch" | tail -n 1) || exit 1
fi
[ -s "$guest/vmlinuz" ] && [ -s "$guest/initrd.gz" ] || { echo "run-boot.sh: no guest in '$guest'" >&2; exit 1; }

args=(-machine pc -accel tcg -cpu qemu64 -m 512 -nographic -no-reboot
      -kernel "$guest/vmlinuz" -initrd "$guest/initrd.gz" -append console=ttyS0)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

median() {  # of the numbers in $1; nothing for an empty list
    echo "$1" | tr ' ' '\n' | grep '^[0-9.]*$' | grep . | sort -n |
        awk '{v[NR]=$1} END {if (NR == 0) exit; if (NR%2) printf "%.2f", v[(NR+1)/2]; else printf "%.2f", (v[NR/2]+v[NR/2+1])/2}'
}
ratio() { [ -n "$1" ] && [ -n "$2" ] && awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1f", a / b}' || echo -; }

declare -A mw mc ew ec
failures=()
rev=$(git -C "$top" rev-parse --short HEAD 2>/dev/null)
dirty=$(git -C "$top" status --porcelain --untracked-files=no 2>/dev/null | grep -q . && echo "+dirty")
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for ((i = 1; i <= reps; i++)); do
    for name in qemu jqemu; do
        if [ $name = qemu ]; then cmd=("$qemu"); else cmd=("${jqemu[@]}"); fi
        line=$(perl "$here/boot-timer.pl" "$limit" "$work/$name.log" "${cmd[@]}" "${args[@]}")
        read -r a b c d status <<<"$line"
        echo "run-boot.sh: $name #$i: marker wall $a s cpu $b s, exit wall $c s cpu $d s, status $status" >&2
        if [ "$a" = - ] || [ "$status" != 0 ]; then
            failures+=("$name run $i (status $status)")
            echo "run-boot.sh: $name run $i failed; last output:" >&2
            tail -c 800 "$work/$name.log" >&2; echo >&2
            continue
        fi
        mw[$name]+="$a "; mc[$name]+="$b "; ew[$name]+="$c "; ec[$name]+="$d "
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u '+%Y-%m-%d %H:%M')" "$rev$dirty" "$name" \
            "$a" "$b" "$c" "$d" "$(cut -d' ' -f1 /proc/loadavg)" "$arch" >>"$here/boot-history.tsv"
    done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

section="$work/section.md"
{
    echo "<!-- run-boot.sh begin -->"
    echo "# Linux boot benchmark: jqemu vs QEMU TCG"
    echo
    echo "Written by \`bench/run-boot.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC'); rerun it rather than editing."
    echo
    echo "- Machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) CPUs;" \
         "load average $load_before before, $load_after after"
    echo "- QEMU: $("$qemu" --version | head -n 1)"
    echo "- jqemu: commit $rev$dirty, $("$java" -version 2>&1 | head -n 1)"
    echo "- Guest: $arch from tests/guests/build-guest.sh ($(tr '\n' ' ' <"$guest/VERSION" | cut -c1-120))"
    echo "- Command line (both): \`-machine pc -accel tcg -cpu qemu64 -m 512 -nographic -no-reboot -kernel vmlinuz -initrd initrd.gz -append console=ttyS0\`"
    echo "- Medians of $reps runs each, alternating. \"marker\" = until /init prints JQEMU-GUEST-BOOTED,"
    echo "  \"exit\" = until the emulator exits after the guest powers off. CPU = user + system of all threads."
    echo
    echo "| | QEMU (s) | jqemu (s) | ratio |"
    echo "|---|---|---|---|"
    for m in "marker wall:mw" "marker CPU:mc" "exit wall:ew" "exit CPU:ec"; do
        label=${m%%:*}; var=${m##*:}
        eval "q=\${$var[qemu]:-}; j=\${$var[jqemu]:-}"
        qm=$(median "$q"); jm=$(median "$j")
        echo "| $label | ${qm:-failed} | ${jm:-failed} | $(ratio "$jm" "$qm") |"
    done
    echo
    echo "All runs (marker wall / marker CPU / exit wall / exit CPU):"
    echo
    for name in qemu jqemu; do
        echo "- $name: ${mw[$name]:-none}/ ${mc[$name]:-none}/ ${ew[$name]:-none}/ ${ec[$name]:-none}"
    done
    if [ ${#failures[@]} -gt 0 ]; then
        echo
        echo "Failures: ${failures[*]}"
    fi
    echo
    echo "History (bench/boot-history.tsv, every run; medians per commit and emulator, marker wall / CPU):"
    echo
    echo "| date (UTC) | commit | arch | QEMU | jqemu | wall ratio | load |"
    echo "|---|---|---|---|---|---|---|"
    # One row per (commit, arch) in order of first appearance.
    awk -F'\t' '
        { key = $2 "\t" $9; if (!(key in seen)) { seen[key] = 1; order[++n] = key; date[key] = $1 }
          w[key, $3] = w[key, $3] " " $4; c[key, $3] = c[key, $3] " " $5; load[key] = $8 }
        function med(s,   a, k, i, j, t) { k = split(s, a, " "); if (k == 0) return "";
            for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
            return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2 }
        END { for (i = 1; i <= n; i++) { key = order[i]; split(key, kk, "\t")
            qw = med(w[key, "qemu"]); jw = med(w[key, "jqemu"]); qc = med(c[key, "qemu"]); jc = med(c[key, "jqemu"])
            r = (qw != "" && jw != "") ? sprintf("%.1f", jw / qw) : "-"
            printf "| %s | %s | %s | %s / %s | %s / %s | %s | %s |\n", date[key], kk[1], kk[2], qw, qc, jw, jc, r, load[key] } }
    ' "$here/boot-history.tsv"
    if [ -f "$here/boot-notes.md" ]; then
        echo
        cat "$here/boot-notes.md"
    fi
    echo "<!-- run-boot.sh end -->"
} >"$section"

# Replace our section of the report (or append it), leaving the rest of the file alone.
touch "$out"
awk -v sec="$section" '
    /<!-- run-boot.sh begin -->/ { skip = 1; while ((getline l < sec) > 0) print l; done = 1; next }
    /<!-- run-boot.sh end -->/ { skip = 0; next }
    !skip { print }
    END { if (!done) { print ""; while ((getline l < sec) > 0) print l } }
' "$out" >"$work/out.md" && cat "$work/out.md" >"$out"
cat "$section"
[ ${#failures[@]} -eq 0 ]
