# A real OpenSSH server on 127.0.0.1 for bats tests, and a client config
# that reaches it.  Load it after helpers:
#
#   load helpers
#   load sshd
#   setup()    { sshd_start; }
#   teardown() { sshd_stop; }
#
# Functions:
#   sshd_start   Start /usr/sbin/sshd on 127.0.0.1 on a free port, with a
#                fresh host key and a fresh client key authorised for the
#                current user (key auth only), everything under
#                $BATS_TEST_TMPDIR/sshd.  Skips the test (visibly) when
#                sshd, ssh or ssh-keygen is missing.  Exports:
#                  SSHD_DIR    the directory (keys, configs, sshd.log)
#                  SSHD_PORT   the port sshd listens on
#                  SSH_CONFIG  an ssh_config with the port, the client key
#                              and a known_hosts holding the host key
#                              (StrictHostKeyChecking yes, BatchMode yes)
#                  SEVMIG_SSH  "ssh -F $SSH_CONFIG", the ssh command
#                              sevmig uses (lib/fetch/fetch.h)
#   sshd_stop    Stop that sshd (it runs in the foreground, -D, as a
#                child of the test: $SSHD_PID) and wait until it is gone.
#                Call it from the same setup/teardown process; safe when
#                sshd_start did not run.
#   sshd_ssh ARGS...   ssh -F $SSH_CONFIG ARGS... (e.g. sshd_ssh 127.0.0.1 true)
#   sshd_log     Print sshd's log (for a failing test's output).
#
# Sessions get XDG_CACHE_HOME=$SSHD_DIR/remote-cache and
# SEVMIG_KDS_URL=http://127.0.0.1:9/ (sshd SetEnv), so a remote sevmig never
# touches the user's cache or the real KDS.  A root sshd needs its
# privilege separation directory /run/sshd; sshd_start creates it when
# missing (as Debian's service does), and leaves it.
# shellcheck shell=bash

sshd_start() {
	local port
	[ -x /usr/sbin/sshd ] || skip "no /usr/sbin/sshd (openssh-server)"
	command -v ssh >/dev/null || skip "no ssh (openssh-client)"
	command -v ssh-keygen >/dev/null || skip "no ssh-keygen"

	SSHD_DIR=$BATS_TEST_TMPDIR/sshd
	mkdir -p "$SSHD_DIR" "$SSHD_DIR/remote-cache"
	ssh-keygen -q -t ed25519 -N '' -f "$SSHD_DIR/host_key" </dev/null
	ssh-keygen -q -t ed25519 -N '' -f "$SSHD_DIR/id_client" </dev/null
	cp "$SSHD_DIR/id_client.pub" "$SSHD_DIR/authorized_keys"
	chmod 600 "$SSHD_DIR/authorized_keys"
	if [ "$(id -u)" -eq 0 ] && [ ! -d /run/sshd ]; then
		mkdir -m 0755 /run/sshd
	fi

	# A free port can be taken between choosing and binding: retry.
	for _ in 1 2 3; do
		port=$(free_port)
		sshd_write_config "$port"
		/usr/sbin/sshd -t -f "$SSHD_DIR/sshd_config" \
			2>"$SSHD_DIR/sshd-t.log" ||
			skip "sshd refuses its test config: $(cat "$SSHD_DIR/sshd-t.log")"
		rm -f "$SSHD_DIR/sshd.pid"
		# -D: no daemon, so it stays our child and stops at once.
		/usr/sbin/sshd -D -f "$SSHD_DIR/sshd_config" \
			-E "$SSHD_DIR/sshd.log" </dev/null >/dev/null 2>&1 3>&- &
		SSHD_PID=$!
		wait_for_path "$SSHD_DIR/sshd.pid" 5 2>/dev/null && break
		kill "$SSHD_PID" 2>/dev/null
		wait "$SSHD_PID" 2>/dev/null || true
		SSHD_PID=
		port=
	done
	[ -n "$port" ] || {
		sshd_log >&2
		echo "sshd_start: sshd did not start" >&2
		return 1
	}
	SSHD_PORT=$port
	echo "[127.0.0.1]:$port $(cat "$SSHD_DIR/host_key.pub")" \
		>"$SSHD_DIR/known_hosts"
	cat >"$SSHD_DIR/ssh_config" <<-EOF
		Host *
		  Port $port
		  IdentityFile $SSHD_DIR/id_client
		  IdentitiesOnly yes
		  UserKnownHostsFile $SSHD_DIR/known_hosts
		  GlobalKnownHostsFile /dev/null
		  StrictHostKeyChecking yes
		  BatchMode yes
		  LogLevel ERROR
	EOF
	SSH_CONFIG=$SSHD_DIR/ssh_config
	SEVMIG_SSH="ssh -F $SSH_CONFIG"
	export SSHD_DIR SSHD_PORT SSH_CONFIG SEVMIG_SSH
}

# sshd_write_config PORT: the server configuration (internal).
sshd_write_config() {
	cat >"$SSHD_DIR/sshd_config" <<-EOF
		Port $1
		ListenAddress 127.0.0.1
		HostKey $SSHD_DIR/host_key
		PidFile $SSHD_DIR/sshd.pid
		AuthorizedKeysFile $SSHD_DIR/authorized_keys
		AuthenticationMethods publickey
		PubkeyAuthentication yes
		PasswordAuthentication no
		KbdInteractiveAuthentication no
		UsePAM no
		StrictModes no
		PermitRootLogin prohibit-password
		AllowUsers $(id -un)
		X11Forwarding no
		AllowTcpForwarding no
		PermitTunnel no
		SetEnv XDG_CACHE_HOME=$SSHD_DIR/remote-cache SEVMIG_KDS_URL=http://127.0.0.1:9/
		LogLevel VERBOSE
	EOF
}

sshd_stop() {
	[ -n "${SSHD_PID:-}" ] || return 0
	kill "$SSHD_PID" 2>/dev/null
	wait "$SSHD_PID" 2>/dev/null || true
	SSHD_PID=
	rm -f "$SSHD_DIR/sshd.pid"
	return 0
}

sshd_ssh() {
	ssh -F "$SSH_CONFIG" "$@"
}

sshd_log() {
	[ -f "${SSHD_DIR:-}/sshd.log" ] && cat "$SSHD_DIR/sshd.log"
	return 0
}
