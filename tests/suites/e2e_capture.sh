#!/bin/sh
# e2e_capture: real crashes captured by crashkit itself. A Debian 6.1 VM
# (tests/e2e/capture-vm.sh: QEMU TCG, busybox first-kernel userland with
# crashkit's tree) runs `crashctl build`, `crashctl load`, `crashctl status`,
# crashes with sysrq-c, and the capture kernel crashctl loaded saves the crash
# to a target; the host then checks what landed there. Targets are served on
# 127.0.0.1 by tests/e2e/servers (OpenSSH sshd, the HTTP collector, pyftpdlib).
# In every scenario a post.d hook (tests/e2e/guest/rawcopy.sh) also copies the
# raw /proc/vmcore to a spare disk: the reference for the saved log and dump.
#
# Scenarios (build/e2e-capture/NAME):
#   local        ext4 by LABEL=: crashctl status 0 and test 0; dmesg.txt is
#                vmcore-dmesg's output on the raw core byte for byte and holds
#                the first kernel's last /dev/kmsg record; the dump is
#                page-exact (tests/crashcopy_pages.py, python3-libkdumpfile)
#                and makedumpfile --dump-dmesg reads the same log from it as
#                from the raw core; manifest true (manifest_check.py); files
#                0600, directory 0700, no .incomplete; the VM rebooted; the
#                crash record crashctl test --crash writes is in dmesg.txt;
#                the only 2-CPU guest (--smp 2), its dump holds both CPUs
#   ssh, http, ftp, nfs   the same checks on what the server received (nfs:
#                nfs-ganesha, NFSv4 on a free port: the host kernel has no nfsd)
#   full         a 4 MiB target: the log is saved, the manifest says the dump
#                was truncated/skipped/failed and why; rebooted
#   unreachable  http to a closed port: crashctl status exits 3; the log lands
#                on FALLBACK_DEVICE; rebooted
#   deadline     DEADLINE=20s and a pre.d hook that sleeps 10 min, with an
#                i6300esb watchdog: the VM resets within DEADLINE + 60 s of
#                the capture kernel's start, and the capture armed the watchdog
# E2E_CAPTURE_SCENARIOS picks scenarios (default: all of the above).
# E2E_CAPTURE_PLACEHOLDER=1, or a tree without initramfs/crashctl, runs the
# harness self-test instead (capture-vm.sh --placeholder: a throwaway capture
# initramfs that saves dmesg.txt to local/ssh/http/ftp/nfs), which proves the VM,
# disks, servers and reboot detection, not crashkit's capture; without
# crashctl that is also one failure ("crashctl missing").
# VMs run E2E_CAPTURE_JOBS (default 2) at a time; a VM's checks run when it
# ends, in scenario order.
# Time: 45-90 s a scenario under TCG, two at a time (the suite ~5 min).
# Last line: "e2e_capture: N passed, N failed".
# shellcheck disable=SC2317 # scenarios and checks are called by name (check FN, scenario_$name)
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
# shellcheck source=/dev/null # checked on its own (shellcheck suite)
. "$top/tests/e2e/servers/servers.sh"

python=/usr/bin/python3
work=$top/build/e2e-capture
scenarios=${E2E_CAPTURE_SCENARIOS:-local ssh http ftp nfs full unreachable deadline}
placeholder=${E2E_CAPTURE_PLACEHOLDER:-}
jobs=${E2E_CAPTURE_JOBS:-2}
running=
nrunning=0
started_vms=
[ -x "$top/initramfs/crashctl" ] || [ -f "$top/initramfs/crashctl" ] || placeholder=missing

passed=0
failed=0
started=$(date +%s)
name=setup

ok() {
	passed=$((passed + 1))
	printf 'ok   %s: %s\n' "$name" "$1"
}

bad() {
	failed=$((failed + 1))
	printf 'FAIL %s: %s\n' "$name" "$1"
}

# check DESCRIPTION COMMAND...: one assertion.
check() {
	local what
	what=$1
	shift
	if "$@"; then
		ok "$what"
	else
		bad "$what"
	fi
}

finish() {
	servers_stop "$work/servers"
	printf 'e2e_capture: %s s\n' "$(($(date +%s) - started))"
	echo "e2e_capture: $passed passed, $failed failed"
	exit 0
}

mkdir -p "$work"
if ! make -s all >"$work/make.log" 2>&1; then
	bad "make all: $(tail -n 1 "$work/make.log")"
	finish
fi
if ! servers_start "$work/servers" 2>"$work/servers.err"; then
	bad "test servers did not start: $(tail -n 1 "$work/servers.err")"
	finish
fi
trap 'servers_stop "$work/servers"; exit 130' INT TERM
env_get() {
	servers_env "$work/servers" "$1"
}
image=$work/first.cpio.gz
if ! sh tests/e2e/capture-vm.sh --build-image "$image" >"$work/image.log" 2>&1; then
	bad "first-kernel image: $(tail -n 1 "$work/image.log")"
	finish
fi
printf '  first-kernel image: %s bytes\n' "$(stat -c %s "$image")"

# The stall watch every VM runs under (tests/e2e/qemu-watch.sh), on stand-ins
# for QEMU: a guest silent past the deadline is stopped (125), one that
# printed the marker runs to its own end, and an exit status passes through.
watch_rc=0
(
	# shellcheck source=tests/e2e/qemu-watch.sh
	. tests/e2e/qemu-watch.sh
	w=$work/watch
	mkdir -p "$w"
	s=$(date +%s)
	rc=0
	qemu_watched 2 "$w/silent.log" timeout 61 sleep 61 || rc=$?
	[ "$rc" = 125 ] || exit 1
	[ $(($(date +%s) - s)) -lt 15 ] || exit 1
	rc=0
	qemu_watched 2 "$w/done.log" sh -c 'echo "crashkit-e2e: crashing"; sleep 5; exit 3' || rc=$?
	[ "$rc" = 3 ] || exit 2
	rc=0
	qemu_watched 2 "$w/fail.log" sh -c 'echo "crashkit-e2e: FAIL: x"; exit 0' || rc=$?
	[ "$rc" = 0 ] || exit 3
	sleep 1
	if pgrep -x -f 'sleep 61' >/dev/null; then exit 4; fi
) || watch_rc=$?
if [ "$watch_rc" = 0 ]; then
	ok "stall watch: silent guest stopped at its deadline, others run to their end"
else
	bad "stall watch (tests/e2e/qemu-watch.sh) misbehaves: case $watch_rc"
fi
if ! servers_start_nfs "$work/servers" 2>"$work/nfs.err"; then
	bad "NFS server (nfs-ganesha) did not start: $(tail -n 1 "$work/nfs.err")"
fi

# --- helpers -------------------------------------------------------------

# scenario_dir NAME: a fresh input directory for NAME, printed; the raw-copy
# hook is in post.d.
scenario_dir() {
	local d
	d=$work/$1/in
	rm -rf "${work:?}/$1"
	mkdir -p "$d/crashkit/post.d" "$d/crashkit/pre.d" "$d/crashkit/e2e"
	chmod 700 "$d/crashkit"
	cp tests/e2e/guest/rawcopy.sh "$d/crashkit/post.d/90-rawcopy"
	chmod 755 "$d/crashkit/post.d/90-rawcopy"
	printf '%s\n' "$d"
}

# start_vm NAME [capture-vm.sh options]: start scenario NAME's VM in the
# background (at most $jobs at once; output in $work/NAME/run.log, exit
# status in run.rc, results in $work/NAME/out). Waiting for a free slot, it
# runs the checks of the VM that ended (check_done), so they use the core
# that VM left while the other VM runs.
start_vm() {
	local n
	n=$1
	shift
	while [ "$nrunning" -ge "$jobs" ]; do
		wait "${running%% *}"
		running=${running#* }
		nrunning=$((nrunning - 1))
		check_done
	done
	(
		rc=0
		nice sh tests/e2e/capture-vm.sh --image "$image" "$@" "$work/$n/in" "$work/$n/out" \
			>"$work/$n/run.log" 2>&1 || rc=$?
		echo "$rc" >"$work/$n/run.rc"
	) &
	running="$running$! "
	nrunning=$((nrunning + 1))
	started_vms="$started_vms$n "
}

# check_done: the checks of the oldest VM start_vm started and nobody checked
# yet (check_NAME, or check_self for the harness self-test), under its name.
check_done() {
	local caller n
	caller=$name
	n=${started_vms%% *}
	started_vms=${started_vms#* }
	name=$n
	case $n in
	harness-*) check_self "${n#harness-}" ;;
	*)
		"check_$n"
		[ ! -f "$work/$n/out/result" ] ||
			printf '  %s: qemu ran %s s\n' "$n" "$(sed -n 's/^qemu_seconds=//p' "$work/$n/out/result")"
		;;
	esac
	name=$caller
}

# wait_vms: wait for every VM start_vm started, and check each as it ends.
wait_vms() {
	local p
	for p in $running; do
		wait "$p"
		check_done
	done
	running=
	nrunning=0
}

# vm_done NAME: sets out to NAME's results and shows how its VM ran; false
# when the harness itself failed.
vm_done() {
	out=$work/$1/out
	if [ "$(cat "$work/$1/run.rc" 2>/dev/null)" != 0 ]; then
		sed 's/^/  | /' "$work/$1/run.log" | tail -n 20
		return 1
	fi
	sed 's/^/  /' "$work/$1/run.log"
}

# result KEY: a value from capture-vm.sh's result file.
result() {
	sed -n "s/^$1=//p" "$out/result"
}

# step_rc STEP EXPECTED: the first kernel's STEP exited EXPECTED.
step_rc() {
	local rc
	rc=$(cat "$out/first/$1.rc" 2>/dev/null) || rc=missing
	[ "$rc" = "$2" ] && return 0
	printf '  crashctl %s: exit %s, expected %s; its output:\n' "$1" "$rc" "$2"
	sed 's/^/  | /' "$out/first/$1.log" 2>/dev/null | tail -n 15
	return 1
}

# rebooted: QEMU ended by the capture's reboot after the capture kernel ran.
rebooted() {
	local o c
	o=$(result outcome)
	c=$(result capture_booted)
	[ "$o" = rebooted ] && [ "$c" = yes ] && return 0
	printf '  outcome %s, capture kernel booted: %s, first kernel: %s\n' "$o" "$c" "$(result first_state)"
	tail -n 12 "$out/console.log" | tr -d '\r' | sed 's/^/  | /'
	return 1
}

# crash_dir ROOT: the one <host>-<time> directory under ROOT, printed.
crash_dir() {
	local d n
	n=0
	for d in "$1"/*-[0-9]*T[0-9]*Z; do
		[ -d "$d" ] || continue
		n=$((n + 1))
		printf '%s\n' "$d"
	done
	[ "$n" -eq 1 ] && return 0
	printf '  %s crash directories under %s:\n' "$n" "$1" >&2
	ls -la "$1" >&2 2>/dev/null
	return 1
}

# modes_ok DIR: DIR 0700, every file in it 0600, no *.incomplete.
modes_ok() {
	local f m bad_=0
	m=$(stat -c %a "$1")
	[ "$m" = 700 ] || {
		printf '  %s: mode %s, not 700\n' "$1" "$m"
		bad_=1
	}
	for f in "$1"/*; do
		[ -e "$f" ] || continue
		m=$(stat -c %a "$f")
		[ "$m" = 600 ] || {
			printf '  %s: mode %s, not 600\n' "$f" "$m"
			bad_=1
		}
		case $f in
		*.incomplete)
			printf '  %s left behind\n' "$f"
			bad_=1
			;;
		esac
	done
	return "$bad_"
}

# raw_dmesg: vmcore-dmesg of the raw core into $out/raw.dmesg (once).
raw_dmesg() {
	[ -s "$out/vmcore.raw" ] || {
		echo "  no raw core: the post.d hook did not run or failed"
		return 1
	}
	[ -s "$out/raw.dmesg" ] && return 0
	vmcore-dmesg "$out/vmcore.raw" >"$out/raw.dmesg" 2>"$out/raw.dmesg.err" || {
		printf '  vmcore-dmesg on the raw core failed: %s\n' "$(tail -n 1 "$out/raw.dmesg.err")"
		return 1
	}
}

# log_is_core_log FILE: FILE is vmcore-dmesg's output on the raw core, byte
# for byte, and holds the first kernel's last record before the crash.
log_is_core_log() {
	raw_dmesg || return 1
	cmp -s "$out/raw.dmesg" "$1" || {
		printf '  %s differs from vmcore-dmesg on the raw core: %s\n' "$1" \
			"$(cmp "$out/raw.dmesg" "$1" 2>&1 | head -n 1)"
		diff "$out/raw.dmesg" "$1" | head -n 6 | sed 's/^/  | /'
		return 1
	}
	grep -q 'crashkit-e2e: marker end' "$1" || {
		echo "  $1 lacks the first kernel's last record"
		return 1
	}
}

# dump_file DIR: the saved dump as a seekable file, printed: DIR/vmcore, or
# DIR/vmcore.flat reassembled by makedumpfile -R.
dump_file() {
	if [ -f "$1/vmcore.flat" ] && [ ! -f "$1/vmcore" ]; then
		rm -f "$out/vmcore.reassembled"
		makedumpfile -R "$out/vmcore.reassembled" <"$1/vmcore.flat" >/dev/null 2>&1 || {
			echo "  makedumpfile -R of $1/vmcore.flat failed" >&2
			return 1
		}
		printf '%s\n' "$out/vmcore.reassembled"
		return 0
	fi
	[ -f "$1/vmcore" ] || {
		echo "  no vmcore in $1" >&2
		return 1
	}
	printf '%s\n' "$1/vmcore"
}

# dump_pages DIR: the saved dump is page-exact against the raw core at the
# manifest's dump level.
dump_pages() {
	local f level rc
	[ -s "$out/vmcore.raw" ] || return 1
	f=$(dump_file "$1") || return 1
	level=$("$python" -c 'import json, sys
for a in json.load(open(sys.argv[1]))["artifacts"]:
    if a["name"] in ("vmcore", "vmcore.flat"):
        print(a.get("dump_level", 31))' "$1/manifest.json" 2>/dev/null)
	rc=0
	"$python" tests/crashcopy_pages.py "$out/vmcore.raw" "$f" "${level:-31}" >"$out/pages.txt" 2>&1 || rc=$?
	sed 's/^/  /' "$out/pages.txt"
	return "$rc"
}

# dump_mdf_dmesg DIR: makedumpfile --dump-dmesg reads the same log from the
# saved dump as from the raw core.
dump_mdf_dmesg() {
	local f
	[ -s "$out/vmcore.raw" ] || return 1
	f=$(dump_file "$1") || return 1
	rm -f "$out/mdf.raw" "$out/mdf.saved"
	if ! makedumpfile --dump-dmesg "$out/vmcore.raw" "$out/mdf.raw" >"$out/mdf.err" 2>&1 ||
		! makedumpfile --dump-dmesg "$f" "$out/mdf.saved" >"$out/mdf.err" 2>&1; then
		printf '  makedumpfile --dump-dmesg failed: %s\n' "$(tail -n 1 "$out/mdf.err")"
		return 1
	fi
	cmp -s "$out/mdf.raw" "$out/mdf.saved" || {
		echo "  makedumpfile reads a different log from the saved dump"
		return 1
	}
}

# manifest DIR VMCORE_STATUS [CAPTURE_STATUS]: manifest_check.py passes.
manifest() {
	local rc
	rc=0
	"$python" tests/e2e/manifest_check.py "$1" "$(cat "$out/first/release")" "$2" ${3:+"$3"} \
		>"$out/manifest.txt" 2>&1 || rc=$?
	sed 's/^/  /' "$out/manifest.txt"
	return "$rc"
}

# full_checks ROOT: the checks of a complete capture into ROOT.
full_checks() {
	local d
	if ! d=$(crash_dir "$1"); then
		bad "one crash directory in $1"
		return
	fi
	ok "one crash directory: ${d##*/}"
	check "directory 0700, files 0600, nothing .incomplete" modes_ok "$d"
	check "dmesg.txt is vmcore-dmesg's output on the raw core" log_is_core_log "$d/dmesg.txt"
	check "manifest true (sizes, sha256, statuses, release)" manifest "$d" ok
	check "dump page-exact against the raw core (libkdumpfile)" dump_pages "$d"
	check "makedumpfile --dump-dmesg reads the log from the dump" dump_mdf_dmesg "$d"
}

# first_kernel_ok [STATUS_RC]: crashctl build, load (and status) did their part.
first_kernel_ok() {
	check "crashctl build exits 0" step_rc build 0
	check "crashctl load exits 0" step_rc load 0
	check "crashctl status exits ${1:-0}" step_rc status "${1:-0}"
}

conf_common() {
	cat <<EOF
# tests/suites/e2e_capture.sh: scenario $name
EXTRA_MODULES="virtio_pci virtio_blk"
DEADLINE=240
EOF
}

# --- scenarios -------------------------------------------------------------

setup_local() {
	local d
	d=$(scenario_dir local)
	{
		conf_common
		echo "TARGETS=local"
		echo "LOCAL_DEVICE=LABEL=CRASHTGT"
		echo "LOCAL_FSTYPE=ext4"
		echo "LOCAL_PATH=/var/crash"
	} >"$d/crashkit.conf"
	echo test >"$d/flags"
	# The one 2-CPU guest: the crash stops a second CPU, whose notes the
	# dump must carry (the others run on one CPU, see capture-vm.sh --smp).
	start_vm local --smp 2
}

check_local() {
	local d
	vm_done local || {
		bad "capture-vm.sh ran"
		return
	}
	first_kernel_ok
	check "crashctl test exits 0" step_rc test 0
	check "VM rebooted after the capture" rebooted
	initrd_report
	full_checks "$out/target/var/crash"
	check "the crash came from crashctl test --crash --yes (its line is in dmesg.txt)" \
		test_crash_logged "$out/target/var/crash"
	check "the dump of the 2-CPU guest holds both CPUs (libkdumpfile)" \
		grep -q ', cpus 2,' "$out/pages.txt"
}

# test_crash_logged ROOT: the saved log's last lines hold the record
# `crashctl test --crash` writes to /dev/kmsg before sysrq-c.
test_crash_logged() {
	local d
	d=$(crash_dir "$1") || return 1
	tail -n 60 "$d/dmesg.txt" | grep -q 'crashkit: crashctl test --crash: crashing on purpose (sysrq-c)' && return 0
	echo "  no 'crashctl test --crash' record near the end of $d/dmesg.txt"
	return 1
}

# initrd_report: the generated initramfs is 0600; its size is reported.
initrd_report() {
	local ls_
	ls_=$(grep ' initrd-' "$out/first/varlib.ls" 2>/dev/null | head -n 1)
	case $ls_ in
	-rw-------*)
		ok "initramfs 0600 ($(stat -c %s "$out/first/initrd.img" 2>/dev/null) bytes)"
		;;
	*) bad "initramfs is 0600: ${ls_:-no /var/lib/crashkit/initrd-*}" ;;
	esac
}

setup_ssh() {
	local d
	d=$(scenario_dir ssh)
	cp "$(env_get SSH_KEY)" "$d/crashkit/e2e/id_ed25519"
	cp "$(env_get SSH_KNOWN_HOSTS)" "$d/crashkit/e2e/known_hosts"
	chmod 600 "$d/crashkit/e2e/id_ed25519" "$d/crashkit/e2e/known_hosts"
	rm -rf "$(env_get SSH_ROOT)/ssh"
	{
		conf_common
		echo "TARGETS=ssh"
		echo "SSH_TARGET=$(env_get SSH_USER)@10.0.2.2"
		echo "SSH_PORT=$(env_get SSH_PORT)"
		echo "SSH_PATH=$(env_get SSH_ROOT)/ssh"
		echo "SSH_KEY=/etc/crashkit/e2e/id_ed25519"
		echo "SSH_KNOWN_HOSTS=/etc/crashkit/e2e/known_hosts"
	} >"$d/crashkit.conf"
	start_vm ssh
}

check_ssh() {
	local d
	vm_done ssh || {
		bad "capture-vm.sh ran"
		return
	}
	first_kernel_ok
	check "VM rebooted after the capture" rebooted
	full_checks "$(env_get SSH_ROOT)/ssh"
}

setup_http() {
	local d
	d=$(scenario_dir http)
	{
		conf_common
		echo "TARGETS=http"
		echo "HTTP_URL=http://10.0.2.2:$(env_get HTTP_PORT)/http"
	} >"$d/crashkit.conf"
	start_vm http
}

check_http() {
	local d
	vm_done http || {
		bad "capture-vm.sh ran"
		return
	}
	first_kernel_ok
	check "VM rebooted after the capture" rebooted
	full_checks "$(env_get HTTP_ROOT)/http"
}

setup_ftp() {
	local d
	d=$(scenario_dir ftp)
	cp "$work/servers/ftp-password" "$d/crashkit/e2e/ftp-password"
	chmod 600 "$d/crashkit/e2e/ftp-password"
	{
		conf_common
		echo "TARGETS=ftp"
		echo "FTP_HOST=10.0.2.2"
		echo "FTP_PORT=$(env_get FTP_PORT)"
		echo "FTP_USER=$(env_get FTP_USER)"
		echo "FTP_PASSWORD_FILE=/etc/crashkit/e2e/ftp-password"
		echo "FTP_PATH=ftp"
	} >"$d/crashkit.conf"
	mkdir -p "$(env_get FTP_ROOT)/ftp"
	start_vm ftp
}

check_ftp() {
	local d
	vm_done ftp || {
		bad "capture-vm.sh ran"
		return
	}
	first_kernel_ok
	check "VM rebooted after the capture" rebooted
	full_checks "$(env_get FTP_ROOT)/ftp"
}

setup_nfs() {
	local d
	d=$(scenario_dir nfs)
	[ -n "$(env_get NFS_PORT)" ] || {
		bad "no NFS server"
		return
	}
	rm -rf "$(env_get NFS_ROOT)/nfs"
	mkdir -p "$(env_get NFS_ROOT)/nfs"
	{
		conf_common
		echo "TARGETS=nfs"
		echo "NFS_EXPORT=10.0.2.2:/crash"
		echo "NFS_OPTIONS=vers=4.1,proto=tcp,port=$(env_get NFS_PORT)"
		echo "NFS_PATH=/nfs"
	} >"$d/crashkit.conf"
	start_vm nfs
}

check_nfs() {
	local d
	vm_done nfs || {
		bad "capture-vm.sh ran"
		return
	}
	first_kernel_ok
	check "VM rebooted after the capture" rebooted
	full_checks "$(env_get NFS_ROOT)/nfs"
}

# saved_log_somewhere ROOT...: exactly one crash directory under the ROOTs
# holds dmesg.txt equal to the raw core's log; printed.
saved_log_somewhere() {
	local r d
	for r in "$@"; do
		d=$(crash_dir "$r" 2>/dev/null) || continue
		[ -f "$d/dmesg.txt" ] || continue
		log_is_core_log "$d/dmesg.txt" >&2 || return 1
		printf '%s\n' "$d"
		return 0
	done
	echo "  no dmesg.txt under $*" >&2
	return 1
}

setup_full() {
	local d
	d=$(scenario_dir full)
	{
		conf_common
		echo "TARGETS=local"
		echo "LOCAL_DEVICE=LABEL=CRASHTGT"
		echo "LOCAL_PATH=/"
		echo "FALLBACK_DEVICE=LABEL=CRASHFB"
		echo "FALLBACK_PATH=/var/crash"
	} >"$d/crashkit.conf"
	start_vm full --target-size 4M
}

check_full() {
	local d
	vm_done full || {
		bad "capture-vm.sh ran"
		return
	}
	check "crashctl build exits 0" step_rc build 0
	check "crashctl load exits 0" step_rc load 0
	check "VM rebooted after the capture" rebooted
	if d=$(saved_log_somewhere "$out/target" "$out/fallback/var/crash"); then
		ok "log saved (${d#"$out"/}) and equal to the raw core's"
		if [ -f "$d/manifest.json" ]; then
			check "manifest says the dump did not fit" manifest "$d" truncated,skipped,failed partial
		else
			bad "manifest.json beside the saved log"
		fi
	else
		bad "log saved on the full target or the fallback"
	fi
}

setup_unreachable() {
	local d port
	d=$(scenario_dir unreachable)
	port=$(servers_free_port)
	{
		conf_common
		echo "TARGETS=http"
		echo "HTTP_URL=http://10.0.2.2:$port/nobody"
		echo "HTTP_RETRIES=1"
		echo "FALLBACK_DEVICE=LABEL=CRASHFB"
		echo "FALLBACK_PATH=/var/crash"
	} >"$d/crashkit.conf"
	start_vm unreachable
}

check_unreachable() {
	local d port
	vm_done unreachable || {
		bad "capture-vm.sh ran"
		return
	}
	first_kernel_ok 3
	check "VM rebooted after the capture" rebooted
	if d=$(saved_log_somewhere "$out/fallback/var/crash"); then
		ok "log saved on the fallback and equal to the raw core's"
		check "fallback directory 0700, files 0600" modes_ok "$d"
	else
		bad "log saved on the fallback device"
	fi
}

# reset_in_time LIMIT: the VM was reset (reboot or watchdog) after the
# capture kernel started, and no later than LIMIT seconds after it started.
reset_in_time() {
	local o t
	o=$(result outcome)
	[ "$(result capture_booted)" = yes ] || {
		echo "  the capture kernel never booted"
		return 1
	}
	case $o in
	rebooted)
		t=$(result reboot_uptime)
		t=${t%.*}
		[ "${t:-9999}" -le "$1" ] && return 0
		printf '  rebooted %s s after the capture kernel started, limit %s s\n' "$t" "$1"
		return 1
		;;
	reset) return 0 ;; # the watchdog: QEMU's own timeout bounds it
	esac
	printf '  outcome %s\n' "$o"
	tail -n 8 "$out/console.log" | tr -d '\r' | sed 's/^/  | /'
	return 1
}

setup_deadline() {
	local d
	d=$(scenario_dir deadline)
	printf '#!/bin/sh\n# e2e: a hook that never ends\nsleep 600\n' >"$d/crashkit/pre.d/10-hang"
	chmod 755 "$d/crashkit/pre.d/10-hang"
	{
		echo "# tests/suites/e2e_capture.sh: scenario deadline"
		echo 'EXTRA_MODULES="virtio_pci virtio_blk"'
		echo "TARGETS=local"
		echo "LOCAL_DEVICE=LABEL=CRASHTGT"
		echo "DEADLINE=20s"
		echo "WATCHDOG=auto"
	} >"$d/crashkit.conf"
	start_vm deadline --watchdog
}

check_deadline() {
	local d
	vm_done deadline || {
		bad "capture-vm.sh ran"
		return
	}
	check "crashctl build exits 0" step_rc build 0
	check "crashctl load exits 0" step_rc load 0
	check "VM reset within DEADLINE + 60 s of the capture kernel's start" reset_in_time 80
	check "capture armed the i6300esb hardware watchdog" watchdog_seen
}

# watchdog_seen: the capture armed the hardware watchdog (its i6300esb
# module is in the initramfs; /init logs that it pets /dev/watchdog). The
# driver's own probe line is not on the console: /init sets printk to 4.
watchdog_seen() {
	awk '/Command line:.*elfcorehdr=/ { cap = 1 } cap && /watchdog: petting \/dev\/watchdog/ { found = 1 } END { exit !found }' \
		"$out/console.log" && return 0
	echo "  the capture never said it pets /dev/watchdog"
	return 1
}

# --- the placeholder self-test -------------------------------------------

# setup_self TARGET, check_self TARGET: the placeholder capture saved
# dmesg.txt to TARGET, and it is vmcore-dmesg's output on the raw core; the
# VM rebooted.
setup_self() {
	local t d
	t=$1
	name=harness-$t
	d=$(scenario_dir "$name")
	case $t in
	local) printf 'TARGETS=local\nLOCAL_DEVICE=LABEL=CRASHTGT\nLOCAL_PATH=/var/crash\n' ;;
	http) printf 'TARGETS=http\nHTTP_URL=http://10.0.2.2:%s/self\n' "$(env_get HTTP_PORT)" ;;
	ftp)
		cp "$work/servers/ftp-password" "$d/crashkit/ftp-password"
		printf 'TARGETS=ftp\nFTP_HOST=10.0.2.2\nFTP_PORT=%s\nFTP_USER=crash\n' "$(env_get FTP_PORT)"
		;;
	ssh)
		mkdir -p "$d/crashkit/ssh"
		cp "$(env_get SSH_KEY)" "$d/crashkit/ssh/key"
		cp "$(env_get SSH_KNOWN_HOSTS)" "$d/crashkit/ssh/known_hosts"
		printf 'TARGETS=ssh\nSSH_TARGET=%s@10.0.2.2\nSSH_PORT=%s\nSSH_PATH=%s/self\n' \
			"$(env_get SSH_USER)" "$(env_get SSH_PORT)" "$(env_get SSH_ROOT)"
		;;
	nfs)
		printf 'TARGETS=nfs\nNFS_EXPORT=10.0.2.2:/crash\nNFS_OPTIONS=vers=4.1,proto=tcp,port=%s\n' \
			"$(env_get NFS_PORT)"
		;;
	esac >"$d/crashkit.conf"
	printf 'HOSTNAME=%s\n' "$name" >>"$d/crashkit.conf"
	start_vm "$name" --placeholder
}

check_self() {
	local t f
	t=$1
	name=harness-$t
	vm_done "$name" || {
		bad "capture-vm.sh ran"
		return
	}
	check "VM rebooted after the placeholder capture" rebooted
	case $t in
	local) f=$out/target/var/crash/$name-placeholder/dmesg.txt ;;
	http) f=$(env_get HTTP_ROOT)/self/$name-placeholder/dmesg.txt ;;
	ftp) f=$(env_get FTP_ROOT)/$name-placeholder.dmesg.txt ;;
	ssh) f=$(env_get SSH_ROOT)/self/$name-placeholder/dmesg.txt ;;
	nfs) f=$(env_get NFS_ROOT)/$name-placeholder/dmesg.txt ;;
	esac
	check "the guest's upload arrived and is the raw core's log" log_is_core_log "$f"
}

if [ -n "$placeholder" ]; then
	[ "$placeholder" != missing ] || {
		name=setup
		bad "crashctl missing (initramfs/crashctl): the capture scenarios cannot run; harness self-test only"
	}
	selftest=${E2E_CAPTURE_SELFTEST:-local http ftp ssh nfs}
	for t in $selftest; do
		setup_self "$t"
	done
	wait_vms
	finish
fi

# The VMs $jobs at a time; each one's checks, in scenario order, as it ends.
for name in $scenarios; do
	case $name in
	local | ssh | http | ftp | nfs | full | unreachable | deadline) "setup_$name" ;;
	*) bad "unknown scenario $name" ;;
	esac
done
wait_vms
finish
