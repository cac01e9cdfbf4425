# shellcheck shell=sh
# util.sh - small helpers of the capture scripts: sizes, checksums, time.
#
# Sourced by crashcapture and the targets (busybox ash); POSIX sh plus
# `local`. Sourcing defines functions only.
# shellcheck disable=SC3043 # `local` is in dash and busybox ash, our two shells.

# ck_now: print the time in seconds since the epoch.
ck_now() { date +%s; }

# ck_utc [EPOCH]: print EPOCH (default now) as 2026-11-23T01:02:03Z.
ck_utc() {
	if [ -n "${1:-}" ]; then
		date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ 2>/dev/null || date -u +%Y-%m-%dT%H:%M:%SZ
	else
		date -u +%Y-%m-%dT%H:%M:%SZ
	fi
}

# ck_size FILE: print the size of FILE in bytes (0 when unreadable).
ck_size() {
	local s
	s=$(stat -c %s -- "$1" 2>/dev/null) || s=0
	case $s in
	'' | *[!0-9]*) s=0 ;;
	esac
	printf '%s\n' "$s"
}

# ck_sha256 FILE: print the SHA-256 of FILE in hex, or nothing.
ck_sha256() {
	local sum rest
	sum=$(sha256sum -- "$1" 2>/dev/null) || return 1
	rest=${sum%% *}
	case $rest in
	*[!0-9a-f]* | '') return 1 ;;
	esac
	printf '%s\n' "$rest"
}

# ck_hsize BYTES: print BYTES for people (KiB, MiB or GiB, one decimal).
ck_hsize() {
	local b="$1"
	if [ "$b" -ge 1073741824 ]; then
		printf '%s.%s GiB\n' "$((b / 1073741824))" "$((b % 1073741824 * 10 / 1073741824))"
	elif [ "$b" -ge 1048576 ]; then
		printf '%s.%s MiB\n' "$((b / 1048576))" "$((b % 1048576 * 10 / 1048576))"
	elif [ "$b" -ge 1024 ]; then
		printf '%s KiB\n' "$((b / 1024))"
	else
		printf '%s B\n' "$b"
	fi
}

# ck_uint VALUE: true when VALUE is a decimal number (at most 18 digits).
ck_uint() {
	case $1 in
	'' | *[!0-9]*) return 1 ;;
	esac
	[ "${#1}" -le 18 ]
}

# ck_json_field KEY FILE: print the value of the first "KEY":value in the
# one-object JSON FILE (a number, true/false/null, or a string without
# escapes, quotes stripped). Enough for crashcopy --json's flat fields.
ck_json_field() {
	local text v
	text=$(cat -- "$2" 2>/dev/null) || return 1
	case $text in
	*"\"$1\":"*) ;;
	*) return 1 ;;
	esac
	v=${text#*"\"$1\":"}
	case $v in
	\"*)
		v=${v#\"}
		v=${v%%\"*} ;;
	*)
		v=${v%%[,\}]*} ;;
	esac
	printf '%s\n' "$v"
}

# ck_last_line FILE: print the last non-empty line of FILE (an error message).
ck_last_line() {
	local line last=
	[ -r "$1" ] || return 0
	while IFS= read -r line || [ -n "$line" ]; do
		[ -n "$line" ] && last=$line
	done <"$1"
	printf '%s\n' "$last"
}
