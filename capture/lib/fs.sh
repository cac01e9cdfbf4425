# shellcheck shell=sh
# fs.sh - what the file-system targets (local, nfs, the fallback device)
# share: find and mount a device, store files atomically, run crashcopy into
# a seekable file, report free space, unmount.
#
# Sourced by crashcapture; needs log.sh, util.sh, dump.sh. Functions only.
# shellcheck disable=SC3043 # `local` is in dash and busybox ash, our two shells.
# shellcheck disable=SC2034 # dump_* are the results crashcapture reads.

# fs_find_device SPEC: print the device node for SPEC (UUID=, LABEL=,
# PARTUUID= or /dev/...), waiting up to CRASHKIT_DEVICE_WAIT seconds
# (default 30) for it to appear (drivers probe in the background).
fs_find_device() {
	local spec="$1" waited=0 limit="${CRASHKIT_DEVICE_WAIT:-30}" dev
	while :; do
		case $spec in
		/dev/*)
			[ -b "$spec" ] && { printf '%s\n' "$spec"; return 0; } ;;
		*)
			dev=$(timeout 10 findfs "$spec" 2>/dev/null) ||
				dev=$(timeout 10 blkid -l -o device -t "$spec" 2>/dev/null) || dev=
			[ -n "$dev" ] && [ -b "$dev" ] && { printf '%s\n' "$dev"; return 0; } ;;
		esac
		[ "$waited" -lt "$limit" ] || return 1
		sleep 1
		waited=$((waited + 1))
	done
}

# fs_mount DEV MNT FSTYPE [OPTIONS]: mount under a timeout; FSTYPE auto or a
# name; OPTIONS for -o (may be empty).
fs_mount() {
	mkdir -p -- "$2" || return 1
	if [ "$3" = auto ]; then
		timeout "${CRASHKIT_MOUNT_TIMEOUT:-60}" mount ${4:+-o "$4"} -- "$1" "$2"
	else
		timeout "${CRASHKIT_MOUNT_TIMEOUT:-60}" mount -t "$3" ${4:+-o "$4"} -- "$1" "$2"
	fi
}

# fs_umount MNT: sync and unmount (lazily when busy); never fails.
fs_umount() {
	timeout 60 sync
	timeout 60 umount -- "$1" 2>/dev/null || timeout 10 umount -l -- "$1" 2>/dev/null
	return 0
}

# fs_mkdir DIR: create the crash directory DIR (and its parents) mode 0700.
fs_mkdir() {
	mkdir -p -- "$1" && chmod 700 -- "$1"
}

# fs_sync FILE: flush FILE to the device (busybox sync takes files; the
# plain sync is the fallback).
fs_sync() {
	timeout 120 sync -- "$1" 2>/dev/null || timeout 120 sync
}

# fs_save DIR FILE NAME: store FILE (or '-': stdin) as DIR/NAME through
# DIR/NAME.incomplete, fsync, rename; mode 0600.
fs_save() {
	local dir="$1" src="$2" name="$3"
	rm -f -- "$dir/$name.incomplete"
	if [ "$src" = - ]; then
		cat >"$dir/$name.incomplete" || return 1
	else
		cat -- "$src" >"$dir/$name.incomplete" || return 1
	fi
	chmod 600 -- "$dir/$name.incomplete" &&
		fs_sync "$dir/$name.incomplete" &&
		mv -f -- "$dir/$name.incomplete" "$dir/$name" &&
		fs_sync "$dir"
}

# fs_save_dump DIR NAME: crashcopy CK_VMCORE into DIR/NAME (crashcopy writes
# NAME.incomplete, fsyncs and renames; a failed copy leaves NAME.incomplete).
# Sets dump_name, dump_size, dump_sha256, dump_format; returns crashcopy's
# status (0 ok, 5 output failed, 6 incomplete, 2 input unreadable).
fs_save_dump() {
	local dir="$1" name="$2" rc sum
	rm -f -- "$dir/$name" "$dir/$name.incomplete"
	dump_run -f -- "$CK_VMCORE" "$dir/$name" >"$CK_WORK/cc.json" 2>"$CK_WORK/cc.err"
	rc=$?
	dump_format=$(dump_format)
	if [ -f "$dir/$name" ]; then
		dump_name=$name
	elif [ -f "$dir/$name.incomplete" ]; then
		dump_name=$name.incomplete
	else
		dump_name=$name
		dump_size=0
		dump_sha256=
		return "$rc"
	fi
	chmod 600 -- "$dir/$dump_name"
	fs_sync "$dir"
	dump_size=$(ck_size "$dir/$dump_name")
	sum=$(ck_json_field output_sha256 "$CK_WORK/cc.json") || sum=
	case $sum in
	'' | null | *[!0-9a-f]*) sum=$(ck_sha256 "$dir/$dump_name") || sum= ;;
	esac
	# crashcopy's checksum is of the complete file; a partial one is read back.
	[ "$dump_name" = "$name" ] || sum=$(ck_sha256 "$dir/$dump_name") || sum=
	dump_sha256=$sum
	return "$rc"
}

# fs_free DIR: print the bytes available to us in DIR's file system.
fs_free() {
	local line avail
	line=$(df -P -k -- "$1" 2>/dev/null | tail -n 1) || return 1
	# Filesystem 1024-blocks Used Available Capacity Mounted-on
	set -f
	# shellcheck disable=SC2086 # split df's columns
	set -- $line
	set +f
	avail=${4:-}
	ck_uint "$avail" || return 1
	printf '%s\n' "$((avail * 1024))"
}
