#!/bin/sh
# e2e_mdfzstd: crashcopy's zstd dumps against a makedumpfile that knows zstd.
# Debian 12's makedumpfile 1.7.2 is built without zstd (its -z writes raw
# pages, and it cannot read a zstd dump), so e2e_crashcopy holds our -z
# output to libkdumpfile and crash only.  Here the peer is Debian 13's
# makedumpfile binary (with Debian 13's libzstd), fetched by
# tests/peers/fetch-makedumpfile-zstd.sh into .cache/peers (a few seconds
# and ~500 KB the first time; see tests/peers/README.md).
#
# Once: the peer is fetched and `makedumpfile -v` says "zstd enabled".
# Per kernel, on the real cores that tests/suites/e2e.sh leaves in
# build/e2e/SUITE/vmcore (a missing core is crashed here with
# tests/e2e/crash-kernel.sh into build/e2e-mdfzstd/SUITE.crash):
#   our -z dumps:
#     the header and every page descriptor say zstd (0x20) or raw, and the
#     file is smaller than its pages raw (tests/peers/kdump_codec.py);
#     peer --dump-dmesg on crashcopy -z (-d 1 and -d 31) prints what it
#     prints on the source core, byte for byte;
#     crashcopy -F -z | peer -R is our seekable -z file, byte for byte;
#   the peer's -z dump (-d 31):
#     really zstd, as above (so the peer is a zstd writer, not 1.7.2's -z);
#     page-exact through python3-libkdumpfile (tests/crashcopy_pages.py);
#     crash --osrelease prints VMCOREINFO's OSRELEASE;
#     peer -F -z | crashcopy -R is what peer -R makes of the same stream.
# crashcopy and crashdmesg read ELF cores only, so they are not readers of
# the peer's dump; libkdumpfile and crash are.
# Last line: "e2e_mdfzstd: N passed, N failed".
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
# shellcheck source=/dev/null # oracles.sh is checked on its own (shellcheck suite)
. "$top/tests/e2e/oracles.sh"

bin=${CRASHCOPY:-$top/build/asan/crashcopy}
python=/usr/bin/python3
suites=${E2E_SUITES:-bookworm bullseye trixie}
cache=$top/.cache/kernels
work=$top/build/e2e-mdfzstd

passed=0
failed=0
started=$(date +%s)
peer=

# check NAME FUNCTION [ARGS...]: run one assertion and count it.
check() {
	local name
	name=$1
	shift
	if [ -z "$core" ]; then
		failed=$((failed + 1))
		printf 'FAIL %s: %s: no core\n' "$suite" "$name"
	elif [ -z "$peer" ]; then
		failed=$((failed + 1))
		printf 'FAIL %s: %s: no zstd makedumpfile\n' "$suite" "$name"
	elif "$@"; then
		passed=$((passed + 1))
		printf 'ok   %s: %s\n' "$suite" "$name"
	else
		failed=$((failed + 1))
		printf 'FAIL %s: %s\n' "$suite" "$name"
	fi
}

# cc_run LOG ARGS...: crashcopy with ARGS, stderr to LOG; true on exit 0.
cc_run() {
	local log rc
	log=$1
	shift
	rc=0
	"$bin" "$@" 2>"$log" || rc=$?
	if [ "$rc" -ne 0 ]; then
		printf '  crashcopy %s: exit %s\n' "$*" "$rc"
		tail -n 5 "$log" | sed 's/^/  | /'
		return 1
	fi
}

# mdf LOG ARGS...: the peer with ARGS, output to LOG; true on exit 0.
mdf() {
	local log
	log=$1
	shift
	"$peer" "$@" >"$log" 2>&1 && return 0
	printf '  makedumpfile-zstd %s failed: %s\n' "$*" "$(tail -n 1 "$log")"
	return 1
}

# same FILE1 FILE2: byte-equal.
same() {
	if cmp -s -- "$1" "$2"; then
		return 0
	fi
	printf '  %s and %s differ: %s\n' "$1" "$2" "$(cmp -- "$1" "$2" 2>&1 | head -n 1)"
	return 1
}

# fetch_peer: tests/peers/fetch-makedumpfile-zstd.sh gives a makedumpfile
# whose -v says zstd is enabled; sets peer.
fetch_peer() {
	local t p
	t=$(date +%s)
	p=$(sh tests/peers/fetch-makedumpfile-zstd.sh 2>"$work/fetch.err") || {
		sed 's/^/  | /' "$work/fetch.err"
		return 1
	}
	"$p" -v 2>&1 | grep -q '^zstd[[:space:]]*enabled' || {
		printf '  %s -v does not say "zstd enabled"\n' "$p"
		return 1
	}
	printf '  %s: %s, %s (%s s)\n' "$p" "$("$p" -v 2>&1 | head -n 1)" \
		"$(cat "${p%/*}/version" 2>/dev/null)" "$(($(date +%s) - t))"
	peer=$p
}

# find_core: the e2e suite's core of $suite, else a fresh crash; sets core.
find_core() {
	local t
	core=
	if [ -s "build/e2e/$suite/vmcore" ]; then
		core=build/e2e/$suite/vmcore
		return 0
	fi
	rm -rf "$work/$suite.crash"
	t=$(date +%s)
	if ! sh tests/e2e/crash-kernel.sh --suite "$suite" --cache "$cache" \
		"$work/$suite.crash" >"$work/$suite.crash.log" 2>&1; then
		tail -n 20 "$work/$suite.crash.log" | sed 's/^/  | /'
		return 1
	fi
	printf '  crashed %s here (%s s)\n' "$suite" "$(($(date +%s) - t))"
	core=$work/$suite.crash/vmcore
}

# is_zstd FILE: tests/peers/kdump_codec.py finds zstd in FILE's own bytes.
is_zstd() {
	local rc
	rc=0
	"$python" tests/peers/kdump_codec.py "$1" zstd >"$1.codec" 2>&1 || rc=$?
	sed 's/^/  /' "$1.codec"
	return "$rc"
}

# ours_zstd LEVEL: crashcopy -d LEVEL -z writes zstd.
ours_zstd() {
	rm -f "$dir/cz$1"
	cc_run "$dir/cz$1.err" -d "$1" -z "$core" "$dir/cz$1" && is_zstd "$dir/cz$1"
}

# mdf_dmesg LEVEL: peer --dump-dmesg on our -d LEVEL -z dump is its output
# on the source core.
mdf_dmesg() {
	rm -f "$dir/cz$1.dmesg"
	mdf "$dir/cz$1.dmesg.err" --dump-dmesg "$dir/cz$1" "$dir/cz$1.dmesg" &&
		same "$dir/source.dmesg" "$dir/cz$1.dmesg"
}

# flat_mdf_r: crashcopy -F -d 31 -z | peer -R is our seekable -d 31 -z file.
flat_mdf_r() {
	rm -f "$dir/cz.R"
	cc_run "$dir/cz.flat.err" -F -d 31 -z "$core" >"$dir/cz.flat" &&
		mdf "$dir/cz.R.err" -R "$dir/cz.R" <"$dir/cz.flat" &&
		same "$dir/cz31" "$dir/cz.R"
}

# theirs_zstd: the peer's -z -d 31 dump is zstd.
theirs_zstd() {
	rm -f "$dir/pz31"
	mdf "$dir/pz31.err" -z -d 31 "$core" "$dir/pz31" && is_zstd "$dir/pz31"
}

# theirs_pages: libkdumpfile reads the peer's dump page-exact.
theirs_pages() {
	local rc
	rc=0
	"$python" tests/crashcopy_pages.py "$core" "$dir/pz31" 31 >"$dir/pz31.pages" 2>&1 || rc=$?
	sed 's/^/  /' "$dir/pz31.pages"
	return "$rc"
}

# theirs_crash: crash --osrelease on the peer's dump.
theirs_crash() {
	local got
	got=$(crash --osrelease "$dir/pz31" 2>&1 | tail -n 1)
	[ "$got" = "$release" ] && return 0
	printf '  crash --osrelease: "%s", expected "%s"\n' "$got" "$release"
	return 1
}

# theirs_flat_cc_r: peer -F -z -d 31 | crashcopy -R is peer -R of the stream.
theirs_flat_cc_r() {
	rm -f "$dir/pz.R" "$dir/pz.ccR"
	"$peer" -F -z -d 31 "$core" >"$dir/pz.flat" 2>"$dir/pz.flat.err" || {
		printf '  makedumpfile-zstd -F failed: %s\n' "$(tail -n 1 "$dir/pz.flat.err")"
		return 1
	}
	mdf "$dir/pz.R.err" -R "$dir/pz.R" <"$dir/pz.flat" &&
		cc_run "$dir/pz.ccR.err" -R "$dir/pz.ccR" <"$dir/pz.flat" &&
		same "$dir/pz.R" "$dir/pz.ccR" && is_zstd "$dir/pz.ccR"
}

mkdir -p "$work"
if [ ! -x "$bin" ]; then
	printf 'e2e_mdfzstd: %s is not built (make build/asan/crashcopy)\n' "$bin"
fi
if fetch_peer; then
	passed=$((passed + 1))
	printf 'ok   peer: the zstd makedumpfile is fetched and says zstd enabled\n'
else
	failed=$((failed + 1))
	printf 'FAIL peer: no makedumpfile with zstd (tests/peers/fetch-makedumpfile-zstd.sh)\n'
fi
for suite in $suites; do
	dir=$work/$suite
	printf '== %s\n' "$suite"
	rm -rf "$dir"
	mkdir -p "$dir"
	if find_core; then
		passed=$((passed + 1))
		printf 'ok   %s: a core: %s\n' "$suite" "$core"
	else
		failed=$((failed + 1))
		printf 'FAIL %s: no core (crash-kernel.sh failed)\n' "$suite"
	fi
	release=
	if [ -n "$core" ] && [ -n "$peer" ]; then
		vmcoreinfo_of "$core" >"$dir/vmcoreinfo.txt" 2>/dev/null
		release=$(vmcoreinfo_value "$dir/vmcoreinfo.txt" OSRELEASE)
		"$peer" --dump-dmesg "$core" "$dir/source.dmesg" >"$dir/source.dmesg.err" 2>&1 ||
			printf '  makedumpfile-zstd --dump-dmesg %s failed: %s\n' "$core" "$(tail -n 1 "$dir/source.dmesg.err")"
	fi
	for level in 1 31; do
		check "crashcopy -d $level -z: zstd header and descriptors, smaller than raw" ours_zstd "$level"
		check "crashcopy -d $level -z: makedumpfile-zstd --dump-dmesg == on the source" mdf_dmesg "$level"
	done
	check "crashcopy -F -d 31 -z | makedumpfile-zstd -R == the seekable file" flat_mdf_r
	check "makedumpfile-zstd -z -d 31: zstd header and descriptors, smaller than raw" theirs_zstd
	check "makedumpfile-zstd -z -d 31: page-exact through libkdumpfile" theirs_pages
	check "makedumpfile-zstd -z -d 31: crash --osrelease" theirs_crash
	check "makedumpfile-zstd -F -z -d 31 | crashcopy -R == makedumpfile-zstd -R" theirs_flat_cc_r
	# The dumps are ~20-60 MB each: keep only the logs.
	for f in cz1 cz31 cz.flat cz.R pz31 pz.flat pz.R pz.ccR; do
		rm -f "${dir:?}/$f"
	done
done

printf 'e2e_mdfzstd: %s s\n' "$(($(date +%s) - started))"
echo "e2e_mdfzstd: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
