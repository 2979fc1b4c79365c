# SPDX-License-Identifier: ISC
# Copyright (c) 2026 the libdaemonize authors
#
# The start-stop-daemon tests (sourced by ssd-classic.sh and
# ssd-notify.sh): the shipped SysV init script
# examples/services/sysvinit/echod, run as "echod start|reload|status|stop"
# the way an init system or "service" runs it, with /etc/default/echod
# choosing the start flow.
# shellcheck shell=bash
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

# dz_initscript_test FLOW: classic or notify.
dz_initscript_test() {
	DZ_FLOW=$1
	command -v start-stop-daemon >/dev/null ||
		dz_skip_all "start-stop-daemon (dpkg) not installed"
	if [ "$DZ_FLOW" = notify ] &&
	    ! start-stop-daemon --help 2>&1 | grep -q -- --notify-await; then
		dz_skip_all "this start-stop-daemon has no --notify-await (dpkg < 1.21)"
	fi
	[ "$(id -u)" -eq 0 ] || dz_skip_all "not root: the init script drops to nobody"
	dz_init
	mkdir -p "$DZ_TMP/init.d" "$DZ_TMP/default"
	DZ_SCRIPT=$DZ_TMP/init.d/echod
	dz_substitute "$DZ_SERVICES/sysvinit/echod" "$DZ_SCRIPT"
	printf 'ECHOD_START=%s\n' "$DZ_FLOW" >"$DZ_TMP/default/echod"
	DZ_LOG=$DZ_TMP/log/echod.log
	# If a check fails half-way, stop the daemon the way an admin would,
	# then by pid.
	# shellcheck disable=SC2016  # expanded when the cleanup runs
	dz_defer 'timeout 20 "$DZ_SCRIPT" stop; dz_kill_pid "$(cat "$DZ_PIDFILE" 2>/dev/null)"'

	dz_check "b: '$DZ_FLOW' start returns 0 only once echod serves" dz_is_b
	dz_check "a: the pidfile and 'status' name the serving pid" dz_is_a
	dz_check "e: output in $([ "$DZ_FLOW" = notify ] && echo "start-stop-daemon --output" || echo "echod's -l log")" dz_is_e
	dz_check "c: reload (SIGHUP through the pidfile) reaches echod" dz_is_reload
	dz_na "d: restart after kill -9" "start-stop-daemon does not supervise"
	dz_check "c: stop ends echod; status then says not running (3)" dz_is_stop
	dz_check "f: nothing left behind" dz_check_nothing_left "$DZ_SERVING"
	dz_finish
}

DZ_SERVING=
dz_is_b() {
	local out st
	out=$(timeout "$(dz_t 40)" "$DZ_SCRIPT" start 2>&1); st=$?
	[ "$st" -eq 0 ] || { DZ_WHY="start exited $st: $out"; return 1; }
	# No waiting here: returning means ready, and ready means listening.
	dz_listening "$DZ_PORT" || { DZ_WHY="start returned but nothing listens yet"; return 1; }
	dz_echo "$DZ_PORT" || { DZ_WHY="no echo"; return 1; }
}

dz_is_a() {
	local pid inf out st
	pid=$(dz_serving_pid "$DZ_PORT") || return 1
	DZ_SERVING=$pid
	inf=$(tr -d '\n' <"$DZ_PIDFILE" 2>/dev/null)
	[ "$inf" = "$pid" ] || { DZ_WHY="pidfile holds '$inf', serving pid $pid"; return 1; }
	out=$("$DZ_SCRIPT" status 2>&1); st=$?
	if [ "$st" -ne 0 ] || [ "$out" != "running, pid $pid" ]; then
		DZ_WHY="status said '$out' (exit $st)"; return 1
	fi
}

dz_is_e() {
	dz_grep_wait 5 "$DZ_LOG" "serving on 127\.0\.0\.1:$DZ_PORT" ||
		{ DZ_WHY="no 'serving on' line in $DZ_LOG"; return 1; }
}

dz_is_reloads_grew() { [ "$(dz_count "$DZ_LOG" reloaded)" -gt "$1" ]; }
dz_is_reload() {
	local st before
	[ -n "$DZ_SERVING" ] || { DZ_WHY="not serving"; return 1; }
	# The reopened log gets the "reloaded" line.  (A rotation by rename
	# is not tried: echod runs as nobody and cannot create a new file in
	# root's log directory; see echod(8) CAVEATS and the script.)
	before=$(dz_count "$DZ_LOG" reloaded)
	"$DZ_SCRIPT" reload; st=$?
	[ "$st" -eq 0 ] || { DZ_WHY="reload exited $st"; return 1; }
	dz_wait 5 dz_is_reloads_grew "$before" ||
		{ DZ_WHY="no new 'reloaded' line in $DZ_LOG"; return 1; }
	dz_is_running "$DZ_SERVING" || { DZ_WHY="echod died on reload"; return 1; }
	dz_echo "$DZ_PORT" || { DZ_WHY="no echo after reload"; return 1; }
}

dz_is_stop() {
	local out st
	[ -n "$DZ_SERVING" ] || { DZ_WHY="not serving"; return 1; }
	out=$(timeout "$(dz_t 30)" "$DZ_SCRIPT" stop 2>&1); st=$?
	[ "$st" -eq 0 ] || { DZ_WHY="stop exited $st: $out"; return 1; }
	dz_is_gone "$DZ_SERVING" || { DZ_WHY="pid $DZ_SERVING still running after stop"; return 1; }
	out=$("$DZ_SCRIPT" status 2>&1); st=$?
	[ "$st" -eq 3 ] || { DZ_WHY="status said '$out' (exit $st)"; return 1; }
}
