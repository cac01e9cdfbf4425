# shellcheck shell=sh
# watchdog.sh - the deadline timer and the hardware watchdog of /init.
#
# The deadline: a background shell sleeps DEADLINE seconds, then logs
# "deadline reached", syncs and forces the final action (reboot -f,
# poweroff -f or halt -f; `shell` is forced as a reboot: nobody is at the
# console of a capture that hangs). The hardware watchdog (WATCHDOG=auto and
# /dev/watchdog present): busybox `watchdog -F -T 60 -t 10` pets it, and is
# killed with SIGKILL (no magic close, so the watchdog stays armed) 60 s
# after the deadline: if even the forced reboot hangs, the hardware resets
# the machine at most 120 s after the deadline.
# Sourced by /init; needs log.sh. Defines functions only.
# shellcheck disable=SC3043 # `local` is in dash and busybox ash, our two shells.

WD_TIMER_PID=
WD_DOG_PID=

# wd_force ACTION: the forced final action (never returns).
wd_force() {
	case $1 in
	poweroff) poweroff -f ;;
	halt) halt -f ;;
	*) reboot -f ;;
	esac
	sleep 5
	echo b >/proc/sysrq-trigger 2>/dev/null
	while :; do sleep 60; done
}

# wd_start_deadline SECONDS ACTION: start the timer; its pid in WD_TIMER_PID.
wd_start_deadline() {
	(
		sleep "$1"
		log_error "deadline reached ($1 s): forcing $2"
		timeout 20 sync
		wd_force "$2"
	) &
	WD_TIMER_PID=$!
}

# wd_start_watchdog SECONDS: pet /dev/watchdog until SECONDS + 60.
wd_start_watchdog() {
	[ "$WATCHDOG" = auto ] || return 0
	[ -c /dev/watchdog ] || return 0
	log_info "watchdog: petting /dev/watchdog (60 s timeout) until $(($1 + 60)) s from now"
	timeout -s KILL "$(($1 + 60))" watchdog -F -T 60 -t 10 /dev/watchdog >/dev/null 2>&1 &
	WD_DOG_PID=$!
}

# wd_stop: stop the timer and the bounded petting (for FINAL_ACTION=shell:
# a person is at the console now); the watchdog is then petted for good.
wd_stop() {
	[ -z "$WD_TIMER_PID" ] || kill "$WD_TIMER_PID" 2>/dev/null
	if [ -n "$WD_DOG_PID" ]; then
		kill -9 "$WD_DOG_PID" 2>/dev/null
		watchdog -T 60 -t 10 /dev/watchdog >/dev/null 2>&1
	fi
	return 0
}
