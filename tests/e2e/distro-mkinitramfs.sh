#!/bin/sh
# distro-mkinitramfs.sh KDIR CONFDIR OUT [NAME=VALUE...]: build a Debian
# initramfs-tools image (mkinitramfs -d CONFDIR -o OUT) for the kernel that
# tests/e2e/fetch-kernel.sh unpacked in KDIR, with NAME=VALUE added to the
# environment (CRASHKIT_DESTDIR, CRASHKIT_CONF, ... for crashkit's hook).
#
# mkinitramfs only reads /lib/modules/VERSION and /boot/config-VERSION, so
# it runs in a private mount namespace (unshare -m) in which an overlay on
# /usr/lib holds a bind mount of KDIR's modules tree and a tmpfs on /boot
# holds KDIR's config.  The host's /boot and /lib/modules are not touched,
# and nothing is left behind: the namespace dies with the command.
# Scratch space: $TMPDIR (default /tmp).  Exit status: mkinitramfs's.
set -eu
PATH=$PATH:/usr/sbin:/sbin
[ $# -ge 3 ] || {
	echo "usage: distro-mkinitramfs.sh KDIR CONFDIR OUT [NAME=VALUE...]" >&2
	exit 2
}
kdir=$(cd "$1" && pwd)
confdir=$2
out=$3
shift 3
kver=$(cat "$kdir/version")
[ -d "$kdir/lib/modules/$kver" ] || {
	echo "distro-mkinitramfs: no $kdir/lib/modules/$kver" >&2
	exit 1
}
for tool in mkinitramfs unshare; do
	command -v "$tool" >/dev/null 2>&1 || {
		echo "distro-mkinitramfs: $tool not found (apt-get install initramfs-tools-core util-linux)" >&2
		exit 1
	}
done
scratch=$(mktemp -d "${TMPDIR:-/tmp}/distro-mkinitramfs.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/up" "$scratch/work"
rc=0
# shellcheck disable=SC2016 # the inner script expands its own arguments
unshare -m sh -c '
	set -e
	mount --make-rprivate /
	mount -t overlay overlay -o "lowerdir=/usr/lib,upperdir=$1/up,workdir=$1/work" /usr/lib
	mkdir -p "/usr/lib/modules/$2"
	mount --bind "$3/lib/modules/$2" "/usr/lib/modules/$2"
	mount -t tmpfs -o mode=0755 crashkit-boot /boot
	cp "$3/boot/config-$2" /boot/
	scratch=$1
	kver=$2
	confdir=$4
	out=$5
	shift 5
	exec env TMPDIR="$scratch" "$@" mkinitramfs -d "$confdir" -o "$out" "$kver"
' distro-mkinitramfs "$scratch" "$kver" "$kdir" "$confdir" "$out" "$@" || rc=$?
exit "$rc"
