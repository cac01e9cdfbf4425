#!/bin/sh
# Generated fixtures (fixtures/gen/*.vmdesc -> fixtures/generated/*.vmcore).
# Good fixtures are checked three ways:
#   - against the generator's own ground truth (.expect.kmsg, .expect.vmcore-dmesg,
#     .expect.raw), written from its message list, independent of our decoders;
#   - against committed goldens (fixtures/expected/NAME.{out,err,rc}: the default
#     output, stderr and exit code);
#   - against the peers, vmcore-dmesg and makedumpfile --dump-dmesg, allowing
#     only the differences tests/peer_compare.py names, fixture by fixture.
# Hostile fixtures must end within the timeout with their golden exit code
# and stderr.  UPDATE_GOLDENS=1 rewrites the goldens (review the diff!).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
bin=${CRASHDMESG:-build/asan/crashdmesg}
gen=fixtures/generated
expected=fixtures/expected
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0
pass() { passed=$((passed + 1)); }
fail() {
	failed=$((failed + 1))
	echo "FAIL: $*"
}

if ! sh fixtures/gen/generate.sh build/mkvmcore "$gen" >"$tmp/gen.log" 2>&1; then
	fail "generate.sh: $(tail -n 3 "$tmp/gen.log")"
fi
mkdir -p "$expected"

# run_golden NAME CORE: the default output, stderr and exit code match the
# goldens; a run longer than 20 s is a hang.
run_golden() {
	local name core rc
	name=$1
	core=$2
	timeout 20 "$bin" "$core" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" -eq 124 ]; then
		fail "$name: timed out (hang)"
		return
	fi
	if [ "$rc" -ge 128 ] || grep -q 'Sanitizer' "$tmp/err"; then
		fail "$name: crashed (exit $rc): $(head -n 3 "$tmp/err")"
		return
	fi
	echo "$rc" >"$tmp/rc"
	if [ "${UPDATE_GOLDENS:-0}" = 1 ]; then
		cp "$tmp/out" "$expected/$name.out"
		cp "$tmp/err" "$expected/$name.err"
		cp "$tmp/rc" "$expected/$name.rc"
	fi
	for kind in out err rc; do
		if cmp -s "$tmp/$kind" "$expected/$name.$kind"; then
			pass
		else
			fail "$name: $kind differs from $expected/$name.$kind"
			diff "$expected/$name.$kind" "$tmp/$kind" 2>&1 | head -n 6
		fi
	done
}

# compare WHAT OURS THEIRS [ALLOW...]: equal up to the allowed differences.
compare() {
	local what
	what=$1
	shift
	if /usr/bin/python3 tests/peer_compare.py "$@" >"$tmp/cmp" 2>&1; then
		pass
	else
		fail "$what"
		head -n 14 "$tmp/cmp"
	fi
}

for core in "$gen"/*.vmcore; do
	[ -f "$core" ] || continue
	name=${core##*/}
	name=${name%.vmcore}
	run_golden "$name" "$core"
	case $name in hostile-*) continue ;; esac

	# Ground truth from the generator.
	if [ -f "$core.expect.kmsg" ]; then
		caller=off
		grep -q ',caller=' "$core.expect.kmsg" && caller=on
		"$bin" -q --kmsg --caller=$caller "$core" >"$tmp/kmsg" 2>/dev/null
		cp "$core.expect.kmsg" "$tmp/kmsg.truth"
		case $name in
		rec-*)
			# 3.5-5.9 do not export record sequence numbers: we count
			# from 0, the generator knows the kernel's; compare the rest.
			sed -i 's/^\([0-9]*\),[0-9]*,/\1,S,/' "$tmp/kmsg" "$tmp/kmsg.truth"
			;;
		esac
		compare "$name: --kmsg differs from the generator's records" "$tmp/kmsg" "$tmp/kmsg.truth"
	fi
	if [ -f "$core.expect.vmcore-dmesg" ]; then
		"$bin" -q --vmcore-dmesg "$core" >"$tmp/vd" 2>/dev/null
		# The generator keeps vmcore-dmesg's line for a data-lost record.
		compare "$name: --vmcore-dmesg differs from the generator's" "$tmp/vd" "$core.expect.vmcore-dmesg" stamped-empty
	fi
	if [ -f "$core.expect.raw" ]; then
		"$bin" -q --raw "$core" >"$tmp/raw" 2>/dev/null
		compare "$name: --raw differs from the bytes the generator stored" "$tmp/raw" "$core.expect.raw" escape-dmesg
	fi

	# Peers.  Known peer bugs are asserted, so a fixed peer shows up here.
	"$bin" -q --vmcore-dmesg "$core" >"$tmp/ours" 2>/dev/null
	timeout 20 vmcore-dmesg "$core" >"$tmp/peer" 2>"$tmp/peer.err"
	peer_rc=$?
	case $name in
	rec-x86_64-3.5)
		# vmcore-dmesg needs SIZE(log), which 3.5 did not export.
		if [ "$peer_rc" -ne 0 ]; then pass; else fail "$name: vmcore-dmesg now reads 3.5"; fi
		;;
	*exact-fit-6.19*)
		# Peers test begin%size > next%size and misread a block that ends
		# exactly at the end of the ring (printk-formats.md 1.3.4).
		if /usr/bin/python3 tests/peer_compare.py "$tmp/ours" "$tmp/peer" stamped-empty >/dev/null; then
			fail "$name: vmcore-dmesg no longer misreads exact-fit blocks"
		else
			pass
		fi
		;;
	leg-*)
		compare "$name: vmcore-dmesg" "$tmp/ours" "$tmp/peer" escape
		;;
	*)
		if [ "$peer_rc" -ne 0 ]; then
			fail "$name: vmcore-dmesg exit $peer_rc: $(head -c 200 "$tmp/peer.err")"
		else
			compare "$name: vmcore-dmesg" "$tmp/ours" "$tmp/peer" stamped-empty
		fi
		;;
	esac

	case $name in
	*x86_64*) ;;
	*) continue ;; # Debian's makedumpfile reads only x86_64 cores
	esac
	rm -f "$tmp/mdf"
	timeout 30 makedumpfile --dump-dmesg "$core" "$tmp/mdf" >"$tmp/mdf.log" 2>&1
	mdf_rc=$?
	case $name in
	rec-x86_64-3.5 | leg-x86_64-empty)
		# 3.5 is unsupported; an empty legacy buffer is "Can't read dmesg log".
		if [ "$mdf_rc" -ne 0 ]; then pass; else fail "$name: makedumpfile now reads it"; fi
		;;
	*exact-fit-6.19*)
		if /usr/bin/python3 tests/peer_compare.py "$tmp/ours" "$tmp/mdf" mdf-escape mdf-indent empty-records stamped-empty >/dev/null; then
			fail "$name: makedumpfile no longer misreads exact-fit blocks"
		else
			pass
		fi
		;;
	leg-*)
		compare "$name: makedumpfile" "$tmp/ours" "$tmp/mdf" escape
		;;
	*)
		if [ "$mdf_rc" -ne 0 ]; then
			fail "$name: makedumpfile exit $mdf_rc: $(tail -n 2 "$tmp/mdf.log")"
		else
			compare "$name: makedumpfile" "$tmp/ours" "$tmp/mdf" mdf-escape mdf-indent empty-records stamped-empty
		fi
		;;
	esac
done
# Trimmed real cores (fixtures/real/README.md): every output mode against
# its committed expected file, vmcore-dmesg against .vmcore-dmesg, and the
# first kernel's /dev/kmsg snapshot against --kmsg.
# shellcheck source=tests/e2e/oracles.sh
. tests/e2e/oracles.sh
for core in fixtures/real/*.vmcore; do
	[ -f "$core" ] || continue
	base=${core%.vmcore}
	name=real/${base##*/}
	for mode in dmesg vmcore-dmesg kmsg json summary; do
		case $mode in
		dmesg) "$bin" -q "$core" >"$tmp/real" 2>"$tmp/real.err" ;;
		*) "$bin" -q "--$mode" "$core" >"$tmp/real" 2>"$tmp/real.err" ;;
		esac
		if cmp -s "$tmp/real" "$base.$mode"; then
			pass
		else
			fail "$name: --$mode differs from $base.$mode"
			diff "$base.$mode" "$tmp/real" | head -n 6
		fi
	done
	if timeout 20 vmcore-dmesg "$core" >"$tmp/peer" 2>/dev/null &&
		cmp -s "$tmp/peer" "$base.vmcore-dmesg"; then
		pass
	else
		fail "$name: vmcore-dmesg on the trimmed core differs from $base.vmcore-dmesg"
	fi
	wrapped=""
	case $name in *wrapped*) wrapped=wrapped ;; esac
	if kmsg_check "$base.kmsg-snapshot" "$base.kmsg" $wrapped >"$tmp/kc" 2>&1; then
		pass
	else
		fail "$name: snapshot records missing from $base.kmsg: $(head -n 3 "$tmp/kc")"
	fi
done

echo "fixtures: $passed passed, $failed failed"
