# shellcheck shell=sh
# http.sh - the http target: each file is sent with crashsend (PUT or POST,
# HTTP_METHOD) to $HTTP_URL/<crash dir>/<name>, HTTP_RETRIES tries each.
# The dump goes as the flattened stream vmcore.flat (chunked: its size is
# not known in advance); a failed try re-runs crashcopy from the start.
# HTTP has no rename: the collector must keep only complete uploads (a
# chunked body that ends without its last chunk is not complete).
# doc/capture.md section 4. Sourcing defines functions only.
# shellcheck disable=SC3043 # `local` is in dash and busybox ash, our two shells.
# shellcheck disable=SC2034 # target_root, target_dir, dump_* are read by crashcapture.
# shellcheck disable=SC2154 # crash_name, ck_host, dump_* come from crashcapture and dump.sh.

# http_url NAME: print the URL for NAME in this crash's directory.
http_url() {
	printf '%s/%s/%s\n' "${HTTP_URL%/}" "$crash_name" "$1"
}

# prepare: crashsend must be there; the collector is tried by the first save.
prepare() {
	target_root="http:${HTTP_URL%/}"
	target_dir="${HTTP_URL%/}/$crash_name"
	if ! command -v crashsend >/dev/null 2>&1; then
		target_reason="crashsend is missing"
		return 1
	fi
	return 0
}

# save FILE NAME: send FILE (or '-': stdin, chunked, one try only).
save() {
	timeout "$(dump_time_left)" crashsend --method "$HTTP_METHOD" --retries "$HTTP_RETRIES" \
		--timeout "${CRASHKIT_NET_TIMEOUT:-30}" -- "$(http_url "$2")" "$1" 2>"$CK_WORK/send.err"
	local rc=$?
	[ "$rc" -eq 0 ] || target_reason=$(ck_last_line "$CK_WORK/send.err")
	return "$rc"
}

# http_send_stream URL: crashsend stdin to URL (one try: stdin cannot rewind).
http_send_stream() {
	crashsend --method "$HTTP_METHOD" --retries 1 --timeout "${CRASHKIT_NET_TIMEOUT:-30}" \
		-- "$1" - 2>"$CK_WORK/send.err"
}

# save_dump NAME: stream crashcopy -F as vmcore.flat, up to HTTP_RETRIES
# times. Sets dump_name, dump_size, dump_sha256, dump_format.
save_dump() {
	local try=1 rc
	dump_name=vmcore.flat
	dump_format=flattened
	while :; do
		dump_stream http_send_stream "$(http_url vmcore.flat)"
		rc=$(dump_status_of "$dump_cc_rc" "$dump_sink_rc")
		[ "$rc" -ne 5 ] && break
		target_reason=$(ck_last_line "$CK_WORK/send.err")
		[ "$try" -lt "$HTTP_RETRIES" ] || break
		log_warn "http: sending the dump failed (try $try of $HTTP_RETRIES): $target_reason"
		try=$((try + 1))
		sleep 2
	done
	dump_size=$dump_stream_size
	dump_sha256=$dump_stream_sha256
	return "$rc"
}

finish() { return 0; }
