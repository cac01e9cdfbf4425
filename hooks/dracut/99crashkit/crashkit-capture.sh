#!/bin/sh
# dracut pre-pivot hook (sourced by dracut's init): on the capture kernel
# (/proc/vmcore exists) run crashkit's capture and the final action; never
# return.  On a normal boot do nothing.  pre-pivot comes after dracut has
# assembled the storage (LVM, RAID, iSCSI, multipath, crypt) and mounted the
# root file system at $NEWROOT, so the capture command line must keep root=
# (see hooks/README.md); distro-capture unmounts it again first.
if [ -e /proc/vmcore ]; then
	if [ -x /lib/crashkit/bin/busybox ]; then
		/lib/crashkit/bin/busybox sh /lib/crashkit/hooks/distro-capture dracut "${NEWROOT:-/sysroot}"
	fi
	# Not reached unless crashkit's files are missing from this image.
	echo "crashkit: capture kernel without a usable crashkit payload: rebooting" >/dev/console
	sync
	reboot -f
fi
