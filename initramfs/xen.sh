# shellcheck shell=sh
# initramfs/xen.sh - Xen PV dom0 support for crashctl (doc/capture.md §7,
# doc/xen.md). Sourced: defines functions, does nothing else.
#
# In a Xen PV dom0 the crash area belongs to Xen, not to Linux:
# /proc/cmdline, /proc/iomem and /sys/kernel/kexec_crash_{size,loaded} say 0
# or lie. The truth comes from Xen's kexec hypercalls, asked by the static
# helper crashkit-xen through /dev/xen/privcmd (module xen-privcmd).
#
# Query functions print their answer on stdout and return 0, or print one
# "xen: ..." line on stderr and return 1. Parsing functions (xen_parse_*,
# xen_capture_console, xen_conring_hint, xen_filter_dom0_cmdline) read only
# their arguments or stdin, for the unit tests.
#
# Overrides for tests: CRASHKIT_SYSFS (/sys), CRASHKIT_PROCFS (/proc),
# CRASHKIT_XEN_PRIVCMD (/dev/xen/privcmd), CRASHKIT_XEN_HELPER (crashkit-xen
# from PATH), CRASHKIT_KEXEC (kexec from PATH), CRASHKIT_XL (xl from PATH).

xen_sys() { printf '%s\n' "${CRASHKIT_SYSFS:-/sys}"; }
xen_proc() { printf '%s\n' "${CRASHKIT_PROCFS:-/proc}"; }

# xen_is_pv_dom0: status 0 when running as a Xen PV dom0 (the control
# domain): /sys/hypervisor/type is xen, guest_type PV (kernels without
# guest_type: /proc/xen exists), and /proc/xen/capabilities, when xenfs is
# mounted, says control_d.
xen_is_pv_dom0() {
	local sys proc t g caps
	sys=$(xen_sys)
	proc=$(xen_proc)
	t=
	[ -r "$sys/hypervisor/type" ] && read -r t <"$sys/hypervisor/type"
	[ "$t" = xen ] || return 1
	if [ -r "$sys/hypervisor/guest_type" ]; then
		g=
		read -r g <"$sys/hypervisor/guest_type"
		[ "$g" = PV ] || return 1
	else
		[ -d "$proc/xen" ] || return 1
	fi
	if [ -r "$proc/xen/capabilities" ]; then
		caps=$(cat "$proc/xen/capabilities")
		case $caps in
		*control_d*) ;;
		*) return 1 ;;
		esac
	fi
	return 0
}

# xen_privcmd: make sure /dev/xen/privcmd exists (modprobe xen-privcmd when
# it does not); status 1 with a message when it cannot.
xen_privcmd() {
	local dev i
	dev=${CRASHKIT_XEN_PRIVCMD:-/dev/xen/privcmd}
	[ -e "$dev" ] && return 0
	if ! modprobe xen-privcmd 2>/dev/null; then
		printf 'xen: %s is missing and modprobe xen-privcmd failed: load the xen-privcmd module (the kernel needs CONFIG_XEN_PRIVCMD)\n' "$dev" >&2
		return 1
	fi
	i=0
	while [ ! -e "$dev" ] && [ "$i" -lt 20 ]; do
		sleep 0.1 2>/dev/null || sleep 1
		i=$((i + 1))
	done
	[ -e "$dev" ] && return 0
	printf 'xen: xen-privcmd is loaded but %s did not appear (is devtmpfs mounted on /dev?)\n' "$dev" >&2
	return 1
}

# xen_helper ARGS...: run crashkit-xen, after loading xen-privcmd.
xen_helper() {
	local dev
	xen_privcmd || return 1
	dev=${CRASHKIT_XEN_PRIVCMD:-/dev/xen/privcmd}
	"${CRASHKIT_XEN_HELPER:-crashkit-xen}" --device "$dev" "$@"
}

# xen_crash_range: "START SIZE" of Xen's crash area: START a hex machine
# address (0x...), SIZE in bytes (decimal); "0x0 0" when Xen reserved none.
xen_crash_range() {
	local out start size
	out=$(xen_helper range) || return 1
	start=${out%% *}
	size=${out#* }
	case $start:$size in
	0x*[!0-9a-f]*:* | *:0x*[!0-9a-f]*) ;;
	0x?*:0x?*)
		printf '%s %s\n' "$start" "$((size))"
		return 0
		;;
	esac
	printf 'xen: crashkit-xen range answered "%s", expected "0xSTART 0xSIZE"\n' "$out" >&2
	return 1
}

# xen_crash_loaded: 1 when Xen holds a crash image, 0 when not (the
# hypercall; /sys/kernel/kexec_crash_loaded is always 0 on Xen).
xen_crash_loaded() {
	local out
	out=$(xen_helper loaded) || return 1
	case $out in
	0 | 1) printf '%s\n' "$out" ;;
	*)
		printf 'xen: crashkit-xen loaded answered "%s", expected 0 or 1\n' "$out" >&2
		return 1
		;;
	esac
}

# xen_cmdline: Xen's own command line (the hypercall; `xl info` as fallback).
xen_cmdline() {
	local out
	if out=$(xen_helper cmdline 2>/dev/null); then
		printf '%s\n' "$out"
		return 0
	fi
	out=$("${CRASHKIT_XL:-xl}" info 2>/dev/null | sed -n 's/^xen_commandline[[:space:]]*:[[:space:]]*//p')
	if [ -n "$out" ]; then
		printf '%s\n' "$out"
		return 0
	fi
	printf 'xen: cannot read the Xen command line (crashkit-xen cmdline and xl info failed)\n' >&2
	return 1
}

# xen_parse_crashkernel CMDLINE: the value of the last crashkernel= word of
# CMDLINE, or nothing.
xen_parse_crashkernel() {
	local w v
	v=
	for w in $1; do
		case $w in
		crashkernel=*) v=${w#crashkernel=} ;;
		esac
	done
	[ -n "$v" ] && printf '%s\n' "$v"
	return 0
}

# xen_parse_kdump_line: read `xl dmesg` text on stdin; print "START SIZE"
# (hex) from Xen's last "Kdump: 256MB (262144kB) at 0x4000000" line,
# "disabled" for a "Kdump: DISABLED" line, nothing when there is none (the
# line may have wrapped out of the 16 KiB ring).
xen_parse_kdump_line() {
	awk '
	/Kdump: DISABLED/ { r = "disabled"; next }
	/Kdump: [0-9]+MB \([0-9]+kB\) at 0x[0-9a-fA-F]+/ {
		s = $0
		sub(/.*Kdump: [0-9]+MB \(/, "", s)
		kb = s; sub(/kB.*/, "", kb)
		a = s; sub(/.* at /, "", a); sub(/[^0-9a-fA-Fx].*/, "", a)
		r = sprintf("%s 0x%x", tolower(a), kb * 1024)
	}
	END { if (r != "") print r }'
}

# xen_capture_console XEN_CMDLINE: the console= value a native capture kernel
# needs to print where Xen printed: console=comN with comN=BAUD,... gives
# ttyS(N-1),BAUD (115200 when comN= gives none or "auto"); a Xen console
# without a serial port gives tty0. dom0's hvc0 does not exist without Xen.
xen_capture_console() {
	local w con n baud v
	con=
	for w in $1; do
		case $w in
		console=*) con=${w#console=} ;;
		esac
	done
	# Xen's default console is "com1,vga".
	[ -n "$con" ] || con=com1,vga
	n=
	case ,$con, in
	*,com1,* | *,com1H,* | *,com1L,*) n=1 ;;
	*,com2,* | *,com2H,* | *,com2L,*) n=2 ;;
	esac
	if [ -z "$n" ]; then
		printf 'tty0\n'
		return 0
	fi
	baud=
	for w in $1; do
		case $w in
		com"$n"=*)
			v=${w#com"$n"=}
			v=${v%%,*}
			v=${v%%/*}
			case $v in
			'' | auto | *[!0-9]*) baud= ;;
			*) baud=$v ;;
			esac
			;;
		esac
	done
	printf 'ttyS%s,%s\n' "$((n - 1))" "${baud:-115200}"
}

# xen_conring_hint: read /proc/xen/xensyms text on stdin; print
# "crashkit.xen_conring=CONRING,CONRING_SIZE,CONRINGP,CONRINGC" (Xen virtual
# addresses of console.c's conring, conring_size, conringp, conringc, hex),
# or nothing when any of them is missing.
xen_conring_hint() {
	awk '
	NF >= 3 && $1 ~ /^[0-9a-fA-F]+$/ {
		n = $3; sub(/.*#/, "", n)
		if (n == "conring" || n == "conring_size" || n == "conringp" || n == "conringc")
			a[n] = "0x" tolower($1)
	}
	END {
		if (("conring" in a) && ("conring_size" in a) && ("conringp" in a) && ("conringc" in a))
			printf "crashkit.xen_conring=%s,%s,%s,%s\n", a["conring"], a["conring_size"], a["conringp"], a["conringc"]
	}'
}

# xen_filter_dom0_cmdline CMDLINE: CMDLINE without the words that only make
# sense in a PV dom0 (console=hvc*, console=xvc*, xencons=, earlyprintk=xen,
# xen_*=) or that a capture kernel must not inherit (crashkernel=).
xen_filter_dom0_cmdline() {
	local w out
	out=
	for w in $1; do
		case $w in
		console=hvc* | console=xvc* | xencons=* | earlyprintk=xen* | xen_* | crashkernel=*) ;;
		*) out="${out:+$out }$w" ;;
		esac
	done
	printf '%s\n' "$out"
}

# xen_load_args: the words to add to the native capture kernel's command
# line: console=<Xen's serial port>, crashkit.dom0_vmcoreinfo=<machine
# address of dom0's VMCOREINFO note> and, when /proc/xen/xensyms is
# readable, crashkit.xen_conring=... . kexec must load with the classic
# kexec_load (never -s: kexec_file_load goes to Linux, which has no crash
# area under Xen).
xen_load_args() {
	local proc sys xcl addr size hint
	proc=$(xen_proc)
	sys=$(xen_sys)
	xcl=$(xen_cmdline) || return 1
	if [ ! -r "$sys/kernel/vmcoreinfo" ]; then
		printf 'xen: %s/kernel/vmcoreinfo is not readable: dom0 kernel without CONFIG_CRASH_CORE?\n' "$sys" >&2
		return 1
	fi
	read -r addr size <"$sys/kernel/vmcoreinfo"
	case $addr in
	'' | *[!0-9a-fA-Fx]*)
		printf 'xen: %s/kernel/vmcoreinfo reads "%s", expected "ADDRESS SIZE" in hex\n' "$sys" "$addr $size" >&2
		return 1
		;;
	esac
	case $addr in
	0x* | 0X*) ;;
	*) addr=0x$addr ;;
	esac
	addr=$(printf '0x%x' "$addr")
	hint=
	[ -r "$proc/xen/xensyms" ] && hint=$(xen_conring_hint <"$proc/xen/xensyms" 2>/dev/null)
	printf 'console=%s crashkit.dom0_vmcoreinfo=%s%s\n' "$(xen_capture_console "$xcl")" "$addr" "${hint:+ $hint}"
}

# xen_kexec_has_xen [KEXEC]: status 0 when KEXEC (default: kexec from PATH)
# can load through Xen: linked against libxenctrl, or naming xc_kexec_load
# for dlopen (kexec-tools 2.0.26+ built with --with-xen=dl).
xen_kexec_has_xen() {
	local k
	k=${1:-${CRASHKIT_KEXEC:-$(command -v kexec 2>/dev/null)}}
	[ -n "$k" ] && [ -r "$k" ] || return 1
	grep -q 'xc_kexec_load' "$k" 2>/dev/null
}

# xen_check: the Xen-specific problems of this dom0, one "xen: ..." line each
# on stdout; status 0 when none stops a capture, 1 otherwise. Warnings
# (cross-checks that disagree) are printed as "xen: warning: ..." and do not
# fail.
xen_check() {
	local bad xcl want dom0cl range start size kd kexec_bin loaded
	bad=0
	if ! xen_privcmd 2>/dev/null; then
		printf 'xen: /dev/xen/privcmd is missing: modprobe xen-privcmd (without it Xen cannot be asked, and kexec --print-ckr-size prints a false 0)\n'
		return 1
	fi
	xcl=$(xen_cmdline 2>/dev/null) || xcl=
	want=$(xen_parse_crashkernel "$xcl")
	dom0cl=$(cat "$(xen_proc)/cmdline" 2>/dev/null) || dom0cl=
	if [ -n "$(xen_parse_crashkernel "$dom0cl")" ]; then
		printf 'xen: crashkernel= is on the dom0 Linux command line, where a PV dom0 ignores it ("Ignoring crashkernel for a Xen PV domain"): put it on the Xen line instead (GRUB_CMDLINE_XEN_DEFAULT in /etc/default/grub, then update-grub)\n'
		[ -n "$want" ] || bad=1
	fi
	if ! range=$(xen_crash_range 2>&1); then
		printf '%s\n' "$range"
		return 1
	fi
	start=${range%% *}
	size=${range#* }
	if [ "$size" = 0 ]; then
		bad=1
		if [ -z "$want" ]; then
			printf 'xen: Xen reserved no crash area: its command line has no crashkernel=; add e.g. crashkernel=256M@64M to GRUB_CMDLINE_XEN_DEFAULT in /etc/default/grub, run update-grub and reboot\n'
		else
			printf 'xen: Xen reserved no crash area although its command line asks for crashkernel=%s (see "xl dmesg | grep Kdump"): pick a size/address that fits the machine\n' "$want"
		fi
	fi
	kexec_bin=${CRASHKIT_KEXEC:-$(command -v kexec 2>/dev/null)}
	if [ -z "$kexec_bin" ]; then
		printf 'xen: kexec not found (apt-get install kexec-tools)\n'
		bad=1
	elif ! xen_kexec_has_xen "$kexec_bin"; then
		printf 'xen: %s has no Xen support (not linked to libxenctrl): under Xen it would load into Linux, which has no crash area; install a Xen-enabled kexec-tools (Debian'"'"'s is)\n' "$kexec_bin"
		bad=1
	fi
	if [ "$size" != 0 ]; then
		kd=$("${CRASHKIT_XL:-xl}" dmesg 2>/dev/null | xen_parse_kdump_line) || kd=
		case $kd in
		'' | "$start $(printf '0x%x' "$size")") ;;
		disabled) printf 'xen: warning: xl dmesg says "Kdump: DISABLED" but Xen reports a crash area at %s, %s bytes\n' "$start" "$size" ;;
		*) printf 'xen: warning: xl dmesg says the crash area is %s (start, size), Xen reports %s, %s bytes\n' "$kd" "$start" "$size" ;;
		esac
		loaded=$(xen_crash_loaded 2>/dev/null) || loaded=
		if [ -n "$loaded" ] && [ -n "$kexec_bin" ]; then
			if "$kexec_bin" -p -S >/dev/null 2>&1; then
				[ "$loaded" = 0 ] || printf 'xen: warning: kexec -p -S says nothing is loaded, Xen says a crash image is loaded\n'
			else
				[ "$loaded" = 1 ] || printf 'xen: warning: kexec -p -S says an image is loaded, Xen says none is\n'
			fi
		fi
	fi
	return "$bad"
}
