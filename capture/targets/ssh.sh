# shellcheck shell=sh
# ssh.sh - the ssh target: SSH_TARGET (user@host), SSH_PORT, key SSH_KEY,
# the server's host key pinned in SSH_KNOWN_HOSTS (StrictHostKeyChecking=yes:
# never trust on first use), files into SSH_PATH/<crash dir>/.
# OpenSSH's ssh when present, else dropbear's dbclient (which reads
# $HOME/.ssh/known_hosts: HOME is pointed at a copy of SSH_KNOWN_HOSTS);
# CRASHKIT_SSH=ssh or dbclient chooses (tests).
# Remote commands run with umask 077; a file goes up as NAME.incomplete and
# is renamed when complete. The dump is streamed (crashcopy -F) into the
# server, which turns it back into a vmcore with `crashcopy -R` or
# `makedumpfile -R` if it has either, else keeps the stream as vmcore.flat.
# doc/capture.md section 4. Sourcing defines functions only.
# shellcheck disable=SC3043 # `local` is in dash and busybox ash, our two shells.
# shellcheck disable=SC2034 # target_root, target_dir, dump_* are read by crashcapture.
# shellcheck disable=SC2154 # crash_name, ck_host, dump_* come from crashcapture and dump.sh.

# ssh_run TIMEOUT COMMAND: run COMMAND (one string for the remote shell) on
# the server, stdin and stdout passed through, under TIMEOUT seconds.
ssh_run() {
	local limit="$1"
	shift
	local client="${CRASHKIT_SSH:-}"
	if [ -z "$client" ]; then
		if command -v ssh >/dev/null 2>&1; then client=ssh; else client=dbclient; fi
	fi
	if [ "$client" = ssh ]; then
		timeout "$limit" ssh -i "$SSH_KEY" -p "$SSH_PORT" \
			-o UserKnownHostsFile="$SSH_KNOWN_HOSTS" -o GlobalKnownHostsFile=/dev/null \
			-o StrictHostKeyChecking=yes -o BatchMode=yes -o PasswordAuthentication=no \
			-o ConnectTimeout="${CRASHKIT_NET_TIMEOUT:-30}" -o ServerAliveInterval=15 \
			-o ServerAliveCountMax=4 -o LogLevel=ERROR -- "$SSH_TARGET" "$1"
	elif command -v dbclient >/dev/null 2>&1; then
		# dbclient (2022.83) has no BatchMode, ConnectTimeout or
		# UserKnownHostsFile. It reads $HOME/.ssh/known_hosts and matches the
		# bare host name, so "[host]:port key" entries are copied as "host key";
		# an unknown or changed host key makes it ask on the terminal (no -y):
		# stdin is never a terminal here and the outer timeout bounds it.
		# Its key must be in dropbear's format: an OpenSSH-format SSH_KEY is
		# converted with dropbearconvert when that is there. -T: no pty;
		# -K 15: keepalives.
		local key="$SSH_KEY"
		if [ ! -f "$CK_WORK/sshhome/.ssh/known_hosts" ]; then
			mkdir -p "$CK_WORK/sshhome/.ssh" &&
				sed 's/^\[\([^]]*\)\]:[0-9]* /\1 /' "$SSH_KNOWN_HOSTS" >"$CK_WORK/sshhome/.ssh/known_hosts" ||
				return 255
			if grep -q 'BEGIN OPENSSH PRIVATE KEY' "$SSH_KEY" 2>/dev/null && command -v dropbearconvert >/dev/null 2>&1; then
				dropbearconvert openssh dropbear "$SSH_KEY" "$CK_WORK/sshhome/id_dropbear" >/dev/null 2>&1 ||
					rm -f "$CK_WORK/sshhome/id_dropbear"
			fi
		fi
		[ ! -f "$CK_WORK/sshhome/id_dropbear" ] || key="$CK_WORK/sshhome/id_dropbear"
		HOME="$CK_WORK/sshhome" timeout "$limit" dbclient -T -K 15 -i "$key" -p "$SSH_PORT" \
			"$SSH_TARGET" "$1"
	else
		echo "no ssh client (ssh or dbclient)" >&2
		return 127
	fi
}

# ssh_q STRING: print STRING single-quoted for the remote shell.
ssh_q() {
	printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"
}

# prepare: connect and create the crash directory (0700).
prepare() {
	ssh_dir="${SSH_PATH%/}/$crash_name"
	target_root="ssh:$SSH_TARGET:$SSH_PATH"
	target_dir="$SSH_TARGET:$ssh_dir"
	if ! ssh_run "${CRASHKIT_NET_TIMEOUT:-30}" \
		"umask 077 && mkdir -p -- $(ssh_q "$ssh_dir") && chmod 700 -- $(ssh_q "$ssh_dir")" \
		</dev/null 2>"$CK_WORK/ssh.err"; then
		target_reason="ssh $SSH_TARGET: $(ck_last_line "$CK_WORK/ssh.err")"
		return 1
	fi
	return 0
}

# save FILE NAME: upload FILE (or '-') as NAME.incomplete, rename to NAME.
save() {
	local d f
	d=$(ssh_q "$ssh_dir")
	f=$(ssh_q "$2")
	if [ "$1" = - ]; then
		ssh_run "$(dump_time_left)" "umask 077 && cd -- $d && cat > $f.incomplete && mv -f -- $f.incomplete $f" \
			2>"$CK_WORK/ssh.err"
	else
		ssh_run "$(dump_time_left)" "umask 077 && cd -- $d && cat > $f.incomplete && mv -f -- $f.incomplete $f" \
			<"$1" 2>"$CK_WORK/ssh.err"
	fi || {
		target_reason="ssh: $(ck_last_line "$CK_WORK/ssh.err")"
		return 1
	}
}

# The server side of save_dump: reassemble the stream on stdin if it can,
# then print "crashkit-result STATUS NAME SIZE SHA256" of what is there.
# shellcheck disable=SC2016 # this text runs on the server, expanded there
SSH_RECEIVE='umask 077
cd -- "$1" || exit 5
if command -v crashcopy >/dev/null 2>&1; then
	crashcopy -R -f vmcore >/dev/null; rc=$?; n=vmcore
elif command -v makedumpfile >/dev/null 2>&1; then
	makedumpfile -R vmcore.incomplete >/dev/null; rc=$?; n=vmcore
	[ "$rc" -eq 0 ] && mv -f vmcore.incomplete vmcore
else
	cat > vmcore.flat.incomplete; rc=$?; n=vmcore.flat
	[ "$rc" -eq 0 ] && mv -f vmcore.flat.incomplete vmcore.flat
fi
[ -f "$n" ] || n=$n.incomplete
if [ -f "$n" ]; then
	chmod 600 "$n"
	printf "crashkit-result %s %s %s %s\n" "$rc" "$n" "$(wc -c < "$n" | tr -d " ")" "$(sha256sum < "$n" | cut -c1-64)"
else
	printf "crashkit-result %s - 0 -\n" "$rc"
fi
exit "$rc"'

# ssh_receive: the sink of the dump stream.
ssh_receive() {
	ssh_run "$(dump_time_left)" "sh -c $(ssh_q "$SSH_RECEIVE") crashkit-receive $(ssh_q "$ssh_dir")" \
		>"$CK_WORK/ssh.out" 2>"$CK_WORK/ssh.err"
}

# save_dump NAME: stream crashcopy -F to the server. Sets dump_name,
# dump_size, dump_sha256, dump_format (of the file on the server).
save_dump() {
	local rc line tag rrc name size sum
	dump_stream ssh_receive
	rc=$(dump_status_of "$dump_cc_rc" "$dump_sink_rc")
	line=$(grep '^crashkit-result ' "$CK_WORK/ssh.out" 2>/dev/null | tail -n 1)
	# shellcheck disable=SC2034 # tag and rrc: fields of the line, not used
	read -r tag rrc name size sum <<EOS
$line
EOS
	dump_name=${name:-vmcore}
	[ "$dump_name" = - ] && dump_name=vmcore
	dump_size=${size:-0}
	ck_uint "$dump_size" || dump_size=0
	dump_sha256=${sum:-}
	[ "$dump_sha256" = - ] && dump_sha256=
	case $dump_name in
	vmcore.flat*) dump_format=flattened ;;
	*) dump_format=$(dump_format) ;;
	esac
	[ "$rc" -eq 0 ] || target_reason="ssh: $(ck_last_line "$CK_WORK/ssh.err")"
	return "$rc"
}

finish() { return 0; }
