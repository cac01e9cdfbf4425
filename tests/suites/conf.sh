#!/bin/sh
# capture/lib/conf.sh: crashkit.conf is parsed, never run. Every case runs
# under both shells that use the parser: dash (crashctl on the first kernel)
# and busybox ash (crashcapture in the capture kernel).
# shellcheck disable=SC2016 # the single-quoted scripts expand in the child shell.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0
pass() { passed=$((passed + 1)); }
fail() {
	failed=$((failed + 1))
	echo "FAIL: $*"
}

# run_conf SHELL FILE SCRIPT: load FILE with conf.sh under SHELL, then run
# SCRIPT; stdout to $tmp/out, stderr to $tmp/err, status returned.
run_conf() {
	$1 -c '. "$1"; conf_load "$2"; rc=$?; eval "$3"; exit $rc' conf \
		"$top/capture/lib/conf.sh" "$2" "$3" >"$tmp/out" 2>"$tmp/err"
}

# expect SHELL DESC WANT_RC WANT_STDOUT WANT_STDERR_SUBSTRING
expect() {
	local sh="$1" desc="$2" want_rc="$3" want_out="$4" want_err="$5" rc="$6" out err
	out=$(cat "$tmp/out")
	err=$(cat "$tmp/err")
	if [ "$rc" -ne "$want_rc" ]; then
		fail "$sh: $desc: exit $rc, want $want_rc (stderr: $err)"
	elif [ "$out" != "$want_out" ]; then
		fail "$sh: $desc: stdout '$out', want '$want_out'"
	elif [ -n "$want_err" ] && case $err in *"$want_err"*) false ;; *) true ;; esac then
		fail "$sh: $desc: stderr '$err' lacks '$want_err'"
	elif [ -z "$want_err" ] && [ -n "$err" ]; then
		fail "$sh: $desc: unexpected stderr '$err'"
	else
		pass
	fi
}

# case_of DESC WANT_RC WANT_STDOUT WANT_STDERR SCRIPT < config text
case_of() {
	local desc="$1" want_rc="$2" want_out="$3" want_err="$4" script="$5" sh rc
	cat >"$tmp/conf"
	for sh in dash "busybox ash"; do
		run_conf "$sh" "$tmp/conf" "$script"
		rc=$?
		expect "$sh" "$desc" "$want_rc" "$want_out" "$want_err" "$rc"
	done
}

case_of "empty file: defaults, but local needs LOCAL_DEVICE" 1 "local 31 lzo 1800 reboot" \
	"TARGETS has local but LOCAL_DEVICE is not set" \
	'echo "$TARGETS $DUMP_LEVEL $DUMP_CODEC $DEADLINE $FINAL_ACTION"' </dev/null

case_of "a full, valid file" 0 "ssh local|UUID=1234-ab|20|7200|1073741824|no|10.0.0.2/24" "" \
	'echo "$TARGETS|$LOCAL_DEVICE|$DUMP_LEVEL|$DEADLINE|$KEEP_SIZE|$DUMP|$NET_ADDRESS"' <<'C'
# crashkit.conf
TARGETS="ssh local"
LOCAL_DEVICE=UUID=1234-ab
   SSH_TARGET=root@collector.example
DUMP_LEVEL=20
DEADLINE=2h
KEEP_SIZE=1G
DUMP='no'
NETWORK=static
NET_ADDRESS=10.0.0.2/24

C

case_of "CRLF line ends and no final newline" 0 "/dev/vdb 17" "" \
	'echo "$LOCAL_DEVICE $DUMP_LEVEL"' <<C
LOCAL_DEVICE=/dev/vdb$(printf '\r')
DUMP_LEVEL=17$(printf '\r')
C
printf 'LOCAL_DEVICE=/dev/vdb\nDUMP_LEVEL=3' >"$tmp/nonl"
for sh in dash "busybox ash"; do
	run_conf "$sh" "$tmp/nonl" 'echo "$DUMP_LEVEL"'
	expect "$sh" "last line without newline" 0 3 "" $?
done

case_of "values are never expanded or run" 1 "" \
	"conf:2: LOCAL_PATH: '\$(touch $tmp/pwned)' is not an absolute path" \
	'test -e "'"$tmp"'/pwned" && echo RAN' <<C
LOCAL_DEVICE=/dev/vdb
LOCAL_PATH=\$(touch $tmp/pwned)
KDUMP_CMDLINE_APPEND=\`touch $tmp/pwned\`
C
case_of "a command line word with \$ is refused" 1 "" \
	"conf:2: KDUMP_CMDLINE_APPEND:" 'true' <<'C'
LOCAL_DEVICE=/dev/vdb
KDUMP_CMDLINE_APPEND=a=$HOME
C

case_of "unknown key, with its line number" 1 "" "conf:3: unknown key 'DUMPLEVEL'" 'true' <<'C'
LOCAL_DEVICE=/dev/vdb

DUMPLEVEL=31
C
case_of "a line that is not KEY=value" 1 "" "conf:1: not KEY=value: reboot now" 'true' <<'C'
reboot now
LOCAL_DEVICE=/dev/vdb
C
case_of "blanks around =" 1 "" "conf:2: no blanks around '='" 'true' <<'C'
LOCAL_DEVICE=/dev/vdb
DUMP_LEVEL = 31
C
case_of "every bad line is reported, good keys still set" 1 "/dev/vdb" \
	"conf:3: DUMP_CODEC: 'lz4' is not lzo, zlib, zstd or none" 'echo "$LOCAL_DEVICE"' <<'C'
DUMP_LEVEL=32
LOCAL_DEVICE=/dev/vdb
DUMP_CODEC=lz4
C
if grep -q "conf:1: DUMP_LEVEL: '32' is not a number from 0 to 31" "$tmp/err"; then
	pass
else
	fail "the first of two bad lines is not reported: $(cat "$tmp/err")"
fi

# One bad value per key that checks something.
while IFS='|' read -r line want; do
	printf 'LOCAL_DEVICE=/dev/vdb\n%s\n' "$line" >"$tmp/conf"
	for sh in dash "busybox ash"; do
		run_conf "$sh" "$tmp/conf" true
		expect "$sh" "bad: $line" 1 "" "conf:2: $want" $?
	done
done <<'C'
TARGETS=local smb|TARGETS: 'local smb' is not a list
TARGETS=|TARGETS is empty
LOCAL_DEVICE=sdb1|LOCAL_DEVICE: 'sdb1' is not UUID=
LOCAL_FSTYPE=btrfs|LOCAL_FSTYPE: 'btrfs'
LOCAL_PATH=var/crash|LOCAL_PATH: 'var/crash' is not an absolute path
LOCAL_PATH=/var/../etc|LOCAL_PATH: '/var/../etc' is not an absolute path
LOCAL_PATH=/var/my crash|LOCAL_PATH: '/var/my crash'
NFS_EXPORT=server|NFS_EXPORT: 'server' is not server:/path
NFS_OPTIONS=vers=3;reboot|NFS_OPTIONS:
SSH_TARGET=collector|SSH_TARGET: 'collector' is not user@host
SSH_TARGET=root@-oProxyCommand=x|SSH_TARGET:
SSH_PORT=0|SSH_PORT: '0' is not a port number
SSH_PORT=65536|SSH_PORT: '65536'
FTP_PORT=2x|FTP_PORT: '2x'
HTTP_URL=ftp://x/|HTTP_URL: 'ftp://x/' is not an http
HTTP_METHOD=GET|HTTP_METHOD: 'GET'
HTTP_RETRIES=0|HTTP_RETRIES: '0'
DUMP=maybe|DUMP: 'maybe'
DUMP_LEVEL=-1|DUMP_LEVEL: '-1'
DUMP_LEVEL=999999999999999999999|DUMP_LEVEL:
DUMP_FORMAT=flat|DUMP_FORMAT: 'flat'
DUMP_THREADS=65|DUMP_THREADS: '65'
CONSOLE_LOG=none|CONSOLE_LOG: 'none'
DEADLINE=5|DEADLINE: '5' is not a duration of at least 10 s
DEADLINE=1d|DEADLINE: '1d'
FINAL_ACTION=kexec|FINAL_ACTION: 'kexec'
FAILURE_ACTION=|FAILURE_ACTION: ''
WATCHDOG=on|WATCHDOG: 'on'
NETWORK=wifi|NETWORK: 'wifi'
NET_ADDRESS=10.0.0.256/24|NET_ADDRESS: '10.0.0.256/24'
NET_ADDRESS=10.0.0.1|NET_ADDRESS: '10.0.0.1'
NET_GATEWAY=10.0.0|NET_GATEWAY: '10.0.0'
HOSTNAME=a_b|HOSTNAME: 'a_b'
KDUMP_KVER=../x|KDUMP_KVER: '../x'
EXTRA_MODULES=e1000 ../evil|EXTRA_MODULES:
KEEP_DUMPS=x|KEEP_DUMPS: 'x'
KEEP_SIZE=1P|KEEP_SIZE: '1P'
C

# Keys that depend on each other.
while IFS='|' read -r line want; do
	printf '%s\n' "$line" | tr ';' '\n' >"$tmp/conf"
	for sh in dash "busybox ash"; do
		run_conf "$sh" "$tmp/conf" true
		expect "$sh" "whole: $line" 1 "" "$want" $?
	done
done <<'C'
TARGETS=raw|TARGETS has raw but RAW_DEVICE is not set
TARGETS=nfs|TARGETS has nfs but NFS_EXPORT is not set
TARGETS=ssh|TARGETS has ssh but SSH_TARGET is not set
TARGETS=ftp|TARGETS has ftp but FTP_HOST is not set
TARGETS=http|TARGETS has http but HTTP_URL is not set
TARGETS=raw;RAW_DEVICE=/dev/vdc;NETWORK=static|NETWORK=static needs NET_ADDRESS
C

# Normalised values and conf_show round trip: show's output loads again to
# the same values.
case_of "units are normalised" 0 "90 600 3600 2048 5242880" "" \
	'echo "$DEADLINE $(conf_seconds 10m) $(conf_seconds 1h) $(conf_bytes 2K) $KEEP_SIZE"' <<'C'
TARGETS=raw
RAW_DEVICE=/dev/vdc
DEADLINE=90s
KEEP_SIZE=5M
C
for sh in dash "busybox ash"; do
	printf 'TARGETS="nfs http"\nNFS_EXPORT=10.0.2.2:/srv/crash\nHTTP_URL=http://10.0.2.2:8080/up\nKDUMP_CMDLINE_APPEND="nokaslr numa=off"\n' >"$tmp/conf"
	run_conf "$sh" "$tmp/conf" 'conf_show'
	cp "$tmp/out" "$tmp/shown"
	run_conf "$sh" "$tmp/shown" 'conf_show'
	if [ "$(grep -c . "$tmp/shown")" -eq 48 ] && cmp -s "$tmp/out" "$tmp/shown" &&
		grep -qx 'KDUMP_CMDLINE_APPEND="nokaslr numa=off"' "$tmp/shown"; then
		pass
	else
		fail "$sh: conf_show does not round-trip: $(cat "$tmp/shown")"
	fi
done

# Refusals: unreadable file, directory, runaway length.
for sh in dash "busybox ash"; do
	run_conf "$sh" "$tmp/missing" true
	expect "$sh" "missing file" 2 "" "missing: cannot read the configuration" $?
	run_conf "$sh" "$tmp" true
	expect "$sh" "a directory" 2 "" "cannot read the configuration" $?
done
awk 'BEGIN { for (i = 0; i < 10005; i++) print "# x" }' >"$tmp/long"
for sh in dash "busybox ash"; do
	run_conf "$sh" "$tmp/long" true
	expect "$sh" "10005 lines" 1 "" "long:10001: too many lines" $?
done

echo "conf: $passed passed, $failed failed"
