#!/bin/sh
# build-s390x-kernel.sh BUILDDIR OUTDIR: build an s390x kernel that can take
# and make a kdump, from Debian's own kernel source (linux-source-6.1).
#
# Why: Debian's s390x kernels cannot. Bookworm's 6.1.0-*-s390x has
# CONFIG_KEXEC=y but "# CONFIG_CRASH_DUMP is not set", so crashkernel= reserves
# nothing (kexec -p: "Memory for crashkernel is not reserved") and there is no
# /proc/vmcore; trixie's 6.12 has neither CONFIG_KEXEC nor CONFIG_CRASH_DUMP.
# This builds bookworm's linux-source-6.1 with `make tinyconfig` plus the
# options a busybox initramfs, the SCLP console, virtio-ccw disks, kexec and
# /proc/vmcore need (all built in), cross-compiled by gcc-s390x-linux-gnu.
#
# Leaves what tests/e2e/crash-kernel.sh --kernel OUTDIR wants: OUTDIR/vmlinuz
# (arch/s390/boot/bzImage), OUTDIR/version, OUTDIR/config,
# OUTDIR/lib/modules/VERSION (modules.builtin, modules.dep). About 10 minutes
# on two cores. Does nothing when OUTDIR/vmlinuz exists.
#
# Needs: apt-get install linux-source-6.1 gcc-s390x-linux-gnu bc flex bison
# kmod xz-utils make.
set -eu
PATH=$PATH:/usr/sbin:/sbin

die() {
	printf 'build-s390x-kernel: %s\n' "$*" >&2
	exit 1
}

[ $# -eq 2 ] || die "usage: build-s390x-kernel.sh BUILDDIR OUTDIR"
build=$1
outdir=$2
[ -e "$outdir/vmlinuz" ] && exit 0
tarball=/usr/src/linux-source-6.1.tar.xz
[ -f "$tarball" ] || die "$tarball missing (apt-get install linux-source-6.1)"
for tool in s390x-linux-gnu-gcc make bc flex bison depmod; do
	command -v "$tool" >/dev/null 2>&1 ||
		die "$tool not found (apt-get install gcc-s390x-linux-gnu make bc flex bison kmod)"
done

mkdir -p "$build"
src=$build/linux-source-6.1
if [ ! -f "$src/Makefile" ]; then
	tar -xaf "$tarball" -C "$build" || die "tar -xaf $tarball failed"
fi
ARCH=s390
CROSS_COMPILE=s390x-linux-gnu-
export ARCH CROSS_COMPILE
cd "$src"
make -s tinyconfig >/dev/null
# What the guests of crash-kernel.sh use; CRASH_DUMP selects KEXEC and
# S390_GUEST builds virtio_ccw.
cat >"$build/crashkit.config" <<'EOF'
CONFIG_PRINTK=y
CONFIG_PRINTK_TIME=y
CONFIG_BUG=y
CONFIG_MULTIUSER=y
CONFIG_FUTEX=y
CONFIG_EPOLL=y
CONFIG_SHMEM=y
CONFIG_BLK_DEV_INITRD=y
CONFIG_RD_GZIP=y
CONFIG_PROC_FS=y
CONFIG_SYSFS=y
CONFIG_DEVTMPFS=y
CONFIG_TMPFS=y
CONFIG_TTY=y
CONFIG_SCLP_TTY=y
CONFIG_SCLP_CONSOLE=y
CONFIG_SCLP_VT220_TTY=y
CONFIG_SCLP_VT220_CONSOLE=y
CONFIG_BLOCK=y
CONFIG_S390_GUEST=y
CONFIG_VIRTIO_MENU=y
CONFIG_VIRTIO_BLK=y
CONFIG_KEXEC=y
CONFIG_CRASH_DUMP=y
CONFIG_PROC_VMCORE=y
CONFIG_MAGIC_SYSRQ=y
CONFIG_BINFMT_ELF=y
CONFIG_BINFMT_SCRIPT=y
CONFIG_KALLSYMS=y
CONFIG_MODULES=y
CONFIG_NR_CPUS=4
CONFIG_LOG_BUF_SHIFT=17
CONFIG_RELOCATABLE=y
CONFIG_UNIX=y
CONFIG_INOTIFY_USER=y
CONFIG_POSIX_TIMERS=y
# kexec-tools reads /sys/devices/system/memory/block_size_bytes.
CONFIG_MEMORY_HOTPLUG=y
EOF
scripts/kconfig/merge_config.sh -m .config "$build/crashkit.config" >/dev/null
make -s olddefconfig >/dev/null
for opt in KEXEC CRASH_DUMP PROC_VMCORE MEMORY_HOTPLUG VIRTIO_BLK SCLP_VT220_CONSOLE BLK_DEV_INITRD; do
	grep -qx "CONFIG_$opt=y" .config || die "CONFIG_$opt did not stick (see $src/.config)"
done
jobs=$(nproc 2>/dev/null || echo 2)
make -j"$jobs" bzImage modules >"$build/make.log" 2>&1 || die "make failed (see $build/make.log)"
version=$(make -s kernelrelease)
mkdir -p "$outdir"
make -s INSTALL_MOD_PATH="$outdir" modules_install >/dev/null || die "make modules_install failed"
depmod -b "$outdir" "$version" || die "depmod -b $outdir $version failed"
cp .config "$outdir/config"
printf '%s\n' "$version" >"$outdir/version"
# vmlinuz last: its presence marks a complete build.
cp arch/s390/boot/bzImage "$outdir/vmlinuz.tmp"
mv "$outdir/vmlinuz.tmp" "$outdir/vmlinuz"
printf '%s\n' "$version"
