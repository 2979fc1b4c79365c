#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 the libdaemonize authors
#
# echod socket-activated by real systemd (the host's, 252 on Debian 12)
# as pid 1 of a systemd-nspawn container, with the shipped
# examples/services/echod.socket and echod.service (Type=notify).
# shellcheck source=nspawn.sh
. "$(dirname "$0")/nspawn.sh"
dz_ns_requirements
dz_init
dz_ns_prepare
dz_ns_substitute "$DZ_SERVICES/echod.service" echod.service
dz_ns_substitute "$DZ_SERVICES/echod.socket" echod.socket
U=echod.service
S=echod.socket

check_boot() { dz_ns_boot; }
if ! dz_check "systemd boots in the container" check_boot; then
	dz_finish
fi

check_listen() {
	local out st p
	ns systemctl daemon-reload
	out=$(ns systemctl start "$S" 2>&1); st=$?
	[ "$st" -eq 0 ] || { DZ_WHY="systemctl start $S exited $st: $out"; return 1; }
	dz_wait 5 dz_listening "$DZ_PORT" || { DZ_WHY="systemd does not listen"; return 1; }
	for p in $(dz_listen_pids "$DZ_PORT"); do
		[ "$(dz_ns_inner_pid "$p")" = 1 ] ||
			{ DZ_WHY="container pid $(dz_ns_inner_pid "$p") holds the socket before any connection"; return 1; }
	done
	[ "$(dz_ns_show "$U" ActiveState)" = inactive ] ||
		{ DZ_WHY="$U is $(dz_ns_show "$U" ActiveState) before any connection"; return 1; }
}
dz_check "systemd listens on the socket, echod not started yet" check_listen

SERVING=
check_activate() {
	# The first connection starts echod, which serves it on fd 3.
	dz_echo "$DZ_PORT" || { DZ_WHY="no echo through the activated socket"; return 1; }
	dz_wait 10 dz_ns_is_active "$U" || { DZ_WHY="$U is $(dz_ns_show "$U" ActiveState)"; return 1; }
	[ "$(dz_ns_show "$U" Type)" = notify ] || { DZ_WHY="Type $(dz_ns_show "$U" Type)"; return 1; }
}
dz_check "b: a connection activates echod; it answers, and is active after READY=1" check_activate

check_a() {
	local host ppid
	host=$(dz_ns_main_is_serving "$U") || return 1
	SERVING=$host
	ppid=$(dz_ns_inner_pid "$(dz_ppid "$host")")
	[ "$ppid" = 1 ] || { DZ_WHY="MainPID's parent is container pid '$ppid', not systemd"; return 1; }
	# The passed socket is served, not a socket of its own: exactly one
	# listening socket on the port, shared with systemd.
	[ "$(dz_listen_pids "$DZ_PORT" | grep -c .)" -eq 2 ] ||
		{ DZ_WHY="holders: $(dz_listen_pids "$DZ_PORT" | tr '\n' ' ')"; return 1; }
}
dz_check "a: MainPID serves the passed socket, systemd's child (no fork)" check_a

check_e() {
	dz_wait 5 dz_ns_journal_has "$U" "serving on" ||
		{ DZ_WHY="no 'serving on' line in journalctl -u $U"; return 1; }
	dz_ns_journal "$U" | grep -q "LISTEN_PID\|SYSTEMD_EXEC_PID" ||
		dz_log "the startup line names no systemd marker (not checked)"
	return 0
}
dz_check "e: echod's output in the journal" check_e

reloads_grew() { [ "$(dz_ns_journal_count "$U" reloaded)" -gt "$1" ]; }
check_reload() {
	local before main out st
	main=$(dz_ns_show "$U" MainPID)
	before=$(dz_ns_journal_count "$U" reloaded)
	out=$(ns systemctl reload "$U" 2>&1); st=$?
	[ "$st" -eq 0 ] || { DZ_WHY="systemctl reload exited $st: $out"; return 1; }
	dz_wait 5 reloads_grew "$before" || { DZ_WHY="no 'reloaded' line in the journal"; return 1; }
	[ "$(dz_ns_show "$U" MainPID)" = "$main" ] || { DZ_WHY="MainPID changed"; return 1; }
	dz_wait 5 dz_ns_is_active "$U" || { DZ_WHY="state $(dz_ns_show "$U" ActiveState)"; return 1; }
	dz_echo "$DZ_PORT" || { DZ_WHY="no echo after reload"; return 1; }
}
dz_check "c: systemctl reload reaches the activated echod" check_reload

restarted() {
	local m
	m=$(dz_ns_show "$U" MainPID)
	[ -n "$m" ] && [ "$m" != 0 ] && [ "$m" != "$1" ] && dz_ns_is_active "$U"
}
check_d() {
	local old host
	old=$(dz_ns_show "$U" MainPID)
	[ -n "$SERVING" ] || { DZ_WHY="not serving"; return 1; }
	kill -KILL "$SERVING"
	dz_wait 15 restarted "$old" || { DZ_WHY="not restarted: $(dz_ns_show "$U" ActiveState), MainPID $(dz_ns_show "$U" MainPID)"; return 1; }
	host=$(dz_ns_main_is_serving "$U") || return 1
	SERVING=$host
	dz_echo "$DZ_PORT" || { DZ_WHY="no echo after restart"; return 1; }
}
dz_check "d: Restart=on-failure after kill -9: echod back on the same socket" check_d

check_stop() {
	local out st
	out=$(ns systemctl stop "$S" "$U" 2>&1); st=$?
	[ "$st" -eq 0 ] || { DZ_WHY="systemctl stop exited $st: $out"; return 1; }
	[ "$(dz_ns_show "$U" Result)" = success ] ||
		{ DZ_WHY="Result=$(dz_ns_show "$U" Result)"; return 1; }
	[ "$(dz_ns_show "$S" ActiveState)" = inactive ] ||
		{ DZ_WHY="$S is $(dz_ns_show "$S" ActiveState)"; return 1; }
}
dz_check "c: systemctl stop of socket and service, Result=success" check_stop
dz_check "f: nothing left behind" dz_ns_nothing_left "$U" "$SERVING"
dz_finish
