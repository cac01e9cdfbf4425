#!/bin/sh
# crashdmesg's command line: exit codes, atomic -o output, broken pipes,
# full disks, every output mode on a real trimmed core.  Runs the
# sanitized binary (build/asan/crashdmesg) unless CRASHDMESG is set.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
bin=${CRASHDMESG:-$top/build/asan/crashdmesg}
core=fixtures/real/bookworm-6.1.vmcore
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0

pass() { passed=$((passed + 1)); }
fail() {
	failed=$((failed + 1))
	echo "FAIL: $*"
}

# expect_rc WANT DESCRIPTION COMMAND...: run, compare the exit code.
expect_rc() {
	local want what rc
	want=$1
	what=$2
	shift 2
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" -eq "$want" ]; then
		pass
	else
		fail "$what: exit $rc, want $want; stderr: $(head -c 300 "$tmp/err")"
	fi
}

# expect_stderr_lines N DESCRIPTION: stderr of the last command has N lines.
expect_stderr_lines() {
	local n
	n=$(grep -c . "$tmp/err")
	if [ "$n" -eq "$1" ]; then pass; else fail "$2: $n stderr lines, want $1"; fi
}

expect_grep() {
	if grep -q -- "$1" "$2"; then pass; else fail "$3: no '$1' in $2"; fi
}

if [ ! -f "$core" ]; then
	fail "missing $core"
	# make install puts the binary and the man page under DESTDIR/PREFIX.
if make -s install DESTDIR="$tmp/root" PREFIX=/usr >"$tmp/install.log" 2>&1 &&
	[ -x "$tmp/root/usr/bin/crashdmesg" ] &&
	[ -f "$tmp/root/usr/share/man/man1/crashdmesg.1" ] &&
	[ -x "$tmp/root/usr/bin/crashcopy" ] &&
	[ -f "$tmp/root/usr/share/man/man8/crashcopy.8" ]; then
	pass
else
	fail "make install DESTDIR=... PREFIX=/usr: $(tail -n 3 "$tmp/install.log")"
fi

echo "cli: $passed passed, $failed failed"
	exit 0
fi

# Usage errors: exit 1.
expect_rc 1 "unknown option" "$bin" --bogus "$core"
expect_rc 1 "bad --format" "$bin" --format=nonsense "$core"
expect_rc 1 "two operands" "$bin" "$core" "$core"
expect_rc 1 "bad --max-buffer" "$bin" --max-buffer=12x "$core"
expect_rc 0 "--help" "$bin" --help
expect_grep "Exit status" "$tmp/out" "--help text"

# Unreadable or not a vmcore: exit 2, one line on stderr.
expect_rc 2 "missing file" "$bin" "$tmp/nonexistent"
expect_stderr_lines 1 "missing file"
expect_grep "crashdmesg: " "$tmp/err" "missing file message"
printf 'not an elf file at all\n' >"$tmp/text"
expect_rc 2 "text file" "$bin" "$tmp/text"
expect_stderr_lines 1 "text file"
expect_rc 2 "ELF executable, not a core" "$bin" /bin/true
expect_rc 2 "empty file" "$bin" /dev/null
head -c 40 "$core" >"$tmp/trunc"
expect_rc 2 "truncated inside the ELF header" "$bin" "$tmp/trunc"

# Good runs: exit 0, a trailer on stderr, -q suppresses it.
expect_rc 0 "default output" "$bin" "$core"
cp "$tmp/out" "$tmp/default.out"
expect_grep "Kernel panic - not syncing" "$tmp/default.out" "default output"
expect_grep "records printed, 0 skipped, 0 lost" "$tmp/err" "trailer"
expect_rc 0 "quiet" "$bin" -q "$core"
expect_stderr_lines 0 "quiet"
for mode in --vmcore-dmesg --raw --json --kmsg --summary --since-clear; do
	expect_rc 0 "$mode" "$bin" -q "$mode" "$core"
done
expect_rc 0 "forced ringbuffer format" "$bin" -q --format=ringbuffer "$core"
expect_rc 3 "forced legacy format on a 6.1 core" "$bin" -q --format=legacy "$core"

# JSON: every line parses, and texts match the default output's count.
"$bin" -q --json "$core" >"$tmp/json"
if /usr/bin/python3 -c '
import json, sys
n = 0
for line in open(sys.argv[1]):
    o = json.loads(line)
    assert set(o) >= {"seq", "ts_nsec", "level", "facility", "caller", "text", "dev_info"}, o
    n += 1
assert n > 100, n
' "$tmp/json"; then pass; else fail "json does not parse"; fi

# The static binary prints what the sanitized one prints.
if [ -x crashdmesg/crashdmesg ]; then
	crashdmesg/crashdmesg -q "$core" >"$tmp/static.out"
	if cmp -s "$tmp/static.out" "$tmp/default.out"; then pass; else fail "static and sanitized outputs differ"; fi
	if file crashdmesg/crashdmesg | grep -q 'statically linked'; then pass; else fail "crashdmesg is not statically linked"; fi
fi

# -o: atomic, mode 0600 even when the file existed with another mode.
touch "$tmp/dmesg.txt"
chmod 0644 "$tmp/dmesg.txt"
expect_rc 0 "-o FILE" "$bin" -q -o "$tmp/dmesg.txt" "$core"
if cmp -s "$tmp/dmesg.txt" "$tmp/default.out"; then pass; else fail "-o content differs from stdout"; fi
if [ "$(stat -c %a "$tmp/dmesg.txt")" = 600 ]; then pass; else fail "-o mode $(stat -c %a "$tmp/dmesg.txt")"; fi
if [ ! -e "$tmp/dmesg.txt.incomplete" ]; then pass; else fail "-o left .incomplete"; fi
expect_rc 5 "-o into a missing directory" "$bin" -q -o "$tmp/no/such/dir/x" "$core"
expect_stderr_lines 1 "-o into a missing directory"

# A full disk and a closed pipe are output failures (exit 5), not crashes.
expect_rc 5 "-o /dev/full" "$bin" -q -o /dev/full "$core"
if [ -c /dev/full ]; then pass; else fail "-o /dev/full replaced the device node"; fi
"$bin" -q "$core" >/dev/full 2>"$tmp/err"
rc=$?
if [ "$rc" -eq 5 ]; then pass; else fail "stdout on /dev/full: exit $rc"; fi
# More than a pipe buffer (64 KiB) of output, so the writer meets EPIPE.
{ "$bin" -q --json fixtures/real/bookworm-6.1-wrapped.vmcore 2>/dev/null; echo $? >"$tmp/pipe.rc"; } | head -n 1 >/dev/null
if [ "$(cat "$tmp/pipe.rc")" = 5 ]; then pass; else fail "closed pipe: exit $(cat "$tmp/pipe.rc")"; fi
expect_rc 5 "output cap" "$bin" -q --max-output=1000 "$core"

# A log larger than --max-buffer is refused, not allocated (exit 3).
expect_rc 3 "--max-buffer smaller than the ring" "$bin" -q --max-buffer=4k "$core"
expect_stderr_lines 1 "--max-buffer"

# A core cut short keeps the records it still holds.  Cut in the unused
# end of the text ring, nothing is lost (exit 0); cut through the records,
# the rest are printed (exit 4, not 3).
head -c 600000 "$core" >"$tmp/cut.vmcore"
expect_rc 0 "core cut in unused ring space" "$bin" "$tmp/cut.vmcore"
expect_grep "PT_LOAD segments extend past the end of the file" "$tmp/err" "core cut short: warning"
if cmp -s "$tmp/out" "$tmp/default.out"; then pass; else fail "core cut in unused ring space: another log"; fi
head -c 500000 "$core" >"$tmp/cut.vmcore"
expect_rc 4 "core cut through the records" "$bin" "$tmp/cut.vmcore"
expect_grep "unreadable" "$tmp/err" "core cut through the records: note on the hole"
expect_grep "Linux version" "$tmp/out" "core cut through the records: older records still printed"
if [ "$(grep -c . "$tmp/out")" -gt 200 ]; then pass; else fail "core cut through the records: too few lines"; fi

# --save-minimal: a small 0600 core that gives the same log.
expect_rc 0 "--save-minimal" "$bin" -q --save-minimal "$tmp/min.vmcore" "$core"
if [ "$(stat -c %a "$tmp/min.vmcore")" = 600 ]; then pass; else fail "--save-minimal mode"; fi
"$bin" -q "$tmp/min.vmcore" >"$tmp/min.out" 2>&1
if cmp -s "$tmp/min.out" "$tmp/default.out"; then pass; else fail "minimal core prints another log"; fi
if vmcore-dmesg "$tmp/min.vmcore" >"$tmp/min.vd" 2>&1 &&
	"$bin" -q --vmcore-dmesg "$core" | cmp -s - "$tmp/min.vd"; then
	pass
else
	fail "vmcore-dmesg on the minimal core differs"
fi

# make install puts the binary and the man page under DESTDIR/PREFIX.
if make -s install DESTDIR="$tmp/root" PREFIX=/usr >"$tmp/install.log" 2>&1 &&
	[ -x "$tmp/root/usr/bin/crashdmesg" ] &&
	[ -f "$tmp/root/usr/share/man/man1/crashdmesg.1" ] &&
	[ -x "$tmp/root/usr/bin/crashcopy" ] &&
	[ -f "$tmp/root/usr/share/man/man8/crashcopy.8" ]; then
	pass
else
	fail "make install DESTDIR=... PREFIX=/usr: $(tail -n 3 "$tmp/install.log")"
fi

echo "cli: $passed passed, $failed failed"
