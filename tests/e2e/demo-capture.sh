#!/bin/sh
# make demo: boot a Debian 6.1 VM under QEMU (TCG), let crashkit set up
# kdump in it (crashctl build, load, status), crash it with sysrq-c, let the
# capture kernel save the crash to an ext4 disk and reboot, then show what was
# saved: the files, the start and end of the log, and the manifest.
# Takes about a minute (the first run also downloads the kernel package).
# Without crashctl in the tree it shows the log of a bundled crash instead.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
if [ ! -f initramfs/crashctl ]; then
	echo "demo: no initramfs/crashctl in this tree yet: showing a bundled crash's log instead"
	exec sh tests/demo.sh
fi
work=$top/build/demo
rm -rf "$work"
mkdir -p "$work/in"
cat >"$work/in/crashkit.conf" <<'EOF'
# the demo VM's /etc/crashkit.conf: save to the ext4 disk labelled CRASHTGT
TARGETS=local
LOCAL_DEVICE=LABEL=CRASHTGT
LOCAL_PATH=/var/crash
EOF
echo "demo: booting a Debian 6.1 VM (QEMU TCG); it runs crashctl build/load/status, then crashes"
t=$(date +%s)
sh tests/e2e/capture-vm.sh "$work/in" "$work/out"
out=$work/out
printf 'demo: done in %s s\n\n' "$(($(date +%s) - t))"

echo "--- in the VM, before the crash: crashctl status (exit $(cat "$out/first/status.rc" 2>/dev/null))"
sed 's/^/    /' "$out/first/status.log" 2>/dev/null || true
echo
echo "--- the capture kernel's console"
awk '/Command line:.*elfcorehdr=/ { cap = 1 } cap' "$out/console.log" | tr -d '\r' |
	grep -v -E '^\[ *[0-9]+\.[0-9]+\] ' | sed 's/^/    /' | tail -n 40
echo
dir=
for d in "$out"/target/var/crash/*; do
	[ -d "$d" ] && dir=$d
done
if [ -z "$dir" ]; then
	echo "demo: nothing was saved on the target disk (VM outcome: $(sed -n 's/^outcome=//p' "$out/result"))"
	exit 1
fi
echo "--- saved on the target disk: /var/crash/${dir##*/}/"
find "$dir" -mindepth 1 -maxdepth 1 -printf '    %M %10s  %f\n' | sort -k 3
echo
if [ -f "$dir/dmesg.txt" ]; then
	echo "--- dmesg.txt: the panic and the last lines"
	grep -a -m 3 -E 'Kernel panic|sysrq: Trigger' "$dir/dmesg.txt" | sed 's/^/    /'
	echo "    ..."
	tail -n 12 "$dir/dmesg.txt" | sed 's/^/    /'
	echo
fi
if [ -f "$dir/manifest.json" ]; then
	echo "--- manifest.json"
	/usr/bin/python3 -m json.tool "$dir/manifest.json" | sed 's/^/    /'
fi
echo
echo "demo: the VM $(sed -n 's/^outcome=//p' "$out/result") after the capture" \
	"(panic -> reboot $(sed -n 's/^reboot_uptime=//p' "$out/result") s); everything is under ${work#"$top"/}/out"
