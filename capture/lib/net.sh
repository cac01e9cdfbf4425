# shellcheck shell=sh
# net.sh - bring up the capture kernel's network: the link, then DHCP
# (udhcpc) or the static NET_ADDRESS / NET_GATEWAY / NET_DNS.
#
# Sourced by /init (busybox ash); needs log.sh and the parsed config.
# Every step is bounded: the link wait, udhcpc's tries, each command.
# Defines functions only.
# shellcheck disable=SC3043 # `local` is in dash and busybox ash, our two shells.

# net_wanted: true when the config asks for a network.
net_wanted() {
	case $NETWORK in
	dhcp | static) return 0 ;;
	none) return 1 ;;
	esac
	conf_needs_network
}

# net_iface: print NET_INTERFACE, or the first interface that is not lo
# (in /sys/class/net order: the kernel's names sort eth0 before eth1).
net_iface() {
	local d n
	if [ "$NET_INTERFACE" != auto ]; then
		printf '%s\n' "$NET_INTERFACE"
		return 0
	fi
	for d in /sys/class/net/*; do
		n=${d##*/}
		[ "$n" = lo ] && continue
		[ -e "$d" ] || continue
		printf '%s\n' "$n"
		return 0
	done
	return 1
}

# net_wait_iface: wait up to 30 s for an interface (the NIC driver may probe
# late); print it.
net_wait_iface() {
	local n=0 ifc
	while [ "$n" -lt 30 ]; do
		if ifc=$(net_iface) && [ -e "/sys/class/net/$ifc" ]; then
			printf '%s\n' "$ifc"
			return 0
		fi
		sleep 1
		n=$((n + 1))
	done
	return 1
}

# net_wait_carrier IFACE: wait up to 15 s for the link (carrier 1).
net_wait_carrier() {
	local n=0 c
	while [ "$n" -lt 15 ]; do
		c=$(cat "/sys/class/net/$1/carrier" 2>/dev/null) || c=0
		[ "$c" = 1 ] && return 0
		sleep 1
		n=$((n + 1))
	done
	return 1
}

# net_up UDHCPC_SCRIPT: configure the network; false when it failed (the
# targets will fail and the fallback takes the log).
net_up() {
	local ifc dns
	timeout 10 ip link set lo up 2>/dev/null
	if ! ifc=$(net_wait_iface); then
		log_error "network: no interface (NET_INTERFACE=$NET_INTERFACE); is the NIC driver in modules.load?"
		return 1
	fi
	timeout 10 ip link set "$ifc" up || log_warn "network: ip link set $ifc up failed"
	net_wait_carrier "$ifc" || log_warn "network: $ifc has no carrier after 15 s; trying anyway"
	if [ "$NETWORK" = static ]; then
		log_info "network: $ifc static $NET_ADDRESS${NET_GATEWAY:+ via $NET_GATEWAY}"
		timeout 10 ip addr add "$NET_ADDRESS" dev "$ifc" || { log_error "network: ip addr add $NET_ADDRESS failed"; return 1; }
		if [ -n "$NET_GATEWAY" ]; then
			timeout 10 ip route add default via "$NET_GATEWAY" dev "$ifc" ||
				log_warn "network: default route via $NET_GATEWAY failed"
		fi
		if [ -n "$NET_DNS" ]; then
			: >/etc/resolv.conf.tmp
			for dns in $NET_DNS; do
				printf 'nameserver %s\n' "$dns" >>/etc/resolv.conf.tmp
			done
			mv -f /etc/resolv.conf.tmp /etc/resolv.conf
		fi
		return 0
	fi
	log_info "network: DHCP on $ifc"
	# -n: give up instead of going to the background; -q: quit once bound;
	# -t 5 -T 3 -A 2: five discovers 3 s apart, twice at most (outer timeout).
	if ! timeout 60 udhcpc -i "$ifc" -n -q -t 5 -T 3 -A 2 -s "$1" >/dev/null 2>&1; then
		log_error "network: DHCP on $ifc got no lease"
		return 1
	fi
	log_info "network: $ifc: $(ip -4 -o addr show dev "$ifc" 2>/dev/null | awk '{print $4; exit}')"
	return 0
}
