# shellcheck shell=sh
# raw.sh - the raw target: RAW_DEVICE, a whole block device, no file system
# (doc/capture.md section 6): bytes 0-4095 a header of key=value lines
# (NUL-padded), the log at 4096, the flattened dump stream at dump_offset
# (1 MiB aligned). The header is written first (state=writing) and last
# (complete or incomplete). `crashctl savecore` on the next boot writes the
# files and the manifest from it; manifest.json itself is not kept here: its
# save rewrites the final header. Sourcing defines functions only.
# shellcheck disable=SC3043 # `local` is in dash and busybox ash, our two shells.
# shellcheck disable=SC2034 # target_root, target_dir, dump_* are read by crashcapture.
# shellcheck disable=SC2154 # crash_name, ck_host, dump_* come from crashcapture and dump.sh.

# raw_header STATE: write the header with the current raw_* values.
raw_header() {
	{
		printf 'CRASHKIT-RAW=1\nstate=%s\nhost=%s\ntime=%s\n' "$1" "$ck_host" "$crash_name_time"
		printf 'log_offset=4096\nlog_size=%s\n' "$raw_log_size"
		printf 'dump_offset=%s\ndump_size=%s\ndump_status=%s\n' "$raw_dump_offset" "$raw_dump_size" "$raw_dump_status"
	} >"$CK_WORK/raw.header" || return 1
	timeout 60 dd if="$CK_WORK/raw.header" of="$raw_dev" bs=4096 count=1 conv=sync,notrunc,fsync 2>"$CK_WORK/raw.err"
}

# raw_dump_offset_for LOGSIZE: print the 1 MiB aligned offset after the log.
raw_dump_offset_for() {
	printf '%s\n' "$(((4096 + $1 + 1048575) / 1048576 * 1048576))"
}

# prepare: find the device, write the first header.
prepare() {
	target_root="raw:$RAW_DEVICE"
	target_dir="raw:$RAW_DEVICE"
	raw_log_size=0
	raw_dump_offset=1048576
	raw_dump_size=0
	raw_dump_status=
	if ! raw_dev=$(fs_find_device "$RAW_DEVICE"); then
		target_reason="device $RAW_DEVICE not found"
		return 1
	fi
	raw_dev_size=$(timeout 10 blockdev --getsize64 "$raw_dev" 2>/dev/null) || raw_dev_size=
	if ! raw_header writing; then
		target_reason="writing the header to $raw_dev failed: $(ck_last_line "$CK_WORK/raw.err")"
		return 1
	fi
	return 0
}

# save FILE NAME: dmesg.txt goes to the log area; manifest.json rewrites the
# header (the end of the capture on this device); other files do not fit
# the layout and fail.
save() {
	local size
	case $2 in
	dmesg.txt)
		[ "$1" != - ] || { target_reason="raw: the log must be a file"; return 1; }
		size=$(ck_size "$1")
		if ck_uint "$raw_dev_size" && [ $((4096 + size)) -gt "$raw_dev_size" ]; then
			target_reason="raw: $RAW_DEVICE is smaller than the log"
			return 1
		fi
		timeout 120 dd if="$1" of="$raw_dev" bs=4096 seek=1 conv=notrunc,fsync 2>"$CK_WORK/raw.err" || {
			target_reason="raw: writing the log failed: $(ck_last_line "$CK_WORK/raw.err")"
			return 1
		}
		raw_log_size=$size
		raw_dump_offset=$(raw_dump_offset_for "$size")
		raw_header writing ;;
	manifest.json)
		if [ "$raw_dump_status" = 0 ]; then
			raw_header complete
		else
			raw_header incomplete
		fi ;;
	*)
		target_reason="raw: the layout has no place for $2"
		return 1 ;;
	esac
}

# raw_sink: the sink of the dump stream: the device from dump_offset.
raw_sink() {
	timeout "$(dump_time_left)" dd of="$raw_dev" bs=1048576 seek="$((raw_dump_offset / 1048576))" \
		conv=notrunc,fsync 2>"$CK_WORK/raw.err"
}

# save_dump NAME: stream crashcopy -F onto the device.
save_dump() {
	local rc
	dump_stream raw_sink
	rc=$(dump_status_of "$dump_cc_rc" "$dump_sink_rc")
	raw_dump_size=$dump_stream_size
	raw_dump_status=$dump_cc_rc
	[ "$rc" -ne 5 ] || raw_dump_status=5
	dump_name=vmcore.flat
	dump_format=flattened
	dump_size=$dump_stream_size
	dump_sha256=$dump_stream_sha256
	[ "$rc" -eq 0 ] || target_reason="raw: $(ck_last_line "$CK_WORK/raw.err")"
	raw_header writing || true
	return "$rc"
}

# free_bytes: the device's size after the dump offset.
free_bytes() {
	ck_uint "$raw_dev_size" || return 1
	printf '%s\n' "$((raw_dev_size - raw_dump_offset))"
}

finish() {
	timeout 60 sync
	return 0
}
