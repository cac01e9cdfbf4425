#!/bin/sh
# fetch-xen.sh OUTDIR: unpack Debian 12's Xen 4.17 hypervisor and toolstack
# for QEMU tests.
#
# Downloads with the host's apt (bookworm, the host's release: its main and
# security sources carry the Xen it would install; `apt-get download` writes
# only into OUTDIR/.debs) xen-hypervisor-4.17-amd64, its -dbg symbol map when
# the archive has one, xen-utils-4.17, xen-utils-common and the libxen* and
# libyajl packages of xen-utils-4.17's dependency closure (other libraries
# are the host's own), and unpacks them with dpkg-deb -x (never installed)
# into OUTDIR/root. The host's /boot and installed packages are not touched.
#
# Leaves: OUTDIR/xen (the decompressed multiboot image QEMU -kernel boots),
# OUTDIR/xen.map (Xen's symbol map, or absent), OUTDIR/version,
# OUTDIR/root/... (xl, xenconsoled and their libraries). Does nothing when
# OUTDIR/xen exists.
set -eu
PATH=$PATH:/usr/sbin:/sbin

die() {
	printf 'fetch-xen: %s\n' "$*" >&2
	exit 1
}

[ $# -eq 1 ] || die "usage: fetch-xen.sh OUTDIR"
outdir=$1
[ -e "$outdir/xen" ] && exit 0

for tool in apt-get apt-cache dpkg-deb gzip; do
	command -v "$tool" >/dev/null 2>&1 || die "$tool not found (apt-get install apt dpkg gzip)"
done
mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)
dl=$outdir/.debs
rm -rf "$dl"
mkdir -p "$dl"

# Bookworm is the host's own release: its apt sources (main and security)
# carry the Xen it would install; apt-get download only writes into $dl.
set -- xen-hypervisor-4.17-amd64 xen-utils-4.17 xen-utils-common
deps=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
	--no-breaks --no-replaces --no-enhances xen-utils-4.17 2>/dev/null |
	sed -n 's/^\(libxen[^ <:]*\|libyajl[^ <:]*\)$/\1/p' | sort -u) || deps=
if [ -z "$deps" ]; then
	apt-get update -q >"$outdir/update.log" 2>&1 || die "apt-get update failed (see $outdir/update.log)"
	deps=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
		--no-breaks --no-replaces --no-enhances xen-utils-4.17 |
		sed -n 's/^\(libxen[^ <:]*\|libyajl[^ <:]*\)$/\1/p' | sort -u)
fi
[ -n "$deps" ] || die "apt-cache depends xen-utils-4.17 names no libxen* package"
for p in $deps; do
	set -- "$@" "$p"
done
if apt-cache show xen-hypervisor-4.17-amd64-dbg >/dev/null 2>&1; then
	set -- "$@" xen-hypervisor-4.17-amd64-dbg
fi
(cd "$dl" && apt-get download "$@") >"$outdir/download.log" 2>&1 ||
	die "apt-get download $* failed (see $outdir/download.log)"
rm -rf "$outdir/root"
mkdir -p "$outdir/root"
for p in "$@"; do
	deb=
	for f in "$dl/${p}_"*.deb; do
		[ -f "$f" ] && deb=$f
	done
	[ -n "$deb" ] || die "downloaded $p but found no .deb in $dl"
	dpkg-deb -x "$deb" "$outdir/root" || die "dpkg-deb -x $deb failed"
done

gz=
for f in "$outdir"/root/boot/xen-4.17*-amd64.gz; do
	[ -f "$f" ] && gz=$f
done
[ -n "$gz" ] || die "xen-hypervisor-4.17-amd64 has no boot/xen-4.17*-amd64.gz"
map=
for f in "$outdir"/root/usr/lib/debug/xen-syms-4.17*.map "$outdir"/root/usr/lib/debug/*/xen-syms*.map \
	"$outdir"/root/boot/xen-syms-4.17*.map; do
	[ -f "$f" ] && map=$f
done
[ -z "$map" ] || cp "$map" "$outdir/xen.map"
v=${gz##*/xen-}
printf '%s\n' "${v%.gz}" >"$outdir/version"
# xen last: its presence marks a complete fetch.
gzip -dc "$gz" >"$outdir/xen.tmp" || die "gzip -d $gz failed"
mv "$outdir/xen.tmp" "$outdir/xen"
rm -rf "$dl"
printf '%s\n' "${v%.gz}"
