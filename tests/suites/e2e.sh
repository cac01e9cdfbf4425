#!/bin/sh
# e2e: crash real Debian kernels under QEMU (tests/e2e/crash-kernel.sh) and
# hold the sanitized crashdmesg to what the crash left: the first kernel's own
# /dev/kmsg snapshot (ground truth), vmcore-dmesg (byte for byte) and
# makedumpfile --dump-dmesg (after undoing its listed quirks,
# tests/e2e/oracles.sh).  Each kernel is crashed afresh into build/e2e/SUITE;
# kernel packages are downloaded once into .cache/kernels.  A failed crash
# (download, QEMU, capture) is a failure, and so is every assertion it
# prevented.  E2E_SUITES picks the kernels (default: bookworm 6.1, bullseye
# 5.10, trixie 6.12); each takes about 20 s on TCG (the suite about a minute).
# Last line: "e2e: N passed, N failed".
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
# shellcheck source=/dev/null # oracles.sh is checked on its own (shellcheck suite)
. "$top/tests/e2e/oracles.sh"

bin=${CRASHDMESG:-$top/build/asan/crashdmesg}
suites=${E2E_SUITES:-bookworm bullseye trixie}
cache=$top/.cache/kernels
panic_line='Kernel panic - not syncing: sysrq triggered crash'
min_limit=$((2 * 1024 * 1024))

passed=0
failed=0
started=$(date +%s)

# check NAME FUNCTION [ARGS...]: run one assertion and count it; a failed
# crash makes every later assertion of its kernel fail without running.
check() {
	local name
	name=$1
	shift
	if [ -z "$core" ]; then
		failed=$((failed + 1))
		printf 'FAIL %s: %s: no core (the crash failed)\n' "$suite" "$name"
	elif "$@"; then
		passed=$((passed + 1))
		printf 'ok   %s: %s\n' "$suite" "$name"
	else
		failed=$((failed + 1))
		printf 'FAIL %s: %s\n' "$suite" "$name"
	fi
}

# cd_run OUT ARGS...: the sanitized crashdmesg with ARGS, stdout to OUT,
# stderr to OUT.err; true when it exits 0 (any sanitizer report exits non-0).
cd_run() {
	local out rc
	out=$1
	shift
	rc=0
	"$bin" "$@" >"$out" 2>"$out.err" || rc=$?
	if [ "$rc" -ne 0 ]; then
		printf '  crashdmesg %s: exit %s\n' "$*" "$rc"
		tail -n 5 "$out.err" | sed 's/^/  | /'
		return 1
	fi
}

# same FILE1 FILE2: byte-equal, else show the first differences.
same() {
	if cmp -s -- "$1" "$2"; then
		return 0
	fi
	printf '  %s and %s differ:\n' "$1" "$2"
	diff -a -- "$1" "$2" | head -n 12 | sed 's/^/  | /'
	return 1
}

# has_line FILE LINE: FILE holds LINE as a whole line.
has_line() {
	if grep -a -q -x -F -e "$2" -- "$1"; then
		return 0
	fi
	printf '  %s lacks the line: %s\n' "$1" "$2"
	return 1
}

# has_text FILE TEXT: FILE holds TEXT somewhere.
has_text() {
	if grep -a -q -F -e "$2" -- "$1"; then
		return 0
	fi
	printf '  %s lacks: %s\n' "$1" "$2"
	return 1
}

# crash: a fresh core of $suite in $dir; sets core on success.
crash() {
	local t f
	rm -rf "$dir"
	t=$(date +%s)
	if ! sh tests/e2e/crash-kernel.sh --suite "$suite" --cache "$cache" "$dir" >"$dir.crash.log" 2>&1; then
		sed 's/^/  | /' "$dir.crash.log" | tail -n 30
		return 1
	fi
	for f in vmcore kmsg.txt; do
		[ -s "$dir/$f" ] || {
			printf '  crash-kernel.sh left no %s\n' "$dir/$f"
			return 1
		}
	done
	vmcoreinfo_of "$dir/vmcore" >"$dir/vmcoreinfo.txt" || {
		printf '  readelf finds no VMCOREINFO note in %s\n' "$dir/vmcore"
		return 1
	}
	printf '  %s (%s s)\n' "$(tail -n 1 "$dir.crash.log")" "$(($(date +%s) - t))"
	core=$dir/vmcore
}

# vs_vmcore_dmesg: crashdmesg --vmcore-dmesg is vmcore-dmesg, byte for byte.
# No difference is filtered: these cores have no data-lost record (the one
# vmcore-dmesg bug crashdmesg deliberately does not copy: it prints "[ts] "
# for one) and no wrap.
vs_vmcore_dmesg() {
	vmcore-dmesg "$core" >"$dir/vmcore-dmesg.txt" 2>"$dir/vmcore-dmesg.err" || {
		printf '  vmcore-dmesg %s failed\n' "$core"
		return 1
	}
	cd_run "$dir/cd.vmcore-dmesg" -q --vmcore-dmesg "$core" &&
		same "$dir/vmcore-dmesg.txt" "$dir/cd.vmcore-dmesg"
}

# vs_snapshot: every record the first kernel read from /dev/kmsg just before
# the crash is in crashdmesg --kmsg, identical and in order.
vs_snapshot() {
	local rc
	cd_run "$dir/cd.kmsg" -q --kmsg "$core" || return 1
	rc=0
	kmsg_check "$dir/kmsg.txt" "$dir/cd.kmsg" >"$dir/kmsg-check.txt" || rc=1
	sed 's/^/  /' "$dir/kmsg-check.txt"
	return "$rc"
}

# vs_snapshot_json: the same records in crashdmesg --json (seq, ts_nsec,
# facility, level, text bytes, dev_info), every line valid JSON.
vs_snapshot_json() {
	local rc
	cd_run "$dir/cd.json" -q --json "$core" || return 1
	rc=0
	json_check "$dir/kmsg.txt" "$dir/cd.json" >"$dir/json-check.txt" || rc=1
	sed 's/^/  /' "$dir/json-check.txt"
	return "$rc"
}

# oracle_bites: both snapshot checks fail when one byte of one marker record
# differs (so the checks above can fail).
oracle_bites() {
	sed 's/crashkit-e2e: marker end/crashkit-e2e: marker enD/' "$dir/cd.kmsg" >"$dir/cd.kmsg.altered"
	if kmsg_check "$dir/kmsg.txt" "$dir/cd.kmsg.altered" >/dev/null; then
		printf '  kmsg_check accepted an altered record\n'
		return 1
	fi
	sed 's/crashkit-e2e: marker end/crashkit-e2e: marker enD/' "$dir/cd.json" >"$dir/cd.json.altered"
	if json_check "$dir/kmsg.txt" "$dir/cd.json.altered" >/dev/null; then
		printf '  json_check accepted an altered record\n'
		return 1
	fi
}

# default_renders_snapshot: crashdmesg's default output begins with what
# util-linux dmesg prints (LC_ALL=C) for the snapshot's records.
default_renders_snapshot() {
	local n
	cd_run "$dir/cd.dmesg" -q "$core" || return 1
	kmsg_to_dmesg "$dir/kmsg.txt" >"$dir/snapshot.dmesg"
	n=$(wc -c <"$dir/snapshot.dmesg")
	head -c "$n" "$dir/cd.dmesg" >"$dir/cd.dmesg.head"
	same "$dir/snapshot.dmesg" "$dir/cd.dmesg.head"
}

# default_markers: the panic line and the awkward markers, spelled out.
default_markers() {
	local ok
	ok=0
	has_text "$dir/cd.dmesg" "] $panic_line" || ok=1
	# The multi-line record's second line, indented by the width of
	# "[    2.234264] " (15), right after its first line.
	grep -a -A 1 -F 'crashkit-e2e: multi-line one' "$dir/cd.dmesg" | tail -n 1 >"$dir/multi.line2"
	has_line "$dir/multi.line2" '               line two of the same record' || ok=1
	has_text "$dir/cd.dmesg" '] crashkit-e2e: utf-8 caf\xc3\xa9' || ok=1
	has_text "$dir/cd.dmesg" '] crashkit-e2e: control \x01 byte and del \x7f' || ok=1
	has_text "$dir/cd.dmesg" "] crashkit-e2e: tab$(printf '\t')here" || ok=1
	has_text "$dir/cd.dmesg" '] crashkit-e2e: escape \x1b[31mred\x1b[0m' || ok=1
	has_text "$dir/cd.dmesg" '] crashkit-e2e: backslash \ and a literal \x41' || ok=1
	# The empty record is a bare newline right after the trailing-space one.
	grep -a -A 1 -F 'crashkit-e2e: trailing space ' "$dir/cd.dmesg" | tail -n 1 >"$dir/empty.line"
	has_line "$dir/empty.line" '' || ok=1
	if LC_ALL=C grep -a -q "$(printf '\033')" "$dir/cd.dmesg"; then
		printf '  a raw ESC byte reached the output\n'
		ok=1
	fi
	return "$ok"
}

# summary_names: --summary exits 0 and names the release (VMCOREINFO
# OSRELEASE), the guest's hostname (it never set one: the kernel's
# CONFIG_DEFAULT_HOSTNAME) and the panic line.
summary_names() {
	local release hostname ok
	ok=0
	cd_run "$dir/cd.summary" --summary "$core" || return 1
	release=$(vmcoreinfo_value "$dir/vmcoreinfo.txt" OSRELEASE) || {
		printf '  no OSRELEASE in %s\n' "$dir/vmcoreinfo.txt"
		return 1
	}
	hostname=$(sed -n 's/^CONFIG_DEFAULT_HOSTNAME="\(.*\)"$/\1/p' "$cache/$suite"/boot/config-*)
	[ -n "$hostname" ] || {
		printf '  no CONFIG_DEFAULT_HOSTNAME in %s\n' "$cache/$suite/boot"
		return 1
	}
	has_text "$dir/cd.summary" "$release" || ok=1
	has_text "$dir/cd.summary" "$hostname" || ok=1
	has_text "$dir/cd.summary" "$panic_line" || ok=1
	return "$ok"
}

# save_minimal: --save-minimal writes a core under 2 MiB, mode 0600.
save_minimal() {
	local size mode
	rm -f "$dir/min.vmcore"
	cd_run "$dir/cd.save-minimal" -q --save-minimal "$dir/min.vmcore" "$core" || return 1
	[ -f "$dir/min.vmcore" ] || {
		printf '  no %s\n' "$dir/min.vmcore"
		return 1
	}
	size=$(stat -c %s "$dir/min.vmcore")
	mode=$(stat -c %a "$dir/min.vmcore")
	printf '  %s: %s bytes, mode %s\n' "$dir/min.vmcore" "$size" "$mode"
	[ "$size" -lt "$min_limit" ] && [ "$mode" = 600 ]
}

# minimal_vmcore_dmesg: vmcore-dmesg reads the minimal core as the full one.
minimal_vmcore_dmesg() {
	vmcore-dmesg "$dir/min.vmcore" >"$dir/min.vmcore-dmesg.txt" 2>&1 || {
		printf '  vmcore-dmesg %s failed: %s\n' "$dir/min.vmcore" "$(tail -n 1 "$dir/min.vmcore-dmesg.txt")"
		return 1
	}
	same "$dir/vmcore-dmesg.txt" "$dir/min.vmcore-dmesg.txt"
}

# minimal_crashdmesg: so does crashdmesg --vmcore-dmesg.
minimal_crashdmesg() {
	cd_run "$dir/min.cd.vmcore-dmesg" -q --vmcore-dmesg "$dir/min.vmcore" &&
		same "$dir/cd.vmcore-dmesg" "$dir/min.cd.vmcore-dmesg"
}

# vs_makedumpfile: makedumpfile --dump-dmesg, normalised (norm_makedumpfile:
# \xffffffNN bytes, dmesg-style indent; on 5.10 drop_empty_records, as it
# skips data-less records), equals crashdmesg --vmcore-dmesg.
vs_makedumpfile() {
	local release
	rm -f "$dir/makedumpfile.txt"
	makedumpfile --dump-dmesg "$core" "$dir/makedumpfile.txt" >"$dir/makedumpfile.err" 2>&1 || {
		printf '  makedumpfile --dump-dmesg failed: %s\n' "$(tail -n 1 "$dir/makedumpfile.err")"
		return 1
	}
	norm_makedumpfile "$dir/makedumpfile.txt" >"$dir/makedumpfile.norm"
	release=$(vmcoreinfo_value "$dir/vmcoreinfo.txt" OSRELEASE)
	case $release in
	5.10.*) drop_empty_records "$dir/cd.vmcore-dmesg" >"$dir/cd.vmcore-dmesg.md" ;;
	*) cp "$dir/cd.vmcore-dmesg" "$dir/cd.vmcore-dmesg.md" ;;
	esac
	same "$dir/makedumpfile.norm" "$dir/cd.vmcore-dmesg.md"
}

if [ ! -x "$bin" ] || [ -d "$bin" ]; then
	printf 'e2e: %s is not built (make build/asan/crashdmesg)\n' "$bin"
fi
mkdir -p build/e2e
for suite in $suites; do
	dir=build/e2e/$suite
	printf '== %s\n' "$suite"
	core=
	if crash; then
		passed=$((passed + 1))
		printf 'ok   %s: crash-kernel.sh left a core and a /dev/kmsg snapshot\n' "$suite"
	else
		failed=$((failed + 1))
		printf 'FAIL %s: crash-kernel.sh\n' "$suite"
	fi
	check "crashdmesg --vmcore-dmesg == vmcore-dmesg, byte for byte" vs_vmcore_dmesg
	check "every /dev/kmsg snapshot record is in crashdmesg --kmsg, identical, in order" vs_snapshot
	check "every snapshot record is in crashdmesg --json, same fields" vs_snapshot_json
	check "the snapshot checks reject one altered byte" oracle_bites
	check "default output begins with dmesg's rendering of the snapshot" default_renders_snapshot
	check "default output: panic line, 15-space indent, \\xc3\\xa9, escapes, empty record" default_markers
	check "--summary: exit 0, release, hostname, panic line" summary_names
	check "--save-minimal: < 2 MiB, mode 0600" save_minimal
	check "vmcore-dmesg on the minimal core == on the full core" minimal_vmcore_dmesg
	check "crashdmesg --vmcore-dmesg on the minimal core == on the full core" minimal_crashdmesg
	check "makedumpfile --dump-dmesg == crashdmesg --vmcore-dmesg, quirks undone" vs_makedumpfile
done

printf 'e2e: %s s\n' "$(($(date +%s) - started))"
echo "e2e: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
