#!/bin/sh
# e2e_xen: Xen PV dom0 support (initramfs/xen.sh, initramfs/crashkit-xen)
# held to a real Xen.
#
# 1. Unit: xen.sh's parsing functions on sample Xen command lines, `xl dmesg`
#    and /proc/xen/xensyms text, and its query functions against fake
#    sysfs/procfs trees and a fake crashkit-xen, kexec, xl and modprobe; once
#    under this shell (dash) and once under busybox ash. crashkit-xen's usage
#    and missing-device errors (sanitized build).
# 2. e2e: tests/e2e/xen-crash.sh boots Xen 4.17 + Debian 6.1 PV dom0 +
#    a paused PV domU under QEMU TCG and crashes dom0, and boots once more
#    without crashkernel= on the Xen line (crashkernel= on dom0's instead).
#    Asserts what crashkit-xen and xen.sh said in dom0, that the capture
#    kernel got the words xen_load_args made, and what the core holds; when
#    this tree's crashdmesg reads Xen cores, that the dom0 log it printed in
#    the capture kernel begins with dom0's /dev/kmsg snapshot and goes on to
#    the panic, and that its Xen console has "Kdump:" and "Hardware Dom0
#    crashed" (otherwise a failure); when
#    this tree has initramfs/crashctl, that `crashctl status` in dom0 reports
#    Xen's reservation and the load, and exits 3 without a reservation
#    (otherwise a failure); when this tree's crashcopy has -X, that the
#    `crashcopy -X -E` dump made in the capture kernel keeps the Xen notes,
#    adds dom0's VMCOREINFO, fits Xen's own memory accounting (no domU, no
#    free frames), holds, frame by frame (tests/xen_frames_check.py), none of
#    the paused domU's ramdisk marker frames and none of the frames on Xen's
#    heap free lists (nor does crashcapture's dump), and gives the same dom0
#    log and Xen console; that -X under --max-memory 1M walks the full core
#    window by window into the same dump; that `crashctl doctor` in dom0 explains the
#    missing load and, without a reservation, where crashkernel= goes; when this
#    tree has capture/crashcapture, that it (local ext4 target) saves
#    dmesg.txt, xen-console.txt, a -X dump whose log reads back without
#    hints, and a manifest saying "xen". A piece missing from the tree is a
#    failure, not a skip.
#    About 100 s on 2 TCG cores (two QEMU runs of ~35 s plus the builds).
#    XEN_E2E=0 skips part 2 (and says so, counted as a failure).
# Last line: "e2e_xen: N passed, N failed".
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
# shellcheck source=initramfs/xen.sh
. "$top/initramfs/xen.sh"
# shellcheck source=tests/e2e/oracles.sh
. "$top/tests/e2e/oracles.sh"

passed=0
failed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() {
	passed=$((passed + 1))
	printf 'ok   %s\n' "$1"
}
bad() {
	failed=$((failed + 1))
	printf 'FAIL %s\n' "$1"
}

# eq NAME GOT WANT
eq() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		bad "$1: got '$2', want '$3'"
	fi
}

# has NAME TEXT NEEDLE: TEXT contains NEEDLE.
has() {
	case $2 in
	*"$3"*) ok "$1" ;;
	*) bad "$1: '$3' not in '$2'" ;;
	esac
}

# ---------------------------------------------------------------- unit ----

unit() {
	local d out rc
	d=$tmp/u
	rm -rf "$d"
	mkdir -p "$d/bin" "$d/sys/hypervisor" "$d/sys/kernel" "$d/proc/xen" "$d/dev"

	eq "parse_crashkernel: Xen line" \
		"$(xen_parse_crashkernel 'placeholder console=com1 crashkernel=256M@64M dom0_mem=1G')" 256M@64M
	eq "parse_crashkernel: last one wins" \
		"$(xen_parse_crashkernel 'crashkernel=128M crashkernel=512M-:256M,below=4G')" 512M-:256M,below=4G
	eq "parse_crashkernel: none" "$(xen_parse_crashkernel 'console=com1 com1=115200,8n1')" ''

	eq "kdump line" "$(printf '(XEN) Xen version 4.17\n(XEN) Kdump: 256MB (262144kB) at 0x4000000\n(XEN) done\n' |
		xen_parse_kdump_line)" "0x4000000 0x10000000"
	eq "kdump line with timestamp" "$(printf '(XEN) [    0.000000] Kdump: 512MB (524288kB) at 0x2E000000\n' |
		xen_parse_kdump_line)" "0x2e000000 0x20000000"
	eq "kdump line disabled" "$(printf '(XEN) Kdump: DISABLED (failed to reserve 256MB (262144kB) at 0x4000000)\n' |
		xen_parse_kdump_line)" disabled
	eq "kdump line absent (wrapped out)" "$(printf '(XEN) Dom0 has maximum 2 VCPUs\n' | xen_parse_kdump_line)" ''

	eq "console com1 115200" "$(xen_capture_console 'dom0_mem=1G console=com1 com1=115200,8n1')" ttyS0,115200
	eq "console com2 with port" "$(xen_capture_console 'com2=57600,8n1,0x2f8,3 console=com2,vga')" ttyS1,57600
	eq "console com1 auto baud" "$(xen_capture_console 'console=com1,vga com1=auto')" ttyS0,115200
	eq "console com1 DPS form" "$(xen_capture_console 'com1=9600/38400,8n1 console=com1')" ttyS0,9600
	eq "console vga only" "$(xen_capture_console 'console=vga')" tty0
	eq "console Xen default" "$(xen_capture_console 'dom0_mem=1G')" ttyS0,115200
	eq "console com1 unset baud" "$(xen_capture_console 'console=com1')" ttyS0,115200

	cat >"$d/xensyms" <<'EOF'
ffff82d040256c30 t drivers/char/console.c#conring_puts
ffff82d040410eb4 d drivers/char/console.c#__setup_str_opt_conring_size
ffff82d04041f0a0 d drivers/char/console.c#_conring
ffff82d0404230a0 d drivers/char/console.c#opt_conring_size
ffff82d04045ed60 d drivers/char/console.c#conring_size
ffff82d04045ED68 d drivers/char/console.c#conring
ffff82d0405899d0 b drivers/char/console.c#conringp
ffff82d0405899d4 b drivers/char/console.c#conringc
EOF
	eq "conring hint" "$(xen_conring_hint <"$d/xensyms")" \
		crashkit.xen_conring=0xffff82d04045ed68,0xffff82d04045ed60,0xffff82d0405899d0,0xffff82d0405899d4
	eq "conring hint, plain names" "$(printf 'ffff82d04045ed68 d conring\nffff82d04045ed60 d conring_size\nffff82d0405899d0 b conringp\nffff82d0405899d4 b conringc\n' |
		xen_conring_hint)" \
		crashkit.xen_conring=0xffff82d04045ed68,0xffff82d04045ed60,0xffff82d0405899d0,0xffff82d0405899d4
	eq "conring hint, conringc missing" "$(grep -v 'conringc$' "$d/xensyms" | xen_conring_hint)" ''

	eq "filter dom0 cmdline" \
		"$(xen_filter_dom0_cmdline 'BOOT_IMAGE=/vmlinuz root=UUID=1 ro console=hvc0 earlyprintk=xen xencons=tty crashkernel=128M xen_pv_foo=1 quiet')" \
		'BOOT_IMAGE=/vmlinuz root=UUID=1 ro quiet'

	# Fake trees and tools.
	export CRASHKIT_SYSFS="$d/sys" CRASHKIT_PROCFS="$d/proc" CRASHKIT_XEN_PRIVCMD="$d/dev/privcmd"
	export CRASHKIT_XEN_HELPER="$d/bin/crashkit-xen" CRASHKIT_KEXEC="$d/bin/kexec" CRASHKIT_XL="$d/bin/xl"
	cat >"$d/bin/crashkit-xen" <<'EOF'
#!/bin/sh
[ "$1" = --device ] && shift 2
case $1 in
range) printf '%s\n' "${FAKE_RANGE-0x4000000 0x10000000}" ;;
loaded) printf '%s\n' "${FAKE_LOADED-0}" ;;
cmdline) printf '%s\n' "${FAKE_XEN_CMDLINE-console=com1 com1=115200,8n1 crashkernel=256M@64M}" ;;
*) exit 2 ;;
esac
EOF
	# A kexec with Xen support names xc_kexec_load; -p -S exits 1 when loaded.
	cat >"$d/bin/kexec" <<'EOF'
#!/bin/sh
# xc_kexec_load
[ "${FAKE_LOADED-0}" = 1 ] && exit 1
exit 0
EOF
	cat >"$d/bin/xl" <<'EOF'
#!/bin/sh
[ "$1" = dmesg ] && cat "$FAKE_XL_DMESG"
EOF
	printf '#!/bin/sh\nexit 1\n' >"$d/bin/modprobe"
	chmod 755 "$d/bin/"*
	printf '(XEN) Kdump: 256MB (262144kB) at 0x4000000\n' >"$d/xl-dmesg"
	export FAKE_XL_DMESG="$d/xl-dmesg"
	: >"$d/dev/privcmd"
	echo xen >"$d/sys/hypervisor/type"
	echo PV >"$d/sys/hypervisor/guest_type"
	echo control_d >"$d/proc/xen/capabilities"
	echo 'BOOT_IMAGE=/boot/vmlinuz ro console=hvc0' >"$d/proc/cmdline"
	echo '0x00000000355da000 1024' >"$d/sys/kernel/vmcoreinfo"
	cp "$d/xensyms" "$d/proc/xen/xensyms"

	if xen_is_pv_dom0; then ok "is_pv_dom0: PV control domain"; else bad "is_pv_dom0: PV control domain"; fi
	: >"$d/proc/xen/capabilities"
	if xen_is_pv_dom0; then bad "is_pv_dom0: PV domU is not dom0"; else ok "is_pv_dom0: PV domU is not dom0"; fi
	echo control_d >"$d/proc/xen/capabilities"
	echo PVH >"$d/sys/hypervisor/guest_type"
	if xen_is_pv_dom0; then bad "is_pv_dom0: PVH is not PV"; else ok "is_pv_dom0: PVH is not PV"; fi
	rm "$d/sys/hypervisor/guest_type"
	if xen_is_pv_dom0; then ok "is_pv_dom0: no guest_type, /proc/xen"; else bad "is_pv_dom0: no guest_type, /proc/xen"; fi
	echo PV >"$d/sys/hypervisor/guest_type"
	echo kvm >"$d/sys/hypervisor/type"
	if xen_is_pv_dom0; then bad "is_pv_dom0: not Xen"; else ok "is_pv_dom0: not Xen"; fi
	echo xen >"$d/sys/hypervisor/type"

	PATH="$d/bin:$PATH"
	eq "crash_range" "$(xen_crash_range)" "0x4000000 268435456"
	eq "crash_range: none" "$(FAKE_RANGE='0x0 0x0' xen_crash_range)" "0x0 0"
	out=$(FAKE_RANGE='0x4000000 0x1000000g' xen_crash_range 2>&1) && rc=0 || rc=$?
	eq "crash_range: non-hex size fails" "$rc" 1
	out=$(FAKE_RANGE='garbage' xen_crash_range 2>&1) && rc=0 || rc=$?
	eq "crash_range: garbage answer fails" "$rc" 1
	has "crash_range: garbage answer says so" "$out" 'expected "0xSTART 0xSIZE"'
	eq "crash_loaded 0" "$(xen_crash_loaded)" 0
	eq "crash_loaded 1" "$(FAKE_LOADED=1 xen_crash_loaded)" 1
	eq "cmdline" "$(xen_cmdline)" "console=com1 com1=115200,8n1 crashkernel=256M@64M"
	eq "load_args" "$(xen_load_args)" \
		"console=ttyS0,115200 crashkit.dom0_vmcoreinfo=0x355da000 crashkit.xen_conring=0xffff82d04045ed68,0xffff82d04045ed60,0xffff82d0405899d0,0xffff82d0405899d4"
	case $(xen_load_args) in
	*' -s'* | -s*) bad "load_args never has -s" ;;
	*) ok "load_args never has -s" ;;
	esac
	rm "$d/proc/xen/xensyms"
	echo '355da000 1024' >"$d/sys/kernel/vmcoreinfo"
	eq "load_args: bare hex, no xensyms" "$(FAKE_XEN_CMDLINE='console=com2 com2=9600,8n1' xen_load_args)" \
		"console=ttyS1,9600 crashkit.dom0_vmcoreinfo=0x355da000"

	out=$(xen_check 2>&1) && rc=0 || rc=$?
	eq "check: healthy host passes" "$rc:$out" "0:"
	out=$(FAKE_RANGE='0x0 0x0' FAKE_XEN_CMDLINE='console=com1 dom0_mem=1G' xen_check 2>&1) && rc=0 || rc=$?
	eq "check: no crashkernel= on Xen line fails" "$rc" 1
	has "check: says where crashkernel= goes" "$out" GRUB_CMDLINE_XEN_DEFAULT
	has "check: says Xen has no crashkernel=" "$out" 'has no crashkernel='
	echo 'BOOT_IMAGE=/boot/vmlinuz ro crashkernel=256M' >"$d/proc/cmdline"
	out=$(FAKE_RANGE='0x0 0x0' FAKE_XEN_CMDLINE='console=com1' xen_check 2>&1) && rc=0 || rc=$?
	eq "check: crashkernel= on dom0 line only fails" "$rc" 1
	has "check: names the dom0 line" "$out" 'dom0 Linux command line'
	echo 'BOOT_IMAGE=/boot/vmlinuz ro' >"$d/proc/cmdline"
	out=$(FAKE_RANGE='0x0 0x0' xen_check 2>&1) && rc=0 || rc=$?
	eq "check: requested but not reserved fails" "$rc" 1
	has "check: requested but not reserved says so" "$out" 'although its command line asks for crashkernel=256M@64M'
	printf '#!/bin/sh\nexit 0\n' >"$d/bin/kexec-noxen"
	chmod 755 "$d/bin/kexec-noxen"
	out=$(CRASHKIT_KEXEC="$d/bin/kexec-noxen" xen_check 2>&1) && rc=0 || rc=$?
	eq "check: kexec without Xen fails" "$rc" 1
	has "check: names kexec without Xen" "$out" 'has no Xen support'
	printf '(XEN) Kdump: 128MB (131072kB) at 0x8000000\n' >"$d/xl-dmesg"
	out=$(xen_check 2>&1) && rc=0 || rc=$?
	eq "check: xl dmesg disagreeing is a warning" "$rc" 0
	has "check: xl dmesg disagreement named" "$out" 'warning: xl dmesg says the crash area is 0x8000000 0x8000000 (start, size), Xen reports 0x4000000, 268435456 bytes'
	printf '(XEN) Kdump: 256MB (262144kB) at 0x4000000\n' >"$d/xl-dmesg"
	out=$(FAKE_LOADED=1 CRASHKIT_KEXEC="$d/bin/kexec-noxen" xen_check 2>&1) && rc=0 || rc=$?
	has "check: kexec -p -S disagreement named" "$out" 'kexec -p -S says nothing is loaded'
	rm "$d/dev/privcmd"
	out=$(xen_check 2>&1) && rc=0 || rc=$?
	eq "check: missing privcmd fails" "$rc" 1
	has "check: names xen-privcmd" "$out" 'modprobe xen-privcmd'
	out=$(xen_crash_range 2>&1) && rc=0 || rc=$?
	eq "crash_range: missing privcmd fails" "$rc" 1
	has "crash_range: missing privcmd says so" "$out" 'modprobe xen-privcmd failed'
}

if [ "${1:-}" = --unit ]; then
	unit
	echo "unit: $passed passed, $failed failed"
	exit 0
fi

echo "unit tests under $(readlink -f /bin/sh 2>/dev/null || echo sh):"
(unit) >"$tmp/unit.out" 2>&1
cat "$tmp/unit.out"
passed=$((passed + $(grep -c '^ok ' "$tmp/unit.out")))
failed=$((failed + $(grep -c '^FAIL ' "$tmp/unit.out")))
if command -v busybox >/dev/null 2>&1; then
	echo "unit tests under busybox ash:"
	busybox sh "$0" --unit >"$tmp/unit-ash.out" 2>&1
	grep -v '^ok ' "$tmp/unit-ash.out"
	line=$(grep -E '^unit: [0-9]+ passed, [0-9]+ failed$' "$tmp/unit-ash.out")
	if [ -n "$line" ]; then
		line=${line#unit: }
		passed=$((passed + ${line%% passed*}))
		line=${line#* passed, }
		failed=$((failed + ${line%% failed}))
	else
		bad "busybox ash unit run ended without a result line"
	fi
else
	bad "busybox not installed (apt-get install busybox-static)"
fi

# crashkit-xen itself (sanitized build): usage and missing device.
helper=${CRASHKIT_XEN:-$top/build/asan/crashkit-xen}
if [ -x "$helper" ]; then
	"$helper" >/dev/null 2>"$tmp/err" && rc=0 || rc=$?
	eq "crashkit-xen: no command exits 2" "$rc" 2
	"$helper" frobnicate >/dev/null 2>"$tmp/err" && rc=0 || rc=$?
	eq "crashkit-xen: unknown command exits 2" "$rc" 2
	"$helper" --device "$tmp/none" range >"$tmp/out" 2>"$tmp/err" && rc=0 || rc=$?
	eq "crashkit-xen: missing device exits 1" "$rc" 1
	has "crashkit-xen: missing device names it and the module" "$(cat "$tmp/err")" "$tmp/none: No such file or directory (modprobe xen-privcmd"
	eq "crashkit-xen: missing device prints nothing on stdout" "$(cat "$tmp/out")" ''
	# /dev/null accepts the open but not the privcmd ioctl.
	"$helper" --device /dev/null loaded >"$tmp/out" 2>"$tmp/err" && rc=0 || rc=$?
	eq "crashkit-xen: a device that is not privcmd exits 1" "$rc" 1
	has "crashkit-xen: ioctl failure reported" "$(cat "$tmp/err")" 'kexec_status:'
else
	bad "crashkit-xen: $helper not built (make test-bins)"
fi

# ----------------------------------------------------------------- e2e ----

# fact DIR KEY: the value of KEY in DIR/facts.txt.
fact() {
	sed -n "s/^$2=//p" "$1/facts.txt" | head -n 1
}

# size_hex SIZE: 256M -> 0x10000000 (K, M, G suffixes).
size_hex() {
	local n
	n=${1%[KMGkmg]}
	case $1 in
	*[Kk]) n=$((n * 1024)) ;;
	*[Mm]) n=$((n * 1024 * 1024)) ;;
	*[Gg]) n=$((n * 1024 * 1024 * 1024)) ;;
	esac
	printf '0x%x\n' "$n"
}

# core_bytes CORE MADDR COUNT: COUNT bytes of the core at machine address
# MADDR (through the PT_LOAD program headers' p_paddr).
core_bytes() {
	local a off type o v p f rest
	a=$(($2))
	off=
	readelf -lW "$1" >"$tmp/phdrs" || return 1
	while read -r type o v p f rest; do
		[ "$type" = LOAD ] || continue
		if [ "$a" -ge $((p)) ] && [ "$a" -lt $((p + f)) ]; then
			off=$((o + a - p))
			break
		fi
	done <"$tmp/phdrs"
	[ -n "$off" ] || return 1
	tail -c +"$((off + 1))" "$1" | head -c "$3"
}

if [ "${XEN_E2E:-1}" = 0 ]; then
	bad "e2e: skipped (XEN_E2E=0)"
	echo "e2e_xen: $passed passed, $failed failed"
	exit 0
fi

out=$top/build/e2e-xen
rm -rf "$out"
mkdir -p "$out"
started=$(date +%s)
crash=$out/crash
# crashctl (when this tree has it) runs in dom0: `crashctl status`.
crashctl=${CRASHCTL:-$top/initramfs/crashctl}
[ -f "$crashctl" ] ||
	bad "e2e: this tree has no initramfs/crashctl: crashctl status in dom0 not checked"
# The static crashdmesg goes into the capture initramfs.
cd_static=${CRASHDMESG_STATIC:-$top/crashdmesg/crashdmesg}
if CRASHCTL=$crashctl CRASHDMESG_STATIC=$cd_static CRASHCOPY_STATIC=${CRASHCOPY_STATIC:-$top/capture/crashcopy/crashcopy} \
	nice sh tests/e2e/xen-crash.sh "$crash" >"$out/crash.log" 2>&1; then
	ok "e2e: Xen dom0 crash captured ($(tail -n 1 "$out/crash.log"))"
else
	bad "e2e: Xen dom0 crash failed"
	sed 's/^/  | /' "$out/crash.log" | tail -n 40
fi
if [ -s "$crash/facts.txt" ]; then
	xcl=$(fact "$crash" xen_cmdline)
	want=$(xen_parse_crashkernel "$xcl")
	eq "e2e: Xen line has crashkernel=256M@64M" "$want" 256M@64M
	eq "e2e: crashkit-xen range matches the Xen line" "$(fact "$crash" helper_range)" \
		"$(size_hex "${want#*@}") $(size_hex "${want%@*}")"
	eq "e2e: xen_crash_range agrees with crashkit-xen" "$(fact "$crash" xensh_range)" "0x4000000 268435456"
	eq "e2e: xl dmesg Kdump line agrees" "$(xen_parse_kdump_line <"$crash/xl-dmesg.txt")" "$(fact "$crash" helper_range)"
	eq "e2e: kexec --print-ckr-size agrees" "$(fact "$crash" ckr_size)" 268435456
	eq "e2e: crashkit-xen loaded flips 0 -> 1" "$(fact "$crash" helper_loaded_before)-$(fact "$crash" helper_loaded_after)" 0-1
	eq "e2e: xen_crash_loaded flips 0 -> 1" "$(fact "$crash" xensh_loaded_before)-$(fact "$crash" xensh_loaded_after)" 0-1
	eq "e2e: kexec -p -S exit flips 0 -> 1" "$(fact "$crash" kexec_status_before)-$(fact "$crash" kexec_status_after)" 0-1
	eq "e2e: /sys/kernel/kexec_crash_loaded stays 0 (why the hypercall)" "$(fact "$crash" sysfs_crash_loaded_after)" 0
	eq "e2e: xen_is_pv_dom0 in dom0" "$(fact "$crash" xensh_pv_dom0)" yes
	eq "e2e: xen_cmdline is Xen's line" "$(fact "$crash" xensh_cmdline)" "$xcl"
	eq "e2e: xen_check passes" "$(fact "$crash" xensh_check_rc)" 0
	eq "e2e: paused domU created" "$(fact "$crash" domu)" created
	if grep -q '^domu .* --p--- ' "$crash/xl-list.txt" 2>/dev/null; then
		ok "e2e: xl list shows the domU paused"
	else
		bad "e2e: xl list shows the domU paused"
	fi
	if [ -f "$crashctl" ]; then
		eq "e2e: crashctl load in dom0 loaded the capture kernel through Xen" \
			"$(fact "$crash" load_by) $(fact "$crash" kexec_rc)" "crashctl 0"
		has "e2e: crashctl status in dom0 reports Xen's reservation" \
			"$(cat "$crash/crashctl-status-before.txt" 2>/dev/null)" 'ok   reservation 256 MiB reserved by Xen at 0x4000000'
		has "e2e: crashctl status in dom0: not loaded before kexec -p" \
			"$(cat "$crash/crashctl-status-before.txt" 2>/dev/null)" 'FAIL loaded'
		has "e2e: crashctl status in dom0: loaded after kexec -p" \
			"$(cat "$crash/crashctl-status-after.txt" 2>/dev/null)" 'ok   loaded'
		eq "e2e: crashctl doctor in dom0 before the load exits 3" "$(fact "$crash" crashctl_doctor_before_rc)" 3
		has "e2e: crashctl doctor in dom0 explains the missing load" \
			"$(cat "$crash/crashctl-doctor-before.txt" 2>/dev/null)" 'fix: crashctl load'
		eq "e2e: crashctl doctor in dom0 after the load exits 0" "$(fact "$crash" crashctl_doctor_after_rc)" 0
		has "e2e: crashctl doctor in dom0 after the load: operational" \
			"$(cat "$crash/crashctl-doctor-after.txt" 2>/dev/null)" 'crash capture: operational'
	fi
	cap=$(cat "$crash/capture-cmdline.txt" 2>/dev/null)
	has "e2e: capture kernel came up with console=ttyS0,115200" "$cap" " console=ttyS0,115200 "
	vmci=$(fact "$crash" dom0_vmcoreinfo)
	vmci=$(printf '0x%x' "${vmci%% *}")
	has "e2e: capture kernel got dom0's VMCOREINFO address" "$cap" "crashkit.dom0_vmcoreinfo=$vmci "
	has "e2e: capture kernel got Xen's conring symbols" "$cap" \
		"$(grep -E '#conring$|#conring_size$|#conringp$|#conringc$' "$crash/xensyms.txt" 2>/dev/null | xen_conring_hint)"
	case $cap in
	*hvc0*) bad "e2e: capture command line has no hvc0" ;;
	*) ok "e2e: capture command line has no hvc0" ;;
	esac
	if grep -a -q 'Hardware Dom0 crashed: Executing kexec image' "$crash/console.log"; then
		ok "e2e: Xen executed the crash image"
	else
		bad "e2e: Xen executed the crash image"
	fi
	if grep -a -q 'crashkit-e2e: marker end' "$crash/kmsg.txt" 2>/dev/null; then
		ok "e2e: dom0 kmsg snapshot taken"
	else
		bad "e2e: dom0 kmsg snapshot taken"
	fi
else
	bad "e2e: no facts from dom0"
fi
if [ -s "$crash/vmcore" ]; then
	readelf -nW "$crash/vmcore" >"$tmp/notes" 2>&1
	if grep -q 'VMCOREINFO_XEN' "$tmp/notes"; then ok "e2e: core has VMCOREINFO_XEN"; else bad "e2e: core has VMCOREINFO_XEN"; fi
	if grep -q '^ *Xen .*0x01000001' "$tmp/notes"; then ok "e2e: core has Xen CRASH_INFO"; else bad "e2e: core has Xen CRASH_INFO"; fi
	eq "e2e: one NT_PRSTATUS per Xen CPU note" "$(grep -c NT_PRSTATUS "$tmp/notes")" \
		"$(sed -n 's/^cpu_notes=//p' "$crash/xen-info-before.txt")"
	if grep -q '^ *VMCOREINFO  ' "$tmp/notes"; then
		bad "e2e: no dom0 VMCOREINFO note (kexec-tools adds only Xen's)"
	else
		ok "e2e: no dom0 VMCOREINFO note (kexec-tools adds only Xen's)"
	fi
	note=$(core_bytes "$crash/vmcore" "$((vmci + 12))" 40 | tr '\0' '|')
	has "e2e: dom0 VMCOREINFO note at the hinted machine address" "$note" \
		"VMCOREINFO||OSRELEASE=$(fact "$crash" release)"
	if grep -a -q 'Hardware Dom0 crashed' "$crash/vmcore"; then
		ok "e2e: Xen's console ring in the core says Hardware Dom0 crashed"
	else
		bad "e2e: Xen's console ring in the core says Hardware Dom0 crashed"
	fi
	printf '  core: %s bytes\n' "$(stat -c %s "$crash/vmcore")"
else
	bad "e2e: no vmcore"
fi

# dom0's log and Xen's console as crashdmesg read them in the capture kernel
# (static build, hints from /proc/cmdline) and on the host (sanitized build).
if "$cd_static" --help 2>&1 | grep -q -- '--xen'; then
	c=$crash/capture
	eq "e2e: crashdmesg in the capture kernel exits 0" "$(cat "$c/dmesg.rc" 2>/dev/null)" 0
	kmsg_to_dmesg "$crash/kmsg.txt" >"$tmp/snapshot.dmesg"
	n=$(wc -c <"$tmp/snapshot.dmesg")
	if [ "$n" -gt 0 ] && head -c "$n" "$c/dmesg.txt" 2>/dev/null | cmp -s - "$tmp/snapshot.dmesg"; then
		ok "e2e: dom0's log from the core begins with dom0's /dev/kmsg snapshot"
	else
		bad "e2e: dom0's log from the core begins with dom0's /dev/kmsg snapshot"
	fi
	tail -c +"$((n + 1))" "$c/dmesg.txt" >"$tmp/after" 2>/dev/null
	if grep -q '^\[ *[0-9.]*\] Kernel panic - not syncing: sysrq triggered crash$' "$tmp/after"; then
		ok "e2e: after the snapshot, dom0's log has the panic"
	else
		bad "e2e: after the snapshot, dom0's log has the panic"
	fi
	"${CRASHDMESG:-$top/build/asan/crashdmesg}" --kmsg --cmdline="$crash/capture-cmdline.txt" "$crash/vmcore" \
		>"$tmp/cd.kmsg" 2>"$tmp/cd.kmsg.err" || :
	if kmsg_check "$crash/kmsg.txt" "$tmp/cd.kmsg" >"$tmp/kmsg-check.txt"; then
		ok "e2e: host crashdmesg --kmsg has every snapshot record, identical"
	else
		bad "e2e: host crashdmesg --kmsg has every snapshot record, identical"
		sed 's/^/  /' "$tmp/kmsg-check.txt" "$tmp/cd.kmsg.err" | head -n 10
	fi
	eq "e2e: crashdmesg --xen in the capture kernel exits 0" "$(cat "$c/xen-console.rc" 2>/dev/null)" 0
	if grep -a -q 'Kdump: 256MB (262144kB) at 0x4000000' "$c/xen-console.txt" 2>/dev/null; then
		ok "e2e: Xen console from the core has the Kdump: line"
	else
		bad "e2e: Xen console from the core has the Kdump: line"
	fi
	if grep -a -q 'Hardware Dom0 crashed: Executing kexec image' "$c/xen-console.txt" 2>/dev/null; then
		ok "e2e: Xen console from the core says Hardware Dom0 crashed"
	else
		bad "e2e: Xen console from the core says Hardware Dom0 crashed"
	fi
else
	bad "e2e: this tree's crashdmesg has no Xen support: dom0 log and Xen console not checked"
fi

# crashkit's capture pipeline in the capture kernel (log only): the files
# the log, the console and the -X dump it leaves for a Xen crash.
if [ -f "$top/capture/crashcapture" ] && "$cd_static" --help 2>&1 | grep -q -- '--xen'; then
	eq "e2e: crashcapture in the capture kernel exits 0" "$(cat "$crash/capture/crashcapture.rc" 2>/dev/null)" 0
	d=
	for f in "$crash"/crashcapture/crash/xen-e2e-*/manifest.json; do
		[ -f "$f" ] && d=${f%/manifest.json}
	done
	if [ -n "$d" ]; then
		if grep -q '"xen": *true' "$d/manifest.json"; then
			ok "e2e: crashcapture's manifest says it was a Xen host"
		else
			bad "e2e: crashcapture's manifest says it was a Xen host"
		fi
		# crashcapture writes the vmcore-dmesg layout (no indent).
		"${CRASHDMESG:-$top/build/asan/crashdmesg}" --vmcore-dmesg -q --cmdline="$crash/capture-cmdline.txt" \
			"$crash/vmcore" >"$tmp/vd.txt" 2>/dev/null || :
		if [ -s "$d/dmesg.txt" ] && cmp -s "$d/dmesg.txt" "$tmp/vd.txt"; then
			ok "e2e: crashcapture saved dom0's log (dmesg.txt, vmcore-dmesg layout)"
		else
			bad "e2e: crashcapture saved dom0's log (dmesg.txt, vmcore-dmesg layout)"
		fi
		if grep -a -q 'Hardware Dom0 crashed' "$d/xen-console.txt" 2>/dev/null; then
			ok "e2e: crashcapture saved Xen's console (xen-console.txt)"
		else
			bad "e2e: crashcapture saved Xen's console (xen-console.txt)"
		fi
		# The dump crashcapture wrote: crashcopy -X (Xen's frame table was
		# walkable, so no degradation), dom0's log readable from it offline
		# through the dom0 VMCOREINFO note -X adds.
		if /usr/bin/python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); v=[a for a in m["artifacts"] if a["name"]=="vmcore"]; sys.exit(0 if v and v[0]["status"]=="ok" and not [x for x in m["capture"]["degraded"] if "Xen" in x] else 1)' "$d/manifest.json"; then
			ok "e2e: crashcapture's dump is ok and was written with -X"
		else
			bad "e2e: crashcapture's dump is ok and was written with -X"
		fi
		# An independent reader: python3-libkdumpfile opens the kdump file
		# with its own Xen p2m code (through the dom0 VMCOREINFO note -X
		# adds) and finds dom0's record texts in the printk ring.
		"${CRASHDMESG:-$top/build/asan/crashdmesg}" --kmsg -q --cmdline="$crash/capture-cmdline.txt" \
			"$crash/vmcore" >"$tmp/dom0.kmsg" 2>/dev/null || :
		if kdf_out=$(/usr/bin/python3 "$top/tests/xen_kdumpfile_check.py" "$d/vmcore" "$tmp/dom0.kmsg" 2>&1); then
			ok "e2e: libkdumpfile reads dom0's log from crashcapture's -X dump ($kdf_out)"
		else
			bad "e2e: libkdumpfile reads dom0's log from crashcapture's -X dump: $kdf_out"
		fi
	else
		bad "e2e: crashcapture left no manifest.json on its target"
		sed 's/^/  | /' "$crash/capture/crashcapture.log" 2>/dev/null | tail -n 10
	fi
else
	bad "e2e: this tree has no capture/crashcapture (or no Xen crashdmesg): the capture pipeline not checked"
fi

# crashcopy -X in the capture kernel: Xen and dom0 only.
cc_static=${CRASHCOPY_STATIC:-$top/capture/crashcopy/crashcopy}
if [ -x "$cc_static" ] && "$cc_static" --help 2>&1 | grep -q -- '^ *-X '; then
	c=$crash/capture
	x=$c/vmcore-x
	eq "e2e: crashcopy -X in the capture kernel exits 0" "$(cat "$c/crashcopy.rc" 2>/dev/null)" 0
	if [ -s "$x" ]; then
		readelf -nW "$x" >"$tmp/xnotes" 2>&1
		if grep -q 'VMCOREINFO_XEN' "$tmp/xnotes" && grep -q '^ *Xen .*0x01000001' "$tmp/xnotes"; then
			ok "e2e: -X dump keeps the Xen notes"
		else
			bad "e2e: -X dump keeps the Xen notes"
		fi
		if grep -q '^ *VMCOREINFO  ' "$tmp/xnotes"; then
			ok "e2e: -X dump has a dom0 VMCOREINFO note"
		else
			bad "e2e: -X dump has a dom0 VMCOREINFO note"
		fi
		# Bound from Xen's own accounting (xl info in dom0, MiB): all RAM
		# less the 256 MiB crash area, the free memory and the 128 MiB
		# domU, plus 16 MiB for headers and Xen's own frames outside the
		# accounting; at least dom0's 384 MiB.
		total=$(sed -n 's/^total_memory *: *//p' "$crash/xl-info.txt")
		free=$(sed -n 's/^free_memory *: *//p' "$crash/xl-info.txt")
		xbytes=$(stat -c %s "$x")
		max=$(((${total:-0} - 256 - ${free:-0} - 128 + 16) * 1048576))
		if [ "$xbytes" -le "$max" ] && [ "$xbytes" -ge $((384 * 1048576)) ]; then
			ok "e2e: -X dump size $xbytes fits Xen's accounting (384 MiB .. $max)"
		else
			bad "e2e: -X dump size $xbytes outside 384 MiB .. $max (xl info total ${total:-?} free ${free:-?} MiB)"
		fi
		# Frame by frame, by oracles that share no code with crashcopy
		# (tests/xen_frames_check.py reads the full core with its own ELF
		# and page-table code, the dumps through python3-libkdumpfile):
		# every one of the domU ramdisk's marker frames is in the full core
		# and none in the -X dump nor in crashcapture's; no frame on Xen's
		# heap free lists (their sum is total_avail_pages and xl info's
		# free memory, +-8 MiB) is in either.
		blocks=$(fact "$crash" domu_marker_blocks)
		set -- "$x"
		[ -z "${d:-}" ] || [ ! -f "$d/vmcore" ] || set -- "$@" "$d/vmcore"
		if fc_out=$(/usr/bin/python3 "$top/tests/xen_frames_check.py" --min-marked "$blocks" \
			--free-mib "$((${free:-0} - 8)),$((${free:-0} + 8))" "$crash/vmcore" "$crash/xensyms.txt" "$@" 2>&1); then
			ok "e2e: frame by frame, the -X dumps hold no domU frame and no free frame"
		else
			bad "e2e: frame by frame, the -X dumps hold no domU frame and no free frame"
		fi
		printf '%s\n' "$fc_out" | sed 's/^xen_frames_check: /  /'
		# The same check must fail on an unfiltered kdump file of the core
		# (crashcopy -d 0, no -X): every marked frame and every free frame
		# is in it.
		rm -f "$tmp/all.kdump"
		if "$cc_static" -l -d 0 "$crash/vmcore" "$tmp/all.kdump" 2>"$tmp/all.err" &&
			! /usr/bin/python3 "$top/tests/xen_frames_check.py" --min-marked "$blocks" "$crash/vmcore" \
				"$crash/xensyms.txt" "$tmp/all.kdump" >"$tmp/all.out" 2>&1 &&
			grep -q "FAIL: all.kdump keeps ${blocks:-?} marked domU frames" "$tmp/all.out" &&
			grep -Eq 'FAIL: all.kdump keeps [1-9][0-9]* free frames' "$tmp/all.out"; then
			ok "e2e: the frame check fails on an unfiltered dump ($(grep -c FAIL "$tmp/all.out") findings)"
		else
			bad "e2e: the frame check fails on an unfiltered dump"
			sed 's/^/  /' "$tmp/all.err" "$tmp/all.out" 2>/dev/null | tail -n 5
		fi
		rm -f "$tmp/all.kdump"
		# Memory bounded as on a native core (makedumpfile drops its
		# cyclic mode on Xen): under --max-memory 1M the frame table is
		# walked window by window, and the dump is the same file.
		whole=$("$cc_static" -f -X -l --json "$crash/vmcore" "$tmp/w1.kdump" 2>/dev/null |
			sed -n 's/.*"output_sha256":"\([0-9a-f]*\)".*/\1/p')
		/usr/bin/time -f '%M' -o "$tmp/w2.rss" "$cc_static" -f -X -l --max-memory 1M --json \
			"$crash/vmcore" "$tmp/w2.kdump" >"$tmp/w2.json" 2>/dev/null || :
		windowed=$(sed -n 's/.*"output_sha256":"\([0-9a-f]*\)".*/\1/p' "$tmp/w2.json")
		windows=$(sed -n 's/.*"bitmap_windows":\([0-9]*\).*/\1/p' "$tmp/w2.json")
		rss=$(tail -n 1 "$tmp/w2.rss")
		if [ -n "$whole" ] && [ "$whole" = "$windowed" ] && [ "${windows:-0}" -ge 2 ] &&
			[ "${rss:-99999}" -le 16384 ]; then
			ok "e2e: -X --max-memory 1M: $windows windows, the same dump, peak RSS $rss KiB"
		else
			bad "e2e: -X --max-memory 1M: windows ${windows:-?}, sha ${windowed:-none} vs ${whole:-none}, RSS ${rss:-?} KiB"
		fi
		rm -f "$tmp/w1.kdump" "$tmp/w2.kdump"

		printf '  -X dump: %s bytes of %s (%s s in the capture kernel): %s\n' "$xbytes" \
			"$(stat -c %s "$crash/vmcore")" "$(cat "$c/crashcopy.seconds" 2>/dev/null)" "$(head -n 1 "$c/crashcopy.err")"
		"${CRASHDMESG:-$top/build/asan/crashdmesg}" "$x" >"$tmp/x.dmesg" 2>"$tmp/x.dmesg.err" || :
		if [ -s "$tmp/x.dmesg" ] && cmp -s "$tmp/x.dmesg" "$c/dmesg.txt"; then
			ok "e2e: crashdmesg on the -X dump (no hint) prints the capture kernel's dom0 log"
		else
			bad "e2e: crashdmesg on the -X dump (no hint) prints the capture kernel's dom0 log"
			head -n 3 "$tmp/x.dmesg.err" | sed 's/^/  /'
		fi
		"${CRASHDMESG:-$top/build/asan/crashdmesg}" --xen "$x" >"$tmp/x.xen" 2>&1 || :
		if grep -a -q 'Hardware Dom0 crashed' "$tmp/x.xen"; then
			ok "e2e: crashdmesg --xen on the -X dump has Xen's console"
		else
			bad "e2e: crashdmesg --xen on the -X dump has Xen's console"
		fi
	else
		bad "e2e: no -X dump came back from the capture kernel"
		sed 's/^/  /' "$c/reassemble.err" 2>/dev/null
	fi
else
	bad "e2e: this tree's crashcopy has no -X: the Xen + dom0 dump not checked"
fi

nock=$out/no-crashkernel
if CRASHCTL=$crashctl nice sh tests/e2e/xen-crash.sh --no-crashkernel "$nock" >"$out/nock.log" 2>&1; then
	ok "e2e: boot without crashkernel= on the Xen line"
else
	bad "e2e: boot without crashkernel= on the Xen line"
	sed 's/^/  | /' "$out/nock.log" | tail -n 40
fi
if [ -s "$nock/facts.txt" ]; then
	eq "e2e/nock: Xen line has no crashkernel=" "$(xen_parse_crashkernel "$(fact "$nock" xen_cmdline)")" ''
	eq "e2e/nock: crashkit-xen reports no crash area" "$(fact "$nock" helper_range)" "0x0 0x0"
	eq "e2e/nock: xen_crash_range reports no crash area" "$(fact "$nock" xensh_range)" "0x0 0"
	eq "e2e/nock: no Kdump line in xl dmesg" "$(fact "$nock" xl_kdump)" ''
	eq "e2e/nock: xen_check fails" "$(fact "$nock" xensh_check_rc)" 1
	has "e2e/nock: xen_check says where crashkernel= goes" "$(cat "$nock/xen-check.txt" 2>/dev/null)" \
		'Xen reserved no crash area: its command line has no crashkernel=; add e.g. crashkernel=256M@64M to GRUB_CMDLINE_XEN_DEFAULT'
	has "e2e/nock: xen_check names crashkernel= on dom0's line" "$(cat "$nock/xen-check.txt" 2>/dev/null)" \
		'crashkernel= is on the dom0 Linux command line'
	has "e2e/nock: dom0's crashkernel= is in /proc/cmdline" "$(fact "$nock" dom0_cmdline)" crashkernel=128M
	if [ -f "$crashctl" ]; then
		eq "e2e/nock: crashctl status in dom0 exits 3" "$(fact "$nock" crashctl_status_before_rc)" 3
		has "e2e/nock: crashctl status says crashkernel= goes on the Xen line" \
			"$(cat "$nock/crashctl-status-before.txt" 2>/dev/null)" 'FAIL reservation Xen reserved no memory'
		eq "e2e/nock: crashctl doctor in dom0 exits 3" "$(fact "$nock" crashctl_doctor_before_rc)" 3
		doc=$(cat "$nock/crashctl-doctor-before.txt" 2>/dev/null)
		has "e2e/nock: crashctl doctor: Xen reserves the crash area" "$doc" \
			'why: under Xen the hypervisor reserves the crash area'
		has "e2e/nock: crashctl doctor: fix on the Xen line in /etc/default/grub" "$doc" \
			'fix: add e.g. crashkernel=256M@64M to GRUB_CMDLINE_XEN_DEFAULT (or GRUB_CMDLINE_XEN) in /etc/default/grub'
		has "e2e/nock: crashctl doctor: dom0's crashkernel= is ignored" "$doc" \
			'why: a PV dom0 ignores crashkernel= on its own line'
	fi
	if grep -a -q 'Ignoring crashkernel for a Xen PV domain' "$nock/console.log"; then
		ok "e2e/nock: dom0 Linux ignored its crashkernel="
	else
		bad "e2e/nock: dom0 Linux ignored its crashkernel="
	fi
else
	bad "e2e/nock: no facts from dom0"
fi
printf '  e2e took %ss\n' "$(($(date +%s) - started))"

echo "e2e_xen: $passed passed, $failed failed"
