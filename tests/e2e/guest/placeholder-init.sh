#!/bin/sh
# /init of the placeholder capture initramfs (tests/e2e/capture-vm.sh
# --placeholder): a harness self-test, not crashkit's capture. It proves the
# plumbing the real scenarios rely on: the capture kernel boots from kexec -p,
# reaches the disks and QEMU's user network, uploads to the host's test
# servers with busybox wget / ftpput, OpenSSH and the kernel's NFSv4 client,
# runs the post.d hooks, and reboots. It writes only dmesg.txt (crashdmesg --vmcore-dmesg) to the first
# entry of TARGETS, into <HOSTNAME>-placeholder/.
PATH=/bin:/sbin:/usr/bin
export PATH
fail() {
	echo "crashkit-e2e: placeholder FAIL: $*"
	reboot -f
}
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
while read -r m; do
	insmod "/lib/e2e-modules/$m" || echo "crashkit-e2e: placeholder: insmod $m failed"
done </lib/e2e-modules/load-order

# conf KEY: the value of KEY in /etc/crashkit.conf, one pair of quotes stripped.
conf() {
	local v
	v=$(sed -n "s/^$1=//p" /etc/crashkit.conf | tail -n 1)
	v=${v#[\"\']}
	v=${v%[\"\']}
	printf '%s\n' "$v"
}
target=$(conf TARGETS)
target=${target%% *}
dir=$(conf HOSTNAME)
dir=${dir:-crashkit-e2e}-placeholder
crashdmesg --vmcore-dmesg /proc/vmcore >/tmp/dmesg.txt || fail "crashdmesg"
echo "crashkit-e2e: placeholder: $(wc -c </tmp/dmesg.txt) bytes of log, target $target"
case $target in
ssh | http | ftp | nfs)
	ip link set lo up
	ip link set eth0 up || fail "no eth0"
	udhcpc -i eth0 -n -q -t 10 -s /usr/share/udhcpc/default.script >/dev/null 2>&1 || fail "udhcpc"
	;;
esac
case $target in
local)
	i=0
	until dev=$(findfs "$(conf LOCAL_DEVICE)" 2>/dev/null); do
		i=$((i + 1))
		[ "$i" -le 20 ] || fail "no $(conf LOCAL_DEVICE)"
		sleep 1
	done
	mkdir -p /mnt
	mount -t ext4 "$dev" /mnt || fail "mount $dev"
	p=/mnt$(conf LOCAL_PATH)/$dir
	if ! { mkdir -p "$p" && chmod 700 "$p" && cp /tmp/dmesg.txt "$p/dmesg.txt" && chmod 600 "$p/dmesg.txt"; }; then
		fail "write to $p"
	fi
	umount /mnt
	;;
nfs)
	mkdir -p /mnt
	mount -t nfs4 -o "$(conf NFS_OPTIONS)" "$(conf NFS_EXPORT)" /mnt || fail "mount $(conf NFS_EXPORT)"
	p=/mnt/$dir
	if ! { mkdir -p "$p" && chmod 700 "$p" && cp /tmp/dmesg.txt "$p/dmesg.txt" && chmod 600 "$p/dmesg.txt"; }; then
		fail "write to $p"
	fi
	umount /mnt
	;;
http)
	wget -q -O /dev/null --post-file=/tmp/dmesg.txt "$(conf HTTP_URL)/$dir/dmesg.txt" || fail "wget POST"
	;;
ftp)
	ftpput -P "$(conf FTP_PORT)" -u "$(conf FTP_USER)" -p "$(cat /etc/crashkit/ftp-password)" \
		"$(conf FTP_HOST)" "$dir.dmesg.txt" /tmp/dmesg.txt || fail "ftpput"
	;;
ssh)
	ssh -p "$(conf SSH_PORT)" -i /etc/crashkit/ssh/key -o BatchMode=yes \
		-o UserKnownHostsFile=/etc/crashkit/ssh/known_hosts -o StrictHostKeyChecking=yes \
		"$(conf SSH_TARGET)" "mkdir -p '$(conf SSH_PATH)/$dir' && cat >'$(conf SSH_PATH)/$dir/dmesg.txt'" \
		</tmp/dmesg.txt || fail "ssh"
	;;
*) fail "placeholder: target '$target' not handled" ;;
esac
echo "crashkit-e2e: placeholder: saved to $target"
for h in /etc/crashkit/post.d/*; do
	[ -x "$h" ] || continue
	"$h" || echo "crashkit-e2e: placeholder: hook $h failed"
done
reboot -f
