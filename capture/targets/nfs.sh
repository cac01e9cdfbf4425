# shellcheck shell=sh
# nfs.sh - the nfs target: mount NFS_EXPORT (server:/path) with NFS_OPTIONS,
# then as the local target in NFS_PATH below it. doc/capture.md section 4.
# Sourcing defines functions only; needs fs.sh (sourced by crashcapture).
# shellcheck disable=SC3043 # `local` is in dash and busybox ash, our two shells.
# shellcheck disable=SC2034 # target_root, target_dir, dump_* are read by crashcapture.
# shellcheck disable=SC2154 # crash_name, ck_host, dump_* come from crashcapture and dump.sh.

# prepare: mount the export (under a timeout), create the crash directory.
prepare() {
	local path
	nfs_mnt="$CK_MNT/nfs"
	path=${NFS_PATH%/}
	target_root="nfs:$NFS_EXPORT${path}"
	if ! fs_mount "$NFS_EXPORT" "$nfs_mnt" nfs "$NFS_OPTIONS" 2>"$CK_WORK/mount.err"; then
		target_reason="mount $NFS_EXPORT failed: $(ck_last_line "$CK_WORK/mount.err")"
		return 1
	fi
	nfs_dir="$nfs_mnt$path/$crash_name"
	target_dir=$nfs_dir
	if ! fs_mkdir "$nfs_dir" 2>"$CK_WORK/mkdir.err"; then
		target_reason="cannot create $path/$crash_name on $NFS_EXPORT: $(ck_last_line "$CK_WORK/mkdir.err")"
		fs_umount "$nfs_mnt"
		return 1
	fi
	return 0
}

save() { fs_save "$nfs_dir" "$1" "$2"; }
save_dump() { fs_save_dump "$nfs_dir" "$1"; }
free_bytes() { fs_free "$nfs_dir"; }
finish() { fs_umount "$nfs_mnt"; }
