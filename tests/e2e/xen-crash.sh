#!/bin/sh
# xen-crash.sh [--no-crashkernel] [--no-domu] [--mem MIB] [--cache DIR] OUTDIR
#
# Crash a real Xen 4.17 PV dom0 (Debian 12's hypervisor, Debian 6.1 dom0)
# under QEMU TCG and keep what it left:
#   OUTDIR/vmcore          the capture kernel's /proc/vmcore: a Xen machine
#                          core (mode 0600)
#   OUTDIR/kmsg.txt        dom0's /dev/kmsg read just before the crash
#   OUTDIR/console.log     serial output: Xen, dom0 (hvc0 through Xen's
#                          console) and the capture kernel
#   OUTDIR/facts.txt       key=value facts measured in dom0 (see below)
#   OUTDIR/xen-info-before.txt, xen-info-after.txt
#                          `crashkit-xen info` before and after kexec -p
#   OUTDIR/xl-dmesg.txt    `xl dmesg` (Xen's console ring) before the crash
#   OUTDIR/xensyms.txt     the conring* lines of /proc/xen/xensyms and
#                          page_alloc.c's _heap and total_avail_pages (for
#                          tests/xen_frames_check.py)
#   OUTDIR/kexec.log       what kexec -p (or crashctl load) printed
#   OUTDIR/xl-list.txt     `xl list` with the paused domU
#   OUTDIR/xl-info.txt     `xl info` after the domU was created (total_memory,
#                          free_memory: what a dom0+Xen dump may keep)
#   OUTDIR/crashctl-status-before.txt, crashctl-status-after.txt,
#   OUTDIR/crashctl-doctor-before.txt, crashctl-doctor-after.txt
#                          `crashctl status` and `crashctl doctor` in dom0
#                          before and after the load, when the tree has
#                          initramfs/crashctl ($CRASHCTL overrides); exit
#                          codes in facts.txt
#   OUTDIR/capture-cmdline.txt  /proc/cmdline of the capture kernel
#   OUTDIR/capture/        what crashdmesg printed in the capture kernel, when
#                          a static crashdmesg is there ($CRASHDMESG_STATIC, else
#                          crashdmesg/crashdmesg): dmesg.txt and
#                          xen-console.txt (--xen), each with .err and .rc;
#                          and, when a static crashcopy with -X is there
#                          ($CRASHCOPY_STATIC, else capture/crashcopy/crashcopy),
#                          vmcore-x: `crashcopy -X -E` of /proc/vmcore made in
#                          the capture kernel (Xen + dom0 frames only), with
#                          crashcopy.rc, .err, .seconds
#   OUTDIR/crashcapture/crash/xen-e2e-*/  what capture/crashcapture (when the
#                          tree has it) saved on an ext4 disk: vmcore
#                          (crashcopy -X -l -d 31), dmesg.txt, xen-console.txt,
#                          manifest.json; its exit code in capture/
#
# How: QEMU (-accel tcg -cpu max,-smap: TCG's SMAP makes Xen kill the PV dom0
# at its first page fault) boots Xen by multiboot (-kernel) with
# crashkernel=256M@64M on Xen's command line and the bookworm kernel as dom0
# on a busybox initramfs. dom0 loads xen-privcmd, asks Xen through
# crashkit-xen (initramfs/crashkit-xen.c, built static here) where the crash
# area is and whether an image is loaded, cross-checks with `kexec -p -S`,
# `kexec --print-ckr-size` and `xl dmesg`, loads the same 6.1 kernel as a
# native capture kernel with `crashctl load` (when the tree has crashctl;
# else `kexec -p` with xen_load_args' words: console=ttyS0, never dom0's
# hvc0; crashkit.dom0_vmcoreinfo=<machine address from
# /sys/kernel/vmcoreinfo>),
# starts xenstored and xenconsoled and creates a small paused PV domU
# (`xl create -p`; the same kernel, 128 MiB, a 32 MiB ramdisk of marker
# blocks), snapshots /dev/kmsg, writes a
# tar of its findings to disk 1 and crashes with sysrq c. Xen executes the
# capture kernel, which runs crashdmesg on /proc/vmcore (a tar to disk 3)
# and crashcopy -X (a flattened stream to disk 4), copies /proc/vmcore to
# disk 2 and powers off.
#
# --no-crashkernel boots Xen without crashkernel= (and puts crashkernel=128M
# on dom0's line instead, which a PV dom0 ignores): dom0 records what it
# finds (no reservation) and powers off without loading or crashing. OUTDIR then
# holds facts.txt, xen-info-before.txt, xl-dmesg.txt, console.log only.
# --no-domu skips the domU. --mem sets the machine's RAM (default 1024; dom0
# gets 384 MiB).
#
# facts.txt keys: xen_cmdline (crashkit-xen cmdline), dom0_cmdline
# (/proc/cmdline), sysfs_crash_size, sysfs_crash_loaded_before/_after
# (/sys/kernel/kexec_crash_*), helper_range, helper_loaded_before/_after,
# kexec_status_before/_after (exit code of kexec -p -S), ckr_size
# (kexec --print-ckr-size), dom0_vmcoreinfo (/sys/kernel/vmcoreinfo),
# hypervisor_type, guest_type, xl_kdump (the Kdump: line of xl dmesg), domu
# (created|failed|skipped), domu_marker_blocks (4 KiB marker blocks in the
# domU's ramdisk; written on the host), load_by (crashctl|kexec), kexec_rc; and what initramfs/xen.sh (sourced in
# dom0 as crashctl does) answers: xensh_pv_dom0, xensh_range,
# xensh_loaded_before/_after, xensh_cmdline, xensh_check_rc (xen_check's
# lines go to OUTDIR/xen-check.txt), xensh_load_args (the words kexec -p
# appends to the capture command line).
#
# Kernels come from tests/e2e/fetch-kernel.sh (cached in --cache DIR, default
# $CRASHKIT_CACHE, else .cache/kernels), Xen from tests/e2e/fetch-xen.sh
# (cached in .cache/xen beside it).
set -eu
PATH=$PATH:/usr/sbin:/sbin

MEM_MIB=1024
DOM0_MEM=384M
CRASHKERNEL=256M@64M
# The paused domU's ramdisk, in 4 KiB marker blocks (32 MiB).
DOMU_MARKER_BLOCKS=8192
QEMU_TIMEOUT=600
# console= and crashkit.dom0_vmcoreinfo= come from xen_load_args (initramfs/xen.sh).
CAPTURE_APPEND="irqpoll nr_cpus=1 reset_devices panic=1 loglevel=7"

die() {
	printf 'xen-crash: FAIL: %s\n' "$*" >&2
	exit 1
}

usage() {
	printf 'usage: xen-crash.sh [--no-crashkernel] [--no-domu] [--mem MIB] [--cache DIR] OUTDIR\n' >&2
	exit 2
}

crashkernel=1
domu=1
cache=
while [ $# -gt 0 ]; do
	case $1 in
	--no-crashkernel)
		crashkernel=
		shift
		;;
	--no-domu)
		domu=
		shift
		;;
	--mem)
		[ $# -ge 2 ] || usage
		MEM_MIB=$2
		shift 2
		;;
	--cache)
		[ $# -ge 2 ] || usage
		cache=$2
		shift 2
		;;
	--) shift && break ;;
	-*) usage ;;
	*) break ;;
	esac
done
[ $# -eq 1 ] || usage
outdir=$1
case $MEM_MIB in
'' | *[!0-9]*) die "--mem wants a size in MiB, got '$MEM_MIB'" ;;
esac
[ "$MEM_MIB" -ge 768 ] || die "--mem wants at least 768 MiB (dom0 384, crash area 256), got $MEM_MIB"

script_dir=$(cd "${0%/*}" && pwd)
repo_root=$(cd "$script_dir/../.." && pwd)
# shellcheck source=tests/e2e/qemu-watch.sh
. "$script_dir/qemu-watch.sh"
[ -n "$cache" ] || cache=${CRASHKIT_CACHE:-$repo_root/.cache/kernels}
xcache=${cache%/}/../xen

for tool in qemu-system-x86_64 busybox kexec modprobe cpio gzip tar timeout truncate dd gcc ldd; do
	command -v "$tool" >/dev/null 2>&1 ||
		die "$tool not found (apt-get install qemu-system-x86 busybox-static kexec-tools kmod cpio gcc libc6-dev)"
done
busybox_bin=$(command -v busybox)
if ldd "$busybox_bin" >/dev/null 2>&1; then
	die "$busybox_bin is not static (apt-get install busybox-static)"
fi

kdir=$cache/bookworm
"$script_dir/fetch-kernel.sh" bookworm "$kdir" >/dev/null
version=$(cat "$kdir/version")
"$script_dir/fetch-xen.sh" "$xcache" >/dev/null
xroot=$xcache/root
xlib=$xroot/usr/lib/x86_64-linux-gnu
xbin=$xroot/usr/lib/xen-4.17/bin

work=$(mktemp -d "${TMPDIR:-/tmp}/xen-crash.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
console=$work/console.log
case $work in
*,*) die "work directory $work has a comma (QEMU's -initrd list cannot hold it)" ;;
esac

fail_run() {
	local guest
	guest=$(grep -a 'crashkit-e2e: FAIL:' "$console" 2>/dev/null | head -n 1 | tr -d '\r') || guest=
	printf 'xen-crash: FAIL: %s%s\n' "$1" "${guest:+ ($guest)}" >&2
	if [ -s "$console" ]; then
		printf -- '--- last lines of the console log:\n' >&2
		tail -n 30 "$console" | tr -d '\r' >&2
		mkdir -p "$outdir" && cp "$console" "$outdir/console.log"
	fi
	exit 1
}

tree_busybox() {
	local applet
	mkdir -p "$1/bin" "$1/proc" "$1/sys" "$1/dev" "$1/tmp" "$1/run" "$1/var"
	cp "$busybox_bin" "$1/bin/busybox"
	for applet in $("$busybox_bin" --list); do
		[ "$applet" = busybox ] || ln -s busybox "$1/bin/$applet"
	done
}

# tree_modules DIR MODULE...: the MODULEs with their dependencies,
# decompressed, and lib/modules/load-order naming them in insmod order.
tree_modules() {
	local mod line path name order dir
	dir=$1
	shift
	mkdir -p "$dir/lib/modules"
	order=$dir/lib/modules/load-order
	: >"$order"
	for mod in "$@"; do
		modprobe -d "$kdir" -S "$version" --show-depends "$mod" >"$work/deps" ||
			die "modprobe --show-depends $mod failed in $kdir"
		while read -r line; do
			case $line in
			insmod\ *) ;;
			*) continue ;;
			esac
			path=${line#insmod }
			path=${path%% *}
			name=${path##*/}
			name=${name%%.ko*}.ko
			grep -qx "$name" "$order" && continue
			case $name in
			*-intel.ko) continue ;;
			esac
			case $path in
			*.ko) cp "$path" "$dir/lib/modules/$name" ;;
			*.ko.xz) xz -dc "$path" >"$dir/lib/modules/$name" ;;
			*.ko.zst) zstd -qdc "$path" >"$dir/lib/modules/$name" ;;
			*.ko.gz) gzip -dc "$path" >"$dir/lib/modules/$name" ;;
			*) die "unexpected module file $path" ;;
			esac
			printf '%s\n' "$name" >>"$order"
		done <"$work/deps"
	done
}

# tree_elf DIR FILE [AS]: FILE (as path AS) and the shared libraries it
# needs, the Xen ones from the unpacked Xen packages, the rest the host's.
tree_elf() {
	local lib as
	as=${3:-$2}
	mkdir -p "$1${as%/*}"
	cp -L "$2" "$1$as"
	for lib in $(LD_LIBRARY_PATH=$xlib ldd "$2" |
		awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
		case $lib in
		"$xlib"/*)
			mkdir -p "$1/usr/lib/x86_64-linux-gnu"
			cp -L "$lib" "$1/usr/lib/x86_64-linux-gnu/${lib##*/}"
			;;
		*)
			mkdir -p "$1${lib%/*}"
			cp -L "$lib" "$1$lib"
			;;
		esac
	done
}

make_cpio() {
	(cd "$1" && find . | cpio -o -H newc -R 0:0 --quiet >"$work/cpio.tmp") ||
		die "cpio of $1 failed"
	gzip -1 <"$work/cpio.tmp" >"$2"
	rm -f "$work/cpio.tmp"
}

# The capture kernel's /init: copy /proc/vmcore to disk 2 behind a header.
write_capture_init() {
	cat >"$1" <<'GUEST'
#!/bin/sh
PATH=/bin
export PATH
fail() {
	echo "crashkit-e2e: FAIL: $*"
	poweroff -f
}
(sleep 500 && fail "capture watchdog fired") &
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
echo "crashkit-e2e: capture cmdline: $(cat /proc/cmdline)"
while read -r m; do
	insmod "/lib/modules/$m" || fail "capture: insmod $m"
done </lib/modules/load-order
i=0
while [ ! -b /dev/vdb ]; do
	i=$((i + 1))
	[ "$i" -le 30 ] || fail "capture: no /dev/vdb"
	sleep 1
done
[ -e /proc/vmcore ] || fail "capture: no /proc/vmcore"
# The log first, as crashcapture does: crashdmesg reads the hints from
# /proc/cmdline by itself.
mkdir -p /out
cat /proc/cmdline >/out/cmdline
if [ -x /bin/crashdmesg ]; then
	rc=0
	crashdmesg /proc/vmcore >/out/dmesg.txt 2>/out/dmesg.err || rc=$?
	echo "$rc" >/out/dmesg.rc
	rc=0
	crashdmesg --xen /proc/vmcore >/out/xen-console.txt 2>/out/xen-console.err || rc=$?
	echo "$rc" >/out/xen-console.rc
	echo "crashkit-e2e: crashdmesg exit $(cat /out/dmesg.rc), --xen exit $(cat /out/xen-console.rc)"
fi
# crashkit's own capture (when the tree has it): dmesg.txt, xen-console.txt,
# the -X dump (lzo, -d 31) and manifest.json on the ext4 file system of
# disk 5.
if [ -x /lib/crashkit/crashcapture ]; then
	i=0
	while [ ! -b /dev/vde ]; do
		i=$((i + 1))
		[ "$i" -le 30 ] || fail "capture: no /dev/vde"
		sleep 1
	done
	mkdir -p /mnt
	rc=0
	CRASHKIT_CONSOLE=/dev/null /lib/crashkit/crashcapture >/out/crashcapture.log 2>&1 || rc=$?
	echo "$rc" >/out/crashcapture.rc
	echo "crashkit-e2e: crashcapture exit $rc"
fi
# crashcopy -X: Xen's and dom0's frames only, as an ELF core in a flattened
# stream on disk 4 from 1 MiB on (the host reassembles it with -R).
if [ -x /bin/crashcopy ]; then
	i=0
	while [ ! -b /dev/vdd ]; do
		i=$((i + 1))
		[ "$i" -le 30 ] || fail "capture: no /dev/vdd"
		sleep 1
	done
	start=$(date +%s)
	rc=0
	# The stream's length, counted on the way (busybox dd does not say) by
	# the host's GNU tee and wc: busybox tee copies 1 KiB per read(), which
	# takes minutes for 400 MB under TCG.
	mkfifo /tmp/count
	/usr/bin/wc -c </tmp/count >/out/crashcopy.bytes &
	counter=$!
	{ crashcopy -X -E -F /proc/vmcore 2>/out/crashcopy.err || echo "$?" >/out/crashcopy.rc; } |
		/usr/bin/tee /tmp/count | dd of=/dev/vdd bs=1M seek=1 conv=fsync 2>/tmp/dd4.log || rc=$?
	wait "$counter"
	[ -f /out/crashcopy.rc ] || echo 0 >/out/crashcopy.rc
	echo "$(($(date +%s) - start))" >/out/crashcopy.seconds
	[ "$rc" = 0 ] || fail "capture: dd of the -X stream: $(tail -n 1 /tmp/dd4.log)"
	echo "crashkit-e2e: crashcopy -X exit $(cat /out/crashcopy.rc)"
fi
i=0
while [ ! -b /dev/vdc ]; do
	i=$((i + 1))
	[ "$i" -le 30 ] || fail "capture: no /dev/vdc"
	sleep 1
done
tar -cf /tmp/out.tar -C /out . || fail "capture: tar of /out"
dd if=/tmp/out.tar of=/dev/vdc bs=64k conv=fsync 2>/dev/null || fail "capture: write to /dev/vdc"
size=$(stat -c %s /proc/vmcore)
echo "crashkit-e2e: copying /proc/vmcore ($size bytes)"
dd if=/proc/vmcore of=/dev/vdb bs=1M seek=1 conv=fsync 2>/tmp/dd.log ||
	fail "capture: dd /proc/vmcore: $(tail -n 1 /tmp/dd.log)"
printf 'CRASHKIT-VMCORE %s\n' "$size" >/tmp/header
dd if=/tmp/header of=/dev/vdb conv=notrunc,fsync 2>/dev/null || fail "capture: header write"
echo "crashkit-e2e: vmcore saved"
poweroff -f
GUEST
	chmod 755 "$1"
}

# dom0's /init.
write_dom0_init() {
	cat >"$1" <<'GUEST'
#!/bin/sh
PATH=/bin:/sbin:/usr/sbin:/usr/lib/xen-4.17/bin
export PATH
fail() {
	echo "crashkit-e2e: FAIL: $*"
	poweroff -f
}
(sleep 400 && fail "dom0 watchdog fired") &
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /run/xen /run/xenstored /var/run /var/lib/xen /var/lib/xenstored /var/log/xen /out
mount -t devpts devpts /dev/pts
ln -s /run/xenstored /var/run/xenstored
ln -s /run/xen /var/run/xen
while read -r m; do
	insmod "/lib/modules/$m" || fail "insmod $m"
done </lib/modules/load-order
mount -t xenfs xenfs /proc/xen || fail "mount xenfs"
i=0
while [ ! -b /dev/vda ]; do
	i=$((i + 1))
	[ "$i" -le 30 ] || fail "no /dev/vda"
	sleep 1
done

fact() {
	printf '%s=%s\n' "$1" "$2" >>/out/facts.txt
}

kmsg_put() {
	dd if=/tmp/msg of=/dev/kmsg bs=4096 2>/dev/null || fail "write to /dev/kmsg"
}

fact hypervisor_type "$(cat /sys/hypervisor/type 2>/dev/null)"
fact guest_type "$(cat /sys/hypervisor/guest_type 2>/dev/null)"
fact dom0_cmdline "$(cat /proc/cmdline)"
fact sysfs_crash_size "$(cat /sys/kernel/kexec_crash_size)"
fact sysfs_crash_loaded_before "$(cat /sys/kernel/kexec_crash_loaded)"
crashkit-xen info >/out/xen-info-before.txt 2>/out/xen-info-before.err || fail "crashkit-xen info: $(cat /out/xen-info-before.err)"
fact xen_cmdline "$(crashkit-xen cmdline)"
fact helper_range "$(crashkit-xen range)"
fact helper_loaded_before "$(crashkit-xen loaded)"
rc=0
kexec -p -S >/dev/null 2>&1 || rc=$?
fact kexec_status_before "$rc"
fact ckr_size "$(kexec --print-ckr-size 2>/dev/null)"
xl dmesg >/out/xl-dmesg.txt 2>&1 || fail "xl dmesg: $(tail -n 1 /out/xl-dmesg.txt)"
fact xl_kdump "$(grep -a 'Kdump:' /out/xl-dmesg.txt | head -n 1 | sed 's/^.*Kdump:/Kdump:/')"
read -r vmci_addr vmci_size </sys/kernel/vmcoreinfo
fact dom0_vmcoreinfo "$vmci_addr $vmci_size"
fact proc_xen "$(ls /proc/xen | tr '\n' ' ')"
if [ -r /proc/xen/xensyms ]; then
	grep -E 'conring|page_alloc\.c#(_heap|total_avail_pages)$' /proc/xen/xensyms >/out/xensyms.txt 2>/out/xensyms.err || :
fi
fact release "$(uname -r)"

# initramfs/xen.sh, as crashctl uses it, against the real hypervisor.
. /lib/crashkit/xen.sh
if xen_is_pv_dom0; then
	fact xensh_pv_dom0 yes
else
	fact xensh_pv_dom0 no
fi
fact xensh_range "$(xen_crash_range 2>&1)"
fact xensh_loaded_before "$(xen_crash_loaded 2>&1)"
fact xensh_cmdline "$(xen_cmdline 2>&1)"
rc=0
xen_check >/out/xen-check.txt 2>&1 || rc=$?
fact xensh_check_rc "$rc"
load_args=$(xen_load_args 2>/out/xen-load-args.err) || load_args=
fact xensh_load_args "$load_args"

# crashctl status and doctor, when this tree has crashctl: what an operator
# runs.
crashctl_status() {
	local rc
	[ -x /usr/sbin/crashctl ] || return 0
	rc=0
	CRASHKIT_LIBDIR=/lib/crashkit crashctl status >"/out/crashctl-status-$1.txt" 2>&1 || rc=$?
	fact "crashctl_status_${1}_rc" "$rc"
	rc=0
	CRASHKIT_LIBDIR=/lib/crashkit crashctl doctor >"/out/crashctl-doctor-$1.txt" 2>&1 || rc=$?
	fact "crashctl_doctor_${1}_rc" "$rc"
}
crashctl_status before

save_out() {
	tar -cf /tmp/out.tar -C /out . || fail "tar of /out"
	dd if=/tmp/out.tar of=/dev/vda bs=64k conv=fsync 2>/dev/null || fail "write to /dev/vda"
}

if [ "$(crashkit-xen range)" = "0x0 0x0" ]; then
	echo "crashkit-e2e: no crash area, powering off"
	save_out
	poweroff -f
fi

[ -n "$load_args" ] || fail "xen_load_args: $(cat /out/xen-load-args.err)"
rc=0
if [ -x /usr/sbin/crashctl ]; then
	# crashctl load, as an operator runs it: its capture command line
	# (dom0's, filtered, plus xen_load_args) and its kexec call. The
	# capture initramfs is this script's, put where crashctl looks; with no
	# builder installed crashctl takes it as it is.
	fact load_by crashctl
	mkdir -p /var/lib/crashkit
	cp /capture.cpio.gz "/var/lib/crashkit/initrd-$(uname -r).img"
	CRASHKIT_LIBDIR=/lib/crashkit crashctl load >/out/kexec.log 2>&1 || rc=$?
else
	fact load_by kexec
	kexec -p /vmlinuz --initrd=/capture.cpio.gz \
		--append="$(cat /capture.append) $load_args" >/out/kexec.log 2>&1 || rc=$?
fi
fact kexec_rc "$rc"
[ "$rc" = 0 ] || fail "kexec -p: $(tail -n 1 /out/kexec.log)"
crashkit-xen info >/out/xen-info-after.txt 2>&1 || fail "crashkit-xen info after the load"
fact helper_loaded_after "$(crashkit-xen loaded)"
fact xensh_loaded_after "$(xen_crash_loaded 2>&1)"
crashctl_status after
fact sysfs_crash_loaded_after "$(cat /sys/kernel/kexec_crash_loaded)"
rc=0
kexec -p -S >/dev/null 2>&1 || rc=$?
fact kexec_status_after "$rc"

if [ -f /domu.cfg ]; then
	domu=failed
	if xenstored --pid-file /run/xenstored.pid >/out/xenstored.log 2>&1 &&
		xen-init-dom0 >/out/xen-init-dom0.log 2>&1 &&
		xenconsoled --pid-file=/run/xenconsoled.pid >/out/xenconsoled.log 2>&1 &&
		xl create -p -e /domu.cfg >/out/xl-create.log 2>&1; then
		domu=created
	fi
	xl list >/out/xl-list.txt 2>&1 || :
	fact domu "$domu"
	# Xen's memory totals (total_memory, free_memory in MiB): what a dump
	# that drops domU and free frames can be held to.
	xl info >/out/xl-info.txt 2>&1 || :
else
	fact domu skipped
fi

printf 'crashkit-e2e: marker begin\n' >/tmp/msg && kmsg_put
printf 'crashkit-e2e: multi-line one\nline two of the same record\n' >/tmp/msg && kmsg_put
printf 'crashkit-e2e: utf-8 caf\303\251\n' >/tmp/msg && kmsg_put
printf 'crashkit-e2e: control \001 byte and del \177\n' >/tmp/msg && kmsg_put
printf 'crashkit-e2e: tab\there\n' >/tmp/msg && kmsg_put
printf '<3>crashkit-e2e: level 3 (err)\n' >/tmp/msg && kmsg_put
printf 'crashkit-e2e: marker end\n' >/tmp/msg && kmsg_put
timeout 3 dd if=/dev/kmsg of=/out/kmsg.txt bs=8192 2>/dev/null
grep -q 'crashkit-e2e: marker end' /out/kmsg.txt || fail "kmsg snapshot lacks the end marker"
save_out
echo "crashkit-e2e: crashing"
echo c >/proc/sysrq-trigger
sleep 5
fail "still alive after sysrq c"
GUEST
	chmod 755 "$1"
}

# Capture initramfs: busybox, virtio modules, /init.
tree_busybox "$work/capture"
tree_modules "$work/capture" virtio_pci virtio_blk
write_capture_init "$work/capture/init"
cd_bin=${CRASHDMESG_STATIC:-$repo_root/crashdmesg/crashdmesg}
if [ -x "$cd_bin" ]; then
	if ldd "$cd_bin" >/dev/null 2>&1; then
		die "$cd_bin is not static (make crashdmesg/crashdmesg)"
	fi
	cp "$cd_bin" "$work/capture/bin/crashdmesg"
fi
cc_bin=${CRASHCOPY_STATIC:-$repo_root/capture/crashcopy/crashcopy}
# crashcapture, when the tree has it, with a log-only local target on disk 5.
crashcapture=
if [ -f "$repo_root/capture/crashcapture" ] && [ -x "$work/capture/bin/crashdmesg" ] && [ -x "$cc_bin" ]; then
	crashcapture=1
fi
if [ -n "$crashcapture" ]; then
	mkdir -p "$work/capture/lib/crashkit" "$work/capture/etc"
	cp "$repo_root/capture/crashcapture" "$work/capture/lib/crashkit/crashcapture"
	chmod 755 "$work/capture/lib/crashkit/crashcapture"
	cp -R "$repo_root/capture/lib" "$repo_root/capture/targets" "$work/capture/lib/crashkit/"
	printf '%s\n' TARGETS=local LOCAL_DEVICE=/dev/vde LOCAL_FSTYPE=ext4 LOCAL_PATH=/crash \
		DUMP_LEVEL=31 DUMP_CODEC=lzo HOSTNAME=xen-e2e >"$work/capture/etc/crashkit.conf"
	# One list: tree_modules rewrites the load order.
	tree_modules "$work/capture" virtio_pci virtio_blk ext4 crc32c_generic
	cp "$cc_bin" "$work/capture/bin/crashcopy"
fi
if [ -x "$cc_bin" ] && "$cc_bin" --help 2>&1 | grep -q -- '^ *-X '; then
	if ldd "$cc_bin" >/dev/null 2>&1; then
		die "$cc_bin is not static (make capture/crashcopy/crashcopy)"
	fi
	cp "$cc_bin" "$work/capture/bin/crashcopy"
	tree_elf "$work/capture" "$(command -v tee)" /usr/bin/tee
	tree_elf "$work/capture" "$(command -v wc)" /usr/bin/wc
fi
make_cpio "$work/capture" "$work/capture.cpio.gz"

# dom0's initramfs.
tree_busybox "$work/dom0"
tree_modules "$work/dom0" virtio_pci virtio_blk xen-privcmd xen-evtchn xen-gntdev xen-gntalloc xenfs
mkdir -p "$work/dom0/lib/crashkit"
cp "$repo_root/initramfs/xen.sh" "$work/dom0/lib/crashkit/xen.sh"
gcc -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -static -o "$work/dom0/bin/crashkit-xen" \
	"$repo_root/initramfs/crashkit-xen.c" || die "gcc -static initramfs/crashkit-xen.c failed"
tree_elf "$work/dom0" "$(command -v kexec)"
for b in xl xenstored xenconsoled xen-init-dom0; do
	tree_elf "$work/dom0" "$xbin/$b" "/usr/lib/xen-4.17/bin/$b"
done
# xl's pthread_cancel needs libgcc_s at run time (dlopen, so ldd misses it).
for f in /lib/x86_64-linux-gnu/libgcc_s.so.1 /usr/lib/x86_64-linux-gnu/libgcc_s.so.1; do
	if [ -e "$f" ]; then
		mkdir -p "$work/dom0${f%/*}"
		cp -L "$f" "$work/dom0$f"
		break
	fi
done
mkdir -p "$work/dom0/etc/xen"
cp -R "$xroot/etc/xen/." "$work/dom0/etc/xen/"
cp "$kdir/vmlinuz" "$work/dom0/vmlinuz"
cp "$work/capture.cpio.gz" "$work/dom0/capture.cpio.gz"
printf '%s\n' "$CAPTURE_APPEND" >"$work/dom0/capture.append"
if [ -n "$domu" ]; then
	# The domU's ramdisk: DOMU_MARKER_BLOCKS 4 KiB blocks, each beginning
	# with "CRASHKIT-DOMU-MARKER-" and its 8-digit number, gzip-compressed:
	# dom0 only ever holds the compressed bytes, and the PV domain builder
	# inflates them straight into domU frames, so a frame beginning with
	# the marker is a domU frame (tests/xen_frames_check.py).
	awk -v n="$DOMU_MARKER_BLOCKS" 'BEGIN {
		pad = sprintf("%4066s", "")
		gsub(/ /, ".", pad)
		for (i = 0; i < n; i++)
			printf "CRASHKIT-DOMU-MARKER-%08d\n%s", i, pad
	}' | gzip -9 >"$work/dom0/domu-marker.gz" || die "making the domU marker ramdisk failed"
	cat >"$work/dom0/domu.cfg" <<'CFG'
name = "domu"
type = "pv"
kernel = "/vmlinuz"
ramdisk = "/domu-marker.gz"
memory = 128
vcpus = 1
extra = "console=hvc0"
on_crash = "preserve"
CFG
fi
crashctl_bin=${CRASHCTL:-$repo_root/initramfs/crashctl}
if [ -f "$crashctl_bin" ]; then
	mkdir -p "$work/dom0/usr/sbin" "$work/dom0/lib/crashkit/lib" "$work/dom0/etc"
	cp "$crashctl_bin" "$work/dom0/usr/sbin/crashctl"
	chmod 755 "$work/dom0/usr/sbin/crashctl"
	cp "$repo_root/capture/lib/conf.sh" "$work/dom0/lib/crashkit/lib/conf.sh" ||
		die "crashctl needs capture/lib/conf.sh"
	printf 'TARGETS=raw\nRAW_DEVICE=/dev/vdb\nKDUMP_KERNEL=/vmlinuz\n' >"$work/dom0/etc/crashkit.conf"
fi
write_dom0_init "$work/dom0/init"
make_cpio "$work/dom0" "$work/dom0.cpio.gz"

xen_append="console=com1 com1=115200,8n1 dom0_mem=$DOM0_MEM,max:$DOM0_MEM loglvl=all guest_loglvl=all"
[ -z "$crashkernel" ] || xen_append="$xen_append crashkernel=$CRASHKERNEL"
# QEMU's multiboot module list: "FILE ARGS,FILE"; a comma inside is doubled.
dom0_append="console=hvc0 earlyprintk=xen panic=1 printk.devkmsg=on"
# Without a Xen reservation, also make the classic mistake: crashkernel= on
# dom0's line, which a PV dom0 ignores.
[ -n "$crashkernel" ] || dom0_append="$dom0_append crashkernel=128M"

# make_disks: the guest's disks, fresh each boot (a stalled first boot may
# have written some).
make_disks() {
	rm -f "$work"/disk[1-5].img
	truncate -s 16M "$work/disk1.img"
	truncate -s "$((MEM_MIB + 64))M" "$work/disk2.img"
	truncate -s 16M "$work/disk3.img"
	truncate -s "$((MEM_MIB + 64))M" "$work/disk4.img"
	truncate -s 256M "$work/disk5.img"
	if [ -n "$crashcapture" ]; then
		mkfs.ext4 -q -F "$work/disk5.img" >/dev/null 2>&1 || die "mkfs.ext4 $work/disk5.img failed (apt-get install e2fsprogs)"
	fi
}

# dom0 gets half the limit to reach its crash (about 100 s of uptime here),
# then one more boot if it stalled (tests/e2e/qemu-watch.sh).
first_deadline=$((QEMU_TIMEOUT / 2))
qemu_boot xen-crash "$first_deadline" "$console" make_disks \
	timeout -k 10 "$QEMU_TIMEOUT" qemu-system-x86_64 -accel tcg -M pc -cpu max,-smap -smp 2 -m "$MEM_MIB" \
	-nographic -no-reboot -nic none \
	-kernel "$xcache/xen" -append "$xen_append" \
	-initrd "$kdir/vmlinuz $dom0_append,$work/dom0.cpio.gz" \
	-drive "file=$work/disk1.img,format=raw,if=none,id=d1" -device virtio-blk-pci,drive=d1,addr=0x4 \
	-drive "file=$work/disk2.img,format=raw,if=none,id=d2" -device virtio-blk-pci,drive=d2,addr=0x5 \
	-drive "file=$work/disk3.img,format=raw,if=none,id=d3" -device virtio-blk-pci,drive=d3,addr=0x6 \
	-drive "file=$work/disk4.img,format=raw,if=none,id=d4" -device virtio-blk-pci,drive=d4,addr=0x7 \
	-drive "file=$work/disk5.img,format=raw,if=none,id=d5" -device virtio-blk-pci,drive=d5,addr=0x8
rc=$qemu_rc seconds=$qemu_seconds
case $rc in
0) ;;
124 | 137) fail_run "qemu timed out after ${QEMU_TIMEOUT}s" ;;
125) fail_run "dom0 stalled before its crash twice (${first_deadline}s each)" ;;
*) fail_run "qemu exited with status $rc" ;;
esac

mkdir -p "$work/first-out"
tar -xf "$work/disk1.img" -C "$work/first-out" 2>/dev/null ||
	fail_run "disk 1 holds no tar archive: dom0 never got that far"
[ -f "$work/first-out/facts.txt" ] || fail_run "disk 1 lacks facts.txt"
umask 077
mkdir -p "$outdir"
chmod 700 "$outdir"
for f in facts.txt kmsg.txt xen-info-before.txt xen-info-after.txt xl-dmesg.txt xensyms.txt \
	kexec.log xl-list.txt xl-create.log xen-check.txt xen-load-args.err \
	crashctl-status-before.txt crashctl-status-after.txt crashctl-doctor-before.txt \
	crashctl-doctor-after.txt xl-info.txt; do
	[ ! -f "$work/first-out/$f" ] || cp "$work/first-out/$f" "$outdir/$f"
done
cp "$console" "$outdir/console.log"
printf 'qemu_seconds=%s\n' "$seconds" >>"$outdir/facts.txt"
[ -z "$domu" ] || printf 'domu_marker_blocks=%s\n' "$DOMU_MARKER_BLOCKS" >>"$outdir/facts.txt"

if [ -z "$crashkernel" ]; then
	printf 'xen-crash: no crashkernel: dom0 facts in %s, qemu ran %ss\n' "$outdir" "$seconds"
	exit 0
fi

header=$(head -c 64 "$work/disk2.img" | head -n 1 | tr -d '\0')
case $header in
'CRASHKIT-VMCORE '[0-9]*) size=${header#CRASHKIT-VMCORE } ;;
*) fail_run "disk 2 has no vmcore header: the capture kernel did not finish" ;;
esac
case $size in
*[!0-9]*) fail_run "disk 2 header has a bad size '$size'" ;;
esac
(
	umask 077
	dd if="$work/disk2.img" of="$outdir/vmcore.tmp" bs=1M skip=1 count="$size" iflag=count_bytes status=none
) || die "extracting the core into $outdir failed"
[ "$(stat -c %s "$outdir/vmcore.tmp")" = "$size" ] || die "extracted core is not $size bytes"
[ "$(head -c 4 "$outdir/vmcore.tmp" | od -An -c | tr -d ' ')" = '177ELF' ] ||
	die "extracted core does not start with an ELF header"
chmod 600 "$outdir/vmcore.tmp"
mv "$outdir/vmcore.tmp" "$outdir/vmcore"
mkdir -p "$work/capture-out" "$outdir/capture"
tar -xf "$work/disk3.img" -C "$work/capture-out" 2>/dev/null ||
	fail_run "disk 3 holds no tar archive: the capture kernel did not save its files"
cp "$work/capture-out/cmdline" "$outdir/capture-cmdline.txt"
for f in dmesg.txt dmesg.err dmesg.rc xen-console.txt xen-console.err xen-console.rc \
	crashcopy.err crashcopy.rc crashcopy.seconds crashcopy.bytes crashcapture.rc crashcapture.log; do
	[ ! -f "$work/capture-out/$f" ] || cp "$work/capture-out/$f" "$outdir/capture/$f"
done
if [ -f "$work/capture-out/crashcapture.rc" ]; then
	mkdir -p "$outdir/crashcapture"
	debugfs -R "rdump /crash $outdir/crashcapture" "$work/disk5.img" >/dev/null 2>"$outdir/crashcapture/debugfs.err" ||
		printf 'xen-crash: debugfs rdump of disk 5 failed\n' >&2
fi
if [ -f "$work/capture-out/crashcopy.rc" ]; then
	read -r n <"$work/capture-out/crashcopy.bytes" || n=0
	n=$(printf '%s' "$n" | tr -cd '0-9')
	tail -c +1048577 "$work/disk4.img" | head -c "${n:-0}" |
		"$cc_bin" -R "$outdir/capture/vmcore-x" 2>"$outdir/capture/reassemble.err" ||
		printf 'xen-crash: crashcopy -R of the -X stream failed: %s\n' "$(tail -n 1 "$outdir/capture/reassemble.err")" >&2
fi
printf 'xen-crash: Xen %s dom0 %s: %s/vmcore %s bytes, qemu ran %ss\n' \
	"$(cat "$xcache/version")" "$version" "$outdir" "$size" "$seconds"
