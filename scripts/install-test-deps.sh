#!/usr/bin/env bash
# Installs the Debian packages the test suite needs (nasm assembles the guest programs).
# Runs apt-get only when something is missing; needs root (CI and the dev machines are root).
set -eu
need=()
command -v nasm >/dev/null 2>&1 || need+=(nasm)
command -v ld >/dev/null 2>&1 || need+=(binutils)
command -v socat >/dev/null 2>&1 || need+=(socat)
# The kvm layout test compiles a C program against <linux/kvm.h>.
command -v gcc >/dev/null 2>&1 || need+=(gcc)
[ -f /usr/include/linux/kvm.h ] || need+=(linux-libc-dev)
command -v iasl >/dev/null 2>&1 || need+=(acpica-tools)  # iasl/acpiexec check the ACPI tables
command -v passt >/dev/null 2>&1 || need+=(passt)   # -netdev user runs passt
[ -f /usr/share/seabios/bios-256k.bin ] || need+=(seabios)   # SeaBIOS boots on the pc board in hw tests
command -v aarch64-linux-gnu-as >/dev/null 2>&1 || need+=(binutils-aarch64-linux-gnu)   # arm64 test programs
command -v dtc >/dev/null 2>&1 || need+=(device-tree-compiler)   # dtc checks the arm virt DTB
command -v qemu-system-aarch64 >/dev/null 2>&1 || need+=(qemu-system-arm)   # reference DTB of QEMU's virt board
command -v qemu-img >/dev/null 2>&1 || need+=(qemu-utils)   # qemu-img/qemu-io check and fill qcow2 images
[ -x /usr/sbin/debugfs ] || need+=(e2fsprogs)   # Qcow2LinuxTest reads the guest's ext4 on the host
# Display tests: a real VNC client, an X server with Mesa for the GL window, image conversion,
# and the console font the VGA loads when no VGA BIOS runs.
command -v vncsnapshot >/dev/null 2>&1 || need+=(vncsnapshot)
command -v Xvfb >/dev/null 2>&1 || need+=(xvfb)
command -v import >/dev/null 2>&1 || need+=(imagemagick)
[ -f /usr/share/consolefonts/default8x16.psf.gz ] || need+=(console-data)
if [ ${#need[@]} -gt 0 ]; then
    echo "install-test-deps: installing ${need[*]}" >&2
    if [ "$(id -u)" -ne 0 ]; then
        echo "install-test-deps: need root to apt-get install ${need[*]}" >&2
        exit 1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
