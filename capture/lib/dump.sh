# shellcheck shell=sh
# dump.sh - run crashcopy for a target: to a file, or as a flattened stream
# into a command, measuring what went through.
#
# Reads the config (DUMP_CODEC, DUMP_FORMAT, DUMP_THREADS) and crashcapture's
# variables: CK_VMCORE, CK_WORK, CK_DEADLINE_AT (epoch seconds or empty) and
# dump_level (the level the ladder chose). Sourced by crashcapture; needs
# util.sh and ladder.sh. Defines functions only.
# shellcheck disable=SC3043 # `local` is in dash and busybox ash, our two shells.

# dump_time_left: print the seconds crashcopy may run: up to 30 s before the
# deadline (at least 10), or 86400 when there is no deadline.
dump_time_left() {
	local now
	if ck_uint "${CK_DEADLINE_AT:-}"; then
		now=$(ck_now)
		if [ $((CK_DEADLINE_AT - now - 30)) -gt 10 ]; then
			printf '%s\n' "$((CK_DEADLINE_AT - now - 30))"
		else
			printf '10\n'
		fi
	else
		printf '86400\n'
	fi
}

# dump_run ARG...: crashcopy with the configured level, codec, format and
# threads and --json, then ARG... (-F, --, the vmcore, the output), under a
# timeout that stops it before the deadline (crashcopy then finishes the
# dump marked incomplete and exits 6). Returns crashcopy's status.
dump_run() {
	local flag elf=''
	flag=$(ladder_codec_flag "$DUMP_CODEC")
	[ "$DUMP_FORMAT" = elf ] && { elf=-E; flag=; }
	# --num-threads always: crashcopy's own default is a worker per CPU,
	# and the capture follows DUMP_THREADS, not the CPUs it booted with.
	timeout "$(dump_time_left)" crashcopy -d "${dump_level:-31}" ${flag:+"$flag"} ${elf:+"$elf"} \
		"--num-threads=${DUMP_THREADS:-1}" ${dump_xen_flag:+"$dump_xen_flag"} --json "$@"
}

# dump_xen_check VMCORE: on a Xen machine dump, set dump_xen_flag=-X (keep
# only Xen's and dom0's frames) when crashcopy can walk Xen's frame table in
# VMCOREINFO_XEN; otherwise leave it empty and record that the whole machine
# is kept. A dry run (--estimate) tells, so a stream never has to restart.
dump_xen_check() {
	local why
	dump_xen_flag=
	crashcopy --help 2>&1 | grep -q -- '^ *-X' || {
		mf_degraded "Xen dump: this crashcopy has no -X, domU and free frames are kept"
		return 0
	}
	if why=$(timeout 300 crashcopy --estimate -X -d 0 -- "$1" 2>&1 >/dev/null); then
		dump_xen_flag=-X
	else
		why=$(printf '%s\n' "$why" | tail -n 1)
		mf_degraded "Xen dump: -X not possible (${why#crashcopy: }), domU and free frames are kept"
		log_error "Xen dump: crashcopy -X failed: $why"
	fi
}

# dump_format: print the manifest's format for a seekable dump (kdump, elf).
dump_format() {
	printf '%s\n' "$DUMP_FORMAT"
}

# dump_stream COMMAND ARG...: run `crashcopy -F` on CK_VMCORE into COMMAND
# ARG... (a function or program reading stdin). Sets dump_cc_rc (crashcopy's
# status), dump_sink_rc (COMMAND's), dump_stream_size and dump_stream_sha256
# (of the bytes crashcopy produced). crashcopy's stderr (its JSON summary
# and messages) goes to $CK_WORK/cc.err. Returns 0 when both succeeded.
dump_stream() {
	local f1="$CK_WORK/stream.sha" f2="$CK_WORK/stream.len" p1 p2
	rm -f -- "$f1" "$f2" "$CK_WORK/cc.rc" "$CK_WORK/stream.sum" "$CK_WORK/stream.count"
	if ! mkfifo -m 600 -- "$f1" "$f2"; then
		dump_cc_rc=5
		dump_sink_rc=5
		return 5
	fi
	sha256sum <"$f1" >"$CK_WORK/stream.sum" &
	p1=$!
	wc -c <"$f2" >"$CK_WORK/stream.count" &
	p2=$!
	{
		dump_run -F -- "$CK_VMCORE" 2>"$CK_WORK/cc.err"
		echo "$?" >"$CK_WORK/cc.rc"
	} | tee -- "$f1" "$f2" | "$@"
	dump_sink_rc=$?
	wait "$p1" "$p2"
	rm -f -- "$f1" "$f2"
	dump_cc_rc=$(cat "$CK_WORK/cc.rc" 2>/dev/null)
	ck_uint "$dump_cc_rc" || dump_cc_rc=5
	dump_stream_size=$(cat "$CK_WORK/stream.count" 2>/dev/null)
	dump_stream_size=${dump_stream_size##* }
	ck_uint "$dump_stream_size" || dump_stream_size=0
	dump_stream_sha256=$(cat "$CK_WORK/stream.sum" 2>/dev/null)
	dump_stream_sha256=${dump_stream_sha256%% *}
	[ "$dump_cc_rc" -eq 0 ] && [ "$dump_sink_rc" -eq 0 ]
}

# dump_status_of CC_RC SINK_RC: print the status save_dump returns: 5 when
# the transfer failed, else crashcopy's (0 ok, 6 incomplete, other: failed).
dump_status_of() {
	if [ "$2" -ne 0 ]; then
		printf '5\n'
	else
		printf '%s\n' "$1"
	fi
}
