# shellcheck shell=sh
# conf.sh - read crashkit.conf without running it.
#
# Sourced by crashctl (dash, first kernel) and crashcapture (busybox ash,
# capture kernel): POSIX sh plus `local`. Sourcing defines functions only.
#
# The file is KEY=value lines. A line that is empty or starts with '#' (after
# blanks) is ignored; anything else must be KEY=value with KEY one of the known
# keys below. The value is taken verbatim up to the end of the line; one pair
# of surrounding double or single quotes is removed (no escapes, no expansion:
# '$HOME' stays '$HOME'). A key given twice: the last one wins, as in a shell.
# Each key sets the shell variable of the same name, after its value passed the
# key's check; conf_load reports every bad line as "FILE:LINE: message" and
# fails if there was one.
# shellcheck disable=SC3043 # `local` is in dash and busybox ash, our two shells.
# shellcheck disable=SC2034 # the variables are the parsed config, read by the callers.

# Every key, in the order `crashctl show` prints them.
CONF_KEYS='TARGETS LOCAL_DEVICE LOCAL_FSTYPE LOCAL_PATH RAW_DEVICE
NFS_EXPORT NFS_OPTIONS NFS_PATH SSH_TARGET SSH_PORT SSH_PATH SSH_KEY
SSH_KNOWN_HOSTS FTP_HOST FTP_PORT FTP_USER FTP_PASSWORD_FILE FTP_PATH
HTTP_URL HTTP_METHOD HTTP_RETRIES FALLBACK_DEVICE FALLBACK_PATH DUMP
DUMP_LEVEL DUMP_CODEC DUMP_FORMAT DUMP_THREADS CONSOLE_LOG DEADLINE
FINAL_ACTION FAILURE_ACTION WATCHDOG NETWORK NET_INTERFACE NET_ADDRESS
NET_GATEWAY NET_DNS HOSTNAME KDUMP_KERNEL KDUMP_INITRD KDUMP_KVER KDUMP_CMDLINE_REMOVE
KDUMP_CMDLINE_APPEND KEXEC_ARGS EXTRA_MODULES KEEP_DUMPS KEEP_SIZE'

# conf_defaults: set every key to its default (empty where there is none).
conf_defaults() {
	TARGETS=local
	LOCAL_DEVICE=
	LOCAL_FSTYPE=auto
	LOCAL_PATH=/var/crash
	RAW_DEVICE=
	NFS_EXPORT=
	NFS_OPTIONS=vers=3,nolock,proto=tcp
	NFS_PATH=/
	SSH_TARGET=
	SSH_PORT=22
	SSH_PATH=/var/crash
	SSH_KEY=/etc/crashkit/id_ed25519
	SSH_KNOWN_HOSTS=/etc/crashkit/known_hosts
	FTP_HOST=
	FTP_PORT=21
	FTP_USER=anonymous
	FTP_PASSWORD_FILE=
	FTP_PATH=.
	HTTP_URL=
	HTTP_METHOD=PUT
	HTTP_RETRIES=3
	FALLBACK_DEVICE=
	FALLBACK_PATH=/var/crash
	DUMP=yes
	DUMP_LEVEL=31
	DUMP_CODEC=lzo
	DUMP_FORMAT=kdump
	DUMP_THREADS=1
	CONSOLE_LOG=summary
	DEADLINE=1800
	FINAL_ACTION=reboot
	FAILURE_ACTION=reboot
	WATCHDOG=auto
	NETWORK=auto
	NET_INTERFACE=auto
	NET_ADDRESS=
	NET_GATEWAY=
	NET_DNS=
	HOSTNAME=
	KDUMP_KERNEL=
	KDUMP_INITRD=
	KDUMP_KVER=
	KDUMP_CMDLINE_REMOVE=
	KDUMP_CMDLINE_APPEND=
	KEXEC_ARGS=
	EXTRA_MODULES=
	KEEP_DUMPS=0
	KEEP_SIZE=0
}

# conf_is_uint VALUE: true when VALUE is a decimal number without sign.
conf_is_uint() {
	case $1 in
	'' | *[!0-9]*) return 1 ;;
	esac
	# More than 18 digits could overflow the shell's arithmetic.
	[ "${#1}" -le 18 ]
}

# conf_seconds VALUE: print VALUE (N, Ns, Nm, Nh) in seconds; false if malformed.
conf_seconds() {
	local n mult
	case $1 in
	*s) n=${1%s} mult=1 ;;
	*m) n=${1%m} mult=60 ;;
	*h) n=${1%h} mult=3600 ;;
	*) n=$1 mult=1 ;;
	esac
	conf_is_uint "$n" || return 1
	[ "${#n}" -le 9 ] || return 1
	printf '%s\n' "$((n * mult))"
}

# conf_bytes VALUE: print VALUE (N, NK, NM, NG, NT; powers of 1024) in bytes.
conf_bytes() {
	local n mult
	case $1 in
	*[Kk]) n=${1%?} mult=1024 ;;
	*[Mm]) n=${1%?} mult=1048576 ;;
	*[Gg]) n=${1%?} mult=1073741824 ;;
	*[Tt]) n=${1%?} mult=1099511627776 ;;
	*) n=$1 mult=1 ;;
	esac
	conf_is_uint "$n" || return 1
	[ "${#n}" -le 6 ] || [ "$mult" -eq 1 ] || return 1
	printf '%s\n' "$((n * mult))"
}

# conf_range VALUE LOW HIGH: true when VALUE is a number from LOW to HIGH.
conf_range() {
	conf_is_uint "$1" || return 1
	[ "$1" -ge "$2" ] && [ "$1" -le "$3" ]
}

# conf_is_relpath VALUE: a word without '..' components.
conf_is_relpath() {
	case /$1/ in
	*/../*) return 1 ;;
	esac
	conf_is_word "$1"
}

# conf_is_word VALUE: true when VALUE has no blank, quote, backslash or
# shell-special character (values that end up as single arguments or paths).
conf_is_word() {
	case $1 in
	'' | *[[:space:]\"\'\\\`\$\;\&\|\<\>\(\)\*\?]*) return 1 ;;
	esac
	return 0
}

# conf_is_device VALUE: UUID=..., LABEL=... or an absolute /dev path.
conf_is_device() {
	case $1 in
	UUID=?* | LABEL=?* | PARTUUID=?* | /dev/?*) conf_is_word "$1" ;;
	*) return 1 ;;
	esac
}

# conf_is_abspath VALUE: an absolute path without '..' components.
conf_is_abspath() {
	case $1 in
	/*) ;;
	*) return 1 ;;
	esac
	case /$1/ in
	*/../*) return 1 ;;
	esac
	conf_is_word "$1"
}

# conf_is_host VALUE: a host name or IPv4 address (letters, digits, '.', '-').
conf_is_host() {
	case $1 in
	'' | -* | *[!A-Za-z0-9.-]*) return 1 ;;
	esac
	return 0
}

# conf_is_ipv4_cidr VALUE: a.b.c.d/prefix.
conf_is_ipv4_cidr() {
	local addr prefix
	case $1 in
	*/*) addr=${1%/*} prefix=${1##*/} ;;
	*) return 1 ;;
	esac
	conf_is_ipv4 "$addr" && conf_is_uint "$prefix" && [ "$prefix" -le 32 ]
}

# conf_is_ipv4 VALUE: four decimal octets.
conf_is_ipv4() {
	local rest octet n=0
	rest=$1.
	while [ -n "$rest" ]; do
		octet=${rest%%.*}
		rest=${rest#*.}
		conf_is_uint "$octet" || return 1
		[ "${#octet}" -le 3 ] && [ "$octet" -le 255 ] || return 1
		n=$((n + 1))
		[ "$n" -le 4 ] || return 1
	done
	[ "$n" -eq 4 ]
}

# conf_in VALUE WORD...: true when VALUE is one of the WORDs.
conf_in() {
	local v="$1" w
	shift
	for w in "$@"; do
		[ "$v" = "$w" ] && return 0
	done
	return 1
}

# conf_is_words CHECK VALUE: true when VALUE is a blank-separated list whose
# every word passes the function CHECK (an empty list passes).
conf_is_words() {
	local check="$1" w
	# Word splitting on blanks is the point here; globbing is not.
	set -f
	# shellcheck disable=SC2086
	set -- $2
	set +f
	for w in "$@"; do
		"$check" "$w" || return 1
	done
	return 0
}

conf_is_target() { conf_in "$1" local raw nfs ssh ftp http; }
conf_is_module() {
	case $1 in
	'' | *[!A-Za-z0-9_-]*) return 1 ;;
	esac
}
conf_is_cmdline_word() {
	case $1 in
	*[\"\'\\\`\$\;\&\|\<\>]*) return 1 ;;
	esac
}

# conf_check KEY VALUE: print why VALUE is bad for KEY and fail, or print the
# value to store (normalised: durations in seconds, sizes in bytes).
conf_check() {
	local key="$1" v="$2" out
	case $key in
	TARGETS)
		[ -n "$v" ] || { echo "TARGETS is empty: name at least one of local raw nfs ssh ftp http"; return 1; }
		conf_is_words conf_is_target "$v" ||
			{ echo "TARGETS: '$v' is not a list of local raw nfs ssh ftp http"; return 1; } ;;
	LOCAL_DEVICE | RAW_DEVICE | FALLBACK_DEVICE)
		[ -z "$v" ] || conf_is_device "$v" ||
			{ echo "$key: '$v' is not UUID=..., LABEL=..., PARTUUID=... or /dev/..."; return 1; } ;;
	LOCAL_FSTYPE)
		conf_in "$v" auto ext4 ext3 ext2 xfs vfat ||
			{ echo "LOCAL_FSTYPE: '$v' is not auto, ext4, ext3, ext2, xfs or vfat"; return 1; } ;;
	LOCAL_PATH | SSH_PATH | FALLBACK_PATH | SSH_KEY | SSH_KNOWN_HOSTS)
		conf_is_abspath "$v" ||
			{ echo "$key: '$v' is not an absolute path (no blanks, quotes or '..')"; return 1; } ;;
	KDUMP_KERNEL | KDUMP_INITRD | FTP_PASSWORD_FILE)
		[ -z "$v" ] || conf_is_abspath "$v" ||
			{ echo "$key: '$v' is not an absolute path (no blanks, quotes or '..')"; return 1; } ;;
	NFS_PATH)
		conf_is_abspath "$v" ||
			{ echo "NFS_PATH: '$v' is not an absolute path below the export"; return 1; } ;;
	FTP_PATH)
		conf_is_relpath "$v" ||
			{ echo "FTP_PATH: '$v' is not a path (no blanks, quotes or '..')"; return 1; } ;;
	NFS_EXPORT)
		[ -z "$v" ] || case $v in
		?*:/*) conf_is_host "${v%%:*}" && conf_is_word "${v#*:}" ;;
		*) false ;;
		esac || { echo "NFS_EXPORT: '$v' is not server:/path"; return 1; } ;;
	NFS_OPTIONS)
		case $v in
		*[!A-Za-z0-9=,._-]*) echo "NFS_OPTIONS: '$v' has characters mount options do not use"; return 1 ;;
		esac ;;
	SSH_TARGET)
		[ -z "$v" ] || case $v in
		?*@?*) conf_is_word "${v%@*}" && conf_is_host "${v#*@}" ;;
		*) false ;;
		esac || { echo "SSH_TARGET: '$v' is not user@host"; return 1; } ;;
	FTP_HOST)
		[ -z "$v" ] || conf_is_host "$v" || { echo "FTP_HOST: '$v' is not a host name or address"; return 1; } ;;
	SSH_PORT | FTP_PORT)
		conf_range "$v" 1 65535 ||
			{ echo "$key: '$v' is not a port number (1-65535)"; return 1; } ;;
	FTP_USER)
		conf_is_word "$v" || { echo "FTP_USER: '$v' is not a user name"; return 1; } ;;
	HTTP_URL)
		[ -z "$v" ] || case $v in
		http://?* | https://?*) conf_is_word "$v" ;;
		*) false ;;
		esac || { echo "HTTP_URL: '$v' is not an http:// or https:// URL"; return 1; } ;;
	HTTP_METHOD)
		conf_in "$v" PUT POST || { echo "HTTP_METHOD: '$v' is not PUT or POST"; return 1; } ;;
	HTTP_RETRIES)
		conf_range "$v" 1 100 ||
			{ echo "HTTP_RETRIES: '$v' is not a number from 1 to 100"; return 1; } ;;
	DUMP)
		case $v in
		yes | true | 1) v=yes ;;
		no | false | 0) v=no ;;
		*) echo "DUMP: '$v' is not yes or no"; return 1 ;;
		esac ;;
	DUMP_LEVEL)
		conf_range "$v" 0 31 || { echo "DUMP_LEVEL: '$v' is not a number from 0 to 31"; return 1; } ;;
	DUMP_CODEC)
		conf_in "$v" lzo zlib zstd none || { echo "DUMP_CODEC: '$v' is not lzo, zlib, zstd or none"; return 1; } ;;
	DUMP_FORMAT)
		conf_in "$v" kdump elf || { echo "DUMP_FORMAT: '$v' is not kdump or elf"; return 1; } ;;
	DUMP_THREADS)
		conf_range "$v" 1 64 ||
			{ echo "DUMP_THREADS: '$v' is not a number from 1 to 64"; return 1; } ;;
	CONSOLE_LOG)
		conf_in "$v" summary full || { echo "CONSOLE_LOG: '$v' is not summary or full"; return 1; } ;;
	DEADLINE)
		out=$(conf_seconds "$v") || out=0
		[ "$out" -ge 10 ] ||
			{ echo "DEADLINE: '$v' is not a duration of at least 10 s (N, Ns, Nm or Nh)"; return 1; }
		v=$out ;;
	FINAL_ACTION | FAILURE_ACTION)
		conf_in "$v" reboot poweroff halt shell ||
			{ echo "$key: '$v' is not reboot, poweroff, halt or shell"; return 1; } ;;
	WATCHDOG)
		conf_in "$v" auto off || { echo "WATCHDOG: '$v' is not auto or off"; return 1; } ;;
	NETWORK)
		conf_in "$v" auto dhcp static none || { echo "NETWORK: '$v' is not auto, dhcp, static or none"; return 1; } ;;
	NET_INTERFACE)
		case $v in
		'' | *[!A-Za-z0-9_.:-]*) echo "NET_INTERFACE: '$v' is not an interface name or auto"; return 1 ;;
		esac ;;
	NET_ADDRESS)
		[ -z "$v" ] || conf_is_ipv4_cidr "$v" || { echo "NET_ADDRESS: '$v' is not a.b.c.d/prefix"; return 1; } ;;
	NET_GATEWAY | NET_DNS)
		[ -z "$v" ] || conf_is_words conf_is_ipv4 "$v" || { echo "$key: '$v' is not an IPv4 address"; return 1; } ;;
	HOSTNAME)
		[ -z "$v" ] || conf_is_host "$v" || { echo "HOSTNAME: '$v' is not a host name (letters, digits, '.', '-')"; return 1; } ;;
	KDUMP_KVER)
		case $v in
		*/* | ..) echo "KDUMP_KVER: '$v' is not a kernel release"; return 1 ;;
		esac
		[ -z "$v" ] || conf_is_word "$v" || { echo "KDUMP_KVER: '$v' is not a kernel release"; return 1; } ;;
	KDUMP_CMDLINE_REMOVE | KDUMP_CMDLINE_APPEND | KEXEC_ARGS)
		conf_is_cmdline_word "$v" || { printf "%s: '%s' has quotes, '\$', a backslash or shell operators\n" "$key" "$v"; return 1; } ;;
	EXTRA_MODULES)
		conf_is_words conf_is_module "$v" || { echo "EXTRA_MODULES: '$v' is not a list of module names"; return 1; } ;;
	KEEP_DUMPS)
		conf_is_uint "$v" || { echo "KEEP_DUMPS: '$v' is not a number"; return 1; } ;;
	KEEP_SIZE)
		out=$(conf_bytes "$v") || { echo "KEEP_SIZE: '$v' is not a size (N, NK, NM, NG or NT)"; return 1; }
		v=$out ;;
	*)
		echo "unknown key '$key'"
		return 1 ;;
	esac
	printf '%s\n' "$v"
}

# conf_assign KEY VALUE: set the variable KEY (a known key) to VALUE.
# A case per key instead of eval: the file never chooses what code runs.
conf_assign() {
	case $1 in
	TARGETS) TARGETS=$2 ;;
	LOCAL_DEVICE) LOCAL_DEVICE=$2 ;;
	LOCAL_FSTYPE) LOCAL_FSTYPE=$2 ;;
	LOCAL_PATH) LOCAL_PATH=$2 ;;
	RAW_DEVICE) RAW_DEVICE=$2 ;;
	NFS_EXPORT) NFS_EXPORT=$2 ;;
	NFS_OPTIONS) NFS_OPTIONS=$2 ;;
	NFS_PATH) NFS_PATH=$2 ;;
	SSH_TARGET) SSH_TARGET=$2 ;;
	SSH_PORT) SSH_PORT=$2 ;;
	SSH_PATH) SSH_PATH=$2 ;;
	SSH_KEY) SSH_KEY=$2 ;;
	SSH_KNOWN_HOSTS) SSH_KNOWN_HOSTS=$2 ;;
	FTP_HOST) FTP_HOST=$2 ;;
	FTP_PORT) FTP_PORT=$2 ;;
	FTP_USER) FTP_USER=$2 ;;
	FTP_PASSWORD_FILE) FTP_PASSWORD_FILE=$2 ;;
	FTP_PATH) FTP_PATH=$2 ;;
	HTTP_URL) HTTP_URL=$2 ;;
	HTTP_METHOD) HTTP_METHOD=$2 ;;
	HTTP_RETRIES) HTTP_RETRIES=$2 ;;
	FALLBACK_DEVICE) FALLBACK_DEVICE=$2 ;;
	FALLBACK_PATH) FALLBACK_PATH=$2 ;;
	DUMP) DUMP=$2 ;;
	DUMP_LEVEL) DUMP_LEVEL=$2 ;;
	DUMP_CODEC) DUMP_CODEC=$2 ;;
	DUMP_FORMAT) DUMP_FORMAT=$2 ;;
	DUMP_THREADS) DUMP_THREADS=$2 ;;
	CONSOLE_LOG) CONSOLE_LOG=$2 ;;
	DEADLINE) DEADLINE=$2 ;;
	FINAL_ACTION) FINAL_ACTION=$2 ;;
	FAILURE_ACTION) FAILURE_ACTION=$2 ;;
	WATCHDOG) WATCHDOG=$2 ;;
	NETWORK) NETWORK=$2 ;;
	NET_INTERFACE) NET_INTERFACE=$2 ;;
	NET_ADDRESS) NET_ADDRESS=$2 ;;
	NET_GATEWAY) NET_GATEWAY=$2 ;;
	NET_DNS) NET_DNS=$2 ;;
	HOSTNAME) HOSTNAME=$2 ;;
	KDUMP_KERNEL) KDUMP_KERNEL=$2 ;;
	KDUMP_INITRD) KDUMP_INITRD=$2 ;;
	KDUMP_KVER) KDUMP_KVER=$2 ;;
	KDUMP_CMDLINE_REMOVE) KDUMP_CMDLINE_REMOVE=$2 ;;
	KDUMP_CMDLINE_APPEND) KDUMP_CMDLINE_APPEND=$2 ;;
	KEXEC_ARGS) KEXEC_ARGS=$2 ;;
	EXTRA_MODULES) EXTRA_MODULES=$2 ;;
	KEEP_DUMPS) KEEP_DUMPS=$2 ;;
	KEEP_SIZE) KEEP_SIZE=$2 ;;
	*) return 1 ;;
	esac
}

# conf_value KEY: print the current value of the known key KEY.
conf_value() {
	case $1 in
	TARGETS) printf '%s\n' "$TARGETS" ;;
	LOCAL_DEVICE) printf '%s\n' "$LOCAL_DEVICE" ;;
	LOCAL_FSTYPE) printf '%s\n' "$LOCAL_FSTYPE" ;;
	LOCAL_PATH) printf '%s\n' "$LOCAL_PATH" ;;
	RAW_DEVICE) printf '%s\n' "$RAW_DEVICE" ;;
	NFS_EXPORT) printf '%s\n' "$NFS_EXPORT" ;;
	NFS_OPTIONS) printf '%s\n' "$NFS_OPTIONS" ;;
	NFS_PATH) printf '%s\n' "$NFS_PATH" ;;
	SSH_TARGET) printf '%s\n' "$SSH_TARGET" ;;
	SSH_PORT) printf '%s\n' "$SSH_PORT" ;;
	SSH_PATH) printf '%s\n' "$SSH_PATH" ;;
	SSH_KEY) printf '%s\n' "$SSH_KEY" ;;
	SSH_KNOWN_HOSTS) printf '%s\n' "$SSH_KNOWN_HOSTS" ;;
	FTP_HOST) printf '%s\n' "$FTP_HOST" ;;
	FTP_PORT) printf '%s\n' "$FTP_PORT" ;;
	FTP_USER) printf '%s\n' "$FTP_USER" ;;
	FTP_PASSWORD_FILE) printf '%s\n' "$FTP_PASSWORD_FILE" ;;
	FTP_PATH) printf '%s\n' "$FTP_PATH" ;;
	HTTP_URL) printf '%s\n' "$HTTP_URL" ;;
	HTTP_METHOD) printf '%s\n' "$HTTP_METHOD" ;;
	HTTP_RETRIES) printf '%s\n' "$HTTP_RETRIES" ;;
	FALLBACK_DEVICE) printf '%s\n' "$FALLBACK_DEVICE" ;;
	FALLBACK_PATH) printf '%s\n' "$FALLBACK_PATH" ;;
	DUMP) printf '%s\n' "$DUMP" ;;
	DUMP_LEVEL) printf '%s\n' "$DUMP_LEVEL" ;;
	DUMP_CODEC) printf '%s\n' "$DUMP_CODEC" ;;
	DUMP_FORMAT) printf '%s\n' "$DUMP_FORMAT" ;;
	DUMP_THREADS) printf '%s\n' "$DUMP_THREADS" ;;
	CONSOLE_LOG) printf '%s\n' "$CONSOLE_LOG" ;;
	DEADLINE) printf '%s\n' "$DEADLINE" ;;
	FINAL_ACTION) printf '%s\n' "$FINAL_ACTION" ;;
	FAILURE_ACTION) printf '%s\n' "$FAILURE_ACTION" ;;
	WATCHDOG) printf '%s\n' "$WATCHDOG" ;;
	NETWORK) printf '%s\n' "$NETWORK" ;;
	NET_INTERFACE) printf '%s\n' "$NET_INTERFACE" ;;
	NET_ADDRESS) printf '%s\n' "$NET_ADDRESS" ;;
	NET_GATEWAY) printf '%s\n' "$NET_GATEWAY" ;;
	NET_DNS) printf '%s\n' "$NET_DNS" ;;
	HOSTNAME) printf '%s\n' "$HOSTNAME" ;;
	KDUMP_KERNEL) printf '%s\n' "$KDUMP_KERNEL" ;;
	KDUMP_INITRD) printf '%s\n' "$KDUMP_INITRD" ;;
	KDUMP_KVER) printf '%s\n' "$KDUMP_KVER" ;;
	KDUMP_CMDLINE_REMOVE) printf '%s\n' "$KDUMP_CMDLINE_REMOVE" ;;
	KDUMP_CMDLINE_APPEND) printf '%s\n' "$KDUMP_CMDLINE_APPEND" ;;
	KEXEC_ARGS) printf '%s\n' "$KEXEC_ARGS" ;;
	EXTRA_MODULES) printf '%s\n' "$EXTRA_MODULES" ;;
	KEEP_DUMPS) printf '%s\n' "$KEEP_DUMPS" ;;
	KEEP_SIZE) printf '%s\n' "$KEEP_SIZE" ;;
	*) return 1 ;;
	esac
}

# conf_unquote VALUE: print VALUE without one pair of surrounding quotes.
conf_unquote() {
	local v="$1"
	case $v in
	\"*\") [ "${#v}" -ge 2 ] && v=${v#\"} && v=${v%\"} ;;
	\'*\') [ "${#v}" -ge 2 ] && v=${v#\'} && v=${v%\'} ;;
	esac
	printf '%s\n' "$v"
}

# conf_load FILE: set defaults, then every key FILE gives. Prints each problem
# as "FILE:LINE: message" on stderr; returns 1 if there was any (the keys that
# were good are still set), 2 if FILE cannot be read.
conf_load() {
	local file="$1" line key value out n=0 bad=0 cr
	cr=$(printf '\r')
	conf_defaults
	if [ ! -r "$file" ] || [ -d "$file" ]; then
		printf '%s: cannot read the configuration\n' "$file" >&2
		return 2
	fi
	while IFS= read -r line || [ -n "$line" ]; do
		n=$((n + 1))
		# 10000 lines is far beyond any real config; stop a runaway file.
		if [ "$n" -gt 10000 ]; then
			printf '%s:%s: too many lines\n' "$file" "$n" >&2
			return 1
		fi
		line=${line%"$cr"}
		# Leading and trailing blanks do not count.
		line=${line#"${line%%[![:blank:]]*}"}
		line=${line%"${line##*[![:blank:]]}"}
		case $line in
		'' | '#'*) continue ;;
		*=*) ;;
		*)
			printf '%s:%s: not KEY=value: %s\n' "$file" "$n" "$line" >&2
			bad=1
			continue ;;
		esac
		key=${line%%=*}
		value=$(conf_unquote "${line#*=}")
		case $key in
		*[[:blank:]]*)
			printf "%s:%s: no blanks around '=' please: %s\n" "$file" "$n" "$line" >&2
			bad=1
			continue ;;
		esac
		if out=$(conf_check "$key" "$value"); then
			conf_assign "$key" "$out"
		else
			printf '%s:%s: %s\n' "$file" "$n" "$out" >&2
			bad=1
		fi
	done <"$file"
	[ "$bad" -eq 0 ] || return 1
	conf_check_whole "$file"
}

# conf_check_whole FILE: checks that need several keys together.
conf_check_whole() {
	local file="$1" t bad=0
	set -f
	# shellcheck disable=SC2086
	set -- $TARGETS
	set +f
	for t in "$@"; do
		case $t in
		local) [ -n "$LOCAL_DEVICE" ] || { printf '%s: TARGETS has local but LOCAL_DEVICE is not set\n' "$file" >&2; bad=1; } ;;
		raw) [ -n "$RAW_DEVICE" ] || { printf '%s: TARGETS has raw but RAW_DEVICE is not set\n' "$file" >&2; bad=1; } ;;
		nfs) [ -n "$NFS_EXPORT" ] || { printf '%s: TARGETS has nfs but NFS_EXPORT is not set\n' "$file" >&2; bad=1; } ;;
		ssh) [ -n "$SSH_TARGET" ] || { printf '%s: TARGETS has ssh but SSH_TARGET is not set\n' "$file" >&2; bad=1; } ;;
		ftp) [ -n "$FTP_HOST" ] || { printf '%s: TARGETS has ftp but FTP_HOST is not set\n' "$file" >&2; bad=1; } ;;
		http) [ -n "$HTTP_URL" ] || { printf '%s: TARGETS has http but HTTP_URL is not set\n' "$file" >&2; bad=1; } ;;
		esac
	done
	if [ "$NETWORK" = static ] && [ -z "$NET_ADDRESS" ]; then
		printf '%s: NETWORK=static needs NET_ADDRESS\n' "$file" >&2
		bad=1
	fi
	[ "$bad" -eq 0 ]
}

# conf_needs_network: true when a configured target goes over the network.
conf_needs_network() {
	case " $TARGETS " in
	*' nfs '* | *' ssh '* | *' ftp '* | *' http '*) return 0 ;;
	esac
	return 1
}

# conf_show: print the effective configuration, one KEY=value per line,
# quoted when the value is empty or has blanks.
conf_show() {
	local key v
	for key in $CONF_KEYS; do
		v=$(conf_value "$key")
		case $v in
		'' | *[[:blank:]]*) printf '%s="%s"\n' "$key" "$v" ;;
		*) printf '%s=%s\n' "$key" "$v" ;;
		esac
	done
}
