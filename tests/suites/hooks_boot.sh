#!/bin/sh
# Boot proof of the initramfs-tools integration: Debian's 6.1 kernel under
# qemu-system-x86_64 -accel tcg with a distro-built initramfs (mkinitramfs,
# MODULES=list, crashkit's hook; tests/e2e/distro-mkinitramfs.sh).
#   1. normal boot: the image mounts root=/dev/vda (ext4), crashkit's
#      init-bottom script does nothing, the root's /sbin/init runs;
#   2. capture: a busybox first kernel loads the same image with kexec -p
#      (command line keeps root=), crashes by sysrq; the capture kernel runs
#      the distro's init (udev loads virtio, mounts root), then crashkit's
#      init-bottom: distro-capture unmounts root, runs crashcapture, powers
#      off (FINAL_ACTION).  The host reads dmesg.txt back from the disk.
# The capture is crashkit's real crashcapture (local target on the root
# disk, DUMP=no to keep the run short): the host finds dmesg.txt and
# manifest.json under /var/crash/HOST-TIME/ on the disk.
# About 90 s on 2 cores (two TCG boots).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
PATH=$PATH:/usr/sbin:/sbin
tmp=$(mktemp -d)
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
DUMP=no
FINAL_ACTION=poweroff
FAILURE_ACTION=poweroff
DEADLINE=5m
EXTRA_MODULES="virtio_pci virtio_blk"
EOF
mkdir -p "$tmp/etc-crashkit"
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

# Root disk: ext4 whose /sbin/init says it ran and powers off.
bb=$(command -v busybox)
mkdir -p "$tmp/rootfs/sbin" "$tmp/rootfs/bin" "$tmp/rootfs/proc" "$tmp/rootfs/dev" "$tmp/rootfs/var/crash"
cp "$bb" "$tmp/rootfs/bin/busybox"
cat >"$tmp/rootfs/sbin/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox echo "crashkit-e2e: normal boot reached the root file system's init"
/bin/busybox poweroff -f
EOF
chmod 0755 "$tmp/rootfs/sbin/init"
truncate -s 64M "$tmp/root.img"
mkfs.ext4 -q -F -L crashroot -d "$tmp/rootfs" "$tmp/root.img" >"$tmp/mkfs.log" 2>&1 ||
	fail "mkfs.ext4 -d: $(tail -n 2 "$tmp/mkfs.log")"

# qemu_run LOG KERNEL INITRD APPEND: boot with the root disk; exit status 0
# when QEMU ended by itself (poweroff, or reboot with -no-reboot).
qemu_run() {
	timeout -k 10 300 nice qemu-system-x86_64 -accel tcg -M pc -cpu qemu64 -smp 1 -m 512 \
		-nographic -no-reboot -nic none -kernel "$2" -initrd "$3" -append "$4" \
		-drive "file=$tmp/root.img,format=raw,if=none,id=d1" -device virtio-blk-pci,drive=d1 \
		</dev/null >"$1" 2>&1
}

# 1. normal boot.
start=$(date +%s)
if qemu_run "$tmp/normal.log" "$kdir/vmlinuz" "$img" "console=ttyS0 root=/dev/vda panic=1"; then
	pass
else
	fail "normal boot: qemu exit $?"
fi
note "normal boot: $(($(date +%s) - start)) s"
grep_in "crashkit-e2e: normal boot reached the root file system's init" "$tmp/normal.log" "normal boot"
if grep -aq 'crashkit:' "$tmp/normal.log"; then
	fail "normal boot: crashkit acted: $(grep -a 'crashkit:' "$tmp/normal.log" | head -n 2)"
else
	pass
fi

# 2. crash and capture.  First kernel: busybox, kexec, the kernel and the
# distro image; it loads the image as the capture initramfs and crashes.
first=$tmp/first
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
cp "$img" "$first/distro.img"
cat >"$first/init" <<EOF
#!/bin/sh
export PATH=/bin:/sbin:/usr/sbin:/usr/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
if ! $kexec_bin -p /vmlinuz --initrd=/distro.img \\
	--append="console=ttyS0 root=/dev/vda irqpoll nr_cpus=1 reset_devices panic=1"; then
	echo "crashkit-e2e: FAIL: kexec -p"
	poweroff -f
fi
echo "crashkit-e2e: loaded, crashing"
echo c >/proc/sysrq-trigger
sleep 5
echo "crashkit-e2e: FAIL: still alive"
poweroff -f
EOF
chmod 0755 "$first/init"
(cd "$first" && find . | cpio -o -H newc -R 0:0 --quiet | gzip -1 >"$tmp/first.cpio.gz") ||
	fail "cpio of the first initramfs"

start=$(date +%s)
if qemu_run "$tmp/crash.log" "$kdir/vmlinuz" "$tmp/first.cpio.gz" \
	"console=ttyS0 crashkernel=192M panic=1"; then
	pass
else
	fail "capture boot: qemu exit $?"
fi
note "crash to capture end: $(($(date +%s) - start)) s"
grep_in 'crashkit-e2e: loaded, crashing' "$tmp/crash.log" "first kernel loaded the distro image"
grep_in 'crashkit: capture kernel \(initramfs-tools initramfs\)' "$tmp/crash.log" "capture kernel ran distro-capture"
grep_in 'crashkit: unmounted /root' "$tmp/crash.log" "distro-capture released the root file system"
grep_in 'crashkit: log and dump saved' "$tmp/crash.log" "crashcapture exit 0 (log saved, DUMP=no)"
grep_in 'crashkit: final action: poweroff' "$tmp/crash.log" "FINAL_ACTION=poweroff"
if grep -aq 'crashkit.conf has errors' "$tmp/crash.log"; then
	fail "the capture kernel found errors in crashkit.conf: $(grep -a 'crashkit.conf:' "$tmp/crash.log" | head -n 2)"
else
	pass
fi
if grep -aq 'normal boot reached' "$tmp/crash.log"; then
	fail "the capture kernel went on to the root's init"
else
	pass
fi
# The log on the disk is the crashed kernel's.
mkdir -p "$tmp/disk"
debugfs -R "rdump / $tmp/disk" "$tmp/root.img" >/dev/null 2>&1 || fail "debugfs rdump"
log=$(find "$tmp/disk/var/crash" -name dmesg.txt | head -n 1)
if [ -n "$log" ]; then
	pass
	grep_in 'sysrq: Trigger a crash' "$log" "dmesg.txt holds the crash"
	grep_in 'crashkernel=192M' "$log" "dmesg.txt is the first kernel's log"
	manifest=${log%/*}/manifest.json
	grep_in '"name": *"dmesg.txt", *"status": *"ok"' "$manifest" "manifest.json: dmesg.txt ok"
	grep_in '"kernel_release": *"6\.1\.' "$manifest" "manifest.json: kernel release"
else
	fail "no /var/crash/*/dmesg.txt on the root disk: $(find "$tmp/disk" | head -n 20 | tr '\n' ' ')"
fi
if [ "$failed" -gt 0 ]; then
	echo "--- capture console (last 30 lines):"
	tail -n 30 "$tmp/crash.log" | tr -d '\r'
fi
finish
