#!/bin/sh
# install.sh: install crashkit's distro integration (hooks/); run by
# `make install-hooks` (part of `make install`), which passes the
# directories:
#   DESTDIR PREFIX SYSTEMDUNITDIR SYSTEMDGENERATORDIR INITDDIR
#   INITRAMFSTOOLSDIR DRACUTMODULESDIR
# @BINDIR@, @SBINDIR@ and @LIBDIR@ in the files become PREFIX/bin,
# PREFIX/sbin and PREFIX/lib/crashkit (doc/capture.md section 1).
set -eu
[ $# -eq 7 ] || {
	echo "usage: install.sh DESTDIR PREFIX SYSTEMDUNITDIR SYSTEMDGENERATORDIR INITDDIR INITRAMFSTOOLSDIR DRACUTMODULESDIR" >&2
	exit 2
}
destdir=$1
prefix=$2
unitdir=$destdir$3
gendir=$destdir$4
initddir=$destdir$5
# INITRAMFSTOOLSDIR may be empty: the hook is then installed inactive only.
itdir=${6:+$destdir$6}
dracutdir=$destdir$7/99crashkit
libdir=$destdir$prefix/lib/crashkit/hooks
exdir=$destdir$prefix/share/crashkit/examples
src=$(cd "$(dirname "$0")" && pwd)

# put MODE SRC DST: install SRC as DST with the paths filled in.
put() {
	sed -e "s|@BINDIR@|$prefix/bin|g" -e "s|@SBINDIR@|$prefix/sbin|g" \
		-e "s|@LIBDIR@|$prefix/lib/crashkit|g" "$src/$2" >"$3.tmp"
	chmod "$1" "$3.tmp"
	mv "$3.tmp" "$3"
}

itshare=$destdir$prefix/share/crashkit/initramfs-tools
install -d "$unitdir" "$gendir" "$initddir" "$dracutdir" "$libdir" "$exdir/pre.d" "$exdir/post.d"
for f in crashkit.service crashkit-reload.service crashkit-reload.path; do
	put 0644 "systemd/$f" "$unitdir/$f"
done
put 0755 systemd/crashkit-generator "$gendir/crashkit-generator"
put 0755 sysv/crashkit "$initddir/crashkit"
# put_initramfs_tools DIR: the hook and the boot script under DIR.
put_initramfs_tools() {
	install -d "$1/hooks" "$1/scripts/init-bottom"
	put 0755 initramfs-tools/hooks/crashkit "$1/hooks/crashkit"
	put 0755 initramfs-tools/scripts/init-bottom/crashkit "$1/scripts/init-bottom/crashkit"
}
put_initramfs_tools "$itshare"
[ -z "$itdir" ] || put_initramfs_tools "$itdir"
put 0755 dracut/99crashkit/module-setup.sh "$dracutdir/module-setup.sh"
put 0755 dracut/99crashkit/crashkit-capture.sh "$dracutdir/crashkit-capture.sh"
put 0644 lib/conf-get.sh "$libdir/conf-get.sh"
put 0644 lib/payload.sh "$libdir/payload.sh"
put 0755 lib/distro-capture "$libdir/distro-capture"
put 0644 dracut/crashkit.conf "$exdir/dracut-crashkit.conf"
for f in "$src"/examples/pre.d/* "$src"/examples/post.d/*; do
	[ -f "$f" ] || continue
	rel=${f#"$src"/examples/}
	put 0755 "examples/$rel" "$exdir/$rel"
done
