# SPDX-License-Identifier: ISC
# Copyright (c) 2026 the libdaemonize authors
#
# The container-init tests (sourced by tini.sh, dumb-init.sh, pid1.sh):
# echod as the only service of a fresh pid namespace, started by
#   unshare --pid --fork --mount-proc [INIT...] echod ...
# which is what "docker run --init" or an image's ENTRYPOINT does, minus
# the image.  echod is started without -f, as in a real image: it must
# see that forking would end the container (it is pid 1, or its parent
# is) and stay in the foreground.
# shellcheck shell=bash
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

# dz_container_test LABEL INIT...: INIT may be empty (echod is pid 1).
dz_container_test() {
	local label=$1
	shift
	command -v unshare >/dev/null || dz_skip_all "unshare (util-linux) not installed"
	[ "$(id -u)" -eq 0 ] || dz_skip_all "not root: unshare --pid needs CAP_SYS_ADMIN"
	unshare --pid --fork --mount-proc true 2>/dev/null ||
		dz_skip_all "unshare --pid --fork --mount-proc does not work here"
	dz_init
	DZ_OUT=$DZ_TMP/container.out
	DZ_INIT=("$@")
	# setsid: the test's own signals (Ctrl-C) must not reach the
	# container; the defer stops it by pid.
	setsid unshare --pid --fork --mount-proc "$@" "$DZ_ECHOD" \
	    -a 127.0.0.1 -P "$DZ_PORT" -p "$DZ_PIDFILE" \
	    </dev/null >"$DZ_OUT" 2>&1 &
	DZ_UNSHARE=$!
	dz_defer "dz_kill_pid \$(dz_ns_init); dz_kill_pid $DZ_UNSHARE"
	DZ_LABEL=$label

	if [ $# -eq 0 ]; then
		dz_check "a: echod is pid 1, stays in the foreground and serves" dz_ct_a
	else
		dz_check "a: echod stays in the foreground as ${label}'s child and serves" dz_ct_a
	fi
	dz_na "b: readiness" "$label has no readiness protocol"
	dz_check "e: output on the container's stdout" dz_ct_e
	dz_check "c: SIGHUP to the container's pid 1 reaches echod (log line)" dz_ct_reload
	dz_na "d: restart after kill -9" "$label does not restart its child"
	dz_check "c: SIGTERM to pid 1 stops echod and the container exits 0" dz_ct_stop
	dz_check "f: nothing left behind" dz_check_nothing_left "$DZ_SERVING"
	dz_finish
}

# The host pid of the namespace's pid 1: unshare's only child.
dz_ns_init() { pgrep -P "$DZ_UNSHARE" 2>/dev/null | head -1; }

# Serving, or already over: no point waiting for a container that ended.
dz_ct_listening_or_gone() {
	dz_listening "$DZ_PORT" || dz_is_gone "$DZ_UNSHARE"
}

DZ_SERVING=
dz_ct_a() {
	local init pid ppid st
	dz_wait 10 dz_ct_listening_or_gone
	if ! dz_is_running "$DZ_UNSHARE" || ! dz_listening "$DZ_PORT"; then
		if dz_is_gone "$DZ_UNSHARE"; then
			wait "$DZ_UNSHARE"; st=$?
			DZ_WHY="the container exited with status $st before serving ($(tr '\n' ' ' <"$DZ_OUT" | cut -c1-200))"
		else
			DZ_WHY="echod never listened"
		fi
		return 1
	fi
	init=$(dz_ns_init)
	pid=$(dz_serving_pid "$DZ_PORT") || return 1
	DZ_SERVING=$pid
	if [ ${#DZ_INIT[@]} -eq 0 ]; then
		[ "$pid" = "$init" ] || { DZ_WHY="serving pid $pid is not the namespace's pid 1 ($init)"; return 1; }
	else
		ppid=$(dz_ppid "$pid")
		[ "$ppid" = "$init" ] || { DZ_WHY="serving pid $pid has parent $ppid, not $DZ_LABEL ($init)"; return 1; }
	fi
	# Still there a moment later: a forked daemon dies with its namespace.
	sleep "$(dz_t 0.5)"
	if ! dz_is_running "$pid" || ! dz_is_running "$DZ_UNSHARE"; then
		DZ_WHY="the container ended"; return 1
	fi
	dz_echo "$DZ_PORT" || { DZ_WHY="no echo"; return 1; }
}

dz_ct_e() {
	dz_grep_wait 5 "$DZ_OUT" "serving on 127\.0\.0\.1:$DZ_PORT" ||
		{ DZ_WHY="no 'serving on' line on the container's stdout"; return 1; }
}

dz_ct_reloads_grew() { [ "$(dz_count "$DZ_OUT" reloaded)" -gt "$1" ]; }
dz_ct_reload() {
	local before init
	[ -n "$DZ_SERVING" ] || { DZ_WHY="not serving"; return 1; }
	init=$(dz_ns_init)
	before=$(dz_count "$DZ_OUT" reloaded)
	kill -HUP "$init" || { DZ_WHY="kill -HUP $init failed"; return 1; }
	dz_wait 5 dz_ct_reloads_grew "$before" ||
		{ DZ_WHY="no 'reloaded' line after SIGHUP"; return 1; }
	dz_is_running "$DZ_SERVING" || { DZ_WHY="echod died on SIGHUP"; return 1; }
	dz_echo "$DZ_PORT" || { DZ_WHY="no echo after reload"; return 1; }
}

dz_ct_stop() {
	local init st
	[ -n "$DZ_SERVING" ] || { DZ_WHY="not serving"; return 1; }
	init=$(dz_ns_init)
	kill -TERM "$init" || { DZ_WHY="kill -TERM $init failed"; return 1; }
	dz_wait 10 dz_is_gone "$DZ_UNSHARE" || { DZ_WHY="the container did not exit"; return 1; }
	wait "$DZ_UNSHARE"; st=$?
	[ "$st" -eq 0 ] || { DZ_WHY="the container exited with status $st"; return 1; }
}
