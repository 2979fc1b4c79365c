# SPDX-License-Identifier: ISC
# Copyright (c) 2026 the libdaemonize authors
#
# Helpers shared by the supervisor tests (sourced, not run).  Each test
# script runs echod under one real service manager and prints one
# "ok N - ..." / "not ok N - ..." line per check, then exits 0 (all
# passed), 1 (a check failed) or 77 (the supervisor cannot run here; the
# reason is printed).  Inputs, from the environment:
#   ECHOD   the echod binary to test (required)
#   LIBDIR  the directory holding libdaemonize.so* it is linked with
#   DZ_TIME_FACTOR  multiplies every timeout (default 1; >1 on slow CI)
# Everything a test starts is recorded and undone by dz_cleanup, which
# the EXIT trap runs also when a check fails or the script is killed.

# shellcheck shell=bash
set -u

DZ_NAME=${DZ_NAME:-$(basename "$0" .sh)}
DZ_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DZ_TOP=$(cd "$DZ_HERE/../.." && pwd)
# shellcheck disable=SC2034  # used by the test scripts
DZ_SERVICES=$DZ_TOP/examples/services
DZ_N=0          # checks reported so far
DZ_FAILED=0     # checks that failed
DZ_CLEANUP=()   # shell commands run in reverse order at exit
DZ_TMP=
DZ_WHY=         # set by a check function to explain a failure

# dz_t SECONDS: a timeout scaled by DZ_TIME_FACTOR (may be fractional).
dz_t() {
	awk -v t="$1" -v f="${DZ_TIME_FACTOR:-1}" 'BEGIN { printf "%g", t * f }'
}

dz_log() { printf '# %s\n' "$*"; }

# dz_skip_all REASON: the whole test cannot run here (automake: 77).
dz_skip_all() {
	printf '1..0 # SKIP %s: %s\n' "$DZ_NAME" "$*"
	exit 77
}

# dz_result NAME RC [REASON]: one result line.
dz_result() {
	DZ_N=$((DZ_N + 1))
	if [ "$2" -eq 0 ]; then
		printf 'ok %d - %s\n' "$DZ_N" "$1"
	else
		DZ_FAILED=$((DZ_FAILED + 1))
		printf 'not ok %d - %s%s\n' "$DZ_N" "$1" "${3:+: $3}"
	fi
}

# dz_check NAME FUNCTION ARGS...: run a check function; it may set
# DZ_WHY to say why it failed.
dz_check() {
	local name=$1 rc
	shift
	DZ_WHY=
	"$@"
	rc=$?
	dz_result "$name" "$rc" "$DZ_WHY"
	return "$rc"
}

# dz_na NAME REASON: a check that does not apply to this supervisor (it
# has no such protocol); reported, never counted as passed silently.
dz_na() {
	DZ_N=$((DZ_N + 1))
	printf 'ok %d - %s # SKIP %s\n' "$DZ_N" "$1" "$2"
}

dz_defer() { DZ_CLEANUP+=("$1"); }

# dz_kill_pid PID: TERM, a bounded wait, then KILL.  Only pids this test
# started (or found by its own unique temp path) are ever passed here.
dz_kill_pid() {
	local pid=${1:-} i
	[ -n "$pid" ] || return 0
	kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < 50; i++)); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	return 0
}

# dz_pids_mentioning STRING: pids whose command line contains STRING
# (every daemon and supervisor a test starts has its temp dir in argv or
# is found otherwise, so this is the safety net for strays).
dz_pids_mentioning() {
	# The pattern comes from a file so that grep's own argv does not match.
	grep -lasF -f <(printf '%s\n' "$1") /proc/[0-9]*/cmdline 2>/dev/null |
	    cut -d/ -f3 | grep -vx "$$"
	return 0
}

dz_cleanup() {
	local i pid
	trap - EXIT INT TERM HUP
	# Cleanup goes on even if nobody reads our output any more.
	trap '' PIPE
	for ((i = ${#DZ_CLEANUP[@]} - 1; i >= 0; i--)); do
		# A subshell: one failing step (set -u) must not skip the rest.
		(eval "${DZ_CLEANUP[$i]}") >/dev/null 2>&1
	done
	if [ -n "$DZ_TMP" ] && [ -d "$DZ_TMP" ]; then
		for pid in $(dz_pids_mentioning "$DZ_TMP"); do
			dz_log "cleanup: killing stray pid $pid"
			kill -KILL "$pid" 2>/dev/null
		done
		umount -R "$DZ_TMP" >/dev/null 2>&1
		rm -rf "$DZ_TMP"
	fi
}

# dz_init: check the inputs, make the temp tree, install the trap.
dz_init() {
	[ -n "${ECHOD:-}" ] || { echo "ECHOD is not set"; exit 99; }
	[ -x "$ECHOD" ] || { echo "ECHOD=$ECHOD is not executable"; exit 99; }
	ECHOD=$(cd "$(dirname "$ECHOD")" && pwd)/$(basename "$ECHOD")
	if [ -z "${LIBDIR:-}" ]; then
		LIBDIR=$(dirname "$ECHOD")/../lib/.libs
	fi
	LIBDIR=$(cd "$LIBDIR" 2>/dev/null && pwd) ||
		{ echo "LIBDIR does not exist"; exit 99; }
	# The shipped files run echod as root with -u nobody, as on a real
	# system; the managers' control files are root's too.
	[ "$(id -u)" -eq 0 ] || dz_skip_all "not root: the service files start echod as root with -u nobody"
	# The detection is what is tested: no override may leak in from the
	# caller's environment (service files set their own).
	unset DAEMONIZE_MODE NOTIFY_SOCKET LISTEN_PID LISTEN_FDS LISTEN_FDNAMES \
	    SYSTEMD_EXEC_PID WATCHDOG_PID WATCHDOG_USEC SUPERVISOR_ENABLED
	trap dz_cleanup EXIT
	# PIPE too: a reader that goes away (| head) must not skip the cleanup.
	trap 'exit 1' INT TERM HUP PIPE
	DZ_TMP=$(mktemp -d "/tmp/dz-$DZ_NAME.XXXXXX") || exit 99
	# The daemons drop to nobody and must still reach their binary.
	chmod 755 "$DZ_TMP"
	# A copy of echod and its library: the service files are used with
	# only paths and the port substituted, nobody can read them, and a
	# build tree may be rebuilt under a running test.
	mkdir -p "$DZ_TMP/bin" "$DZ_TMP/lib" "$DZ_TMP/run" "$DZ_TMP/log"
	cp "$ECHOD" "$DZ_TMP/bin/echod" || exit 99
	cp -P "$LIBDIR"/libdaemonize.so* "$DZ_TMP/lib/" || exit 99
	export LD_LIBRARY_PATH="$DZ_TMP/lib"
	DZ_ECHOD=$DZ_TMP/bin/echod
	DZ_PIDFILE=$DZ_TMP/run/echod.pid
	DZ_PORT=$(dz_free_port) || { echo "no free port"; exit 99; }
	dz_log "$DZ_NAME: echod $ECHOD, port $DZ_PORT, temp $DZ_TMP"
}

# dz_finish: the exit status from the results.
dz_finish() {
	printf '1..%d\n' "$DZ_N"
	[ "$DZ_FAILED" -eq 0 ] && exit 0
	exit 1
}

# dz_wait TIMEOUT COMMAND...: poll COMMAND until it succeeds; bounded by
# wall-clock time and by a count, so a stopped clock cannot hang it.
dz_wait() {
	local t end n=0 max
	t=$(dz_t "$1")
	shift
	end=$(( ${EPOCHREALTIME/./} + ${t%.*} * 1000000 + 1000000 ))
	max=$(awk -v t="$t" 'BEGIN { printf "%d", t * 20 + 20 }')
	while :; do
		"$@" && return 0
		n=$((n + 1))
		[ "$n" -ge "$max" ] && return 1
		[ "${EPOCHREALTIME/./}" -ge "$end" ] && return 1
		sleep 0.05
	done
}

# The port as /proc/net/tcp writes it: 4 upper-case hex digits.
dz_hexport() { printf '%04X' "$1"; }

# dz_port_used PORT: some socket (any state, v4 or v6) has this local port.
dz_port_used() {
	local hp
	hp=$(dz_hexport "$1")
	awk -v p=":$hp" 'NR > 1 && substr($2, length($2) - 4) == p { f = 1 }
	    END { exit !f }' /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# dz_free_port: a port nothing uses, at random so that parallel tests
# rarely collide; bounded tries.
dz_free_port() {
	local i p
	for ((i = 0; i < 100; i++)); do
		p=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
		dz_port_used "$p" || { echo "$p"; return 0; }
	done
	return 1
}

# dz_listen_inode PORT: the inode of the socket listening on
# 127.0.0.1:PORT, or nothing.
dz_listen_inode() {
	local hp
	hp=$(dz_hexport "$1")
	awk -v a="0100007F:$hp" 'NR > 1 && $2 == a && $4 == "0A" { print $10; exit }' \
	    /proc/net/tcp
}

dz_listening() { [ -n "$(dz_listen_inode "$1")" ]; }
dz_not_listening() { ! dz_listening "$1"; }

# dz_listen_pids PORT: the pids (in our pid namespace) holding the
# listening socket of 127.0.0.1:PORT, one a line.
dz_listen_pids() {
	local ino
	ino=$(dz_listen_inode "$1")
	[ -n "$ino" ] || return 0
	find /proc/[0-9]*/fd -maxdepth 1 -lname "socket:?$ino?" 2>/dev/null |
	    cut -d/ -f3 | sort -un
}

# dz_serving_pid PORT: the one pid holding the listening socket; fails
# (with DZ_WHY) if there is none or more than one.
dz_serving_pid() {
	local pids n
	pids=$(dz_listen_pids "$1")
	n=$(printf '%s' "$pids" | grep -c .)
	if [ "$n" -ne 1 ]; then
		DZ_WHY="$n processes hold 127.0.0.1:$1 (${pids//$'\n'/ })"
		return 1
	fi
	echo "$pids"
}

# dz_echo PORT: a round trip through echod, bounded.
dz_echo() {
	# shellcheck disable=SC2016  # expanded by the inner bash
	timeout "$(dz_t 5)" bash -c '
		exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
		printf "%s\n" "$2" >&3
		IFS= read -r line <&3 && [ "$line" = "$2" ]' _ "$1" "dz-$$-$RANDOM"
}

# dz_is_running PID: alive and not a zombie.
dz_is_running() {
	local st
	st=$(awk '/^State:/ { print $2 }' "/proc/$1/status" 2>/dev/null)
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}
dz_is_gone() { ! dz_is_running "$1"; }

# dz_ppid PID
dz_ppid() { awk '/^PPid:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }

# dz_grep_wait TIMEOUT FILE PATTERN: FILE gets a line matching PATTERN.
dz_grep_wait() {
	local t=$1 f=$2 p=$3
	dz_wait "$t" grep -sqE -- "$p" "$f"
}

# dz_count FILE PATTERN: matching lines (0 if the file is missing).
dz_count() {
	local n
	n=$(grep -cE -- "$2" "$1" 2>/dev/null) || n=0
	echo "${n:-0}"
}

# dz_substitute SRC DST: a shipped service file with only the paths and
# the port changed to this test's.
dz_substitute() {
	sed -e "s|/usr/local/sbin/echod|$DZ_ECHOD|g" \
	    -e "s|/var/run/echod.pid|$DZ_PIDFILE|g" \
	    -e "s|/run/echod.pid|$DZ_PIDFILE|g" \
	    -e "s|/var/log/echod|$DZ_TMP/log/echod|g" \
	    -e "s|/etc/default/echod|$DZ_TMP/default/echod|g" \
	    -e "s|7007|$DZ_PORT|g" "$1" >"$2" &&
	chmod --reference="$1" "$2"
}

# dz_check_nothing_left [PID...]: check (f): the given pids are gone, no
# process mentions the temp dir, the pidfile is unlocked and empty or
# absent, and the port is free.
dz_check_nothing_left() {
	local pid st out
	for pid in "$@"; do
		if ! dz_wait 5 dz_is_gone "$pid"; then
			DZ_WHY="pid $pid still running"; return 1
		fi
	done
	out=$(dz_pids_mentioning "$DZ_TMP/bin/echod")
	if [ -n "$out" ]; then
		DZ_WHY="echod processes left: ${out//$'\n'/ }"; return 1
	fi
	out=$("$DZ_ECHOD" -s -p "$DZ_PIDFILE" 2>&1); st=$?
	if [ "$st" -ne 3 ]; then
		DZ_WHY="echod -s says \"$out\" (exit $st), expected not running"
		return 1
	fi
	if [ -s "$DZ_PIDFILE" ]; then
		DZ_WHY="pidfile still holds \"$(head -c 40 "$DZ_PIDFILE")\""
		return 1
	fi
	if ! dz_wait 5 dz_not_listening "$DZ_PORT"; then
		DZ_WHY="port $DZ_PORT still listening"; return 1
	fi
	return 0
}
