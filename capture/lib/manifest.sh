# shellcheck shell=sh
# manifest.sh - collect what the capture did and write manifest.json
# (doc/capture.md section 5).
#
# The run's facts accumulate as one JSON value per line in files under
# MF_DIR (a directory in memory): targets, degraded, hooks, and the
# artifacts of the target being written. mf_write joins them.
# Sourced by crashcapture (busybox ash); needs json.sh. Defines functions and
# variables only.
# shellcheck disable=SC3043 # `local` is in dash and busybox ash, our two shells.
# shellcheck disable=SC2034 # the MF_ variables are set by crashcapture.

MF_DIR=
# Filled in by crashcapture before mf_write.
MF_VERSION=
MF_HOST=
MF_XEN=false
MF_KERNEL=
MF_CRASH_TIME=
MF_PANIC=
MF_STARTED=
MF_START_EPOCH=
MF_TARGET=
MF_TARGET_ROOT=
MF_STATUS=
MF_TOOLS={}

# mf_init DIR: start an empty record in DIR.
mf_init() {
	MF_DIR=$1
	: >"$MF_DIR/mf.targets"
	: >"$MF_DIR/mf.degraded"
	: >"$MF_DIR/mf.hooks"
	: >"$MF_DIR/mf.artifacts"
}

# mf_target NAME STATUS REASON: one entry of capture.targets (every target
# tried, in order: ok, failed, or ok-log-only...).
mf_target() {
	{
		printf '{ "name": %s, "status": %s' "$(json_str "$1")" "$(json_str "$2")"
		[ -z "$3" ] || printf ', "reason": %s' "$(json_str "$3")"
		printf ' }\n'
	} >>"$MF_DIR/mf.targets"
}

# mf_degraded TEXT: one entry of capture.degraded (why less was saved).
mf_degraded() {
	printf '%s\n' "$(json_str "$1")" >>"$MF_DIR/mf.degraded"
}

# mf_hook NAME STATUS: one entry of hooks (NAME like pre.d/10-foo; STATUS the
# exit status, 124/143 for a timeout).
mf_hook() {
	printf '{ "name": %s, "status": %s }\n' "$(json_str "$1")" "$(json_num "$2")" >>"$MF_DIR/mf.hooks"
}

# mf_artifacts_reset: forget the artifacts (a new target directory starts).
mf_artifacts_reset() {
	: >"$MF_DIR/mf.artifacts"
}

# mf_artifact NAME STATUS REASON SIZE SHA256 SECONDS [EXTRA]: one entry of
# artifacts. EXTRA is ready JSON members ("dump_level": 31, ...) or empty.
mf_artifact() {
	{
		printf '{ "name": %s, "status": %s' "$(json_str "$1")" "$(json_str "$2")"
		[ -z "$3" ] || printf ', "reason": %s' "$(json_str "$3")"
		printf ', "size": %s, "sha256": %s, "seconds": %s' \
			"$(json_num "$4")" "$(json_str_or_null "$5")" "$(json_num "$6")"
		[ -z "${7:-}" ] || printf ', %s' "$7"
		printf ' }\n'
	} >>"$MF_DIR/mf.artifacts"
}

# mf_list FILE INDENT: print the lines of FILE as JSON array elements.
mf_list() {
	local line first=1
	printf '['
	while IFS= read -r line; do
		if [ "$first" -eq 1 ]; then
			printf '\n%s%s' "$2" "$line"
			first=0
		else
			printf ',\n%s%s' "$2" "$line"
		fi
	done <"$1"
	[ "$first" -eq 1 ] || printf '\n%s' "${2%  }"
	printf ']'
}

# mf_write FILE: write the manifest to FILE (via FILE.tmp and rename, so a
# reader never sees half of it).
mf_write() {
	local out="$1" now finished
	now=$(ck_now)
	finished=$(ck_utc "$now")
	{
		printf '{\n'
		printf '  "format": 1, "tool": "crashkit", "version": %s,\n' "$(json_str "$MF_VERSION")"
		printf '  "host": %s, "xen": %s,\n' "$(json_str "$MF_HOST")" "$(json_bool "$MF_XEN")"
		printf '  "kernel_release": %s, "crash_time": %s,\n' \
			"$(json_str_or_null "$MF_KERNEL")" "$(json_str_or_null "$MF_CRASH_TIME")"
		printf '  "panic": %s,\n' "$(json_str_or_null "$MF_PANIC")"
		printf '  "capture": { "started": %s, "finished": %s, "seconds": %s,\n' \
			"$(json_str "$MF_STARTED")" "$(json_str "$finished")" "$(json_num "$((now - MF_START_EPOCH))")"
		printf '    "target": %s, "target_root": %s,\n' \
			"$(json_str_or_null "$MF_TARGET")" "$(json_str_or_null "$MF_TARGET_ROOT")"
		printf '    "status": %s,\n' "$(json_str "$MF_STATUS")"
		printf '    "targets": %s,\n' "$(mf_list "$MF_DIR/mf.targets" '      ')"
		printf '    "degraded": %s },\n' "$(mf_list "$MF_DIR/mf.degraded" '      ')"
		printf '  "artifacts": %s,\n' "$(mf_list "$MF_DIR/mf.artifacts" '    ')"
		printf '  "hooks": %s,\n' "$(mf_list "$MF_DIR/mf.hooks" '    ')"
		printf '  "tools": %s\n' "$MF_TOOLS"
		printf '}\n'
	} >"$out.tmp" && mv -f -- "$out.tmp" "$out"
}
