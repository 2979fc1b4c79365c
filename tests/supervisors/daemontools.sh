#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 the libdaemonize authors
#
# echod under daemontools' supervise with the shipped runit run script
# (examples/services/runit/echod/run, which is also a daemontools run
# script), controlled with svc and svstat.
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

for c in supervise svc svstat; do
	command -v "$c" >/dev/null || dz_skip_all "daemontools ($c) not installed"
done
dz_init

svc_dir=$DZ_TMP/service/echod
mkdir -p "$svc_dir"
dz_substitute "$DZ_SERVICES/runit/echod/run" "$svc_dir/run"
out=$DZ_TMP/supervise.out

# supervise passes echod's output through to its own stdout: that file is
# where this test looks for echod's lines (supervise keeps no log itself).
supervise "$svc_dir" </dev/null >"$out" 2>&1 &
sup_pid=$!
dz_defer "svc -dx '$svc_dir'; dz_kill_pid $sup_pid"

# svstat: "/path: up (pid N) 3 seconds"
sv_pid() { svstat "$svc_dir" 2>/dev/null | sed -n 's/.*: up (pid \([0-9]*\)).*/\1/p'; }

check_a() {
	local sp pid
	dz_wait 10 dz_listening "$DZ_PORT" || { DZ_WHY="echod never listened"; return 1; }
	pid=$(dz_serving_pid "$DZ_PORT") || return 1
	sp=$(sv_pid)
	[ "$sp" = "$pid" ] || { DZ_WHY="svstat says pid '$sp', serving pid $pid"; return 1; }
	dz_echo "$DZ_PORT" || { DZ_WHY="no echo"; return 1; }
}
dz_check "a: the pid supervise tracks is the serving pid (no fork)" check_a
dz_na "b: readiness" "daemontools has no readiness protocol"

reloads_grew() { [ "$(dz_count "$out" reloaded)" -gt "$1" ]; }
check_reload() {
	local before pid
	pid=$(sv_pid)
	before=$(dz_count "$out" reloaded)
	svc -h "$svc_dir" || { DZ_WHY="svc -h failed"; return 1; }
	dz_wait 5 reloads_grew "$before" ||
		{ DZ_WHY="no 'reloaded' line after svc -h"; return 1; }
	[ "$(sv_pid)" = "$pid" ] || { DZ_WHY="pid changed on reload"; return 1; }
	dz_echo "$DZ_PORT" || { DZ_WHY="no echo after reload"; return 1; }
}
dz_check "c: svc -h reaches echod (SIGHUP, log line)" check_reload

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
	[ "$(dz_serving_pid "$DZ_PORT")" = "$new" ] ||
		{ DZ_WHY="new pid $new is not the serving pid"; return 1; }
	dz_echo "$DZ_PORT" || { DZ_WHY="no echo after restart"; return 1; }
}
dz_check "d: supervise restarts echod after kill -9 (within its 1 s pause)" check_d

check_e() {
	dz_grep_wait 5 "$out" "serving on 127\.0\.0\.1:$DZ_PORT" ||
		{ DZ_WHY="no 'serving on' line in supervise's output"; return 1; }
}
dz_check "e: output reaches supervise's stdout (no log of its own)" check_e

last=$(sv_pid)
is_down() { svstat "$svc_dir" 2>/dev/null | grep -q ': down '; }
check_stop() {
	svc -d "$svc_dir" || { DZ_WHY="svc -d failed"; return 1; }
	dz_wait 10 is_down || { DZ_WHY="svstat: $(svstat "$svc_dir")"; return 1; }
	dz_wait 5 dz_is_gone "$last" || { DZ_WHY="pid $last still running"; return 1; }
}
dz_check "c: svc -d stops echod" check_stop

check_f() {
	svc -x "$svc_dir"
	dz_wait 10 dz_is_gone "$sup_pid" || { DZ_WHY="supervise still running"; return 1; }
	dz_check_nothing_left "$last"
}
dz_check "f: nothing left behind" check_f
dz_finish
