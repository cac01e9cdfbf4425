#!/bin/sh
# tests/e2e/servers/servers.sh: the host-side crash targets for the capture
# tests, on 127.0.0.1 only, each on a free port (a QEMU user-network guest
# reaches them at 10.0.2.2). Sourced; defines functions only; the caller
# sets $top, the repository root.
#
#   servers_start DIR   start OpenSSH's sshd (own config, host key and
#                       authorized key; logs in as the user running the
#                       tests), the HTTP collector (collector.py) and an FTP
#                       server (ftpd.py, pyftpdlib); write DIR/env (see below).
#                       Status 0 when all three answer.
#   servers_stop DIR    stop what servers_start started (by the pids it wrote).
#
# DIR/env, KEY=value lines: SSH_PORT SSH_USER SSH_ROOT (directory for
# uploads) SSH_KEY (client private key) SSH_KNOWN_HOSTS (a known_hosts file
# pinning the host key for [10.0.2.2]:SSH_PORT), HTTP_PORT HTTP_ROOT
# HTTP_LOG, FTP_PORT FTP_USER FTP_PASSWORD_FILE FTP_ROOT, and after
# servers_start_nfs NFS_PORT NFS_ROOT. Logs: DIR/*.log.
#
# NFS: the host kernel here has no nfsd (no module, no /proc/fs/nfsd), so
# the server is nfs-ganesha in user space (its VFS FSAL), NFSv4 only: v3
# needs the rpcbind registration that fails without rpcbind (ganesha logs
# "Cannot register NFS V4 on UDP", harmless for v4). It exports NFS_ROOT as
# /crash on NFS_PORT, root not squashed; a guest mounts it with
# "mount -t nfs4 -o vers=4.1,port=NFS_PORT 10.0.2.2:/crash MNT".

# servers_free_port: print a TCP port on 127.0.0.1 that nothing listens on.
servers_free_port() {
	/usr/bin/python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# servers_wait_file FILE SECONDS: wait for FILE to exist.
servers_wait_file() {
	local i
	i=0
	while [ ! -s "$1" ]; do
		i=$((i + 1))
		[ "$i" -le $(($2 * 10)) ] || return 1
		sleep 0.1
	done
}

servers_start() {
	local d here sshd port i user
	d=$1
	# shellcheck disable=SC2154 # top is the caller's
	here=$top/tests/e2e/servers
	rm -rf "$d"
	mkdir -p "$d/ssh" "$d/ssh-root" "$d/http-root" "$d/ftp-root"
	chmod 700 "$d" "$d/ssh" "$d/ssh-root" "$d/http-root" "$d/ftp-root"
	user=$(id -un)
	: >"$d/env"

	# sshd: an instance of its own, key login only.
	sshd=/usr/sbin/sshd
	[ -x "$sshd" ] || {
		echo "servers: $sshd missing (apt-get install openssh-server)" >&2
		return 1
	}
	ssh-keygen -q -t ed25519 -N '' -C crashkit-e2e-host -f "$d/ssh/host_key" || return 1
	ssh-keygen -q -t ed25519 -N '' -C crashkit-e2e-client -f "$d/ssh/client_key" || return 1
	cp "$d/ssh/client_key.pub" "$d/ssh/authorized_keys"
	chmod 600 "$d/ssh/authorized_keys"
	# privilege separation wants this directory when sshd runs as root
	[ "$(id -u)" -ne 0 ] || mkdir -p /run/sshd
	port=
	for i in 1 2 3; do
		port=$(servers_free_port) || return 1
		cat >"$d/ssh/sshd_config" <<EOF
Port $port
ListenAddress 127.0.0.1
HostKey $d/ssh/host_key
PidFile $d/ssh/sshd.pid
AuthorizedKeysFile $d/ssh/authorized_keys
AllowUsers $user
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
X11Forwarding no
AllowTcpForwarding no
LogLevel VERBOSE
Subsystem sftp /usr/lib/openssh/sftp-server
EOF
		"$sshd" -D -e -f "$d/ssh/sshd_config" >>"$d/sshd.log" 2>&1 &
		echo $! >"$d/sshd.pid"
		# it answers when a key login works
		i=0
		while [ "$i" -lt 50 ]; do
			if ssh -q -p "$port" -i "$d/ssh/client_key" -o BatchMode=yes \
				-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
				-o ConnectTimeout=2 "$user@127.0.0.1" true 2>/dev/null; then
				break
			fi
			kill -0 "$(cat "$d/sshd.pid")" 2>/dev/null || break
			i=$((i + 1))
			sleep 0.1
		done
		[ "$i" -lt 50 ] && kill -0 "$(cat "$d/sshd.pid")" 2>/dev/null && break
		kill "$(cat "$d/sshd.pid")" 2>/dev/null
		port=
	done
	[ -n "$port" ] || {
		echo "servers: sshd did not come up: $(tail -n 1 "$d/sshd.log")" >&2
		return 1
	}
	# pinned host key, as the guest will name the host
	printf '[10.0.2.2]:%s %s\n' "$port" "$(cut -d ' ' -f 1,2 "$d/ssh/host_key.pub")" >"$d/ssh/known_hosts"
	{
		echo "SSH_PORT=$port"
		echo "SSH_USER=$user"
		echo "SSH_ROOT=$d/ssh-root"
		echo "SSH_KEY=$d/ssh/client_key"
		echo "SSH_KNOWN_HOSTS=$d/ssh/known_hosts"
	} >>"$d/env"

	# HTTP collector
	/usr/bin/python3 "$here/collector.py" "$d/http-root" "$d/http.port" "$d/http.log" \
		>>"$d/collector.err" 2>&1 &
	echo $! >"$d/collector.pid"
	servers_wait_file "$d/http.port" 10 || {
		echo "servers: collector did not start: $(tail -n 1 "$d/collector.err")" >&2
		return 1
	}
	{
		echo "HTTP_PORT=$(cat "$d/http.port")"
		echo "HTTP_ROOT=$d/http-root"
		echo "HTTP_LOG=$d/http.log"
	} >>"$d/env"

	# FTP
	printf 'e2e-%s\n' "$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')" >"$d/ftp-password"
	chmod 600 "$d/ftp-password"
	/usr/bin/python3 "$here/ftpd.py" "$d/ftp-root" crash "$d/ftp-password" "$d/ftp.port" "$d/ftp.log" \
		>>"$d/ftpd.err" 2>&1 &
	echo $! >"$d/ftpd.pid"
	servers_wait_file "$d/ftp.port" 10 || {
		echo "servers: ftpd did not start: $(tail -n 1 "$d/ftpd.err")" >&2
		return 1
	}
	{
		echo "FTP_PORT=$(cat "$d/ftp.port")"
		echo "FTP_USER=crash"
		echo "FTP_PASSWORD_FILE=$d/ftp-password"
		echo "FTP_ROOT=$d/ftp-root"
	} >>"$d/env"
}

# servers_start_nfs DIR: nfs-ganesha for DIR (after servers_start DIR).
servers_start_nfs() {
	local d port i
	d=$1
	command -v ganesha.nfsd >/dev/null 2>&1 || {
		echo "servers: ganesha.nfsd missing (apt-get install nfs-ganesha nfs-ganesha-vfs)" >&2
		return 1
	}
	mkdir -p "$d/nfs" "$d/nfs-root"
	chmod 700 "$d/nfs"
	chmod 755 "$d/nfs-root"
	port=$(servers_free_port) || return 1
	cat >"$d/nfs/ganesha.conf" <<GANESHA
NFS_CORE_PARAM {
	NFS_Port = $port;
	Bind_addr = 127.0.0.1;
	Protocols = 4;
	Enable_NLM = false;
	Enable_RQUOTA = false;
}
NFSV4 { Graceless = true; }
NFS_KRB5 { Active_krb5 = false; }
EXPORT {
	Export_Id = 1;
	Path = $d/nfs-root;
	Pseudo = /crash;
	Access_Type = RW;
	Squash = No_Root_Squash;
	SecType = sys;
	Transports = TCP;
	Protocols = 4;
	FSAL { Name = VFS; }
}
GANESHA
	ganesha.nfsd -F -L "$d/nfs.log" -f "$d/nfs/ganesha.conf" -p "$d/nfs/ganesha.pid" -N NIV_EVENT \
		>>"$d/nfs.err" 2>&1 &
	echo $! >"$d/ganesha.pid"
	i=0
	until grep -q 'NFS SERVER INITIALIZED' "$d/nfs.log" 2>/dev/null; do
		i=$((i + 1))
		if [ "$i" -gt 300 ] || ! kill -0 "$(cat "$d/ganesha.pid")" 2>/dev/null; then
			echo "servers: nfs-ganesha did not start: $(tail -n 1 "$d/nfs.log" 2>/dev/null)" >&2
			return 1
		fi
		sleep 0.1
	done
	{
		echo "NFS_PORT=$port"
		echo "NFS_ROOT=$d/nfs-root"
	} >>"$d/env"
}

servers_stop() {
	local p
	for p in sshd collector ftpd ganesha; do
		[ -f "$1/$p.pid" ] || continue
		kill "$(cat "$1/$p.pid")" 2>/dev/null
		rm -f "$1/$p.pid"
	done
	wait 2>/dev/null
	return 0
}

# servers_env DIR KEY: the value of KEY in DIR/env.
servers_env() {
	sed -n "s/^$2=//p" "$1/env"
}
