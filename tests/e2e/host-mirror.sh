# host-mirror.sh: sourced by the scripts that fetch Debian packages with a
# private apt configuration (tests/e2e/fetch-kernel.sh,
# tests/peers/fetch-makedumpfile-zstd.sh, fetch-makedumpfile-foreign.sh):
# the host's mirror, and an apt state of the script's own (sources list,
# lists and archive cache) that never touches the host's.  No mirror host
# name is written in this tree: it comes from the host's own apt sources.

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

# apt_private_setup DIR SUITE ARCH [KEYRING]: a private apt state in DIR for
# SUITE's main component, packages for ARCH, from the host's mirror; its
# Release file is checked against KEYRING, or trusted without one.  Sets
# apt_dir, apt_arch and apt_mirror for apt_private.  Returns 1 when the
# host names no mirror or DIR cannot be made.
apt_private_setup() {
	local opt
	apt_dir=$1
	apt_arch=$3
	apt_mirror=$(host_mirror) || return 1
	mkdir -p "$apt_dir/lists/partial" "$apt_dir/archives/partial" 2>/dev/null || return 1
	if [ -n "${4:-}" ]; then
		opt="signed-by=$4"
	else
		opt="trusted=yes"
	fi
	printf 'deb [%s] %s %s main\n' "$opt" "$apt_mirror" "$2" >"$apt_dir/sources.list"
}

# apt_private TOOL ARGS...: apt-get or apt-cache on that state only (no
# sources, lists, archives or dpkg status of the host), for at most five
# minutes.
apt_private() {
	local tool
	tool=$1
	shift
	timeout 300 "$tool" -q \
		-o Dir::Etc::sourcelist="$apt_dir/sources.list" \
		-o Dir::Etc::sourceparts=- \
		-o Dir::State::Lists="$apt_dir/lists" \
		-o Dir::State::status=/dev/null \
		-o Dir::Cache::archives="$apt_dir/archives" \
		-o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= \
		-o Debug::NoLocking=1 \
		-o APT::Sandbox::User=root \
		-o APT::Architecture="$apt_arch" \
		"$@"
}

# apt_private_libs PKG: the library packages (lib*, zlib1g) of PKG's
# dependency closure, one a line, sorted.
apt_private_libs() {
	apt_private apt-cache depends --recurse --no-recommends --no-suggests \
		--no-conflicts --no-breaks --no-replaces --no-enhances "$1" |
		sed -n 's/^\(lib[^ <]*\)$/\1/p; s/^\(zlib1g\)$/\1/p' | sort -u
}
