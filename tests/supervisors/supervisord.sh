#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 the libdaemonize authors
#
# echod under supervisord with the shipped program section
# (examples/services/supervisord/echod.conf), controlled with
# supervisorctl.  supervisord itself gets a private config, socket and
# log, all in the temp tree, and runs in the foreground (-n).
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

for c in supervisord supervisorctl; do
	command -v "$c" >/dev/null || dz_skip_all "supervisor ($c) not installed"
done
dz_init

conf=$DZ_TMP/supervisord.conf
mkdir -p "$DZ_TMP/conf.d"
dz_substitute "$DZ_SERVICES/supervisord/echod.conf" "$DZ_TMP/conf.d/echod.conf"
log=$DZ_TMP/log/echod.log
cat >"$conf" <<EOC
[unix_http_server]
file=$DZ_TMP/supervisor.sock

[supervisord]
nodaemon=true
logfile=$DZ_TMP/supervisord.log
pidfile=$DZ_TMP/supervisord.pid
childlogdir=$DZ_TMP/log

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://$DZ_TMP/supervisor.sock

[include]
files=$DZ_TMP/conf.d/*.conf
EOC
ctl() { timeout "$(dz_t 20)" supervisorctl -c "$conf" "$@"; }

supervisord -n -c "$conf" </dev/null >"$DZ_TMP/supervisord.out" 2>&1 &
sd_pid=$!
dz_defer "ctl shutdown; dz_wait 5 dz_is_gone $sd_pid; dz_kill_pid $sd_pid"

# One supervisorctl run per question: each is a Python start-up, slow on
# a loaded machine.  "echod RUNNING pid 123, uptime 0:00:05"
sv_pid() { ctl status echod 2>/dev/null | sed -n 's/.* RUNNING *pid \([0-9]*\),.*/\1/p'; }
state() { ctl status echod 2>/dev/null | awk '{ print $2 }'; }
is_running() { [ "$(state)" = RUNNING ]; }

check_a() {
	local sp pid
	dz_wait 15 dz_listening "$DZ_PORT" || { DZ_WHY="echod never listened"; return 1; }
	dz_wait 15 is_running || { DZ_WHY="state $(state)"; return 1; }
	pid=$(dz_serving_pid "$DZ_PORT") || return 1
	sp=$(sv_pid)
	[ "$sp" = "$pid" ] || { DZ_WHY="supervisorctl pid says '$sp', serving pid $pid"; return 1; }
	dz_echo "$DZ_PORT" || { DZ_WHY="no echo"; return 1; }
}
dz_check "a: the pid supervisord tracks is the serving pid (no fork)" check_a
dz_na "b: readiness" "supervisord has no readiness protocol (RUNNING = alive after startsecs)"

check_e() {
	dz_grep_wait 5 "$log" "serving on 127\.0\.0\.1:$DZ_PORT" ||
		{ DZ_WHY="no 'serving on' line in stdout_logfile"; return 1; }
	grep -q "supervisor supervisord (SUPERVISOR_ENABLED)" "$log" ||
		dz_log "echod's startup line does not name SUPERVISOR_ENABLED (not checked)"
	return 0
}
dz_check "e: output in stdout_logfile" check_e

reloads_grew() { [ "$(dz_count "$log" reloaded)" -gt "$1" ]; }
check_reload() {
	local before pid
	pid=$(sv_pid)
	before=$(dz_count "$log" reloaded)
	ctl signal HUP echod >/dev/null || { DZ_WHY="supervisorctl signal HUP failed"; return 1; }
	dz_wait 5 reloads_grew "$before" ||
		{ DZ_WHY="no 'reloaded' line after supervisorctl signal HUP"; return 1; }
	[ "$(sv_pid)" = "$pid" ] || { DZ_WHY="pid changed on reload"; return 1; }
	dz_echo "$DZ_PORT" || { DZ_WHY="no echo after reload"; return 1; }
}
dz_check "c: supervisorctl signal HUP reaches echod (log line)" check_reload

# Polled cheaply (supervisord's child and the socket); supervisorctl is
# asked once it looks done.
restarted() {
	local new
	new=$(pgrep -P "$sd_pid" | head -1)
	[ -n "$new" ] && [ "$new" != "$1" ] && dz_listening "$DZ_PORT"
}
check_d() {
	local old new
	old=$(sv_pid)
	[ -n "$old" ] || { DZ_WHY="not running"; return 1; }
	kill -KILL "$old"
	dz_wait 15 restarted "$old" || { DZ_WHY="not restarted after kill -9: $(state)"; return 1; }
	dz_wait 10 is_running || { DZ_WHY="state $(state) after the restart"; return 1; }
	new=$(sv_pid)
	[ "$(dz_serving_pid "$DZ_PORT")" = "$new" ] ||
		{ DZ_WHY="new pid $new is not the serving pid"; return 1; }
	dz_echo "$DZ_PORT" || { DZ_WHY="no echo after restart"; return 1; }
}
dz_check "d: supervisord restarts echod after kill -9" check_d

last=$(sv_pid)
check_stop() {
	ctl stop echod >/dev/null || { DZ_WHY="supervisorctl stop: $(state)"; return 1; }
	[ "$(state)" = STOPPED ] || { DZ_WHY="state $(state)"; return 1; }
	dz_wait 5 dz_is_gone "$last" || { DZ_WHY="pid $last still running"; return 1; }
}
dz_check "c: supervisorctl stop stops echod" check_stop

check_f() {
	ctl shutdown >/dev/null
	dz_wait 15 dz_is_gone "$sd_pid" || { DZ_WHY="supervisord still running"; return 1; }
	wait "$sd_pid" 2>/dev/null
	dz_check_nothing_left "$last"
}
dz_check "f: nothing left behind" check_f
dz_finish
