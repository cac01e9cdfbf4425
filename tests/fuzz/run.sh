#!/bin/sh
# Run every libFuzzer harness for SECONDS each, seeded from fixtures.
# Usage: tests/fuzz/run.sh SECONDS.  A crash, leak or timeout is a failure;
# its reproducer is kept in build/fuzz/findings/ (turn it into a fixture).
set -u
seconds=${1:-60}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
findings=build/fuzz/findings
mkdir -p "$findings"
passed=0
failed=0
for bin in build/fuzz/tests/fuzz/fuzz_*; do
	[ -x "$bin" ] || continue
	name=${bin##*/}
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
	# shellcheck disable=SC2086 # seeds is a list of directories
	if "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
		-max_len=1048576 -artifact_prefix="$findings/$name-" \
		"$corpus" $seeds >"build/fuzz/$name.log" 2>&1; then
		echo "$name: ok ($(grep -c . "build/fuzz/$name.log") log lines)"
		passed=$((passed + 1))
	else
		echo "$name: FAILED; see build/fuzz/$name.log"
		tail -n 30 "build/fuzz/$name.log"
		failed=$((failed + 1))
	fi
done
echo "fuzz: $passed passed, $failed failed"
