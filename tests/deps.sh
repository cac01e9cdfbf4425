#!/bin/sh
# Install every build and test dependency that is missing (Debian 12).
# Idempotent: does nothing when all packages are present.  `make deps`,
# `make check` and `make demo` call it.
set -eu

packages="gcc make libc6-dev libelf-dev zlib1g-dev liblzo2-dev libzstd-dev clang libclang-rt-14-dev
kexec-tools makedumpfile crash python3-libkdumpfile qemu-system-x86 qemu-system-arm
qemu-system-ppc qemu-user
gcc-aarch64-linux-gnu libc6-dev-arm64-cross
busybox-static shellcheck cpio file xz-utils zstd kmod time
initramfs-tools-core e2fsprogs xfsprogs openssh-client openssh-server python3-pyftpdlib
systemd dracut-core dracut-network man-db nfs-ganesha nfs-ganesha-vfs"

missing=""
for p in $packages; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case $status in
	*" installed") ;;
	*) missing="$missing $p" ;;
	esac
done
[ -n "$missing" ] || exit 0

echo "deps: installing:$missing"
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: not root: install these packages first:$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086 # the package list is meant to split into words
if ! apt-get install -y -q --no-install-recommends $missing; then
	apt-get update -q
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing
fi
