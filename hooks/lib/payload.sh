# shellcheck shell=sh
# payload.sh: what crashkit adds to a distro-built initramfs.  POSIX sh plus
# `local`; sourcing defines functions only.  The initramfs-tools hook and
# the dracut module both call payload_list and copy each line with their own
# tools (copy_exec / copy_file / manual_add_modules; inst_binary /
# inst_simple / instmods), so the two images hold the same files.
#
# The caller must have sourced conf-get.sh.

# payload_list BINDIR SBINDIR LIBDIR CONF HOOKS: print what the image
# needs, given where crashdmesg ($PREFIX/bin), crashcopy ($PREFIX/sbin) and
# crashkit's data directory ($PREFIX/lib/crashkit) are installed, the
# crashkit.conf (/etc/crashkit.conf) and the capture hook directory
# (/etc/crashkit), all absolute paths on the build host, one tab-separated line each:
#   exec SRC DST    a program (copy it and its libraries)
#   file SRC DST    a data or script file, mode kept
#   secret SRC DST  a key or password file (the caller keeps it 0600)
#   link NAME DST   a symlink DST -> NAME
#   module NAME     a kernel module (with its dependencies)
#   warn MESSAGE    something the operator must know
# Status 1 with one `warn` line when crashkit is not installed (then nothing
# else is printed: the caller adds nothing and does not fail the build).
payload_list() {
	local payload_bindir payload_sbindir payload_libdir payload_conf payload_hooks
	local f bb targets key word
	payload_bindir=$1
	payload_sbindir=$2
	payload_libdir=$3
	payload_conf=$4
	payload_hooks=$5
	if [ ! -x "$payload_bindir/crashdmesg" ]; then
		payload_emit warn "$payload_bindir/crashdmesg is not installed: the image gets no crash capture"
		return 1
	fi
	payload_emit exec "$payload_bindir/crashdmesg" /bin/crashdmesg
	# doc/capture.md puts crashcopy in sbin; early Makefiles put it in bin.
	if [ -x "$payload_sbindir/crashcopy" ]; then
		payload_emit exec "$payload_sbindir/crashcopy" /bin/crashcopy
	elif [ -x "$payload_bindir/crashcopy" ]; then
		payload_emit exec "$payload_bindir/crashcopy" /bin/crashcopy
	else
		payload_emit warn "$payload_sbindir/crashcopy is not installed: the capture saves the log only"
	fi
	# Other C helpers (crashkit-xen, ...) go to /bin (doc/capture.md 1).
	for f in "$payload_libdir"/bin/*; do
		[ -f "$f" ] && [ -x "$f" ] && payload_emit exec "$f" "/bin/${f##*/}"
	done

	if [ -f "$payload_libdir/crashcapture" ]; then
		payload_emit file "$payload_libdir/crashcapture" /lib/crashkit/crashcapture
	else
		payload_emit warn "$payload_libdir/crashcapture is not installed: the capture kernel will only reboot"
	fi
	for f in "$payload_libdir"/lib/*.sh "$payload_libdir"/targets/*.sh; do
		[ -f "$f" ] || continue
		payload_emit file "$f" "/lib/crashkit/${f#"$payload_libdir"/}"
	done
	payload_emit file "$payload_libdir/hooks/distro-capture" /lib/crashkit/hooks/distro-capture
	payload_emit file "$payload_libdir/hooks/conf-get.sh" /lib/crashkit/hooks/conf-get.sh

	# crashkit's own busybox: the capture scripts are written for busybox
	# ash and its applets (ftpput, udhcpc, timeout, sha256sum), whatever the
	# distro image's /bin/sh is.  Applets are linked in /lib/crashkit/bin,
	# first in distro-capture's PATH.
	bb=$(command -v busybox 2>/dev/null) || bb=
	if [ -n "$bb" ]; then
		payload_emit exec "$bb" /lib/crashkit/bin/busybox
		for word in $("$bb" --list 2>/dev/null); do
			case $word in
			busybox | '' | */*) ;;
			*) payload_emit link busybox "/lib/crashkit/bin/$word" ;;
			esac
		done
	else
		payload_emit warn "no busybox on the build host (apt-get install busybox-static): the capture cannot run"
	fi

	if [ ! -r "$payload_conf" ]; then
		payload_emit warn "$payload_conf is missing: the capture uses the defaults (local target without LOCAL_DEVICE fails)"
		return 0
	fi
	payload_emit file "$payload_conf" /etc/crashkit.conf
	for f in "$payload_hooks"/pre.d/* "$payload_hooks"/post.d/*; do
		if [ ! -f "$f" ] || [ ! -x "$f" ]; then
			continue
		fi
		payload_emit file "$f" "/etc/crashkit/${f#"$payload_hooks"/}"
	done

	targets=$(conf_get "$payload_conf" TARGETS local)
	if conf_has_word "$targets" ssh; then
		# Both where doc/capture.md puts them (/etc/crashkit/ssh/) and where
		# crashkit.conf says, which is where capture/targets/ssh.sh reads.
		key=$(conf_get "$payload_conf" SSH_KEY /etc/crashkit/id_ed25519)
		payload_secret "$key" /etc/crashkit/ssh/key SSH_KEY
		payload_secret "$key" "$key" SSH_KEY
		key=$(conf_get "$payload_conf" SSH_KNOWN_HOSTS /etc/crashkit/known_hosts)
		payload_secret "$key" /etc/crashkit/ssh/known_hosts SSH_KNOWN_HOSTS
		payload_secret "$key" "$key" SSH_KNOWN_HOSTS
		if f=$(command -v dbclient 2>/dev/null); then
			payload_emit exec "$f" /bin/dbclient
		elif f=$(command -v ssh 2>/dev/null); then
			payload_emit exec "$f" /bin/ssh
		else
			payload_emit warn "ssh target: no dbclient or ssh client on the build host"
		fi
	fi
	if conf_has_word "$targets" ftp; then
		key=$(conf_get "$payload_conf" FTP_PASSWORD_FILE '')
		if [ -n "$key" ]; then
			payload_secret "$key" /etc/crashkit/ftp-password FTP_PASSWORD_FILE
			payload_secret "$key" "$key" FTP_PASSWORD_FILE
		fi
	fi

	# Modules the distro image may lack: file systems of local targets and
	# the NFS client; EXTRA_MODULES as configured.  NIC drivers come from
	# the distro's own MODULES=most / hostonly logic.
	if conf_has_word "$targets" local || [ -n "$(conf_get "$payload_conf" FALLBACK_DEVICE '')" ]; then
		for word in ext4 xfs vfat nls_cp437 nls_iso8859_1; do
			payload_emit module "$word"
		done
	fi
	if conf_has_word "$targets" nfs; then
		for word in nfs nfsv3 nfsv4; do
			payload_emit module "$word"
		done
	fi
	for word in $(conf_get "$payload_conf" EXTRA_MODULES '' | tr ',' ' '); do
		payload_emit module "$word"
	done
	return 0
}

# payload_secret SRC DST KEY: emit SRC as a secret, or a warning naming the
# crashkit.conf KEY when SRC is unreadable.
payload_secret() {
	if [ -r "$1" ]; then
		payload_emit secret "$1" "$2"
	else
		payload_emit warn "$3: $1 is not readable: the ssh/ftp target will fail"
	fi
}

# payload_emit KIND ARG [ARG]: print one payload line.
payload_emit() {
	if [ $# -ge 3 ]; then
		printf '%s\t%s\t%s\n' "$1" "$2" "$3"
	else
		printf '%s\t%s\n' "$1" "$2"
	fi
}
