# shellcheck shell=sh
# local.sh - the local target: a file system on a block device named by
# LOCAL_DEVICE (UUID=, LABEL=, PARTUUID= or /dev/...), type LOCAL_FSTYPE,
# directory LOCAL_PATH. doc/capture.md section 4. Also used for
# FALLBACK_DEVICE (crashcapture sets LOCAL_* to the FALLBACK_* values).
# Sourcing defines functions only; needs fs.sh (sourced by crashcapture).
# shellcheck disable=SC3043 # `local` is in dash and busybox ash, our two shells.
# shellcheck disable=SC2034 # target_root, target_dir, dump_* are read by crashcapture.
# shellcheck disable=SC2154 # crash_name, ck_host, dump_* come from crashcapture and dump.sh.

# prepare: find and mount the device, create the crash directory.
prepare() {
	local dev
	local_mnt="$CK_MNT/local"
	target_root="local:$LOCAL_DEVICE:$LOCAL_PATH"
	if ! dev=$(fs_find_device "$LOCAL_DEVICE"); then
		target_reason="device $LOCAL_DEVICE not found"
		return 1
	fi
	if ! fs_mount "$dev" "$local_mnt" "$LOCAL_FSTYPE" 2>"$CK_WORK/mount.err"; then
		target_reason="mount $dev ($LOCAL_FSTYPE) failed: $(ck_last_line "$CK_WORK/mount.err")"
		return 1
	fi
	local_dir="$local_mnt$LOCAL_PATH/$crash_name"
	target_dir=$local_dir
	if ! fs_mkdir "$local_dir" 2>"$CK_WORK/mkdir.err"; then
		target_reason="cannot create $LOCAL_PATH/$crash_name: $(ck_last_line "$CK_WORK/mkdir.err")"
		fs_umount "$local_mnt"
		return 1
	fi
	return 0
}

# save FILE NAME: store FILE (or '-') as NAME in the crash directory.
save() { fs_save "$local_dir" "$1" "$2"; }

# save_dump NAME: crashcopy into a seekable file.
save_dump() { fs_save_dump "$local_dir" "$1"; }

# free_bytes: free space in the crash directory.
free_bytes() { fs_free "$local_dir"; }

# finish: sync and unmount.
finish() { fs_umount "$local_mnt"; }
