#!/bin/sh
# dracut module 99crashkit: put crashkit's capture into a dracut-built
# initramfs, for sites whose dump target needs the distro's storage or
# network stack (LVM, RAID, iSCSI, multipath, crypt).  crashkit-capture.sh,
# a pre-pivot hook, runs the capture when the image boots as the capture
# kernel (/proc/vmcore exists) and does nothing on a normal boot.
#
# Sourced by dracut (bash); written as POSIX sh with `local` like the rest
# of crashkit.  Files come from hooks/lib/payload.sh, the same list the
# initramfs-tools hook uses.  Enable with add_dracutmodules+=" crashkit "
# (share/crashkit/examples/dracut-crashkit.conf) or `dracut --add crashkit`.
# CRASHKIT_DESTDIR, CRASHKIT_CONF and CRASHKIT_HOOKS override the install
# root, the config and the hook directory for tests.
# shellcheck disable=SC2154 # initdir and moddir are set by dracut

crashkit_root=${CRASHKIT_DESTDIR:-}
crashkit_libdir=$crashkit_root@LIBDIR@
crashkit_conf=${CRASHKIT_CONF:-/etc/crashkit.conf}

# crashkit_payload: print payload_list's lines (see payload.sh).
crashkit_payload() {
	# shellcheck source=hooks/lib/conf-get.sh
	. "$crashkit_libdir/hooks/conf-get.sh"
	# shellcheck source=hooks/lib/payload.sh
	. "$crashkit_libdir/hooks/payload.sh"
	payload_list "$crashkit_root@BINDIR@" "$crashkit_root@SBINDIR@" "$crashkit_libdir" \
		"$crashkit_conf" "${CRASHKIT_HOOKS:-/etc/crashkit}"
}

# check: 255 (include only when asked for) when crashkit is installed,
# 1 when it is not: a distro image never grows by surprise.
check() {
	[ -r "$crashkit_libdir/hooks/payload.sh" ] || return 1
	[ -x "$crashkit_root@BINDIR@/crashdmesg" ] || return 1
	return 255
}

# depends: base always; network when a target is reached over the network
# (dracut's network module, package dracut-network on Debian; the capture
# command line then needs rd.neednet=1 ip=dhcp).
depends() {
	# shellcheck source=hooks/lib/conf-get.sh
	. "$crashkit_libdir/hooks/conf-get.sh"
	if conf_needs_network "$(conf_get "$crashkit_conf" TARGETS local)"; then
		echo base network
	else
		echo base
	fi
	return 0
}

# installkernel: the file system and NFS modules the targets need.
installkernel() {
	local kind name rest tab
	tab=$(printf '\t')
	crashkit_payload | while IFS=$tab read -r kind name rest; do
		[ "$kind" = module ] && hostonly='' instmods "$name"
	done
	return 0
}

# install: programs, scripts, config, keys, busybox applets, the hook.
install() {
	local list kind a b tab
	tab=$(printf '\t')
	list=$(mktemp "${TMPDIR:-/var/tmp}/crashkit-payload.XXXXXX") || return 1
	crashkit_payload >"$list"
	while IFS=$tab read -r kind a b; do
		case $kind in
		exec) inst_binary "$a" "$b" || dwarn "crashkit: could not add $a" ;;
		file) inst_simple "$a" "$b" || dwarn "crashkit: could not add $a" ;;
		secret)
			inst_simple "$a" "$b" || dwarn "crashkit: could not add $a"
			chmod 0600 "$initdir$b"
			;;
		link)
			[ -d "$initdir${b%/*}" ] || mkdir -p "$initdir${b%/*}"
			[ -e "$initdir$b" ] || ln -s "$a" "$initdir$b"
			;;
		warn) dwarn "crashkit: $a" ;;
		esac
	done <"$list"
	rm -f "$list"
	inst_hook pre-pivot 90 "$moddir/crashkit-capture.sh"
}
