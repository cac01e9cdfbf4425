# shellcheck shell=sh
# ftp.sh - the ftp target: busybox ftpput to FTP_HOST:FTP_PORT as FTP_USER
# with the password from FTP_PASSWORD_FILE (first line; anonymous when
# unset), into FTP_PATH/<crash dir>/. ftpput can neither create a directory
# nor rename, so a short control session over `nc` does MKD, RNFR/RNTO and
# SITE CHMOD: each file goes up as NAME.incomplete and is renamed when
# complete, as on the other targets. The dump goes as the flattened stream
# vmcore.flat (an FTP server cannot reassemble it). FTP is clear text: the
# password and the dump cross the network readable.
# doc/capture.md section 4. Sourcing defines functions only.
# shellcheck disable=SC3043 # `local` is in dash and busybox ash, our two shells.
# shellcheck disable=SC2034 # target_root, target_dir, dump_* are read by crashcapture.
# shellcheck disable=SC2154 # crash_name, ck_host, dump_* come from crashcapture and dump.sh.

# ftp_password: print the password (first line of FTP_PASSWORD_FILE).
ftp_password() {
	local pw=
	if [ -n "$FTP_PASSWORD_FILE" ]; then
		IFS= read -r pw <"$FTP_PASSWORD_FILE" || [ -n "$pw" ] || return 1
	else
		pw=crashkit@
	fi
	printf '%s\n' "${pw%"$(printf '\r')"}"
}

# ftp_ctl COMMAND...: log in on the control connection, send each COMMAND,
# quit; the server's replies, CR removed, go to $CK_WORK/ftp.reply.txt. True
# when the login succeeded (a 230 reply); the caller checks the replies it
# needs (ftp_replied).
ftp_ctl() {
	local pw c
	pw=$(ftp_password) || return 1
	{
		sleep 0.5
		printf 'USER %s\r\n' "$FTP_USER"
		sleep 0.3
		printf 'PASS %s\r\n' "$pw"
		sleep 0.5
		for c in "$@"; do
			printf '%s\r\n' "$c"
			sleep 0.3
		done
		printf 'QUIT\r\n'
		sleep 0.5
	} | timeout "${CRASHKIT_NET_TIMEOUT:-30}" nc "$FTP_HOST" "$FTP_PORT" >"$CK_WORK/ftp.reply" 2>&1
	tr -d '\r' <"$CK_WORK/ftp.reply" >"$CK_WORK/ftp.reply.txt"
	grep -q '^230' "$CK_WORK/ftp.reply.txt"
}

# ftp_replied PATTERN: true when a reply line of the last session matches
# the grep PATTERN.
ftp_replied() {
	grep -q -- "$1" "$CK_WORK/ftp.reply.txt"
}

# ftp_error: print the first error reply of the last session after login.
ftp_error() {
	sed '1,/^230 /d' "$CK_WORK/ftp.reply.txt" 2>/dev/null | grep '^[45][0-9][0-9] ' | head -n 1
}

# ftp_put REMOTE LOCAL: ftpput LOCAL (a file or '-': stdin) as REMOTE.
ftp_put() {
	local pw
	pw=$(ftp_password) || return 1
	timeout "$(dump_time_left)" ftpput -u "$FTP_USER" -p "$pw" -P "$FTP_PORT" \
		"$FTP_HOST" "$1" "$2" 2>"$CK_WORK/ftp.err"
}

# prepare: log in, create FTP_PATH/<crash dir> 0700 in one session (MKD of
# an existing FTP_PATH fails harmlessly: the crash directory's MKD must
# succeed, 257 naming it; SITE CHMOD is best effort).
prepare() {
	ftp_dir="${FTP_PATH%/}/$crash_name"
	target_root="ftp:$FTP_USER@$FTP_HOST:$FTP_PORT/$FTP_PATH"
	target_dir="ftp://$FTP_HOST:$FTP_PORT/$ftp_dir"
	if ! ftp_ctl "MKD $FTP_PATH" "MKD $ftp_dir" "SITE CHMOD 700 $ftp_dir"; then
		target_reason="ftp $FTP_HOST:$FTP_PORT: login or connection failed: $(ck_last_line "$CK_WORK/ftp.reply.txt")"
		return 1
	fi
	if ! ftp_replied "^257 .*$crash_name"; then
		target_reason="ftp $FTP_HOST: MKD $ftp_dir: $(ftp_error)"
		return 1
	fi
	return 0
}

# ftp_commit NAME: rename NAME.incomplete to NAME (a 250 reply to RNTO), and
# make it 0600 (best effort: not every server has SITE CHMOD).
ftp_commit() {
	if ! ftp_ctl "RNFR $ftp_dir/$1.incomplete" "RNTO $ftp_dir/$1" "SITE CHMOD 600 $ftp_dir/$1" ||
		! ftp_replied '^250 '; then
		target_reason="ftp: rename of $1.incomplete failed: $(ftp_error)"
		return 1
	fi
}

# save FILE NAME: upload as NAME.incomplete, then rename.
save() {
	if ! ftp_put "$ftp_dir/$2.incomplete" "$1"; then
		target_reason="ftp: $(ck_last_line "$CK_WORK/ftp.err")"
		return 1
	fi
	ftp_commit "$2"
}

# ftp_sink: the sink of the dump stream.
ftp_sink() { ftp_put "$ftp_dir/vmcore.flat.incomplete" -; }

# save_dump NAME: stream crashcopy -F as vmcore.flat.
save_dump() {
	local rc
	dump_stream ftp_sink
	rc=$(dump_status_of "$dump_cc_rc" "$dump_sink_rc")
	dump_format=flattened
	dump_size=$dump_stream_size
	dump_sha256=$dump_stream_sha256
	dump_name=vmcore.flat.incomplete
	if [ "$rc" -eq 5 ]; then
		target_reason="ftp: $(ck_last_line "$CK_WORK/ftp.err")"
	elif ftp_commit vmcore.flat; then
		dump_name=vmcore.flat
	else
		rc=5
	fi
	return "$rc"
}

finish() { return 0; }
