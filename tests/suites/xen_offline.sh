#!/bin/sh
# Xen machine cores offline (lib/xen.c, crashdmesg on a Xen dump, --xen).
#  - Synthetic cores from fixtures/gen/xen/*.vmdesc (the generator's Xen
#    mode: scattered p2m, identity and missing entries, a domU VMCOREINFO
#    decoy, a console ring): dom0's log against the generator's ground
#    truth, found by a scan, by --dom0-vmcoreinfo and by the capture
#    command line; Xen's console by symbols, by the command line and by a
#    scan; crashcopy -X keeps exactly Xen's and dom0's frames (both
#    count_info layouts) and its copy still gives both logs, and
#    python3-libkdumpfile (its own Xen p2m) reads the same dom0 record
#    texts from it (tests/xen_kdumpfile_check.py).  Hostile twins (first line "# expect rc=N err=TEXT") end in time
#    with that exit code and that text on stderr.
#  - The trimmed real core fixtures/real/xen/ (Xen 4.17.7 + Debian 6.1 PV
#    dom0, fixtures/real/xen/README.md): every mode against its golden, the
#    dom0 log against dom0's own /dev/kmsg snapshot, the console against
#    Xen's ring read in dom0 before the crash.
# Takes 5-25 s (ASan builds; the machine's load decides).  POSIX sh.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
bin=${CRASHDMESG:-build/asan/crashdmesg}
copy=${CRASHCOPY:-build/asan/crashcopy}
gen=build/mkvmcore
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0
pass() { passed=$((passed + 1)); }
fail() {
	failed=$((failed + 1))
	echo "FAIL: $*"
}

# run NAME ARGS...: crashdmesg with a 20 s timeout; out/err/rc in $tmp.
run() {
	local name rc
	name=$1
	shift
	timeout 20 "$bin" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	echo "$rc" >"$tmp/rc"
	if [ "$rc" -eq 124 ] || [ "$rc" -ge 128 ] || grep -q Sanitizer "$tmp/err"; then
		fail "$name: crashed or hung (exit $rc): $(head -n 3 "$tmp/err")"
		return 1
	fi
	return 0
}

# same NAME FILE1 FILE2: byte-identical.
same() {
	if cmp -s "$2" "$3"; then
		pass
	else
		fail "$1: $2 and $3 differ"
		diff "$3" "$2" | head -n 6
	fi
}

# want_rc NAME N
want_rc() {
	if [ "$(cat "$tmp/rc")" = "$2" ]; then
		pass
	else
		fail "$1: exit $(cat "$tmp/rc"), want $2: $(head -c 300 "$tmp/err")"
	fi
}

if [ ! -x "$gen" ] || [ ! -x "$bin" ] || [ ! -x "$copy" ]; then
	fail "build first: make test-bins"
	echo "xen_offline: $passed passed, $failed failed"
	exit 1
fi

for desc in fixtures/gen/xen/*.vmdesc; do
	name=${desc##*/}
	name=${name%.vmdesc}
	core=$tmp/$name.vmcore
	if ! "$gen" "$desc" "$core" >"$tmp/gen.log" 2>&1; then
		fail "$name: generator: $(head -n 1 "$tmp/gen.log")"
		continue
	fi
	case $name in
	xen-hostile-*)
		spec=$(sed -n '1s/^# expect //p' "$desc")
		want=${spec%% *}
		want=${want#rc=}
		text=${spec#* err=\"}
		text=${text%\"}
		run "$name" "$core" || continue
		want_rc "$name" "$want"
		if grep -qF -- "$text" "$tmp/err"; then
			pass
		else
			fail "$name: stderr lacks \"$text\": $(head -c 300 "$tmp/err")"
		fi
		continue
		;;
	esac

	# dom0's log, found by a scan (the domU decoy must not win).
	if [ -f "$core.expect.kmsg" ]; then
		run "$name" -q --kmsg "$core" || continue
		want_rc "$name --kmsg" 0
		cp "$core.expect.kmsg" "$tmp/truth"
		case $name in
		xen-rec-*) sed -i 's/^\([0-9]*\),[0-9]*,/\1,S,/' "$tmp/out" "$tmp/truth" ;;
		esac
		same "$name: --kmsg vs the generator" "$tmp/out" "$tmp/truth"
		run "$name" -q --vmcore-dmesg "$core" || continue
		same "$name: --vmcore-dmesg vs the generator" "$tmp/out" "$core.expect.vmcore-dmesg"
	else
		run "$name" -q --raw "$core" || continue
		if /usr/bin/python3 tests/peer_compare.py "$tmp/out" "$core.expect.raw" escape-dmesg >"$tmp/cmp" 2>&1; then
			pass
		else
			fail "$name: --raw vs the generator: $(head -n 3 "$tmp/cmp")"
		fi
	fi
	run "$name" -q "$core" && cp "$tmp/out" "$tmp/scan.out"
	if [ -s "$tmp/err" ]; then fail "$name: stderr on a good core: $(head -c 300 "$tmp/err")"; else pass; fi

	# The hint: the option, and the capture command line, give the same log.
	addr=$(cat "$core.dom0-vmcoreinfo")
	run "$name" -q --dom0-vmcoreinfo="$addr" "$core" && same "$name: --dom0-vmcoreinfo" "$tmp/out" "$tmp/scan.out"
	printf 'console=ttyS0 crashkit.dom0_vmcoreinfo=%s elfcorehdr=1M\n' "$addr" >"$tmp/cmdline"
	run "$name" -q --cmdline="$tmp/cmdline" --summary "$core"
	if grep -q "hypervisor:  Xen 4\.[0-9]*\.[0-9a-z.-]* (machine dump; dom0 VMCOREINFO at machine $addr, from the crashkit.dom0_vmcoreinfo= on the command line)" "$tmp/out"; then
		pass
	else
		fail "$name: --summary does not name Xen and the hint: $(grep hypervisor "$tmp/out")"
	fi
	# A wrong hint is an error, never a silent scan.
	run "$name" -q --dom0-vmcoreinfo=0x3000 "$core"
	want_rc "$name: wrong hint" 3

	# Xen's console: symbols, command line, scan.
	run "$name" -q --xen --xen-symbols="$core.xen-syms" "$core" &&
		same "$name: --xen by symbols" "$tmp/out" "$core.expect.xen-console"
	syms=$(sed -n 's/^\([0-9a-f]*\) .*/0x\1/p' "$core.xen-syms" | tr '\n' ',')
	printf 'crashkit.xen_conring=%s\n' "${syms%,}" >"$tmp/cmdline"
	run "$name" -q --xen --cmdline="$tmp/cmdline" "$core" &&
		same "$name: --xen by crashkit.xen_conring=" "$tmp/out" "$core.expect.xen-console"
	run "$name" -q --xen "$core"
	case $name in
	*wrapped*)
		# The banner was overwritten: the scan finds only the boot-time
		# copy of the first lines, never the ring.
		if [ "$(wc -l <"$tmp/out")" -eq 1 ] && ! cmp -s "$tmp/out" "$core.expect.xen-console"; then pass; else fail "$name: scan of a wrapped ring"; fi
		;;
	*) same "$name: --xen by scan" "$tmp/out" "$core.expect.xen-console" ;;
	esac
	if grep -q "Hardware Dom0 crashed" "$core.expect.xen-console"; then pass; else fail "$name: no crash line in the console"; fi

	# crashcopy -X: exactly the generator's Xen + dom0 frames are kept, no
	# domU page survives, and the -E copy still gives dom0's log (through
	# the dom0 VMCOREINFO note crashcopy adds) and Xen's console.
	kept=$(sed -n 's/.*kept=\([0-9]*\).*/\1/p' "$core.expect.xen-frames")
	domu=$(sed -n 's/.*domu=\([0-9]*\).*/\1/p' "$core.expect.xen-frames")
	free=$(sed -n 's/.*free=\([0-9]*\).*/\1/p' "$core.expect.xen-frames")
	timeout 60 "$copy" -f -X --json "$core" "$tmp/x.kdump" >"$tmp/x.json" 2>"$tmp/x.err"
	rc=$?
	if [ "$rc" -eq 0 ] && grep -q "\"dumpable_pages\":$kept," "$tmp/x.json"; then
		pass
	else
		fail "$name: crashcopy -X exit $rc, want $kept pages: $(head -c 300 "$tmp/x.json") $(head -c 300 "$tmp/x.err")"
	fi
	if grep -q "dropped $domu domU and $free free frames" "$tmp/x.err"; then pass; else fail "$name: -X counts: $(cat "$tmp/x.err")"; fi
	case $name in
	*old-layout*) layout="before XSA-402" ;;
	*) layout="XSA-402: Xen 4.17+" ;;
	esac
	if grep -q "$layout" "$tmp/x.err"; then pass; else fail "$name: -X layout, want $layout: $(cat "$tmp/x.err")"; fi
	if [ "$(grep -c crashkit-domU-page "$core")" -gt 0 ] && ! grep -q crashkit-domU-page "$tmp/x.kdump"; then
		pass
	else
		fail "$name: a domU page is in the -X dump (or none in the input)"
	fi
	timeout 60 "$copy" -f -E -X "$core" "$tmp/x.elf" >/dev/null 2>&1
	if [ -f "$core.expect.kmsg" ]; then
		run "$name" -q --kmsg "$tmp/x.elf"
		cp "$core.expect.kmsg" "$tmp/truth"
		case $name in
		xen-rec-*) sed -i 's/^\([0-9]*\),[0-9]*,/\1,S,/' "$tmp/out" "$tmp/truth" ;;
		esac
		same "$name: dom0's log from the -E -X copy" "$tmp/out" "$tmp/truth"
	fi
	case $name in
	xen-rb-*)
		# libkdumpfile's own Xen p2m reads the same record texts.
		if /usr/bin/python3 tests/xen_kdumpfile_check.py "$tmp/x.elf" "$core.expect.kmsg" >"$tmp/kc" 2>&1; then
			pass
		else
			fail "$name: $(head -c 300 "$tmp/kc")"
		fi
		;;
	esac
	run "$name" -q --summary "$tmp/x.elf"
	if grep -q "dom0 VMCOREINFO from the VMCOREINFO note in the dump" "$tmp/out"; then pass; else fail "$name: the -X copy lacks dom0's VMCOREINFO note"; fi
	run "$name" -q --xen --xen-symbols="$core.xen-syms" "$tmp/x.elf" &&
		same "$name: --xen on the -E -X copy" "$tmp/out" "$core.expect.xen-console"
done

# crashcopy on a Xen dump whose dom0 VMCOREINFO cannot be found: a copy
# all the same, on Xen's VMCOREINFO, with a warning.
"$gen" fixtures/gen/xen/xen-hostile-vi-descsz.vmdesc "$tmp/novi.vmcore" >/dev/null 2>&1
timeout 60 "$copy" -f -X "$tmp/novi.vmcore" "$tmp/novi.kdump" >/dev/null 2>"$tmp/err"
rc=$?
if [ "$rc" -eq 0 ] && grep -q "using Xen's VMCOREINFO" "$tmp/err" && ! grep -q Sanitizer "$tmp/err"; then
	pass
else
	fail "crashcopy -X without dom0's VMCOREINFO: exit $rc: $(head -c 300 "$tmp/err")"
fi

# A frame_table not indexed by machine frame (pdx compression; here every
# entry 16 frames off): -X checks dom0's frames from its p2m against it and
# refuses (exit 2) instead of dropping frames by another frame's state; a
# copy without -X is unaffected.
{ grep -v '^#' fixtures/gen/xen/xen-rb-basic.vmdesc; echo 'xen-corrupt frame-index'; } >"$tmp/pdx.vmdesc"
"$gen" "$tmp/pdx.vmdesc" "$tmp/pdx.vmcore" >/dev/null 2>&1
timeout 60 "$copy" -f -X "$tmp/pdx.vmcore" "$tmp/pdx.kdump" >/dev/null 2>"$tmp/err"
rc=$?
if [ "$rc" -eq 2 ] && grep -q "frame_table is not indexed by machine frame as -X assumes (pdx compression?): [1-9][0-9]* of [1-9][0-9]* sampled dom0 frames" "$tmp/err" &&
	[ ! -e "$tmp/pdx.kdump" ]; then
	pass
else
	fail "crashcopy -X on a mis-indexed frame_table: exit $rc: $(head -c 300 "$tmp/err")"
fi
timeout 60 "$copy" -f "$tmp/pdx.vmcore" "$tmp/pdx.kdump" >/dev/null 2>"$tmp/err"
rc=$?
if [ "$rc" -eq 0 ]; then pass; else fail "crashcopy (no -X) on the mis-indexed core: exit $rc: $(head -c 300 "$tmp/err")"; fi

# crashcopy -X on a native core refuses.
timeout 60 "$copy" -f -X fixtures/real/bookworm-6.1.vmcore "$tmp/n.kdump" >/dev/null 2>"$tmp/err"
rc=$?
if [ "$rc" -eq 2 ] && grep -q "not a Xen dump" "$tmp/err"; then pass; else fail "crashcopy -X on a native core: exit $rc: $(cat "$tmp/err")"; fi

# Not a Xen dump: --xen says so.
run native --xen fixtures/real/bookworm-6.1.vmcore
want_rc "--xen on a native core" 3
if grep -q "not a Xen dump" "$tmp/err"; then pass; else fail "--xen on a native core: $(cat "$tmp/err")"; fi

# The trimmed real core.
# shellcheck source=tests/e2e/oracles.sh
. tests/e2e/oracles.sh
for core in fixtures/real/xen/*.vmcore; do
	[ -f "$core" ] || continue
	base=${core%.vmcore}
	name=real/xen/${base##*/}
	for mode in dmesg vmcore-dmesg kmsg json summary; do
		case $mode in
		dmesg) run "$name" -q "$core" ;;
		*) run "$name" -q "--$mode" "$core" ;;
		esac
		same "$name --$mode" "$tmp/out" "$base.$mode"
	done
	# The hint from the capture kernel's real command line: same log.
	run "$name" -q --kmsg --cmdline="$base.cmdline" "$core" && same "$name: --kmsg with the capture command line" "$tmp/out" "$base.kmsg"
	if kmsg_check "$base.kmsg-snapshot" "$base.kmsg" >"$tmp/kc" 2>&1; then
		pass
	else
		fail "$name: snapshot records missing from $base.kmsg: $(head -n 3 "$tmp/kc")"
	fi
	if grep -q "^\[ *[0-9.]*\] Kernel panic - not syncing: sysrq triggered crash" "$base.dmesg"; then pass; else fail "$name: no panic line"; fi
	# Xen's console: dom0's /proc/xen/xensyms, then a scan: the ring read
	# in dom0 before the crash (xl dmesg) plus Xen's crash lines.
	run "$name" -q --xen --xen-symbols="$base.xensyms" "$core" && same "$name --xen" "$tmp/out" "$base.xen-console"
	run "$name" -q --xen "$core" && same "$name --xen by scan" "$tmp/out" "$base.xen-console"
	# crashcopy --dump-dmesg reads dom0's log the same way.
	timeout 60 "$copy" -f --dump-dmesg "$core" "$tmp/dd.txt" >/dev/null 2>&1
	same "$name: crashcopy --dump-dmesg" "$tmp/dd.txt" "$base.vmcore-dmesg"
	# Hostile twin (found by fuzz_xen): the first PT_LOAD's p_memsz set to
	# 0xff0effffffffffff.  Scans read only the bytes the file holds: the
	# console scan and the dom0 note scan end at once.
	/usr/bin/python3 -c '
import struct, sys
b = bytearray(open(sys.argv[1], "rb").read())
phoff = struct.unpack_from("<Q", b, 32)[0]
for i in range(struct.unpack_from("<H", b, 56)[0]):
    o = phoff + 56 * i
    if struct.unpack_from("<I", b, o)[0] == 1:
        struct.pack_into("<Q", b, o + 40, 0xff0effffffffffff)
        break
open(sys.argv[2], "wb").write(b)' "$core" "$tmp/memsz.vmcore"
	if run "$name: huge p_memsz" -q --xen "$tmp/memsz.vmcore" &&
		run "$name: huge p_memsz" -q --kmsg "$tmp/memsz.vmcore"; then
		same "$name: huge p_memsz, --kmsg" "$tmp/out" "$base.kmsg"
	fi
	lines=$(wc -l <"$base.xl-dmesg")
	if head -n "$lines" "$base.xen-console" | cmp -s - "$base.xl-dmesg" &&
		tail -n 2 "$base.xen-console" | grep -q "Hardware Dom0 crashed: Executing kexec image"; then
		pass
	else
		fail "$name: the console is not xl dmesg + the crash lines"
	fi
done

echo "xen_offline: $passed passed, $failed failed"
