#!/bin/sh
# make bench: time crashdmesg against kexec-tools' vmcore-dmesg and
# makedumpfile --dump-dmesg on a FULL real core, then on a 64 GiB sparse core
# that holds the same log, and print a table (also build/bench/results.txt).
#
# The core: $BENCH_CORE, else $CRASHKIT_CORES/bookworm/vmcore (default
# /work/cores, the team's saved crashes), else a fresh crash of Debian's 6.1
# kernel (tests/e2e/crash-kernel.sh: 384 MiB guest, ~300 MB core) into
# build/bench/crash, reused by later runs.  The 64 GiB core is that core plus
# one PT_LOAD of "RAM" beyond the guest's, a hole in the file
# (tests/bench/bench.py sparse).  Each command runs once to warm the page
# cache, then BENCH_RUNS times (default 31); the median counts.  A second
# table does the same on a core of a kernel booted with log_buf_len=8M
# (crashed once into build/bench/bigring, or $BENCH_BIGRING_CORE), with
# each tool's peak RSS.  The start-up row (busybox-static's true, a static
# binary like crashdmesg) is what spawning a process costs here; the last
# ratios subtract it from every tool's time.
# CRASHDMESG names the binary (default crashdmesg/crashdmesg, the static one).
set -u
PATH=$PATH:/usr/sbin:/sbin
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1

out=build/bench
bin=${CRASHDMESG:-$top/crashdmesg/crashdmesg}
runs=${BENCH_RUNS:-31}
py=/usr/bin/python3

die() {
	printf 'bench: %s\n' "$*" >&2
	exit 1
}

case $runs in
'' | *[!0-9]*) die "BENCH_RUNS wants a number, got '$runs'" ;;
esac
[ "$runs" -ge 5 ] || die "BENCH_RUNS must be at least 5"
[ -x "$bin" ] || die "$bin is not built (make crashdmesg/crashdmesg)"
for tool in vmcore-dmesg makedumpfile "$py"; do
	command -v "$tool" >/dev/null 2>&1 || die "$tool not found (make deps)"
done
mkdir -p "$out" || die "cannot create $out"

# find_core: print the full core to measure, crashing one if need be.
find_core() {
	local saved
	if [ -n "${BENCH_CORE:-}" ]; then
		printf '%s\n' "$BENCH_CORE"
		return 0
	fi
	saved=${CRASHKIT_CORES:-/work/cores}/bookworm/vmcore
	if [ -r "$saved" ]; then
		printf '%s\n' "$saved"
		return 0
	fi
	if [ ! -s "$out/crash/vmcore" ]; then
		sh tests/e2e/crash-kernel.sh --suite bookworm "$out/crash" >&2 || return 1
	fi
	printf '%s\n' "$out/crash/vmcore"
}

core=$(find_core) || die "no core: crash-kernel.sh failed"
[ -r "$core" ] || die "cannot read $core"
big=$out/sparse-64g.vmcore
# Rebuilt every run (a second or so): it must follow the core.
rm -f "$big"
"$py" tests/bench/bench.py sparse "$core" "$big" 64G || die "building $big failed"

# The big core must hold the same log: both readers say so.
for tool in vmcore-dmesg "$bin"; do
	if [ "$tool" = "$bin" ]; then
		set -- "$bin" -q --vmcore-dmesg
	else
		set -- vmcore-dmesg
	fi
	"$@" "$core" >"$out/small.txt" 2>/dev/null || die "$* $core failed"
	"$@" "$big" >"$out/big.txt" 2>/dev/null || die "$* $big failed"
	cmp -s "$out/small.txt" "$out/big.txt" || die "$*: $big does not give the log of $core"
done

printf 'bench: %s (%s bytes) and %s (%s bytes, %s bytes allocated)\n' "$core" \
	"$(stat -c %s "$core")" "$big" "$(stat -c %s "$big")" "$(($(stat -c %b "$big") * $(stat -c %B "$big")))"
"$py" tests/bench/bench.py table "$runs" "$out/results.txt" \
	"full=$core" "64G=$big" -- \
	"crashdmesg=$bin -q --vmcore-dmesg {core}" \
	"vmcore-dmesg=vmcore-dmesg {core}" \
	"makedumpfile=makedumpfile --dump-dmesg {core} {out}" \
	"start-up=/bin/busybox true {core}" ||
	die "timing failed"

# A large ring: Debian's 6.1 booted with log_buf_len=8M (what a server with
# many CPUs gets by itself), holding a boot's worth of records.  Peers read
# the whole 36 MiB of ring arrays; crashdmesg the pages that hold records.
bigring=${BENCH_BIGRING_CORE:-$out/bigring/vmcore}
if [ ! -s "$bigring" ]; then
	sh tests/e2e/crash-kernel.sh --suite bookworm --append log_buf_len=8M \
		"$out/bigring" >&2 || die "crash-kernel.sh --append log_buf_len=8M failed"
fi
"$bin" -q --vmcore-dmesg "$bigring" >"$out/small.txt" 2>/dev/null || die "$bin $bigring failed"
vmcore-dmesg "$bigring" >"$out/big.txt" 2>/dev/null || die "vmcore-dmesg $bigring failed"
cmp -s "$out/small.txt" "$out/big.txt" || die "crashdmesg and vmcore-dmesg disagree on $bigring"
echo
"$py" tests/bench/bench.py table "$runs" "$out/results-8m-ring.txt" \
	"8M-ring=$bigring" -- \
	"crashdmesg=$bin -q --vmcore-dmesg {core}" \
	"vmcore-dmesg=vmcore-dmesg {core}" \
	"makedumpfile=makedumpfile --dump-dmesg {core} {out}" \
	"start-up=/bin/busybox true {core}" ||
	die "timing failed"
echo "bench: tables saved to $out/results.txt and $out/results-8m-ring.txt"

# crashcopy against makedumpfile on a real dump of at least 1 GiB in which
# every dump level excludes something: $BENCH_FILLED_CORE, else a 1280 MiB
# guest filled with page cache, user data and free pages (crash-kernel.sh
# --mem 1280 --fill --time-collectors), crashed once into build/bench/filled
# and reused; its collectors.txt (crashcopy and makedumpfile timed on the
# live /proc/vmcore in the capture kernel, under TCG) is printed too.
# BENCH_COPY_RUNS (default 5) timed runs per command; CRASHCOPY names the
# binary (default capture/crashcopy/crashcopy, the static one).  The lzo
# rows time Debian 12's makedumpfile -l; the zstd rows time a makedumpfile
# that has zstd (Debian 12's has not): Debian 13's binary, fetched by
# tests/peers/fetch-makedumpfile-zstd.sh into .cache/peers, with -z.
copy_bin=${CRASHCOPY:-$top/capture/crashcopy/crashcopy}
copy_runs=${BENCH_COPY_RUNS:-5}
case $copy_runs in
'' | *[!0-9]*) die "BENCH_COPY_RUNS wants a number, got '$copy_runs'" ;;
esac
[ -x "$copy_bin" ] || die "$copy_bin is not built (make capture/crashcopy/crashcopy)"
floor_bin=$top/build/bench/codec_floor
[ -x "$floor_bin" ] || die "$floor_bin is not built (make build/bench/codec_floor)"
mdf_zstd=$(sh tests/peers/fetch-makedumpfile-zstd.sh) || die "no makedumpfile with zstd (tests/peers/fetch-makedumpfile-zstd.sh failed)"
filled=${BENCH_FILLED_CORE:-$out/filled/vmcore}
if [ ! -s "$filled" ]; then
	sh tests/e2e/crash-kernel.sh --suite bookworm --mem 1280 --fill --time-collectors \
		"$out/filled" >&2 || die "crash-kernel.sh --mem 1280 --fill failed"
fi
big_filled=$out/sparse-64g-filled.vmcore
rm -f "$big_filled"
"$py" tests/bench/bench.py sparse "$filled" "$big_filled" 64G || die "building $big_filled failed"
echo
"$py" tests/bench/bench.py copy "$copy_runs" "$out/results-crashcopy.txt" \
	"$filled" "$big_filled" "$copy_bin" "$mdf_zstd" "$floor_bin" || die "crashcopy timing failed"
rm -f "$big_filled"
collectors=$(dirname "$filled")/collectors.txt
if [ -s "$collectors" ]; then
	echo
	echo "in the capture kernel (QEMU TCG, nr_cpus=1, crashkernel=192M), on the live /proc/vmcore of that crash,"
	echo "-F into /dev/null, then into a file on an ext4 disk (makedumpfile followed by sync, as front-ends run it):"
	cat "$collectors"
fi
echo "bench: crashcopy table saved to $out/results-crashcopy.txt"
