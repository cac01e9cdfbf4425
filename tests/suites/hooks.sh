#!/bin/sh
# hooks/: the distro integration, tested against the real tools.
#   - shellcheck of every hooks/ script (most have no .sh suffix);
#   - make install-hooks; systemd-analyze verify of the installed units,
#     with and without the generator's drop-in, and a broken twin that must
#     be reported;
#   - crashkit-generator: which drop-in for which TARGETS;
#   - the sysvinit script against a fake crashctl that records its calls
#     and answers chosen exit codes: LSB codes for every action;
#   - distro-capture (the capture-kernel runner) with a fake crashcapture,
#     in its own PID namespace, the final action recorded, never run:
#     normal boot, each crashcapture status, FINAL/FAILURE_ACTION, DEADLINE;
#   - initramfs-tools: a real mkinitramfs of Debian's 6.1 kernel (modules
#     tree from tests/e2e/fetch-kernel.sh) with our hook, checked with
#     lsinitramfs (files, modes, module, boot script order);
#   - dracut: a real dracut build of the same kernel with --add crashkit,
#     checked with lsinitrd.
# The kernel's modules tree and config are shown to mkinitramfs at
# /lib/modules/VER and /boot/config-VER inside a private mount namespace
# (an overlay on /usr/lib, a tmpfs on /boot): the host's /boot and
# /lib/modules are never touched.  About 30 s on 2 cores.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
PATH=$PATH:/usr/sbin:/sbin
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0

pass() { passed=$((passed + 1)); }
fail() {
	failed=$((failed + 1))
	echo "FAIL: $*"
}
note() { echo "hooks: $*"; }
t0=$(date +%s)
# section NAME: say how long the suite has run when NAME starts.
section() { note "$(($(date +%s) - t0)) s: $1"; }

# check DESCRIPTION COMMAND...: pass when COMMAND succeeds.
check() {
	local what
	what=$1
	shift
	if "$@" >"$tmp/check.out" 2>&1; then
		pass
	else
		fail "$what: $(head -c 400 "$tmp/check.out")"
	fi
}

# expect_rc WANT DESCRIPTION COMMAND...: run, compare the exit code.
expect_rc() {
	local want what rc
	want=$1
	what=$2
	shift 2
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" -eq "$want" ]; then
		pass
	else
		fail "$what: exit $rc, want $want; out: $(head -c 300 "$tmp/out") err: $(head -c 300 "$tmp/err")"
	fi
}

# expect_file_text FILE TEXT DESCRIPTION: FILE's whole content is TEXT.
expect_file_text() {
	local got
	got=$(cat "$1" 2>/dev/null) || got="<no file>"
	if [ "$got" = "$2" ]; then
		pass
	else
		fail "$3: got '$(printf '%s' "$got" | tr '\n' '|')', want '$(printf '%s' "$2" | tr '\n' '|')'"
	fi
}

# expect_file_text_of DESCRIPTION TEXT COMMAND...: COMMAND prints TEXT.
expect_file_text_of() {
	local what want
	what=$1
	want=$2
	shift 2
	"$@" >"$tmp/of.out" 2>&1
	expect_file_text "$tmp/of.out" "$want" "$what"
}

# in_list PATTERN LIST DESCRIPTION: an extended regexp matches a line of LIST.
in_list() {
	if grep -Eq -- "$1" "$2"; then pass; else fail "$3: no line matching '$1' in $2"; fi
}

# ---- shellcheck: every script under hooks/ (the shellcheck suite only
# takes *.sh files).
for f in $(git ls-files hooks); do
	case $(head -n 1 "$f") in
	'#!/bin/sh' | '# shellcheck shell=sh') ;;
	*) continue ;;
	esac
	check "shellcheck $f" shellcheck -x -s sh "$f"
done

section "install-hooks"
# ---- make install-hooks, every path under $tmp; PREFIX=$tmp/usr makes
# the paths inside the units absolute and real (systemd-analyze checks that
# ExecStart= programs exist).
inst=$tmp/inst
if make -s install-hooks PREFIX="$inst/usr" SYSTEMDUNITDIR="$inst/units" \
	SYSTEMDGENERATORDIR="$inst/gen" INITDDIR="$inst/initd" \
	INITRAMFSTOOLSDIR="$inst/it" DRACUTMODULESDIR="$inst/dracut" >"$tmp/inst.log" 2>&1; then
	pass
else
	fail "make install-hooks: $(tail -n 3 "$tmp/inst.log")"
fi
check "installed unit has PREFIX paths" grep -qx "ExecStart=$inst/usr/sbin/crashctl load" "$inst/units/crashkit.service"
if grep -rq '@[A-Z]*DIR@' "$inst"; then
	fail "placeholders left after install: $(grep -rl '@[A-Z]*DIR@' "$inst" | head -n 3)"
else
	pass
fi

# A fake crashctl: logs "VERB ARGS" to $FAKE_LOG, exits $FAKE_RC_<VERB>.
fake=$tmp/fakebin
mkdir -p "$fake" "$inst/usr/sbin"
cat >"$fake/crashctl" <<'EOF'
#!/bin/sh
printf '%s\n' "$*" >>"$FAKE_LOG"
eval "rc=\${FAKE_RC_$1:-0}"
echo "fake crashctl $1: exit $rc"
exit "$rc"
EOF
chmod 0755 "$fake/crashctl"
cp "$fake/crashctl" "$inst/usr/sbin/crashctl"

section "systemd"
# ---- systemd units.
units="$inst/units/crashkit.service $inst/units/crashkit-reload.path $inst/units/crashkit-reload.service"
if command -v systemd-analyze >/dev/null 2>&1; then
	# verify exits 0 on many warnings (unknown keys): clean means no output.
	# shellcheck disable=SC2086 # the unit list splits into words
	systemd-analyze verify --man=no $units >"$tmp/verify.out" 2>&1
	rc=$?
	if [ "$rc" -eq 0 ] && [ ! -s "$tmp/verify.out" ]; then
		pass
	else
		fail "systemd-analyze verify: exit $rc: $(head -c 600 "$tmp/verify.out")"
	fi
	# The check can fail: a misspelt key and a missing program are reported.
	mkdir -p "$tmp/broken"
	sed -e 's/^RemainAfterExit=/RemainAfterExitt=/' -e "s|$inst/usr/sbin/crashctl load|/nonexistent/crashctl load|" \
		"$inst/units/crashkit.service" >"$tmp/broken/crashkit.service"
	systemd-analyze verify --man=no "$tmp/broken/crashkit.service" >"$tmp/verify.out" 2>&1
	if grep -q RemainAfterExitt "$tmp/verify.out" && grep -q /nonexistent "$tmp/verify.out"; then
		pass
	else
		fail "systemd-analyze verify missed a broken unit: $(head -c 300 "$tmp/verify.out")"
	fi
else
	fail "systemd-analyze not installed (apt-get install systemd)"
fi

# ---- crashkit-generator.
gen=$inst/gen/crashkit-generator
# run_generator TARGETS: run it on a config with these TARGETS into $tmp/g.
run_generator() {
	rm -rf "$tmp/g"
	mkdir -p "$tmp/g"
	printf '# test\nTARGETS="%s"\n' "$1" >"$tmp/gen.conf"
	CRASHKIT_CONF=$tmp/gen.conf sh "$gen" "$tmp/g" "$tmp/g" "$tmp/g"
}
dropin=$tmp/g/crashkit.service.d/50-generated.conf
expect_rc 0 "generator, local only" run_generator local
check "generator: local only writes nothing" test ! -e "$dropin"
expect_rc 0 "generator, ssh,local" run_generator ssh,local
in_list '^Wants=network-online.target$' "$dropin" "generator: ssh wants network-online"
in_list '^After=network-online.target$' "$dropin" "generator: ssh after network-online"
if grep -q savecore "$dropin"; then fail "generator: savecore without raw"; else pass; fi
expect_rc 0 "generator, raw nfs" run_generator "raw nfs"
in_list "^ExecStartPre=-$inst/usr/sbin/crashctl savecore\$" "$dropin" "generator: raw runs savecore first"
# The unit with the drop-in still verifies.
if command -v systemd-analyze >/dev/null 2>&1; then
	mkdir -p "$tmp/withdrop"
	cp "$inst/units/crashkit.service" "$tmp/withdrop/"
	cp -r "$tmp/g/crashkit.service.d" "$tmp/withdrop/"
	SYSTEMD_UNIT_PATH="$tmp/withdrop:" systemd-analyze verify --man=no "$tmp/withdrop/crashkit.service" >"$tmp/verify.out" 2>&1
	rc=$?
	if [ "$rc" -eq 0 ] && [ ! -s "$tmp/verify.out" ]; then pass; else fail "verify with drop-in: exit $rc: $(head -c 300 "$tmp/verify.out")"; fi
fi
expect_rc 0 "generator without a config" env CRASHKIT_CONF="$tmp/none.conf" sh "$gen" "$tmp/g"

section "sysv"
# ---- sysvinit script with the fake crashctl.
initd=$inst/initd/crashkit
in_list '^### BEGIN INIT INFO$' "$initd" "LSB header"
in_list '^# Default-Stop: +0 1 6$' "$initd" "LSB Default-Stop"
# sysv ACTION: run the script with the fake crashctl first in PATH.
sysv() {
	rm -f "$tmp/calls"
	env PATH="$fake:$PATH" FAKE_LOG="$tmp/calls" CRASHKIT_CONF="$tmp/sysv.conf" "$@"
}
printf 'TARGETS=local\n' >"$tmp/sysv.conf"
expect_rc 0 "sysv start" sysv sh "$initd" start
expect_file_text "$tmp/calls" "load" "sysv start calls"
expect_rc 1 "sysv start, load fails" sysv FAKE_RC_load=1 sh "$initd" start
expect_rc 0 "sysv stop" sysv sh "$initd" stop
expect_file_text "$tmp/calls" "unload" "sysv stop calls"
expect_rc 1 "sysv stop, unload fails" sysv FAKE_RC_unload=1 sh "$initd" stop
expect_rc 0 "sysv status armed" sysv FAKE_RC_status=0 sh "$initd" status
expect_file_text "$tmp/calls" "status" "sysv status calls"
expect_rc 3 "sysv status not armed" sysv FAKE_RC_status=3 sh "$initd" status
expect_rc 4 "sysv status, crashctl error" sysv FAKE_RC_status=1 sh "$initd" status
expect_rc 0 "sysv restart" sysv sh "$initd" restart
expect_file_text "$tmp/calls" "load" "sysv restart reloads in place"
expect_rc 0 "sysv try-restart, not armed" sysv FAKE_RC_status=3 sh "$initd" try-restart
expect_file_text "$tmp/calls" "status" "sysv try-restart, not armed: no load"
expect_rc 0 "sysv try-restart, armed" sysv sh "$initd" try-restart
expect_file_text "$tmp/calls" "status
load" "sysv try-restart, armed: load"
expect_rc 3 "sysv unknown action" sysv sh "$initd" frobnicate
expect_rc 2 "sysv no action" sysv sh "$initd"
printf 'TARGETS="raw local"\n' >"$tmp/sysv.conf"
expect_rc 0 "sysv start, raw, savecore fails" sysv FAKE_RC_savecore=1 CRASHKIT_DESTDIR= sh "$initd" start
expect_file_text "$tmp/calls" "savecore
load" "sysv start with raw: savecore then load"
# Without crashctl anywhere: 5 for start, 4 for status, stop succeeds.
rm "$inst/usr/sbin/crashctl"
mkdir -p "$tmp/emptybin"
for tool in sh cat; do ln -s "$(command -v "$tool")" "$tmp/emptybin/$tool"; done
expect_rc 5 "sysv start, no crashctl" env PATH="$tmp/emptybin" "$tmp/emptybin/sh" "$initd" start
expect_rc 4 "sysv status, no crashctl" env PATH="$tmp/emptybin" "$tmp/emptybin/sh" "$initd" status
expect_rc 0 "sysv stop, no crashctl" env PATH="$tmp/emptybin" "$tmp/emptybin/sh" "$initd" stop
# The init script's own PATH ends in @SBINDIR@: it finds the installed
# crashctl without help.
cp "$fake/crashctl" "$inst/usr/sbin/crashctl"
expect_rc 3 "sysv status, installed crashctl" env PATH="$tmp/emptybin" FAKE_LOG="$tmp/calls" FAKE_RC_status=3 \
	"$tmp/emptybin/sh" "$initd" status

# With the real crashctl (initramfs/crashctl from this tree): this host has
# no crashkernel reservation and the target does not exist, so status is
# "not operational" (3); a config crashctl rejects is "unknown" (4).
mkdir -p "$tmp/realbin"
printf '#!/bin/sh\nexec sh %s/initramfs/crashctl "$@"\n' "$top" >"$tmp/realbin/crashctl"
chmod 0755 "$tmp/realbin/crashctl"
printf 'TARGETS=local\nLOCAL_DEVICE=/dev/crashkit-test-nonexistent\n' >"$tmp/real.conf"
expect_rc 3 "sysv status, real crashctl, not armed" env PATH="$tmp/realbin:$PATH" \
	CRASHKIT_CONF="$tmp/real.conf" sh "$initd" status
in_list 'NOT operational' "$tmp/out" "sysv status shows crashctl's verdict"
printf 'TARGETS=local\nNO_SUCH_KEY=1\n' >"$tmp/bad.conf"
expect_rc 4 "sysv status, real crashctl, bad config" env PATH="$tmp/realbin:$PATH" \
	CRASHKIT_CONF="$tmp/bad.conf" sh "$initd" status

section "runner"
# ---- distro-capture with a fake crashcapture, in a PID namespace (a stray
# reboot could only end the namespace) and with CRASHKIT_FINAL_LOG set, so
# the final action is recorded, never carried out.
runner=$inst/usr/lib/crashkit/hooks/distro-capture
bb=$(command -v busybox) || bb=
cat >"$tmp/crashcapture" <<'EOF'
#!/bin/sh
echo ran >>"$FAKE_LOG"
[ -z "${FAKE_SLEEP:-}" ] || sleep "$FAKE_SLEEP"
exit "${FAKE_RC:-0}"
EOF
: >"$tmp/vmcore"
# capture CONF-LINES ENV...: run the runner under busybox sh; the final
# action lands in $tmp/final, crashcapture's runs in $tmp/calls.
capture() {
	local lines
	lines=$1
	shift
	printf '%s\n' "$lines" >"$tmp/cap.conf"
	rm -f "$tmp/final" "$tmp/calls"
	# Defaults first: env lets the caller's later assignments win.
	set -- env FAKE_LOG="$tmp/calls" CRASHKIT_FINAL_LOG="$tmp/final" CRASHKIT_CONF="$tmp/cap.conf" \
		CRASHKIT_CAPTURE="$tmp/crashcapture" CRASHKIT_HOOKLIB="$inst/usr/lib/crashkit/hooks" \
		"$@" "$bb" sh "$runner" initramfs-tools ''
	if unshare --pid --fork true 2>/dev/null; then
		set -- unshare --pid --fork --kill-child "$@"
	fi
	"$@"
}
if [ -z "$bb" ]; then
	fail "busybox not installed (apt-get install busybox-static)"
else
	expect_rc 0 "runner, normal boot" capture 'TARGETS=local' CRASHKIT_VMCORE="$tmp/no-vmcore"
	check "runner, normal boot: no capture, no action" test ! -e "$tmp/calls" -a ! -e "$tmp/final"
	expect_rc 0 "runner, capture ok" capture 'TARGETS=local' CRASHKIT_VMCORE="$tmp/vmcore"
	expect_file_text "$tmp/calls" "ran" "runner ran crashcapture once"
	expect_file_text "$tmp/final" "reboot" "runner: default FINAL_ACTION"
	expect_rc 0 "runner, capture 6" capture 'FINAL_ACTION=poweroff
FAILURE_ACTION=halt' CRASHKIT_VMCORE="$tmp/vmcore" FAKE_RC=6
	expect_file_text "$tmp/final" "poweroff" "runner: log saved (6) takes FINAL_ACTION"
	expect_rc 0 "runner, capture 1" capture "FINAL_ACTION=poweroff
FAILURE_ACTION='halt'" CRASHKIT_VMCORE="$tmp/vmcore" FAKE_RC=1
	expect_file_text "$tmp/final" "halt" "runner: log lost (1) takes FAILURE_ACTION"
	expect_rc 0 "runner, no crashcapture" capture 'FAILURE_ACTION=poweroff' CRASHKIT_VMCORE="$tmp/vmcore" \
		CRASHKIT_CAPTURE="$tmp/missing"
	expect_file_text "$tmp/final" "poweroff" "runner: missing crashcapture takes FAILURE_ACTION"
	expect_rc 0 "runner, deadline" capture 'DEADLINE=1s
FINAL_ACTION=halt' CRASHKIT_VMCORE="$tmp/vmcore" FAKE_SLEEP=3
	expect_file_text "$tmp/final" "halt
halt" "runner: DEADLINE forces the action before the capture ends"
	expect_rc 0 "runner, shell action under deadline" capture 'DEADLINE=1
FINAL_ACTION=shell' CRASHKIT_VMCORE="$tmp/vmcore" FAKE_SLEEP=3
	expect_file_text "$tmp/final" "reboot
shell" "runner: the deadline reboots when FINAL_ACTION is shell"
fi

section "initramfs-tools"
# ---- initramfs-tools: a real mkinitramfs with our hook.
kdir=$top/.cache/kernels/bookworm
if ! sh tests/e2e/fetch-kernel.sh bookworm "$kdir" >"$tmp/fetch.log" 2>&1; then
	fail "fetch-kernel.sh bookworm: $(tail -n 2 "$tmp/fetch.log")"
fi
kver=$(cat "$kdir/version" 2>/dev/null) || kver=

# A staged `make install` of crashkit: what the hook copies from.
stage=$tmp/stage
if make -s install DESTDIR="$stage" PREFIX=/usr INITRAMFSTOOLSDIR=/it DRACUTMODULESDIR=/dracut \
	>"$tmp/install.log" 2>&1; then
	pass
else
	fail "make install DESTDIR: $(tail -n 3 "$tmp/install.log")"
fi
crashkit_lib=$stage/usr/lib/crashkit
# make install does not install capture/ yet: stage it as doc/capture.md
# section 1 does.
if [ ! -f "$crashkit_lib/crashcapture" ]; then
	note "make install does not install capture/ yet: staged from the tree (doc/capture.md 1)"
	mkdir -p "$crashkit_lib/lib" "$crashkit_lib/targets"
	cp capture/crashcapture "$crashkit_lib/crashcapture"
	for f in capture/lib/*.sh capture/targets/*.sh; do
		cp "$f" "$crashkit_lib/${f#capture/}"
	done
fi
# The site's configuration: an ssh target (key, pinned host), local
# fallback, one pre.d hook.
etc=$tmp/etc
mkdir -p "$etc/crashkit/pre.d" "$etc/crashkit/post.d"
printf 'fake private key\n' >"$etc/crashkit/id_ed25519"
chmod 0600 "$etc/crashkit/id_ed25519"
printf '[10.0.2.2]:22 ssh-ed25519 AAAAfake\n' >"$etc/crashkit/known_hosts"
cat >"$etc/crashkit.conf" <<EOF
TARGETS=ssh,local
SSH_TARGET=crash@10.0.2.2
SSH_KEY=$etc/crashkit/id_ed25519
SSH_KNOWN_HOSTS=$etc/crashkit/known_hosts
LOCAL_DEVICE=LABEL=crash
EXTRA_MODULES=virtio_blk
EOF
cp hooks/examples/pre.d/10-console-banner "$etc/crashkit/pre.d/"
printf 'not executable: skipped\n' >"$etc/crashkit/post.d/README"

itconf=$stage/it
sed -e 's/^MODULES=.*/MODULES=list/' -e 's/^COMPRESS=.*/COMPRESS=zstd/' \
	/etc/initramfs-tools/initramfs.conf >"$itconf/initramfs.conf" 2>/dev/null ||
	printf 'MODULES=list\nBUSYBOX=auto\nCOMPRESS=zstd\n' >"$itconf/initramfs.conf"
printf 'UMASK=0077\n' >>"$itconf/initramfs.conf"

it_img=$tmp/initrd-it.img
if ! command -v mkinitramfs >/dev/null 2>&1; then
	fail "mkinitramfs not installed (apt-get install initramfs-tools-core)"
elif [ -z "$kver" ]; then
	fail "no Debian 6.1 kernel in $kdir"
elif sh tests/e2e/distro-mkinitramfs.sh "$kdir" "$itconf" "$it_img" CRASHKIT_DESTDIR="$stage" \
	CRASHKIT_CONF="$etc/crashkit.conf" CRASHKIT_HOOKS="$etc/crashkit" >"$tmp/mkinitramfs.log" 2>&1; then
	pass
	lsinitramfs -l "$it_img" >"$tmp/it.list" 2>&1 || fail "lsinitramfs $it_img"
	for path in usr/bin/crashdmesg usr/bin/crashcopy usr/lib/crashkit/crashcapture \
		usr/lib/crashkit/lib/conf.sh usr/lib/crashkit/targets/local.sh \
		usr/lib/crashkit/hooks/distro-capture usr/lib/crashkit/hooks/conf-get.sh \
		usr/lib/crashkit/bin/busybox etc/crashkit.conf etc/crashkit/pre.d/10-console-banner \
		etc/crashkit/ssh/known_hosts usr/bin/ssh scripts/init-bottom/crashkit; do
		in_list " $path\$" "$tmp/it.list" "initramfs-tools image has $path"
	done
	in_list '^-rw------- .* etc/crashkit/ssh/key$' "$tmp/it.list" "initramfs-tools image: ssh key 0600"
	in_list '^l.* usr/lib/crashkit/bin/ftpput -> busybox$' "$tmp/it.list" "initramfs-tools image: busybox applet links"
	in_list "lib/modules/$kver/kernel/fs/ext4/ext4.ko" "$tmp/it.list" "initramfs-tools image: ext4 module for the local target"
	in_list "lib/modules/$kver/.*/virtio_blk.ko" "$tmp/it.list" "initramfs-tools image: EXTRA_MODULES"
	if grep -q 'etc/crashkit/post.d/README' "$tmp/it.list"; then fail "non-executable post.d file copied"; else pass; fi
	if grep -q 'W: crashkit: .*UMASK' "$tmp/mkinitramfs.log"; then
		fail "UMASK warning although UMASK=0077"
	else
		pass
	fi
	# The boot script is in init-bottom's run order.
	mkdir -p "$tmp/it.x"
	if unmkinitramfs "$it_img" "$tmp/it.x" >/dev/null 2>&1; then
		# ...before udev's, which moves /dev into the root file system.
		order=$(grep -o '/scripts/init-bottom/[a-z]*' "$tmp/it.x/scripts/init-bottom/ORDER" | tr '\n' ' ')
		case $order in
		*/crashkit*/udev*) pass ;;
		*) fail "init-bottom ORDER: crashkit must run before udev: $order" ;;
		esac
	else
		fail "unmkinitramfs $it_img"
	fi
else
	fail "mkinitramfs: $(grep -v '^I:' "$tmp/mkinitramfs.log" | tail -n 5)"
fi

# Without /etc/crashkit.conf the hook adds nothing and succeeds (a normal
# update-initramfs on a host that does not use crashkit): run as mkinitramfs
# runs it, with DESTDIR and verbose set.
mkdir -p "$tmp/plain"
expect_rc 0 "hook without crashkit.conf" env DESTDIR="$tmp/plain" verbose=n CRASHKIT_DESTDIR="$stage" \
	CRASHKIT_CONF="$tmp/none.conf" sh "$itconf/hooks/crashkit"
check "hook without crashkit.conf adds nothing" test -z "$(ls -A "$tmp/plain")"
expect_file_text_of "hook prereqs" "" sh "$itconf/hooks/crashkit" prereqs
# Under the default umask (a 0644 image) the key stays out, with a warning;
# an ssh-only config, so the hook needs no kernel modules run alone.
mkdir -p "$tmp/public"
grep -v -e '^TARGETS=' -e '^EXTRA_MODULES=' "$etc/crashkit.conf" >"$tmp/ssh-only.conf"
printf 'TARGETS=ssh\n' >>"$tmp/ssh-only.conf"
expect_rc 0 "hook, umask 022" sh -c 'umask 022; exec "$@"' sh env DESTDIR="$tmp/public" verbose=n \
	CRASHKIT_DESTDIR="$stage" CRASHKIT_CONF="$tmp/ssh-only.conf" sh "$itconf/hooks/crashkit"
check "umask 022: no key in the image" test ! -e "$tmp/public/etc/crashkit/ssh/key"
check "umask 022: known_hosts left out too" test ! -e "$tmp/public/etc/crashkit/ssh/known_hosts"
check "umask 022: the rest is there" test -f "$tmp/public/usr/lib/crashkit/hooks/distro-capture"
in_list "left out $etc/crashkit/id_ed25519 .*UMASK=0077" "$tmp/err" "umask 022: warning names the key and UMASK"

# make install alone leaves the hook inactive (share/crashkit only).
if make -s install-hooks DESTDIR="$tmp/default" PREFIX=/usr >"$tmp/inst2.log" 2>&1 &&
	[ -x "$tmp/default/usr/share/crashkit/initramfs-tools/hooks/crashkit" ] &&
	[ ! -e "$tmp/default/etc/initramfs-tools" ]; then
	pass
else
	fail "default install-hooks: hook not inactive: $(find "$tmp/default" -path '*initramfs-tools*' | head -n 3)"
fi

section "dracut"
# ---- dracut: a real build with --add crashkit, from a copy of dracut's
# module tree with ours added (dracutbasedir), against the same kernel.
if ! command -v dracut >/dev/null 2>&1; then
	fail "dracut not installed (apt-get install dracut-core)"
elif [ -n "$kver" ]; then
	# shellcheck disable=SC2016 # expanded by the inner shell
	depends_sh='. "$1"; depends'
	# depends() asks for dracut's network module for a network target...
	printf 'TARGETS=local,ssh\n' >"$tmp/dep.conf"
	expect_file_text_of "dracut depends, ssh target" "base network" \
		env CRASHKIT_CONF="$tmp/dep.conf" CRASHKIT_DESTDIR="$stage" \
		sh -c "$depends_sh" sh "$stage/dracut/99crashkit/module-setup.sh"
	printf 'TARGETS=local\n' >"$tmp/dep.conf"
	expect_file_text_of "dracut depends, local target" "base" \
		env CRASHKIT_CONF="$tmp/dep.conf" CRASHKIT_DESTDIR="$stage" \
		sh -c "$depends_sh" sh "$stage/dracut/99crashkit/module-setup.sh"
	# ...which pulls every NIC driver and dhclient (about 90 s here), so
	# the image is built for a local target; the ssh payload is the same
	# payload_list the initramfs-tools image was checked with above.
	sed -e 's/^TARGETS=.*/TARGETS=local/' "$etc/crashkit.conf" >"$etc/crashkit-local.conf"
	cp -a /usr/lib/dracut "$tmp/dracutbase"
	cp -a "$stage/dracut/99crashkit" "$tmp/dracutbase/modules.d/"
	mkdir -p "$tmp/dracut.conf.d"
	if env TMPDIR="$tmp" dracutbasedir="$tmp/dracutbase" CRASHKIT_DESTDIR="$stage" \
		CRASHKIT_CONF="$etc/crashkit-local.conf" CRASHKIT_HOOKS="$etc/crashkit" \
		dracut --force --quiet --no-compress --no-hostonly --no-early-microcode --conf /dev/null \
		--confdir "$tmp/dracut.conf.d" --modules "base crashkit" \
		--kver "$kver" --kmoddir "$kdir/lib/modules/$kver" \
		"$tmp/initrd-dracut.img" >"$tmp/dracut.log" 2>&1; then
		pass
		lsinitrd "$tmp/initrd-dracut.img" >"$tmp/dracut.list" 2>&1 || fail "lsinitrd"
		for path in bin/crashdmesg bin/crashcopy lib/crashkit/crashcapture \
			lib/crashkit/hooks/distro-capture lib/crashkit/bin/busybox \
			etc/crashkit.conf etc/crashkit/pre.d/10-console-banner \
			lib/dracut/hooks/pre-pivot/90-crashkit-capture.sh; do
			in_list " (usr/)?$path( ->.*)?\$" "$tmp/dracut.list" "dracut image has $path"
		done
		in_list ' (usr/)?lib/crashkit/bin/ftpput -> busybox$' "$tmp/dracut.list" "dracut image: busybox applet links"
		in_list 'kernel/fs/ext4/ext4.ko' "$tmp/dracut.list" "dracut image: ext4 module"
		in_list 'kernel/drivers/block/virtio_blk.ko' "$tmp/dracut.list" "dracut image: EXTRA_MODULES"
		in_list '^crashkit$' "$tmp/dracut.list" "dracut image: module crashkit listed"
	else
		fail "dracut: $(tail -n 5 "$tmp/dracut.log")"
	fi
fi

section finished
echo "hooks: $passed passed, $failed failed"
