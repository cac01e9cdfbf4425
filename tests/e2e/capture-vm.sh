#!/bin/sh
# capture-vm.sh [options] SCENARIO OUTDIR
# capture-vm.sh --build-image FILE
#
# Crash a real Debian 6.1 kernel under QEMU (TCG, never KVM) that runs
# crashkit's own first-kernel userland, and keep what the capture left.
#
# SCENARIO is a directory: SCENARIO/crashkit.conf becomes the guest's
# /etc/crashkit.conf, SCENARIO/crashkit/ (optional) its /etc/crashkit/ (hooks,
# ssh key, known_hosts, ftp password: modes kept), SCENARIO/flags (optional)
# its /e2e/flags (words: "test" runs `crashctl test` too).
#
# The first kernel (tests/e2e/guest/first-init.sh) brings up DHCP on QEMU's
# user network (the host's 127.0.0.1 is 10.0.2.2 there), runs `crashctl
# build`, `crashctl load`, `crashctl status`, saves a /dev/kmsg snapshot and
# crashes with sysrq-c. The capture kernel is whatever crashctl built and
# loaded. QEMU runs with -no-reboot, so the capture's final action ends it.
#
# Guest disks (virtio-blk, in this order, so vda..vdd in the first kernel):
#   result    raw: the first kernel's results as a tar archive
#   target    ext4, LABEL=CRASHTGT (--target-size, default 512M): LOCAL_DEVICE
#   fallback  ext4, LABEL=CRASHFB (64M): FALLBACK_DEVICE
#   rawcopy   raw, starts "CRASHKIT-E2E-RAWCOPY": tests/e2e/guest/rawcopy.sh
#             (a post.d hook) puts the capture kernel's raw /proc/vmcore there
# plus the kernel's module tree as a read-only 9p share (mount tag "modules",
# mounted on /lib/modules), a virtio NIC, and with --watchdog an i6300esb.
#
# OUTDIR gets:
#   console.log   both kernels' serial console
#   console.log.stalled  the console of a first boot that stalled, when
#                 the guest had to boot twice (tests/e2e/qemu-watch.sh)
#   result        key=value lines: outcome (rebooted | poweroff | reset |
#                 timeout | stalled | qemu-failed), capture_booted (yes/no),
#                 qemu_seconds, boots (1, or 2 after a stall), reboot_uptime (capture kernel's printk time of
#                 "reboot: Restarting system", i.e. panic -> reboot seconds),
#                 first_state (crashed, or the first kernel's failure)
#   first/        the first kernel's files: kmsg.txt, release, {build,load,
#                 status,test}.{log,rc}, initrd.img (crashctl build's output),
#                 crash_size, varlib.ls, fail
#   target/, fallback/   the two ext4 disks' contents (debugfs rdump: modes
#                 kept), and target.ls / fallback.ls (debugfs ls -l, recursive)
#   vmcore.raw    the raw /proc/vmcore copy, when the hook wrote one (0600)
#
# Options:
#   --image FILE       the first kernel's image (from --build-image), else one
#                      is built for this run
#   --placeholder      harness self-test: no crashctl; the first kernel loads
#                      tests/e2e/guest/placeholder-init.sh's capture initramfs
#   --crashkernel SIZE crashkernel= of the first kernel (default 160M)
#   --mem MIB          guest RAM (default 512: with 384 a randomized kernel
#                      sometimes leaves no 160M hole, "crashkernel reservation
#                      failed - No suitable area found")
#   --target-size SIZE the target disk (default 512M)
#   --watchdog         add -device i6300esb
#   --smp N            guest CPUs (default 1: two 2-CPU TCG guests on a 2-core
#                      host spin on each other's descheduled vCPUs and take
#                      ~1.6x the CPU; one scenario with 2 covers the SMP crash)
#   --timeout SECONDS  QEMU's time limit (default 600: a scenario takes 2-5 min
#                      under TCG on a loaded 2-core host)
#   --keep-disks       keep OUTDIR/disks/*.img
# Exit: 0 when QEMU ran and its disks were read (whatever the outcome), 1 on a
# harness failure, 2 on usage errors.
set -eu
PATH=$PATH:/usr/sbin:/sbin

suite=bookworm
mem=512
crashkernel=160M
target_size=512M
watchdog=
qemu_timeout=600
smp=1
keep_disks=
placeholder=
image=
build_image=

die() {
	printf 'capture-vm: FAIL: %s\n' "$*" >&2
	exit 1
}

usage() {
	printf 'usage: capture-vm.sh [--image FILE] [--placeholder] [--crashkernel SIZE] [--mem MIB] [--target-size SIZE] [--watchdog] [--smp N] [--timeout S] [--keep-disks] SCENARIO OUTDIR\n       capture-vm.sh --build-image FILE\n' >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case $1 in
	--image | --crashkernel | --mem | --target-size | --timeout | --smp | --build-image)
		[ $# -ge 2 ] || usage
		case $1 in
		--image) image=$2 ;;
		--crashkernel) crashkernel=$2 ;;
		--mem) mem=$2 ;;
		--target-size) target_size=$2 ;;
		--timeout) qemu_timeout=$2 ;;
		--smp) smp=$2 ;;
		--build-image) build_image=$2 ;;
		esac
		shift 2
		;;
	--placeholder) placeholder=1 && shift ;;
	--watchdog) watchdog=1 && shift ;;
	--keep-disks) keep_disks=1 && shift ;;
	--) shift && break ;;
	-*) usage ;;
	*) break ;;
	esac
done
if [ -n "$build_image" ]; then
	[ $# -eq 0 ] || usage
else
	[ $# -eq 2 ] || usage
	scenario=$1
	outdir=$2
	[ -f "$scenario/crashkit.conf" ] || die "$scenario/crashkit.conf missing"
fi
case $mem in
'' | *[!0-9]*) die "--mem wants MiB, got '$mem'" ;;
esac
case $qemu_timeout in
'' | *[!0-9]*) die "--timeout wants seconds, got '$qemu_timeout'" ;;
esac
case $smp in
[1-8]) ;;
*) die "--smp wants 1-8 CPUs, got '$smp'" ;;
esac

script_dir=$(cd "${0%/*}" && pwd)
top=$(cd "$script_dir/../.." && pwd)
# shellcheck source=tests/e2e/qemu-watch.sh
. "$script_dir/qemu-watch.sh"
guest=$script_dir/guest
cache=${CRASHKIT_CACHE:-$top/.cache/kernels}
kdir=$cache/$suite

for tool in qemu-system-x86_64 busybox kexec ssh modprobe cpio gzip tar timeout truncate dd mke2fs debugfs ldd; do
	command -v "$tool" >/dev/null 2>&1 ||
		die "$tool not found (sh tests/deps.sh)"
done
busybox_bin=$(command -v busybox)
if ldd "$busybox_bin" >/dev/null 2>&1; then
	die "$busybox_bin is not static (apt-get install busybox-static)"
fi
"$script_dir/fetch-kernel.sh" "$suite" "$kdir" >/dev/null || die "fetch-kernel.sh $suite failed"
kver=$(cat "$kdir/version")

work=$(mktemp -d "${TMPDIR:-/tmp}/capture-vm.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

# tree_busybox DIR: busybox and a link for each applet in DIR/bin.
tree_busybox() {
	local applet
	mkdir -p "$1/bin" "$1/sbin" "$1/usr/bin" "$1/usr/sbin" "$1/proc" "$1/sys" "$1/dev" \
		"$1/tmp" "$1/etc" "$1/root" "$1/usr/share/udhcpc"
	cp "$busybox_bin" "$1/bin/busybox"
	for applet in $("$busybox_bin" --list); do
		[ "$applet" = busybox ] || ln -s busybox "$1/bin/$applet"
	done
	# The kernel runs /sbin/modprobe to load a file system's module.
	ln -s ../bin/busybox "$1/sbin/modprobe"
	printf 'root:x:0:0:root:/root:/bin/sh\n' >"$1/etc/passwd"
	printf 'root:x:0:\n' >"$1/etc/group"
	cp "$guest/udhcpc.sh" "$1/usr/share/udhcpc/default.script"
	chmod 755 "$1/usr/share/udhcpc/default.script"
}

# tree_modules DIR MODULE...: the MODULEs and their dependencies (modules.dep
# of the fetched kernel), decompressed, in DIR/lib/e2e-modules, and
# load-order naming them in insmod order.
tree_modules() {
	local dir mod line path name order
	dir=$1/lib/e2e-modules
	shift
	mkdir -p "$dir"
	order=$dir/load-order
	touch "$order"
	for mod in "$@"; do
		modprobe -d "$kdir" -S "$kver" --show-depends "$mod" >"$work/deps" ||
			die "modprobe --show-depends $mod failed in $kdir"
		while read -r line; do
			case $line in
			insmod\ *) ;;
			*) continue ;; # builtin
			esac
			path=${line#insmod }
			path=${path%% *}
			name=${path##*/}
			name=${name%%.ko*}.ko
			grep -qx "$name" "$order" && continue
			# qemu64 has no SSE4.2: crc32c-intel refuses to load.
			case $name in
			*-intel.ko) continue ;;
			esac
			case $path in
			*.ko) cp "$path" "$dir/$name" ;;
			*.ko.xz) xz -dc "$path" >"$dir/$name" ;;
			*.ko.zst) zstd -qdc "$path" >"$dir/$name" ;;
			*) die "unexpected module file $path" ;;
			esac
			printf '%s\n' "$name" >>"$order"
		done <"$work/deps"
	done
}

# tree_elf DIR FILE: FILE and the shared libraries ldd names, same paths.
tree_elf() {
	local lib
	mkdir -p "$1${2%/*}"
	cp -L "$2" "$1$2"
	for lib in $(ldd "$2" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
		mkdir -p "$1${lib%/*}"
		[ -e "$1$lib" ] || cp -L "$lib" "$1$lib"
	done
}

# make_cpio DIR OUT: DIR as a gzip'd newc archive, owned by root.
make_cpio() {
	(cd "$1" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet >"$work/cpio.tmp") ||
		die "cpio of $1 failed"
	gzip -1 -n <"$work/cpio.tmp" >"$2"
	rm -f "$work/cpio.tmp"
}

# copy_crashkit DIR: crashkit's tree (capture/, initramfs/, the built
# binaries and the fixture core crashctl test uses) under DIR/opt/crashkit, laid out as in the source tree so that
# crashctl finds its data and binaries there.
copy_crashkit() {
	local d f
	d=$1/opt/crashkit
	mkdir -p "$d/crashdmesg"
	[ -x "$top/crashdmesg/crashdmesg" ] || die "$top/crashdmesg/crashdmesg is not built (make)"
	cp "$top/crashdmesg/crashdmesg" "$d/crashdmesg/crashdmesg"
	for f in capture initramfs; do
		[ -d "$top/$f" ] || continue
		(cd "$top" && find "$f" -type f ! -name '*.o' ! -name '*.d' | cpio -pdm --quiet "$d") ||
			die "copying $top/$f failed"
	done
	[ -x "$d/capture/crashcopy/crashcopy" ] || die "$top/capture/crashcopy/crashcopy is not built (make)"
	# crashctl test runs the capture pipeline on this bundled core.
	if [ -f "$top/fixtures/real/bookworm-6.1.vmcore" ]; then
		mkdir -p "$d/fixtures/real"
		cp "$top/fixtures/real/bookworm-6.1.vmcore" "$d/fixtures/real/"
	fi
}

# build_image OUT: the first kernel's initramfs, shared by every scenario.
build_image() {
	local r
	r=$work/first
	rm -rf "$r"
	tree_busybox "$r"
	tree_modules "$r" virtio_pci virtio_blk 9pnet_virtio 9p
	tree_elf "$r" "$(command -v kexec)"
	tree_elf "$r" "$(command -v ssh)"
	tree_elf "$r" "$(command -v ssh-keygen)"
	# ldd (libc-bin, on every Debian system) is a bash script: crashctl
	# build uses it for the ssh client's libraries.
	tree_elf "$r" /bin/bash
	cp /usr/bin/ldd "$r/usr/bin/ldd"
	mkdir -p "$r/boot" "$r/e2e"
	cp "$kdir/vmlinuz" "$r/boot/vmlinuz-$kver"
	cp "$kdir/boot/config-$kver" "$r/boot/config-$kver"
	copy_crashkit "$r"
	cp "$guest/first-init.sh" "$r/init"
	chmod 755 "$r/init"
	make_cpio "$r" "$1.tmp"
	mv "$1.tmp" "$1"
}

# build_placeholder OUT: the self-test capture initramfs (placeholder-init.sh)
# with the scenario's configuration.
build_placeholder() {
	local r
	r=$work/placeholder
	rm -rf "$r"
	tree_busybox "$r"
	tree_modules "$r" virtio_pci virtio_blk virtio_net ext4 nfsv4
	tree_elf "$r" "$(command -v ssh)"
	cp "$top/crashdmesg/crashdmesg" "$r/bin/crashdmesg"
	cp "$guest/placeholder-init.sh" "$r/init"
	chmod 755 "$r/init"
	copy_scenario "$r"
	make_cpio "$r" "$1"
}

# copy_scenario DIR: the scenario's configuration into the guest tree DIR.
copy_scenario() {
	mkdir -p "$1/etc" "$1/e2e"
	cp "$scenario/crashkit.conf" "$1/etc/crashkit.conf"
	if [ -d "$scenario/crashkit" ]; then
		cp -a "$scenario/crashkit" "$1/etc/crashkit"
	fi
	if [ -f "$scenario/flags" ]; then
		cp "$scenario/flags" "$1/e2e/flags"
	else
		: >"$1/e2e/flags"
	fi
}

if [ -n "$build_image" ]; then
	build_image "$build_image"
	printf 'capture-vm: %s (%s bytes)\n' "$build_image" "$(stat -c %s "$build_image")"
	exit 0
fi

if [ -z "$image" ]; then
	image=$work/first.cpio.gz
	build_image "$image"
fi
[ -s "$image" ] || die "$image missing (capture-vm.sh --build-image FILE)"

rm -rf "$outdir"
mkdir -p "$outdir/disks"
outdir=$(cd "$outdir" && pwd)
disks=$outdir/disks

# The scenario's cpio goes after the shared image: the kernel unpacks both.
s=$work/scenario
mkdir -p "$s"
copy_scenario "$s"
if [ -n "$placeholder" ]; then
	build_placeholder "$s/e2e/placeholder.cpio.gz"
	echo placeholder >>"$s/e2e/flags"
fi
make_cpio "$s" "$work/scenario.cpio.gz"
cat "$image" "$work/scenario.cpio.gz" >"$work/initrd"

# make_disks: fresh guest disks (a stalled first boot may have written some).
make_disks() {
	rm -f "$disks"/*.img
	truncate -s 64M "$disks/result.img"
	truncate -s "$target_size" "$disks/target.img"
	mke2fs -q -F -t ext4 -L CRASHTGT "$disks/target.img" >"$work/mke2fs.log" 2>&1 ||
		die "mke2fs of the target disk: $(tail -n 1 "$work/mke2fs.log")"
	truncate -s 64M "$disks/fallback.img"
	mke2fs -q -F -t ext4 -L CRASHFB "$disks/fallback.img" >"$work/mke2fs.log" 2>&1 ||
		die "mke2fs of the fallback disk: $(tail -n 1 "$work/mke2fs.log")"
	truncate -s "$((mem + 64))M" "$disks/rawcopy.img"
	printf 'CRASHKIT-E2E-RAWCOPY\n' | dd of="$disks/rawcopy.img" conv=notrunc status=none
}

set -- -device virtio-net-pci,netdev=n0,addr=0x9
[ -z "$watchdog" ] || set -- "$@" -device i6300esb,addr=0xa

console=$outdir/console.log
# The first kernel gets half the limit to reach its crash (it takes 40-80 s
# here), then one more boot if it stalled (tests/e2e/qemu-watch.sh).
first_deadline=$((qemu_timeout / 2))
qemu_boot capture-vm "$first_deadline" "$console" make_disks \
	timeout -k 10 "$qemu_timeout" qemu-system-x86_64 -accel tcg -M pc -cpu qemu64 -smp "$smp" -m "$mem" \
	-nographic -no-reboot \
	-kernel "$kdir/vmlinuz" -initrd "$work/initrd" \
	-append "console=ttyS0 crashkernel=$crashkernel panic=1 printk.devkmsg=on" \
	-drive "file=$disks/result.img,format=raw,if=none,id=d1" -device virtio-blk-pci,drive=d1,addr=0x4 \
	-drive "file=$disks/target.img,format=raw,if=none,id=d2" -device virtio-blk-pci,drive=d2,addr=0x5 \
	-drive "file=$disks/fallback.img,format=raw,if=none,id=d3" -device virtio-blk-pci,drive=d3,addr=0x6 \
	-drive "file=$disks/rawcopy.img,format=raw,if=none,id=d4" -device virtio-blk-pci,drive=d4,addr=0x7 \
	-virtfs "local,path=$kdir/lib/modules,mount_tag=modules,security_model=none,readonly=on" \
	-netdev user,id=n0 "$@"
rc=$qemu_rc seconds=$qemu_seconds boots=$qemu_boots

# The outcome. A reboot or power-off request ends QEMU (-no-reboot) with
# status 0 after the kernel's last words; a watchdog or triple-fault reset
# ends it without them; a hang runs into the timeout.
capture_booted=no
grep -aq 'Command line:.*elfcorehdr=' "$console" && capture_booted=yes
last=$(grep -a -E 'reboot: (Restarting system|Power down)|System halted' "$console" | tail -n 1 | tr -d '\r') || last=
case $rc in
0)
	case $last in
	*Restarting*) outcome=rebooted ;;
	*'Power down'*) outcome=poweroff ;;
	*) outcome=reset ;;
	esac
	;;
124 | 137) outcome=timeout ;;
125) outcome=stalled ;;
*) outcome=qemu-failed ;;
esac
# Seconds since the capture kernel started (its printk clock) at the reboot.
reboot_uptime=
if [ "$capture_booted" = yes ] && [ "$outcome" = rebooted ]; then
	reboot_uptime=$(sed -n 's/^\[ *\([0-9]*\.[0-9]*\)\] reboot: Restarting system.*/\1/p' "$console" | tr -d '\r' | tail -n 1)
fi

mkdir -p "$outdir/first"
tar -xf "$disks/result.img" -C "$outdir/first" 2>/dev/null || true
first_state=none
[ -f "$outdir/first/state" ] && first_state=$(cat "$outdir/first/state")
[ -f "$outdir/first/fail" ] && first_state="failed: $(cat "$outdir/first/fail")"

# debugfs reads the ext4 images without mounting them (no root, no loop).
for d in target fallback; do
	mkdir -p "$outdir/$d"
	debugfs -R "rdump / $outdir/$d" "$disks/$d.img" >"$work/rdump.log" 2>&1 ||
		die "debugfs rdump of $d: $(tail -n 1 "$work/rdump.log")"
	rm -rf "$outdir/$d/lost+found"
	debugfs -R "ls -l -p /" "$disks/$d.img" >"$outdir/$d.ls" 2>/dev/null || true
done

header=$(head -c 64 "$disks/rawcopy.img" | head -n 1 | tr -d '\0')
case $header in
'CRASHKIT-VMCORE '[0-9]*)
	size=${header#CRASHKIT-VMCORE }
	(
		umask 077
		dd if="$disks/rawcopy.img" of="$outdir/vmcore.raw" bs=1M skip=1 count="$size" \
			iflag=count_bytes status=none
	) || die "extracting the raw core failed"
	;;
esac
[ -n "$keep_disks" ] || rm -rf "$disks"

{
	echo "outcome=$outcome"
	echo "capture_booted=$capture_booted"
	echo "qemu_status=$rc"
	echo "qemu_seconds=$seconds"
	echo "boots=$boots"
	echo "reboot_uptime=$reboot_uptime"
	echo "first_state=$first_state"
} >"$outdir/result"
printf 'capture-vm: %s: %s, capture kernel booted: %s, qemu %ss%s%s, first kernel: %s\n' \
	"${scenario##*/}" "$outcome" "$capture_booted" "$seconds" \
	"$([ "$boots" = 1 ] || echo " (boot $boots: the first stalled)")" \
	"${reboot_uptime:+, panic -> reboot ${reboot_uptime}s}" "$first_state"
