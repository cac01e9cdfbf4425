#!/bin/sh
# Run every sanitized unit-test binary; sum their closing lines.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
passed=0
failed=0
for bin in "$top"/build/asan/tests/unit/*_test; do
	[ -x "$bin" ] || continue
	out=$("$bin" 2>&1)
	rc=$?
	printf '%s\n' "$out"
	line=$(printf '%s\n' "$out" | grep -E '[0-9]+ passed, [0-9]+ failed' | tail -n 1)
	if [ -z "$line" ] || [ "$rc" -gt 1 ]; then
		echo "${bin##*/}: crashed (exit $rc)"
		failed=$((failed + 1))
		continue
	fi
	p=$(printf '%s\n' "$line" | sed -E 's/.* ([0-9]+) passed, ([0-9]+) failed.*/\1/')
	f=$(printf '%s\n' "$line" | sed -E 's/.* ([0-9]+) passed, ([0-9]+) failed.*/\2/')
	passed=$((passed + p))
	failed=$((failed + f))
done
echo "unit: $passed passed, $failed failed"
