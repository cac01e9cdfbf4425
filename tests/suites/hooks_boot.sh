#!/bin/sh
# Boot proof of the distro-initramfs integration: Debian's 6.1 kernel under
# qemu-system-x86_64 -accel tcg with distro-built images that carry
# crashkit: initramfs-tools (mkinitramfs, MODULES=list, crashkit's hook;
# tests/e2e/distro-mkinitramfs.sh) and dracut (base, rootfs-block,
# udev-rules and crashkit's module).  For each image:
#   1. normal boot: the image mounts root=/dev/vda (ext4), crashkit's
#      boot script does nothing, the root's /sbin/init runs;
#   2. capture: a busybox first kernel loads the same image with kexec -p
#      (command line keeps root=), crashes by sysrq; the capture kernel runs
#      the distro's init (udev loads virtio, mounts root), then crashkit's
#      init-bottom script / pre-pivot hook: distro-capture unmounts root,
#      runs crashkit's crashcapture (local target on the root disk, log
#      and dump, the shipped pre.d/post.d examples as capture hooks) and
#      powers off (FINAL_ACTION).  The host reads /var/crash/HOST-TIME/
#      {dmesg.txt,vmcore,manifest.json} back with debugfs.
# Then the network path (net_boot below): an initramfs-tools and a dracut
# image with an http target and NETWORK=static, loaded with the command
# line crashctl makes for them (ip=, ifname=), must send the crashed
# kernel's log to a collector on the host.
# About 3 minutes on 2 shared cores (eight 1-CPU TCG boots, two at a time).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
PATH=$PATH:/usr/sbin:/sbin
tmp=$(mktemp -d)
w=$tmp # each lane's own directory (lane below); $tmp before the lanes
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0
pass() { passed=$((passed + 1)); }
fail() {
	failed=$((failed + 1))
	echo "FAIL: $*"
}
note() { echo "hooks_boot: $*"; }
# HOOKS_BOOT_KEEP=DIR keeps the console logs there.
finish() {
	if [ -n "${HOOKS_BOOT_KEEP:-}" ]; then
		mkdir -p "$HOOKS_BOOT_KEEP" && cp "$tmp"/*.log "$HOOKS_BOOT_KEEP"/
	fi
	echo "hooks_boot: $passed passed, $failed failed"
	exit 0
}
# check_file DESCRIPTION COMMAND...: pass when COMMAND succeeds.
check_file() {
	local what
	what=$1
	shift
	if "$@"; then pass; else fail "$what"; fi
}
# grep_in PATTERN FILE DESCRIPTION: an extended regexp matches in FILE.
grep_in() {
	if grep -Eaq -- "$1" "$2"; then pass; else fail "$3: no '$1' in ${2##*/}"; fi
}

for tool in qemu-system-x86_64 mkinitramfs kexec busybox mkfs.ext4 debugfs cpio; do
	command -v "$tool" >/dev/null 2>&1 || {
		fail "$tool not installed (make deps)"
		finish
	}
done
kdir=$top/.cache/kernels/bookworm
if ! sh tests/e2e/fetch-kernel.sh bookworm "$kdir" >"$tmp/fetch.log" 2>&1; then
	fail "fetch-kernel.sh bookworm: $(tail -n 2 "$tmp/fetch.log")"
	finish
fi

# stage_capture LIBDIR: crashcapture, capture/lib and capture/targets in
# LIBDIR as doc/capture.md section 1 installs them, unless `make install`
# did (it does not yet).
stage_capture() {
	local f
	[ -f "$1/crashcapture" ] && return 0
	note "make install does not install capture/ yet: staged from the tree (doc/capture.md 1)"
	mkdir -p "$1/lib" "$1/targets"
	cp capture/crashcapture "$1/crashcapture"
	for f in capture/lib/*.sh capture/targets/*.sh; do
		cp "$f" "$1/${f#capture/}"
	done
}

# crashkit staged as `make install` puts it.
stage=$tmp/stage
if ! make -s install DESTDIR="$stage" PREFIX=/usr INITRAMFSTOOLSDIR=/it DRACUTMODULESDIR=/dracut \
	>"$tmp/install.log" 2>&1; then
	fail "make install DESTDIR: $(tail -n 3 "$tmp/install.log")"
	finish
fi
stage_capture "$stage/usr/lib/crashkit"
cat >"$tmp/crashkit.conf" <<'EOF'
TARGETS=local
LOCAL_DEVICE=/dev/vda
LOCAL_FSTYPE=ext4
LOCAL_PATH=/var/crash
DUMP=yes
FINAL_ACTION=poweroff
FAILURE_ACTION=poweroff
DEADLINE=5m
EXTRA_MODULES="virtio_pci virtio_blk"
EOF
# The capture hooks are the shipped examples: pre.d/10-console-banner
# succeeds; post.d/50-notify-http fails (no network, no monitor.example),
# which must be recorded and change nothing else.
mkdir -p "$tmp/etc-crashkit/pre.d" "$tmp/etc-crashkit/post.d"
cp hooks/examples/pre.d/10-console-banner "$tmp/etc-crashkit/pre.d/"
cp hooks/examples/post.d/50-notify-http "$tmp/etc-crashkit/post.d/"
itconf=$stage/it
sed -e 's/^MODULES=.*/MODULES=list/' /etc/initramfs-tools/initramfs.conf >"$itconf/initramfs.conf"
img=$tmp/distro.img
if sh tests/e2e/distro-mkinitramfs.sh "$kdir" "$itconf" "$img" CRASHKIT_DESTDIR="$stage" \
	CRASHKIT_CONF="$tmp/crashkit.conf" CRASHKIT_HOOKS="$tmp/etc-crashkit" >"$tmp/mkinitramfs.log" 2>&1; then
	pass
	note "distro image: $(wc -c <"$img") bytes"
else
	fail "mkinitramfs: $(tail -n 5 "$tmp/mkinitramfs.log")"
	finish
fi

# The dracut image of the same kernel: crashkit's module plus what mounting
# root=/dev/vda needs, from a copy of dracut's module tree with 99crashkit
# added (dracutbasedir); gzip so it fits the crashkernel reservation.
dimg=$tmp/dracut.img
cp -a /usr/lib/dracut "$tmp/dracutbase"
cp -a "$stage/dracut/99crashkit" "$tmp/dracutbase/modules.d/"
mkdir -p "$tmp/dracut.conf.d"
kver=$(cat "$kdir/version")
# dracut_image BASE CONF MODULES DRIVERS OUT: a gzip'd image of the test
# kernel from the dracut module tree BASE, with crashkit.conf CONF.
dracut_image() {
	env TMPDIR="$w" dracutbasedir="$1" CRASHKIT_DESTDIR="$stage" \
		CRASHKIT_CONF="$2" CRASHKIT_HOOKS="$tmp/etc-crashkit" \
		dracut --force --quiet --gzip --no-hostonly --no-early-microcode --conf /dev/null \
		--confdir "$tmp/dracut.conf.d" --modules "$3" --drivers "$4" --kver "$kver" \
		--kmoddir "$kdir/lib/modules/$kver" "$5"
}
if dracut_image "$tmp/dracutbase" "$tmp/crashkit.conf" "base rootfs-block udev-rules crashkit" \
	"virtio_pci virtio_blk ext4" "$dimg" >"$tmp/dracut.log" 2>&1; then
	pass
	note "dracut image: $(wc -c <"$dimg") bytes"
else
	fail "dracut: $(tail -n 5 "$tmp/dracut.log")"
	dimg=
fi

# show_cmdline IMAGE CONF: the capture command line `crashctl show` prints
# for a machine booted with root=/dev/vda whose NIC is ens3 (as udev names
# virtio-net in slot 3, with QEMU's default address), loading the distro
# image IMAGE with crashkit.conf CONF.
show_cmdline() {
	local r
	r=$w/showroot
	rm -rf "$r"
	mkdir -p "$r/etc" "$r/proc" "$r/boot" "$r/sys/class/net/lo" "$r/sys/class/net/ens3"
	echo 52:54:00:12:34:56 >"$r/sys/class/net/ens3/address"
	{
		cat "$2"
		printf 'KDUMP_INITRD=/boot/distro.img\nKDUMP_KVER=%s\n' "$kver"
	} >"$r/etc/crashkit.conf"
	echo "console=ttyS0 root=/dev/vda crashkernel=192M panic=1" >"$r/proc/cmdline"
	cp "$1" "$r/boot/distro.img"
	printf 'vmlinuz\n' >"$r/boot/vmlinuz-$kver"
	sh initramfs/crashctl --root "$r" show 2>"$w/show.err" | sed -n 's/^capture cmdline: *//p'
}

# servers_wait_file, for net_boot's HTTP collector.
. "$top/tests/e2e/servers/servers.sh"

bb=$(command -v busybox)
# make_root: a fresh root disk, ext4, whose /sbin/init says it ran and
# powers off.
make_root() {
	rm -rf "$w/rootfs" "$w/root.img"
	mkdir -p "$w/rootfs/sbin" "$w/rootfs/bin" "$w/rootfs/proc" "$w/rootfs/dev" \
		"$w/rootfs/sys" "$w/rootfs/run" "$w/rootfs/var/crash"
	cp "$bb" "$w/rootfs/bin/busybox"
	# It also leaves a file: kernel messages can cut a console line.
	cat >"$w/rootfs/sbin/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox echo "crashkit-e2e: normal boot reached the root file system's init"
/bin/busybox mount -n -o remount,rw / && /bin/busybox touch /normal-boot-reached && /bin/busybox sync
/bin/busybox poweroff -f
EOF
	chmod 0755 "$w/rootfs/sbin/init"
	# Room for the dump (sparse on the host).
	truncate -s 512M "$w/root.img"
	mkfs.ext4 -q -F -L crashroot -d "$w/rootfs" "$w/root.img" >"$w/mkfs.log" 2>&1 ||
		fail "mkfs.ext4 -d: $(tail -n 2 "$w/mkfs.log")"
}

# qemu_run LOG KERNEL INITRD APPEND [NIC]: boot with the root disk (and
# NIC, a -nic value, default none); exit status 0 when QEMU ended by itself
# (poweroff, or reboot with -no-reboot).
qemu_run() {
	timeout -k 10 300 nice qemu-system-x86_64 -accel tcg -M pc -cpu qemu64 -smp 1 -m 512 \
		-nographic -no-reboot -nic "${5:-none}" -kernel "$2" -initrd "$3" -append "$4" \
		-drive "file=$w/root.img,format=raw,if=none,id=d1" -device virtio-blk-pci,drive=d1 \
		</dev/null >"$1" 2>&1
}

# normal_boot NAME IMAGE: the image boots to the root's init, crashkit silent.
normal_boot() {
	local start
	make_root
	start=$(date +%s)
	if qemu_run "$tmp/$1-normal.log" "$kdir/vmlinuz" "$2" "console=ttyS0 root=/dev/vda panic=1"; then
		pass
	else
		fail "$1 normal boot: qemu exit $?"
	fi
	note "$1 normal boot: $(($(date +%s) - start)) s"
	if debugfs -R 'stat /normal-boot-reached' "$w/root.img" 2>/dev/null | grep -q 'Inode:'; then
		pass
	else
		fail "$1 normal boot did not reach the root's init; console (last 30 lines):"
		tail -n 30 "$tmp/$1-normal.log" | tr -d '\r'
	fi
	if grep -aq 'crashkit:' "$tmp/$1-normal.log"; then
		fail "$1 normal boot: crashkit acted: $(grep -a 'crashkit:' "$tmp/$1-normal.log" | head -n 2)"
	else
		pass
	fi
}

# make_first IMAGE OUT [APPEND]: the first kernel's initramfs: busybox,
# kexec, the kernel and IMAGE, which it loads as the capture initramfs with
# the command line APPEND before crashing.
make_first() {
	local first kexec_bin lib applet
	first=$w/first
	rm -rf "$first"
	mkdir -p "$first/bin" "$first/proc" "$first/sys" "$first/dev"
	cp "$bb" "$first/bin/busybox"
	for applet in sh mount echo cat poweroff sleep; do ln -s busybox "$first/bin/$applet"; done
	kexec_bin=$(command -v kexec)
	mkdir -p "$first${kexec_bin%/*}"
	cp -L "$kexec_bin" "$first$kexec_bin"
	for lib in $(ldd "$kexec_bin" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
		mkdir -p "$first${lib%/*}"
		cp -L "$lib" "$first$lib"
	done
	cp "$kdir/vmlinuz" "$first/vmlinuz"
	cp "$1" "$first/distro.img"
	cat >"$first/init" <<EOF
#!/bin/sh
export PATH=/bin:/sbin:/usr/sbin:/usr/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
if ! $kexec_bin -p /vmlinuz --initrd=/distro.img \\
	--append="${3:-console=ttyS0 root=/dev/vda irqpoll nr_cpus=1 reset_devices panic=1}"; then
	echo "crashkit-e2e: FAIL: kexec -p"
	poweroff -f
fi
# Through the kernel log: a console line still queued in the serial driver
# when sysrq-c stops the kernel is lost; panic flushes printk's.
echo "crashkit-e2e: loaded, crashing" >/dev/kmsg
echo c >/proc/sysrq-trigger
sleep 5
echo "crashkit-e2e: FAIL: still alive"
poweroff -f
EOF
	chmod 0755 "$first/init"
	(cd "$first" && find . | cpio -o -H newc -R 0:0 --quiet | gzip -1 >"$2") ||
		fail "cpio of the first initramfs"
}

# crash_boot NAME IMAGE MODE ROOTMNT: crash a first kernel that loaded IMAGE
# as its capture initramfs; check that the capture ran from the distro image
# and left the crashed kernel's log and manifest on the disk.
crash_boot() {
	local start log manifest
	make_root
	make_first "$2" "$w/first.cpio.gz"
	start=$(date +%s)
	if qemu_run "$tmp/$1-crash.log" "$kdir/vmlinuz" "$w/first.cpio.gz" \
		"console=ttyS0 crashkernel=192M panic=1"; then
		pass
	else
		fail "$1 capture boot: qemu exit $?"
	fi
	note "$1 crash to capture end: $(($(date +%s) - start)) s"
	log=$tmp/$1-crash.log
	grep_in 'crashkit-e2e: loaded, crashing' "$log" "$1: first kernel loaded the distro image"
	grep_in "crashkit: capture kernel \\($3 initramfs\\)" "$log" "$1: capture kernel ran distro-capture"
	grep_in "crashkit: unmounted $4" "$log" "$1: distro-capture released the root file system"
	grep_in 'crashkit: log and dump saved' "$log" "$1: crashcapture exit 0 (log and dump saved)"
	grep_in 'crashkit: final action: poweroff' "$log" "$1: FINAL_ACTION=poweroff"
	if grep -aq 'crashkit.conf has errors' "$log"; then
		fail "$1: the capture kernel found errors in crashkit.conf: $(grep -a 'crashkit.conf:' "$log" | head -n 2)"
	else
		pass
	fi
	if debugfs -R 'stat /normal-boot-reached' "$w/root.img" 2>/dev/null | grep -q 'Inode:'; then
		fail "$1: the capture kernel went on to the root's init"
	else
		pass
	fi
	# The log on the disk is the crashed kernel's.
	rm -rf "$w/disk"
	mkdir -p "$w/disk"
	debugfs -R "rdump / $w/disk" "$w/root.img" >/dev/null 2>&1 || fail "$1: debugfs rdump"
	log=$(find "$w/disk/var/crash" -name dmesg.txt | head -n 1)
	if [ -n "$log" ]; then
		pass
		grep_in 'sysrq: Trigger a crash' "$log" "$1: dmesg.txt holds the crash"
		grep_in 'crashkernel=192M' "$log" "$1: dmesg.txt is the first kernel's log"
		manifest=${log%/*}/manifest.json
		grep_in '"name": *"dmesg.txt", *"status": *"ok"' "$manifest" "$1: manifest.json: dmesg.txt ok"
		grep_in '"kernel_release": *"6\.1\.' "$manifest" "$1: manifest.json: kernel release"
		if /usr/bin/python3 - "$manifest" >"$w/hooks-check.out" 2>&1 <<'EOF'; then
import json, sys
m = json.load(open(sys.argv[1]))
hooks = {h["name"]: h["status"] for h in m.get("hooks", [])}
assert hooks.get("pre.d/10-console-banner") == 0, hooks
assert hooks.get("post.d/50-notify-http", 0) != 0, hooks
assert m["capture"]["status"] == "ok", m["capture"]
vmcore = [a for a in m["artifacts"] if a["name"] == "vmcore"]
assert vmcore and vmcore[0]["status"] == "ok" and vmcore[0]["size"] > 0, m["artifacts"]
EOF
			pass
		else
			fail "$1: manifest.json hooks: $(tail -n 1 "$w/hooks-check.out")"
		fi
		grep_in 'crashkit pre.d: .* crashed; log ok on local' "$tmp/$1-crash.log" "$1: pre.d example ran in the capture kernel"
		check_file "$1: the dump is on the disk" test -s "${log%/*}/vmcore"
	else
		fail "$1: no /var/crash/*/dmesg.txt on the root disk: $(find "$w/disk" | head -n 20 | tr '\n' ' ')"
	fi
	if [ "$failed" -gt 0 ]; then
		echo "--- $1 capture console (last 30 lines):"
		tail -n 30 "$tmp/$1-crash.log" | tr -d '\r'
	fi
}

# net_boot NAME: the network path of a distro image (NAME initramfs-tools
# or dracut with its network-legacy module) whose only target is http (the
# tests' collector on the host, 10.0.2.2 from QEMU's user network), with
# NETWORK=static 10.0.2.77 (not the .15 QEMU's DHCP gives).  The capture
# command line is what `crashctl show` prints for that configuration with
# KDUMP_INITRD on a first kernel whose interface is ens3 (QEMU's MAC), so
# the ip= and ifname= crashctl adds are what bring the network up (dracut
# without systemd would call the NIC eth0), and the crashed kernel's log must
# arrive over HTTP.  initramfs-tools' ipconfig also reports the address.
# dracut's kernel-network-modules is cut to virtio_net in a copy of its
# module tree, as a host-only image would be: with every NIC driver the
# image is 29 MB compressed, more than the capture kernel can unpack in
# 192 MiB.
net_boot() {
	local port cmdline img2 start got collector
	rm -rf "$w/http" "$w/http.port" "$w/http.log"
	mkdir -p "$w/http"
	/usr/bin/python3 tests/e2e/servers/collector.py "$w/http" "$w/http.port" "$w/http.log" &
	collector=$!
	servers_wait_file "$w/http.port" 10
	port=$(cat "$w/http.port" 2>/dev/null)
	if [ -z "$port" ]; then
		fail "$1 net: the HTTP collector did not start"
		kill "$collector" 2>/dev/null
		return
	fi
	printf '%s\n' TARGETS=http "HTTP_URL=http://10.0.2.2:$port/crash" NETWORK=static \
		NET_ADDRESS=10.0.2.77/24 NET_GATEWAY=10.0.2.2 DUMP=no FINAL_ACTION=poweroff \
		FAILURE_ACTION=poweroff DEADLINE=5m 'EXTRA_MODULES="virtio_pci virtio_blk virtio_net ext4"' \
		>"$w/net.conf"
	img2=$tmp/$1-net.img
	case $1 in
	initramfs-tools)
		sh tests/e2e/distro-mkinitramfs.sh "$kdir" "$itconf" "$img2" CRASHKIT_DESTDIR="$stage" \
			CRASHKIT_CONF="$w/net.conf" CRASHKIT_HOOKS="$tmp/etc-crashkit" ;;
	dracut)
		rm -rf "$w/dracutbase-net"
		cp -a "$tmp/dracutbase" "$w/dracutbase-net"
		printf '%s\n' '#!/bin/bash' 'check() { return 255; }' 'depends() { return 0; }' \
			'installkernel() { instmods virtio_net af_packet; }' 'install() { return 0; }' \
			>"$w/dracutbase-net/modules.d/90kernel-network-modules/module-setup.sh"
		dracut_image "$w/dracutbase-net" "$w/net.conf" \
			"base rootfs-block udev-rules network-legacy crashkit" \
			"virtio_pci virtio_blk virtio_net ext4" "$img2" ;;
	esac >"$tmp/$1-net-build.log" 2>&1
	if [ ! -s "$img2" ]; then
		fail "$1 net: image build: $(tail -n 5 "$tmp/$1-net-build.log")"
		kill "$collector" 2>/dev/null
		return
	fi
	cmdline=$(show_cmdline "$img2" "$w/net.conf")
	case " $cmdline " in
	*' ip=10.0.2.77::10.0.2.2:255.255.255.0::ens3:off rd.neednet=1 ifname=ens3:52:54:00:12:34:56 '*) pass ;;
	*) fail "$1 net: crashctl show: capture cmdline '$cmdline' lacks the static ip=: $(head -c 300 "$w/show.err")" ;;
	esac
	make_root
	make_first "$img2" "$w/first-net.cpio.gz" "$cmdline"
	start=$(date +%s)
	if qemu_run "$tmp/$1-net-crash.log" "$kdir/vmlinuz" "$w/first-net.cpio.gz" \
		"console=ttyS0 crashkernel=192M panic=1" user,model=virtio-net-pci; then
		pass
	else
		fail "$1 net capture boot: qemu exit $?"
	fi
	note "$1 net: crash to capture end: $(($(date +%s) - start)) s"
	kill "$collector" 2>/dev/null
	wait "$collector" 2>/dev/null
	if [ "$1" = initramfs-tools ]; then
		grep_in 'IP-Config: ens3 complete' "$tmp/$1-net-crash.log" "$1 net: ipconfig configured ens3 from ip="
		grep_in 'address: 10\.0\.2\.77 ' "$tmp/$1-net-crash.log" "$1 net: ipconfig used the static address"
	fi
	got=$(find "$w/http/crash" -name dmesg.txt 2>/dev/null | head -n 1)
	if [ -n "$got" ] && grep -q 'sysrq: Trigger a crash' "$got"; then
		pass
	else
		fail "$1 net: no crashed kernel's dmesg.txt arrived over HTTP: $(head -n 5 "$w/http.log" 2>/dev/null)"
		echo "--- $1 net capture console (last 40 lines):"
		tail -n 40 "$tmp/$1-net-crash.log" | tr -d '\r'
	fi
}

# noroot_boot NAME IMAGE: the capture kernel's root device never appears.
# With the words crashctl adds for a distro image (and their waits cut
# short: rootdelay=, rd.retry=), the image gives up and reboots: QEMU
# (-no-reboot) ends by itself, no shell waits on the console.
noroot_boot() {
	local cmdline start
	cmdline=$(show_cmdline "$2" "$tmp/crashkit.conf")
	case " $cmdline " in
	*' panic=10 rd.shell=0 rd.emergency=reboot rd.timeout=300 '*) pass ;;
	*) fail "$1 noroot: crashctl show: capture cmdline '$cmdline' lacks the guard words: $(head -c 300 "$w/show.err")" ;;
	esac
	cmdline=$(printf '%s\n' "$cmdline" | sed 's|root=/dev/vda|root=LABEL=crashkit-nosuchroot|')
	make_root
	make_first "$2" "$w/first-noroot.cpio.gz" "$cmdline rootdelay=10 rd.retry=10"
	start=$(date +%s)
	if qemu_run "$tmp/$1-noroot.log" "$kdir/vmlinuz" "$w/first-noroot.cpio.gz" \
		"console=ttyS0 crashkernel=192M panic=1"; then
		pass
	else
		fail "$1 noroot: qemu exit $? (the capture kernel did not reboot by itself); console (last 30 lines):"
		tail -n 30 "$tmp/$1-noroot.log" | tr -d '\r'
	fi
	note "$1 noroot: crash to reboot: $(($(date +%s) - start)) s"
	grep_in 'crashkit-e2e: loaded, crashing' "$tmp/$1-noroot.log" "$1 noroot: the first kernel crashed"
	case $1 in
	initramfs-tools) grep_in 'does not exist' "$tmp/$1-noroot.log" "$1 noroot: initramfs-tools gave up on the root" ;;
	dracut) grep_in 'has failed' "$tmp/$1-noroot.log" "$1 noroot: dracut gave up without a shell" ;;
	esac
}

# lane NAME IMAGE ROOTMNT: every boot of one image kind, in a row, in its
# own directory $w (root disk, first initramfs, HTTP collector). The two
# lanes run side by side: each guest has one CPU, and one after the other
# the eight boots left a core idle for 4.5 minutes. Its counts go to
# $w/counts, its output to the caller.
lane() {
	w=$tmp/$1.lane
	mkdir -p "$w"
	passed=0
	failed=0
	normal_boot "$1" "$2"
	crash_boot "$1" "$2" "$1" "$3"
	net_boot "$1"
	noroot_boot "$1" "$2"
	echo "$passed $failed" >"$w/counts"
}
lanes=initramfs-tools
lane initramfs-tools "$img" /root >"$tmp/initramfs-tools.out" 2>&1 &
if [ -n "$dimg" ]; then
	lanes="$lanes dracut"
	lane dracut "$dimg" /sysroot >"$tmp/dracut.out" 2>&1 &
fi
wait
for l in $lanes; do
	cat "$tmp/$l.out"
	if read -r p f <"$tmp/$l.lane/counts" 2>/dev/null; then
		passed=$((passed + p))
		failed=$((failed + f))
	else
		fail "$l lane ended without its counts"
	fi
done
finish
