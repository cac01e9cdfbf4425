#!/bin/sh
# A post.d hook for tests/e2e/capture-vm.sh scenarios: copy the capture
# kernel's /proc/vmcore, raw, to the spare disk whose first bytes are the
# line "CRASHKIT-E2E-RAWCOPY" (the host then holds the same core the capture
# read, for vmcore-dmesg and page checks): the core at 1 MiB, then a line
# "CRASHKIT-VMCORE <bytes>" over the magic at offset 0.
magic=CRASHKIT-E2E-RAWCOPY
for d in /dev/vd[a-z]; do
	[ -b "$d" ] || continue
	[ "$(head -c 20 "$d" 2>/dev/null)" = "$magic" ] || continue
	size=$(stat -c %s /proc/vmcore) || exit 1
	echo "rawcopy: /proc/vmcore ($size bytes) to $d"
	dd if=/proc/vmcore of="$d" bs=1M seek=1 conv=fsync 2>/tmp/rawcopy.log || {
		tail -n 1 /tmp/rawcopy.log >&2
		exit 1
	}
	printf 'CRASHKIT-VMCORE %s\n' "$size" >/tmp/rawcopy.header
	dd if=/tmp/rawcopy.header of="$d" conv=notrunc,fsync 2>/dev/null || exit 1
	exit 0
done
echo "rawcopy: no disk starts with $magic" >&2
exit 1
