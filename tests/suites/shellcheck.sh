#!/bin/sh
# Every shell script of the project is POSIX sh and shellcheck-clean.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
passed=0
failed=0
for f in $(git ls-files '*.sh' .ci/run initramfs/build 2>/dev/null); do
	if shellcheck -x -s sh "$f"; then
		passed=$((passed + 1))
	else
		echo "shellcheck: $f: not clean"
		failed=$((failed + 1))
	fi
done
echo "shellcheck: $passed passed, $failed failed"
