# shellcheck shell=sh
# ladder.sh - the degradation ladder: pick the dump level that fits the
# target's free space and the time left before the deadline, or none.
#
# Size estimate for a level, best first:
#   1. `crashcopy --estimate -d LEVEL CODEC VMCORE` (its "bytes_estimate":
#      the filter runs for real and one page in 64 is compressed);
#   2. otherwise the vmcore's size (the ELF PT_LOAD segments plus headers,
#      what stat says of /proc/vmcore) times a conservative ratio:
#      codec none or ELF output 1/1; level with bit 16 (free pages out) 1/2;
#      other levels 4/5. Real 6.1 cores at -d 31 -l come out near 1/14, so
#      these ratios overestimate on purpose.
# The need is the estimate plus 1/10 plus 1 MiB (headers, bitmaps, the rest
# of the directory). Time: the estimate divided by an assumed sustained
# write rate, CK_RATE bytes/s (CRASHKIT_RATE, default 4 MiB/s: a slow USB
# disk or a 100 Mbit/s link shared with retries; conservative on purpose),
# must leave 60 s before the deadline for the manifest and the final action.
# Sourced by crashcapture; needs util.sh, log.sh, manifest.sh. Functions only.
# shellcheck disable=SC3043 # `local` is in dash and busybox ash, our two shells.

# ladder_codec_flag CODEC: print crashcopy's flag for CODEC (none: nothing).
ladder_codec_flag() {
	case $1 in
	lzo) printf '%s\n' -l ;;
	zlib) printf '%s\n' -c ;;
	zstd) printf '%s\n' -z ;;
	*) ;;
	esac
}

# ladder_estimate VMCORE LEVEL CODEC FORMAT: print the estimated dump size in
# bytes, a blank and the method used.
ladder_estimate() {
	local vmcore="$1" level="$2" codec="$3" format="$4" flag out est size
	flag=$(ladder_codec_flag "$codec")
	if [ "$format" = kdump ] && crashcopy --help 2>&1 | grep -q -- --estimate; then
		out=$(crashcopy --estimate -d "$level" ${flag:+"$flag"} ${dump_xen_flag:+"$dump_xen_flag"} \
			-- "$vmcore" 2>/dev/null)
		est=${out#*\"bytes_estimate\":}
		est=${est%%[,\}]*}
		if [ "$est" != "$out" ] && ck_uint "$est"; then
			printf '%s crashcopy --estimate\n' "$est"
			return 0
		fi
	fi
	size=$(ck_size "$vmcore")
	if [ "$codec" = none ] || [ "$format" = elf ]; then
		est=$size
	elif [ $((level & 16)) -ne 0 ]; then
		est=$((size / 2))
	else
		est=$((size * 4 / 5))
	fi
	printf '%s vmcore size x ratio\n' "$est"
}

# ladder_choose VMCORE FREE LEFT: print the dump level to use (DUMP_LEVEL,
# else 31), or nothing when only the log fits. FREE is the target's free
# bytes (empty: unknown), LEFT the seconds before the deadline (empty:
# unknown). Each step down is recorded with mf_degraded and logged.
ladder_choose() {
	local vmcore="$1" free="$2" left="$3" rate="${CRASHKIT_RATE:-4194304}" level est need why levels method
	ck_uint "$rate" && [ "$rate" -gt 0 ] || rate=4194304
	levels=$DUMP_LEVEL
	[ "$DUMP_LEVEL" = 31 ] || levels="$levels 31"
	for level in $levels; do
		est=$(ladder_estimate "$vmcore" "$level" "$DUMP_CODEC" "$DUMP_FORMAT")
		method=${est#* }
		est=${est%% *}
		ck_uint "$est" || est=0
		need=$((est + est / 10 + 1048576))
		why=
		if ck_uint "$free" && [ "$need" -gt "$free" ]; then
			why="estimated $(ck_hsize "$est") > free $(ck_hsize "$free")"
		elif ck_uint "$left" && [ $((est / rate)) -gt $((left - 60)) ]; then
			why="estimated $(ck_hsize "$est") at $(ck_hsize "$rate")/s takes $((est / rate)) s > $((left - 60)) s left before the deadline"
		fi
		if [ -z "$why" ]; then
			log_info "dump level $level: estimated $(ck_hsize "$est") ($method), free $(if ck_uint "$free"; then ck_hsize "$free"; else echo unknown; fi), ${left:-unknown} s left"
			printf '%s\n' "$level"
			return 0
		fi
		if [ "$level" != 31 ]; then
			mf_degraded "dump level $level -> 31: $why"
			log_warn "dump level $level -> 31: $why"
		else
			mf_degraded "dump level 31 -> log only: $why"
			log_warn "dump level 31 -> log only: $why"
			return 0
		fi
	done
	return 0
}
