#!/bin/sh
# udhcpc.sh - udhcpc's event script in the capture kernel: apply the lease.
# /init copies it to /run and runs `udhcpc -s` with it. udhcpc passes the
# event as $1 and the lease in the environment (interface, ip, mask, router,
# dns). POSIX sh.
# shellcheck disable=SC2154 # interface, ip, mask, router, dns come from udhcpc.
case $1 in
deconfig)
	ip -4 addr flush dev "$interface" 2>/dev/null
	ip link set "$interface" up
	;;
bound | renew)
	ip -4 addr flush dev "$interface" 2>/dev/null
	ip addr add "$ip/${mask:-24}" dev "$interface"
	if [ -n "${router:-}" ]; then
		for r in $router; do
			ip route add default via "$r" dev "$interface" && break
		done
	fi
	if [ -n "${dns:-}" ]; then
		: >/etc/resolv.conf.tmp
		for d in $dns; do
			printf 'nameserver %s\n' "$d" >>/etc/resolv.conf.tmp
		done
		mv -f /etc/resolv.conf.tmp /etc/resolv.conf
	fi
	;;
esac
exit 0
