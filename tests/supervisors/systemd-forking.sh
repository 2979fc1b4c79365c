#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 the libdaemonize authors
#
# echod under real systemd (the host's, 252 on Debian 12) as pid 1 of a
# systemd-nspawn container, with the shipped
# examples/services/echod-forking.service (Type=forking, PIDFile=,
# DAEMONIZE_MODE=background, ExecReload=echod -R).
# shellcheck source=nspawn.sh
. "$(dirname "$0")/nspawn.sh"
dz_ns_requirements
dz_init
dz_ns_prepare
dz_ns_substitute "$DZ_SERVICES/echod-forking.service" echod-forking.service
U=echod-forking.service

check_boot() { dz_ns_boot; }
if ! dz_check "systemd boots in the container" check_boot; then
	dz_finish
fi

SERVING=
check_b() {
	local out st
	ns systemctl daemon-reload
	out=$(ns systemctl start "$U" 2>&1); st=$?
	[ "$st" -eq 0 ] || { DZ_WHY="systemctl start exited $st: $out"; return 1; }
	# The start command exits only once the daemon is ready.
	dz_listening "$DZ_PORT" || { DZ_WHY="active but not listening yet"; return 1; }
	dz_ns_is_active "$U" || { DZ_WHY="$U is $(dz_ns_show "$U" ActiveState)"; return 1; }
	dz_echo "$DZ_PORT" || { DZ_WHY="no echo"; return 1; }
}
dz_check "b: systemctl start returns once echod serves (the start command waits for ready)" check_b

check_a() {
	local host inner inf
	host=$(dz_ns_main_is_serving "$U") || return 1
	SERVING=$host
	inner=$(dz_ns_inner_pid "$host")
	inf=$(ns cat /run/echod.pid | tr -d '\n')
	[ "$inf" = "$inner" ] || { DZ_WHY="PIDFile holds '$inf', serving pid $inner"; return 1; }
	[ "$(dz_ns_show "$U" ControlPID)" = 0 ] || { DZ_WHY="start command still running"; return 1; }
}
dz_check "a: MainPID (read from PIDFile=) is the serving, forked daemon" check_a

reloads_grew() { [ "$(dz_ns_journal_count "$U" reloaded)" -gt "$1" ]; }
check_reload() {
	local main out st
	main=$(dz_ns_show "$U" MainPID)
	out=$(ns systemctl reload "$U" 2>&1); st=$?
	[ "$st" -eq 0 ] || { DZ_WHY="systemctl reload exited $st: $out"; return 1; }
	[ "$(dz_ns_show "$U" MainPID)" = "$main" ] || { DZ_WHY="MainPID changed"; return 1; }
	dz_ns_is_active "$U" || { DZ_WHY="$U is $(dz_ns_show "$U" ActiveState)"; return 1; }
	dz_echo "$DZ_PORT" || { DZ_WHY="no echo after reload"; return 1; }
}
dz_check "c: systemctl reload (echod -R) exits 0, same MainPID, still serving" check_reload

# Output: the daemon keeps systemd's journal stream as its stdout and
# stderr (libdaemonize compares fd 1/2 with JOURNAL_STREAM).  Needs the
# library change for this; against an older library it fails, which is
# what it is for.
check_e() {
	dz_wait 5 dz_ns_journal_has "$U" "serving on 127\.0\.0\.1:$DZ_PORT" ||
		{ DZ_WHY="no 'serving on' line in journalctl -u $U (stdout went to /dev/null)"; return 1; }
	dz_wait 5 dz_ns_journal_has "$U" "reloaded" ||
		{ DZ_WHY="the startup line, but no 'reloaded' line from the daemon"; return 1; }
}
dz_check "e: the background daemon's output in the journal (JOURNAL_STREAM kept)" check_e

restarted() {
	local m
	m=$(dz_ns_show "$U" MainPID)
	[ -n "$m" ] && [ "$m" != 0 ] && [ "$m" != "$1" ] &&
	    dz_ns_is_active "$U" && dz_listening "$DZ_PORT"
}
check_d() {
	local old host inner inf
	old=$(dz_ns_show "$U" MainPID)
	[ -n "$SERVING" ] || { DZ_WHY="not serving"; return 1; }
	kill -KILL "$SERVING"
	dz_wait 20 restarted "$old" || { DZ_WHY="not restarted: $(dz_ns_show "$U" ActiveState), MainPID $(dz_ns_show "$U" MainPID)"; return 1; }
	host=$(dz_ns_main_is_serving "$U") || return 1
	SERVING=$host
	inner=$(dz_ns_inner_pid "$host")
	inf=$(ns cat /run/echod.pid | tr -d '\n')
	[ "$inf" = "$inner" ] || { DZ_WHY="PIDFile holds '$inf', serving pid $inner"; return 1; }
	dz_echo "$DZ_PORT" || { DZ_WHY="no echo after restart"; return 1; }
}
dz_check "d: Restart=on-failure restarts echod after kill -9 (new pid in PIDFile=)" check_d

check_stop() {
	local out st
	out=$(ns systemctl stop "$U" 2>&1); st=$?
	[ "$st" -eq 0 ] || { DZ_WHY="systemctl stop exited $st: $out"; return 1; }
	[ "$(dz_ns_show "$U" Result)" = success ] ||
		{ DZ_WHY="Result=$(dz_ns_show "$U" Result)"; return 1; }
}
dz_check "c: systemctl stop ends echod, Result=success" check_stop
dz_check "f: nothing left behind" dz_ns_nothing_left "$U" "$SERVING"
dz_finish
