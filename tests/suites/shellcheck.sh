#!/bin/sh
# Every shell script of the project is POSIX sh and shellcheck-clean.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
passed=0
failed=0
# Every tracked *.sh, plus tracked scripts without the suffix whose first
# line names /bin/sh (crashctl, crashcapture, /init, ...).
scripts() {
	git ls-files '*.sh' 2>/dev/null
	git ls-files 2>/dev/null | while IFS= read -r f; do
		case $f in *.sh) continue ;; esac
		[ -f "$f" ] || continue
		case $(head -c 64 "$f" | head -n 1) in
		'#!/bin/sh'* | '#!/usr/bin/env sh'* | '#!/bin/busybox sh'*) printf '%s\n' "$f" ;;
		esac
	done
}
for f in $(scripts); do
	if shellcheck -x -s sh "$f"; then
		passed=$((passed + 1))
	else
		echo "shellcheck: $f: not clean"
		failed=$((failed + 1))
	fi
done
echo "shellcheck: $passed passed, $failed failed"
