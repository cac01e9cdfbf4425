#!/bin/sh
# make-real-fixtures.sh [--cores DIR] [NAME...]
#
# Regenerate fixtures/real/: real Debian kernels crashed under QEMU
# (tests/e2e/crash-kernel.sh), trimmed by crashdmesg --save-minimal, with
# crashdmesg's expected output beside each core, every one verified first:
#   NAME.vmcore            the trimmed core (notes + the log's pages)
#   NAME.dmesg             crashdmesg (default mode)
#   NAME.vmcore-dmesg      crashdmesg --vmcore-dmesg: equal to kexec-tools'
#                          vmcore-dmesg on the FULL core, byte for byte
#   NAME.kmsg              crashdmesg --kmsg: holds every record of the
#                          first kernel's /dev/kmsg snapshot, identical
#   NAME.json              crashdmesg --json
#   NAME.summary           crashdmesg --summary fixtures/real/NAME.vmcore
#                          (run from the repository root: the path is in it)
#   NAME.kmsg-snapshot     the snapshot itself (ground truth)
#   NAME.vmcoreinfo.txt    the core's VMCOREINFO note (read by readelf)
# NAMEs: bullseye-5.10, bookworm-6.1, trixie-6.12, bookworm-6.1-wrapped
# (bookworm crashed after 3000 flood records, so its ring has wrapped),
# bookworm-6.1-i386-elf32 and bookworm-6.1-i386-elf64 (bookworm's 686-pae
# kernel, crash-kernel.sh --arch i386 --core-headers elf32|elf64: an ELF32
# and an ELF64 core of the same 32-bit kernel), trixie-6.12-arm64 (trixie's
# arm64 kernel, crash-kernel.sh --arch arm64), bookworm-6.1-s390x (bookworm's
# linux-source-6.1 built for s390x by build-s390x-kernel.sh, with the kdump
# support Debian's s390x kernels lack, crash-kernel.sh --arch s390x --kernel).
# Default: all eight.
#
# --cores DIR takes existing crashes from DIR/{bullseye,bookworm,trixie,
# bookworm-wrapped,bookworm-i386-elf32,bookworm-i386-elf64,trixie-arm64,
# bookworm-s390x}/ (vmcore +
# kmsg.txt, as crash-kernel.sh leaves them) instead of crashing afresh into
# build/real-fixtures/.
# CRASHDMESG names the binary (default build/asan/crashdmesg).
# Nothing in fixtures/real/ changes for a NAME whose verification fails.
set -eu
PATH=$PATH:/usr/sbin:/sbin
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
# shellcheck source=/dev/null # oracles.sh is checked on its own (shellcheck suite)
. "$top/tests/e2e/oracles.sh"

bin=${CRASHDMESG:-$top/build/asan/crashdmesg}
dest=fixtures/real
work=build/real-fixtures
panic_line='Kernel panic - not syncing: sysrq triggered crash'
big=$((2 * 1024 * 1024))

die() {
	printf 'make-real-fixtures: %s\n' "$*" >&2
	exit 1
}

# bad NAME MESSAGE: one verification failed (counted; NAME is not installed).
bad() {
	printf 'make-real-fixtures: %s: FAIL: %s\n' "$1" "$2" >&2
	problems=$((problems + 1))
}

# source_of NAME: "SUITE SUBDIR FLOOD ARCH CORE-HEADERS" for a fixture name
# (CORE-HEADERS "-": kexec's default).
source_of() {
	case $1 in
	bullseye-5.10) echo "bullseye bullseye 0 amd64 -" ;;
	bookworm-6.1) echo "bookworm bookworm 0 amd64 -" ;;
	trixie-6.12) echo "trixie trixie 0 amd64 -" ;;
	bookworm-6.1-wrapped) echo "bookworm bookworm-wrapped 3000 amd64 -" ;;
	bookworm-6.1-i386-elf32) echo "bookworm bookworm-i386-elf32 0 i386 elf32" ;;
	bookworm-6.1-i386-elf64) echo "bookworm bookworm-i386-elf64 0 i386 elf64" ;;
	trixie-6.12-arm64) echo "trixie trixie-arm64 0 arm64 -" ;;
	bookworm-6.1-s390x) echo "bookworm bookworm-s390x 0 s390x -" ;;
	*) return 1 ;;
	esac
}

# cdm OUT ARGS...: crashdmesg ARGS > OUT; dies unless it exits 0.
cdm() {
	local out rc
	out=$1
	shift
	rc=0
	"$bin" "$@" >"$out" 2>"$out.err" || rc=$?
	[ "$rc" -eq 0 ] || die "crashdmesg $* exited $rc: $(tail -n 1 "$out.err")"
}

# kmsg_from_seq FILE SEQ: the records of /dev/kmsg text FILE from SEQ on.
kmsg_from_seq() {
	awk -v from="$2" '/^[0-9]+,[0-9]+,[0-9]+,[^;]*;/ { split($0, f, ","); keep = (f[2] + 0 >= from + 0) }
		keep' "$1"
}

# make_one NAME: crash (or take from --cores), trim, write, verify, install.
make_one() {
	local name spec suite subdir flood arch headers src t full mode ext size release first wrapped
	name=$1
	spec=$(source_of "$name") || die "unknown fixture name '$name'"
	# shellcheck disable=SC2086 # spec is five words by construction
	set -- $spec
	suite=$1 subdir=$2 flood=$3 arch=$4 headers=$5
	if [ -n "$cores" ]; then
		src=$cores/$subdir
	else
		src=$work/$name.crash
		rm -rf "$src"
		set -- --suite "$suite" --flood "$flood"
		[ "$arch" = amd64 ] || set -- "$@" --arch "$arch"
		[ "$headers" = - ] || set -- "$@" --core-headers "$headers"
		if [ "$arch" = s390x ]; then
			sh tests/e2e/build-s390x-kernel.sh "$work/s390x-build" "$work/s390x-kernel" >/dev/null ||
				die "$name: build-s390x-kernel.sh failed"
			set -- "$@" --kernel "$work/s390x-kernel"
		fi
		sh tests/e2e/crash-kernel.sh "$@" "$src" ||
			die "$name: crash-kernel.sh $* failed"
	fi
	full=$src/vmcore
	if [ ! -s "$full" ] || [ ! -s "$src/kmsg.txt" ]; then
		die "$name: $src lacks vmcore or kmsg.txt"
	fi
	t=$work/$name
	rm -rf "$t"
	mkdir -p "$t"
	problems=0

	cp "$src/kmsg.txt" "$t/$name.kmsg-snapshot"
	vmcoreinfo_of "$full" >"$t/$name.vmcoreinfo.txt" || die "$name: no VMCOREINFO note in $full"
	release=$(vmcoreinfo_value "$t/$name.vmcoreinfo.txt" OSRELEASE) || die "$name: no OSRELEASE"

	# Trim, then every output of the trimmed core must equal the full core's.
	rm -f "$t/$name.vmcore"
	cdm "$t/trim.out" -q --save-minimal "$t/$name.vmcore" "$full"
	size=$(stat -c %s "$t/$name.vmcore")
	[ "$size" -lt "$big" ] || printf 'make-real-fixtures: %s: note: trimmed core is %s bytes\n' "$name" "$size" >&2
	for mode in dmesg vmcore-dmesg kmsg json; do
		case $mode in
		dmesg) set -- -q ;;
		*) set -- -q "--$mode" ;;
		esac
		cdm "$t/full.$mode" "$@" "$full"
		cdm "$t/$name.$mode" "$@" "$t/$name.vmcore"
		cmp -s "$t/full.$mode" "$t/$name.$mode" ||
			bad "$name" "crashdmesg ${2:-} differs between the full and the trimmed core"
	done

	# kexec-tools' vmcore-dmesg on the full core (and on the trimmed one).
	vmcore-dmesg "$full" >"$t/full.peer" 2>&1 || die "$name: vmcore-dmesg $full failed"
	vmcore-dmesg "$t/$name.vmcore" >"$t/trim.peer" 2>&1 || bad "$name" "vmcore-dmesg cannot read the trimmed core"
	cmp -s "$t/full.peer" "$t/trim.peer" || bad "$name" "vmcore-dmesg: trimmed core differs from full"
	cmp -s "$t/full.peer" "$t/$name.vmcore-dmesg" ||
		bad "$name" "crashdmesg --vmcore-dmesg != vmcore-dmesg on the full core (diff $t/full.peer $t/$name.vmcore-dmesg)"

	# Ground truth: the snapshot's records (those the ring still held).
	wrapped=
	[ "$flood" -eq 0 ] || wrapped=wrapped
	kmsg_check "$t/$name.kmsg-snapshot" "$t/$name.kmsg" $wrapped || bad "$name" "--kmsg vs the snapshot"
	json_check "$t/$name.kmsg-snapshot" "$t/$name.json" $wrapped || bad "$name" "--json vs the snapshot"
	first=$(sed -n '1s/^[0-9]*,\([0-9]*\),.*/\1/p' "$t/$name.kmsg")
	kmsg_from_seq "$t/$name.kmsg-snapshot" "$first" >"$t/snapshot.kept"
	kmsg_to_dmesg "$t/snapshot.kept" >"$t/snapshot.dmesg"
	head -c "$(wc -c <"$t/snapshot.dmesg")" "$t/$name.dmesg" | cmp -s - "$t/snapshot.dmesg" ||
		bad "$name" "default output does not begin with dmesg's rendering of the snapshot"

	# makedumpfile, its quirks undone (tests/e2e/oracles.sh). Debian's amd64
	# build reads only x86_64 cores (on i386 ones: "vtop4_x86_64: Can't get
	# the symbol of init_level4_pgt/init_top_pgt.", exit 1; arm64 likewise):
	# not asked there.
	rm -f "$t/makedumpfile.txt"
	if [ "$arch" != amd64 ]; then
		:
	elif makedumpfile --dump-dmesg "$full" "$t/makedumpfile.txt" >"$t/makedumpfile.err" 2>&1; then
		norm_makedumpfile "$t/makedumpfile.txt" >"$t/makedumpfile.norm"
		case $release in
		5.10.*) drop_empty_records "$t/$name.vmcore-dmesg" >"$t/cd.for-makedumpfile" ;;
		*) cp "$t/$name.vmcore-dmesg" "$t/cd.for-makedumpfile" ;;
		esac
		cmp -s "$t/makedumpfile.norm" "$t/cd.for-makedumpfile" ||
			bad "$name" "makedumpfile (normalised) differs (diff $t/makedumpfile.norm $t/cd.for-makedumpfile)"
	else
		bad "$name" "makedumpfile --dump-dmesg failed: $(tail -n 1 "$t/makedumpfile.err")"
	fi

	[ "$problems" -eq 0 ] || die "$name: $problems verification(s) failed; fixtures/real untouched"

	# Install: the core first, then the summary that names its path.
	mkdir -p "$dest"
	mv "$t/$name.vmcore" "$dest/$name.vmcore"
	cdm "$t/$name.summary" --summary "$dest/$name.vmcore"
	grep -q -F -e "$release" "$t/$name.summary" || die "$name: --summary lacks $release"
	grep -q -F -e "$panic_line" "$t/$name.summary" || die "$name: --summary lacks the panic line"
	for ext in dmesg vmcore-dmesg kmsg json summary kmsg-snapshot vmcoreinfo.txt; do
		mv "$t/$name.$ext" "$dest/$name.$ext"
	done
	printf 'make-real-fixtures: %s: %s (Debian %s), %s bytes, verified\n' "$name" "$release" \
		"$(sed -n 's/^  kernel: .* Debian \([^ ]*\) .*/\1/p' "$dest/$name.summary")" "$size"
}

cores=
while [ $# -gt 0 ]; do
	case $1 in
	--cores)
		[ $# -ge 2 ] || die "--cores wants a directory"
		cores=$2
		shift 2
		;;
	-*) die "usage: make-real-fixtures.sh [--cores DIR] [NAME...]" ;;
	*) break ;;
	esac
done
if [ ! -x "$bin" ] || [ -d "$bin" ]; then
	die "$bin is not built (make build/asan/crashdmesg)"
fi
mkdir -p "$work"
[ $# -gt 0 ] || set -- bullseye-5.10 bookworm-6.1 trixie-6.12 bookworm-6.1-wrapped \
	bookworm-6.1-i386-elf32 bookworm-6.1-i386-elf64 trixie-6.12-arm64 bookworm-6.1-s390x
for name in "$@"; do
	make_one "$name"
done
