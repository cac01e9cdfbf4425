#!/bin/sh
# capture: crashcapture, its six targets and crashsend, on the host, under
# busybox ash as in the capture kernel (busybox applets first on PATH, the
# sanitized build/asan binaries for crashdmesg, crashcopy and crashsend).
# Block devices are loop devices (ext4 / raw), servers run on 127.0.0.1: a
# tiny HTTP collector (tests/capture/collector.py), pyftpdlib, OpenSSH's
# sshd. Needs root (mount, losetup). About 60 s.
# shellcheck disable=SC2016 # sh -c and python -c scripts expand their own $1...
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
tmp=$(mktemp -d /tmp/crashkit-capture.XXXXXX)
pids=""
cleanup() {
	local l p
	for p in $pids; do kill "$p" 2>/dev/null; done
	awk -v t="$tmp/" 'index($2, t) == 1 {print $2}' /proc/mounts | sort -r | while IFS= read -r m; do
		umount -l "$m" 2>/dev/null
	done
	[ ! -f "$tmp/loops" ] || while IFS= read -r l; do losetup -d "$l" 2>/dev/null; done <"$tmp/loops"
	rm -rf "$tmp"
}
trap cleanup EXIT
passed=0
failed=0
pass() { passed=$((passed + 1)); }
fail() {
	failed=$((failed + 1))
	echo "FAIL: $*"
}
# check DESC COMMAND...: pass when COMMAND succeeds.
check() {
	local desc="$1"
	shift
	if "$@"; then pass; else fail "$desc"; fi
}
PY=/usr/bin/python3
VMCORE=$top/fixtures/real/bookworm-6.1.vmcore

for b in build/asan/crashdmesg build/asan/crashcopy build/asan/crashsend; do
	if [ ! -x "$b" ]; then
		echo "capture: $b missing: run make test-bins"
		echo "capture: 0 passed, 1 failed"
		exit 1
	fi
done
if [ "$(id -u)" -ne 0 ] || ! losetup -f >/dev/null 2>&1; then
	echo "capture: needs root and loop devices"
	echo "capture: 0 passed, 1 failed"
	exit 1
fi

# The capture kernel's tools: busybox applets, then our binaries.
bin=$tmp/bin
mkdir -p "$bin"
for a in awk sed grep tr cut head tail wc sha256sum stat df mkfifo tee cat mv rm mkdir \
	chmod date sleep timeout findfs mount umount sync dd blockdev nc ftpput uname mktemp \
	cp ls; do
	ln -s /bin/busybox "$bin/$a"
done
for b in crashdmesg crashcopy crashsend; do
	ln -s "$top/build/asan/$b" "$bin/$b"
done
CKPATH=$bin:/usr/bin:/bin:/usr/sbin:/sbin

# mkimg NAME SIZE_KIB [mkfs args...]: an image on a loop device, printed.
mkimg() {
	local name="$1" size="$2" dev
	shift 2
	truncate -s "${size}K" "$tmp/$name.img"
	[ "$#" -eq 0 ] || mkfs.ext4 -q -F "$@" "$tmp/$name.img" >/dev/null 2>&1
	dev=$(losetup -f --show "$tmp/$name.img") || return 1
	# mkimg runs in $(...): the list of loops to free lives in a file.
	printf '%s\n' "$dev" >>"$tmp/loops"
	printf '%s\n' "$dev"
}

# run_capture NAME: crashcapture with $tmp/NAME.conf (and $tmp/NAME.hooks);
# console in $tmp/NAME.console; status in $tmp/NAME.rc.
run_capture() {
	local name="$1"
	mkdir -p "$tmp/$name.mnt"
	# shellcheck disable=SC2086 # CK_SHELL is a command with its arguments
	env PATH="$CKPATH" CRASHKIT_CONF="$tmp/$name.conf" CRASHKIT_VMCORE="${VMCORE_OVERRIDE:-$VMCORE}" \
		CRASHKIT_MNT="$tmp/$name.mnt" CRASHKIT_HOOKS="$tmp/$name.hooks" \
		CRASHKIT_CONSOLE="$tmp/$name.console" CRASHKIT_TIME=20261123T010203Z \
		CRASHKIT_DEVICE_WAIT=0 CRASHKIT_NET_TIMEOUT=5 ${EXTRA_ENV:+$EXTRA_ENV} \
		${CK_SHELL:-busybox ash} capture/crashcapture >"$tmp/$name.out" 2>&1
	echo "$?" >"$tmp/$name.rc"
}
rc_of() { cat "$tmp/$1.rc"; }

# inspect DEV NAME: mount DEV read-only on $tmp/NAME.look; print the crash dir.
inspect() {
	mkdir -p "$tmp/$2.look"
	mount -o ro "$1" "$tmp/$2.look" || return 1
	printf '%s\n' "$tmp/$2.look/var/crash/cktest-20261123T010203Z"
}

# mf EXPR MANIFEST: evaluate the Python expression EXPR on the manifest m.
mf() {
	$PY -c 'import json,sys; m=json.load(open(sys.argv[2])); sys.exit(0 if eval(sys.argv[1]) else 1)' "$1" "$2"
}

# manifest_true DIR: sizes and sha256 of every artifact that claims a file
# match the file; the manifest is valid JSON with the format's keys.
manifest_true() {
	$PY - "$1" <<'P'
import hashlib, json, os, sys
d = sys.argv[1]
m = json.load(open(os.path.join(d, "manifest.json")))
for k in ("format", "tool", "version", "host", "xen", "kernel_release", "crash_time",
          "panic", "capture", "artifacts", "hooks", "tools"):
    assert k in m, k
for a in m["artifacts"]:
    p = os.path.join(d, a.get("file", a["name"]))
    if a["status"] in ("ok", "truncated") and os.path.exists(p):
        data = open(p, "rb").read()
        assert a["size"] == len(data), (a["name"], a["size"], len(data))
        assert a["sha256"] == hashlib.sha256(data).hexdigest(), a["name"]
    elif a["status"] in ("ok",):
        raise SystemExit("%s: ok but missing" % a["name"])
P
}

# modes DIR: the directory 0700, every file 0600.
modes() {
	local f
	[ "$(stat -c %a "$1")" = 700 ] || return 1
	for f in "$1"/*; do
		[ "$(stat -c %a "$f")" = 600 ] || return 1
	done
}

# opens FILE: libkdumpfile opens FILE as a kdump-compressed dump.
opens() {
	$PY -c 'import kdumpfile,sys; k=kdumpfile.kdumpfile(sys.argv[1]); sys.exit(0 if k.attr["file.format"] in ("diskdump","kdump") else 1)' "$1" 2>/dev/null
}

build/asan/crashdmesg --vmcore-dmesg "$VMCORE" >"$tmp/want.dmesg" 2>/dev/null

# --- json.sh: escaping --------------------------------------------------
json_roundtrip() {
	local s
	s=$(printf 'q"uote b\\ack\001ctl\033[0m\ttab\177del caf\303\251')
	PATH="$CKPATH" busybox ash -c '. capture/lib/json.sh; json_str "$1"' sh "$s" >"$tmp/json.out" &&
		$PY -c 'import json,sys; v=json.load(open(sys.argv[1])); s=sys.argv[2].encode("utf-8","surrogateescape").decode("latin-1"); sys.exit(0 if v==s else 1)' \
			"$tmp/json.out" "$s"
}
check "json.sh: quotes, backslashes, control and high bytes round-trip through JSON" json_roundtrip
json_newlines() {
	PATH="$CKPATH" busybox ash -c '. capture/lib/json.sh; json_str "$(printf "a\nb")
"' >"$tmp/json2.out" && [ "$(cat "$tmp/json2.out")" = '"a\nb\n"' ]
}
check "json.sh: newlines, a trailing one kept" json_newlines

# --- local ext4 target by LABEL, with hooks -------------------------------
L=ck$$l
dev=$(mkimg local 65536 -L "$L")
printf 'TARGETS=local\nLOCAL_DEVICE=LABEL=%s\nLOCAL_FSTYPE=ext4\nHOSTNAME=cktest\n' "$L" >"$tmp/local.conf"
mkdir -p "$tmp/local.hooks/pre.d" "$tmp/local.hooks/post.d"
cat >"$tmp/local.hooks/pre.d/10-first" <<H
#!/bin/sh
echo "pre10 \$CRASHKIT_PHASE \$CRASHKIT_STATUS \$CRASHKIT_TARGET \$CRASHKIT_DIR" >>"$tmp/hooks.log"
H
cat >"$tmp/local.hooks/pre.d/20-fails" <<H
#!/bin/sh
echo "pre20" >>"$tmp/hooks.log"
exit 3
H
cat >"$tmp/local.hooks/post.d/10-after" <<H
#!/bin/sh
echo "post10 \$CRASHKIT_STATUS \$CRASHKIT_TARGET" >>"$tmp/hooks.log"
[ -f "\$CRASHKIT_DIR/manifest.json" ] && echo "post10 sees manifest" >>"$tmp/hooks.log"
H
chmod 755 "$tmp"/local.hooks/*/*
run_capture local
check "local: exit 0 (got $(rc_of local))" [ "$(rc_of local)" = 0 ]
d=$(inspect "$dev" local)
check "local: dmesg.txt is crashdmesg --vmcore-dmesg's output" cmp -s "$d/dmesg.txt" "$tmp/want.dmesg"
check "local: vmcore opens in libkdumpfile" opens "$d/vmcore"
no_incomplete() {
	local f
	for f in "$1"/*; do
		case $f in *.incomplete | *.tmp) return 1 ;; esac
	done
	return 0
}
check "local: no *.incomplete left" no_incomplete "$d"
check "local: manifest.json valid, sizes and sha256 true" manifest_true "$d"
check "local: dir 0700, files 0600" modes "$d"
check "local: manifest status ok, kernel, crash time, panic" mf 'm["capture"]["status"]=="ok" and m["kernel_release"]=="6.1.0-50-amd64" and m["crash_time"]=="2026-11-22T23:04:04Z" and m["panic"].startswith("Kernel panic - not syncing: sysrq")' "$d/manifest.json"
check "local: vmcore artifact ok, level 31, lzo, kdump" mf '[a for a in m["artifacts"] if a["name"]=="vmcore" and a["status"]=="ok" and a["dump_level"]==31 and a["codec"]=="lzo" and a["format"]=="kdump"]' "$d/manifest.json"
check "local: tools versions recorded" mf 'm["tools"]["crashdmesg"].startswith("crashdmesg") and m["tools"]["crashcopy"].startswith("crashcopy") and "BusyBox" in m["tools"]["busybox"]' "$d/manifest.json"
check "hooks: run in order with the outcome" [ "$(awk '{printf "%s ", $1}' "$tmp/hooks.log")" = "pre10 pre20 post10 post10 " ]
check "hooks: pre.d gets phase, status, target" grep -q "^pre10 pre ok local $tmp/local.mnt/local/var/crash/cktest-20261123T010203Z\$" "$tmp/hooks.log"
check "hooks: post.d gets the final status, the manifest is there" grep -q '^post10 ok local$' "$tmp/hooks.log"
check "hooks: each recorded with its status, the failure too" mf 'm["hooks"]==[{"name":"pre.d/10-first","status":0},{"name":"pre.d/20-fails","status":3},{"name":"post.d/10-after","status":0}]' "$d/manifest.json"
check "ladder: sized by crashcopy --estimate (crashcopy has it)" grep -q 'dump level 31: estimated 71 KiB (crashcopy --estimate)' "$tmp/local.console"
check "console: the crash summary and the panic line" grep -q 'Kernel panic - not syncing: sysrq triggered crash' "$tmp/local.console"
umount "$tmp/local.look"

# --- under dash (crashctl test runs it from the first kernel), by UUID= ----
uuid=$(blkid -s UUID -o value "$dev")
printf 'TARGETS=local\nLOCAL_DEVICE=UUID=%s\nHOSTNAME=cktest\n' "$uuid" >"$tmp/dash.conf"
CK_SHELL=dash run_capture dash
check "dash: exit 0, LOCAL_DEVICE=UUID= (got $(rc_of dash))" [ "$(rc_of dash)" = 0 ]
d=$(inspect "$dev" dash)
check "dash: log and dump saved" sh -c 'cmp -s "$1/dmesg.txt" "$2" && [ -f "$1/vmcore" ]' sh "$d" "$tmp/want.dmesg"
check "dash: manifest true" manifest_true "$d"
umount "$tmp/dash.look"

# --- CONSOLE_LOG=full, a bad config line: loud warning, goes on -----------
printf 'TARGETS=local\nLOCAL_DEVICE=LABEL=%s\nHOSTNAME=cktest\nCONSOLE_LOG=full\nDUMP=no\nBOGUS=1\n' "$L" >"$tmp/full.conf"
run_capture full
check "bad config: warns loudly, still captures (exit $(rc_of full))" [ "$(rc_of full)" = 0 ]
check "bad config: the error names the line" grep -q 'crashkit.*full.conf:6: unknown key' "$tmp/full.console"
check "CONSOLE_LOG=full: the whole log on the console" grep -q 'crashkit-e2e: marker end' "$tmp/full.console"
d=$(inspect "$dev" full)
check "DUMP=no: vmcore skipped, reason recorded" mf '[a for a in m["artifacts"] if a["name"]=="vmcore" and a["status"]=="skipped" and "DUMP=no" in a["reason"]]' "$d/manifest.json"
umount "$tmp/full.look"

# --- a tiny file system: the ladder goes to log only ----------------------
S=ck$$s
sdev=$(mkimg small 256 -L "$S" -O ^has_journal -N 32 -b 1024)
printf 'TARGETS=local\nLOCAL_DEVICE=LABEL=%s\nHOSTNAME=cktest\nDUMP_LEVEL=0\nDUMP_CODEC=none\n' "$S" >"$tmp/ladder.conf"
run_capture ladder
check "ladder: tiny target: exit 6 (got $(rc_of ladder))" [ "$(rc_of ladder)" = 6 ]
d=$(inspect "$sdev" ladder)
check "ladder: log saved" cmp -s "$d/dmesg.txt" "$tmp/want.dmesg"
check "ladder: 0 -> 31 -> log only recorded with sizes" mf 'len(m["capture"]["degraded"])==2 and m["capture"]["degraded"][0].startswith("dump level 0 -> 31: estimated") and m["capture"]["degraded"][1].startswith("dump level 31 -> log only: estimated") and "> free" in m["capture"]["degraded"][1]' "$d/manifest.json"
check "ladder: vmcore skipped, status partial" mf 'm["capture"]["status"]=="partial" and [a for a in m["artifacts"] if a["name"]=="vmcore" and a["status"]=="skipped"]' "$d/manifest.json"
check "ladder: manifest true" manifest_true "$d"
umount "$tmp/ladder.look"

# --- the same disk without the ladder: ENOSPC -> truncated ----------------
E=ck$$e
edev=$(mkimg enospc 256 -L "$E" -O ^has_journal -N 32 -b 1024)
printf 'TARGETS=local\nLOCAL_DEVICE=LABEL=%s\nHOSTNAME=cktest\nDUMP_LEVEL=0\nDUMP_CODEC=none\n' "$E" >"$tmp/enospc.conf"
EXTRA_ENV=CRASHKIT_LADDER=off run_capture enospc
check "full disk: exit 6 (got $(rc_of enospc))" [ "$(rc_of enospc)" = 6 ]
d=$(inspect "$edev" enospc)
check "full disk: log saved" cmp -s "$d/dmesg.txt" "$tmp/want.dmesg"
check "full disk: vmcore.incomplete truncated, reason says no space" mf '[a for a in m["artifacts"] if a["name"]=="vmcore" and a.get("file")=="vmcore.incomplete" and a["status"]=="truncated" and "No space" in a["reason"]]' "$d/manifest.json"
check "full disk: manifest true" manifest_true "$d"
umount "$tmp/enospc.look"

# --- the deadline: too little time -> log only ----------------------------
printf 'TARGETS=local\nLOCAL_DEVICE=LABEL=%s\nHOSTNAME=cktest\n' "$L" >"$tmp/late.conf"
EXTRA_ENV="CRASHKIT_RATE=1000 CRASHKIT_DEADLINE_AT=$(($(date +%s) + 90))" run_capture late
check "deadline: exit 6 (got $(rc_of late))" [ "$(rc_of late)" = 6 ]
d=$(inspect "$dev" late)
check "deadline: log only, recorded as the time left" mf '"left before the deadline" in m["capture"]["degraded"][-1]' "$d/manifest.json"
umount "$tmp/late.look"

# --- unreachable http, then local: fallback ------------------------------
printf 'TARGETS=http local\nHTTP_URL=http://127.0.0.1:1/c\nHTTP_RETRIES=1\nLOCAL_DEVICE=LABEL=%s\nHOSTNAME=cktest\n' "$L" >"$tmp/fb.conf"
run_capture fb
check "fallback: http down, local took all (exit $(rc_of fb))" [ "$(rc_of fb)" = 0 ]
d=$(inspect "$dev" fb)
check "fallback: targets say http failed, local ok" mf '[t["name"]+":"+t["status"] for t in m["capture"]["targets"]]==["http:failed","local:ok"] and "refused" in m["capture"]["targets"][0]["reason"]' "$d/manifest.json"
umount "$tmp/fb.look"

# --- no target: FALLBACK_DEVICE takes the log -----------------------------
F=ck$$f
fdev=$(mkimg fallback 8192 -L "$F")
printf 'TARGETS=local\nLOCAL_DEVICE=LABEL=nothere%s\nFALLBACK_DEVICE=LABEL=%s\nHOSTNAME=cktest\n' "$$" "$F" >"$tmp/fbdev.conf"
run_capture fbdev
check "FALLBACK_DEVICE: log saved, dump not: exit 6 (got $(rc_of fbdev))" [ "$(rc_of fbdev)" = 6 ]
d=$(inspect "$fdev" fbdev)
check "FALLBACK_DEVICE: dmesg.txt and a manifest, no vmcore" sh -c '[ -f "$1/dmesg.txt" ] && [ -f "$1/manifest.json" ] && [ ! -e "$1/vmcore" ]' sh "$d"
check "FALLBACK_DEVICE: manifest names it" mf 'm["capture"]["target"]=="fallback" and m["capture"]["targets"][0]["status"]=="failed"' "$d/manifest.json"
umount "$tmp/fbdev.look"

# --- nothing at all: exit 1, the console has the summary -------------------
printf 'TARGETS=local\nLOCAL_DEVICE=LABEL=nothere%s\nHOSTNAME=cktest\n' "$$" >"$tmp/none.conf"
run_capture none
check "no sink: exit 1 (got $(rc_of none))" [ "$(rc_of none)" = 1 ]
check "no sink: console says so, with the panic" sh -c 'grep -q "capture FAILED" "$1" && grep -q "Kernel panic" "$1"' sh "$tmp/none.console"

# --- not a vmcore: no log, no dump: exit 1, the manifest says why ----------
printf 'not a core\n' >"$tmp/notcore"
cp "$tmp/late.conf" "$tmp/notcore.conf"
VMCORE_OVERRIDE=$tmp/notcore run_capture notcore
check "not a vmcore: exit 1 (got $(rc_of notcore))" [ "$(rc_of notcore)" = 1 ]
d=$(inspect "$dev" notcore)
check "not a vmcore: dmesg.txt failed with crashdmesg's reason, capture failed" mf '[a for a in m["artifacts"] if a["name"]=="dmesg.txt" and a["status"]=="failed" and "crashdmesg exit 2" in a["reason"]] and m["capture"]["status"]=="failed" and m["kernel_release"] is None' "$d/manifest.json"
umount "$tmp/notcore.look"

# --- a Xen machine dump: dom0's log, Xen's console, the manifest says Xen ---
# The trimmed real Xen core has no frame_table pages, so -X cannot run: the
# dump keeps the whole machine and the manifest says why.
xcore=fixtures/real/xen/bookworm-6.1-xen-4.17.vmcore
printf 'TARGETS=local\nLOCAL_DEVICE=LABEL=%s\nHOSTNAME=cktest\nDUMP_LEVEL=1\n' "$L" >"$tmp/xen.conf"
VMCORE_OVERRIDE=$xcore run_capture xen
check "Xen dump: exit 0 (got $(rc_of xen))" [ "$(rc_of xen)" = 0 ]
d=$(inspect "$dev" xen)
check "Xen dump: dmesg.txt is dom0's log (crashdmesg --vmcore-dmesg)" sh -c \
	'build/asan/crashdmesg --vmcore-dmesg "$1" 2>/dev/null | cmp -s - "$2/dmesg.txt"' sh "$xcore" "$d"
check "Xen dump: xen-console.txt is Xen's console ring" sh -c \
	'grep -q "Hardware Dom0 crashed" "$1/xen-console.txt" && build/asan/crashdmesg --xen "$2" 2>/dev/null | cmp -s - "$1/xen-console.txt"' sh "$d" "$xcore"
check "Xen dump: manifest says xen, lists xen-console.txt, and why -X was not used" mf \
	'm["xen"] is True and [a for a in m["artifacts"] if a["name"]=="xen-console.txt" and a["status"]=="ok"] and [x for x in m["capture"]["degraded"] if "-X not possible" in x]' "$d/manifest.json"
check "Xen dump: manifest sizes and sha256 true" manifest_true "$d"
check "Xen dump: modes 0700/0600" modes "$d"
umount "$tmp/xen.look"

# --- raw target -----------------------------------------------------------
rdev=$(mkimg raw 8192)
printf 'TARGETS=raw\nRAW_DEVICE=%s\nHOSTNAME=cktest\n' "$rdev" >"$tmp/raw.conf"
run_capture raw
check "raw: exit 0 (got $(rc_of raw))" [ "$(rc_of raw)" = 0 ]
head -c 4096 "$rdev" | tr -d '\000' >"$tmp/raw.header"
hv() { sed -n "s/^$1=//p" "$tmp/raw.header"; }
check "raw: header complete, status 0" sh -c 'grep -qx "CRASHKIT-RAW=1" "$1" && grep -qx "state=complete" "$1" && grep -qx "dump_status=0" "$1" && grep -qx "host=cktest" "$1"' sh "$tmp/raw.header"
lsz=$(hv log_size)
dd if="$rdev" bs=4096 skip=1 2>/dev/null | head -c "${lsz:-0}" >"$tmp/raw.log"
check "raw: the log at 4096 is the kernel log" cmp -s "$tmp/raw.log" "$tmp/want.dmesg"
doff=$(hv dump_offset)
dsz=$(hv dump_size)
check "raw: dump offset 1 MiB aligned" [ $(( ${doff:-1} % 1048576 )) -eq 0 ]
dd if="$rdev" bs=1048576 skip=$(( ${doff:-0} / 1048576 )) 2>/dev/null | head -c "${dsz:-0}" >"$tmp/raw.flat"
check "raw: the stream reassembles (crashcopy -R) into a dump that opens" sh -c \
	'"$1" -R "$2" <"$3" 2>/dev/null && "$4" -c "import kdumpfile,sys; kdumpfile.kdumpfile(sys.argv[1])" "$2"' sh \
	build/asan/crashcopy "$tmp/raw.vmcore" "$tmp/raw.flat" "$PY"

# A raw device too small for the dump (ladder off): truncated, header says so.
r2dev=$(mkimg raw2 1536)
printf 'TARGETS=raw\nRAW_DEVICE=%s\nHOSTNAME=cktest\nDUMP_LEVEL=0\nDUMP_CODEC=none\n' "$r2dev" >"$tmp/raw2.conf"
EXTRA_ENV=CRASHKIT_LADDER=off run_capture raw2
check "raw too small: exit 6 (got $(rc_of raw2))" [ "$(rc_of raw2)" = 6 ]
check "raw too small: header incomplete, dump_status 5" sh -c 'head -c 4096 "$1" | tr -d "\000" >"$2" && grep -qx state=incomplete "$2" && grep -qx dump_status=5 "$2"' sh "$r2dev" "$tmp/raw2.header"

# --- http target ------------------------------------------------------------
# start_collector NAME MODE [ADDRESS]: a collector in $tmp/NAME.srv; port in $port.
start_collector() {
	mkdir -p "$tmp/$1.srv"
	COLLECTOR_HOST=${3:-127.0.0.1} $PY tests/capture/collector.py "$tmp/$1.srv" "$tmp/$1.port" --mode "$2" &
	pids="$pids $!"
	local n=0
	while [ ! -s "$tmp/$1.port" ] && [ "$n" -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
	port=$(cat "$tmp/$1.port")
}
start_collector http ok
printf 'TARGETS=http\nHTTP_URL=http://127.0.0.1:%s/crash\nHOSTNAME=cktest\n' "$port" >"$tmp/http.conf"
run_capture http
check "http: exit 0 (got $(rc_of http))" [ "$(rc_of http)" = 0 ]
d=$tmp/http.srv/crash/cktest-20261123T010203Z
check "http: dmesg.txt arrived intact" cmp -s "$d/dmesg.txt" "$tmp/want.dmesg"
check "http: manifest true (vmcore.flat sha256 and size)" manifest_true "$d"
check "http: vmcore artifact: file vmcore.flat, format flattened" mf '[a for a in m["artifacts"] if a["name"]=="vmcore" and a["file"]=="vmcore.flat" and a["format"]=="flattened" and a["status"]=="ok"]' "$d/manifest.json"
check "http: vmcore.flat flattened, reassembles and opens" sh -c \
	'"$1" -R "$2" <"$3" 2>/dev/null && "$4" -c "import kdumpfile,sys; kdumpfile.kdumpfile(sys.argv[1])" "$2"' sh \
	build/asan/crashcopy "$tmp/http.vmcore" "$d/vmcore.flat" "$PY"
check "http: the dump went chunked" grep -q 'vmcore.flat chunked' "$tmp/http.srv/requests.log"

# The collector drops every upload after 40000 bytes: the log (27 KiB) goes,
# the dump does not (HTTP_RETRIES tries) and falls back to local.
start_collector hdie die:40000
printf 'TARGETS=http local\nHTTP_URL=http://127.0.0.1:%s/crash\nHTTP_RETRIES=2\nLOCAL_DEVICE=LABEL=%s\nHOSTNAME=cktest\n' "$port" "$L" >"$tmp/hdie.conf"
run_capture hdie
check "http dies mid-dump: the dump goes to local: exit 0 (got $(rc_of hdie))" [ "$(rc_of hdie)" = 0 ]
check "http dies mid-dump: tried HTTP_RETRIES=2 times" [ "$(grep -c 'vmcore.flat.*died' "$tmp/hdie.srv/requests.log")" = 2 ]
d=$(inspect "$dev" hdie)
check "http dies mid-dump: local manifest: http partial, local ok" mf '[t["name"]+":"+t["status"] for t in m["capture"]["targets"]]==["http:partial","local:ok"]' "$d/manifest.json"
check "http dies mid-dump: the http manifest says failed/truncated" mf '[a for a in m["artifacts"] if a["name"]=="vmcore" and a.get("file")=="vmcore.flat" and a["status"] in ("failed","truncated")] and m["capture"]["status"]=="partial"' "$tmp/hdie.srv/crash/cktest-20261123T010203Z/manifest.json"
umount "$tmp/hdie.look"

# --- /init as PID 1 of a PID namespace, in a chroot like the initramfs -----
# reboot -f there ends the namespace with SIGHUP (status 129), poweroff -f
# with SIGINT (130): the final action was reached.
root=$tmp/root
mkdir -p "$root/bin" "$root/lib/crashkit/lib" "$root/lib/crashkit/targets" "$root/etc/crashkit/pre.d"
cp /bin/busybox "$root/bin/busybox"
chroot "$root" /bin/busybox --install -s /bin
cp crashdmesg/crashdmesg capture/crashcopy/crashcopy capture/crashsend/crashsend "$root/bin/"
cp initramfs/init "$root/init"
cp capture/crashcapture "$root/lib/crashkit/"
cp capture/lib/*.sh "$root/lib/crashkit/lib/"
cp capture/targets/*.sh "$root/lib/crashkit/targets/"
cp "$VMCORE" "$root/vmcore"
echo /lib/modules/none/missing.ko >"$root/etc/crashkit/modules.load"
idev=$(mkimg initraw 8192)
printf 'TARGETS=raw\nRAW_DEVICE=%s\nHOSTNAME=cktest\nFINAL_ACTION=poweroff\nNO_SUCH_KEY=1\n' "$idev" >"$root/etc/crashkit.conf"
# run_init NAME: /init in a new PID and mount namespace; status in $tmp/NAME.rc.
run_init() {
	env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin CRASHKIT_VMCORE=/vmcore CRASHKIT_CONSOLE=/console.log \
		timeout 120 unshare -p -f -m -- chroot "$root" /init >/dev/null 2>&1
	echo "$?" >"$tmp/$1.rc"
	mv "$root/console.log" "$tmp/$1.console"
}
run_init init
check "init: poweroff reached (SIGINT 130, got $(rc_of init))" [ "$(rc_of init)" = 130 ]
check "init: bad config warned, missing module logged, capture ok" sh -c 'grep -q "crashkit.conf:5: unknown key" "$1" && grep -q "insmod /lib/modules/none/missing.ko failed" "$1" && grep -q "crashcapture: log and dump saved" "$1"' sh "$tmp/init.console"
check "init: raw header complete" sh -c 'head -c 4096 "$1" | tr -d "\000" | grep -qx state=complete' sh "$idev"
# A pre.d hook that hangs past DEADLINE: the timer forces a reboot.
printf 'TARGETS=raw\nRAW_DEVICE=%s\nHOSTNAME=cktest\nDEADLINE=10\n' "$idev" >"$root/etc/crashkit.conf"
printf '#!/bin/sh\nsleep 100\n' >"$root/etc/crashkit/pre.d/10-hang"
chmod 755 "$root/etc/crashkit/pre.d/10-hang"
t0=$(date +%s)
run_init deadline
t1=$(date +%s)
check "init: a hanging capture is rebooted at the deadline (SIGHUP 129 after $((t1 - t0)) s)" \
	sh -c '[ "$1" = 129 ] && [ "$2" -ge 9 ] && [ "$2" -le 30 ] && grep -q "deadline reached" "$3"' sh "$(rc_of deadline)" "$((t1 - t0))" "$tmp/deadline.console"
check "init: the log was saved before the hang" sh -c 'head -c 4096 "$1" | tr -d "\000" | grep -qx state=writing' sh "$idev"

# FINAL_ACTION=shell: the shell (no input here) exits, then a reboot.
printf 'TARGETS=raw\nRAW_DEVICE=%s\nHOSTNAME=cktest\nFINAL_ACTION=shell\n' "$idev" >"$root/etc/crashkit.conf"
rm -f "$root/etc/crashkit/pre.d/10-hang"
run_init shell
check "init: FINAL_ACTION=shell: a shell, then reboot (129, got $(rc_of shell))" \
	sh -c '[ "$1" = 129 ] && grep -q "starting a shell on the console" "$2"' sh "$(rc_of shell)" "$tmp/shell.console"

# DHCP: /init in its own network namespace too, one end of a veth pair moved
# in; busybox udhcpd and the collector on the other end. udhcpc's lease is
# applied by capture/lib/udhcpc.sh, then the http target sends everything.
rm -f "$root/etc/crashkit/pre.d/10-hang"
veth=ck$$
if ip link add "${veth}a" type veth peer name "${veth}b" 2>/dev/null; then
	ip addr add 10.77.0.1/24 dev "${veth}a"
	ip link set "${veth}a" up
	mkdir -p "$tmp/dhcpd"
	: >"$tmp/dhcpd/leases"
	printf 'start 10.77.0.10\nend 10.77.0.20\ninterface %s\nlease_file %s\npidfile %s\nopt subnet 255.255.255.0\nopt router 10.77.0.1\n' \
		"${veth}a" "$tmp/dhcpd/leases" "$tmp/dhcpd/pid" >"$tmp/dhcpd/conf"
	busybox udhcpd -f "$tmp/dhcpd/conf" >"$tmp/dhcpd/log" 2>&1 &
	pids="$pids $!"
	start_collector dhcp ok 10.77.0.1
	printf 'TARGETS=http\nHTTP_URL=http://10.77.0.1:%s/c\nHOSTNAME=cktest\nFINAL_ACTION=poweroff\n' "$port" >"$root/etc/crashkit.conf"
	env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin CRASHKIT_VMCORE=/vmcore CRASHKIT_CONSOLE=/console.log \
		timeout 120 unshare -n -p -f -m -- chroot "$root" /init >/dev/null 2>&1 &
	upid=$!
	# timeout -> unshare -> /init: move the veth's other end into /init's
	# namespace (/init waits up to 30 s for an interface).
	child=
	n=0
	while [ -z "$child" ] && [ "$n" -lt 50 ]; do
		sleep 0.1
		n=$((n + 1))
		u=$(pgrep -P "$upid" | head -n 1)
		[ -z "$u" ] || child=$(pgrep -P "$u" | head -n 1)
	done
	[ -n "$child" ] && ip link set "${veth}b" netns "$child"
	wait "$upid"
	echo "$?" >"$tmp/dhcp.rc"
	mv "$root/console.log" "$tmp/dhcp.console"
	ip link del "${veth}a" 2>/dev/null
	lease_applied() {
		grep -q 'network: .*: 10\.77\.0\.[0-9]*/24' "$1" && return 0
		grep 'network' "$1"
		return 1
	}
	check "init dhcp: a lease from udhcpd, applied" lease_applied "$tmp/dhcp.console"
	check "init dhcp: http took log and dump, poweroff (130, got $(rc_of dhcp))" sh -c \
		'[ "$1" = 130 ] && grep -q "crashcapture: log and dump saved" "$2" && ls "$3"/c/*/vmcore.flat >/dev/null' \
		sh "$(rc_of dhcp)" "$tmp/dhcp.console" "$tmp/dhcp.srv"
else
	fail "init dhcp: cannot create a veth pair"
fi

# --- crashsend alone ------------------------------------------------------
cs=build/asan/crashsend
start_collector cs ok
$cs "http://127.0.0.1:$port/a/len" "$tmp/want.dmesg" 2>"$tmp/cs.err"
rc=$?
check "crashsend: a file with Content-Length" sh -c '[ "$1" = 0 ] && cmp -s "$2" "$3" && grep -q "/a/len length" "$4"' sh "$rc" "$tmp/want.dmesg" "$tmp/cs.srv/a/len" "$tmp/cs.srv/requests.log"
$cs --method POST "http://127.0.0.1:$port/a/chunk" - <"$VMCORE" 2>"$tmp/cs.err"
check "crashsend: stdin chunked (POST)" sh -c 'cmp -s "$1" "$2" && grep -q "^POST /a/chunk chunked" "$3"' sh "$VMCORE" "$tmp/cs.srv/a/chunk" "$tmp/cs.srv/requests.log"
start_collector c404 status:404
$cs --retries 3 "http://127.0.0.1:$port/x" "$tmp/want.dmesg" 2>"$tmp/c404.err"
rc=$?
check "crashsend: 404 -> exit 4, one line, no retry" sh -c '[ "$1" = 4 ] && grep -q "answered 404" "$2" && [ "$(wc -l <"$3")" = 1 ]' sh "$rc" "$tmp/c404.err" "$tmp/c404.srv/requests.log"
start_collector c503 fail:1
$cs --retries 2 "http://127.0.0.1:$port/r" "$tmp/want.dmesg" 2>"$tmp/c503.err"
rc=$?
check "crashsend: 503 then 201 -> retried, exit 0" sh -c '[ "$1" = 0 ] && [ "$(wc -l <"$2")" = 2 ] && cmp -s "$3" "$4"' sh "$rc" "$tmp/c503.srv/requests.log" "$tmp/want.dmesg" "$tmp/c503.srv/r"
start_collector cdie die:10000
$cs --retries 1 "http://127.0.0.1:$port/d" "$VMCORE" 2>"$tmp/cdie.err"
rc=$?
check "crashsend: server dies mid-upload -> exit 5" sh -c '[ "$1" = 5 ] && [ ! -e "$2" ]' sh "$rc" "$tmp/cdie.srv/d"
$cs --retries 1 "http://127.0.0.1:1/x" "$tmp/want.dmesg" 2>/dev/null
check "crashsend: connection refused -> exit 3" [ $? = 3 ]
$cs "https://127.0.0.1/x" "$tmp/want.dmesg" 2>"$tmp/https.err"
check "crashsend: https refused clearly -> exit 1" sh -c '[ "$1" = 1 ] && grep -q "https is not supported" "$2"' sh $? "$tmp/https.err"
start_collector cslow slow
$cs --retries 1 --timeout 1 "http://127.0.0.1:$port/s" "$tmp/want.dmesg" 2>"$tmp/cslow.err"
check "crashsend: a silent server -> timeout, exit 5" sh -c '[ "$1" = 5 ] && grep -q "timed out" "$2"' sh $? "$tmp/cslow.err"
$cs "http://127.0.0.1:$port/x" "$tmp/nonexistent" 2>/dev/null
check "crashsend: unreadable input -> exit 2" [ $? = 2 ]

# --- ftp target (pyftpdlib) --------------------------------------------------
mkdir -p "$tmp/ftp.srv"
cat >"$tmp/ftpd.py" <<'P'
import sys
from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer
a = DummyAuthorizer()
a.add_user("ck", "s3cret", sys.argv[1], perm="elradfmwMT")
h = FTPHandler
h.authorizer = a
h.passive_ports = range(40000, 40100)
s = FTPServer(("127.0.0.1", 0), h)
open(sys.argv[2] + ".tmp", "w").write("%d\n" % s.socket.getsockname()[1])
import os
os.rename(sys.argv[2] + ".tmp", sys.argv[2])
s.serve_forever()
P
$PY "$tmp/ftpd.py" "$tmp/ftp.srv" "$tmp/ftp.port" >"$tmp/ftpd.log" 2>&1 &
pids="$pids $!"
n=0
while [ ! -s "$tmp/ftp.port" ] && [ "$n" -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
printf 's3cret\n' >"$tmp/ftp.pw"
printf 'TARGETS=ftp\nFTP_HOST=127.0.0.1\nFTP_PORT=%s\nFTP_USER=ck\nFTP_PASSWORD_FILE=%s\nFTP_PATH=crash\nHOSTNAME=cktest\n' \
	"$(cat "$tmp/ftp.port")" "$tmp/ftp.pw" >"$tmp/ftp.conf"
run_capture ftp
check "ftp: exit 0 (got $(rc_of ftp))" [ "$(rc_of ftp)" = 0 ]
d=$tmp/ftp.srv/crash/cktest-20261123T010203Z
check "ftp: dmesg.txt intact" cmp -s "$d/dmesg.txt" "$tmp/want.dmesg"
check "ftp: renamed from .incomplete" no_incomplete "$d"
check "ftp: manifest true, vmcore.flat" sh -c '[ -f "$1/vmcore.flat" ]' sh "$d"
check "ftp: manifest sizes and sha256" manifest_true "$d"
check "ftp: SITE CHMOD made the files 0600" modes "$d"

# --- ssh target (OpenSSH server on 127.0.0.1) -------------------------------
if [ -x /usr/sbin/sshd ] && command -v ssh >/dev/null 2>&1; then
	mkdir -p "$tmp/ssh" /run/sshd
	ssh-keygen -q -t ed25519 -N '' -f "$tmp/ssh/host" && ssh-keygen -q -t ed25519 -N '' -f "$tmp/ssh/id"
	cp "$tmp/ssh/id.pub" "$tmp/ssh/authorized_keys"
	sport=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	cat >"$tmp/ssh/sshd_config" <<C
Port $sport
ListenAddress 127.0.0.1
HostKey $tmp/ssh/host
AuthorizedKeysFile $tmp/ssh/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PidFile $tmp/ssh/pid
C
	/usr/sbin/sshd -D -e -f "$tmp/ssh/sshd_config" 2>"$tmp/ssh/log" &
	pids="$pids $!"
	printf '[127.0.0.1]:%s %s\n' "$sport" "$(cut -d' ' -f1,2 "$tmp/ssh/host.pub")" >"$tmp/ssh/known_hosts"
	n=0
	while ! $PY -c 'import socket,sys; socket.create_connection(("127.0.0.1",int(sys.argv[1])),1)' "$sport" 2>/dev/null && [ "$n" -lt 50 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	printf 'TARGETS=ssh\nSSH_TARGET=root@127.0.0.1\nSSH_PORT=%s\nSSH_KEY=%s\nSSH_KNOWN_HOSTS=%s\nSSH_PATH=%s\nHOSTNAME=cktest\n' \
		"$sport" "$tmp/ssh/id" "$tmp/ssh/known_hosts" "$tmp/ssh/crash" >"$tmp/ssh.conf"
	run_capture ssh
	check "ssh: exit 0 (got $(rc_of ssh))" [ "$(rc_of ssh)" = 0 ]
	d=$tmp/ssh/crash/cktest-20261123T010203Z
	check "ssh: dmesg.txt intact" cmp -s "$d/dmesg.txt" "$tmp/want.dmesg"
	check "ssh: the server reassembled the dump (makedumpfile -R): vmcore opens" opens "$d/vmcore"
	check "ssh: manifest true (sha256 from the server)" manifest_true "$d"
	check "ssh: umask 077 remotely: dir 0700, files 0600" modes "$d"
	# A host key that does not match: no trust on first use.
	printf '[127.0.0.1]:%s %s\n' "$sport" "$(cut -d' ' -f1,2 "$tmp/ssh/id.pub")" >"$tmp/ssh/known_hosts"
	printf 'TARGETS=ssh local\nSSH_TARGET=root@127.0.0.1\nSSH_PORT=%s\nSSH_KEY=%s\nSSH_KNOWN_HOSTS=%s\nSSH_PATH=%s\nLOCAL_DEVICE=LABEL=%s\nHOSTNAME=cktest\n' \
		"$sport" "$tmp/ssh/id" "$tmp/ssh/known_hosts" "$tmp/ssh/crash2" "$L" >"$tmp/sshbad.conf"
	run_capture sshbad
	check "ssh: a wrong pinned host key is refused, local takes it" sh -c '[ "$1" = 0 ] && [ ! -e "$2" ]' sh "$(rc_of sshbad)" "$tmp/ssh/crash2"
else
	fail "ssh: /usr/sbin/sshd or ssh missing (tests/deps.sh installs openssh-server)"
fi

echo "capture: $passed passed, $failed failed"
