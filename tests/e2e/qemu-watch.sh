# qemu-watch.sh: sourced by the QEMU harnesses (capture-vm.sh, crash-kernel.sh,
# xen-crash.sh): run a guest whose first kernel must reach its crash within
# a deadline.
#
# Why: under TCG on a loaded two-core host a guest now and then stalls while
# booting (CI saw an RCU stall at 85 s of uptime, then silence until the
# 600 s limit), before any crashkit code ran. Waiting the whole limit and
# failing says nothing about crashkit; stopping early and booting once more
# does, and costs a few minutes at most. A guest that gets to its crash is
# never stopped early, so a capture-side hang still runs into the limit and
# fails as it should.

# qemu_watch_marker: what every first kernel prints when its part is done
# (it crashes next), or when it gave up.
qemu_watch_marker='crashkit-e2e: (crashing|FAIL)'

# qemu_watched DEADLINE CONSOLE COMMAND...: run COMMAND (QEMU under timeout)
# in the background, its output to CONSOLE. Its exit status, or 125 when
# the guest was still running DEADLINE seconds after the start without
# printing qemu_watch_marker (COMMAND is then stopped).
qemu_watched() {
	local deadline console pid start rc
	deadline=$1
	console=$2
	shift 2
	"$@" </dev/null >"$console" 2>&1 &
	pid=$!
	start=$(date +%s)
	while kill -0 "$pid" 2>/dev/null; do
		if grep -aqE "$qemu_watch_marker" "$console" 2>/dev/null; then
			break
		fi
		if [ $(($(date +%s) - start)) -ge "$deadline" ]; then
			# timeout(1) passes TERM on to QEMU, which exits at once.
			kill "$pid" 2>/dev/null
			wait "$pid" 2>/dev/null
			return 125
		fi
		sleep 2
	done
	rc=0
	wait "$pid" || rc=$?
	return "$rc"
}

# qemu_stall_note LABEL DEADLINE CONSOLE: say on stderr that a guest stalled
# and show where, before the caller boots it once more.
qemu_stall_note() {
	printf '%s: the guest did not reach its crash within %ss (stalled under TCG?); booting it once more. Its last console lines:\n' \
		"$1" "$2" >&2
	tail -n 8 "$3" | tr -d '\r' | sed 's/^/  | /' >&2
}

# qemu_boot LABEL DEADLINE CONSOLE PREPARE COMMAND...: the harnesses' boot:
# PREPARE (a function making fresh guest disks), then COMMAND under
# qemu_watched; once more, on fresh disks, if the first kernel stalled (its
# console kept as CONSOLE.stalled). Sets qemu_rc (COMMAND's status, 125 if
# both boots stalled), qemu_seconds (the last boot's) and qemu_boots.
# shellcheck disable=SC2034 # qemu_* are read by the harness that sources this
qemu_boot() {
	local label deadline console prepare start
	label=$1
	deadline=$2
	console=$3
	prepare=$4
	shift 4
	qemu_boots=0
	while :; do
		qemu_boots=$((qemu_boots + 1))
		"$prepare"
		start=$(date +%s)
		qemu_rc=0
		qemu_watched "$deadline" "$console" "$@" || qemu_rc=$?
		qemu_seconds=$(($(date +%s) - start))
		if [ "$qemu_rc" != 125 ] || [ "$qemu_boots" -ge 2 ]; then
			return 0
		fi
		qemu_stall_note "$label" "$deadline" "$console"
		cp "$console" "$console.stalled"
	done
}
