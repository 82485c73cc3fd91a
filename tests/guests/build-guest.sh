#!/usr/bin/env bash
# Builds a Linux test guest for jqemu from Debian 12 (bookworm) packages: Debian's kernel, an
# initramfs with busybox-static, the kernel's virtio modules and an /init that prints
# "JQEMU-GUEST-BOOTED <arch>", runs a few commands, loads the modules and powers off (or, with
# "jqemu.shell" on the kernel command line, starts a shell on the console).
#
#   tests/guests/build-guest.sh [--force] [--refresh] [--cache DIR] [--quiet] ARCH...
#   ARCH = amd64 | i386 | arm64 | ppc64el | s390x | all
#
# Output (one directory per arch, outside the work tree):
#   ${JQEMU_GUEST_CACHE:-$HOME/.cache/jqemu/guests}/<arch>/{vmlinuz,initrd.gz,VERSION}
# The guest directory of each ARCH is printed on stdout; progress goes to stderr.
# A guest is built only when missing (or built by an older recipe, see GUEST_FORMAT); --force
# rebuilds it. Packages are fetched with apt-get into a private apt state under the cache, for
# any architecture, without touching the system's dpkg/apt configuration. See README.md.
set -euo pipefail

# Bump when the initramfs recipe (init script, file set, module list) changes, so cached guests
# built by an older recipe are rebuilt automatically.
GUEST_FORMAT=3

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${JQEMU_GUEST_CACHE:-${HOME:?HOME is not set; set JQEMU_GUEST_CACHE}/.cache/jqemu/guests}
FORCE=0
REFRESH=0
QUIET=0

log() { [ "$QUIET" = 1 ] || echo "guest: $*" >&2; }
die() { echo "guest: error: $*" >&2; exit 1; }

usage() {
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2
    exit "${1:-2}"
}

# --- per-architecture facts ------------------------------------------------------------------
# kernel metapackage | kernel file in /boot | format | console | extra modules (transport)
arch_info() {
    case $1 in
        amd64)   KMETA=linux-image-amd64;       KFILE=vmlinuz; KFORMAT=bzImage; CONSOLE=ttyS0;    EXTRA_MODS="" ;;
        i386)    KMETA=linux-image-686;         KFILE=vmlinuz; KFORMAT=bzImage; CONSOLE=ttyS0;    EXTRA_MODS="" ;;
        arm64)   KMETA=linux-image-arm64;       KFILE=vmlinuz; KFORMAT=Image;   CONSOLE=ttyAMA0;  EXTRA_MODS="" ;;
        ppc64el) KMETA=linux-image-powerpc64le; KFILE=vmlinux; KFORMAT=vmlinux-elf; CONSOLE=hvc0; EXTRA_MODS="" ;;
        s390x)   KMETA=linux-image-s390x;       KFILE=vmlinuz; KFORMAT=s390-image; CONSOLE=ttysclp0; EXTRA_MODS="virtio_ccw" ;;
        *) die "unknown architecture '$1' (expected amd64, i386, arm64, ppc64el, s390x or all)" ;;
    esac
}
ALL_ARCHES="amd64 i386 arm64 ppc64el s390x"
# The virtio stack the guests load; a name may be built into the kernel (modules.builtin) or
# absent on some architectures (OPTIONAL_MODS), dependencies are added from the modules' modinfo.
# ext4 (with crc32c for metadata checksums) lets tests mount what busybox mke2fs makes on /dev/vda.
WANT_MODS="virtio virtio_ring virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_mmio
           failover net_failover virtio_blk virtio_net virtio_console crc32c_generic ext4"
OPTIONAL_MODS=" virtio_pci_modern_dev virtio_pci_legacy_dev virtio_mmio virtio_pci crc32c_generic "
# Applets linked at build time (what /init needs before "busybox --install -s" adds the rest).
CORE_APPLETS="sh mount umount echo cat grep uname free insmod modprobe lsmod poweroff reboot
              setsid cttyhack sleep ls mkdir ln nproc date dmesg"

# The ACPI power button (QMP system_powerdown): button.ko reports it as a key on /dev/input
# (evdev.ko), where /init's acpid sees it. Absent on architectures without ACPI.
WANT_MODS="$WANT_MODS button evdev"; OPTIONAL_MODS="$OPTIONAL_MODS button evdev "

# --- arguments --------------------------------------------------------------------------------
arches=()
while [ $# -gt 0 ]; do
    case $1 in
        --force) FORCE=1 ;;
        --refresh) REFRESH=1 ;;
        --quiet|-q) QUIET=1 ;;
        --cache) [ $# -ge 2 ] || die "--cache needs a directory"; CACHE=$2; shift ;;
        --cache=*) CACHE=${1#--cache=} ;;
        -h|--help) usage 0 ;;
        all) arches+=($ALL_ARCHES) ;;
        -*) echo "guest: unknown option $1" >&2; usage ;;
        *) arch_info "$1"; arches+=("$1") ;;
    esac
    shift
done
[ ${#arches[@]} -gt 0 ] || usage

for tool in apt-get apt-cache dpkg-deb perl gzip find sort; do
    command -v "$tool" >/dev/null 2>&1 ||
        die "'$tool' not found; this script needs a Debian system with apt (packages apt, dpkg, perl-base, gzip, findutils, coreutils)"
done
[ -f "$HERE/mkcpio.pl" ] || die "missing $HERE/mkcpio.pl (the initramfs writer next to this script)"

# --- apt with a private state per architecture -------------------------------------------------
apt_opts() {
    local a=$1 st="$CACHE/.apt/$1"
    APT=(-q -oAPT::Architecture="$a" -oAPT::Architectures="$a"
         -oDir::State="$st/state" -oDir::State::Lists="$st/lists" -oDir::State::status="$st/state/status"
         -oDir::Cache="$st/cache" -oDir::Cache::pkgcache=pkgcache.bin -oDir::Cache::srcpkgcache=
         -oAcquire::Languages=none)
    # apt drops to user _apt for downloads, which cannot write into a root-owned cache under $HOME.
    [ "$(id -u)" -ne 0 ] || APT+=(-oAPT::Sandbox::User=root)
    mkdir -p "$st/state" "$st/lists/partial" "$st/cache/archives/partial" "$st/debs"
    [ -f "$st/state/status" ] || : > "$st/state/status"
}

apt_update() {
    local a=$1 try log="$CACHE/.apt/$1/update.log"
    log "updating the package lists for $a (Debian mirrors via apt)"
    for try in 1 2 3; do
        if apt-get "${APT[@]}" update >"$log" 2>&1; then date -u +%FT%TZ > "$CACHE/.apt/$a/updated"; return 0; fi
        # Transient mirror errors ("Mirror sync in progress?", hash mismatches) are common.
        [ "$try" = 3 ] || { log "apt-get update for $a failed (attempt $try), retrying"; sleep $((try * 5)); }
    done
    grep -E '^(E|W):' "$log" >&2 || cat "$log" >&2
    if find "$CACHE/.apt/$a/lists" -maxdepth 1 -name '*_Packages*' | grep -q .; then
        log "warning: apt-get update for $a failed 3 times; continuing with the lists that did download (log: $log)"
    else
        die "apt-get update for architecture $a failed (log: $log); apt must reach the Debian mirrors"
    fi
}

# Prints the candidate version of package $1 (empty if unknown).
pkg_version() {
    apt-cache "${APT[@]}" policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: *//p' | grep -v '(none)' || true
}

# Downloads package $1 (candidate version) into the arch's deb dir; prints the .deb path.
fetch_deb() {
    local a=$1 pkg=$2 ver deb dir="$CACHE/.apt/$1/debs"
    ver=$(pkg_version "$pkg")
    [ -n "$ver" ] || die "package $pkg not found for $a in the apt lists (try --refresh)"
    deb=$(find "$dir" -maxdepth 1 \( -name "${pkg}_*_${a}.deb" -o -name "${pkg}_*_all.deb" \) |
          while read -r f; do
              [ "$(dpkg-deb -f "$f" Version)" = "$ver" ] && echo "$f"
          done | head -n1)
    if [ -z "$deb" ]; then
        log "downloading $pkg $ver ($a)"
        if ! (cd "$dir" && apt-get "${APT[@]}" download "$pkg=$ver") >"$dir/download.log" 2>&1; then
            cat "$dir/download.log" >&2
            die "apt-get download $pkg=$ver ($a) failed"
        fi
        # Keep only the version just fetched of this package.
        find "$dir" -maxdepth 1 -name "${pkg}_*.deb" | while read -r f; do
            [ "$(dpkg-deb -f "$f" Version)" = "$ver" ] || rm -f "$f"
        done
        deb=$(find "$dir" -maxdepth 1 -name "${pkg}_*.deb" | head -n1)
        [ -n "$deb" ] || die "apt-get download $pkg reported success but no .deb is in $dir"
    fi
    echo "$deb"
}

# Resolves a kernel metapackage (linux-image-amd64) to the versioned image package it depends on.
resolve_kernel() {
    local meta=$1 dep
    dep=$(apt-cache "${APT[@]}" depends "$meta" 2>/dev/null |
          sed -n 's/^ *Depends: *\(linux-image-[0-9][^ ]*\).*/\1/p' | head -n1)
    [ -n "$dep" ] || die "cannot resolve $meta to a versioned linux-image package (apt-cache depends $meta)"
    echo "$dep"
}

# --- module closure ---------------------------------------------------------------------------
# modinfo "depends=" of a .ko (plain, .xz or .zst), comma separated
ko_depends() {
    local f=$1
    case $f in
        *.xz) xz -dc "$f" ;;
        *.zst) zstd -dcq "$f" ;;
        *) cat "$f" ;;
    esac | tr '\0' '\n' | sed -n 's/^depends=//p' | paste -sd, -
}

build_one() {
    local a=$1 out="$CACHE/$1"
    arch_info "$a"
    if [ "$FORCE" = 0 ] && [ -s "$out/vmlinuz" ] && [ -s "$out/initrd.gz" ] && [ -f "$out/VERSION" ] &&
       grep -qx "guest_format=$GUEST_FORMAT" "$out/VERSION"; then
        log "$a guest is up to date in $out"
        echo "$out"
        return
    fi

    apt_opts "$a"
    local st="$CACHE/.apt/$a"
    # Update when asked or when no update has completed yet (a failed one may leave partial lists).
    if [ "$REFRESH" = 1 ] || [ ! -f "$st/updated" ]; then
        apt_update "$a"
    fi
    local kpkg
    kpkg=$(resolve_kernel "$KMETA")
    if [ -z "$(pkg_version "$kpkg")" ] || [ -z "$(pkg_version busybox-static)" ]; then
        apt_update "$a"; kpkg=$(resolve_kernel "$KMETA")
    fi
    local kdeb bdeb
    # A stale list may name a version the mirror no longer has: refresh once and retry.
    if ! kdeb=$(fetch_deb "$a" "$kpkg"); then
        log "retrying after refreshing the package lists"
        apt_update "$a"; kpkg=$(resolve_kernel "$KMETA"); kdeb=$(fetch_deb "$a" "$kpkg")
    fi
    if ! bdeb=$(fetch_deb "$a" busybox-static); then
        apt_update "$a"; bdeb=$(fetch_deb "$a" busybox-static)
    fi

    local work
    work=$(mktemp -d "$CACHE/.build-$a.XXXXXX")
    # shellcheck disable=SC2064
    trap "rm -rf '$work'" EXIT
    log "extracting $(basename "$kdeb")"
    dpkg-deb -x "$kdeb" "$work/k"
    dpkg-deb -x "$bdeb" "$work/b"

    local kver kimg
    kver=$(find "$work/k/lib/modules" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | head -n1)
    [ -n "$kver" ] || die "$kpkg has no /lib/modules/<version> directory"
    kimg="$work/k/boot/$KFILE-$kver"
    [ -f "$kimg" ] || die "$kpkg has no kernel image /boot/$KFILE-$kver"
    [ -x "$work/b/bin/busybox" ] || die "busybox-static ($a) has no /bin/busybox"

    log "building initramfs for $a (kernel $kver)"
    local r="$work/root" mdir="$work/k/lib/modules/$kver"
    mkdir -p "$r"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,run,root,etc,mnt,lib/modules/"$kver"}
    cp "$work/b/bin/busybox" "$r/bin/busybox"
    local ap
    for ap in $CORE_APPLETS; do ln -s busybox "$r/bin/$ap"; done

    # Index the kernel's modules by name (dashes and underscores are the same to the kernel).
    declare -A modpath=() moddeps=() seen=()
    local f n
    while IFS= read -r f; do
        n=${f##*/}; n=${n%%.ko*}; n=${n//-/_}
        modpath[$n]=${f#"$mdir/"}
    done < <(find "$mdir/kernel" -name '*.ko' -o -name '*.ko.xz' -o -name '*.ko.zst')
    declare -A builtin=()
    if [ -f "$mdir/modules.builtin" ]; then
        while IFS= read -r f; do n=${f##*/}; n=${n%.ko}; builtin[${n//-/_}]=1; done < "$mdir/modules.builtin"
    fi
    # Built-in code from a bool option (virtio_ccw on s390x) is missing from modules.builtin but
    # shows up in modules.builtin.modinfo when it has parameters or module info.
    if [ -f "$mdir/modules.builtin.modinfo" ]; then
        while IFS= read -r n; do builtin[$n]=1; done < <(tr '\0' '\n' < "$mdir/modules.builtin.modinfo" | sed -n 's/^\([A-Za-z0-9_]*\)\..*/\1/p' | sort -u)
    fi

    local order=() notes=()
    visit() {
        local m=$1 d deps
        [ -z "${seen[$m]:-}" ] || return 0
        seen[$m]=1
        deps=$(ko_depends "$mdir/${modpath[$m]}")
        moddeps[$m]=""
        for d in ${deps//,/ }; do
            d=${d//-/_}
            [ -n "${modpath[$d]:-}" ] || die "module $m depends on $d, which $kpkg does not ship"
            visit "$d"
            moddeps[$m]+=" $d"
        done
        order+=("$m")
    }
    for n in $WANT_MODS $EXTRA_MODS; do
        if [ -n "${modpath[$n]:-}" ]; then
            visit "$n"
        elif [ -n "${builtin[$n]:-}" ]; then
            notes+=("$n=builtin")
        elif [[ $OPTIONAL_MODS == *" $n "* ]]; then
            notes+=("$n=absent")
        else
            die "$kpkg has neither a module nor a built-in $n"
        fi
    done

    # Copy the modules (decompressed, so busybox insmod needs no xz/zstd support), write
    # modules.dep in depmod's format and the load order /init uses.
    local rm="$r/lib/modules/$kver" rel dep_line d
    : > "$rm/modules.dep"
    : > "$rm/jqemu-modules"
    for n in "${order[@]}"; do
        rel=${modpath[$n]%.xz}; rel=${rel%.zst}
        mkdir -p "$rm/$(dirname "$rel")"
        case ${modpath[$n]} in
            *.xz) xz -dc "$mdir/${modpath[$n]}" > "$rm/$rel" ;;
            *.zst) zstd -dcq "$mdir/${modpath[$n]}" > "$rm/$rel" ;;
            *) cp "$mdir/${modpath[$n]}" "$rm/$rel" ;;
        esac
        dep_line="$rel:"
        # depmod lists the full transitive closure, nearest dependencies first.
        declare -A closure=(); local stack=(${moddeps[$n]}) deps_out=()
        while [ ${#stack[@]} -gt 0 ]; do
            d=${stack[0]}; stack=("${stack[@]:1}")
            [ -z "${closure[$d]:-}" ] || continue
            closure[$d]=1; deps_out+=("${modpath[$d]%.xz}"); stack+=(${moddeps[$d]})
        done
        unset closure
        for d in "${deps_out[@]}"; do dep_line+=" ${d%.zst}"; done
        echo "$dep_line" >> "$rm/modules.dep"
        echo "$rel" >> "$rm/jqemu-modules"
    done
    for f in modules.builtin modules.builtin.modinfo; do
        [ ! -f "$mdir/$f" ] || cp "$mdir/$f" "$rm/$f"
    done
    : > "$rm/modules.alias"; : > "$rm/modules.symbols"

    write_init "$a" > "$r/init"
    chmod 755 "$r/init"
    {
        echo "root:x:0:0:root:/root:/bin/sh"
    } > "$r/etc/passwd"
    echo "root:x:0:" > "$r/etc/group"
    echo "jqemu-$a" > "$r/etc/hostname"

    perl "$HERE/mkcpio.pl" "$r" dev/console:c:0600:5:1 dev/null:c:0666:1:3 | gzip -9n > "$work/initrd.gz"

    local stage="$work/out"
    mkdir -p "$stage"
    cp "$kimg" "$stage/vmlinuz"
    mv "$work/initrd.gz" "$stage/initrd.gz"
    {
        echo "guest_format=$GUEST_FORMAT"
        echo "arch=$a"
        echo "kernel_package=$kpkg"
        echo "kernel_package_version=$(dpkg-deb -f "$kdeb" Version)"
        echo "kernel_release=$kver"
        echo "kernel_format=$KFORMAT"
        echo "busybox_package=busybox-static"
        echo "busybox_version=$(dpkg-deb -f "$bdeb" Version)"
        echo "console=$CONSOLE"
        echo "modules=$(sed 's#.*/##; s#\.ko$##' "$rm/jqemu-modules" | tr '\n' ' ' | sed 's/ $//')"
        echo "modules_not_in_initrd=${notes[*]:-}"
        echo "built=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    } > "$stage/VERSION"

    rm -rf "$out.old"
    [ ! -e "$out" ] || mv "$out" "$out.old"
    mv "$stage" "$out"
    rm -rf "$out.old" "$work"
    trap - EXIT
    log "$a guest ready in $out (kernel $kver, initrd $(du -k "$out/initrd.gz" | cut -f1) KiB)"
    echo "$out"
}

write_init() {
    cat <<EOF
#!/bin/sh
# /init of the jqemu test guest ($1), written by tests/guests/build-guest.sh.
ARCH=$1
EOF
    cat <<'EOF'
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1
/bin/busybox --install -s
hostname -F /etc/hostname 2>/dev/null
echo "JQEMU-GUEST-BOOTED $ARCH"
uname -a
echo "cpus: $(grep -c '^processor' /proc/cpuinfo) (online: $(nproc))"
free
KVER=$(uname -r)
loaded=0 failed=0
for m in $(cat /lib/modules/$KVER/jqemu-modules); do
    if insmod /lib/modules/$KVER/$m; then loaded=$((loaded + 1)); else failed=$((failed + 1)); echo "insmod $m failed"; fi
done
echo "JQEMU-GUEST-MODULES loaded=$loaded failed=$failed"
# With console=hvc0 last on the command line, /dev/console becomes the virtio console only once
# virtio_console has loaded: open it again so the rest of /init and the shell use it.
exec </dev/console >/dev/console 2>&1
echo "virtio devices: $(ls /sys/bus/virtio/devices 2>/dev/null | tr '\n' ' ')"
# The power button powers off, as acpid does on a distribution (QMP system_powerdown).
if [ -e /dev/input/event0 ]; then
    mkdir -p /etc/acpi/PWRF
    printf '#!/bin/sh\necho JQEMU-GUEST-POWER-BUTTON >/dev/console\nsync\npoweroff -f\n' >/etc/acpi/PWRF/00000080
    chmod 755 /etc/acpi/PWRF/00000080
    acpid -l /dev/null
fi
# jqemu.run=BASE64 on the kernel command line: a shell script (base64, optionally of gzip data)
# that tests and benchmarks run in the guest without typing into a console.
for arg in $(cat /proc/cmdline); do
    case $arg in
    jqemu.run=*)
        echo "${arg#jqemu.run=}" | base64 -d > /tmp/jqemu-run.raw
        if [ "$(head -c 2 /tmp/jqemu-run.raw | od -An -tx1 | tr -d ' ')" = 1f8b ]; then
            gunzip -c /tmp/jqemu-run.raw > /tmp/jqemu-run.sh
        else
            cp /tmp/jqemu-run.raw /tmp/jqemu-run.sh
        fi
        echo "JQEMU-GUEST-RUN"
        sh /tmp/jqemu-run.sh
        echo "JQEMU-GUEST-RUN-DONE status=$?"
        ;;
    esac
done
if grep -qw 'jqemu.shell' /proc/cmdline; then
    echo "JQEMU-GUEST-SHELL"
    setsid cttyhack sh
fi
echo "JQEMU-GUEST-POWEROFF"
poweroff -f
# Only reached if the power-off request failed.
sleep 5
echo "JQEMU-GUEST-POWEROFF-FAILED"
exec sh
EOF
}

mkdir -p "$CACHE" || die "cannot create the guest cache $CACHE"
for a in "${arches[@]}"; do
    mkdir -p "$CACHE/.apt"
    # Serialize builds of one arch (parallel test runs share the cache).
    if command -v flock >/dev/null 2>&1; then
        exec {lockfd}>"$CACHE/.apt/$a.lock"
        flock "$lockfd"
        build_one "$a"
        exec {lockfd}>&-
    else
        build_one "$a"
    fi
done
