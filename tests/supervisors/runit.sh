#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 the libdaemonize authors
#
# echod under runit's runsv with the shipped examples/services/runit/echod
# (run and log/run), controlled with sv.
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

for c in runsv sv svlogd; do
	command -v "$c" >/dev/null || dz_skip_all "runit ($c) not installed"
done
dz_init

svc=$DZ_TMP/sv/echod
mkdir -p "$svc/log" "$DZ_TMP/log/echod"
dz_substitute "$DZ_SERVICES/runit/echod/run" "$svc/run"
dz_substitute "$DZ_SERVICES/runit/echod/log/run" "$svc/log/run"
log=$DZ_TMP/log/echod/current

# runsv's own children (echod, svlogd) are stopped by "sv exit"; the
# defer kills runsv by pid if that did not work.
runsv "$svc" </dev/null >"$DZ_TMP/runsv.out" 2>&1 &
runsv_pid=$!
dz_defer "sv -w $(dz_t 5) exit '$svc'; dz_kill_pid $runsv_pid"

# sv status: "run: /path: (pid N) 3s; run: log: (pid M) 3s"
sv_pid() { sv status "$svc" 2>/dev/null | sed -n 's/^run: [^(]*(pid \([0-9]*\)).*/\1/p'; }

check_a() {
	local sp pid
	dz_wait 10 dz_listening "$DZ_PORT" || { DZ_WHY="echod never listened"; return 1; }
	pid=$(dz_serving_pid "$DZ_PORT") || return 1
	sp=$(sv_pid)
	[ "$sp" = "$pid" ] || { DZ_WHY="sv says pid '$sp', serving pid $pid"; return 1; }
	dz_echo "$DZ_PORT" || { DZ_WHY="no echo"; return 1; }
}
dz_check "a: the pid runsv tracks is the serving pid (no fork)" check_a
dz_na "b: readiness" "runit has no readiness protocol"

check_e() {
	dz_grep_wait 5 "$log" "serving on 127\.0\.0\.1:$DZ_PORT" ||
		{ DZ_WHY="no 'serving on' line in svlogd's current"; return 1; }
}
dz_check "e: output in svlogd's log" check_e

reloads_grew() { [ "$(dz_count "$log" reloaded)" -gt "$1" ]; }
check_reload() {
	local before pid
	pid=$(sv_pid)
	before=$(dz_count "$log" reloaded)
	sv reload "$svc" >/dev/null || { DZ_WHY="sv reload failed"; return 1; }
	dz_wait 5 reloads_grew "$before" ||
		{ DZ_WHY="no 'reloaded' line after sv reload"; return 1; }
	[ "$(sv_pid)" = "$pid" ] || { DZ_WHY="pid changed on reload"; return 1; }
	dz_echo "$DZ_PORT" || { DZ_WHY="no echo after reload"; return 1; }
}
dz_check "c: sv reload reaches echod (SIGHUP, log line)" check_reload

restarted() {
	local new
	new=$(sv_pid)
	[ -n "$new" ] && [ "$new" != "$1" ] && dz_listening "$DZ_PORT"
}
check_d() {
	local old new
	old=$(sv_pid)
	[ -n "$old" ] || { DZ_WHY="not running"; return 1; }
	kill -KILL "$old"
	dz_wait 10 restarted "$old" || { DZ_WHY="not restarted after kill -9"; return 1; }
	new=$(sv_pid)
	[ "$(dz_serving_pid "$DZ_PORT")" = "$new" ] || { DZ_WHY="new pid $new is not the serving pid"; return 1; }
	dz_echo "$DZ_PORT" || { DZ_WHY="no echo after restart"; return 1; }
}
dz_check "d: runsv restarts echod after kill -9" check_d

last=$(sv_pid)
check_stop() {
	sv -w "$(dz_t 10)" down "$svc" >/dev/null ||
		{ DZ_WHY="sv down: $(sv status "$svc")"; return 1; }
	dz_wait 5 dz_is_gone "$last" || { DZ_WHY="pid $last still running"; return 1; }
	sv status "$svc" | grep -q '^down:' || { DZ_WHY="status: $(sv status "$svc")"; return 1; }
}
dz_check "c: sv down stops echod" check_stop

check_f() {
	sv -w "$(dz_t 5)" exit "$svc" >/dev/null 2>&1
	dz_wait 10 dz_is_gone "$runsv_pid" || { DZ_WHY="runsv still running"; return 1; }
	dz_check_nothing_left "$last"
}
dz_check "f: nothing left behind" check_f
dz_finish
