#!/bin/sh
# /init of the first (crashing) kernel in tests/e2e/capture-vm.sh.
#
# The image (built once, reused by every scenario) holds busybox, crashkit's
# tree under /opt/crashkit, Debian's kexec, ssh, ssh-keygen, bash and ldd
# with their libraries, the
# kernel at /boot/vmlinuz-<kver> and the modules to reach its disks; the
# kernel's whole module tree is a read-only 9p share mounted on /lib/modules.
# The scenario's cpio, appended to the image, brings /etc/crashkit.conf,
# /etc/crashkit/ and /e2e/flags.
#
# Steps: network (DHCP from QEMU's user net), marker records to /dev/kmsg,
# `crashctl build`, `crashctl load`, `crashctl status` (each one's output and
# exit status kept), a /dev/kmsg snapshot (ground truth), everything as a tar
# on /dev/vda (the result disk), then sysrq-c. A step that leaves the kernel
# unable to capture powers the VM off instead of crashing it, so the host
# sees "poweroff" rather than a reboot it could mistake for a capture.
PATH=/opt/crashkit/initramfs:/bin:/sbin:/usr/bin:/usr/sbin
export PATH
out=/out
mkdir -p "$out"

# save: the results so far as a tar archive on the result disk.
save() {
	tar -cf /tmp/out.tar -C "$out" . 2>/dev/null &&
		dd if=/tmp/out.tar of=/dev/vda bs=64k conv=fsync 2>/dev/null
}

fail() {
	echo "crashkit-e2e: FAIL: $*"
	printf '%s\n' "$*" >"$out/fail"
	save
	poweroff -f
}

# step NAME COMMAND...: run COMMAND, its output to $out/NAME.log, its exit
# status to $out/NAME.rc, and the log on the console.
step() {
	local name rc
	name=$1
	shift
	echo "crashkit-e2e: step $name: $* (uptime $(cut -d ' ' -f 1 /proc/uptime))"
	rc=0
	"$@" >"$out/$name.log" 2>&1 </dev/null || rc=$?
	echo "$rc" >"$out/$name.rc"
	sed "s/^/crashkit-e2e: $name| /" "$out/$name.log"
	echo "crashkit-e2e: step $name: exit $rc (uptime $(cut -d ' ' -f 1 /proc/uptime))"
	return "$rc"
}

has_flag() {
	grep -qx "$1" /e2e/flags 2>/dev/null
}

(sleep 600 && fail "first kernel watchdog fired") &
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /run /var/lib/crashkit /tmp
mount -t devpts devpts /dev/pts
hostname crashkit-e2e
kver=$(uname -r)
while read -r m; do
	insmod "/lib/e2e-modules/$m" || fail "insmod $m"
done </lib/e2e-modules/load-order
mkdir -p /lib/modules
mount -t 9p -o ro,trans=virtio,version=9p2000.L modules /lib/modules ||
	fail "mount of the 9p module tree"
[ -f "/lib/modules/$kver/modules.dep" ] || fail "no /lib/modules/$kver/modules.dep on the 9p share"
i=0
while [ ! -b /dev/vda ]; do
	i=$((i + 1))
	[ "$i" -le 30 ] || fail "no /dev/vda"
	sleep 1
done

# Coldplug, as udev would on a real system: a driver for every PCI and
# virtio device (virtio_net, virtio_blk, i6300esb, ata_piix, ...), so that
# crashctl sees the bound drivers in sysfs. The platform, ACPI, PnP and
# serio ones (floppy, parport, pcspkr, psmouse, ...) are left out: loading
# them took 6-7 s of each boot under TCG and no target uses them.
find /sys/devices -name modalias -exec cat {} + 2>/dev/null | grep -E '^(pci|virtio):' |
	sort -u >/tmp/modaliases
while read -r a; do
	modprobe -q "$a" 2>/dev/null
done </tmp/modaliases
modprobe virtio_net || fail "modprobe virtio_net"
ip link set lo up
ip link set eth0 up || fail "no eth0"
udhcpc -i eth0 -n -q -t 10 -s /usr/share/udhcpc/default.script >"$out/udhcpc.log" 2>&1 ||
	fail "udhcpc: $(tail -n 1 "$out/udhcpc.log")"

# kmsg_put: /tmp/msg as one write() to /dev/kmsg, so one record.
kmsg_put() {
	dd if=/tmp/msg of=/dev/kmsg bs=4096 2>/dev/null || fail "write to /dev/kmsg"
}
printf 'crashkit-e2e: marker begin\n' >/tmp/msg && kmsg_put
printf 'crashkit-e2e: multi-line one\nline two of the same record\n' >/tmp/msg && kmsg_put
printf 'crashkit-e2e: utf-8 caf\303\251\n' >/tmp/msg && kmsg_put
printf 'crashkit-e2e: control \001 byte and escape \033[31mred\033[0m\n' >/tmp/msg && kmsg_put
printf '<3>crashkit-e2e: level 3 (err)\n' >/tmp/msg && kmsg_put

uname -r >"$out/release"
cat /proc/cmdline >"$out/cmdline"
cp /etc/crashkit.conf "$out/crashkit.conf" 2>/dev/null
save || fail "cannot write the result disk /dev/vda"

if has_flag placeholder; then
	# Harness self-test: no crashctl; load the test tree's placeholder
	# capture initramfs the way crashctl load would.
	step load kexec -p "/boot/vmlinuz-$kver" --initrd=/e2e/placeholder.cpio.gz \
		--append="console=ttyS0 irqpoll nr_cpus=1 reset_devices panic=1" ||
		fail "kexec -p with the placeholder failed"
else
	command -v crashctl >/dev/null || fail "no crashctl in /opt/crashkit/initramfs"
	step build crashctl build || fail "crashctl build failed"
	ls -ln /var/lib/crashkit/ >"$out/varlib.ls" 2>&1
	cp "/var/lib/crashkit/initrd-$kver.img" "$out/initrd.img" 2>/dev/null
	step load crashctl load || fail "crashctl load failed"
	step status crashctl status
	if has_flag test; then
		step test crashctl test
	fi
fi
cat /sys/kernel/kexec_crash_loaded >"$out/crash_loaded" 2>/dev/null
cat /sys/kernel/kexec_crash_size >"$out/crash_size" 2>/dev/null
[ "$(cat "$out/crash_loaded")" = 1 ] || fail "no capture kernel loaded (kexec_crash_loaded is not 1)"

printf 'crashkit-e2e: marker end\n' >/tmp/msg && kmsg_put
# /dev/kmsg blocks after the last record: stop reading after a few seconds.
timeout 3 dd if=/dev/kmsg of="$out/kmsg.txt" bs=8192 2>/dev/null
grep -q 'crashkit-e2e: marker end' "$out/kmsg.txt" || fail "kmsg snapshot lacks the end marker"
echo crashed >"$out/state"
save || fail "cannot write the result disk /dev/vda"
sync
# An operational machine crashes the way an operator would test it:
# `crashctl test --crash --yes` (it checks status again, syncs, sysrq-c).
# A scenario whose status is meant to fail crashes by hand.
if ! has_flag placeholder && [ "$(cat "$out/status.rc" 2>/dev/null)" = 0 ]; then
	echo "crashkit-e2e: crashing through crashctl test --crash --yes"
	crashctl test --crash --yes
	fail "crashctl test --crash --yes returned $?"
fi
echo "crashkit-e2e: crashing"
echo c >/proc/sysrq-trigger
sleep 5
fail "still alive after sysrq c"
