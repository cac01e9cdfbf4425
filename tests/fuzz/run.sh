#!/bin/sh
# Run every libFuzzer harness for SECONDS each, seeded from fixtures.
# Usage: tests/fuzz/run.sh SECONDS [JOBS].  JOBS harnesses run at a time
# (default: the number of CPUs; each harness is one process on one core).
# A crash, leak or timeout is a failure; its reproducer is kept in
# build/fuzz/findings/ (turn it into a fixture).
set -u
seconds=${1:-60}
jobs=${2:-$(nproc 2>/dev/null || echo 1)}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
findings=build/fuzz/findings
mkdir -p "$findings"
passed=0
failed=0

# fuzz_one BIN: run one harness; its exit status goes to build/fuzz/NAME.rc.
fuzz_one() {
	local name corpus seeds d rc
	name=${1##*/}
	corpus=build/fuzz/corpus/$name
	mkdir -p "$corpus"
	seeds=""
	[ -d "tests/fuzz/seeds/$name" ] && seeds="tests/fuzz/seeds/$name"
	if [ "$name" = fuzz_xen ] && [ -d fixtures/real/xen ]; then
		seeds="$seeds fixtures/real/xen"
	fi
	if [ "$name" = fuzz_vmcore ]; then
		for d in fixtures/generated fixtures/real; do
			[ -d "$d" ] && seeds="$seeds $d"
		done
	fi
	rc=0
	# shellcheck disable=SC2086 # seeds is a list of directories
	"$1" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
		-max_len=1048576 -artifact_prefix="$findings/$name-" \
		"$corpus" $seeds >"build/fuzz/$name.log" 2>&1 || rc=$?
	echo "$rc" >"build/fuzz/$name.rc"
}

# report BIN: the verdict of a harness that has run.
report() {
	local name
	name=${1##*/}
	if [ "$(cat "build/fuzz/$name.rc" 2>/dev/null)" = 0 ]; then
		echo "$name: ok ($(grep -c . "build/fuzz/$name.log") log lines)"
		passed=$((passed + 1))
	else
		echo "$name: FAILED; see build/fuzz/$name.log"
		tail -n 30 "build/fuzz/$name.log"
		failed=$((failed + 1))
	fi
}

batch=
n=0
for bin in build/fuzz/tests/fuzz/fuzz_* ""; do
	if [ -n "$bin" ]; then
		[ -x "$bin" ] || continue
		rm -f "build/fuzz/${bin##*/}.rc"
		fuzz_one "$bin" &
		batch="$batch $bin"
		n=$((n + 1))
		[ "$n" -lt "$jobs" ] && continue
	fi
	wait
	for b in $batch; do
		report "$b"
	done
	batch=
	n=0
done
echo "fuzz: $passed passed, $failed failed"
