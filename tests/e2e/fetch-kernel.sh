#!/bin/sh
# fetch-kernel.sh [--arch amd64|i386|arm64|s390x|ppc64el] SUITE OUTDIR: unpack a real Debian
# kernel for QEMU tests.
#
# SUITE is bullseye (5.10), bookworm (6.1) or trixie (6.12). The versioned
# linux-image-*-amd64 package that the suite's linux-image-amd64 depends on is
# downloaded through a private apt configuration (own sources list, lists and
# archive cache under OUTDIR/.apt), unpacked with dpkg-deb -x into OUTDIR and
# given a modules.dep by depmod. The host's /boot and apt state are not touched.
# The mirror is the host's own Debian mirror, read from its apt sources.
#
# Leaves: OUTDIR/vmlinuz, OUTDIR/version, OUTDIR/boot/config-VERSION,
# OUTDIR/lib/modules/VERSION. Does nothing when OUTDIR/vmlinuz exists.
#
# --arch i386 takes linux-image-686-pae's linux-image-*-686-pae instead, and
# also the guest's i386 userland, which the amd64 host cannot lend: the
# busybox-static and kexec-tools i386 packages and the lib* packages in their
# dependency closure, downloaded the same way and unpacked (dpkg-deb -x, never
# installed) into OUTDIR/userland.
#
# --arch arm64 takes linux-image-arm64's linux-image-*-arm64 (unsigned), and
# the arm64 userland the same way as i386. --arch s390x likewise takes
# linux-image-s390x's linux-image-*-s390x and the s390x userland.
# --arch ppc64el takes linux-image-powerpc64le's linux-image-*-powerpc64le and
# the ppc64el userland; that package ships an uncompressed ELF
# boot/vmlinux-VERSION (no vmlinuz), which is what QEMU's pseries -kernel and
# kexec -p load, kept as OUTDIR/vmlinuz all the same.
set -eu
PATH=$PATH:/usr/sbin:/sbin

die() {
	printf 'fetch-kernel: %s\n' "$*" >&2
	exit 1
}

# shellcheck source=/dev/null # host-mirror.sh is checked on its own
. "$(dirname "$0")/host-mirror.sh"

arch=amd64
if [ $# -ge 2 ] && [ "$1" = --arch ]; then
	arch=$2
	shift 2
fi
[ $# -eq 2 ] || die "usage: fetch-kernel.sh [--arch amd64|i386|arm64|s390x|ppc64el] SUITE OUTDIR"
suite=$1
outdir=$2
case $arch in
amd64) flavour=amd64 ;;
i386) flavour=686-pae ;;
arm64) flavour=arm64 ;;
s390x) flavour=s390x ;;
ppc64el) flavour=powerpc64le ;;
*) die "unknown arch '$arch' (want amd64, i386, arm64, s390x or ppc64el)" ;;
esac
case $suite in
bullseye | bookworm | trixie) ;;
*) die "unknown suite '$suite' (want bullseye, bookworm or trixie)" ;;
esac

if [ -e "$outdir/vmlinuz" ]; then
	exit 0
fi

for tool in apt-get apt-cache dpkg-deb depmod timeout; do
	command -v "$tool" >/dev/null 2>&1 || die "$tool not found (apt-get install apt dpkg kmod coreutils)"
done

mirror=$(host_mirror) || die "no Debian mirror URI found in /etc/apt/sources.list{,.d}"
mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)

# One fetch of OUTDIR at a time: two at once (make bench while make check
# runs) share OUTDIR/.apt, and one's apt-get update deletes the lists the
# other is downloading.  The lock is a directory holding its holder's pid;
# one whose holder is gone is taken over, and the wait is bounded.
lock=$outdir.lock
waited=0
while ! mkdir "$lock" 2>/dev/null; do
	holder=$(cat "$lock/pid" 2>/dev/null || true)
	if [ -n "$holder" ] && ! kill -0 "$holder" 2>/dev/null; then
		rm -rf "$lock"
		continue
	fi
	[ "$waited" -lt 900 ] || die "$lock: held by pid ${holder:-unknown} for 15 minutes"
	sleep 1
	waited=$((waited + 1))
done
trap 'rm -rf "$lock"' EXIT
trap 'exit 1' HUP INT TERM
printf '%s\n' "$$" >"$lock/pid"
# The holder we waited for may have fetched it.
if [ -e "$outdir/vmlinuz" ]; then
	exit 0
fi

apt_dir=$outdir/.apt
apt_private_setup "$apt_dir" "$suite" "$arch" || die "cannot set up $apt_dir"

apt_private apt-get update >"$apt_dir/update.log" 2>&1 ||
	die "apt-get update for $suite from $mirror failed (see $apt_dir/update.log)"

# linux-image-FLAVOUR depends on exactly one linux-image-VERSION-FLAVOUR package.
pkg=$(apt_private apt-cache depends "linux-image-$flavour" |
	sed -n "s/^ *Depends: \(linux-image-[0-9][^ ]*-$flavour\)\$/\1/p" | head -n 1)
[ -n "$pkg" ] || die "$suite: linux-image-$flavour has no linux-image-*-$flavour dependency"
# The -unsigned twin has the same kernel without a signature; take it if there
# (a real package: trixie's s390x kernel only Provides its -unsigned name).
if apt_private apt-cache show "$pkg-unsigned" 2>/dev/null | grep -q '^Package:'; then
	pkg=$pkg-unsigned
fi
version=${pkg#linux-image-}
version=${version%-unsigned}

(cd "$apt_dir/archives" && apt_private apt-get download "$pkg") >"$apt_dir/download.log" 2>&1 ||
	die "$suite: apt-get download $pkg failed (see $apt_dir/download.log)"
deb=
for f in "$apt_dir/archives/${pkg}_"*.deb; do
	[ -f "$f" ] && deb=$f
done
[ -n "$deb" ] || die "$suite: downloaded $pkg but found no .deb in $apt_dir/archives"

dpkg-deb -x "$deb" "$outdir" || die "$suite: dpkg-deb -x $deb failed"
# powerpc's kernel is an uncompressed ELF, boot/vmlinux-VERSION.
kimage=$outdir/boot/vmlinuz-$version
[ -f "$kimage" ] || [ ! -f "$outdir/boot/vmlinux-$version" ] || kimage=$outdir/boot/vmlinux-$version
[ -f "$kimage" ] || die "$suite: $deb has no boot/vmlinuz-$version"
# trixie's packages ship merged-/usr (usr/lib/modules); depmod -b and the
# callers look in lib/modules.
if [ ! -e "$outdir/lib" ] && [ -d "$outdir/usr/lib/modules" ]; then
	ln -s usr/lib "$outdir/lib"
fi
depmod -b "$outdir" "$version" || die "$suite: depmod -b $outdir $version failed"

# The i386, arm64, s390x or ppc64el guest's userland: busybox-static, kexec-tools and the libraries
# they may load (every lib* package and zlib1g in kexec-tools' dependency
# closure; the
# caller copies only what /sbin/kexec's DT_NEEDED chain names).
if [ "$arch" != amd64 ]; then
	rm -rf "$outdir/userland"
	mkdir -p "$outdir/userland"
	set -- busybox-static kexec-tools
	for p in $(apt_private_libs kexec-tools); do
		set -- "$@" "$p"
	done
	(cd "$apt_dir/archives" && apt_private apt-get download "$@") >"$apt_dir/download-userland.log" 2>&1 ||
		die "$suite: apt-get download $* failed (see $apt_dir/download-userland.log)"
	for p in "$@"; do
		deb=
		for f in "$apt_dir/archives/${p}_"*.deb; do
			[ -f "$f" ] && deb=$f
		done
		[ -n "$deb" ] || die "$suite: downloaded $p but found no .deb in $apt_dir/archives"
		dpkg-deb -x "$deb" "$outdir/userland" || die "$suite: dpkg-deb -x $deb failed"
		rm -f "$deb"
	done
	# trixie's packages are merged-/usr: give the old paths.
	for d in bin sbin lib; do
		if [ ! -e "$outdir/userland/$d" ] && [ -d "$outdir/userland/usr/$d" ]; then
			ln -s "usr/$d" "$outdir/userland/$d"
		fi
	done
	[ -x "$outdir/userland/bin/busybox" ] || die "$suite: busybox-static:$arch has no bin/busybox"
	[ -x "$outdir/userland/sbin/kexec" ] || die "$suite: kexec-tools:$arch has no sbin/kexec"
fi
printf '%s\n' "$version" >"$outdir/version"
# vmlinuz last: its presence marks a complete fetch.
cp "$kimage" "$outdir/vmlinuz.tmp"
mv "$outdir/vmlinuz.tmp" "$outdir/vmlinuz"
rm -rf "$deb" "$apt_dir/lists"
printf '%s\n' "$version"
