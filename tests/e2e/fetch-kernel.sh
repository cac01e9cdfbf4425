#!/bin/sh
# fetch-kernel.sh SUITE OUTDIR: unpack a real Debian amd64 kernel for QEMU tests.
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
set -eu
PATH=$PATH:/usr/sbin:/sbin

die() {
	printf 'fetch-kernel: %s\n' "$*" >&2
	exit 1
}

# host_mirror: print the host's main Debian archive URI (not the security one).
host_mirror() {
	local f uri
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		uri=$(awk '$1 == "URIs:" { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' "$f")
		[ -n "$uri" ] && { printf '%s\n' "$uri"; return 0; }
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -r "$f" ] || continue
		# deb [options] URI suite component...
		uri=$(awk '$1 == "deb" { i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
			if ($i !~ /security/) { print $i; exit } }' "$f")
		[ -n "$uri" ] && { printf '%s\n' "$uri"; return 0; }
	done
	return 1
}

[ $# -eq 2 ] || die "usage: fetch-kernel.sh SUITE OUTDIR"
suite=$1
outdir=$2
case $suite in
bullseye | bookworm | trixie) ;;
*) die "unknown suite '$suite' (want bullseye, bookworm or trixie)" ;;
esac

if [ -e "$outdir/vmlinuz" ]; then
	exit 0
fi

for tool in apt-get apt-cache dpkg-deb depmod; do
	command -v "$tool" >/dev/null 2>&1 || die "$tool not found (apt-get install apt dpkg kmod)"
done

mirror=$(host_mirror) || die "no Debian mirror URI found in /etc/apt/sources.list{,.d}"
mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)
apt_dir=$outdir/.apt
mkdir -p "$apt_dir/lists/partial" "$apt_dir/archives/partial"
printf 'deb [trusted=yes] %s %s main\n' "$mirror" "$suite" >"$apt_dir/sources.list"

# apt_private ARGS...: run apt-get/apt-cache ($1) with the private state only.
apt_private() {
	local tool
	tool=$1
	shift
	"$tool" -q \
		-o Dir::Etc::sourcelist="$apt_dir/sources.list" \
		-o Dir::Etc::sourceparts=- \
		-o Dir::State::Lists="$apt_dir/lists" \
		-o Dir::Cache::archives="$apt_dir/archives" \
		-o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= \
		-o Debug::NoLocking=1 \
		-o APT::Sandbox::User=root \
		-o APT::Architecture=amd64 \
		"$@"
}

apt_private apt-get update >"$apt_dir/update.log" 2>&1 ||
	die "apt-get update for $suite from $mirror failed (see $apt_dir/update.log)"

# linux-image-amd64 depends on exactly one linux-image-VERSION-amd64 package.
pkg=$(apt_private apt-cache depends linux-image-amd64 |
	sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n 1)
[ -n "$pkg" ] || die "$suite: linux-image-amd64 has no linux-image-*-amd64 dependency"
# The -unsigned twin has the same kernel without a signature; take it if there.
if apt_private apt-cache show "$pkg-unsigned" >/dev/null 2>&1; then
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
[ -f "$outdir/boot/vmlinuz-$version" ] || die "$suite: $deb has no boot/vmlinuz-$version"
# trixie's packages ship merged-/usr (usr/lib/modules); depmod -b and the
# callers look in lib/modules.
if [ ! -e "$outdir/lib" ] && [ -d "$outdir/usr/lib/modules" ]; then
	ln -s usr/lib "$outdir/lib"
fi
depmod -b "$outdir" "$version" || die "$suite: depmod -b $outdir $version failed"
printf '%s\n' "$version" >"$outdir/version"
# vmlinuz last: its presence marks a complete fetch.
cp "$outdir/boot/vmlinuz-$version" "$outdir/vmlinuz.tmp"
mv "$outdir/vmlinuz.tmp" "$outdir/vmlinuz"
rm -rf "$deb" "$apt_dir/lists"
printf '%s\n' "$version"
