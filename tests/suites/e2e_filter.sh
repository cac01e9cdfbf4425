#!/bin/sh
# crashcopy's page filter against makedumpfile's per-category counts on the
# real cores tests/suites/e2e.sh crashed (it runs first: suites run in name
# order).  Each category line of tests/e2e/filter-check.sh that is exact or
# a known, conditioned difference counts as passed; a differing one, a
# failed window or fallback check, or a non-zero exit, as failed.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
cores=""
for suite in bookworm bullseye trixie; do
	core=build/e2e/$suite/vmcore
	if [ -s "$core" ]; then
		cores="$cores $core"
	else
		echo "e2e_filter: FAIL: $core missing (tests/suites/e2e.sh makes it)"
	fi
done
# shellcheck disable=SC2086 # a list of paths without spaces
sh tests/e2e/filter-check.sh $cores >build/filter-check.log 2>&1
rc=$?
cat build/filter-check.log
passed=$(grep -cE ' (exact|known: .*)$|same counts|^  hostile .*: fallback: ' build/filter-check.log)
failed=$(grep -cE 'DIFFERS|counts differ|want "fallback|failed' build/filter-check.log)
[ "$rc" -eq 0 ] || failed=$((failed + 1))
for suite in bookworm bullseye trixie; do
	[ -s "build/e2e/$suite/vmcore" ] || failed=$((failed + 1))
done
echo "e2e_filter: $passed passed, $failed failed"
