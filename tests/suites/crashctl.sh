#!/bin/sh
# initramfs/crashctl on faked /proc, /sys and /boot trees (--root), with a
# fake kexec and a fake initramfs builder on PATH (tests/shell/), under dash
# and busybox ash: status checks and exit codes, doctor's explanations, the capture command line,
# load/unload, config errors, list/prune, savecore from a raw image holding a
# real crashcopy -F stream, estimate, and `test` against a loop-mounted ext4
# target when capture/crashcapture exists.
# shellcheck disable=SC2015 # "check && pass || fail": pass cannot fail
# shellcheck disable=SC2012 # ls lists directories whose names this suite made
# shellcheck disable=SC3043 # `local` is in dash and busybox ash
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
tmp=$(mktemp -d)
loopdev=
cleanup() {
	[ -z "$loopdev" ] || losetup -d "$loopdev" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
passed=0
failed=0
pass() { passed=$((passed + 1)); }
fail() {
	failed=$((failed + 1))
	echo "FAIL: $*"
}

CRASHCTL=$top/initramfs/crashctl
KVER=6.1.0-13-amd64
FIXTURE=$top/fixtures/real/bookworm-6.1.vmcore

# Binaries: the sanitized test builds when present, else the release ones.
if [ -x build/asan/crashcopy ]; then
	CRASHCOPY=$top/build/asan/crashcopy
elif [ -x capture/crashcopy/crashcopy ]; then
	CRASHCOPY=$top/capture/crashcopy/crashcopy
else
	echo "crashctl: crashcopy is not built (make test-bins)"
	echo "crashctl: 0 passed, 1 failed"
	exit 1
fi
mkdir -p "$tmp/bin" "$tmp/lib/lib"
ln -s "$CRASHCOPY" "$tmp/bin/crashcopy"
# status asks an http target with crashsend --probe, the capture's own client.
ln -s "$top/build/asan/crashsend" "$tmp/bin/crashsend"
ln -s "$top/tests/shell/fake-kexec" "$tmp/bin/kexec"
# A data directory without xen.sh and with the fake builder (CRASHKIT_LIBDIR).
ln -s "$top/capture/lib/conf.sh" "$tmp/lib/lib/conf.sh"
ln -s "$top/tests/shell/fake-build" "$tmp/lib/build"
export CRASHKIT_LIBDIR="$tmp/lib" CRASHKIT_BINDIR="$tmp/bin"
export FAKE_KEXEC_LOG="$tmp/kexec.argv" FAKE_BUILD_LOG="$tmp/build.log"
PATH=$tmp/bin:$PATH
export PATH

# mkroot DIR: a fake root of a machine where capture works: 256 MiB reserved,
# capture kernel loaded, no lockdown, a raw target file, the initramfs built.
mkroot() {
	local r="$1"
	rm -rf "$r"
	mkdir -p "$r/proc/sys/kernel" "$r/sys/kernel/security" "$r/etc" "$r/boot" "$r/dev" \
		"$r/lib/modules/$KVER"
	echo "BOOT_IMAGE=/boot/vmlinuz-$KVER root=UUID=6c1d ro quiet crashkernel=256M" >"$r/proc/cmdline"
	echo 268435456 >"$r/sys/kernel/kexec_crash_size"
	echo 1 >"$r/sys/kernel/kexec_crash_loaded"
	echo 0 >"$r/proc/sys/kernel/kexec_load_disabled"
	echo '[none] integrity confidentiality' >"$r/sys/kernel/security/lockdown"
	printf '00000000-00000fff : Reserved\n00100000-bffdffff : System RAM\n  2b000000-3affffff : Crash kernel\n' >"$r/proc/iomem"
	printf 'MemTotal: 4000000 kB\nMemFree: 1000000 kB\nBuffers: 100000 kB\nCached: 1500000 kB\nShmem: 50000 kB\nAnonPages: 800000 kB\n' >"$r/proc/meminfo"
	echo "kernel/drivers/block/virtio_blk.ko: kernel/drivers/virtio/virtio.ko" >"$r/lib/modules/$KVER/modules.dep"
	printf 'vmlinuz\n' >"$r/boot/vmlinuz-$KVER"
	truncate -s 1G "$r/dev/vdc"
	printf 'TARGETS=raw\nRAW_DEVICE=/dev/vdc\nKDUMP_KVER=%s\n' "$KVER" >"$r/etc/crashkit.conf"
	FAKE_ROOT=$r $SH "$CRASHCTL" --root "$r" build >/dev/null 2>&1
}

# run SHELL ARGS...: run crashctl; stdout+stderr to $tmp/out, status in rc.
run() {
	local sh="$1"
	shift
	FAKE_ROOT=${FAKE_ROOT:-/nonexistent} $sh "$CRASHCTL" "$@" >"$tmp/out" 2>&1
	rc=$?
}

# want DESC RC [SUBSTRING...]: the last run exited RC and printed every
# SUBSTRING.
want() {
	local desc="$1" wrc="$2" s
	shift 2
	if [ "$rc" -ne "$wrc" ]; then
		fail "$SH: $desc: exit $rc, want $wrc: $(cat "$tmp/out")"
		return
	fi
	for s in "$@"; do
		if ! grep -qF -- "$s" "$tmp/out"; then
			fail "$SH: $desc: output lacks '$s': $(cat "$tmp/out")"
			return
		fi
	done
	pass
}

# lacks DESC SUBSTRING: the last run did not print SUBSTRING.
lacks() {
	if grep -qF -- "$2" "$tmp/out"; then
		fail "$SH: $1: output has '$2': $(cat "$tmp/out")"
	else
		pass
	fi
}

# A PE image with a non-empty certificate table (a "signed" kernel) and one
# without: e_lfanew 0x80, PE32+ optional header, data directory 4.
mkpe() {
	local f="$1" certsize="$2"
	head -c 512 /dev/zero >"$f"
	printf 'MZ' | dd of="$f" conv=notrunc 2>/dev/null
	printf '\200\000\000\000' | dd of="$f" bs=1 seek=60 conv=notrunc 2>/dev/null
	printf 'PE\000\000' | dd of="$f" bs=1 seek=128 conv=notrunc 2>/dev/null
	printf '\013\002' | dd of="$f" bs=1 seek=152 conv=notrunc 2>/dev/null
	printf '%b' "$certsize" | dd of="$f" bs=1 seek=300 conv=notrunc 2>/dev/null
}

for SH in dash "busybox ash"; do
	R=$tmp/root
	export FAKE_ROOT="$R"

	# --- usage and config errors -----------------------------------------
	run "$SH" --help
	want "--help" 0 "Usage: crashctl" "savecore"
	run "$SH"
	want "no verb" 2 "no verb given"
	run "$SH" --root "$tmp" frobnicate
	want "unknown verb" 2 "unknown verb 'frobnicate'"
	run "$SH" --bogus status
	want "unknown option" 2 "unknown option '--bogus'"
	run "$SH" status --conf
	want "option without value" 2 "--conf needs a value"

	mkroot "$R"
	printf 'TARGETS=raw\nRAW_DEVICE=/dev/vdc\n\nDUMP_LEVL=31\nDUMP_CODEC=lz4\n' >"$tmp/bad.conf"
	run "$SH" --root "$R" --conf "$tmp/bad.conf" status
	want "config errors with line numbers" 1 "bad.conf:4: unknown key 'DUMP_LEVL'" \
		"bad.conf:5: DUMP_CODEC: 'lz4' is not lzo, zlib, zstd or none"
	run "$SH" --root "$R" --conf "$tmp/missing.conf" show
	want "missing config" 1 "missing.conf: cannot read the configuration"

	# --- status -------------------------------------------------------------
	run "$SH" --root "$R" status
	want "status: all good" 0 "ok   reservation 256 MiB reserved at 0x2b000000-0x3affffff" \
		"ok   loaded" "ok   initramfs" "matches kernel, config and modules" "ok   target      raw: /dev/vdc" \
		"crash capture: operational"
	lacks "status: all good" "FAIL"

	echo 0 >"$R/sys/kernel/kexec_crash_size"
	run "$SH" --root "$R" status
	want "status: reservation from /proc/iomem alone" 0 "ok   reservation 256 MiB reserved at 0x2b000000-0x3affffff"

	printf '00000000-00000fff : Reserved\n' >"$R/proc/iomem"
	run "$SH" --root "$R" status
	want "status: crashkernel= only on the command line" 3 "FAIL reservation no memory reserved" \
		"crashkernel=256M is on the command line but the kernel reserved nothing" "crash capture: NOT operational"

	echo "BOOT_IMAGE=/boot/vmlinuz root=/dev/vda1" >"$R/proc/cmdline"
	run "$SH" --root "$R" status
	want "status: no reservation at all" 3 "FAIL reservation" "add crashkernel= to the kernel command line"

	mkroot "$R"
	echo 0 >"$R/sys/kernel/kexec_crash_loaded"
	run "$SH" --root "$R" status
	want "status: not loaded" 3 "FAIL loaded      no capture kernel loaded (crashctl load)"

	echo 1 >"$R/proc/sys/kernel/kexec_load_disabled"
	run "$SH" --root "$R" status
	want "status: kexec disabled, not loaded" 3 "FAIL kexec       kexec_load_disabled=1"
	echo 1 >"$R/sys/kernel/kexec_crash_loaded"
	run "$SH" --root "$R" status
	want "status: kexec disabled, already loaded" 0 "warn kexec       kexec_load_disabled=1: the loaded image stays"

	mkroot "$R"
	echo 'none integrity [confidentiality]' >"$R/sys/kernel/security/lockdown"
	run "$SH" --root "$R" status
	want "status: lockdown, unsigned kernel" 3 "FAIL lockdown    lockdown=confidentiality: kexec_file_load (-s) needs a signed kernel" "has no signature"
	mkpe "$R/boot/vmlinuz-$KVER" '\000\001\000\000'
	run "$SH" --root "$R" status
	want "status: lockdown, signed kernel" 0 "ok   lockdown    lockdown=confidentiality: loading with kexec -s"
	mkpe "$R/boot/vmlinuz-$KVER" '\000\000\000\000'
	run "$SH" --root "$R" status
	want "status: lockdown, PE without a certificate table" 3 "has no signature"

	# UEFI Secure Boot without lockdown: the SecureBoot EFI variable (4 bytes
	# of attributes, then 1) also asks for kexec -s.
	mkroot "$R"
	mkdir -p "$R/sys/firmware/efi/efivars"
	printf '\006\000\000\000\001' >"$R/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c"
	run "$SH" --root "$R" status
	want "status: Secure Boot, unsigned kernel" 3 "FAIL lockdown    Secure Boot, lockdown=none: kexec_file_load (-s) needs a signed kernel"
	echo 0 >"$R/sys/kernel/kexec_crash_loaded"
	mkpe "$R/boot/vmlinuz-$KVER" '\000\001\000\000'
	run "$SH" --root "$R" load
	{ [ "$rc" -eq 0 ] && [ "$(sed -n 2p "$tmp/kexec.argv")" = -s ]; } && pass ||
		fail "$SH: load under Secure Boot: exit $rc, kexec got $(cat "$tmp/kexec.argv")"
	printf '\006\000\000\000\000' >"$R/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c"
	run "$SH" --root "$R" load
	{ [ "$rc" -eq 0 ] && [ "$(sed -n 2p "$tmp/kexec.argv")" != -s ]; } && pass ||
		fail "$SH: load with Secure Boot off: exit $rc, kexec got $(cat "$tmp/kexec.argv")"

	mkroot "$R"
	echo "kernel/fs/ext4/ext4.ko:" >>"$R/lib/modules/$KVER/modules.dep"
	run "$SH" --root "$R" status
	want "status: stale initramfs (modules changed)" 3 "FAIL initramfs" "is stale: modules.dep changed since it was built"
	mkroot "$R"
	echo "DUMP_LEVEL=17" >>"$R/etc/crashkit.conf"
	run "$SH" --root "$R" status
	want "status: stale initramfs (config changed)" 3 "is stale: config changed"
	mkroot "$R"
	rm "$R/var/lib/crashkit/initrd-$KVER.img"
	run "$SH" --root "$R" status
	want "status: initramfs missing" 3 "FAIL initramfs" "does not exist (crashctl build)"
	[ "$(stat -c %a "$R/var/lib/crashkit")" = 700 ] && pass || fail "$SH: state dir mode is $(stat -c %a "$R/var/lib/crashkit")"

	mkroot "$R"
	rm "$R/dev/vdc"
	run "$SH" --root "$R" status
	want "status: target missing" 3 "warn target      raw: /dev/vdc not found" "FAIL target      no configured target is reachable"
	truncate -s 8M "$R/dev/vdc"
	run "$SH" --root "$R" status
	want "status: raw target too small for the log" 3 "FAIL space"
	truncate -s 64M "$R/dev/vdc"
	run "$SH" --root "$R" status
	want "status: raw target smaller than the estimate" 0 "warn space       raw: 63 MiB free < up to 635 MiB at dump level 31"

	mkroot "$R"
	mkdir -p "$R/sys/hypervisor" "$R/proc/xen"
	echo xen >"$R/sys/hypervisor/type"
	echo control_d >"$R/proc/xen/capabilities"
	run "$SH" --root "$R" status
	want "status: Xen dom0 without xen.sh" 3 "FAIL reservation Xen dom0 support not installed"
	run "$SH" --root "$R" doctor
	want "doctor: Xen dom0 without xen.sh" 3 "FAIL reservation Xen dom0 support not installed" \
		"fix: reinstall crashkit with its Xen support"

	# doctor on a native host: same checks and exit status as status.
	mkroot "$R"
	run "$SH" --root "$R" status
	# The image's age ("built N s ago") may tick between the two runs.
	sed 's/built [0-9]* s ago/built N s ago/' "$tmp/out" >"$tmp/status.out"
	run "$SH" --root "$R" doctor
	grep -v '^doctor: ' "$tmp/out" | sed 's/built [0-9]* s ago/built N s ago/' >"$tmp/doctor.out"
	{ [ "$rc" -eq 0 ] && cmp -s "$tmp/doctor.out" "$tmp/status.out"; } && pass ||
		fail "$SH: doctor on a healthy host prints status's lines: exit $rc: $(diff "$tmp/status.out" "$tmp/doctor.out" | tr '\n' ' ')"
	want "doctor: healthy host" 0 "doctor: 0 problem(s), 0 warning(s)"
	echo 0 >"$R/sys/kernel/kexec_crash_size"
	echo 0 >"$R/sys/kernel/kexec_crash_loaded"
	printf '00000000-00000fff : Reserved\n' >"$R/proc/iomem"
	echo "BOOT_IMAGE=/boot/vmlinuz-$KVER root=UUID=6c1d ro quiet" >"$R/proc/cmdline"
	run "$SH" --root "$R" doctor
	want "doctor: no reservation, not loaded" 3 "FAIL reservation" \
		"why: a capture kernel runs in memory reserved at boot" \
		"fix: add crashkernel=SIZE (crashctl estimate suggests one) to GRUB_CMDLINE_LINUX_DEFAULT" \
		"FAIL loaded" "fix: crashctl load" "doctor: 2 problem(s), 0 warning(s)"
	mkroot "$R"
	mkdir -p "$tmp/nobuild/lib"
	ln -sf "$top/capture/lib/conf.sh" "$tmp/nobuild/lib/conf.sh"
	CRASHKIT_LIBDIR=$tmp/nobuild run "$SH" --root "$R" doctor
	want "doctor: no initramfs builder is a warning with its fix" 0 \
		"warn initramfs" "freshness not checked" "fix: reinstall crashkit (its builder, $tmp/nobuild/build)" \
		"doctor: 0 problem(s), 1 warning(s)"

	# --- load: the capture command line ----------------------------------
	mkroot "$R"
	echo 0 >"$R/sys/kernel/kexec_crash_loaded"
	while IFS='|' read -r cmdline conf_extra want_append; do
		mkroot "$R"
		echo 0 >"$R/sys/kernel/kexec_crash_loaded"
		printf '%s\n' "$cmdline" >"$R/proc/cmdline"
		printf '%s\n' "$conf_extra" | tr ';' '\n' >>"$R/etc/crashkit.conf"
		rm -f "$tmp/kexec.argv"
		run "$SH" --root "$R" load
		printf '%s\n' -p "$R/boot/vmlinuz-$KVER" "--initrd=$R/var/lib/crashkit/initrd-$KVER.img" \
			"--append=$want_append" >"$tmp/want.argv"
		if [ "$rc" -ne 0 ]; then
			fail "$SH: load '$cmdline': exit $rc: $(cat "$tmp/out")"
		elif ! cmp -s "$tmp/want.argv" "$tmp/kexec.argv"; then
			fail "$SH: load '$cmdline': kexec got $(cat "$tmp/kexec.argv"), want $(cat "$tmp/want.argv")"
		elif [ "$(cat "$R/sys/kernel/kexec_crash_loaded")" != 1 ]; then
			fail "$SH: load '$cmdline': not loaded"
		else
			pass
		fi
	done <<'C'
BOOT_IMAGE=/boot/vmlinuz-6.1.0-13-amd64 root=UUID=6c1d ro quiet crashkernel=256M||irqpoll nr_cpus=1 reset_devices cgroup_disable=memory numa=off transparent_hugepage=never cma=0 hugetlb_cma=0 acpi_no_memhotplug panic=10
BOOT_IMAGE=/vmlinuz root=/dev/mapper/vg-root rootflags=subvol=@ rw resume=UUID=1 console=tty0 console=ttyS0,115200n8 hugepagesz=1G hugepages=4 default_hugepagesz=1G panic_on_warn quiet crashkernel=512M,high initrd=/initrd.img||console=tty0 console=ttyS0,115200n8 irqpoll nr_cpus=1 reset_devices cgroup_disable=memory numa=off transparent_hugepage=never cma=0 hugetlb_cma=0 acpi_no_memhotplug panic=10
root=/dev/sda1 nr_cpus=8 panic=1 mitigations=off nokaslr dyndbg="file foo.c +p" intel_iommu=on -- single|KDUMP_CMDLINE_REMOVE="intel_iommu mitigations=off";KDUMP_CMDLINE_APPEND="nr_cpus=2 novmcoredd"|nokaslr dyndbg="file foo.c +p" irqpoll reset_devices cgroup_disable=memory numa=off transparent_hugepage=never cma=0 hugetlb_cma=0 acpi_no_memhotplug panic=10 nr_cpus=2 novmcoredd
console=hvc0 earlyprintk=xen root=/dev/xvda1 crashkernel=128M||console=hvc0 earlyprintk=xen irqpoll nr_cpus=1 reset_devices cgroup_disable=memory numa=off transparent_hugepage=never cma=0 hugetlb_cma=0 acpi_no_memhotplug panic=10
C
	[ "$(stat -c %a "$R/var/lib/crashkit/initrd-$KVER.img")" = 600 ] && pass ||
		fail "$SH: initramfs mode $(stat -c %a "$R/var/lib/crashkit/initrd-$KVER.img"), want 600"

	# KDUMP_INITRD: a distro-built image is loaded as it is, never built,
	# and its init needs root= to mount the root file system.
	mkroot "$R"
	echo 0 >"$R/sys/kernel/kexec_crash_loaded"
	echo 'BOOT_IMAGE=/vmlinuz root=/dev/mapper/vg-root rootflags=subvol=@ ro quiet crashkernel=256M' >"$R/proc/cmdline"
	echo 'KDUMP_INITRD=/boot/initrd.img-crashkit' >>"$R/etc/crashkit.conf"
	: >"$tmp/build.log"
	run "$SH" --root "$R" load
	want "load: KDUMP_INITRD missing" 1 "KDUMP_INITRD) does not exist"
	echo distro-image >"$R/boot/initrd.img-crashkit"
	rm -f "$tmp/kexec.argv"
	run "$SH" --root "$R" load
	printf '%s\n' -p "$R/boot/vmlinuz-$KVER" "--initrd=$R/boot/initrd.img-crashkit" \
		"--append=root=/dev/mapper/vg-root rootflags=subvol=@ ro irqpoll nr_cpus=1 reset_devices cgroup_disable=memory numa=off transparent_hugepage=never cma=0 hugetlb_cma=0 acpi_no_memhotplug panic=10 rd.shell=0 rd.emergency=reboot rd.timeout=300" >"$tmp/want.argv"
	if [ "$rc" -eq 0 ] && cmp -s "$tmp/want.argv" "$tmp/kexec.argv" && [ ! -s "$tmp/build.log" ]; then
		pass
	else
		fail "$SH: load with KDUMP_INITRD: exit $rc, kexec got $(cat "$tmp/kexec.argv" 2>/dev/null), builder log $(cat "$tmp/build.log")"
	fi
	run "$SH" --root "$R" status
	want "status: KDUMP_INITRD counts as the initramfs" 0 "ok   initramfs   $R/boot/initrd.img-crashkit (KDUMP_INITRD"
	run "$SH" --root "$R" build
	want "build: refuses a KDUMP_INITRD" 1 "is built by the distro's tool"

	# A distro image brings the network up itself, before crashkit's hook:
	# a network target gets ip= (ipconfig's and dracut's syntax),
	# rd.neednet=1 and, for a named device with an address, ifname=; an
	# ip= of the running kernel or of KDUMP_CMDLINE_APPEND wins; no network
	# target, NETWORK=none or our own image: none.  Every distro image gets
	# rd.shell=0 rd.emergency=reboot rd.timeout=300 (dracut's own failures
	# reboot), which KDUMP_CMDLINE_APPEND overrides word by word.  The last field, when
	# there, is the interface of the IPv4 default route (/proc/net/route),
	# which NET_INTERFACE=auto names; ens4 is listed after ens3.
	mkdir -p "$R/sys/class/net/lo" "$R/sys/class/net/ens3" "$R/sys/class/net/ens4" "$R/proc/net"
	echo 52:54:00:ab:cd:ef >"$R/sys/class/net/ens3/address"
	echo 52:54:00:12:34:56 >"$R/sys/class/net/ens4/address"
	while IFS='|' read -r conf cmdline want nowant route; do
		{
			printf 'KDUMP_KVER=%s\nKDUMP_INITRD=/boot/initrd.img-crashkit\n' "$KVER"
			printf '%s\n' "$conf" | tr ';' '\n'
		} >"$R/etc/crashkit.conf"
		echo "$cmdline" >"$R/proc/cmdline"
		{
			printf 'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n'
			printf 'ens3\t0002000A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n'
			[ -z "$route" ] || printf '%s\t00000000\t0202000A\t0003\t0\t0\t100\t00000000\t0\t0\t0\n' "$route"
		} >"$R/proc/net/route"
		rm -f "$tmp/kexec.argv"
		run "$SH" --root "$R" load
		got=$(sed -n 's/^--append=//p' "$tmp/kexec.argv" 2>/dev/null)
		ok=1
		for w in $want; do
			case " $got " in *" $w "*) ;; *) ok=0 ;; esac
		done
		for w in $nowant; do
			case " $got " in *" $w"*) ok=0 ;; esac
		done
		if [ "$rc" -eq 0 ] && [ "$ok" = 1 ]; then
			pass
		else
			fail "$SH: distro image network words for '$conf': exit $rc, --append=$got; want '$want', not '$nowant'"
		fi
	done <<'N'
TARGETS="nfs raw";RAW_DEVICE=/dev/vdc;NFS_EXPORT=10.0.2.2:/srv/crash|root=/dev/vda ro|ip=dhcp rd.neednet=1|ip=: ifname=
TARGETS=ssh;SSH_TARGET=dump@10.0.2.2;NET_INTERFACE=eth1|root=/dev/vda ro|ip=:::::eth1:dhcp rd.neednet=1|ip=dhcp ifname=
TARGETS=http;HTTP_URL=http://10.0.2.2:8080/up;NETWORK=static;NET_ADDRESS=192.168.7.20/21;NET_GATEWAY=192.168.7.1;NET_DNS=192.168.7.2 192.168.7.3 192.168.7.4|root=/dev/vda ro|ip=192.168.7.20::192.168.7.1:255.255.248.0::ens3:off:192.168.7.2:192.168.7.3 rd.neednet=1 ifname=ens3:52:54:00:ab:cd:ef|ip=dhcp
TARGETS=raw;RAW_DEVICE=/dev/vdc;NETWORK=static;NET_ADDRESS=10.1.2.3/32;NET_INTERFACE=eth0|root=/dev/vda ro|ip=10.1.2.3:::255.255.255.255::eth0:off rd.neednet=1|ip=dhcp
TARGETS=nfs;NFS_EXPORT=10.0.2.2:/srv/crash;NETWORK=none|root=/dev/vda ro|root=/dev/vda|ip= rd.neednet
TARGETS=raw;RAW_DEVICE=/dev/vdc|root=/dev/vda ro|root=/dev/vda rd.shell=0 rd.emergency=reboot rd.timeout=300|ip= rd.neednet
TARGETS=raw;RAW_DEVICE=/dev/vdc;KDUMP_CMDLINE_APPEND="rd.shell rd.timeout=60"|root=/dev/vda ro|rd.emergency=reboot rd.shell rd.timeout=60|rd.shell=0 rd.timeout=300
TARGETS=nfs;NFS_EXPORT=10.0.2.2:/srv/crash|root=/dev/nfs ip=10.0.2.15::10.0.2.2:255.255.255.0::eth0:off|ip=10.0.2.15::10.0.2.2:255.255.255.0::eth0:off rd.neednet=1|ip=dhcp
TARGETS=nfs;NFS_EXPORT=10.0.2.2:/srv/crash;KDUMP_CMDLINE_APPEND="ip=eth0:dhcp"|root=/dev/vda ro|ip=eth0:dhcp rd.neednet=1|ip=dhcp
TARGETS=ssh;SSH_TARGET=dump@10.0.2.2|root=/dev/vda ro|ip=:::::ens4:dhcp rd.neednet=1 ifname=ens4:52:54:00:12:34:56|ip=dhcp ifname=ens3|ens4
TARGETS=http;HTTP_URL=http://10.0.2.2:8080/up;NETWORK=static;NET_ADDRESS=10.0.2.77/24;NET_GATEWAY=10.0.2.2|root=/dev/vda ro|ip=10.0.2.77::10.0.2.2:255.255.255.0::ens4:off rd.neednet=1 ifname=ens4:52:54:00:12:34:56|ifname=ens3|ens4
TARGETS=ssh;SSH_TARGET=dump@10.0.2.2;NET_INTERFACE=ens3|root=/dev/vda ro|ip=:::::ens3:dhcp ifname=ens3:52:54:00:ab:cd:ef|ifname=ens4|ens4
TARGETS=ssh;SSH_TARGET=dump@10.0.2.2|root=/dev/vda ro|ip=dhcp rd.neednet=1|ip=: ifname=|lo
N
	# Our own image configures the network in its /init: no ip=.
	printf 'KDUMP_KVER=%s\nTARGETS=nfs\nNFS_EXPORT=10.0.2.2:/srv/crash\n' "$KVER" >"$R/etc/crashkit.conf"
	run "$SH" --root "$R" build
	rm -f "$tmp/kexec.argv"
	run "$SH" --root "$R" load
	got=$(sed -n 's/^--append=//p' "$tmp/kexec.argv" 2>/dev/null)
	case " $got " in
	*' ip='* | *rd.neednet* | *rd.shell* | *rd.emergency*) fail "$SH: own image got distro image words: $got" ;;
	*) [ "$rc" -eq 0 ] && pass || fail "$SH: own image load with nfs: exit $rc: $(cat "$tmp/out")" ;;
	esac

	# One mutating crashctl at a time: a second waits for the lock
	# (CRASHKIT_LOCK_WAIT seconds), then gives up naming the lock; a
	# read-only verb never waits.
	mkroot "$R"
	mkdir -p "$R/var/lib/crashkit"
	flock "$R/var/lib/crashkit/lock" sleep 4 &
	holder=$!
	sleep 1
	CRASHKIT_LOCK_WAIT=1 run "$SH" --root "$R" build
	want "build: waits for another crashctl, then gives up" 1 \
		"another crashctl holds $R/var/lib/crashkit/lock: waiting up to 1s" \
		"still holds $R/var/lib/crashkit/lock after 1s; not running build"
	run "$SH" --root "$R" status
	want "status: never waits for the lock" 0
	CRASHKIT_LOCK_WAIT=30 run "$SH" --root "$R" build
	want "build: runs once the other crashctl is done" 0 "built $R/var/lib/crashkit/initrd-$KVER.img"
	wait "$holder"

	# load builds the initramfs when it is missing, uses -s under lockdown,
	# passes KEXEC_ARGS, verifies, and records the command.
	mkroot "$R"
	echo 0 >"$R/sys/kernel/kexec_crash_loaded"
	rm "$R/var/lib/crashkit/initrd-$KVER.img"
	echo '[integrity] none' >"$R/sys/kernel/security/lockdown"
	echo 'KEXEC_ARGS=--reuse-cmdline-no --console-serial' >>"$R/etc/crashkit.conf"
	mkpe "$R/boot/vmlinuz-$KVER" '\000\001\000\000'
	: >"$tmp/build.log"
	run "$SH" --root "$R" load
	want "load: builds a missing initramfs first" 0 "initramfs missing: building" "built $R/var/lib/crashkit/initrd-$KVER.img"
	grep -q "^build no $KVER" "$tmp/build.log" && pass || fail "$SH: load did not run the builder: $(cat "$tmp/build.log")"
	{ [ "$(sed -n 2p "$tmp/kexec.argv")" = -s ] && [ "$(tail -n 2 "$tmp/kexec.argv" | tr '\n' ' ')" = "--reuse-cmdline-no --console-serial " ]; } &&
		pass || fail "$SH: load under lockdown: kexec got $(cat "$tmp/kexec.argv")"
	grep -q -- '-p -s' "$R/var/lib/crashkit/kexec_cmd" && pass || fail "$SH: kexec_cmd not recorded"
	run "$SH" --root "$R" show
	want "show: config, reservation, loaded, cmdline" 0 "DUMP_LEVEL=31" "reservation:     256 MiB" "loaded:          yes" \
		"initramfs:       $R/var/lib/crashkit/initrd-$KVER.img" "capture cmdline: irqpoll nr_cpus=1" "load command:    kexec -p -s"

	mkroot "$R"
	echo 0 >"$R/sys/kernel/kexec_crash_loaded"
	FAKE_KEXEC_NOLOAD=1 run "$SH" --root "$R" load
	want "load: verified after kexec" 1 "kexec succeeded but no capture kernel is loaded"
	FAKE_KEXEC_RC=1 run "$SH" --root "$R" load
	want "load: kexec fails" 1 "kexec failed"
	echo 1 >"$R/proc/sys/kernel/kexec_load_disabled"
	run "$SH" --root "$R" load
	want "load: kexec disabled" 1 "kexec_load_disabled=1"
	# A rebuild after the load: the loaded image is older.
	echo 0 >"$R/proc/sys/kernel/kexec_load_disabled"
	run "$SH" --root "$R" load
	echo "DUMP_LEVEL=1" >>"$R/etc/crashkit.conf"
	FAKE_ROOT=$R $SH "$CRASHCTL" --root "$R" build >/dev/null 2>&1
	run "$SH" --root "$R" status
	want "status: rebuilt after load" 0 "warn loaded      capture kernel loaded, but with an older initramfs"
	mkroot "$R"
	run "$SH" --root "$R" unload
	{ [ "$rc" -eq 0 ] && [ "$(tr '\n' ' ' <"$tmp/kexec.argv")" = "-p -u " ] &&
		[ "$(cat "$R/sys/kernel/kexec_crash_loaded")" = 0 ]; } && pass || fail "$SH: unload: $(cat "$tmp/out")"
	mkroot "$R"
	printf 'initramfs for %s, corrupted\n' "$KVER" >"$R/var/lib/crashkit/initrd-$KVER.img"
	echo "kernel/fs/xfs/xfs.ko:" >>"$R/lib/modules/$KVER/modules.dep"
	run "$SH" --root "$R" load
	want "load: rebuilds a stale initramfs" 0 "initramfs stale: building"

	# Xen PV dom0 through a fake xen.sh: reservation and loaded state come
	# from it, console=hvc0 goes, no -s even under lockdown.
	mkdir -p "$tmp/xenlib/lib"
	ln -sf "$top/capture/lib/conf.sh" "$tmp/xenlib/lib/conf.sh"
	ln -sf "$top/tests/shell/fake-build" "$tmp/xenlib/build"
	cat >"$tmp/xenlib/xen.sh" <<'X'
# shellcheck shell=sh
xen_is_pv_dom0() { return 0; }
xen_crash_range() { echo "0x4000000 268435456"; }
xen_crash_loaded() { cat "$FAKE_ROOT/sys/kernel/kexec_crash_loaded"; }
xen_cmdline() { echo "dom0_mem=1G crashkernel=256M@64M"; }
xen_load_args() { echo "--xen-flag console=ttyS0,115200"; }
xen_check() { echo "xen: warning: a cross-check disagrees"; return 0; }
X
	mkroot "$R"
	echo 0 >"$R/sys/kernel/kexec_crash_size"
	printf '00000000-00000fff : Reserved\n' >"$R/proc/iomem"
	echo 'console=hvc0 earlyprintk=xen root=/dev/xvda1 crashkernel=128M' >"$R/proc/cmdline"
	echo '[integrity] none' >"$R/sys/kernel/security/lockdown"
	echo 0 >"$R/sys/kernel/kexec_crash_loaded"
	CRASHKIT_LIBDIR=$tmp/xenlib run "$SH" --root "$R" load
	printf '%s\n' -p --xen-flag "$R/boot/vmlinuz-$KVER" "--initrd=$R/var/lib/crashkit/initrd-$KVER.img" \
		"--append=irqpoll nr_cpus=1 reset_devices cgroup_disable=memory numa=off transparent_hugepage=never cma=0 hugetlb_cma=0 acpi_no_memhotplug panic=10 console=ttyS0,115200" >"$tmp/want.argv"
	{ [ "$rc" -eq 0 ] && cmp -s "$tmp/want.argv" "$tmp/kexec.argv"; } && pass ||
		fail "$SH: Xen load: exit $rc, kexec got $(cat "$tmp/kexec.argv"): $(cat "$tmp/out")"
	CRASHKIT_LIBDIR=$tmp/xenlib run "$SH" --root "$R" status
	want "status on Xen via xen.sh" 0 "ok   reservation 256 MiB reserved by Xen at 0x4000000" \
		"warn xen         a cross-check disagrees"

	# The real xen.sh on a faked PV dom0 (its CRASHKIT_* overrides; crashctl
	# points CRASHKIT_SYSFS and CRASHKIT_PROCFS into --root).
	mkdir -p "$tmp/xenlib2/lib" "$tmp/xenbin"
	ln -sf "$top/capture/lib/conf.sh" "$tmp/xenlib2/lib/conf.sh"
	ln -sf "$top/tests/shell/fake-build" "$tmp/xenlib2/build"
	ln -sf "$top/initramfs/xen.sh" "$tmp/xenlib2/xen.sh"
	cat >"$tmp/xenbin/crashkit-xen" <<'X'
#!/bin/sh
[ "$1" = --device ] && shift 2
case $1 in
range) printf '%s\n' "${FAKE_RANGE-0x4000000 0x10000000}" ;;
loaded) cat "$FAKE_ROOT/sys/kernel/kexec_crash_loaded" ;;
cmdline) echo "${FAKE_XEN_CMDLINE-console=com1 com1=115200,8n1 crashkernel=256M@64M}" ;;
*) exit 2 ;;
esac
X
	chmod 755 "$tmp/xenbin/crashkit-xen"
	mkroot "$R"
	echo 0 >"$R/sys/kernel/kexec_crash_size"
	echo 0 >"$R/sys/kernel/kexec_crash_loaded"
	printf '00000000-00000fff : Reserved\n' >"$R/proc/iomem"
	mkdir -p "$R/sys/hypervisor" "$R/proc/xen"
	echo xen >"$R/sys/hypervisor/type"
	echo PV >"$R/sys/hypervisor/guest_type"
	echo control_d >"$R/proc/xen/capabilities"
	echo '0x00000000355da000 1024' >"$R/sys/kernel/vmcoreinfo"
	: >"$R/dev/privcmd"
	echo 'placeholder=1 root=/dev/xvda1 ro console=hvc0 earlyprintk=xen xencons=tty' >"$R/proc/cmdline"
	echo '[integrity] none' >"$R/sys/kernel/security/lockdown"
	export CRASHKIT_XEN_HELPER="$tmp/xenbin/crashkit-xen" CRASHKIT_XEN_PRIVCMD="$R/dev/privcmd" \
		CRASHKIT_KEXEC="$top/tests/shell/fake-kexec" CRASHKIT_XL=false
	CRASHKIT_LIBDIR=$tmp/xenlib2 run "$SH" --root "$R" status
	want "real xen.sh: not loaded" 3 "ok   reservation 256 MiB reserved by Xen at 0x4000000" "FAIL loaded"
	CRASHKIT_LIBDIR=$tmp/xenlib2 run "$SH" --root "$R" load
	printf '%s\n' -p "$R/boot/vmlinuz-$KVER" "--initrd=$R/var/lib/crashkit/initrd-$KVER.img" \
		"--append=placeholder=1 irqpoll nr_cpus=1 reset_devices cgroup_disable=memory numa=off transparent_hugepage=never cma=0 hugetlb_cma=0 acpi_no_memhotplug panic=10 console=ttyS0,115200 crashkit.dom0_vmcoreinfo=0x355da000" >"$tmp/want.argv"
	{ [ "$rc" -eq 0 ] && cmp -s "$tmp/want.argv" "$tmp/kexec.argv"; } && pass ||
		fail "$SH: real xen.sh load: exit $rc, kexec got $(cat "$tmp/kexec.argv"): $(cat "$tmp/out")"
	CRASHKIT_LIBDIR=$tmp/xenlib2 run "$SH" --root "$R" status
	want "real xen.sh: loaded" 0 "ok   loaded" "ok   xen"
	FAKE_RANGE="0x0 0x0" CRASHKIT_LIBDIR=$tmp/xenlib2 run "$SH" --root "$R" status
	want "real xen.sh: no crash area" 3 "FAIL reservation Xen reserved no memory" "GRUB_CMDLINE_XEN_DEFAULT"
	# doctor: status's findings, each with why and fix.
	CRASHKIT_LIBDIR=$tmp/xenlib2 run "$SH" --root "$R" doctor
	want "doctor on Xen: healthy" 0 "ok   reservation 256 MiB reserved by Xen at 0x4000000" "ok   xen" \
		"crash capture: operational" "doctor: 0 problem(s), 0 warning(s)"
	lacks "doctor on Xen: healthy has no fix line" "fix:"
	echo 'placeholder=1 root=/dev/xvda1 ro console=hvc0 crashkernel=128M' >"$R/proc/cmdline"
	FAKE_RANGE="0x0 0x0" FAKE_XEN_CMDLINE="console=com1 com1=115200,8n1" CRASHKIT_LIBDIR=$tmp/xenlib2 \
		run "$SH" --root "$R" doctor
	want "doctor on Xen: crashkernel= missing on Xen's line, present on dom0's" 3 \
		"FAIL reservation Xen reserved no memory" \
		"why: under Xen the hypervisor reserves the crash area" \
		"fix: add crashkernel=256M@64M (crashctl estimate suggests a size) to the Xen line: GRUB_CMDLINE_XEN_DEFAULT (or GRUB_CMDLINE_XEN) in /etc/default/grub, then update-grub and reboot" \
		"note: crashkernel=128M is on the dom0 Linux line (/proc/cmdline), which a PV dom0 ignores" \
		"FAIL xen         crashkernel= is on the dom0 Linux command line" \
		"why: a PV dom0 ignores crashkernel= on its own line" \
		"fix: remove it from GRUB_CMDLINE_LINUX* and put it on the Xen line: GRUB_CMDLINE_XEN_DEFAULT" \
		"crash capture: NOT operational"
	echo 'placeholder=1 root=/dev/xvda1 ro console=hvc0' >"$R/proc/cmdline"
	FAKE_RANGE="0x0 0x0" FAKE_XEN_CMDLINE="console=com1 com1=115200,8n1" CRASHKIT_LIBDIR=$tmp/xenlib2 \
		run "$SH" --root "$R" doctor
	want "doctor on Xen: no crashkernel= on Xen's line" 3 \
		"FAIL xen         Xen reserved no crash area: its command line has no crashkernel=" \
		"why: Xen, not dom0, reserves the crash area; Xen's command line has no crashkernel=" \
		"fix: add e.g. crashkernel=256M@64M to GRUB_CMDLINE_XEN_DEFAULT (or GRUB_CMDLINE_XEN) in /etc/default/grub"
	lacks "doctor on Xen: no dom0 note without crashkernel= on dom0's line" "note:"
	printf '#!/bin/sh\nexit 0\n' >"$tmp/xenbin/kexec-noxen"
	chmod 755 "$tmp/xenbin/kexec-noxen"
	CRASHKIT_KEXEC="$tmp/xenbin/kexec-noxen" CRASHKIT_LIBDIR=$tmp/xenlib2 run "$SH" --root "$R" doctor
	want "doctor on Xen: kexec without Xen support" 3 "has no Xen support" \
		"why: under Xen the capture kernel must be handed to the hypervisor" \
		"fix: install a Xen-enabled kexec-tools (Debian's is linked to libxenctrl); never kexec -s on Xen"
	rm "$R/dev/privcmd"
	CRASHKIT_LIBDIR=$tmp/xenlib2 run "$SH" --root "$R" doctor
	want "doctor on Xen: no xen-privcmd" 3 "/dev/xen/privcmd is missing" \
		"why: without /dev/xen/privcmd no tool can ask Xen anything" \
		"fix: modprobe xen-privcmd, and list xen-privcmd in /etc/modules"
	: >"$R/dev/privcmd"
	CRASHKIT_LIBDIR=$tmp/xenlib2 run "$SH" --root "$R" estimate
	# shellcheck disable=SC2016 # the literal line crashctl prints
	want "real xen.sh: estimate" 0 'GRUB_CMDLINE_XEN_DEFAULT="$GRUB_CMDLINE_XEN_DEFAULT crashkernel=' "M@64M"
	unset CRASHKIT_XEN_HELPER CRASHKIT_XEN_PRIVCMD CRASHKIT_KEXEC CRASHKIT_XL

	# --- estimate -----------------------------------------------------------
	mkroot "$R"
	echo DUMP_LEVEL=17 >>"$R/etc/crashkit.conf"
	run "$SH" --root "$R" estimate
	# shellcheck disable=SC2016 # the literal line crashctl prints
	want "estimate" 0 "memory: 3.8 GiB (MemTotal)" "-d 0     3.8 GiB" "-d 31    635 MiB" \
		"-d 17    2.9 GiB  excludes zero, free pages  (configured)" "crashkernel=" \
		'GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX crashkernel='

	run "$SH" --root "$R" estimate --vmcore "$FIXTURE"
	want "estimate with crashcopy --estimate" 0 "measured by crashcopy --estimate on $FIXTURE" \
		"crashcopy --estimate -d 31 lzo: 71 KiB compressed (27 of 150 pages kept)"

	# --- test --crash needs --yes ------------------------------------------
	run "$SH" --root "$R" test --crash
	want "test --crash without --yes" 2 "add --yes"
	[ ! -e "$R/proc/sysrq-trigger" ] && pass || fail "$SH: test --crash wrote sysrq-trigger"
	mkroot "$R"
	echo 0 >"$R/sys/kernel/kexec_crash_loaded"
	run "$SH" --root "$R" test --crash --yes
	want "test --crash --yes refuses when status fails" 1 "status is not operational: not crashing" \
		"FAIL loaded" "fix: crashctl load"
	[ ! -e "$R/proc/sysrq-trigger" ] && pass || fail "$SH: test --crash wrote sysrq-trigger while not operational"
	# Operational: the marker goes to the kernel log, then sysrq-c; a
	# machine that survives that is an error (here $R's files are plain).
	mkroot "$R"
	mkdir -p "$R/dev"
	: >"$R/dev/kmsg"
	run "$SH" --root "$R" test --crash --yes
	want "test --crash --yes on an operational machine" 1 "crashing now (sysrq-c)" "still running after sysrq-c"
	[ "$(cat "$R/proc/sysrq-trigger" 2>/dev/null)" = c ] && pass || fail "$SH: test --crash did not write c to sysrq-trigger"
	grep -qx '<5>crashkit: crashctl test --crash: crashing on purpose (sysrq-c)' "$R/dev/kmsg" && pass ||
		fail "$SH: test --crash wrote no kernel-log record: $(cat "$R/dev/kmsg")"

	# --- list and prune -----------------------------------------------------
	d=$tmp/dumps
	rm -rf "$d"
	mkdir -p "$d/notadump"
	for t in 20261101T010203Z 20261105T000000Z 20261103T120000Z 20261110T235959Z; do
		mkdir -p "$d/web-1-$t"
		head -c 300000 /dev/zero >"$d/web-1-$t/vmcore"
		printf '{ "format": 1, "panic": "Kernel panic - not syncing: sysrq %s",\n "capture": { "target": "local", "status": "ok", "targets": [ { "name": "ssh", "status": "failed" } ] },\n "artifacts": [ { "name": "dmesg.txt", "status": "ok" }, { "name": "vmcore", "status": "truncated", "reason": "disk full" } ] }\n' "$t" >"$d/web-1-$t/manifest.json"
	done
	rm "$d/web-1-20261103T120000Z/manifest.json"
	run "$SH" --root "$R" list --dir "$d"
	want "list" 0 "4 dump(s) in $d" "web-1-20261110T235959Z" "Kernel panic - not syncing: sysrq 20261110T235959Z"
	if [ "$rc" -eq 0 ]; then
		order=$(awk 'NR > 1 && $1 ~ /^web/ { printf "%s %s %s|", $1, $2, $3 }' "$tmp/out")
		[ "$order" = "web-1-20261110T235959Z ok truncated|web-1-20261105T000000Z ok truncated|web-1-20261103T120000Z no-manifest -|web-1-20261101T010203Z ok truncated|" ] &&
			pass || fail "$SH: list order/status: $order"
	fi
	printf 'KEEP_DUMPS=2\n' >>"$R/etc/crashkit.conf"
	run "$SH" --root "$R" prune --dir "$d" --dry-run
	want "prune --dry-run" 0 "would remove $d/web-1-20261101T010203Z" "would remove $d/web-1-20261103T120000Z" "would remove 2 of 4"
	[ "$(ls "$d" | wc -l)" -eq 5 ] && pass || fail "$SH: prune --dry-run removed something: $(ls "$d")"
	run "$SH" --root "$R" prune --dir "$d"
	want "prune KEEP_DUMPS=2" 0 "removed 2 of 4"
	[ "$(ls "$d" | tr '\n' ' ')" = "notadump web-1-20261105T000000Z web-1-20261110T235959Z " ] && pass ||
		fail "$SH: prune KEEP_DUMPS=2 left $(ls "$d" | tr '\n' ' ')"
	# Removal is oldest first (the output order says so).
	grep '^removed' "$tmp/out" | head -n 1 | grep -q 20261101T010203Z && pass || fail "$SH: prune not oldest first: $(cat "$tmp/out")"
	printf 'KEEP_DUMPS=0\nKEEP_SIZE=1K\n' >>"$R/etc/crashkit.conf"
	run "$SH" --root "$R" prune --dir "$d"
	want "prune KEEP_SIZE below the newest: never the newest" 0 "removed 1 of 2"
	[ "$(ls "$d" | tr '\n' ' ')" = "notadump web-1-20261110T235959Z " ] && pass ||
		fail "$SH: prune KEEP_SIZE left $(ls "$d" | tr '\n' ' ')"

	# --- savecore from a raw image (doc/capture.md section 6) --------------
	raw=$tmp/raw.img
	"$CRASHCOPY" -F -l -d 31 "$FIXTURE" >"$tmp/stream" 2>/dev/null
	"$CRASHCOPY" -l -d 31 "$FIXTURE" "$tmp/direct.vmcore" 2>/dev/null
	log=$top/fixtures/real/bookworm-6.1.vmcore-dmesg
	logsize=$(wc -c <"$log")
	streamsize=$(wc -c <"$tmp/stream")
	mkraw() { # STATE DUMP_STATUS [DUMP_SIZE]
		rm -f "$raw"
		truncate -s 4M "$raw"
		printf 'CRASHKIT-RAW=1\nstate=%s\nhost=web-1\ntime=20261123T010203Z\nlog_offset=4096\nlog_size=%s\ndump_offset=1048576\ndump_size=%s\ndump_status=%s\n' \
			"$1" "$logsize" "${3:-$streamsize}" "$2" | dd of="$raw" conv=notrunc 2>/dev/null
		dd if="$log" of="$raw" bs=4096 seek=1 conv=notrunc 2>/dev/null
		dd if="$tmp/stream" of="$raw" bs=1048576 seek=1 conv=notrunc 2>/dev/null
	}
	mkraw complete 0
	rm -rf "$tmp/saved"
	run "$SH" --root "$R" savecore --device "$raw" --dir "$tmp/saved"
	s=$tmp/saved/web-1-20261123T010203Z
	want "savecore" 0 "saved $s (vmcore: ok)" "marked state=saved"
	cmp -s "$s/vmcore" "$tmp/direct.vmcore" && pass || fail "$SH: savecore vmcore differs from crashcopy's direct output"
	cmp -s "$s/dmesg.txt" "$log" && pass || fail "$SH: savecore dmesg.txt differs from the log written"
	{ grep -q '"status": "ok"' "$s/manifest.json" && grep -q "\"sha256\": \"$(sha256sum <"$s/vmcore" | cut -c1-64)\"" "$s/manifest.json" &&
		grep -q '"kernel_release": "6.1.0-50-amd64"' "$s/manifest.json" && grep -q '"crash_time": "2026-11-23T01:02:03Z"' "$s/manifest.json"; } &&
		pass || fail "$SH: savecore manifest: $(cat "$s/manifest.json")"
	if command -v /usr/bin/python3 >/dev/null 2>&1; then
		/usr/bin/python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$s/manifest.json" && pass ||
			fail "$SH: savecore manifest is not JSON"
	fi
	[ "$(stat -c %a "$s") $(stat -c %a "$s/vmcore") $(stat -c %a "$s/manifest.json")" = "700 600 600" ] && pass ||
		fail "$SH: savecore modes: $(stat -c '%n %a' "$s" "$s"/*)"
	head -c 4096 "$raw" | tr -d '\000' | grep -qx 'state=saved' && pass || fail "$SH: header not marked saved"
	run "$SH" --root "$R" savecore --device "$raw" --dir "$tmp/saved"
	want "savecore twice" 0 "holds no unsaved crash (state=saved)"
	# A capture cut short: the stream ends early, the header says incomplete.
	mkraw incomplete 6 $((streamsize / 2))
	rm -rf "$tmp/saved"
	run "$SH" --root "$R" savecore --device "$raw" --dir "$tmp/saved"
	want "savecore: incomplete capture" 1 "vmcore: truncated" "saved $s/dmesg.txt"
	grep -q '"status": "partial"' "$s/manifest.json" 2>/dev/null && pass || fail "$SH: incomplete savecore manifest: $(cat "$s/manifest.json" 2>&1)"
	# A log-only capture (DUMP=no): no stream, dump_status empty.
	mkraw incomplete '' 0
	rm -rf "$tmp/saved"
	run "$SH" --root "$R" savecore --device "$raw" --dir "$tmp/saved"
	want "savecore: log only" 0 "saved $s (vmcore: skipped)"
	{ [ ! -e "$s/vmcore" ] && grep -q '"reason": "no dump on the device"' "$s/manifest.json"; } && pass ||
		fail "$SH: log-only savecore: $(ls "$s"; cat "$s/manifest.json")"
	# The capture died in the middle of the dump (state=writing, no size):
	# the stream is read to its end marker.
	mkraw writing '' 0
	rm -rf "$tmp/saved"
	run "$SH" --root "$R" savecore --device "$raw" --dir "$tmp/saved"
	want "savecore: state=writing" 1 "vmcore: truncated" "header state=writing"
	# crashcopy -R stops at the end marker and never reads the rest of the
	# device: the stream was whole, so the dump is whole and complete.
	{ [ ! -e "$s/vmcore.incomplete" ] && cmp -s "$s/vmcore" "$tmp/direct.vmcore"; } && pass ||
		fail "$SH: savecore state=writing: vmcore differs from the direct dump ($(ls "$s"))"
	# Hostile headers.
	mkraw complete 0 999999999
	run "$SH" --root "$R" savecore --device "$raw" --dir "$tmp/saved2"
	want "savecore: dump_size past the end" 1 "header dump_size 999999999 goes past the end of the device"
	mkraw complete 0
	printf 'CRASHKIT-RAW=1\nstate=complete\nhost=../../etc\n' | dd of="$raw" conv=notrunc 2>/dev/null
	run "$SH" --root "$R" savecore --device "$raw" --dir "$tmp/saved2"
	want "savecore: hostile host name" 1 "header host"
	[ ! -e "$tmp/saved2" ] && pass || fail "$SH: savecore wrote after a bad header"
	head -c 4096 /dev/zero >"$raw"
	run "$SH" --root "$R" savecore --device "$raw" --dir "$tmp/saved2"
	want "savecore: a device never written" 0 "has no crashkit raw header: nothing to save"
	printf 'CRASHKIT-RAW=2\nstate=complete\n' | dd of="$raw" conv=notrunc 2>/dev/null
	run "$SH" --root "$R" savecore --device "$raw" --dir "$tmp/saved2"
	want "savecore: unknown header version" 1 "raw header version '2' is not 1"
done

# --- the real initramfs builder under --root ----------------------------------
# Debian's 6.1 module tree (tests/e2e/fetch-kernel.sh, cached): crashctl build
# runs initramfs/build with --moddir/--sysroot/--hooks/--kconfig under the
# faked root; status then finds the image fresh, and stale after a config
# change, naming the stamp line that changed.
kdir=$top/.cache/kernels/bookworm
if sh tests/e2e/fetch-kernel.sh bookworm "$kdir" >/dev/null 2>&1; then
	rkver=$(cat "$kdir/version")
	R=$tmp/rroot
	mkroot "$R"
	rm -rf "$R/lib/modules/$KVER" "$R/var/lib/crashkit"
	ln -s "$kdir/lib/modules/$rkver" "$R/lib/modules/$rkver"
	cp "$kdir/boot/config-$rkver" "$R/boot/config-$rkver"
	cp "$kdir/vmlinuz" "$R/boot/vmlinuz-$rkver"
	printf 'TARGETS=raw\nRAW_DEVICE=/dev/vdc\nKDUMP_KVER=%s\n' "$rkver" >"$R/etc/crashkit.conf"
	unset CRASHKIT_BINDIR
	SH=dash
	CRASHKIT_LIBDIR='' run dash --root "$R" build
	want "real build under --root" 0 "built $R/var/lib/crashkit/initrd-$rkver.img"
	[ "$(stat -c %a "$R/var/lib/crashkit/initrd-$rkver.img")" = 600 ] && pass || fail "real build: image mode"
	CRASHKIT_LIBDIR='' run dash --root "$R" status
	want "real build: status fresh" 0 "ok   initramfs   $R/var/lib/crashkit/initrd-$rkver.img"
	echo DUMP_LEVEL=1 >>"$R/etc/crashkit.conf"
	CRASHKIT_LIBDIR='' run dash --root "$R" status
	want "real build: stale after a config change" 3 "is stale: conf_sha256 changed since it was built"
	export CRASHKIT_BINDIR="$tmp/bin"
else
	fail "tests/e2e/fetch-kernel.sh bookworm failed"
fi

# --- documentation and installation ------------------------------------------
# Every key conf.sh knows is documented in crashkit.conf.5; both pages render
# without groff warnings; every verb is in crashctl.8.
keys=$(sh -c '. capture/lib/conf.sh; echo $CONF_KEYS')
missing=
for k in $keys; do
	grep -q "^\.B $k\$" doc/crashkit.conf.5 || missing="$missing $k"
done
[ -z "$missing" ] && pass || fail "crashkit.conf.5 lacks:$missing"
missing=
for v in status show build load unload test estimate list prune savecore; do
	grep -q "^\.B[R]* \"*$v" doc/crashctl.8 || missing="$missing $v"
done
[ -z "$missing" ] && pass || fail "crashctl.8 lacks verbs:$missing"
for page in doc/crashctl.8 doc/crashkit.conf.5; do
	w=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
	[ -z "$w" ] && pass || fail "$page: groff warnings: $w"
done
# make install: crashctl in sbin finds its data directory (../lib/crashkit).
if make -s install DESTDIR="$tmp/inst" PREFIX=/usr >"$tmp/install.log" 2>&1 &&
	[ -x "$tmp/inst/usr/sbin/crashctl" ] && [ -f "$tmp/inst/usr/lib/crashkit/lib/conf.sh" ] &&
	[ -f "$tmp/inst/usr/lib/crashkit/fixtures/bookworm-6.1.vmcore" ] &&
	[ -f "$tmp/inst/usr/share/man/man8/crashctl.8" ] && [ -f "$tmp/inst/usr/share/man/man5/crashkit.conf.5" ]; then
	pass
else
	fail "make install DESTDIR=... PREFIX=/usr: $(tail -n 3 "$tmp/install.log")"
fi
mkroot "$tmp/root"
if env -u CRASHKIT_LIBDIR CRASHKIT_BUILD="$top/tests/shell/fake-build" FAKE_ROOT="$tmp/root" \
	dash "$tmp/inst/usr/sbin/crashctl" --root "$tmp/root" status >"$tmp/out" 2>&1; then
	pass
else
	fail "installed crashctl status: $(cat "$tmp/out")"
fi

# --- test: the capture pipeline into a loop-mounted ext4 target -------------
if [ ! -f capture/crashcapture ]; then
	echo "SKIP: crashctl test (pipeline): capture/crashcapture is not in this tree yet"
elif [ "$(id -u)" -ne 0 ] || ! command -v losetup >/dev/null 2>&1; then
	fail "crashctl test needs root and losetup for a loop-mounted ext4 target"
else
	truncate -s 64M "$tmp/target.img"
	mkfs.ext4 -q -F "$tmp/target.img"
	if loopdev=$(losetup -f --show "$tmp/target.img"); then
		R=$tmp/root
		FAKE_ROOT=$R
		SH=dash
		mkroot "$R"
		printf 'TARGETS=local\nLOCAL_DEVICE=%s\nLOCAL_PATH=/crash\nKDUMP_KVER=%s\n' "$loopdev" "$KVER" >"$tmp/local.conf"
		CRASHKIT_LIBDIR='' CRASHKIT_TIME=20261123T010203Z run dash --conf "$tmp/local.conf" test --vmcore "$FIXTURE"
		want "test: local target write + pipeline" 0 "ok   write       local: wrote and deleted" "ok   pipeline" "test: passed"
		mkdir -p "$tmp/m"
		mount "$loopdev" "$tmp/m"
		[ -z "$(ls -A "$tmp/m/crash" 2>/dev/null)" ] && pass || fail "test left files: $(ls -A "$tmp/m/crash")"
		# Free space on a mounted LOCAL_DEVICE against the estimate (this
		# host's /proc/meminfo: far more than 64 MiB at -d 31).
		CRASHKIT_LIBDIR='' run dash --conf "$tmp/local.conf" status
		want "status: free space on the mounted local target" 3 "warn space       local:" "at dump level 31: the capture would degrade"
		# list and prune on LOCAL_DEVICE, which crashctl mounts itself.
		for t in 20261101T000000Z 20261102T000000Z; do
			mkdir -p "$tmp/m/crash/h-$t"
			printf '{ "capture": { "status": "ok" }, "artifacts": [ { "name": "vmcore", "status": "ok" } ] }\n' \
				>"$tmp/m/crash/h-$t/manifest.json"
		done
		umount "$tmp/m"
		CRASHKIT_LIBDIR='' run dash --conf "$tmp/local.conf" list
		want "list on an unmounted LOCAL_DEVICE" 0 "h-20261102T000000Z" "2 dump(s) in $loopdev:/crash"
		printf 'KEEP_DUMPS=1\n' >>"$tmp/local.conf"
		CRASHKIT_LIBDIR='' run dash --conf "$tmp/local.conf" prune
		want "prune on an unmounted LOCAL_DEVICE" 0 "removed 1 of 2"
		grep -q "^$loopdev " /proc/self/mounts && fail "crashctl left $loopdev mounted" || pass
		mount "$loopdev" "$tmp/m"
		[ "$(ls "$tmp/m/crash" | tr '\n' ' ')" = "h-20261102T000000Z " ] && pass ||
			fail "prune on LOCAL_DEVICE left $(ls "$tmp/m/crash")"
		umount "$tmp/m"

		# The real raw target (capture/targets/raw.sh) on the loop device, then
		# savecore: the saved vmcore is crashcopy's direct output.
		losetup -d "$loopdev"
		loopdev=
		truncate -s 8M "$tmp/rawdev.img"
		if loopdev=$(losetup -f --show "$tmp/rawdev.img"); then
			printf 'TARGETS=raw\nRAW_DEVICE=%s\nHOSTNAME=rawhost\n' "$loopdev" >"$tmp/raw.conf"
			mkdir -p "$tmp/hooks" "$tmp/cmnt"
			CRASHKIT_CONF=$tmp/raw.conf CRASHKIT_VMCORE=$FIXTURE CRASHKIT_MNT=$tmp/cmnt \
				CRASHKIT_HOOKS=$tmp/hooks CRASHKIT_CONSOLE=$tmp/console CRASHKIT_TIME=20261123T020304Z \
				PATH="$top/crashdmesg:$top/capture/crashcopy:$PATH" \
				timeout 120 sh capture/crashcapture >"$tmp/capture.out" 2>&1
			crc=$?
			[ "$crc" -eq 0 ] && pass || fail "crashcapture to the raw target: exit $crc: $(tail -n 5 "$tmp/capture.out")"
			"$CRASHCOPY" -l -d 31 "$FIXTURE" "$tmp/direct2.vmcore" 2>/dev/null
			rm -rf "$tmp/saved3"
			run dash --conf "$tmp/raw.conf" savecore --dir "$tmp/saved3"
			want "savecore of the real raw target" 0 "saved $tmp/saved3/rawhost-20261123T020304Z (vmcore: ok)"
			cmp -s "$tmp/saved3/rawhost-20261123T020304Z/vmcore" "$tmp/direct2.vmcore" && pass ||
				fail "savecore of the real raw target: vmcore differs from crashcopy -l -d 31"
			crashdmesg/crashdmesg --vmcore-dmesg "$FIXTURE" 2>/dev/null |
				cmp -s - "$tmp/saved3/rawhost-20261123T020304Z/dmesg.txt" && pass ||
				fail "savecore of the real raw target: dmesg.txt is not crashdmesg's log"
			# crashctl test on the raw target: refused while the device holds
			# an unsaved crash, then a capture, savecore and state=saved.
			printf 'CRASHKIT-RAW=1\nstate=complete\n' | dd of="$loopdev" conv=notrunc 2>/dev/null
			CRASHKIT_LIBDIR='' run dash --conf "$tmp/raw.conf" test --vmcore "$FIXTURE"
			want "test: raw target with an unsaved crash" 1 "holds an unsaved crash (state=complete): crashctl savecore first"
			printf 'CRASHKIT-RAW=1\nstate=saved\n' | dd of="$loopdev" conv=notrunc 2>/dev/null
			CRASHKIT_LIBDIR='' run dash --conf "$tmp/raw.conf" test --vmcore "$FIXTURE"
			want "test: raw target" 0 "ok   pipeline    crashcapture saved dmesg.txt (ok) and vmcore (ok)" "to raw:$loopdev" "test: passed"
			head -c 4096 "$loopdev" | tr -d '\000' | grep -qx 'state=saved' && pass || fail "test left the raw header unsaved"
		else
			fail "losetup of the raw device failed"
		fi

		# crashctl test on an ssh target: OpenSSH's sshd on 127.0.0.1
		# (tests/e2e/servers), key login, host key pinned.
		# shellcheck source=/dev/null # checked on its own (shellcheck suite)
		. "$top/tests/e2e/servers/servers.sh"
		if servers_start "$tmp/srv" >"$tmp/servers.log" 2>&1; then
			sed 's/\[10\.0\.2\.2\]/[127.0.0.1]/' "$(servers_env "$tmp/srv" SSH_KNOWN_HOSTS)" >"$tmp/known_hosts"
			printf 'TARGETS=ssh\nSSH_TARGET=%s@127.0.0.1\nSSH_PORT=%s\nSSH_PATH=%s\nSSH_KEY=%s\nSSH_KNOWN_HOSTS=%s\n' \
				"$(servers_env "$tmp/srv" SSH_USER)" "$(servers_env "$tmp/srv" SSH_PORT)" \
				"$(servers_env "$tmp/srv" SSH_ROOT)" "$(servers_env "$tmp/srv" SSH_KEY)" "$tmp/known_hosts" >"$tmp/ssh.conf"
			CRASHKIT_LIBDIR='' run dash --conf "$tmp/ssh.conf" test --vmcore "$FIXTURE"
			want "test: ssh target" 0 "ok   write       ssh:" "ok   pipeline    crashcapture saved dmesg.txt (ok) and vmcore (ok)" "test: passed"
			[ -z "$(ls -A "$(servers_env "$tmp/srv" SSH_ROOT)")" ] && pass ||
				fail "test left files on the ssh server: $(ls -A "$(servers_env "$tmp/srv" SSH_ROOT)")"
			# A host key that does not match the pin: refused, nothing written.
			sed 's/ssh-ed25519 .*/ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBcKs0zsoHTqQ3W0aHxHlFkWb8PXmDLu5mXUPYlvGu9q/' \
				"$tmp/known_hosts" >"$tmp/known_hosts.bad"
			sed "s|^SSH_KNOWN_HOSTS=.*|SSH_KNOWN_HOSTS=$tmp/known_hosts.bad|" "$tmp/ssh.conf" >"$tmp/ssh-bad.conf"
			CRASHKIT_LIBDIR='' run dash --conf "$tmp/ssh-bad.conf" test --vmcore "$FIXTURE"
			want "test: ssh target with a wrong pinned host key" 1 "FAIL write       ssh:"

			# status's target probes, with the host's tools (ssh login,
			# bash /dev/tcp, curl) and with busybox alone as in the e2e
			# first kernel (nc, wget).
			mkdir -p "$tmp/bb"
			for a in $(busybox --list); do ln -sf "$(command -v busybox)" "$tmp/bb/$a"; done
			hport=$(servers_env "$tmp/srv" HTTP_PORT)
			sport=$(servers_env "$tmp/srv" SSH_PORT)
			closed=$(servers_free_port)
			R=$tmp/proot
			FAKE_ROOT=$R
			SH=dash
			while IFS='|' read -r conf want_rc want_text; do
				mkroot "$R"
				{ printf '%s\n' "$conf" | tr ';' '\n' | sed "s/HPORT/$hport/; s/SPORT/$sport/; s/CLOSED/$closed/"
					echo "KDUMP_KVER=$KVER"; } >"$R/etc/crashkit.conf"
				FAKE_ROOT=$R dash "$CRASHCTL" --root "$R" build >/dev/null 2>&1
				for p in host busybox; do
					if [ "$p" = host ]; then
						run dash --root "$R" status
					else
						FAKE_ROOT=$R PATH=$tmp/bb busybox ash "$CRASHCTL" --root "$R" status >"$tmp/out" 2>&1
						rc=$?
					fi
					want "status probe ($p tools): $conf" "$want_rc" \
						"$(printf '%s\n' "$want_text" | sed "s/HPORT/$hport/; s/SPORT/$sport/; s/CLOSED/$closed/")"
				done
			done <<C
TARGETS=http;HTTP_URL=http://127.0.0.1:HPORT/upload|0|ok   target      http: http://127.0.0.1:HPORT/upload answers
TARGETS=http;HTTP_URL=http://127.0.0.1:CLOSED/upload|3|warn target      http: http://127.0.0.1:CLOSED/upload does not answer
TARGETS=http;HTTP_URL=http://127.0.0.1:SPORT/upload|3|warn target      http: http://127.0.0.1:SPORT/upload does not answer
TARGETS=http;HTTP_URL=http://127.0.0.1:HPORT/upload|0|asked by crashsend
TARGETS=nfs;NFS_EXPORT=127.0.0.1:/crash;NFS_OPTIONS=vers=4.1,port=SPORT|0|ok   target      nfs: 127.0.0.1 answers on port SPORT
TARGETS=nfs;NFS_EXPORT=127.0.0.1:/crash;NFS_OPTIONS=vers=4.1,port=CLOSED|3|warn target      nfs: 127.0.0.1 does not answer on port CLOSED
TARGETS=ftp;FTP_HOST=127.0.0.1;FTP_PORT=SPORT|0|ok   target      ftp: 127.0.0.1 answers on port SPORT
TARGETS=ftp;FTP_HOST=127.0.0.1;FTP_PORT=CLOSED|3|warn target      ftp: 127.0.0.1 does not answer on port CLOSED
C
			# Under --root, SSH_KEY and SSH_KNOWN_HOSTS are read in the root.
			mkdir -p "$R/etc/crashkit"
			cp "$(servers_env "$tmp/srv" SSH_KEY)" "$R/etc/crashkit/id_ed25519"
			cp "$tmp/known_hosts" "$R/etc/crashkit/known_hosts"
			sed -e 's|^TARGETS=.*|TARGETS="ssh raw"\nRAW_DEVICE=/dev/vdc|' -e '/^SSH_KEY=/d' -e '/^SSH_KNOWN_HOSTS=/d' \
				"$tmp/ssh.conf" >"$R/etc/crashkit.conf"
			echo "KDUMP_KVER=$KVER" >>"$R/etc/crashkit.conf"
			FAKE_ROOT=$R dash "$CRASHCTL" --root "$R" build >/dev/null 2>&1
			run dash --root "$R" status
			want "status: ssh login with the pinned key" 0 "ok   target      ssh: $(servers_env "$tmp/srv" SSH_USER)@127.0.0.1: logged in with"
			cp "$tmp/known_hosts.bad" "$R/etc/crashkit/known_hosts"
			run dash --root "$R" status
			want "status: ssh with a wrong pinned key falls back to raw" 0 "warn target      ssh:" "failed: " "ok   target      raw:"
			servers_stop "$tmp/srv"
		else
			fail "servers_start (sshd) failed: $(tail -n 3 "$tmp/servers.log")"
		fi
	else
		fail "losetup failed"
	fi
fi

echo "crashctl: $passed passed, $failed failed"
