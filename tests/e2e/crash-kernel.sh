#!/bin/sh
# crash-kernel.sh [--suite S] [--arch amd64|i386|arm64|s390x|ppc64el]
#                 [--cpu MODEL] [--core-headers elf32|elf64]
#                 [--cache DIR] [--flood N] [--append ARGS] [--mem MIB] [--fill]
#                 [--time-collectors] [--kernel DIR] [--smp N] OUTDIR
#
# Crash a real Debian amd64 kernel under QEMU (TCG) and keep what it left:
#   OUTDIR/vmcore       the capture kernel's /proc/vmcore (ELF core, mode 0600)
#   OUTDIR/kmsg.txt     /dev/kmsg read by the first kernel just before the crash
#                       (ground truth: the core's log must start with these records)
#   OUTDIR/console.log  serial output of both kernels
#   OUTDIR/release      uname -r of the crashed kernel
#   OUTDIR/kexec.log    what kexec -p printed
#
# How: the first kernel boots a busybox initramfs that writes marker records
# (multi-line, UTF-8, control bytes, tab, escape, empty, long, levels) to
# /dev/kmsg, saves a /dev/kmsg snapshot to disk 1 (a tar archive), loads itself
# with a capture initramfs through `kexec -p` and panics via sysrq. The capture
# kernel copies /proc/vmcore to disk 2 behind a one-line header
# ("CRASHKIT-VMCORE <bytes>" at offset 0, the core at 1 MiB) and powers off.
# --flood N writes N more records first (level 7, so off the console), so that
# the log ring wraps; the Debian kernels' 128 KiB ring wraps at N=3000.
# --append ARGS adds words to the first kernel's command line, e.g.
# log_buf_len=16M for the large dynamic ring of a many-CPU server.
# --mem MIB sets the guest's RAM (default 384); above 512 MiB the capture
# kernel gets crashkernel=192M instead of 144M.
# --fill makes every makedumpfile dump level exclude something: before the
# crash the first kernel writes page cache to an ext2 file system on a third
# virtio disk (mounted with the ext4 driver, whose data pages carry buffer
# heads: PG_private, dump level 4) and to tmpfs (level 2), starts
# tests/e2e/fill.c (built on the host with gcc -static) holding anonymous
# memory (level 8), and leaves the rest free (level 16): about 20 % of RAM as
# cache, 35 % as user data. Mixed compressible and random data in both.
# With --arch arm64, fill.c is cross-built (aarch64-linux-gnu-gcc -static,
# Debian's gcc-aarch64-linux-gnu) and the shares are of half the RAM outside
# crashkernel (its ~45 MiB initramfs and larger kernel would otherwise leave
# under 2 % free: 512 MiB gives 56 MiB user, 32 MiB cache, ~78 MiB left free).
# --time-collectors times core collectors on the live /proc/vmcore in the
# capture kernel before it is saved (amd64): dd bs=1M (the read() floor),
# crashcopy ($CRASHCOPY, default the repository's static build) and Debian's
# makedumpfile, each -l -F at -d 31 and -d 1 into /dev/null, plus
# $CRASHCOPY_BASE (another crashcopy build, e.g. an older one) if set; then
# each -l into a file on an ext4 disk of its own (disk 4), as a local dump
# target is written: crashcopy (O_DIRECT there) and crashcopy --no-direct-io
# (fsync included, as always), makedumpfile followed by sync (as kdump
# front-ends run it); the file is removed between runs, untimed.
# The seconds go to OUTDIR/collectors.txt. Only ratios mean anything: TCG.
#
# Kernels come from tests/e2e/fetch-kernel.sh, cached in --cache DIR (default
# $CRASHKIT_CACHE, else .cache/kernels under the repository root).
#
# --arch i386 crashes Debian's 686-pae kernel instead (cached as SUITE-i386)
# under qemu-system-i386 -cpu qemu32, with the guest's busybox, kexec and
# kexec's libraries taken from the i386 packages fetch-kernel.sh unpacked (the
# host's are amd64). --core-headers elf32|elf64 passes --elf32-core-headers or
# --elf64-core-headers to kexec -p: an ELF32 or an ELF64 /proc/vmcore of the
# same kernel. Without it kexec chooses.
#
# --arch arm64 crashes Debian's arm64 kernel (cached as SUITE-arm64) under
# qemu-system-aarch64 -M virt -cpu max (TCG), console ttyAMA0, 512 MiB RAM
# and crashkernel=192M unless --mem says otherwise, the guest's userland
# again taken from the arm64 packages (pass --suite trixie: bookworm's
# kexec-tools 2.0.25 writes a broken core header for bookworm's 6.1 arm64
# kernel, see fixtures/real/README.md). Debian's arm64 vmlinuz is a plain
# Image, which QEMU's -kernel and kexec -p both take.
#
# --arch s390x crashes Debian's s390x kernel (cached as SUITE-s390x) under
# qemu-system-s390x -M s390-ccw-virtio -cpu max (TCG), console ttysclp0
# (the SCLP VT220 console), disks virtio-blk-ccw (virtio_ccw is built in),
# 512 MiB RAM and crashkernel=192M unless --mem says otherwise, the guest's
# userland from the s390x packages. Debian's s390x kernels are built without
# CONFIG_CRASH_DUMP (bookworm 6.1: no crashkernel= reservation, so kexec -p
# has nowhere to load; trixie 6.12: no CONFIG_KEXEC either), so with them the
# first kernel fails at kexec -p and says so; a kernel built with
# CONFIG_KEXEC and CONFIG_CRASH_DUMP gets through.
#
# --arch ppc64el crashes Debian's powerpc64le kernel (cached as
# SUITE-ppc64el) under qemu-system-ppc64 -M pseries -cpu power9 (TCG, radix
# MMU), console hvc0 (the PAPR hypervisor console), firmware SLOF, disks
# virtio-blk-pci, 512 MiB RAM and crashkernel=160M, the guest's userland from
# the ppc64el packages. Debian's ppc64el kernel is an uncompressed 45 MB ELF
# vmlinux with 64 KiB pages, which -kernel and kexec -p both take. --mem must
# be a multiple of 256 (QEMU's pseries wants that) and at least 512 (see
# below); --fill is not offered (fill.c is not cross-built for it).
#
# --cpu MODEL replaces the arch's QEMU CPU model (-cpu): --arch ppc64el
# --cpu power8 runs the kernel on the hash MMU instead of radix.
#
# --smp N gives the guest N CPUs (default 2: the crash stops a second CPU).
# A crash that runs beside other work on a 2-core host wants 1: two vCPU
# threads that lose the host CPU in turn spin on each other (~1.6x the CPU).
#
# --kernel DIR boots the kernel in DIR (DIR/vmlinuz, DIR/version,
# DIR/lib/modules/VERSION with modules.dep and modules.builtin, as
# fetch-kernel.sh leaves them) instead of the suite's, with the suite's
# userland; tests/e2e/build-s390x-kernel.sh makes such a DIR from Debian's
# kernel source.
set -eu
PATH=$PATH:/usr/sbin:/sbin

# Guest and time limits. 384 MiB guest RAM gives a ~250 MB core; crashkernel
# must hold the capture kernel, its initramfs and its own boot allocations.
MEM_MIB=384
CRASHKERNEL=144M
QEMU_TIMEOUT=300
CAPTURE_APPEND="irqpoll nr_cpus=1 reset_devices panic=1"

die() {
	printf 'crash-kernel: FAIL: %s\n' "$*" >&2
	exit 1
}

usage() {
	printf 'usage: crash-kernel.sh [--suite bullseye|bookworm|trixie] [--arch amd64|i386|arm64|s390x|ppc64el] [--cpu MODEL] [--core-headers elf32|elf64] [--cache DIR] [--flood N] [--append ARGS] [--mem MIB] [--fill] [--time-collectors] [--kernel DIR] [--smp N] OUTDIR\n' >&2
	exit 2
}

suite=bookworm
arch=amd64
mem_set=
core_headers=
cache=
flood=0
extra_append=
fill=
time_collectors=
kernel_dir=
cpu=
smp=2
while [ $# -gt 0 ]; do
	case $1 in
	--arch)
		[ $# -ge 2 ] || usage
		arch=$2
		shift 2
		;;
	--core-headers)
		[ $# -ge 2 ] || usage
		core_headers=$2
		shift 2
		;;
	--suite)
		[ $# -ge 2 ] || usage
		suite=$2
		shift 2
		;;
	--cache)
		[ $# -ge 2 ] || usage
		cache=$2
		shift 2
		;;
	--flood)
		[ $# -ge 2 ] || usage
		flood=$2
		shift 2
		;;
	--append)
		[ $# -ge 2 ] || usage
		extra_append=$2
		shift 2
		;;
	--mem)
		[ $# -ge 2 ] || usage
		MEM_MIB=$2
		mem_set=1
		shift 2
		;;
	--fill)
		fill=1
		shift
		;;
	--time-collectors)
		time_collectors=1
		shift
		;;
	--kernel)
		[ $# -ge 2 ] || usage
		kernel_dir=$2
		shift 2
		;;
	--cpu)
		[ $# -ge 2 ] || usage
		cpu=$2
		shift 2
		;;
	--smp)
		[ $# -ge 2 ] || usage
		smp=$2
		shift 2
		;;
	--) shift && break ;;
	-*) usage ;;
	*) break ;;
	esac
done
[ $# -eq 1 ] || usage
outdir=$1
case $flood in
'' | *[!0-9]*) die "--flood wants a number of records, got '$flood'" ;;
esac
case $MEM_MIB in
'' | *[!0-9]*) die "--mem wants a size in MiB, got '$MEM_MIB'" ;;
esac
case $smp in
[1-8]) ;;
*) die "--smp wants 1-8 CPUs, got '$smp'" ;;
esac
case $arch in
arm64 | s390x) [ -n "$mem_set" ] || MEM_MIB=512 ;;
ppc64el)
	[ -n "$mem_set" ] || MEM_MIB=512
	if [ $((MEM_MIB % 256)) -ne 0 ] || [ "$MEM_MIB" -lt 512 ]; then
		die "--mem for --arch ppc64el wants a multiple of 256 MiB from 512 on, got $MEM_MIB"
	fi
	;;
esac
[ "$MEM_MIB" -ge 256 ] || die "--mem wants at least 256 MiB, got $MEM_MIB"
if [ "$MEM_MIB" -ge 512 ] && { [ "$arch" = arm64 ] || [ "$arch" = s390x ]; }; then
	# arm64's capture kernel (a ~30 MiB Image, 4 MiB-aligned) needs more;
	# so does s390x's.
	CRASHKERNEL=192M
elif [ "$arch" = ppc64el ]; then
	# ppc64 places crashkernel=SIZE (no @OFFSET) at half the first memory
	# block, at most 512 MiB up; QEMU's pseries makes that block the
	# largest power of two in RAM, so the area starts at 256 MiB with 512
	# or 768 MiB of RAM, at 512 MiB with 1024 and more: 512 MiB RAM is the
	# least that holds it. Of the area the capture kernel takes about
	# 61 MiB before it runs /init (its 42 MiB image in memory, 64 KiB
	# pages, the initramfs) and needs room to run: crashkernel=96M boots
	# but its tmpfs fills up before the copy, 128M gets through; 160M
	# leaves a margin. A whole crash took 31-61 s on a two-core host:
	# the limit is generous.
	CRASHKERNEL=160M
	QEMU_TIMEOUT=$((600 + MEM_MIB / 4))
elif [ "$MEM_MIB" -gt 512 ]; then
	CRASHKERNEL=192M
	# TCG boots, fills and copies more slowly with more RAM.
	QEMU_TIMEOUT=$((300 + MEM_MIB / 4))
fi
case $fill,$arch in
1,i386 | 1,s390x | 1,ppc64el) die "--fill is for --arch amd64 or arm64 (fill.c is built for those only)" ;;
esac
[ -z "$time_collectors" ] || [ "$arch" = amd64 ] || die "--time-collectors is for --arch amd64"
[ -z "$time_collectors" ] || QEMU_TIMEOUT=$((QEMU_TIMEOUT + 900))
case $arch in
amd64)
	qemu="qemu-system-x86_64"
	qemu_machine="-M pc -cpu qemu64"
	console_dev=ttyS0
	label=$suite
	kname=$suite
	;;
i386)
	qemu="qemu-system-i386"
	qemu_machine="-M pc -cpu qemu32"
	console_dev=ttyS0
	label=$suite/i386
	kname=$suite-i386
	;;
arm64)
	qemu="qemu-system-aarch64"
	# pauth-impdef: QEMU's own pointer-auth hash, much faster under TCG.
	qemu_machine="-M virt -cpu max,pauth-impdef=on"
	console_dev=ttyAMA0
	label=$suite/arm64
	kname=$suite-arm64
	;;
s390x)
	qemu="qemu-system-s390x"
	qemu_machine="-M s390-ccw-virtio -cpu max"
	console_dev=ttysclp0
	label=$suite/s390x
	kname=$suite-s390x
	;;
ppc64el)
	qemu="qemu-system-ppc64"
	# TCG has none of the Spectre workarounds pseries asks for by default:
	# cap-*=broken/off says so instead of four warnings each boot.
	qemu_machine="-M pseries,cap-cfpc=broken,cap-sbbc=broken,cap-ibs=broken,cap-ccf-assist=off -cpu power9"
	# --cpu power8: the hash MMU (vmemmap in the hashed page table).
	console_dev=hvc0
	label=$suite/ppc64el
	kname=$suite-ppc64el
	;;
*) die "--arch wants amd64, i386, arm64, s390x or ppc64el, got '$arch'" ;;
esac
case $cpu in
'') ;;
*[!A-Za-z0-9_.,=+-]*) die "--cpu wants a QEMU CPU model, got '$cpu'" ;;
*) qemu_machine="${qemu_machine%-cpu *}-cpu $cpu" ;;
esac
case $core_headers in
'') kexec_opts= ;;
elf32 | elf64) kexec_opts=--$core_headers-core-headers ;;
*) die "--core-headers wants elf32 or elf64, got '$core_headers'" ;;
esac

CAPTURE_APPEND="console=$console_dev $CAPTURE_APPEND"
case $arch in
i386) guest_libdirs="/lib/i386-linux-gnu /usr/lib/i386-linux-gnu" ;;
arm64) guest_libdirs="/lib/aarch64-linux-gnu /usr/lib/aarch64-linux-gnu" ;;
s390x) guest_libdirs="/lib/s390x-linux-gnu /usr/lib/s390x-linux-gnu" ;;
ppc64el) guest_libdirs="/lib/powerpc64le-linux-gnu /usr/lib/powerpc64le-linux-gnu" ;;
*) guest_libdirs= ;;
esac

script_dir=$(cd "${0%/*}" && pwd)
repo_root=$(cd "$script_dir/../.." && pwd)
# shellcheck source=tests/e2e/qemu-watch.sh
. "$script_dir/qemu-watch.sh"
[ -n "$cache" ] || cache=${CRASHKIT_CACHE:-$repo_root/.cache/kernels}

for tool in "$qemu" busybox kexec vmcore-dmesg modprobe cpio gzip tar timeout truncate dd readelf; do
	command -v "$tool" >/dev/null 2>&1 ||
		die "$tool not found (apt-get install qemu-system-x86 qemu-system-arm qemu-system-s390x qemu-system-ppc busybox-static kexec-tools kmod cpio)"
done
busybox_bin=$(command -v busybox)
# ldd fails on a static binary, and the guests have no libc of their own.
if ldd "$busybox_bin" >/dev/null 2>&1; then
	die "$busybox_bin is not static (apt-get install busybox-static)"
fi

kdir=$cache/$kname
if [ "$arch" = amd64 ]; then
	"$script_dir/fetch-kernel.sh" "$suite" "$kdir" >/dev/null
else
	"$script_dir/fetch-kernel.sh" --arch "$arch" "$suite" "$kdir" >/dev/null
	# The guest runs the i386/arm64/s390x/ppc64el packages' binaries, not
	# the host's.
	busybox_bin=$kdir/userland/bin/busybox
	[ -x "$busybox_bin" ] || die "$label: $busybox_bin missing (remove $kdir and fetch again)"
fi
udir=$kdir
if [ -n "$kernel_dir" ]; then
	if [ ! -f "$kernel_dir/vmlinuz" ] || [ ! -f "$kernel_dir/version" ]; then
		die "--kernel $kernel_dir lacks vmlinuz or version"
	fi
	kdir=$(cd "$kernel_dir" && pwd)
	label="$label (kernel $kdir)"
fi
version=$(cat "$kdir/version")

work=$(mktemp -d "${TMPDIR:-/tmp}/crash-kernel.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
console=$work/console.log

# fail_run REASON: report a failed guest run with the guest's own reason if it
# printed one, the console tail, and exit.
fail_run() {
	local guest
	guest=$(grep -a 'crashkit-e2e: FAIL:' "$console" 2>/dev/null | head -n 1 | tr -d '\r') || guest=
	printf 'crash-kernel: FAIL: %s: %s%s\n' "$label" "$1" "${guest:+ ($guest)}" >&2
	if [ -s "$console" ]; then
		printf -- '--- last lines of the console log:\n' >&2
		tail -n 25 "$console" | tr -d '\r' >&2
		mkdir -p "$outdir" && cp "$console" "$outdir/console.log"
	fi
	exit 1
}

# tree_busybox DIR: a root with busybox and a link for each of its applets.
tree_busybox() {
	local applet
	mkdir -p "$1/bin" "$1/proc" "$1/sys" "$1/dev" "$1/tmp"
	cp "$busybox_bin" "$1/bin/busybox"
	# The host's busybox names the applets: an arm64 one cannot run here.
	for applet in $(busybox --list); do
		[ "$applet" = busybox ] || ln -s busybox "$1/bin/$applet"
	done
}

# tree_modules DIR [MODULE...]: virtio_pci (not on s390x: virtio_ccw is built
# in), virtio_blk and the MODULEs with their dependencies, decompressed, and lib/modules/load-order naming them in
# insmod order.
tree_modules() {
	local mod line path name order dir
	dir=$1
	shift
	mkdir -p "$dir/lib/modules"
	order=$dir/lib/modules/load-order
	: >"$order"
	set -- virtio_blk "$@"
	[ "$arch" = s390x ] || set -- virtio_pci "$@"
	for mod in "$@"; do
		modprobe -d "$kdir" -S "$version" --show-depends "$mod" >"$work/deps" ||
			die "$label: modprobe --show-depends $mod failed in $kdir"
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
			# CPU-specific accelerators (ext4's crc32c-intel) refuse
			# qemu64's CPU; the generic code is built in.
			case $name in
			*-intel.ko) continue ;;
			esac
			case $path in
			*.ko) cp "$path" "$dir/lib/modules/$name" ;;
			*.ko.xz) xz -dc "$path" >"$dir/lib/modules/$name" ;;
			*.ko.zst) zstd -qdc "$path" >"$dir/lib/modules/$name" ;;
			*.ko.gz) gzip -dc "$path" >"$dir/lib/modules/$name" ;;
			*) die "$label: unexpected module file $path" ;;
			esac
			printf '%s\n' "$name" >>"$order"
		done <"$work/deps"
	done
}

# tree_elf DIR FILE: FILE and the shared libraries it needs (ldd), same paths.
tree_elf() {
	local lib
	mkdir -p "$1${2%/*}"
	cp -L "$2" "$1$2"
	for lib in $(ldd "$2" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
		mkdir -p "$1${lib%/*}"
		cp -L "$lib" "$1$lib"
	done
}

# root_path ROOT FILE: FILE's path under ROOT with its symbolic links
# resolved inside ROOT (ppc64el's /lib64/ld64.so.2 is an absolute link to
# /lib/powerpc64le-linux-gnu/ld64.so.2, which cp -L would seek on the host).
root_path() {
	local p t n
	p=$2
	n=0
	while [ -L "$1$p" ] && [ "$n" -lt 16 ]; do
		t=$(readlink "$1$p")
		case $t in
		/*) p=$t ;;
		*) p=${p%/*}/$t ;;
		esac
		n=$((n + 1))
	done
	printf '%s\n' "$1$p"
}

# tree_elf_root DIR ROOT FILE: ROOT's FILE (a path under ROOT), its program
# interpreter and the shared libraries of its DT_NEEDED chain as found in
# ROOT, at the same paths in DIR. For a guest whose architecture is not the
# host's: readelf, not ldd, and nothing taken from the host.
tree_elf_root() {
	local root todo f lib d found
	root=$2
	todo=$3
	mkdir -p "$1${3%/*}"
	cp -L "$root$3" "$1$3"
	f=$(readelf -l "$root$3" | sed -n 's/.*Requesting program interpreter: \(.*\)]$/\1/p')
	if [ -n "$f" ]; then
		mkdir -p "$1${f%/*}"
		cp -L "$(root_path "$root" "$f")" "$1$f" || die "$label: no interpreter $f in $root"
	fi
	while [ -n "$todo" ]; do
		f=${todo%% *}
		if [ "$f" = "$todo" ]; then
			todo=
		else
			todo=${todo#* }
		fi
		for lib in $(readelf -d "$1$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p'); do
			found=
			for d in $guest_libdirs /lib /usr/lib; do
				if [ -e "$(root_path "$root" "$d/$lib")" ]; then
					found=$d/$lib
					break
				fi
			done
			[ -n "$found" ] || die "$label: $lib (needed by $f) not in $root"
			[ -e "$1$found" ] && continue
			mkdir -p "$1${found%/*}"
			cp -L "$(root_path "$root" "$found")" "$1$found"
			todo="${todo:+$todo }$found"
		done
	done
}

# make_cpio DIR OUT: DIR as a gzip'd newc initramfs.
make_cpio() {
	(cd "$1" && find . | cpio -o -H newc -R 0:0 --quiet >"$work/cpio.tmp") ||
		die "cpio of $1 failed"
	gzip -1 <"$work/cpio.tmp" >"$2"
	rm -f "$work/cpio.tmp"
}

# The capture kernel's /init: copy /proc/vmcore to disk 2 behind a header.
# write_guest_disk_lib FILE: the guests' disk() (both inits source it; the
# capture tree, which holds it, is copied into the first kernel's).
write_guest_disk_lib() {
	cat >"$1" <<'GUEST'
# disk N NAME: the block device whose virtio serial is crashkitN (s390x's
# virtio-ccw disks probe in any order), else /dev/NAME; waits up to 30 s.
disk() {
	local i d
	i=0
	while [ "$i" -le 30 ]; do
		for d in /sys/block/vd*; do
			if [ "$(cat "$d/serial" 2>/dev/null)" = "crashkit$1" ] && [ -b "/dev/${d##*/}" ]; then
				echo "/dev/${d##*/}"
				return 0
			fi
		done
		[ -e "/sys/block/$2/serial" ] || [ ! -b "/dev/$2" ] || {
			echo "/dev/$2"
			return 0
		}
		i=$((i + 1))
		sleep 1
	done
	return 1
}
GUEST
}

write_capture_init() {
	cat >"$1" <<'GUEST'
#!/bin/sh
PATH=/bin
export PATH
fail() {
	echo "crashkit-e2e: FAIL: $*"
	poweroff -f
}
watchdog=200
[ -f /collectors ] && watchdog=1000
(sleep "$watchdog" && fail "capture watchdog fired") &
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
while read -r m; do
	insmod "/lib/modules/$m" || fail "capture: insmod $m"
done </lib/modules/load-order
. /disk.sh
# /collectors: one command a line, timed on the live /proc/vmcore; those
# writing a file write it to /out (disk 4, ext4), emptied after each.
if [ -f /collectors ]; then
	vdd=$(disk 4 vdd) || fail "collectors: no /dev/vdd"
	mkdir -p /out
	mount -t ext4 "$vdd" /out 2>/tmp/mount.log || fail "collectors: mount $vdd: $(tail -n 1 /tmp/mount.log)"
	while read -r cmd; do
		start=$(cut -d ' ' -f 1 /proc/uptime)
		sh -c "$cmd" >/dev/null 2>/tmp/collector.log || fail "collector '$cmd': $(tail -n 1 /tmp/collector.log)"
		end=$(cut -d ' ' -f 1 /proc/uptime)
		echo "crashkit-e2e: collector $start $end $cmd"
		rm -f /out/dump /out/dump.incomplete
		sync
	done </collectors
	umount /out
fi
vdb=$(disk 2 vdb) || fail "capture: no /dev/vdb"
[ -e /proc/vmcore ] || fail "capture: no /proc/vmcore"
size=$(stat -c %s /proc/vmcore)
echo "crashkit-e2e: copying /proc/vmcore ($size bytes)"
dd if=/proc/vmcore of="$vdb" bs=1M seek=1 conv=fsync 2>/tmp/dd.log ||
	fail "capture: dd /proc/vmcore: $(tail -n 1 /tmp/dd.log)"
printf 'CRASHKIT-VMCORE %s\n' "$size" >/tmp/header
dd if=/tmp/header of="$vdb" conv=notrunc,fsync 2>/dev/null || fail "capture: header write"
echo "crashkit-e2e: vmcore saved"
poweroff -f
GUEST
	chmod 755 "$1"
}

# The first kernel's /init: markers, /dev/kmsg snapshot to disk 1, kexec -p, crash.
write_first_init() {
	cat >"$1" <<'GUEST'
#!/bin/sh
PATH=/bin:/sbin:/usr/sbin
export PATH
fail() {
	echo "crashkit-e2e: FAIL: $*"
	poweroff -f
}
(sleep 400 && fail "first kernel watchdog fired") &
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
while read -r m; do
	insmod "/lib/modules/$m" || fail "insmod $m"
done </lib/modules/load-order
. /disk.sh
vda=$(disk 1 vda) || fail "no /dev/vda"

# kmsg_put: /tmp/msg as one write() to /dev/kmsg, so one record.
kmsg_put() {
	dd if=/tmp/msg of=/dev/kmsg bs=4096 2>/dev/null || fail "write to /dev/kmsg"
}

flood=0
fill=
read -r cmdline </proc/cmdline
for arg in $cmdline; do
	case $arg in
	crashkit.flood=*) flood=${arg#crashkit.flood=} ;;
	crashkit.fill=*) fill=${arg#crashkit.fill=} ;;
	esac
done
i=0
while [ "$i" -lt "$flood" ]; do
	echo "<7>crashkit-e2e: flood record $i of $flood, padding to fill the ring faster"
	i=$((i + 1))
done >/dev/kmsg

printf 'crashkit-e2e: marker begin\n' >/tmp/msg && kmsg_put
printf 'crashkit-e2e: multi-line one\nline two of the same record\n' >/tmp/msg && kmsg_put
printf 'crashkit-e2e: utf-8 caf\303\251\n' >/tmp/msg && kmsg_put
printf 'crashkit-e2e: control \001 byte and del \177\n' >/tmp/msg && kmsg_put
printf 'crashkit-e2e: tab\there\n' >/tmp/msg && kmsg_put
printf 'crashkit-e2e: escape \033[31mred\033[0m\n' >/tmp/msg && kmsg_put
printf 'crashkit-e2e: backslash \\ and a literal \\x41\n' >/tmp/msg && kmsg_put
printf 'crashkit-e2e: trailing space \n' >/tmp/msg && kmsg_put
printf '\n' >/tmp/msg && kmsg_put
printf '<3>crashkit-e2e: level 3 (err)\n' >/tmp/msg && kmsg_put
printf '<30>crashkit-e2e: facility 3 (daemon) level 6\n' >/tmp/msg && kmsg_put
{
	printf 'crashkit-e2e: long '
	i=0
	while [ "$i" -lt 88 ]; do
		printf '%s' '0123456789'
		i=$((i + 1))
	done
	printf '\n'
} >/tmp/msg && kmsg_put
printf 'crashkit-e2e: marker end\n' >/tmp/msg && kmsg_put

mkdir -p /out
# /dev/kmsg blocks after the last record: stop reading after a few seconds.
timeout 3 dd if=/dev/kmsg of=/out/kmsg.txt bs=8192 2>/dev/null
grep -q 'crashkit-e2e: marker end' /out/kmsg.txt || fail "kmsg snapshot lacks the end marker"
uname -r >/out/release
cat /proc/cmdline >/out/cmdline
kexec_opts=
[ -f /kexec.opts ] && read -r kexec_opts </kexec.opts
# shellcheck disable=SC2086 # kexec_opts is a list of options
kexec -p $kexec_opts /vmlinuz --initrd=/capture.cpio.gz --append="$(cat /capture.append)" >/out/kexec.log 2>&1 ||
	fail "kexec -p: $(tail -n 1 /out/kexec.log)"
[ "$(cat /sys/kernel/kexec_crash_loaded)" = 1 ] || fail "kexec -p loaded nothing"
tar -cf /tmp/out.tar -C /out . || fail "tar of /out"
dd if=/tmp/out.tar of="$vda" bs=64k conv=fsync 2>/dev/null || fail "write to $vda"

# crashkit.fill=USER,CACHE (MiB): page cache on ext2 (buffer heads, so
# PG_private) and tmpfs, anonymous memory held by /fill, the rest free.
if [ -n "$fill" ]; then
	user=${fill%,*}
	cache=${fill#*,}
	i=0
	while [ ! -b /dev/vdc ]; do
		i=$((i + 1))
		[ "$i" -le 30 ] || fail "fill: no /dev/vdc"
		sleep 1
	done
	mkdir -p /mnt
	mount -t ext4 /dev/vdc /mnt 2>/tmp/mount.log || fail "fill: mount /dev/vdc: $(tail -n 1 /tmp/mount.log)"
	q=$((cache / 4))
	dd if=/dev/urandom of=/mnt/random bs=1M count="$q" 2>/dev/null || fail "fill: random file"
	yes 'crashkit-e2e: page cache text on ext2, compressible' | head -c $((q * 1048576)) >/mnt/text ||
		fail "fill: text file"
	i=0
	while [ $((i * 8)) -lt "$q" ]; do
		cat /vmlinuz /capture.cpio.gz >"/mnt/copy.$i" || fail "fill: copy $i"
		i=$((i + 1))
	done
	yes 'crashkit-e2e: page cache text on tmpfs' | head -c $((q * 1048576)) >/tmp/text ||
		fail "fill: tmpfs file"
	sync
	/fill "$user" >/tmp/fill.log 2>&1 &
	i=0
	until grep -q touched /tmp/fill.log; do
		i=$((i + 1))
		[ "$i" -le 300 ] || fail "fill: /fill $user did not finish: $(cat /tmp/fill.log)"
		sleep 1
	done
	echo "crashkit-e2e: filled $user MiB user, $cache MiB cache"
	grep -E '^(MemFree|Buffers|Cached|AnonPages|Shmem):' /proc/meminfo
fi
echo "crashkit-e2e: crashing"
echo c >/proc/sysrq-trigger
sleep 5
fail "still alive after sysrq c"
GUEST
	chmod 755 "$1"
}

# Capture initramfs: busybox, virtio modules, /init.
tree_busybox "$work/capture"
if [ -n "$time_collectors" ]; then
	tree_modules "$work/capture" ext4
else
	tree_modules "$work/capture"
fi
write_capture_init "$work/capture/init"
write_guest_disk_lib "$work/capture/disk.sh"
if [ -n "$time_collectors" ]; then
	cc_bin=${CRASHCOPY:-$repo_root/capture/crashcopy/crashcopy}
	[ -x "$cc_bin" ] || die "$cc_bin is not built (make capture/crashcopy/crashcopy)"
	mdf=$(command -v makedumpfile) || die "makedumpfile not found (apt-get install makedumpfile)"
	cp "$cc_bin" "$work/capture/bin/crashcopy"
	tree_elf "$work/capture" "$mdf"
	{
		echo 'dd if=/proc/vmcore of=/dev/null bs=1M'
		for level in 31 1; do
			echo "/bin/crashcopy -l -d $level -F /proc/vmcore"
			[ -z "${CRASHCOPY_BASE:-}" ] || echo "/bin/crashcopy-base -l -d $level -F /proc/vmcore"
			echo "$mdf -l -d $level -F /proc/vmcore"
		done
		for level in 31 1; do
			echo "/bin/crashcopy -l -d $level /proc/vmcore /out/dump"
			echo "/bin/crashcopy -l -d $level --no-direct-io /proc/vmcore /out/dump"
			echo "$mdf -l -d $level /proc/vmcore /out/dump && sync"
		done
	} >"$work/capture/collectors"
	if [ -n "${CRASHCOPY_BASE:-}" ]; then
		cp "$CRASHCOPY_BASE" "$work/capture/bin/crashcopy-base" || die "cannot copy $CRASHCOPY_BASE"
	fi
fi
make_cpio "$work/capture" "$work/capture.cpio.gz"

# First initramfs: the same tree plus kexec, the kernel and the capture
# initramfs, with its own /init.
cp -a "$work/capture" "$work/first"
if [ -n "$fill" ]; then
	tree_modules "$work/first" ext4
	if [ "$arch" = arm64 ]; then
		aarch64-linux-gnu-gcc -static -O2 -o "$work/first/fill" "$script_dir/fill.c" ||
			die "aarch64-linux-gnu-gcc -static $script_dir/fill.c failed (apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross)"
	else
		gcc -static -O2 -o "$work/first/fill" "$script_dir/fill.c" ||
			die "gcc -static $script_dir/fill.c failed (apt-get install gcc libc6-dev)"
	fi
fi
if [ "$arch" = amd64 ]; then
	tree_elf "$work/first" "$(command -v kexec)"
else
	tree_elf_root "$work/first" "$udir/userland" /sbin/kexec
fi
[ -z "$kexec_opts" ] || printf '%s\n' "$kexec_opts" >"$work/first/kexec.opts"
cp "$kdir/vmlinuz" "$work/first/vmlinuz"
cp "$work/capture.cpio.gz" "$work/first/capture.cpio.gz"
printf '%s\n' "$CAPTURE_APPEND" >"$work/first/capture.append"
write_first_init "$work/first/init"
make_cpio "$work/first" "$work/first.cpio.gz"

# make_disks: disk 1 takes a small tar, disk 2 the core (RAM plus headroom),
# both sparse; fresh each boot (a stalled first boot may have written some).
make_disks() {
	rm -f "$work/disk1.img" "$work/disk2.img" "$work/disk3.img" "$work/disk4.img"
	truncate -s 16M "$work/disk1.img"
	truncate -s "$((MEM_MIB + 64))M" "$work/disk2.img"
	if [ -n "$fill" ]; then
		truncate -s "$((MEM_MIB / 4 + 128))M" "$work/disk3.img"
		mkfs.ext2 -q -F "$work/disk3.img" >/dev/null 2>&1 || die "mkfs.ext2 $work/disk3.img failed (apt-get install e2fsprogs)"
	fi
	# --time-collectors: room for a -d 1 dump (under the RAM size).
	if [ -n "$time_collectors" ]; then
		truncate -s "$((MEM_MIB + 256))M" "$work/disk4.img"
		mkfs.ext4 -q -F "$work/disk4.img" >/dev/null 2>&1 || die "mkfs.ext4 $work/disk4.img failed (apt-get install e2fsprogs)"
	fi
}
# blk N: the -device for disk N (vda, vdb, vdc, vdd in that order).
blk() {
	if [ "$arch" = s390x ]; then
		printf 'virtio-blk-ccw,drive=d%s,devno=fe.0.000%s,serial=crashkit%s' "$1" "$1" "$1"
	else
		printf 'virtio-blk-pci,drive=d%s,addr=0x%s,serial=crashkit%s' "$1" "$(($1 + 3))" "$1"
	fi
}
extra_drives=
[ -z "$fill" ] || extra_drives="-drive file=$work/disk3.img,format=raw,if=none,id=d3 -device $(blk 3)"
[ -z "$time_collectors" ] || extra_drives="$extra_drives -drive file=$work/disk4.img,format=raw,if=none,id=d4 -device $(blk 4)"

append="console=$console_dev crashkernel=$CRASHKERNEL panic=1 printk.devkmsg=on"
[ "$flood" -eq 0 ] || append="$append crashkit.flood=$flood"
fill_mib=$MEM_MIB
[ "$arch" != arm64 ] || fill_mib=$(((MEM_MIB - ${CRASHKERNEL%M}) / 2))
[ -z "$fill" ] || append="$append crashkit.fill=$((fill_mib * 35 / 100)),$((fill_mib / 5))"
[ -z "$extra_append" ] || append="$append $extra_append"

# The first kernel gets half the limit to reach its crash, then one more
# boot if it stalled (tests/e2e/qemu-watch.sh).
first_deadline=$((QEMU_TIMEOUT / 2))
# shellcheck disable=SC2086 # qemu_machine and extra_drives are lists of qemu options
qemu_boot "$label" "$first_deadline" "$console" make_disks \
	timeout -k 10 "$QEMU_TIMEOUT" "$qemu" -accel tcg $qemu_machine -smp "$smp" -m "$MEM_MIB" \
	-nographic -no-reboot -nic none \
	-kernel "$kdir/vmlinuz" -initrd "$work/first.cpio.gz" \
	-append "$append" \
	-drive "file=$work/disk1.img,format=raw,if=none,id=d1" -device "$(blk 1)" \
	-drive "file=$work/disk2.img,format=raw,if=none,id=d2" -device "$(blk 2)" \
	$extra_drives
rc=$qemu_rc seconds=$qemu_seconds
case $rc in
0) ;;
124 | 137) fail_run "qemu timed out after ${QEMU_TIMEOUT}s" ;;
125) fail_run "the first kernel stalled before its crash twice (${first_deadline}s each)" ;;
*) fail_run "qemu exited with status $rc" ;;
esac

# Disk 1: the first kernel's tar.
mkdir -p "$work/first-out"
tar -xf "$work/disk1.img" -C "$work/first-out" 2>/dev/null ||
	fail_run "disk 1 holds no tar archive: the first kernel never got to kexec"
for f in kmsg.txt release kexec.log; do
	[ -f "$work/first-out/$f" ] || fail_run "disk 1 lacks $f"
done

# Disk 2: "CRASHKIT-VMCORE <bytes>" then the core at 1 MiB.
header=$(head -c 64 "$work/disk2.img" | head -n 1 | tr -d '\0')
case $header in
'CRASHKIT-VMCORE '[0-9]*) size=${header#CRASHKIT-VMCORE } ;;
*) fail_run "disk 2 has no vmcore header: the capture kernel did not finish" ;;
esac
case $size in
*[!0-9]*) fail_run "disk 2 header has a bad size '$size'" ;;
esac

mkdir -p "$outdir"
(
	umask 077
	dd if="$work/disk2.img" of="$outdir/vmcore.tmp" bs=1M skip=1 count="$size" iflag=count_bytes status=none
) || die "$label: extracting the core into $outdir failed"
[ "$(stat -c %s "$outdir/vmcore.tmp")" = "$size" ] || die "$label: extracted core is not $size bytes"
[ "$(head -c 4 "$outdir/vmcore.tmp" | od -An -c | tr -d ' ')" = '177ELF' ] ||
	die "$label: extracted core does not start with an ELF header"
chmod 600 "$outdir/vmcore.tmp"
mv "$outdir/vmcore.tmp" "$outdir/vmcore"
for f in kmsg.txt release kexec.log; do
	cp "$work/first-out/$f" "$outdir/$f"
done
cp "$console" "$outdir/console.log"
if [ -n "$time_collectors" ]; then
	grep -a 'crashkit-e2e: collector ' "$console" | tr -d '\r' |
		awk '{ printf "%8.2f s  ", $4 - $3; for (i = 5; i <= NF; i++) printf "%s%s", $i, (i < NF ? " " : "\n") }' \
			>"$outdir/collectors.txt"
	cat "$outdir/collectors.txt"
fi

# The core must hold the log up to the snapshot: kexec-tools' reader agrees.
vmcore-dmesg "$outdir/vmcore" >"$work/vmcore-dmesg.txt" 2>&1 ||
	die "$label: vmcore-dmesg $outdir/vmcore failed: $(tail -n 1 "$work/vmcore-dmesg.txt")"
grep -q 'crashkit-e2e: marker end' "$work/vmcore-dmesg.txt" ||
	die "$label: vmcore-dmesg of $outdir/vmcore lacks the end marker"
printf 'crash-kernel: %s %s: %s/vmcore %s bytes, qemu ran %ss\n' \
	"$label" "$version" "$outdir" "$size" "$seconds"
