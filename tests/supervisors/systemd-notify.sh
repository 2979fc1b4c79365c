#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 the libdaemonize authors
#
# echod under real systemd (the host's, 252 on Debian 12) as pid 1 of a
# systemd-nspawn container, with the shipped examples/services/echod.service
# (Type=notify, ExecReload=/bin/kill -HUP $MAINPID, Restart=on-failure).
# With DZ_VARIANT=notify-reload (systemd254-notify-reload.sh) the same
# checks run against echod-notify-reload.service, installed as
# echod.service, under systemd 254 from bookworm-backports.
# shellcheck source=nspawn.sh
. "$(dirname "$0")/nspawn.sh"
VARIANT=${DZ_VARIANT:-notify}
dz_ns_requirements
dz_init
dz_ns_prepare
if [ "$VARIANT" = notify-reload ]; then
	dz_ns_backports_systemd
	dz_ns_substitute "$DZ_SERVICES/echod-notify-reload.service" echod.service
else
	dz_ns_substitute "$DZ_SERVICES/echod.service" echod.service
fi
U=echod.service

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
	# Type=notify: start returns after READY=1, and READY=1 is sent only
	# once echod listens.
	dz_listening "$DZ_PORT" || { DZ_WHY="active but not listening yet"; return 1; }
	[ "$(dz_ns_show "$U" Type)" = "$VARIANT" ] ||
		{ DZ_WHY="Type is '$(dz_ns_show "$U" Type)', not $VARIANT"; return 1; }
	[ "$(dz_ns_show "$U" ActiveState)" = active ] ||
		{ DZ_WHY="$U is $(dz_ns_show "$U" ActiveState)"; return 1; }
	if ns journalctl -q --no-pager -o cat | grep -q "Failed to parse service type"; then
		DZ_WHY="systemd could not parse the unit's Type="; return 1
	fi
	dz_echo "$DZ_PORT" || { DZ_WHY="no echo"; return 1; }
}
dz_check "b: systemctl start returns once READY=1 came (active and listening)" check_b

check_a() {
	local host ppid
	host=$(dz_ns_main_is_serving "$U") || return 1
	SERVING=$host
	ppid=$(dz_ns_inner_pid "$(dz_ppid "$host")")
	[ "$ppid" = 1 ] || { DZ_WHY="MainPID's parent is container pid '$ppid', not systemd"; return 1; }
	dz_ns_journal "$U" | grep -q "supervisor systemd (SYSTEMD_EXEC_PID)" ||
		dz_log "startup line does not name SYSTEMD_EXEC_PID (not checked)"
	return 0
}
dz_check "a: MainPID is the serving pid, systemd's child (no fork)" check_a

check_e() {
	dz_wait 5 dz_ns_journal_has "$U" "serving on 127\.0\.0\.1:$DZ_PORT" ||
		{ DZ_WHY="no 'serving on' line in journalctl -u $U"; return 1; }
}
dz_check "e: echod's output in the journal (journalctl -u)" check_e

reloads_grew() { [ "$(dz_ns_journal_count "$U" reloaded)" -gt "$1" ]; }
check_reload() {
	local before main out st
	main=$(dz_ns_show "$U" MainPID)
	before=$(dz_ns_journal_count "$U" reloaded)
	out=$(ns systemctl reload "$U" 2>&1); st=$?
	[ "$st" -eq 0 ] || { DZ_WHY="systemctl reload exited $st: $out"; return 1; }
	if [ "$VARIANT" = notify-reload ]; then
		# systemctl reload returned, so systemd got RELOADING=1 and
		# then READY=1: the unit is active again at once.
		dz_ns_is_active "$U" ||
			{ DZ_WHY="$(dz_ns_show "$U" ActiveState) right after reload"; return 1; }
		dz_wait 5 dz_ns_journal_has "$U" "Reloaded " ||
			{ DZ_WHY="systemd logged no 'Reloaded' for $U"; return 1; }
	fi
	dz_wait 5 reloads_grew "$before" || { DZ_WHY="no 'reloaded' line in the journal"; return 1; }
	[ "$(dz_ns_show "$U" MainPID)" = "$main" ] || { DZ_WHY="MainPID changed"; return 1; }
	# RELOADING=1 then READY=1: back to active (not stuck in reloading).
	dz_wait 5 dz_ns_is_active "$U" ||
		{ DZ_WHY="state $(dz_ns_show "$U" ActiveState) after reload"; return 1; }
	dz_echo "$DZ_PORT" || { DZ_WHY="no echo after reload"; return 1; }
}
if [ "$VARIANT" = notify-reload ]; then
	dz_check "c: systemctl reload waits for RELOADING=1 + READY=1, echod reloaded" check_reload
else
	dz_check "c: systemctl reload (SIGHUP) reaches echod, back to active" check_reload
fi

restarted() {
	local m
	m=$(dz_ns_show "$U" MainPID)
	[ -n "$m" ] && [ "$m" != 0 ] && [ "$m" != "$1" ] &&
	    [ "$(dz_ns_show "$U" ActiveState)" = active ] && dz_listening "$DZ_PORT"
}
check_d() {
	local old host
	old=$(dz_ns_show "$U" MainPID)
	[ -n "$SERVING" ] || { DZ_WHY="not serving"; return 1; }
	kill -KILL "$SERVING"
	dz_wait 15 restarted "$old" || { DZ_WHY="not restarted: $(dz_ns_show "$U" ActiveState), MainPID $(dz_ns_show "$U" MainPID)"; return 1; }
	host=$(dz_ns_main_is_serving "$U") || return 1
	SERVING=$host
	[ "$(dz_ns_show "$U" NRestarts)" = 1 ] || { DZ_WHY="NRestarts $(dz_ns_show "$U" NRestarts)"; return 1; }
	dz_echo "$DZ_PORT" || { DZ_WHY="no echo after restart"; return 1; }
}
dz_check "d: Restart=on-failure brings echod back after kill -9" check_d

check_stop() {
	local out st
	out=$(ns systemctl stop "$U" 2>&1); st=$?
	[ "$st" -eq 0 ] || { DZ_WHY="systemctl stop exited $st: $out"; return 1; }
	[ "$(dz_ns_show "$U" Result)" = success ] ||
		{ DZ_WHY="Result=$(dz_ns_show "$U" Result)"; return 1; }
	[ "$(dz_ns_show "$U" ExecMainStatus)" = 0 ] ||
		{ DZ_WHY="exit status $(dz_ns_show "$U" ExecMainStatus)"; return 1; }
}
dz_check "c: systemctl stop: echod exits 0, Result=success" check_stop
dz_check "f: nothing left behind" dz_ns_nothing_left "$U" "$SERVING"
dz_finish
