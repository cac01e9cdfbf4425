#!/bin/sh
# The capture initramfs build (initramfs/build) and its cpio writer
# (initramfs/mkcpio): byte-for-byte reproducible images, mode 0600, exact
# contents checked with Debian's cpio and lsinitramfs, modules resolved from
# Debian 6.1's real module tree in dependency order (decompressed), the
# freshness stamp, hostile mkcpio inputs, and a boot of Debian's 6.1 kernel
# under QEMU (TCG) that insmods every module of modules.load and mounts an
# ext4 disk with them.  About 40 s on 2 cores.
#
# Runs the sanitized mkcpio (build/asan/mkcpio, `make test-bins`); the crashkit
# binaries shipped are stand-ins (static copies of initramfs/mkcpio), because
# what is tested here is the assembly, not the capture.
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
# check DESCRIPTION COMMAND...: pass when COMMAND succeeds.
check() {
	local what
	what=$1
	shift
	if "$@"; then pass; else fail "$what"; fi
}

mkcpio=$top/build/asan/mkcpio
static_bin=$top/initramfs/mkcpio
build=$top/initramfs/build
for f in "$mkcpio" "$static_bin"; do
	if [ ! -x "$f" ]; then
		fail "missing $f (make test-bins)"
		echo "initramfs_build: $passed passed, $failed failed"
		exit 1
	fi
done
export MKCPIO="$mkcpio"

kdir=$top/.cache/kernels/bookworm
if ! sh tests/e2e/fetch-kernel.sh bookworm "$kdir" >/dev/null; then
	fail "fetch-kernel.sh bookworm failed"
	echo "initramfs_build: $passed passed, $failed failed"
	exit 1
fi
kver=$(cat "$kdir/version")
moddir=$kdir/lib/modules/$kver

# ------------------------------------------------------------ mkcpio

# A tree with every kind of entry and every padding case.
t=$tmp/tree
mkdir -p "$t/bin" "$t/etc/secret" "$t/empty"
printf 'a' >"$t/bin/one"
printf 'ab' >"$t/bin/two"
printf 'abc' >"$t/bin/three"
printf 'abcd' >"$t/etc/four"
: >"$t/etc/zero"
printf '#!/bin/sh\n' >"$t/bin/tool"
chmod 4711 "$t/bin/tool"
ln -s tool "$t/bin/link"
printf 'key\n' >"$t/etc/secret/key"
chmod 600 "$t/etc/secret/key"
chmod 700 "$t/etc/secret"
ln "$t/bin/two" "$t/etc/hardlink"
"$mkcpio" --mtime 1700000000 --node dev/console:c:5:1:600 -o "$tmp/a.cpio" "$t" 2>"$tmp/err"
check "mkcpio refuses --node without its directory: $(cat "$tmp/err")" \
	sh -c "[ $? -eq 1 ] && grep -q 'node dev/console: its directory is not a directory of' '$tmp/err'"
mkdir "$t/dev"
"$mkcpio" --mtime 1700000000 --node dev/console:c:5:1:600 -o "$tmp/a.cpio" "$t" 2>"$tmp/err"
check "mkcpio on a good tree: $(cat "$tmp/err")" [ $? -eq 0 ]
check "mkcpio output is 0600" [ "$(stat -c %a "$tmp/a.cpio")" = 600 ]
# Debian's cpio reads it back: names, types, modes, owners, sizes, times.
LC_ALL=C cpio -tv --quiet <"$tmp/a.cpio" 2>"$tmp/err" |
	awk '{ print $1, $3, $4, $5, $(NF-1) == "->" ? $(NF-2) : $NF, $(NF-1) == "->" ? $NF : "" }' \
		>"$tmp/listing" || true
cat >"$tmp/want" <<'EOF'
drwxr-xr-x root root 0 bin 
lrwxrwxrwx root root 4 bin/link tool
-rw-r--r-- root root 1 bin/one 
-rw-r--r-- root root 3 bin/three 
-rwxr-xr-x root root 10 bin/tool 
-rw-r--r-- root root 2 bin/two 
drwxr-xr-x root root 0 dev 
crw------- root root 5, dev/console 
drwxr-xr-x root root 0 empty 
drwxr-xr-x root root 0 etc 
-rw-r--r-- root root 4 etc/four 
-rw-r--r-- root root 2 etc/hardlink 
drwx------ root root 0 etc/secret 
-rw------- root root 4 etc/secret/key 
-rw-r--r-- root root 0 etc/zero 
EOF
if diff "$tmp/want" "$tmp/listing" >"$tmp/diff"; then pass; else fail "cpio -tv listing of mkcpio's archive: $(cat "$tmp/diff")"; fi
# Contents and the mtime survive cpio -idm.
mkdir "$tmp/x"
(cd "$tmp/x" && cpio -idm --quiet --no-absolute-filenames <"$tmp/a.cpio") 2>"$tmp/err"
check "cpio -idm of mkcpio's archive: $(cat "$tmp/err")" [ -f "$tmp/x/etc/secret/key" ]
check "file bodies survive" cmp -s "$t/bin/three" "$tmp/x/bin/three"
check "mtime is --mtime" [ "$(stat -c %Y "$tmp/x/bin/three")" = 1700000000 ]
# Inode numbers 1, 2, 3... in path order, nlink 1: read the raw headers.
# (Hex through the shell's arithmetic: awk's "0x.." + 0 is 0 in gawk.)
inodes=$(od -An -c -w1 -v "$tmp/a.cpio" | tr -d ' \n' | grep -o '070701[0-9A-F]\{16\}' |
	while read -r h; do
		h=${h#070701}
		nlink=${h#????????}
		printf '%d/%d ' "$((0x${h%"$nlink"}))" "$((0x$nlink))"
	done)
case $inodes in
"1/"*" 15/"*" 0/0 ") pass ;;
*) fail "inode numbers not sequential: $inodes" ;;
esac
# The same tree made in another order, at other times, gives the same bytes.
t2=$tmp/tree2
mkdir -p "$t2/etc/secret" "$t2/bin" "$t2/empty" "$t2/dev"
ln -s tool "$t2/bin/link"
printf 'key\n' >"$t2/etc/secret/key"
chmod 600 "$t2/etc/secret/key"
chmod 700 "$t2/etc/secret"
printf 'abcd' >"$t2/etc/four"
: >"$t2/etc/zero"
printf 'ab' >"$t2/etc/hardlink"
printf 'abc' >"$t2/bin/three"
printf 'ab' >"$t2/bin/two"
printf 'a' >"$t2/bin/one"
printf '#!/bin/sh\n' >"$t2/bin/tool"
chmod 755 "$t2/bin/tool"
touch -d '2001-01-01' "$t2/bin/one" "$t2/etc"
"$mkcpio" --mtime 1700000000 --node dev/console:c:5:1:600 -o "$tmp/b.cpio" "$t2"
check "mkcpio: same tree, other creation order and times, same bytes" cmp -s "$tmp/a.cpio" "$tmp/b.cpio"
"$mkcpio" --mtime 1700000000 -o - "$t2" >"$tmp/c.cpio"
check "mkcpio -o - writes to stdout" [ "$(head -c 6 "$tmp/c.cpio")" = 070701 ]
# Debian's cpio -o of the same tree lists the same names (its own order).
(cd "$t2" && find . -mindepth 1 | cpio -o -H newc --quiet) | cpio -t --quiet | LC_ALL=C sort >"$tmp/gnu.list"
cpio -t --quiet <"$tmp/c.cpio" >"$tmp/ours.list"
check "mkcpio lists what GNU cpio -o lists, in sorted order" cmp -s "$tmp/gnu.list" "$tmp/ours.list"

# expect_mkcpio_error RC PATTERN DESCRIPTION ARGS...: mkcpio fails with RC and
# one stderr line matching PATTERN.
expect_mkcpio_error() {
	local want pattern what rc
	want=$1
	pattern=$2
	what=$3
	shift 3
	"$mkcpio" "$@" >/dev/null 2>"$tmp/err"
	rc=$?
	if [ "$rc" -eq "$want" ] && [ "$(grep -c . "$tmp/err")" -eq 1 ] && grep -q -- "$pattern" "$tmp/err"; then
		pass
	else
		fail "mkcpio $what: rc $rc (want $want), stderr: $(head -c 300 "$tmp/err")"
	fi
}
expect_mkcpio_error 1 "$tmp/nonexistent: open directory: No such file or directory" "missing directory" \
	-o "$tmp/o.cpio" "$tmp/nonexistent"
deep=$tmp/deep
long=$(printf '%0200d' 0)
p=$deep
i=0
while [ "$i" -lt 21 ]; do
	p=$p/$long
	i=$((i + 1))
done
mkdir -p "$p" 2>/dev/null
expect_mkcpio_error 1 "path of 4220 bytes is too long (an initramfs name holds at most 4095)" "path too long" \
	-o "$tmp/o.cpio" "$deep"
mkdir "$tmp/fifo" && mkfifo "$tmp/fifo/f"
expect_mkcpio_error 1 "f: not a directory, regular file or symlink" "a FIFO" -o "$tmp/o.cpio" "$tmp/fifo"
mkdir "$tmp/big" && truncate -s 5G "$tmp/big/huge"
expect_mkcpio_error 1 "huge: 5368709120 bytes is too large for newc" "a 5 GiB file" -o "$tmp/o.cpio" "$tmp/big"
expect_mkcpio_error 1 "create: No such file or directory" "unwritable output" -o "$tmp/no/dir/o.cpio" "$t2"
expect_mkcpio_error 2 "want PATH:c|b:MAJOR:MINOR:MODE" "bad --node" --node dev/console:x:5:1:600 -o "$tmp/o.cpio" "$t2"
expect_mkcpio_error 2 "want PATH:c|b:MAJOR:MINOR:MODE" "absolute --node" --node /dev/console:c:5:1:600 -o "$tmp/o.cpio" "$t2"
expect_mkcpio_error 1 "bin/one: --node names a path that is already in" "--node over a file" \
	--node bin/one:c:1:3:666 -o "$tmp/o.cpio" "$t2"
expect_mkcpio_error 2 "want seconds" "bad --mtime" --mtime 12x -o "$tmp/o.cpio" "$t2"
rm -rf "$deep" "$tmp/big"

# ------------------------------------------------------------ build inputs

# A source tree with stand-in capture scripts, hooks, static stand-in helpers.
src=$tmp/src
mkdir -p "$src/initramfs" "$src/capture/lib" "$src/capture/targets"
printf '#!/bin/sh\necho stand-in init\n' >"$src/initramfs/init"
printf '#!/bin/sh\necho stand-in crashcapture\n' >"$src/capture/crashcapture"
# The real parser: the build checks the conf with its conf_load.
cp capture/lib/conf.sh "$src/capture/lib/conf.sh"
printf 'prepare() { :; }\n' >"$src/capture/targets/local.sh"
printf 'prepare() { :; }\n' >"$src/capture/targets/ssh.sh"
bindir=$tmp/bin
mkdir -p "$bindir"
cp "$static_bin" "$bindir/crashdmesg"
cp "$static_bin" "$bindir/crashcopy"
cp "$static_bin" "$bindir/crashkit-xen"
cp "$static_bin" "$bindir/crashsend"
hooks=$tmp/hooks
mkdir -p "$hooks/pre.d" "$hooks/post.d"
printf '#!/bin/sh\nexit 0\n' >"$hooks/pre.d/10-note"
chmod 755 "$hooks/pre.d/10-note"
printf '#!/bin/sh\nexit 0\n' >"$hooks/post.d/90-done"
chmod 755 "$hooks/post.d/90-done"
mkdir -p "$tmp/emptyroot"
cat >"$tmp/local.conf" <<'EOF'
# local target on a disk this host does not have
TARGETS=local
LOCAL_DEVICE="UUID=0b7a2e5e-0000-4000-8000-000000000001"
LOCAL_FSTYPE=auto
EOF

# run_build NAME ARGS...: build into $tmp/NAME.img with the common options.
run_build() {
	local name
	name=$1
	shift
	sh "$build" --kver "$kver" --moddir "$moddir" --srcdir "$src" --bindir "$bindir" \
		--hooks "$hooks" --sysroot "$tmp/emptyroot" --firmware "$tmp/emptyroot" \
		-o "$tmp/$name.img" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
}

# modules_of IMG: the module names of IMG's modules.load (uncompressed cpio).
modules_of() {
	cpio -i --quiet --to-stdout etc/crashkit/modules.load <"$1" | sed 's,.*/,,; s,\.ko$,,' | tr '-' '_'
}

# in_dep_order IMG: every module's modules.dep dependencies come before it.
in_dep_order() {
	modules_of "$1" >"$tmp/order"
	awk 'function n(p) { sub(/.*\//, "", p); sub(/\.ko.*/, "", p); gsub(/-/, "_", p); return p }
		FILENAME == ARGV[1] { pos[$1] = NR; next }
		{ m = n($1); if (!(m in pos)) next
		  for (i = 2; i <= NF; i++) if (!(n($i) in pos) || pos[n($i)] > pos[m]) { print m " before " n($i); bad = 1 } }
		END { exit bad }' "$tmp/order" "$moddir/modules.dep" >"$tmp/order.err"
}

# has_modules IMG NAME...: modules.load names every NAME; lacks_modules: none.
has_modules() {
	local img m
	img=$1
	shift
	modules_of "$img" >"$tmp/names"
	for m in "$@"; do
		grep -qx "$m" "$tmp/names" || { echo "  no $m in $img"; return 1; }
	done
}
lacks_modules() {
	local img m
	img=$1
	shift
	modules_of "$img" >"$tmp/names"
	for m in "$@"; do
		grep -qx "$m" "$tmp/names" && { echo "  unexpected $m in $img"; return 1; }
	done
	return 0
}

# ------------------------------------------------------------ reproducible

run_build local1 --conf "$tmp/local.conf" --compress none
check "build local: $(tail -n 3 "$tmp/local1.err")" [ $? -eq 0 ]
touch -d '2002-02-02' "$tmp/local.conf" "$hooks/pre.d/10-note" "$src/initramfs/init"
run_build local2 --conf "$tmp/local.conf" --compress none
check "build local again" [ $? -eq 0 ]
check "two builds from the same inputs are identical (cmp)" cmp -s "$tmp/local1.img" "$tmp/local2.img"
check "image is 0600" [ "$(stat -c %a "$tmp/local1.img")" = 600 ]
check "OUT.inputs is 0600" [ "$(stat -c %a "$tmp/local1.img.inputs")" = 600 ]
check "no .incomplete left" [ ! -e "$tmp/local1.img.incomplete" ]
check "the build reports the image size" grep -q "^$tmp/local1.img: [0-9]* bytes (uncompressed)" "$tmp/local1.out"
check "the build reports module sizes" grep -q '^  modules *[0-9]* bytes ([0-9]* modules)' "$tmp/local1.out"
for c in gzip:1 xz:0; do
	run_build "c-${c%:*}" --conf "$tmp/local.conf" --compress "$c"
	check "build --compress $c: $(tail -n 2 "$tmp/c-${c%:*}.err")" [ $? -eq 0 ]
	case $c in
	gzip*) gzip -dc "$tmp/c-gzip.img" >"$tmp/c.cpio" ;;
	xz*) xz -dc "$tmp/c-xz.img" >"$tmp/c.cpio" ;;
	esac
	cpio -t --quiet <"$tmp/c.cpio" >"$tmp/c.list" 2>/dev/null
	cpio -t --quiet <"$tmp/local1.img" >"$tmp/none.list"
	check "--compress $c unpacks to the same file list" cmp -s "$tmp/c.list" "$tmp/none.list"
done
run_build c-gzip2 --conf "$tmp/local.conf" --compress gzip:1
check "two gzip builds are identical (cmp)" cmp -s "$tmp/c-gzip.img" "$tmp/c-gzip2.img"
check "gzip -n: no name or time in the gzip header" [ "$(od -An -tx1 -j 3 -N 5 "$tmp/c-gzip.img" | tr -d ' ')" = 0000000000 ]
expect_level_error() {
	if run_build lvl --conf "$tmp/local.conf" --compress "$1"; then
		fail "--compress $1 accepted"
	else
		check "--compress $1 refused" grep -q 'level out of range' "$tmp/lvl.err"
	fi
}
expect_level_error zstd:20
expect_level_error gzip:x
check "fallback storage is announced" grep -q 'not found on this host: fallback storage drivers' "$tmp/local1.out"

# ------------------------------------------------------------ contents

# The expected file list, from the inputs.
{
	for d in bin dev dev/console etc etc/crashkit etc/crashkit/post.d etc/crashkit/pre.d lib lib/crashkit \
		lib/crashkit/lib lib/crashkit/targets mnt proc root run sbin sys tmp usr usr/bin usr/sbin var; do
		echo "$d"
	done
	for a in $(busybox --list); do echo "bin/$a"; done
	echo bin/crashdmesg
	echo bin/crashcopy
	echo bin/crashkit-xen
	echo bin/crashsend
	echo init
	echo lib/crashkit/crashcapture
	echo lib/crashkit/lib/conf.sh
	echo lib/crashkit/targets/local.sh
	echo lib/crashkit/targets/ssh.sh
	echo etc/crashkit.conf
	echo etc/passwd
	echo etc/group
	echo etc/crashkit/build.json
	echo etc/crashkit/modules.load
	echo etc/crashkit/pre.d/10-note
	echo etc/crashkit/post.d/90-done
	cpio -i --quiet --to-stdout etc/crashkit/modules.load <"$tmp/local1.img" | sed 's,^/,,' | while IFS= read -r m; do
		p=
		for c in $(printf '%s\n' "${m%/*}" | tr '/' ' '); do
			p=${p:+$p/}$c
			echo "$p"
		done
		echo "$m"
	done
} | LC_ALL=C sort -u >"$tmp/want.list"
cpio -t --quiet <"$tmp/local1.img" >"$tmp/got.list"
if diff "$tmp/want.list" "$tmp/got.list" >"$tmp/diff"; then pass; else fail "image contents: $(head -n 20 "$tmp/diff")"; fi
check "image entries are in sorted order" sh -c "LC_ALL=C sort -c '$tmp/got.list'"
if command -v lsinitramfs >/dev/null 2>&1; then
	lsinitramfs "$tmp/local1.img" 2>/dev/null | sed 's,^\./,,' | grep -vx '\.' | LC_ALL=C sort >"$tmp/ls.list"
	check "lsinitramfs lists the same files" cmp -s "$tmp/ls.list" "$tmp/want.list"
else
	fail "lsinitramfs missing (apt-get install initramfs-tools-core)"
fi
mkdir "$tmp/u"
(cd "$tmp/u" && cpio -idm --quiet --no-absolute-filenames <"$tmp/local1.img") 2>"$tmp/err"
check "cpio -idm unpacks the image: $(cat "$tmp/err")" [ -x "$tmp/u/bin/busybox" ]
check "busybox applets link to busybox" [ "$(readlink "$tmp/u/bin/sh")" = busybox ]
check "the conf is copied as given" cmp -s "$tmp/local.conf" "$tmp/u/etc/crashkit.conf"
check "the conf is 0600 in the image" [ "$(stat -c %a "$tmp/u/etc/crashkit.conf")" = 600 ]
check "/init comes from SRCDIR/initramfs/init" cmp -s "$src/initramfs/init" "$tmp/u/init"
check "/init is executable" [ -x "$tmp/u/init" ]
check "hooks keep their bodies and execute bit" sh -c "cmp -s '$hooks/pre.d/10-note' '$tmp/u/etc/crashkit/pre.d/10-note' && [ -x '$tmp/u/etc/crashkit/pre.d/10-note' ]"
check "build.json is valid JSON naming kver and the stamp" /usr/bin/python3 -c "
import json, sys
b = json.load(open('$tmp/u/etc/crashkit/build.json'))
stamp = dict(l.rstrip('\n').split('=', 1) for l in open('$tmp/local1.img.inputs'))
sys.exit(not (b['kver'] == '$kver' and b['inputs'] == stamp and b['sizes']['modules'] > 0
              and 'ext4' in b['modules'] and b['targets'] == ['local']))"
bad=
while IFS= read -r m; do
	case $(file -b "$tmp/u$m") in
	'ELF 64-bit LSB relocatable'*) ;;
	*) bad="$bad $m" ;;
	esac
done <"$tmp/u/etc/crashkit/modules.load"
check "every module is an ELF relocatable file:$bad" [ -z "$bad" ]

# ------------------------------------------------------------ modules

check "local: fallback storage, all three file systems, watchdog" \
	has_modules "$tmp/local1.img" virtio_blk virtio_pci virtio_scsi sd_mod ahci nvme ext4 jbd2 mbcache crc32c_generic \
	xfs libcrc32c vfat fat nls_cp437 i6300esb
check "local: no network, nfs or CPU-specific crypto modules" \
	lacks_modules "$tmp/local1.img" virtio_net e1000 nfs sunrpc crc32c_intel
in_dep_order "$tmp/local1.img"
check "local: modules.load in dependency order: $(cat "$tmp/order.err")" [ ! -s "$tmp/order.err" ]
check "local: ext4's softdep crc32c_generic comes before ext4" \
	sh -c "[ \$(grep -n -x crc32c_generic '$tmp/order' | cut -d: -f1) -lt \$(grep -n -x ext4 '$tmp/order' | cut -d: -f1) ]"

# A fake /sys and /dev where the local device is a virtio disk and the NIC
# is virtio: exactly those drivers, no fallbacks.
sr=$tmp/sysroot
pci=$sr/sys/devices/pci0000:00
mkdir -p "$pci/0000:00:04.0/virtio1/block/vda/vda1" "$pci/0000:00:03.0/virtio0/net/eth0" \
	"$sr/sys/devices/virtual/net/lo" "$sr/sys/class/block" "$sr/sys/class/net" "$sr/dev/disk/by-uuid" \
	"$sr/sys/bus/pci/drivers/virtio-pci" "$sr/sys/bus/virtio/drivers/virtio_blk" \
	"$sr/sys/bus/virtio/drivers/virtio_net" "$sr/sys/module/virtio_pci" "$sr/sys/module/virtio_blk" \
	"$sr/sys/module/virtio_net"
: >"$pci/0000:00:04.0/virtio1/block/vda/vda1/partition"
ln -s "$sr/sys/module/virtio_pci" "$sr/sys/bus/pci/drivers/virtio-pci/module"
ln -s "$sr/sys/module/virtio_blk" "$sr/sys/bus/virtio/drivers/virtio_blk/module"
ln -s "$sr/sys/module/virtio_net" "$sr/sys/bus/virtio/drivers/virtio_net/module"
ln -s "$sr/sys/bus/pci/drivers/virtio-pci" "$pci/0000:00:04.0/driver"
ln -s "$sr/sys/bus/pci/drivers/virtio-pci" "$pci/0000:00:03.0/driver"
ln -s "$sr/sys/bus/virtio/drivers/virtio_blk" "$pci/0000:00:04.0/virtio1/driver"
ln -s "$sr/sys/bus/virtio/drivers/virtio_net" "$pci/0000:00:03.0/virtio0/driver"
ln -s "$pci/0000:00:04.0/virtio1" "$pci/0000:00:04.0/virtio1/block/vda/device"
ln -s "$pci/0000:00:03.0/virtio0" "$pci/0000:00:03.0/virtio0/net/eth0/device"
ln -s "$pci/0000:00:04.0/virtio1/block/vda/vda1" "$sr/sys/class/block/vda1"
ln -s "$pci/0000:00:04.0/virtio1/block/vda" "$sr/sys/class/block/vda"
ln -s "$pci/0000:00:03.0/virtio0/net/eth0" "$sr/sys/class/net/eth0"
ln -s "$sr/sys/devices/virtual/net/lo" "$sr/sys/class/net/lo"
ln -s ../../vda1 "$sr/dev/disk/by-uuid/0b7a2e5e-0000-4000-8000-000000000001"
cat >"$tmp/ext4.conf" <<'EOF'
TARGETS="local"
LOCAL_DEVICE=UUID=0b7a2e5e-0000-4000-8000-000000000001
LOCAL_FSTYPE=ext4
WATCHDOG=off
EOF
run_build ext4 --conf "$tmp/ext4.conf" --compress none --sysroot "$sr"
check "build with a resolvable device: $(tail -n 3 "$tmp/ext4.err")" [ $? -eq 0 ]
check "resolved device: virtio_blk via virtio_pci, ext4" has_modules "$tmp/ext4.img" virtio_blk virtio_pci ext4 crc32c_generic
check "resolved device: no fallback drivers, no other file system, WATCHDOG=off" \
	lacks_modules "$tmp/ext4.img" ahci nvme sd_mod virtio_scsi xfs vfat i6300esb watchdog

# nfs + ssh: NIC and nfs modules, no storage; key, pinned host key, client.
ssh-keygen -q -t ed25519 -N '' -f "$tmp/id" </dev/null
printf '10.0.2.2 %s\n' "$(cut -d ' ' -f 1,2 "$tmp/id.pub")" >"$tmp/known_hosts"
mkdir -p "$tmp/fw"
printf 'fake firmware\n' >"$tmp/fw/me2600_firmware.bin"
printf 'ftp secret\n' >"$tmp/ftp-pass"
cat >"$tmp/net.conf" <<EOF
TARGETS="nfs ssh ftp"
FTP_HOST=10.0.2.2
FTP_PASSWORD_FILE=$tmp/ftp-pass
NFS_EXPORT=10.0.2.2:/export
SSH_TARGET=crash@10.0.2.2
SSH_KEY=$tmp/id
SSH_KNOWN_HOSTS=$tmp/known_hosts
EXTRA_MODULES=me_daq
EOF
run_build net --conf "$tmp/net.conf" --compress none --sysroot "$sr" --firmware "$tmp/fw"
check "build nfs ssh: $(tail -n 3 "$tmp/net.err")" [ $? -eq 0 ]
check "nfs ssh: the host's NIC driver, nfs and its dependencies, EXTRA_MODULES" \
	has_modules "$tmp/net.img" virtio_net virtio_pci nfs nfsv3 nfsv4 sunrpc lockd grace me_daq comedi
check "nfs ssh: no storage, file system or fallback NIC modules" \
	lacks_modules "$tmp/net.img" virtio_blk ahci ext4 xfs vfat e1000 e1000e
in_dep_order "$tmp/net.img"
check "nfs ssh: modules.load in dependency order: $(cat "$tmp/order.err")" [ ! -s "$tmp/order.err" ]
mkdir "$tmp/n"
(cd "$tmp/n" && cpio -idm --quiet --no-absolute-filenames <"$tmp/net.img") 2>/dev/null
check "ssh key in the image, 0600" sh -c "cmp -s '$tmp/id' '$tmp/n/etc/crashkit/ssh/key' && [ \$(stat -c %a '$tmp/n/etc/crashkit/ssh/key') = 600 ]"
check "pinned known_hosts in the image" cmp -s "$tmp/known_hosts" "$tmp/n/etc/crashkit/ssh/known_hosts"
check "the conf's SSH_KEY and SSH_KNOWN_HOSTS paths lead to them in the image" sh -c "
	[ \$(readlink '$tmp/n$tmp/id') = /etc/crashkit/ssh/key ] &&
	[ \$(readlink '$tmp/n$tmp/known_hosts') = /etc/crashkit/ssh/known_hosts ]"
check "the FTP password file is in the image, 0600, also at its configured path" sh -c "
	cmp -s '$tmp/ftp-pass' '$tmp/n/etc/crashkit/ftp-password' &&
	[ \$(stat -c %a '$tmp/n/etc/crashkit/ftp-password') = 600 ] &&
	[ \$(readlink '$tmp/n$tmp/ftp-pass') = /etc/crashkit/ftp-password ]"
check "the module's firmware is copied" cmp -s "$tmp/fw/me2600_firmware.bin" "$tmp/n/lib/firmware/me2600_firmware.bin"
client=
for c in "$tmp/n/bin/dbclient" "$tmp/n/bin/ssh"; do
	[ -f "$c" ] && client=$c && break
done
mknod "$tmp/n/dev/null" c 1 3 2>/dev/null
if [ -n "$client" ] && chroot "$tmp/n" "/bin/${client##*/}" -V >"$tmp/ssh.v" 2>&1; then
	pass
else
	fail "the ssh client does not run inside the image (library closure): $(head -c 200 "$tmp/ssh.v" 2>/dev/null)"
fi
rm -f "$tmp/fw/me2600_firmware.bin"
run_build net2 --conf "$tmp/net.conf" --compress none --sysroot "$sr" --firmware "$tmp/fw"
check "missing firmware is a warning, not an error" [ $? -eq 0 ]
check "missing firmware is named" grep -q 'firmware me2600_firmware.bin (for me_daq.ko) not in' "$tmp/net2.err"

# Installed layout (make install): the script finds its data directory from
# its own path, crashdmesg in PREFIX/bin, crashcopy in PREFIX/sbin, other
# helpers in PREFIX/lib/crashkit/bin, never mkcpio itself.  This data
# directory has no lib/conf.sh: the build's own small parser reads the conf.
inst=$tmp/inst/usr
mkdir -p "$inst/bin" "$inst/sbin" "$inst/lib/crashkit/bin" "$inst/lib/crashkit/lib" "$inst/lib/crashkit/targets"
cp "$build" "$inst/lib/crashkit/build"
cp "$static_bin" "$inst/lib/crashkit/mkcpio"
cp "$src/initramfs/init" "$inst/lib/crashkit/init"
cp "$src/capture/crashcapture" "$inst/lib/crashkit/crashcapture"
printf 'log() { :; }\n' >"$inst/lib/crashkit/lib/log.sh"
cp "$src/capture/targets/local.sh" "$inst/lib/crashkit/targets/local.sh"
cp "$static_bin" "$inst/bin/crashdmesg"
cp "$static_bin" "$inst/sbin/crashcopy"
cp "$static_bin" "$inst/lib/crashkit/bin/crashkit-xen"
if env -u MKCPIO sh "$inst/lib/crashkit/build" --kver "$kver" --moddir "$moddir" --hooks "$hooks" \
	--sysroot "$tmp/emptyroot" --conf "$tmp/local.conf" --compress none -o "$tmp/inst.img" >/dev/null 2>"$tmp/inst.err"; then
	cpio -t --quiet <"$tmp/inst.img" >"$tmp/inst.list"
	check "installed layout: helpers, scripts and /init found, mkcpio not shipped" sh -c "
		for f in bin/crashdmesg bin/crashcopy bin/crashkit-xen init lib/crashkit/crashcapture \
			lib/crashkit/lib/log.sh lib/crashkit/targets/local.sh; do grep -qx \"\$f\" '$tmp/inst.list' || exit 1; done
		! grep -q mkcpio '$tmp/inst.list'"
else
	fail "installed layout build: $(tail -n 2 "$tmp/inst.err")"
fi
# Refusals.
# expect_build_error PATTERN DESCRIPTION ARGS...
expect_build_error() {
	local pattern what
	pattern=$1
	what=$2
	shift 2
	if run_build bad "$@"; then
		fail "build $what: succeeded"
	elif grep -q -- "$pattern" "$tmp/bad.err"; then
		pass
	else
		fail "build $what: stderr lacks '$pattern': $(head -c 300 "$tmp/bad.err")"
	fi
	check "build $what leaves no image" [ ! -e "$tmp/bad.img" ]
}
printf '10.0.2.3 %s\n' "$(cut -d ' ' -f 1,2 "$tmp/id.pub")" >"$tmp/other_hosts"
sed "s,^SSH_KNOWN_HOSTS=.*,SSH_KNOWN_HOSTS=$tmp/other_hosts," "$tmp/net.conf" >"$tmp/tofu.conf"
expect_build_error "has no key for 10.0.2.2" "without a pinned host key" --conf "$tmp/tofu.conf" --compress none
printf 'TARGETS=local\nLOCAL_DEVICE=/dev/vda\nEXTRA_MODULES=no_such_module\n' >"$tmp/extra.conf"
expect_build_error "EXTRA_MODULES: no_such_module is neither in" "with an unknown EXTRA_MODULES" --conf "$tmp/extra.conf"
printf 'TARGETS="local tape"\nLOCAL_DEVICE=/dev/vda\n' >"$tmp/tape.conf"
expect_build_error "tape.conf:1: TARGETS: 'local tape' is not a list of" "with an unknown target (conf_load)" --conf "$tmp/tape.conf"
expect_build_error "TARGETS: unknown target 'tape'" "with an unknown target (own parser)" --conf "$tmp/tape.conf" \
	--srcdir "$tmp/inst/usr/lib/crashkit"
expect_build_error "is dynamically linked" "with a dynamic busybox" --conf "$tmp/local.conf" --busybox /bin/ls
mkdir -p "$tmp/dynbin"
cp "$bindir/crashdmesg" "$tmp/dynbin/crashdmesg"
cp "$mkcpio" "$tmp/dynbin/crashcopy"
expect_build_error "crashcopy is dynamically linked" "with a dynamic crashcopy" --conf "$tmp/local.conf" --bindir "$tmp/dynbin"
grep -v '^CONFIG_RD_ZSTD=' "$kdir/boot/config-$kver" >"$tmp/kconfig-nozstd"
expect_build_error "CONFIG_RD_ZSTD is not set: the kernel cannot unpack a zstd initramfs" \
	"with zstd for a kernel without CONFIG_RD_ZSTD" --conf "$tmp/local.conf" --compress zstd --kconfig "$tmp/kconfig-nozstd"
sh "$build" --kver "$kver" --moddir "$moddir" --srcdir "$src" --bindir "$bindir" --hooks "$hooks" \
	--conf "$tmp/local.conf" --kconfig "$tmp/kconfig-nozstd" --print-inputs >"$tmp/autogz.out" 2>&1
check "auto picks gzip for a kernel without CONFIG_RD_ZSTD" grep -qx 'compress=gzip:9' "$tmp/autogz.out"
mkdir -p "$tmp/nosend"
cp "$bindir/crashdmesg" "$bindir/crashcopy" "$tmp/nosend/"
printf 'TARGETS="http local"\nHTTP_URL=http://10.0.2.2:8080/c\nLOCAL_DEVICE=/dev/vda\n' >"$tmp/http.conf"
expect_build_error "TARGETS has http but crashsend is not found" "for http without crashsend" \
	--conf "$tmp/http.conf" --bindir "$tmp/nosend"
run_build nosend --conf "$tmp/local.conf" --bindir "$tmp/nosend" --compress none
check "crashsend is optional without an http target" [ $? -eq 0 ]
expect_build_error "--compress 'lz4'" "with an unknown compressor" --conf "$tmp/local.conf" --compress lz4

# busybox ash runs the build as dash does: same bytes.
if busybox sh "$build" --kver "$kver" --moddir "$moddir" --srcdir "$src" --bindir "$bindir" --hooks "$hooks" \
	--sysroot "$tmp/emptyroot" --firmware "$tmp/emptyroot" --conf "$tmp/local.conf" --compress none \
	-o "$tmp/ash.img" >/dev/null 2>"$tmp/ash.err"; then
	check "busybox ash builds the same bytes as dash" cmp -s "$tmp/ash.img" "$tmp/local1.img"
else
	fail "build under busybox ash: $(tail -n 2 "$tmp/ash.err")"
fi

# ------------------------------------------------------------ freshness stamp

# stamp ARGS...: --print-inputs with the common options.
stamp() {
	sh "$build" --kver "$kver" --moddir "$moddir" --srcdir "$src" --bindir "$bindir" --hooks "$hooks" \
		--sysroot "$tmp/emptyroot" --compress none --print-inputs "$@" 2>/dev/null
}
stamp --conf "$tmp/local.conf" >"$tmp/s1"
check "--print-inputs equals the stored OUT.inputs" cmp -s "$tmp/s1" "$tmp/local1.img.inputs"
check "--print-inputs names kver" grep -qx "kver=$kver" "$tmp/s1"
stamp --conf "$tmp/local.conf" >"$tmp/s2"
check "--print-inputs is stable" cmp -s "$tmp/s1" "$tmp/s2"
cp "$tmp/local.conf" "$tmp/changed.conf"
echo 'WATCHDOG=off' >>"$tmp/changed.conf"
stamp --conf "$tmp/changed.conf" >"$tmp/s3"
check "a changed conf changes --print-inputs" sh -c "! cmp -s '$tmp/s1' '$tmp/s3' && grep -q '^conf_sha256=' '$tmp/s3'"
printf '#!/bin/sh\nexit 1\n' >"$hooks/post.d/95-new"
stamp --conf "$tmp/local.conf" >"$tmp/s4"
rm -f "$hooks/post.d/95-new"
check "a new hook changes --print-inputs" sh -c "! cmp -s '$tmp/s1' '$tmp/s4'"
printf '# changed\n' >>"$src/capture/targets/local.sh"
stamp --conf "$tmp/local.conf" >"$tmp/s5"
check "a changed target script changes --print-inputs" sh -c "! cmp -s '$tmp/s1' '$tmp/s5'"

# ------------------------------------------------------------ boot proof

# Boot Debian's 6.1 kernel with the zstd image (the default for a kernel with
# CONFIG_RD_ZSTD=y) and a test /init that insmods every module of
# modules.load, then mounts the virtio disk (ext4, needs crc32c_generic).
cat >"$tmp/test-init" <<'EOF'
#!/bin/sh
PATH=/bin
export PATH
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
n=0
ok=0
while read -r m; do
	n=$((n + 1))
	if insmod "$m" 2>/tmp/err; then
		ok=$((ok + 1))
	else
		echo "crashkit-build-test: insmod $m failed: $(cat /tmp/err)"
	fi
done </etc/crashkit/modules.load
echo "crashkit-build-test: loaded $ok of $n"
i=0
while [ ! -b /dev/vda ] && [ "$i" -lt 20 ]; do
	sleep 1
	i=$((i + 1))
done
mkdir -p /mnt/disk
if mount -t ext4 -o ro /dev/vda /mnt/disk 2>/tmp/err; then
	cat /mnt/disk/marker
else
	echo "crashkit-build-test: mount failed: $(cat /tmp/err)"
fi
echo "crashkit-build-test: done"
poweroff -f
EOF
run_build boot --conf "$tmp/local.conf" --init "$tmp/test-init"
check "build the boot image (auto compression): $(tail -n 3 "$tmp/boot.err")" [ $? -eq 0 ]
check "auto compression is zstd for Debian 6.1" \
	sh -c "grep -q '(zstd -9)\$' '$tmp/boot.out' && [ \$(od -An -tx1 -N4 '$tmp/boot.img' | tr -d ' ') = 28b52ffd ]"
mkdir -p "$tmp/disk"
printf 'crashkit-build-test: ext4 marker read\n' >"$tmp/disk/marker"
mkfs.ext4 -q -F -d "$tmp/disk" "$tmp/disk.img" 16M >/dev/null 2>&1
nmods=$(zstd -dc "$tmp/boot.img" | cpio -i --quiet --to-stdout etc/crashkit/modules.load | grep -c .)
start=$(date +%s)
timeout -k 5 90 qemu-system-x86_64 -accel tcg -M pc -cpu qemu64 -smp 1 -m 256 -nographic -no-reboot -nic none \
	-kernel "$kdir/vmlinuz" -initrd "$tmp/boot.img" -append 'console=ttyS0 panic=-1 quiet' \
	-drive "file=$tmp/disk.img,format=raw,if=none,id=d1" -device virtio-blk-pci,drive=d1 \
	</dev/null >"$tmp/console.log" 2>&1
echo "boot: qemu ran $(($(date +%s) - start)) s, $nmods modules"
tr -d '\r' <"$tmp/console.log" >"$tmp/console.txt"
check "boot: every module of modules.load loads ($nmods): $(grep -a 'insmod.*failed' "$tmp/console.txt" | head -n 3)" \
	grep -aq "crashkit-build-test: loaded $nmods of $nmods\$" "$tmp/console.txt"
check "boot: ext4 on the virtio disk mounts with the shipped modules: $(grep -a 'mount failed' "$tmp/console.txt")" \
	grep -aq 'crashkit-build-test: ext4 marker read$' "$tmp/console.txt"
check "boot: the test /init ran to the end: $(tail -n 5 "$tmp/console.txt")" grep -aq 'crashkit-build-test: done$' "$tmp/console.txt"

# Compressed moddir: .ko.xz, .ko.zst and .ko.gz are decompressed at build time
# to the same bytes (Debian 6.1 ships plain .ko; newer kernels compress).
cm=$tmp/cmod
mkdir -p "$cm"
cp "$moddir/modules.builtin" "$moddir/modules.softdep" "$moddir/modules.alias" "$cm/"
i=0
for m in $(cpio -i --quiet --to-stdout etc/crashkit/modules.load <"$tmp/ext4.img"); do
	rel=${m#/lib/modules/"$kver"/}
	mkdir -p "$cm/${rel%/*}"
	case $((i % 3)) in
	0) xz -c --check=crc32 "$moddir/$rel" >"$cm/$rel.xz" && echo "$rel xz" ;;
	1) zstd -q -c "$moddir/$rel" >"$cm/$rel.zst" && echo "$rel zst" ;;
	2) gzip -c "$moddir/$rel" >"$cm/$rel.gz" && echo "$rel gz" ;;
	esac
	i=$((i + 1))
done >"$tmp/cmap"
awk 'FILENAME == ARGV[1] { ext[$1] = "." $2; next }
	{ for (i = 1; i <= NF; i++) { p = $i; c = ""; if (i == 1) { sub(/:$/, "", p); c = ":" } if (p in ext) p = p ext[p]; $i = p c } print }' \
	"$tmp/cmap" "$moddir/modules.dep" >"$cm/modules.dep"
sh "$build" --kver "$kver" --moddir "$cm" --srcdir "$src" --bindir "$bindir" --hooks "$hooks" --sysroot "$sr" \
	--conf "$tmp/ext4.conf" --compress none -o "$tmp/cmod.img" >/dev/null 2>"$tmp/cmod.err"
check "build from a compressed module tree: $(tail -n 2 "$tmp/cmod.err")" [ $? -eq 0 ]
mkdir "$tmp/c"
(cd "$tmp/c" && cpio -idm --quiet --no-absolute-filenames <"$tmp/cmod.img") 2>/dev/null
bad=
while read -r rel how; do
	cmp -s "$moddir/$rel" "$tmp/c/lib/modules/$kver/$rel" || bad="$bad $rel($how)"
done <"$tmp/cmap"
check "compressed modules (xz, zst, gz) decompress to the original .ko:$bad" [ -z "$bad" ]
check "same modules.load from the compressed tree" sh -c \
	"cpio -i --quiet --to-stdout etc/crashkit/modules.load <'$tmp/ext4.img' | cmp -s - '$tmp/c/etc/crashkit/modules.load'"

echo "initramfs_build: $passed passed, $failed failed"
