#!/bin/sh
# fetch-makedumpfile-foreign.sh ARCH [CACHEDIR]: provide Debian 12's
# makedumpfile built for another architecture (ARCH: ppc64el), run under
# qemu-user, as an oracle for cores of that architecture; print the path of
# a wrapper that runs it.
#
# makedumpfile filters by struct page only for the architecture it was
# built for: the host's amd64 build fails on a ppc64 core ("vtop4_x86_64:
# Can't get the symbol of init_level4_pgt").  Debian's ppc64el build reads
# one, with its own page-table walk, which is what the e2e tests compare
# crashcopy's counts with.  The script downloads bookworm's makedumpfile for
# ARCH and every package of its dependency closure (libc6 and the
# libraries) through a private apt configuration (own sources list, lists
# and archive cache, Release checked against Debian's archive keyring; the
# host's apt state is not touched), unpacks them with dpkg-deb -x (never
# installed) into CACHEDIR/makedumpfile-ARCH-VERSION/root, turns the
# absolute symbolic links of that tree (the program interpreter's) into
# links inside it, and writes CACHEDIR/makedumpfile-ARCH-VERSION/
# makedumpfile, a wrapper running `qemu-QARCH -L root root/usr/bin/
# makedumpfile "$@"`.  It checks that the wrapper prints makedumpfile's
# version.  The mirror is the host's own Debian mirror.
#
# CACHEDIR defaults to .cache/peers in the repository.  Idempotent: a
# complete CACHEDIR/makedumpfile-ARCH-*/makedumpfile is printed with no
# network access.  Exit 0 and one line on stdout (the path), or exit 1 and
# one line on stderr.
set -eu
PATH=$PATH:/usr/sbin:/sbin
top=$(cd "$(dirname "$0")/../.." && pwd)
suite=bookworm
keyring=/usr/share/keyrings/debian-archive-keyring.gpg

die() {
	printf 'fetch-makedumpfile-foreign: %s\n' "$*" >&2
	exit 1
}

# shellcheck source=/dev/null # host-mirror.sh is checked on its own
. "$top/tests/e2e/host-mirror.sh"

case $# in 1 | 2) ;; *) die "usage: fetch-makedumpfile-foreign.sh ARCH [CACHEDIR]" ;; esac
arch=$1
case $arch in
ppc64el) qemu_user=qemu-ppc64le ;;
*) die "unknown ARCH '$arch' (want ppc64el)" ;;
esac
cache=${2:-$top/.cache/peers}
mkdir -p "$cache" 2>/dev/null || die "cannot create $cache"
cache=$(cd "$cache" && pwd) || die "cannot enter $cache"

found=$(for f in "$cache/makedumpfile-$arch"-*/makedumpfile; do
	[ -x "$f" ] && printf '%s\n' "$f"
done | sort -V | tail -n 1)
if [ -n "$found" ]; then
	printf '%s\n' "$found"
	exit 0
fi

for tool in apt-get apt-cache /usr/bin/dpkg-deb timeout "$qemu_user"; do
	command -v "$tool" >/dev/null 2>&1 || die "$tool not found (apt-get install apt dpkg coreutils qemu-user)"
done
[ -r "$keyring" ] || die "$keyring missing (apt-get install debian-archive-keyring)"
host_mirror >/dev/null || die "no Debian mirror URI found in /etc/apt/sources.list{,.d}"

tmp=$cache/.fetch-$arch.$$
rm -rf "$tmp"
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM
mkdir -p "$tmp/root" 2>/dev/null || die "cannot create $tmp/root"
apt_dir=$tmp/apt
apt_private_setup "$apt_dir" "$suite" "$arch" "$keyring" || die "cannot set up $apt_dir"

apt_private apt-get update >"$apt_dir/update.log" 2>&1 ||
	die "apt-get update for $suite $arch failed: $(grep -E '^(E|W):' "$apt_dir/update.log" | head -n 1)"
# makedumpfile and the library packages of its dependency closure.
set -- makedumpfile
for p in $(apt_private_libs makedumpfile); do
	set -- "$@" "$p"
done
(cd "$apt_dir/archives" && apt_private apt-get download "$@") >"$apt_dir/download.log" 2>&1 ||
	die "apt-get download $* failed: $(grep -E '^(E|W):' "$apt_dir/download.log" | head -n 1)"
for deb in "$apt_dir/archives"/*.deb; do
	[ -f "$deb" ] || die "apt-get download $* left no .deb"
	timeout 60 /usr/bin/dpkg-deb -x "$deb" "$tmp/root" || die "dpkg-deb -x $deb failed"
done
[ -x "$tmp/root/usr/bin/makedumpfile" ] || die "the makedumpfile package has no usr/bin/makedumpfile"
# Absolute links (lib64/ld64.so.2 -> /lib/...) would point into the host.
find "$tmp/root" -type l | while IFS= read -r l; do
	t=$(readlink "$l")
	case $t in
	/*) ln -sf "$(printf '%s\n' "${l#"$tmp/root"/}" | sed 's|[^/]*/|../|g; s|[^/]*$||')${t#/}" "$l" ;;
	esac
done
version=$(dpkg-deb -f "$apt_dir/archives"/makedumpfile_*.deb Version)

cat >"$tmp/makedumpfile.new" <<EOF
#!/bin/sh
# Debian $suite's makedumpfile $version for $arch under $qemu_user, written
# by tests/peers/fetch-makedumpfile-foreign.sh.
d=\${0%/*}
exec $qemu_user -L "\$d/root" "\$d/root/usr/bin/makedumpfile" "\$@"
EOF
chmod 0755 "$tmp/makedumpfile.new"
"$tmp/makedumpfile.new" -v 2>&1 | grep -q '^makedumpfile' ||
	die "the $arch makedumpfile does not run under $qemu_user: $("$tmp/makedumpfile.new" -v 2>&1 | head -n 1)"
rm -rf "$apt_dir"
mv "$tmp/makedumpfile.new" "$tmp/makedumpfile"
dest=$cache/makedumpfile-$arch-${version#*:}
if [ -x "$dest/makedumpfile" ]; then
	printf '%s\n' "$dest/makedumpfile"
	exit 0
fi
rm -rf "$dest"
mv "$tmp" "$dest" || die "cannot rename $tmp to $dest"
printf '%s\n' "$dest/makedumpfile"
