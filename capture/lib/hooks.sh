# shellcheck shell=sh
# hooks.sh - run the operator's pre.d / post.d scripts.
#
# Every executable regular file in DIR/PHASE.d runs, in lexical order (the
# shell's glob order; the capture kernel has the C locale), under `timeout`,
# with the outcome in its environment:
#   CRASHKIT_PHASE   pre or post
#   CRASHKIT_STATUS  pre: the log's status (ok, or failed); post: the
#                    capture's status (ok, partial, failed)
#   CRASHKIT_DIR     the crash directory as the target describes it
#                    (target_root/name; a local path on local/nfs targets)
#   CRASHKIT_TARGET  the target that holds the log (empty: none)
# A hook's exit status is recorded in the manifest; a failure is never fatal.
# Sourced by crashcapture; needs log.sh and manifest.sh. Defines functions only.
# shellcheck disable=SC3043 # `local` is in dash and busybox ash, our two shells.

# hooks_run DIR PHASE STATUS CRASHDIR TARGET: run DIR/PHASE.d/*; always 0.
hooks_run() {
	local dir="$1/$2.d" f rc limit="${CRASHKIT_HOOK_TIMEOUT:-120}"
	[ -d "$dir" ] || return 0
	for f in "$dir"/*; do
		[ -f "$f" ] || continue
		if [ ! -x "$f" ]; then
			log_warn "hook $2.d/${f##*/} is not executable: skipped"
			mf_hook "$2.d/${f##*/}" 126
			continue
		fi
		log_info "hook $2.d/${f##*/}"
		CRASHKIT_PHASE=$2 CRASHKIT_STATUS=$3 CRASHKIT_DIR=$4 CRASHKIT_TARGET=$5 \
			timeout "$limit" "$f" </dev/null >"${MF_DIR:-/tmp}/hook.out" 2>&1
		rc=$?
		log_file "${MF_DIR:-/tmp}/hook.out" "  ${f##*/}: "
		if [ "$rc" -ne 0 ]; then
			log_warn "hook $2.d/${f##*/} failed (exit $rc)"
		fi
		mf_hook "$2.d/${f##*/}" "$rc"
	done
	return 0
}
