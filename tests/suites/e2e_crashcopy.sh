#!/bin/sh
# e2e_crashcopy: hold the sanitized crashcopy to independent readers on the
# real cores that tests/suites/e2e.sh leaves in build/e2e/SUITE/vmcore (this
# file sorts after e2e.sh, so they are fresh; a missing core is crashed here
# with tests/e2e/crash-kernel.sh into build/e2e-crashcopy/SUITE).
#
# Per kernel, for -d 1 and -d 31 with -l, -c and -z:
#   exit 0, mode 0600, no .incomplete left;
#   page-exact through python3-libkdumpfile (tests/crashcopy_pages.py);
#   makedumpfile --dump-dmesg prints the source's log (lzo and zlib only:
#   Debian 12's makedumpfile 1.7.2 is built without zstd; e2e_mdfzstd
#   holds -z to a makedumpfile that has it);
#   crash --osrelease prints VMCOREINFO's OSRELEASE;
#   libkdumpfile reads init_uts_ns by kernel-virtual address in the dump.
# Then --num-threads 1/3/4 write the same bytes as the default (-l, -z), which
# starts a worker per CPU (--json threads), also as built with
# ThreadSanitizer (no race reported), --mmap as pread, O_DIRECT
# output (--json direct_io_bytes, in the work directory's ext4 and on a
# loop-mounted XFS) as --no-direct-io's,
# -F | makedumpfile -R and -F | crashcopy -R are byte-identical to the
# seekable file, -E is page-exact, --dump-dmesg is vmcore-dmesg's output and
# --estimate is within 25% of the real size (-d 1/31, lzo/zstd, and on the
# trimmed cores of fixtures/real), --json one valid object whose output_sha256 is sha256sum's (file and
# -F stream); at -d 31 we keep what makedumpfile keeps plus the
# kernel image.  Once: usage errors, hostile inputs (not ELF, truncated
# headers, a PT_LOAD at 2^51: exit 2; truncated data: exit 6 with the pages
# marked lost), an interrupted dump (SIGINT: exit 6, NAME.incomplete with
# status bit 0x8), a core cut short while the workers read it (exit 6, short
# reads marked lost; also under ThreadSanitizer), a full output (ENOSPC on a 1 MiB tmpfs, on an 8 MiB
# loop-mounted ext4 written with O_DIRECT, and /dev/full for a stream: exit
# 5, marked incomplete), the trimmed i386 cores (packed ILP32 header) and
# the trimmed arm64 core (aarch64, LP64 little-endian).  The mounts need
# root, as make check has.
#
# arm64, a full core crashed here each run (the trimmed fixture has no
# struct pages; a full one showed struct-page filtering silently off, as
# arm64 had no page-table walk): tests/e2e/crash-kernel.sh --suite trixie
# --arch arm64 --fill --smp 1 into build/e2e-crashcopy/arm64.crash (~40 s
# under TCG, niced, in the background while the amd64 checks run), then
# -d 31 and -d 16 with -l: exit 0, no warning on stderr, --json
# filter_fallback null, at -d 31 every category (cache,
# cache_private, user, free) excluded something and free as many pages as at
# -d 16; page-exact through libkdumpfile as aarch64 (with init_uts_ns read
# by kernel-virtual address); and an independent count,
# tests/free_pages_check.py (libkdumpfile's own aarch64 translation of
# mem_section and the struct pages, PageBuddy and order from VMCOREINFO):
# every page the -d 16 dump lacks is buddy-free, and crashcopy's
# excluded.free equals the free pages the dump lacks, excluded.free +
# kept_kernel_image the free pages of the core.  E2E_SUITES does not limit
# this part; E2E_ARM64=no skips it (said so in the output), E2E_ARM64_CORE=
# FILE checks FILE instead of crashing (for work on the checks).
#
# ppc64el, a full core crashed here each run: tests/e2e/crash-kernel.sh
# --suite bookworm --arch ppc64el --smp 1 (~30-60 s under TCG, niced, in the
# background after the arm64 one; 64 KiB pages,
# radix MMU, mem_map at vmemmap reached through the radix page walk), then
# crashdmesg --vmcore-dmesg equals vmcore-dmesg; -d 31 -l exits 0 with no
# warning and filter_fallback null, excludes cache, user and free pages,
# is page-exact through libkdumpfile as ppc64, and excludes exactly the
# zero, cache, private cache, user and free pages that Debian 12's own
# ppc64el makedumpfile reports for the core (run under qemu-user, fetched
# by tests/peers/fetch-makedumpfile-foreign.sh).  Then the same kernel
# crashed on POWER8's hash MMU (--cpu power8: vmemmap is not in the page
# tables; crashcopy follows vmemmap_list), with the same -d 31 checks.
# E2E_PPC64=no skips both, E2E_PPC64_CORE=FILE and E2E_PPC64_HASH_CORE=FILE
# check FILE instead of crashing.
# Last line: "e2e_crashcopy: N passed, N failed".
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
# shellcheck source=/dev/null # oracles.sh is checked on its own (shellcheck suite)
. "$top/tests/e2e/oracles.sh"

bin=${CRASHCOPY:-$top/build/asan/crashcopy}
tsan_bin=${CRASHCOPY_TSAN:-$top/build/tsan/crashcopy}
crashdmesg_bin=${CRASHDMESG:-$top/build/asan/crashdmesg}
python=/usr/bin/python3
suites=${E2E_SUITES:-bookworm bullseye trixie}
cache=$top/.cache/kernels
work=$top/build/e2e-crashcopy
# The status word of disk_dump_header (LP64: offset 424), little-endian x86_64.
status_offset=424

passed=0
failed=0
started=$(date +%s)

# check NAME FUNCTION [ARGS...]: run one assertion and count it.
check() {
	local name
	name=$1
	shift
	if [ -z "$core" ]; then
		failed=$((failed + 1))
		printf 'FAIL %s: %s: no core\n' "$suite" "$name"
	elif "$@"; then
		passed=$((passed + 1))
		printf 'ok   %s: %s\n' "$suite" "$name"
	else
		failed=$((failed + 1))
		printf 'FAIL %s: %s\n' "$suite" "$name"
	fi
}

# cc_run EXPECTED_RC LOG ARGS...: crashcopy with ARGS, stderr to LOG; true
# when it exits EXPECTED_RC (a sanitizer report exits otherwise).
cc_run() {
	local want log rc
	want=$1
	log=$2
	shift 2
	rc=0
	"$bin" "$@" 2>"$log" || rc=$?
	if [ "$rc" -ne "$want" ]; then
		printf '  crashcopy %s: exit %s, expected %s\n' "$*" "$rc" "$want"
		tail -n 5 "$log" | sed 's/^/  | /'
		return 1
	fi
}

# status_word FILE: the header's status word, as a decimal number.
status_word() {
	od -An -tu4 -j "$status_offset" -N 4 -- "$1" | tr -d ' '
}

# is_incomplete FILE: a kdump file whose header has bit 0x8 set.
is_incomplete() {
	local s
	s=$(status_word "$1")
	if [ -n "$s" ] && [ $((s & 8)) -ne 0 ]; then
		return 0
	fi
	printf '  %s: status %s lacks the incomplete bit 0x8\n' "$1" "${s:-?}"
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

# mode_600_complete FILE: mode 0600, and no FILE.incomplete beside it.
mode_600_complete() {
	local mode
	mode=$(stat -c %a -- "$1") || return 1
	if [ "$mode" != 600 ]; then
		printf '  %s: mode %s\n' "$1" "$mode"
		return 1
	fi
	if [ -e "$1.incomplete" ]; then
		printf '  %s.incomplete left behind\n' "$1"
		return 1
	fi
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

# dump_ok LEVEL CODEC: crashcopy -d LEVEL -CODEC: exit 0, 0600, complete.
dump_ok() {
	local out
	out=$dir/d$1$2
	rm -f "$out" "$out.incomplete"
	cc_run 0 "$out.err" -d "$1" "-$2" "$core" "$out" && mode_600_complete "$out"
}

# pages_exact FILE LEVEL: tests/crashcopy_pages.py passes.
pages_exact() {
	local rc
	rc=0
	"$python" tests/crashcopy_pages.py "$core" "$1" "$2" >"$1.pages" 2>&1 || rc=$?
	sed 's/^/  /' "$1.pages"
	return "$rc"
}

# mdf_dmesg FILE: makedumpfile --dump-dmesg on FILE equals it on the source.
mdf_dmesg() {
	rm -f "$1.mdf-dmesg"
	makedumpfile --dump-dmesg "$1" "$1.mdf-dmesg" >"$1.mdf-dmesg.err" 2>&1 || {
		printf '  makedumpfile --dump-dmesg %s failed: %s\n' "$1" "$(tail -n 1 "$1.mdf-dmesg.err")"
		return 1
	}
	same "$dir/source.mdf-dmesg" "$1.mdf-dmesg"
}

# crash_osrelease FILE: crash --osrelease prints the release.
crash_osrelease() {
	local got
	got=$(crash --osrelease "$1" 2>&1 | tail -n 1)
	if [ "$got" = "$release" ]; then
		return 0
	fi
	printf '  crash --osrelease %s: "%s", expected "%s"\n' "$1" "$got" "$release"
	return 1
}

# flat_mdf_r: -F | makedumpfile -R is the seekable file, byte for byte.
flat_mdf_r() {
	rm -f "$dir/flat.mdf"
	cc_run 0 "$dir/flat.err" -F -d 31 -l "$core" >"$dir/flat" || return 1
	makedumpfile -R "$dir/flat.mdf" <"$dir/flat" >"$dir/flat.mdf.err" 2>&1 || {
		printf '  makedumpfile -R failed: %s\n' "$(tail -n 1 "$dir/flat.mdf.err")"
		return 1
	}
	same "$dir/d31l" "$dir/flat.mdf"
}

# flat_cc_r: -F | crashcopy -R is the seekable file too, mode 0600.
flat_cc_r() {
	rm -f "$dir/flat.cc"
	cc_run 0 "$dir/flat.cc.err" -R "$dir/flat.cc" <"$dir/flat" &&
		same "$dir/d31l" "$dir/flat.cc" && mode_600_complete "$dir/flat.cc"
}

# elf_exact LEVEL: -E -d LEVEL is page-exact (excluded pages read as absent
# or zero, which an ELF core cannot tell apart).
elf_exact() {
	rm -f "$dir/e$1"
	cc_run 0 "$dir/e$1.err" -E -d "$1" "$core" "$dir/e$1" &&
		mode_600_complete "$dir/e$1" && pages_exact "$dir/e$1" "$1"
}

# dump_dmesg: --dump-dmesg writes what vmcore-dmesg prints.
dump_dmesg() {
	rm -f "$dir/dmesg.txt"
	vmcore-dmesg "$core" >"$dir/vmcore-dmesg.txt" 2>/dev/null || {
		printf '  vmcore-dmesg %s failed\n' "$core"
		return 1
	}
	cc_run 0 "$dir/dmesg.err" --dump-dmesg "$core" "$dir/dmesg.txt" &&
		same "$dir/vmcore-dmesg.txt" "$dir/dmesg.txt"
}

# json_summary: --json is one valid object whose counts add up.
json_summary() {
	rm -f "$dir/j"
	cc_run 0 "$dir/j.err" --json -d 31 -z "$core" "$dir/j" >"$dir/j.json" || return 1
	"$python" -c '
import json, sys
o = json.load(open(sys.argv[1]))
assert o["complete"] and o["exit"] == 0, o
assert o["written_pages"] == o["dumpable_pages"] > 0, o
assert o["ram_pages"] > o["dumpable_pages"], o
assert o["codec"] == "zstd" and o["dump_level"] == 31, o
# Freed init memory (0xcc) is kept inside the kernel image: shared.
assert 0 < o["shared_pages"] < o["written_pages"], o
' "$dir/j.json" || {
		sed 's/^/  | /' "$dir/j.json"
		return 1
	}
	json_sha256 "$dir/j.json" "$dir/j" || return 1
	# -F: the summary goes to stderr; the digest is the stream's.
	cc_run 0 "$dir/jf.err" --json -F -d 1 -l "$core" >"$dir/jf" || return 1
	grep '^{' "$dir/jf.err" >"$dir/jf.json"
	json_sha256 "$dir/jf.json" "$dir/jf"
}

# json_sha256 JSON FILE: the summary's output_sha256 is sha256sum FILE.
json_sha256() {
	local got want
	got=$("$python" -c 'import json, sys; print(json.load(open(sys.argv[1]))["output_sha256"])' "$1") || return 1
	want=$(sha256sum -- "$2") || return 1
	want=${want%% *}
	if [ "$got" != "$want" ]; then
		printf '  %s: output_sha256 %s, sha256sum %s\n' "$2" "$got" "$want"
		return 1
	fi
}

# estimate_close CORE LEVEL CODEC FILE: crashcopy --estimate -d LEVEL -CODEC
# CORE exits 0 with one JSON object whose bytes_estimate is within 25% of
# FILE's size (the real dump of the same options), and whose page counts
# add up to the RAM pages.
estimate_close() {
	local e
	e=$dir/est$2$3
	cc_run 0 "$e.err" --estimate -d "$2" "-$3" "$1" >"$e.json" || return 1
	"$python" -c '
import json, os, sys
o = json.load(open(sys.argv[1]))
real = os.stat(sys.argv[2]).st_size
ratio = o["bytes_estimate"] / real
print("  estimate %d, real %d: %.3f (%d pages sampled, %.3f s)" % (
    o["bytes_estimate"], real, ratio, o["pages_sampled"], o["seconds"]))
assert 0.75 <= ratio <= 1.25, ratio
x = o["pages_excluded"]
assert o["pages_kept"] + sum(x.values()) == o["pages_total"], o
assert o["dump_level"] == int(sys.argv[3]), o
' "$e.json" "$4" "$2" || {
		sed 's/^/  | /' "$e.json"
		return 1
	}
}

# estimate_fixtures: --estimate against the real size on the trimmed real
# cores of fixtures/real (a few hundred pages: sampled whole).
estimate_fixtures() {
	local f rc
	rc=0
	for f in fixtures/real/*.vmcore; do
		for level in 1 31; do
			rm -f "$dir/fx"
			cc_run 0 "$dir/fx.err" -d "$level" -l "$f" "$dir/fx" &&
				estimate_close "$f" "$level" l "$dir/fx" || rc=1
		done
	done
	return "$rc"
}

# same_count FILE: the "same N" count of a crashcopy_pages.py report.
same_count() {
	sed -n 's/.*, same \([0-9]*\),.*/\1/p' "$1"
}

# vs_makedumpfile_counts: at -d 31 we keep exactly the pages makedumpfile
# keeps, plus the kernel-image pages we refuse to drop (kept_kernel_image in
# --json; makedumpfile issue #21).  Both dumps are counted by the same
# independent reader.  On 6.12 (trixie) makedumpfile 1.7.2 predates the
# kernel's page-type changes (spec §7: fixed in 1.7.6/1.7.7), so there the
# counts are printed, not compared.
vs_makedumpfile_counts() {
	local mdf ours kept
	rm -f "$dir/mdf31"
	makedumpfile -d 31 -l "$core" "$dir/mdf31" >"$dir/mdf31.err" 2>&1 || {
		printf '  makedumpfile -d 31 -l failed: %s\n' "$(tail -n 1 "$dir/mdf31.err")"
		return 1
	}
	"$python" tests/crashcopy_pages.py "$core" "$dir/mdf31" 31 >"$dir/mdf31.pages" 2>&1 || {
		sed 's/^/  | /' "$dir/mdf31.pages"
		return 1
	}
	rm -f "$dir/c31"
	cc_run 0 "$dir/c31.err" --json -d 31 -l "$core" "$dir/c31" >"$dir/c31.json" || return 1
	"$python" tests/crashcopy_pages.py "$core" "$dir/c31" 31 >"$dir/c31.pages" 2>&1 || {
		sed 's/^/  | /' "$dir/c31.pages"
		return 1
	}
	kept=$("$python" -c 'import json, sys; print(json.load(open(sys.argv[1]))["excluded"]["kept_kernel_image"])' "$dir/c31.json") || return 1
	mdf=$(same_count "$dir/mdf31.pages")
	ours=$(same_count "$dir/c31.pages")
	printf '  pages kept: makedumpfile %s, crashcopy %s (%s of them kernel image)\n' "$mdf" "$ours" "$kept"
	case $release in
	6.12.*) return 0 ;;
	esac
	[ -n "$mdf" ] && [ -n "$ours" ] && [ $((ours - kept)) -eq "$mdf" ]
}

# mdf_reads_ours: makedumpfile reads every page of our -d 31 -l dump, the
# shared payloads (kdump_writer.c K10) included, when it filters it again
# into a dump of its own; that dump is page-exact against the source.
mdf_reads_ours() {
	local shared
	rm -f "$dir/c31r" "$dir/mdf-of-ours"
	cc_run 0 "$dir/c31r.err" --json -d 31 -l "$core" "$dir/c31r" >"$dir/c31r.json" || return 1
	shared=$("$python" -c 'import json, sys; print(json.load(open(sys.argv[1]))["shared_pages"])' "$dir/c31r.json") || return 1
	makedumpfile -d 31 -l "$dir/c31r" "$dir/mdf-of-ours" >"$dir/mdf-of-ours.err" 2>&1 || {
		printf '  makedumpfile -d 31 -l on our dump failed: %s\n' "$(tail -n 1 "$dir/mdf-of-ours.err")"
		return 1
	}
	"$python" tests/crashcopy_pages.py "$core" "$dir/mdf-of-ours" 31 >"$dir/mdf-of-ours.pages" 2>&1 || {
		sed 's/^/  | /' "$dir/mdf-of-ours.pages"
		return 1
	}
	printf '  our dump: %s pages share an earlier page'"'"'s data; makedumpfile read it: %s\n' \
		"$shared" "$(cat "$dir/mdf-of-ours.pages")"
	[ "$shared" -gt 0 ]
}

# threads_identical: --num-threads 1, 3 and 4 and the default (a worker per
# CPU) write the same file, byte for byte (in-order writing; per-page
# compression is deterministic: for -l too, whose encoder keeps its hash
# table from page to page).
threads_identical() {
	rm -f "$dir/t4" "$dir/t3l" "$dir/t1l"
	cc_run 0 "$dir/t4.err" --num-threads 4 -d 31 -z "$core" "$dir/t4" &&
		same "$dir/d31z" "$dir/t4" &&
		cc_run 0 "$dir/t4.err" --num-threads 3 -d 1 -l "$core" "$dir/t3l" &&
		same "$dir/d1l" "$dir/t3l" &&
		cc_run 0 "$dir/t4.err" --num-threads 1 -d 1 -l "$core" "$dir/t1l" &&
		same "$dir/d1l" "$dir/t1l"
}

# auto_threads: without --num-threads, one worker per CPU we may run on (up
# to 8): nproc's count, 1 under taskset -c 0; 1 when nothing is compressed;
# --num-threads N wins.  --json says how many ran.
auto_threads() {
	local want got
	want=$(nproc)
	[ "$want" -gt 8 ] && want=8
	for case in "$want:-l" "1:-l --num-threads 1" "5:-z --num-threads 5" "1:" "1:-E"; do
		# shellcheck disable=SC2086 # the options are words
		cc_run 0 "$dir/at.err" --json -f -d 31 ${case#*:} "$core" "$dir/at" \
			>"$dir/at.json" || return 1
		got=$(json_field "$dir/at.json" threads)
		[ "$got" = "${case%%:*}" ] || {
			echo "  ${case#*:}: threads $got, want ${case%%:*}"
			return 1
		}
	done
	taskset -c 0 "$bin" --json -f -d 31 -l "$core" "$dir/at" 2>"$dir/at.err" \
		>"$dir/at.json" || return 1
	got=$(json_field "$dir/at.json" threads)
	rm -f "$dir/at"
	[ "$got" = 1 ] || {
		echo "  taskset -c 0: threads $got, want 1"
		return 1
	}
}

# mmap_identical: --mmap (the mapped, SIGBUS-guarded reads of a saved
# core) writes the bytes pread() does.
mmap_identical() {
	rm -f "$dir/mm"
	cc_run 0 "$dir/mm.err" --mmap -d 1 -l "$core" "$dir/mm" &&
		same "$dir/d1l" "$dir/mm"
}

# direct_io: on ext2/3/4 or XFS the default copy writes its bulk with
# O_DIRECT (--json direct_io_bytes over half the file), --no-direct-io
# none, and both leave the same bytes (dump_sink.c D1-D4); then the same
# on a loop-mounted XFS.
direct_io() {
	local rc
	direct_io_in "$dir" || return 1
	rm -f "$dir/small.xfs"
	truncate -s 1G "$dir/small.xfs" && mkfs.xfs -q "$dir/small.xfs" &&
		mkdir -p "$dir/xfs" && mount -o loop "$dir/small.xfs" "$dir/xfs" || return 1
	rc=0
	[ "$(stat -f -c %T "$dir/xfs")" = xfs ] && direct_io_in "$dir/xfs" || rc=1
	umount "$dir/xfs" || rc=1
	rm -f "$dir/small.xfs"
	return "$rc"
}

# direct_io_in DIR: the direct_io checks for outputs in DIR.
direct_io_in() {
	local fstype direct size
	rm -f "$1/dio" "$1/nodio"
	cc_run 0 "$dir/dio.err" --json -d 1 -l "$core" "$1/dio" >"$dir/dio.json" &&
		same "$dir/d1l" "$1/dio" &&
		cc_run 0 "$dir/dio.err" --json --no-direct-io -d 1 -l "$core" "$1/nodio" \
			>"$dir/nodio.json" &&
		same "$dir/d1l" "$1/nodio" || return 1
	fstype=$(stat -f -c %T "$1")
	direct=$(json_field "$dir/dio.json" direct_io_bytes)
	size=$(stat -c %s "$1/dio")
	rm -f "$1/dio" "$1/nodio"
	printf '  %s: %s of %s bytes written with O_DIRECT\n' "$fstype" "$direct" "$size"
	case $fstype in
	ext2/ext3 | xfs) [ "$direct" -gt $((size / 2)) ] || return 1 ;;
	*) [ "$direct" -eq 0 ] || return 1 ;;
	esac
	[ "$(json_field "$dir/nodio.json" direct_io_bytes)" = 0 ]
}

# tsan_pipeline: crashcopy built with ThreadSanitizer (build/tsan) copies
# with three workers, which share the runs in flight with the main thread
# (main.c P1-P3) and hand data to the writer thread: -d 31 -z and -d 1 -l
# come out as the default's bytes, and no data race is reported (a report
# stops the run with exit 66).
tsan_pipeline() {
	local rc
	rm -f "$dir/ts31" "$dir/ts1"
	TSAN_OPTIONS="halt_on_error=1 exitcode=66" \
		"$tsan_bin" --num-threads 3 -d 31 -z "$core" "$dir/ts31" 2>"$dir/ts.err" &&
		same "$dir/d31z" "$dir/ts31" &&
		TSAN_OPTIONS="halt_on_error=1 exitcode=66" \
			"$tsan_bin" --num-threads 3 -d 1 -l "$core" "$dir/ts1" 2>>"$dir/ts.err" &&
		same "$dir/d1l" "$dir/ts1"
	rc=$?
	rm -f "$dir/ts31" "$dir/ts1"
	if [ "$rc" -ne 0 ] || grep -q ThreadSanitizer "$dir/ts.err"; then
		grep -m 12 -v '^$' "$dir/ts.err" | sed 's/^/  | /'
		return 1
	fi
}

# shrunk_input [BIN]: the saved core cut short while two workers read it
# (main.c P7: their pread()s come back short, and the main thread reads
# those pages while the workers go on): exit 6, the pages past the cut
# marked lost as short reads, the header marked incomplete.  If the copy
# ended before the cut, again with an earlier cut.  BIN defaults to the
# ASan build; with the TSan build a race report exits 66 instead.
shrunk_input() {
	local pid rc delay half exe
	exe=${1:-$bin}
	half=$(($(stat -c %s "$core") / 2))
	for delay in 0.3 0.15 0.05 0.01; do
		rm -f "$dir/shrunk" "$dir/shrunk.incomplete"
		cp "$core" "$dir/shrinking" || return 1
		TSAN_OPTIONS="halt_on_error=1 exitcode=66" \
			"$exe" --num-threads 2 -d 0 -l "$dir/shrinking" "$dir/shrunk" 2>"$dir/shrunk.err" &
		pid=$!
		sleep "$delay"
		truncate -s "$half" "$dir/shrinking"
		rc=0
		wait "$pid" || rc=$?
		[ "$rc" -eq 0 ] || break
	done
	rm -f "$dir/shrinking"
	if [ "$rc" -ne 6 ] || ! grep -q 'short read' "$dir/shrunk.err" ||
		! grep -q 'marked lost' "$dir/shrunk.err"; then
		printf '  exit %s, expected 6 with short reads marked lost\n' "$rc"
		tail -n 3 "$dir/shrunk.err" | sed 's/^/  | /'
		return 1
	fi
	is_incomplete "$dir/shrunk"
}

# windowed_identical: the core plus an 8 GiB hole (3 Mi pfns) under
# --max-memory 1M is copied in windows of 128 Ki pfns (two passes of the
# filter, the writer given one window of the bitmaps at a time) -- --json
# says how many -- and comes out byte-identical to the copy made from whole
# bitmaps, as a file, as a -F stream put back by crashcopy -R, and as read
# page by page with --non-mmap (no hole taken as zeros unread).
windowed_identical() {
	local sp n
	sp=$dir/sp8g.vmcore
	rm -f "$sp" "$dir/w1" "$dir/w2" "$dir/w3"
	"$python" tests/bench/bench.py sparse "$core" "$sp" 8G || return 1
	cc_run 0 "$dir/w1.err" -d 31 -l "$sp" "$dir/w1" &&
		cc_run 0 "$dir/w2.err" --json -d 31 -l --max-memory 1M "$sp" "$dir/w2" >"$dir/w2.json" &&
		same "$dir/w1" "$dir/w2" || return 1
	n=$("$python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["bitmap_windows"])' "$dir/w2.json")
	if [ "${n:-0}" -lt 20 ]; then
		printf '  --max-memory 1M copied in %s windows, expected more than 20\n' "${n:-?}"
		return 1
	fi
	"$bin" -d 31 -l --max-memory 1M -F "$sp" 2>"$dir/w3.err" | "$bin" -R -f "$dir/w3" 2>>"$dir/w3.err" &&
		same "$dir/w1" "$dir/w3" || return 1
	# The hole's pages are taken as zero unread (main.c P6); read() and
	# a zero check of every page must come to the same dump.
	cc_run 0 "$dir/w4.err" --non-mmap -d 31 -l "$sp" "$dir/w4" &&
		same "$dir/w1" "$dir/w4" || return 1
	printf '  %s windows\n' "$n"
	rm -f "$sp" "$dir/w1" "$dir/w2" "$dir/w3" "$dir/w4"
}

# usage_errors: exit 1 for bad usage, before touching any file.
usage_errors() {
	local ok
	ok=0
	cc_run 1 "$dir/u.err" || ok=1
	cc_run 1 "$dir/u.err" -d 32 "$core" "$dir/u" || ok=1
	cc_run 1 "$dir/u.err" -c -l "$core" "$dir/u" || ok=1
	cc_run 1 "$dir/u.err" -E -z "$core" "$dir/u" || ok=1
	cc_run 1 "$dir/u.err" -R </dev/null || ok=1
	cc_run 1 "$dir/u.err" --estimate -l "$core" "$dir/u" || ok=1
	cc_run 1 "$dir/u.err" --estimate -E "$core" || ok=1
	if [ -e "$dir/u" ] || [ -e "$dir/u.incomplete" ]; then
		printf '  a usage error created an output file\n'
		ok=1
	fi
	return "$ok"
}

# no_clobber: an existing OUTPUT is kept without -f (exit 5).
no_clobber() {
	printf 'keep\n' >"$dir/keep"
	cc_run 5 "$dir/keep.err" -d 31 -l "$core" "$dir/keep" &&
		[ "$(cat "$dir/keep")" = keep ]
}

# hostile_inputs: no ELF, headers cut short, a PT_LOAD far beyond RAM: exit
# 2; data cut short: exit 6
# with the unreadable pages marked lost (incomplete bit), never a crash.
hostile_inputs() {
	local ok
	ok=0
	head -c 4096 /etc/services >"$dir/junk"
	cc_run 2 "$dir/h.err" -d 31 -l "$dir/junk" "$dir/h1" || ok=1
	head -c 3000 "$core" >"$dir/cut-headers"
	cc_run 2 "$dir/h.err" -d 31 -l "$dir/cut-headers" "$dir/h2" || ok=1
	: >"$dir/empty"
	cc_run 2 "$dir/h.err" -d 31 -l "$dir/empty" "$dir/h3" || ok=1
	# A PT_LOAD moved to 2^51: bitmaps of 64 GiB are refused, not allocated.
	"$python" -c '
import shutil, struct, sys
shutil.copyfile(sys.argv[1], sys.argv[2])
with open(sys.argv[2], "r+b") as f:
    ehdr = f.read(64)
    phoff, = struct.unpack_from("<Q", ehdr, 32)
    phentsize, phnum = struct.unpack_from("<HH", ehdr, 54)
    for i in range(phnum):
        f.seek(phoff + i * phentsize)
        if struct.unpack("<I", f.read(4))[0] == 1:
            f.seek(phoff + i * phentsize + 24)
            f.write(struct.pack("<Q", 1 << 51))
            break
' fixtures/real/bookworm-6.1.vmcore "$dir/far-load"
	cc_run 2 "$dir/h.err" -d 31 -l "$dir/far-load" "$dir/h5" || ok=1
	head -c 100000000 "$core" >"$dir/cut-data"
	rm -f "$dir/h4"
	cc_run 6 "$dir/h4.err" -d 31 -l "$dir/cut-data" "$dir/h4" || ok=1
	[ -f "$dir/h4" ] && is_incomplete "$dir/h4" || ok=1
	grep -q 'marked lost' "$dir/h4.err" || {
		printf '  no report of the lost pages\n'
		ok=1
	}
	rm -f "$dir/cut-data"
	return "$ok"
}

# interrupted: SIGINT mid-copy leaves NAME.incomplete, marked, exit 6.  The
# copy of -d 0 -c takes about a second under ASan; if it finished before the
# signal, try again with an earlier signal.
interrupted() {
	local pid rc delay
	for delay in 0.4 0.2 0.1; do
		rm -f "$dir/int" "$dir/int.incomplete"
		"$bin" -d 0 -c "$core" "$dir/int" 2>"$dir/int.err" &
		pid=$!
		sleep "$delay"
		kill -INT "$pid" 2>/dev/null
		rc=0
		wait "$pid" || rc=$?
		[ "$rc" -eq 0 ] || break
	done
	if [ "$rc" -ne 6 ]; then
		printf '  exit %s after SIGINT, expected 6\n' "$rc"
		tail -n 3 "$dir/int.err" | sed 's/^/  | /'
		return 1
	fi
	if [ -e "$dir/int" ] || [ ! -f "$dir/int.incomplete" ]; then
		printf '  expected only %s.incomplete\n' "$dir/int"
		return 1
	fi
	is_incomplete "$dir/int.incomplete"
}

# fixture_pages SRC DUMP LEVEL ARCH: tests/crashcopy_pages.py (no
# kernel-virtual check: trimmed cores keep no page tables) passes on DUMP
# made from the trimmed real core SRC, and libkdumpfile names ARCH.
fixture_pages() {
	local s
	"$python" tests/crashcopy_pages.py "$1" "$2" "$3" nokv >"$2.pages" 2>&1
	s=$?
	sed 's/^/  /' "$2.pages"
	[ "$s" -eq 0 ] && grep -q "arch $4" "$2.pages"
}

# kdump_attrs DUMP ARCH PAGESIZE BYTEORDER: libkdumpfile opens DUMP as ARCH
# with PAGESIZE pages, 8-byte pointers, utsname machine ARCH and byte order
# BYTEORDER (kdump_byte_order_t: 0 big-endian, 1 little-endian).
kdump_attrs() {
	"$python" -c '
import sys, kdumpfile
a = kdumpfile.kdumpfile(sys.argv[1]).attr
got = (a["arch.name"], a["arch.page_size"], a["arch.byte_order"], a["arch.ptr_size"], a["linux.uts.machine"])
want = (sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), 8, sys.argv[2])
assert got == want, got
' "$@"
}

# fixture_logs NAME OUT: crashdmesg on the ELF dump OUT.elf prints
# fixtures/real/NAME.dmesg, and --dump-dmesg of NAME's core into OUT.txt
# prints NAME.vmcore-dmesg.
fixture_logs() {
	"$top/build/asan/crashdmesg" -q "$2.elf" >"$2.elf.dmesg" 2>"$2.elf.dmesg.err" &&
		same "fixtures/real/$1.dmesg" "$2.elf.dmesg" || return 1
	rm -f "$2.txt"
	cc_run 0 "$2.txt.err" --dump-dmesg "fixtures/real/$1.vmcore" "$2.txt" &&
		same "fixtures/real/$1.vmcore-dmesg" "$2.txt"
}

# i386_ilp32 CLASS: the trimmed real i386 core with ELF CLASS headers
# (fixtures/real) becomes a kdump file in i386's packed ILP32 layout, which
# libkdumpfile opens as ia32, page-exact, with the status word at 412.
i386_ilp32() {
	local src out s
	src=fixtures/real/bookworm-6.1-i386-$1.vmcore
	out=$dir/i386-$1
	rm -f "$out"
	cc_run 0 "$out.err" -d 1 -l "$src" "$out" || return 1
	fixture_pages "$src" "$out" 1 ia32 || return 1
	s=$(od -An -tu4 -j 412 -N 4 -- "$out" | tr -d ' ')
	[ "$s" = 2 ] || {
		printf '  status at 412: %s, expected 2 (lzo, complete)\n' "$s"
		return 1
	}
}

# arm64_lp64: the trimmed real arm64 core (fixtures/real/trixie-6.12-arm64,
# 4 KiB pages, 52-bit VAs) becomes a kdump file whose header says aarch64
# in the LP64 little-endian layout (utsname machine at 272, status at 424,
# block_size at 428 = the core's PAGESIZE, the sub-header's phys_base =
# NUMBER(PHYS_OFFSET) as makedumpfile writes it), which libkdumpfile opens as
# aarch64 little-endian with 4 KiB pages, page-exact; -E -d 0 is page-exact
# too and crashdmesg prints the same log from it as from the source;
# --dump-dmesg is vmcore-dmesg's output.
arm64_lp64() {
	local src out s ps
	src=fixtures/real/trixie-6.12-arm64.vmcore
	out=$dir/arm64
	rm -f "$out" "$out.elf"
	ps=$(vmcoreinfo_value fixtures/real/trixie-6.12-arm64.vmcoreinfo.txt PAGESIZE)
	[ "$ps" = 4096 ] || {
		printf '  PAGESIZE %s, expected 4096 (Debian arm64: 4 KiB pages)\n' "$ps"
		return 1
	}
	cc_run 0 "$out.err" -d 1 -l "$src" "$out" || return 1
	s=$(dd if="$out" bs=1 skip=272 count=65 2>/dev/null | tr -d '\0')
	[ "$s" = aarch64 ] || {
		printf '  utsname machine "%s", expected aarch64\n' "$s"
		return 1
	}
	s=$(od -An -tu4 -j 424 -N 8 -- "$out" | tr -s ' ' | sed 's/^ //')
	[ "$s" = "2 $ps" ] || {
		printf '  status, block_size at 424: %s, expected 2 %s\n' "$s" "$ps"
		return 1
	}
	s=$(od -An -tx8 -j "$ps" -N 8 -- "$out" | tr -d ' ')
	[ "0x${s#"${s%%[!0]*}"}" = "$(vmcoreinfo_value fixtures/real/trixie-6.12-arm64.vmcoreinfo.txt 'NUMBER(PHYS_OFFSET)')" ] || {
		printf '  sub-header phys_base 0x%s, expected NUMBER(PHYS_OFFSET)\n' "$s"
		return 1
	}
	kdump_attrs "$out" aarch64 "$ps" 1 || return 1
	fixture_pages "$src" "$out" 1 aarch64 || return 1
	cc_run 0 "$out.elf.err" -E -d 0 "$src" "$out.elf" || return 1
	fixture_pages "$src" "$out.elf" 0 aarch64 || return 1
	fixture_logs trixie-6.12-arm64 "$out"
}

# s390x_be: the trimmed real s390x core (fixtures/real/bookworm-6.1-s390x,
# big-endian ELF64, EM_S390, RAM identity-mapped from physical 0) becomes a
# kdump file whose header is big-endian (signature, then version 6 as a
# big-endian word), says s390x at utsname machine (272), status 2 and
# block_size 4096 big-endian at 424/428, which libkdumpfile opens as s390x
# big-endian with 8-byte pointers and 4 KiB pages, page-exact; -E -d 0 is a
# big-endian EM_S390 ELF, page-exact, and crashdmesg prints the fixture's log
# from it; --dump-dmesg equals the fixture's vmcore-dmesg output.
s390x_be() {
	local src out s
	src=fixtures/real/bookworm-6.1-s390x.vmcore
	out=$dir/s390x
	rm -f "$out" "$out.elf"
	s=$(vmcoreinfo_value fixtures/real/bookworm-6.1-s390x.vmcoreinfo.txt PAGESIZE)
	[ "$s" = 4096 ] || {
		printf '  PAGESIZE %s, expected 4096\n' "$s"
		return 1
	}
	cc_run 0 "$out.err" -d 1 -l "$src" "$out" || return 1
	s=$(od -An -tx1 -j 8 -N 4 -- "$out" | tr -d ' ')
	[ "$s" = 00000006 ] || {
		printf '  header version bytes %s, expected 00000006 (big-endian 6)\n' "$s"
		return 1
	}
	s=$(dd if="$out" bs=1 skip=272 count=65 2>/dev/null | tr -d '\0')
	[ "$s" = s390x ] || {
		printf '  utsname machine "%s", expected s390x\n' "$s"
		return 1
	}
	s=$(od -An -tx1 -j 424 -N 8 -- "$out" | tr -d ' ')
	[ "$s" = 0000000200001000 ] || {
		printf '  status, block_size bytes at 424: %s, expected 0000000200001000 (big-endian 2, 4096)\n' "$s"
		return 1
	}
	kdump_attrs "$out" s390x 4096 0 || return 1
	fixture_pages "$src" "$out" 1 s390x || return 1
	cc_run 0 "$out.elf.err" -E -d 0 "$src" "$out.elf" || return 1
	s=$(od -An -tx1 -j 5 -N 1 -- "$out.elf" | tr -d ' ')$(od -An -tx1 -j 18 -N 2 -- "$out.elf" | tr -d ' ')
	[ "$s" = 020016 ] || {
		printf '  -E: EI_DATA, e_machine bytes %s, expected 02 0016 (big-endian EM_S390)\n' "$s"
		return 1
	}
	fixture_pages "$src" "$out.elf" 0 s390x || return 1
	fixture_logs bookworm-6.1-s390x "$out"
}

# full_stream: a stream to /dev/full fails with exit 5.
full_stream() {
	cc_run 5 "$dir/full.err" -F -d 31 -l "$core" >/dev/full
}

# full_disk: ENOSPC on a 1 MiB tmpfs (buffered writes) and on an 8 MiB
# ext4 (O_DIRECT writes): exit 5, NAME.incomplete marked.
full_disk() {
	local mnt rc
	mnt=$dir/tmpfs
	mkdir -p "$mnt"
	rc=0
	mount -t tmpfs -o size=1m crashcopy-test "$mnt" || return 1
	full_disk_on "$mnt" || rc=1
	umount "$mnt" || rc=1
	rm -f "$dir/small.ext4"
	truncate -s 8M "$dir/small.ext4" && mkfs.ext4 -q "$dir/small.ext4" &&
		mount -o loop "$dir/small.ext4" "$mnt" || return 1
	full_disk_on "$mnt" || rc=1
	umount "$mnt" || rc=1
	rm -f "$dir/small.ext4"
	return "$rc"
}

# full_disk_on DIR: a copy into DIR, which fills up: exit 5, marked.
full_disk_on() {
	cc_run 5 "$dir/fulldisk.err" -d 1 -l "$core" "$1/out" || return 1
	if [ ! -f "$1/out.incomplete" ]; then
		printf '  no %s/out.incomplete\n' "$1"
		return 1
	fi
	is_incomplete "$1/out.incomplete"
}

# crash_into NAME ARGS...: tests/e2e/crash-kernel.sh ARGS (niced) into
# $work/NAME.crash; its exit status and seconds go to $work/NAME.crash.rc.
crash_into() {
	local name t rc
	name=$1
	shift
	rm -rf "$work/$name.crash" "$work/$name.crash.rc"
	t=$(date +%s)
	rc=0
	nice sh tests/e2e/crash-kernel.sh "$@" --cache "$cache" "$work/$name.crash" \
		>"$work/$name.crash.log" 2>&1 || rc=$?
	echo "$rc $(($(date +%s) - t))" >"$work/$name.crash.rc"
}

# The full cores of the other architectures are crashed in the background
# from the start, one after another, each guest on one CPU (--smp 1), while
# the amd64 checks (one core's work) run: the suite took ~3.5 min in a row.
# foreign_crashes: those crashes; full_crash waits for them.
foreign_crashes() {
	if [ "${E2E_ARM64:-yes}" != no ] && [ -z "${E2E_ARM64_CORE:-}" ]; then
		crash_into arm64 --smp 1 --suite trixie --arch arm64 --fill
	fi
	if [ "${E2E_PPC64:-yes}" != no ]; then
		[ -n "${E2E_PPC64_CORE:-}" ] || crash_into ppc64el --smp 1 --suite bookworm --arch ppc64el
		[ -n "${E2E_PPC64_HASH_CORE:-}" ] ||
			crash_into ppc64el-hash --smp 1 --suite bookworm --arch ppc64el --cpu power8
	fi
}
foreign_pid=

# full_crash NAME OVERRIDE: the file OVERRIDE when that is set (E2E_*_CORE,
# for work on the checks), else the core foreign_crashes left in
# $work/NAME.crash; sets core.
full_crash() {
	local name rc secs
	name=$1
	core=
	if [ -n "$2" ]; then
		[ -s "$2" ] || return 1
		core=$2
		return 0
	fi
	if [ -n "$foreign_pid" ]; then
		wait "$foreign_pid"
		foreign_pid=
	fi
	read -r rc secs <"$work/$name.crash.rc" 2>/dev/null || rc=missing
	if [ "$rc" != 0 ]; then
		printf '  crash-kernel.sh exit %s\n' "$rc"
		tail -n 20 "$work/$name.crash.log" 2>/dev/null | sed 's/^/  | /'
		return 1
	fi
	printf '  crashed %s here: %s s (in the background)\n' "$name" "$secs"
	core=$work/$name.crash/vmcore
}

# full_core_start SUITE NAME OVERRIDE: open a full-core section: a fresh
# $dir, the core (full_crash), one check counted for it.
full_core_start() {
	suite=$1
	dir=$work/$suite
	rm -rf "$dir"
	mkdir -p "$dir"
	shift
	if full_crash "$@"; then
		passed=$((passed + 1))
		printf 'ok   %s: a full core: %s\n' "$suite" "$core"
	else
		failed=$((failed + 1))
		printf 'FAIL %s: no core (crash-kernel.sh failed: %s.crash.log)\n' "$suite" "$work/$1"
	fi
}

# json_field JSON KEY [SUBKEY]: one field of a --json summary.
json_field() {
	"$python" -c '
import json, sys
o = json.load(open(sys.argv[1]))
for k in sys.argv[2:]:
    o = o[k]
print("null" if o is None else o)
' "$@"
}

# filtered_copy OUT LEVEL [KEY...]: crashcopy --json -d LEVEL -l on the
# full core into OUT: exit 0, mode 0600, no warning on stderr (the filter
# read mem_map), filter_fallback null, and each excluded KEY above 0.
filtered_copy() {
	local out level fb n key
	out=$1
	level=$2
	shift 2
	rm -f "$out"
	cc_run 0 "$out.err" --json -d "$level" -l "$core" "$out" >"$out.json" &&
		mode_600_complete "$out" || return 1
	if grep -q 'warning' "$out.err"; then
		sed 's/^/  | /' "$out.err"
		return 1
	fi
	fb=$(json_field "$out.json" filter_fallback) || return 1
	[ "$fb" = null ] || {
		printf '  filter_fallback: %s\n' "$fb"
		return 1
	}
	for key in "$@"; do
		n=$(json_field "$out.json" excluded "$key") || return 1
		[ "$n" -gt 0 ] || {
			printf '  -d %s excluded no %s page\n' "$level" "$key"
			return 1
		}
	done
	[ $# -eq 0 ] || printf '  -d %s excluded: %s\n' "$level" "$(grep -o '"excluded":{[^}]*}' "$out.json")"
}

# arm64_free_count: tests/free_pages_check.py's independent count of the
# core's buddy-free pages F, and of those the -d 16 dump lacks (E, all of
# its missing pages free) and holds (K): crashcopy's excluded.free is E at
# -d 16 and at -d 31, and excluded.free + kept_kernel_image (-d 16: the free
# pages of the kernel image) is F.
arm64_free_count() {
	local line f e k free kept free31
	"$python" tests/free_pages_check.py "$core" "$dir/a16" >"$dir/free.txt" 2>&1 || {
		sed 's/^/  | /' "$dir/free.txt"
		return 1
	}
	line=$(cat "$dir/free.txt")
	printf '  %s\n' "$line"
	f=$(printf '%s\n' "$line" | sed -n 's/^ok *free \([0-9]*\) .*/\1/p')
	e=$(printf '%s\n' "$line" | sed -n 's/.*, excluded \([0-9]*\), kept \([0-9]*\)$/\1/p')
	k=$(printf '%s\n' "$line" | sed -n 's/.*, excluded \([0-9]*\), kept \([0-9]*\)$/\2/p')
	free=$(json_field "$dir/a16.json" excluded free) || return 1
	kept=$(json_field "$dir/a16.json" excluded kept_kernel_image) || return 1
	free31=$(json_field "$dir/a31.json" excluded free) || return 1
	printf '  crashcopy -d 16: free %s + kept_kernel_image %s = %s; -d 31: free %s\n' \
		"$free" "$kept" "$((free + kept))" "$free31"
	if [ -z "$f" ] || [ -z "$e" ] || [ -z "$k" ]; then
		printf '  cannot parse the count\n'
		return 1
	fi
	[ "$free" -eq "$e" ] && [ "$free31" -eq "$e" ] && [ $((free + kept)) -eq "$f" ]
}

# ppc64_dmesg: crashdmesg's log of the ppc64el core is vmcore-dmesg's.
ppc64_dmesg() {
	vmcore-dmesg "$core" >"$dir/vd.txt" 2>/dev/null || {
		printf '  vmcore-dmesg %s failed\n' "$core"
		return 1
	}
	"$crashdmesg_bin" --vmcore-dmesg "$core" >"$dir/cd.txt" 2>"$dir/cd.err" || {
		sed 's/^/  | /' "$dir/cd.err"
		return 1
	}
	same "$dir/vd.txt" "$dir/cd.txt"
}

# ppc64_vs_makedumpfile: Debian 12's makedumpfile built for ppc64el (its own
# page walk and filter; tests/peers/fetch-makedumpfile-foreign.sh, under
# qemu-user) reports the same zero, cache, private cache, user and free
# counts at -l -d 31 as crashcopy's --json (crashcopy keeps no kernel-image
# page it would drop here: kept_kernel_image must be 0 for the counts to
# compare).
ppc64_vs_makedumpfile() {
	local mdf out want got key v
	mdf=$(sh tests/peers/fetch-makedumpfile-foreign.sh ppc64el 2>"$dir/fetch.err") || {
		sed 's/^/  | /' "$dir/fetch.err"
		return 1
	}
	rm -f "$dir/mdf31"
	"$mdf" -l -d 31 --message-level 31 "$core" "$dir/mdf31" 2>&1 | tr '\r' '\n' >"$dir/mdf31.out" || {
		tail -n 5 "$dir/mdf31.out" | sed 's/^/  | /'
		return 1
	}
	[ -s "$dir/mdf31" ] || {
		tail -n 5 "$dir/mdf31.out" | sed 's/^/  | /'
		return 1
	}
	out=$dir/p31.json
	want=
	got=
	for key in 'Pages filled with zero:zero_pages' 'Non-private cache pages:excluded cache' \
		'Private cache pages:excluded cache_private' 'User process data pages:excluded user' \
		'Free pages:excluded free'; do
		v=$(sed -n "s/^ *${key%%:*} *: *0x\([0-9a-f]*\)\$/\1/p" "$dir/mdf31.out" | tail -n 1)
		[ -n "$v" ] || {
			printf '  no "%s" line in makedumpfile'"'"'s report\n' "${key%%:*}"
			return 1
		}
		want="$want $((0x$v))"
		# shellcheck disable=SC2086 # the JSON path is two words
		got="$got $(json_field "$out" ${key#*:})" || return 1
	done
	v=$(json_field "$out" excluded kept_kernel_image) || return 1
	printf '  zero, cache, private, user, free: makedumpfile%s, crashcopy%s (kept_kernel_image %s)\n' \
		"$want" "$got" "$v"
	if cmp -s "$dir/p31" "$dir/mdf31"; then
		printf '  the two dumps are byte-identical\n'
	fi
	[ "$want" = "$got" ] && [ "$v" = 0 ]
}

if [ ! -x "$bin" ]; then
	printf 'e2e_crashcopy: %s is not built (make build/asan/crashcopy)\n' "$bin"
fi
mkdir -p "$work"
foreign_crashes &
foreign_pid=$!
first=yes
for suite in $suites; do
	dir=$work/$suite
	printf '== %s\n' "$suite"
	rm -rf "$dir"
	mkdir -p "$dir"
	if find_core; then
		passed=$((passed + 1))
		printf 'ok   %s: a core to copy: %s\n' "$suite" "$core"
	else
		failed=$((failed + 1))
		printf 'FAIL %s: no core (crash-kernel.sh failed)\n' "$suite"
	fi
	release=
	if [ -n "$core" ]; then
		vmcoreinfo_of "$core" >"$dir/vmcoreinfo.txt" 2>/dev/null
		release=$(vmcoreinfo_value "$dir/vmcoreinfo.txt" OSRELEASE)
		makedumpfile --dump-dmesg "$core" "$dir/source.mdf-dmesg" >/dev/null 2>&1
	fi
	for level in 1 31; do
		for codec in l c z; do
			check "-d $level -$codec: exit 0, mode 0600, no .incomplete" dump_ok "$level" "$codec"
			check "-d $level -$codec: page-exact through libkdumpfile" pages_exact "$dir/d$level$codec" "$level"
			check "-d $level -$codec: crash --osrelease" crash_osrelease "$dir/d$level$codec"
			if [ "$codec" != z ]; then
				check "-d $level -$codec: makedumpfile --dump-dmesg == on the source" mdf_dmesg "$dir/d$level$codec"
			fi
		done
	done
	for level in 1 31; do
		for codec in l z; do
			check "--estimate -d $level -$codec: within 25% of the real size" \
				estimate_close "$core" "$level" "$codec" "$dir/d$level$codec"
		done
	done
	check "--num-threads 1/3/4 == the default, byte for byte" threads_identical
	check "ThreadSanitizer: --num-threads 3 -d 31 -z, -d 1 -l: no race, same bytes" tsan_pipeline
	check "no --num-threads: a worker per CPU (nproc, taskset), 1 without a codec" auto_threads
	check "--mmap == pread, byte for byte" mmap_identical
	check "O_DIRECT on ext4 and XFS (--json direct_io_bytes), --no-direct-io none, same bytes" direct_io
	check "-F | makedumpfile -R == the seekable file" flat_mdf_r
	check "-F | crashcopy -R == the seekable file" flat_cc_r
	check "-E -d 0: page-exact" elf_exact 0
	check "-E -d 31: page-exact" elf_exact 31
	check "--dump-dmesg == vmcore-dmesg" dump_dmesg
	check "--json: one object, counts add up, output_sha256 == sha256sum (file, -F)" json_summary
	check "-d 31: makedumpfile's kept pages + kernel image == ours" vs_makedumpfile_counts
	check "makedumpfile -d 31 re-reads our -d 31 dump (shared pages too): page-exact" mdf_reads_ours
	if [ "$first" = yes ]; then
		first=no
		check "--estimate on fixtures/real: within 25% of the real size" estimate_fixtures
		check "usage errors: exit 1, no file" usage_errors
		check "windowed bitmaps (--max-memory 1M, 8 GiB hole): byte-identical to whole, file and -F" windowed_identical
		check "existing OUTPUT without -f: kept, exit 5" no_clobber
		check "hostile inputs: exit 2 (headers), 6 (data, pages marked lost)" hostile_inputs
		check "SIGINT: exit 6, NAME.incomplete with status 0x8" interrupted
		check "stream to /dev/full: exit 5" full_stream
		check "ENOSPC (tmpfs, and ext4 with O_DIRECT): exit 5, NAME.incomplete with status 0x8" full_disk
		check "core cut short mid-copy (workers' reads): exit 6, short reads marked lost" shrunk_input
		check "the same under ThreadSanitizer: no race" shrunk_input "$tsan_bin"
		check "i386 ELF32 core: ILP32 packed header, libkdumpfile ia32, page-exact" i386_ilp32 elf32
		check "i386 ELF64 core: ILP32 packed header, libkdumpfile ia32, page-exact" i386_ilp32 elf64
		check "arm64 core: aarch64 LP64 LE header, libkdumpfile aarch64, page-exact; -E page-exact, same log" arm64_lp64
		check "s390x core: big-endian s390x header, libkdumpfile s390x BE, page-exact; -E page-exact, same log" s390x_be
	fi
	# The dumps are ~20-60 MB each: keep only the logs.
	for f in d1l d1c d1z d31l d31c d31z e0 e31 flat flat.mdf flat.cc j jf fx mm c31 mdf31 cut-headers far-load h4 int.incomplete t4; do
		rm -f "${dir:?}/$f"
	done
done

printf '== trixie-arm64 (full core)\n'
if [ "${E2E_ARM64:-yes}" = no ]; then
	printf 'skipped trixie-arm64: E2E_ARM64=no\n'
else
	t_arm64=$(date +%s)
	full_core_start trixie-arm64 arm64 "${E2E_ARM64_CORE:-}"
	check "-d 31 -l: exit 0, no warning, filter_fallback null" \
		filtered_copy "$dir/a31" 31 cache cache_private user free
	check "-d 31 -l: page-exact through libkdumpfile (aarch64)" pages_exact "$dir/a31" 31
	check "-d 16 -l: exit 0, no warning, filter_fallback null" filtered_copy "$dir/a16" 16
	check "-d 16 -l: page-exact through libkdumpfile (aarch64)" pages_exact "$dir/a16" 16
	check "free pages: crashcopy's count == tests/free_pages_check.py's (struct pages via libkdumpfile)" arm64_free_count
	rm -f "$dir/a31" "$dir/a16"
	printf '  %s: %s s\n' "$suite" "$(($(date +%s) - t_arm64))"
fi

printf '== bookworm-ppc64el (full core)\n'
if [ "${E2E_PPC64:-yes}" = no ]; then
	printf 'skipped bookworm-ppc64el: E2E_PPC64=no\n'
else
	t_ppc=$(date +%s)
	full_core_start bookworm-ppc64el ppc64el "${E2E_PPC64_CORE:-}"
	check "crashdmesg --vmcore-dmesg == vmcore-dmesg (ppc64le, 64 KiB pages)" ppc64_dmesg
	check "-d 31 -l: exit 0, no warning, filter_fallback null (radix page walk)" \
		filtered_copy "$dir/p31" 31 cache user free
	check "-d 31 -l: page-exact through libkdumpfile (ppc64)" pages_exact "$dir/p31" 31
	check "-d 31 -l: Debian's ppc64el makedumpfile excludes the same pages" ppc64_vs_makedumpfile
	rm -f "$dir/p31" "$dir/mdf31"
	printf '  %s: %s s\n' "$suite" "$(($(date +%s) - t_ppc))"
	# The same kernel on POWER8's hash MMU: vmemmap through vmemmap_list.
	t_ppc=$(date +%s)
	full_core_start bookworm-ppc64el-hash ppc64el-hash "${E2E_PPC64_HASH_CORE:-}"
	check "-d 31 -l: exit 0, no warning, filter_fallback null (vmemmap_list)" \
		filtered_copy "$dir/p31" 31 cache user free
	check "-d 31 -l: page-exact through libkdumpfile (ppc64)" pages_exact "$dir/p31" 31
	check "-d 31 -l: Debian's ppc64el makedumpfile excludes the same pages" ppc64_vs_makedumpfile
	rm -f "$dir/p31" "$dir/mdf31"
	printf '  %s: %s s\n' "$suite" "$(($(date +%s) - t_ppc))"
fi

printf 'e2e_crashcopy: %s s\n' "$(($(date +%s) - started))"
echo "e2e_crashcopy: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
