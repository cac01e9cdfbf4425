# shellcheck shell=sh
# conf-get.sh: read single keys of crashkit.conf without crashctl.
# POSIX sh plus `local` (dash, busybox ash).  Sourcing this file only
# defines functions.
#
# The boot-time pieces (the systemd generator, the sysvinit script, the
# distro-initramfs capture runner) need one or two keys each and must work
# when crashctl is broken or absent, so they read the file themselves.  The
# file is parsed, never sourced (STYLE.md section 7); validation is
# crashctl's job (doc/capture.md section 2), so a bad value here only falls
# back to the caller's default.

# conf_get FILE KEY DEFAULT: print the value of KEY in FILE: the last
# `KEY=value` line wins, one pair of surrounding " or ' is stripped.  Prints
# DEFAULT when FILE is unreadable or has no such line.
conf_get() {
	local file key value line
	file=$1
	key=$2
	value=$3
	if [ -r "$file" ]; then
		while IFS= read -r line || [ -n "$line" ]; do
			case $line in
			"$key="*) value=$(conf_unquote "${line#*=}") ;;
			esac
		done <"$file"
	fi
	printf '%s\n' "$value"
}

# conf_unquote VALUE: print VALUE without one pair of surrounding quotes.
conf_unquote() {
	local v
	v=$1
	case $v in
	\"*\")
		v=${v#\"}
		v=${v%\"}
		;;
	\'*\')
		v=${v#\'}
		v=${v%\'}
		;;
	esac
	printf '%s\n' "$v"
}

# conf_has_word LIST WORD: status 0 when WORD is one of the words of LIST
# (TARGETS may be separated by spaces or commas).
conf_has_word() {
	local w list
	list=$(printf '%s\n' "$1" | tr ',' ' ')
	for w in $list; do
		[ "$w" = "$2" ] && return 0
	done
	return 1
}

# conf_needs_network TARGETS: status 0 when a target in the list is reached
# over the network (nfs, ssh, ftp, http).
conf_needs_network() {
	local t
	for t in nfs ssh ftp http; do
		conf_has_word "$1" "$t" && return 0
	done
	return 1
}
