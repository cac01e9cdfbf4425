#!/bin/sh
# busybox udhcpc's event script for the tests/e2e guests: set the lease's
# address and default route on $interface (variables set by udhcpc).
# shellcheck disable=SC2154 # interface, ip, mask, router come from udhcpc
case $1 in
deconfig)
	ip addr flush dev "$interface"
	;;
bound | renew)
	ip addr flush dev "$interface"
	ip addr add "$ip/$mask" dev "$interface"
	if [ -n "${router:-}" ]; then
		ip route add default via "${router%% *}" dev "$interface"
	fi
	;;
esac
exit 0
