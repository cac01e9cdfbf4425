#!/bin/sh
# Run every test suite and add up their "N passed, N failed" lines.
# Each suite prints its own closing line; a suite that ends without one
# (it crashed or was killed) counts as one failure.  The last line of the
# output is the total, "N passed, N failed"; the line before it gives each
# suite's wall time (make check has a budget: well under 30 minutes).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
logdir=build/test-logs
mkdir -p "$logdir"

total_passed=0
total_failed=0
timings=

# run_suite NAME COMMAND...: run one suite, echo its output, add its counts.
run_suite() {
	local name log line passed failed t0
	name=$1
	shift
	log="$logdir/$name.log"
	echo "== $name"
	t0=$(date +%s)
	"$@" >"$log" 2>&1
	cat "$log"
	timings="$timings $name=$(($(date +%s) - t0))s"
	line=$(grep -E '(^|: )[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	if [ -z "$line" ]; then
		echo "$name: no result line: counted as 1 failure"
		total_failed=$((total_failed + 1))
		return
	fi
	passed=$(printf '%s\n' "$line" | sed -E 's/^(.*[^0-9])?([0-9]+) passed, ([0-9]+) failed.*/\2/')
	failed=$(printf '%s\n' "$line" | sed -E 's/^(.*[^0-9])?([0-9]+) passed, ([0-9]+) failed.*/\3/')
	total_passed=$((total_passed + passed))
	total_failed=$((total_failed + failed))
}

run_suite unit sh tests/unit/run.sh
for suite in tests/suites/*.sh; do
	[ -f "$suite" ] || continue
	name=${suite##*/}
	run_suite "${name%.sh}" sh "$suite"
done

echo "suite times:$timings"
echo "$total_passed passed, $total_failed failed"
[ "$total_failed" -eq 0 ]
