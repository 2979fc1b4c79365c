#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 the libdaemonize authors
#
# echod under s6: s6-svscan on a scan directory holding the shipped
# examples/services/s6/echod (run, notification-fd, log/run), so that
# s6-supervise runs echod with its notification fd and s6-log gets its
# output; controlled with s6-svc, s6-svwait and s6-svstat.
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

for c in s6-svscan s6-svscanctl s6-supervise s6-svc s6-svwait s6-svstat s6-log; do
	command -v "$c" >/dev/null || dz_skip_all "s6 ($c) not installed"
done
dz_init

scan=$DZ_TMP/scan
svc=$scan/echod
mkdir -p "$svc/log"
dz_substitute "$DZ_SERVICES/s6/echod/run" "$svc/run"
dz_substitute "$DZ_SERVICES/s6/echod/log/run" "$svc/log/run"
cp "$DZ_SERVICES/s6/echod/notification-fd" "$svc/"
log=$DZ_TMP/log/echod/current
ms() { awk -v t="$(dz_t "$1")" 'BEGIN { printf "%d", t * 1000 }'; }

s6-svscan "$scan" </dev/null >"$DZ_TMP/svscan.out" 2>&1 &
scan_pid=$!
# s6-svscanctl -t brings every service down and makes s6-svscan exit;
# the kill by pid is for when it did not.
dz_defer "s6-svscanctl -t '$scan'; dz_wait 5 dz_is_gone $scan_pid; dz_kill_pid $scan_pid"

sv_pid() { s6-svstat -o pid "$svc" 2>/dev/null | awk '$1 > 0'; }
is_ready() { s6-svstat -o ready "$svc" 2>/dev/null | grep -qx true; }

check_b() {
	dz_wait 5 test -p "$svc/supervise/control" ||
		{ DZ_WHY="s6-supervise did not start"; return 1; }
	# -U: up and ready, i.e. echod wrote its newline to fd 3.
	s6-svwait -U -t "$(ms 10)" "$svc" ||
		{ DZ_WHY="s6-svwait -U timed out: $(s6-svstat "$svc")"; return 1; }
	# Readiness means serving: the socket must listen right now.
	dz_listening "$DZ_PORT" || { DZ_WHY="ready but not listening"; return 1; }
	is_ready || { DZ_WHY="s6-svstat: $(s6-svstat "$svc")"; return 1; }
}
dz_check "b: readiness through notification-fd (s6-svwait -U)" check_b

check_a() {
	local sp pid
	pid=$(dz_serving_pid "$DZ_PORT") || return 1
	sp=$(sv_pid)
	[ "$sp" = "$pid" ] || { DZ_WHY="s6-svstat says pid '$sp', serving pid $pid"; return 1; }
	dz_echo "$DZ_PORT" || { DZ_WHY="no echo"; return 1; }
}
dz_check "a: the pid s6-supervise tracks is the serving pid (no fork)" check_a

check_e() {
	dz_grep_wait 5 "$log" "serving on 127\.0\.0\.1:$DZ_PORT" ||
		{ DZ_WHY="no 'serving on' line in s6-log's current"; return 1; }
}
dz_check "e: output in s6-log's log" check_e

reloads_grew() { [ "$(dz_count "$log" reloaded)" -gt "$1" ]; }
check_reload() {
	local before pid
	pid=$(sv_pid)
	before=$(dz_count "$log" reloaded)
	s6-svc -h "$svc" || { DZ_WHY="s6-svc -h failed"; return 1; }
	dz_wait 5 reloads_grew "$before" ||
		{ DZ_WHY="no 'reloaded' line after s6-svc -h"; return 1; }
	[ "$(sv_pid)" = "$pid" ] || { DZ_WHY="pid changed on reload"; return 1; }
	dz_echo "$DZ_PORT" || { DZ_WHY="no echo after reload"; return 1; }
}
dz_check "c: s6-svc -h reaches echod (SIGHUP, log line)" check_reload

check_d() {
	local old new
	old=$(sv_pid)
	[ -n "$old" ] || { DZ_WHY="not running"; return 1; }
	kill -KILL "$old"
	dz_wait 5 dz_is_gone "$old" || { DZ_WHY="kill -9 did not kill"; return 1; }
	# Up and ready again, with a new pid; s6-supervise waits 1 s first.
	s6-svwait -U -t "$(ms 10)" "$svc" ||
		{ DZ_WHY="not up and ready again: $(s6-svstat "$svc")"; return 1; }
	new=$(sv_pid)
	if [ -z "$new" ] || [ "$new" = "$old" ]; then
		DZ_WHY="pid '$new' after kill -9 of $old"; return 1
	fi
	[ "$(dz_serving_pid "$DZ_PORT")" = "$new" ] ||
		{ DZ_WHY="new pid $new is not the serving pid"; return 1; }
	dz_echo "$DZ_PORT" || { DZ_WHY="no echo after restart"; return 1; }
}
dz_check "d: s6-supervise restarts echod after kill -9, ready again" check_d

last=$(sv_pid)
check_stop() {
	s6-svc -d "$svc" || { DZ_WHY="s6-svc -d failed"; return 1; }
	s6-svwait -D -t "$(ms 10)" "$svc" ||
		{ DZ_WHY="s6-svwait -D timed out: $(s6-svstat "$svc")"; return 1; }
	dz_wait 5 dz_is_gone "$last" || { DZ_WHY="pid $last still running"; return 1; }
	dz_grep_wait 5 "$log" "echod\[$last\]: .*(stop|exit|term)" ||
		dz_log "no stop line from echod in the log (not checked)"
	return 0
}
dz_check "c: s6-svc -d stops echod (s6-svwait -D)" check_stop

check_f() {
	s6-svscanctl -t "$scan" || { DZ_WHY="s6-svscanctl -t failed"; return 1; }
	dz_wait 10 dz_is_gone "$scan_pid" || { DZ_WHY="s6-svscan still running"; return 1; }
	wait "$scan_pid" 2>/dev/null
	dz_check_nothing_left "$last" || return 1
	local left
	left=$(dz_pids_mentioning "$scan")
	[ -z "$left" ] || { DZ_WHY="s6 processes left: ${left//$'\n'/ }"; return 1; }
}
dz_check "f: nothing left behind" check_f
dz_finish
