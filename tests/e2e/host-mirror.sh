# host-mirror.sh: sourced by the scripts that fetch Debian packages with a
# private apt configuration (tests/e2e/fetch-kernel.sh,
# tests/peers/fetch-makedumpfile-zstd.sh).  No mirror host name is written
# in this tree: it comes from the host's own apt sources.

# host_mirror: print the host's main Debian archive URI (not the security one).
host_mirror() {
	local f uri
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		uri=$(awk '$1 == "URIs:" { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' "$f")
		[ -n "$uri" ] && { printf '%s\n' "$uri"; return 0; }
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -r "$f" ] || continue
		# deb [options] URI suite component...
		uri=$(awk '$1 == "deb" { i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
			if ($i !~ /security/) { print $i; exit } }' "$f")
		[ -n "$uri" ] && { printf '%s\n' "$uri"; return 0; }
	done
	return 1
}
