#!/bin/sh
# fetch-makedumpfile-zstd.sh [CACHEDIR]: provide a makedumpfile that reads
# and writes zstd dumps, as a test and bench peer; print the path of its
# executable.
#
# Debian 12's makedumpfile (1:1.7.2-1) is built without zstd: a packaging
# regression from 1:1.7.1-1 on, fixed in 1:1.7.5-2 (its changelog).  Debian
# 13 (trixie) ships makedumpfile built with zstd, and its binary runs on
# Debian 12: it needs glibc >= 2.34 and the libdw/libelf/lzo/zlib sonames
# Debian 12 has, and only libzstd1 >= 1.5.5, which Debian 12 (1.5.4) lacks.
# So this script takes Debian's own binary, unchanged: it downloads trixie's
# makedumpfile and libzstd1 packages through a private apt configuration
# (own sources list, lists and archive cache; the host's apt state is not
# touched), whose Release file apt checks against Debian's archive keyring
# and whose .debs against the hashes in it; unpacks both with dpkg-deb -x
# (never installed) into CACHEDIR/makedumpfile-zstd-VERSION/root; and
# writes CACHEDIR/makedumpfile-zstd-VERSION/makedumpfile, a wrapper that
# runs root/usr/bin/makedumpfile with trixie's libzstd first on the library
# path.  It checks that `makedumpfile -v` says "zstd enabled".  The mirror
# is the host's own Debian mirror, read from its apt sources.  Building
# bookworm's 1.7.2 from its source package with USEZSTD=on is not possible
# here: that source is not downloadable from this machine's mirror.
#
# CACHEDIR defaults to .cache/peers in the repository.  Idempotent: when a
# complete CACHEDIR/makedumpfile-zstd-*/makedumpfile exists, it is printed
# with no network access (the newest by version).  Leaves also
# CACHEDIR/makedumpfile-zstd-VERSION/version (one line: the packages).
# Exit 0 and one line on stdout (the path), or exit 1 and one line on
# stderr.
set -eu
PATH=$PATH:/usr/sbin:/sbin
top=$(cd "$(dirname "$0")/../.." && pwd)
suite=trixie
keyring=/usr/share/keyrings/debian-archive-keyring.gpg

die() {
	printf 'fetch-makedumpfile-zstd: %s\n' "$*" >&2
	exit 1
}

# shellcheck source=/dev/null # host-mirror.sh is checked on its own
. "$top/tests/e2e/host-mirror.sh"

# first_error LOG: apt's first error line in LOG, else its last line.
first_error() {
	local e
	e=$(grep -E '^(E|W):' "$1" | head -n 1)
	[ -n "$e" ] || e=$(tail -n 1 "$1")
	printf '%s\n' "$e"
}

# zstd_enabled EXE: EXE -v reports zstd support.
zstd_enabled() {
	"$1" -v 2>&1 | grep -q '^zstd[[:space:]]*enabled'
}

[ $# -le 1 ] || die "usage: fetch-makedumpfile-zstd.sh [CACHEDIR]"
cache=${1:-$top/.cache/peers}
mkdir -p "$cache" 2>/dev/null || die "cannot create $cache"
cache=$(cd "$cache" && pwd) || die "cannot enter $cache"

# A complete earlier fetch: its wrapper exists (written last).
found=$(for f in "$cache"/makedumpfile-zstd-*/makedumpfile; do
	[ -x "$f" ] && printf '%s\n' "$f"
done | sort -V | tail -n 1)
if [ -n "$found" ]; then
	zstd_enabled "$found" || die "$found does not report zstd support (remove ${found%/*})"
	printf '%s\n' "$found"
	exit 0
fi

# dpkg and dpkg-deb by path: busybox sh would run its own applets.
for tool in apt-get apt-cache /usr/bin/dpkg /usr/bin/dpkg-deb timeout; do
	command -v "$tool" >/dev/null 2>&1 || die "$tool not found (apt-get install apt dpkg coreutils)"
done
[ -r "$keyring" ] || die "$keyring missing (apt-get install debian-archive-keyring)"
mirror=$(host_mirror) || die "no Debian mirror URI found in /etc/apt/sources.list{,.d}"
arch=$(/usr/bin/dpkg --print-architecture) || die "dpkg --print-architecture failed"

tmp=$cache/.fetch.$$
rm -rf "$tmp"
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM
mkdir -p "$tmp/root" 2>/dev/null || die "cannot create $tmp/root"
apt_dir=$tmp/apt
apt_private_setup "$apt_dir" "$suite" "$arch" "$keyring" || die "cannot set up $apt_dir"

apt_private apt-get update >"$apt_dir/update.log" 2>&1 ||
	die "apt-get update for $suite from $mirror failed: $(first_error "$apt_dir/update.log")"
pkgs=
for p in makedumpfile libzstd1; do
	v=$(apt_private apt-cache show --no-all-versions "$p" 2>/dev/null | sed -n 's/^Version: //p' | head -n 1)
	[ -n "$v" ] || die "$suite has no package $p for $arch"
	pkgs="$pkgs $p=$v"
done
pkgs=${pkgs# }
# shellcheck disable=SC2086 # the list is meant to split into words
(cd "$apt_dir/archives" && apt_private apt-get download $pkgs) >"$apt_dir/download.log" 2>&1 ||
	die "apt-get download $pkgs failed: $(first_error "$apt_dir/download.log")"
for deb in "$apt_dir/archives"/*.deb; do
	[ -f "$deb" ] || die "apt-get download $pkgs left no .deb"
	timeout 60 /usr/bin/dpkg-deb -x "$deb" "$tmp/root" || die "dpkg-deb -x $deb failed"
done
exe=$tmp/root/usr/bin/makedumpfile
[ -x "$exe" ] || exe=$tmp/root/usr/sbin/makedumpfile
[ -x "$exe" ] || die "the makedumpfile package has no usr/bin/makedumpfile"
lib=$(find "$tmp/root" -name 'libzstd.so.1' | head -n 1)
[ -n "$lib" ] || die "the libzstd1 package has no libzstd.so.1"
exe=${exe#"$tmp"/}
lib=${lib%/*}
lib=${lib#"$tmp"/}

# The wrapper finds its tree through $0, so the cache may move.
cat >"$tmp/makedumpfile.new" <<EOF
#!/bin/sh
# Debian $suite's makedumpfile with $suite's libzstd ($pkgs), written by
# tests/peers/fetch-makedumpfile-zstd.sh.
d=\${0%/*}
LD_LIBRARY_PATH=\$d/$lib\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}
export LD_LIBRARY_PATH
exec "\$d/$exe" "\$@"
EOF
chmod 0755 "$tmp/makedumpfile.new"
zstd_enabled "$tmp/makedumpfile.new" ||
	die "$suite's makedumpfile ($pkgs) does not report zstd support: $("$tmp/makedumpfile.new" -v 2>&1 | tr '\n' ' ')"
printf 'Debian %s: %s\n' "$suite" "$pkgs" >"$tmp/version"
rm -rf "$apt_dir"
mv "$tmp/makedumpfile.new" "$tmp/makedumpfile"

version=${pkgs%% *}
version=${version#makedumpfile=}
version=${version#*:}
dest=$cache/makedumpfile-zstd-$version
if [ -x "$dest/makedumpfile" ]; then
	# Another run finished first: keep its tree.
	printf '%s\n' "$dest/makedumpfile"
	exit 0
fi
rm -rf "$dest"
mv "$tmp" "$dest" || die "cannot rename $tmp to $dest"
printf '%s\n' "$dest/makedumpfile"
