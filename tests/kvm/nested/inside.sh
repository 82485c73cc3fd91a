#!/bin/sh
# Runs inside the nested VM (see run.sh), in the host's root with a real /dev/kvm: the kvm
# accelerator's end-to-end checks, one result line each ("kvm-<stage> PASS|FAIL ...").
#
#   inside.sh REPO OUT WORK [STAGE...]     stages: smoke pc linux (default: all three)
#
#   smoke  KvmSmoke: a bare machine with the in-kernel irqchip (see tests/kvm/README.md)
#   pc     jqemu -machine pc,accel=kvm -kernel pc-smoke.bin: serial (PIO), the HPET (MMIO), the
#          in-kernel PIT/8259 timer interrupt, a device interrupt into the in-kernel 8259, exit
#   linux  jqemu -machine pc,accel=kvm boots the Debian amd64 guest (tests/guests) to
#          "JQEMU-GUEST-BOOTED amd64", which then powers off
REPO=$1 OUT=$2 WORK=$3
shift 3
[ $# -gt 0 ] || set -- smoke pc linux
JAVA="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java"
# Short-lived JVMs start faster in here (everything runs under TCG) with C1 only and serial GC.
JOPTS="--enable-native-access=ALL-UNNAMED -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:-UsePerfData -Djava.io.tmpdir=$WORK/tmp"
LIB="$REPO/dist/$OUT/lib"
GUEST=${JQEMU_GUEST_DIR:-/root/.cache/jqemu/guests/amd64}
status=0
now() { date +%s%N | cut -c1-13; }   # milliseconds

for stage in "$@"; do
    case $stage in
    smoke)
        cp="$REPO/system/$OUT/classes:$REPO/accel/$OUT/classes:$REPO/target-i386/$OUT/classes"
        cp="$cp:$REPO/target-i386/$OUT/test-classes:$LIB/slf4j-api-2.0.20.jar:$LIB/slf4j-simple-2.0.20.jar"
        # KvmSmoke prints its own "kvm-smoke PASS|FAIL" line.
        "$JAVA" $JOPTS -cp "$cp" org.jqemu.target.i386.kvm.KvmSmoke "$WORK" || status=1
        ;;
    pc)
        t0=$(now)
        timeout "${JQEMU_PC_TIMEOUT:-1200}" "$JAVA" $JOPTS -cp "$LIB/*" org.jqemu.system.Main -machine pc,accel=kvm -m 64 \
            -display none -device isa-debug-exit,iobase=0xf4,iosize=0x04 -kernel "$WORK/pc-smoke.bin" \
            -serial "file:$WORK/pc-smoke.serial" 2> "$WORK/pc-smoke.stderr"
        rc=$?
        t1=$(now)
        if [ $rc -eq 1 ] && cmp -s "$WORK/pc-smoke.serial" "$WORK/pc-smoke.expected"; then
            echo "kvm-pc PASS: serial matches pc-smoke.expected, exit=$rc, $((t1 - t0)) ms (JVM start included)"
        else
            echo "kvm-pc FAIL: exit=$rc, $((t1 - t0)) ms; serial:"
            sed 's/^/  | /' "$WORK/pc-smoke.serial"
            sed 's/^/  ! /' "$WORK/pc-smoke.stderr" | tail -20
            status=1
        fi
        ;;
    linux)
        t0=$(now)
        timeout "${JQEMU_LINUX_TIMEOUT:-2700}" "$JAVA" $JOPTS -cp "$LIB/*" org.jqemu.system.Main -machine pc,accel=kvm -m 512 \
            -kernel "$GUEST/vmlinuz" -initrd "$GUEST/initrd.gz" -append "console=ttyS0" -display none \
            -serial "file:$WORK/linux.serial" -no-reboot 2> "$WORK/linux.stderr"
        rc=$?
        t1=$(now)
        booted=$(grep -m1 -o 'JQEMU-GUEST-BOOTED amd64' "$WORK/linux.serial")
        cpus=$(grep -m1 -o 'cpus: [0-9].*' "$WORK/linux.serial" | tr -d '\r')
        kvmclock=$(grep -c -i 'kvm-clock' "$WORK/linux.serial")
        if [ $rc -eq 0 ] && [ -n "$booted" ]; then
            echo "kvm-linux PASS: '$booted', $cpus, kvm-clock lines=$kvmclock, exit=$rc, $((t1 - t0)) ms (JVM start included)"
        else
            echo "kvm-linux FAIL: exit=$rc, $((t1 - t0)) ms; last console lines:"
            tail -n 25 "$WORK/linux.serial" | sed 's/^/  | /'
            sed 's/^/  ! /' "$WORK/linux.stderr" | tail -20
            status=1
        fi
        ;;
    *) echo "kvm-$stage FAIL: unknown stage"; status=1 ;;
    esac
done
exit $status
