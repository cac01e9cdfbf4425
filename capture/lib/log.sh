# shellcheck shell=sh
# log.sh - the capture run's messages, on the console and in a file in memory.
#
# Sourced by /init and crashcapture (busybox ash); POSIX sh plus `local`.
# Sourcing defines functions and two variables only.
# shellcheck disable=SC3043 # `local` is in dash and busybox ash, our two shells.

LOG_FILE=
LOG_CONSOLE=

# log_init FILE CONSOLE: append messages to FILE (may be empty: none) and
# print them on CONSOLE (a device or file; stderr when it cannot be written).
log_init() {
	LOG_FILE=$1
	LOG_CONSOLE=$2
}

# log_uptime: print seconds since boot (from /proc/uptime), or '-'.
log_uptime() {
	local up rest
	if read -r up rest </proc/uptime 2>/dev/null; then
		printf '%s' "$up"
	else
		printf '-'
	fi
}

# log_line LINE: put one line on the console and in the log file.
log_line() {
	if [ -z "$LOG_CONSOLE" ] || ! { printf '%s\n' "$1" >>"$LOG_CONSOLE"; } 2>/dev/null; then
		printf '%s\n' "$1" >&2
	fi
	if [ -n "$LOG_FILE" ]; then
		printf '[%s] %s\n' "$(log_uptime)" "$1" >>"$LOG_FILE" 2>/dev/null
	fi
	return 0
}

# log_info MESSAGE...: a progress message.
log_info() { log_line "crashkit: $*"; }

# log_warn MESSAGE...: something failed; the capture goes on.
log_warn() { log_line "crashkit: WARNING: $*"; }

# log_error MESSAGE...: a step failed for good.
log_error() { log_line "crashkit: ERROR: $*"; }

# log_file FILE [PREFIX]: copy FILE line by line to the console (not the log
# file), each line after PREFIX. Returns 0 even when FILE is missing.
log_file() {
	local line
	[ -r "$1" ] || return 0
	if [ -z "${2:-}" ]; then
		# No prefix: copy in one go (a full kernel log can be long).
		if [ -z "$LOG_CONSOLE" ] || ! { cat -- "$1" >>"$LOG_CONSOLE"; } 2>/dev/null; then
			cat -- "$1" >&2
		fi
		return 0
	fi
	while IFS= read -r line || [ -n "$line" ]; do
		if [ -z "$LOG_CONSOLE" ] || ! { printf '%s%s\n' "${2:-}" "$line" >>"$LOG_CONSOLE"; } 2>/dev/null; then
			printf '%s%s\n' "${2:-}" "$line" >&2
		fi
	done <"$1"
	return 0
}
