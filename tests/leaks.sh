#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 the libdaemonize authors
# Leak check of the library in real daemons: the test helper and the
# examples go through whole lifecycles (start in each mode, ready, signals,
# log reopen, failures, stop, free) under valgrind memcheck, original
# process, middle child and daemon alike, and every process must end with
# no memory error and no definite or indirect leak.
#
# The Check suites themselves run under valgrind with leak checking off
# (tests/valgrind.sh): test code leaks its own small strings on purpose,
# which would bury a library leak.  Runs only when DZ_LEAK_CHECK=1 (the
# valgrind stage of scripts/check-all.sh), else skips with 77.
set -u
[ "${DZ_LEAK_CHECK:-0}" = 1 ] || { echo "skipped: set DZ_LEAK_CHECK=1"; exit 77; }
command -v valgrind >/dev/null || { echo "skipped: no valgrind"; exit 77; }
b=${top_builddir:-.}
helper=$b/tests/helper echod=$b/examples/echod template=$b/examples/template
tmp=$(mktemp -d /tmp/dzleaks.XXXXXX)
trap 'pkill -KILL -f "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
# An array, not a function: "$!" of a backgrounded function would be the
# subshell's pid, not valgrind's.
vg=(valgrind -q --leak-check=full --show-leak-kinds=definite,indirect
    --errors-for-leak-kinds=definite,indirect --trace-children=yes
    "--trace-children-skip=/usr/bin/*,/bin/*" --vgdb=no
    "--log-file=$tmp/vg.%p")
# Wait (bounded) until no process mentions $tmp any more.
settle() {
	local i
	for i in $(seq 1 400); do
		pgrep -f "$tmp" >/dev/null || return 0
		sleep 0.05
	done
	echo "processes still running:"; pgrep -af "$tmp"; return 1
}
waitfile() {
	local i
	for i in $(seq 1 400); do [ -s "$1" ] && return 0; sleep 0.05; done
	echo "timed out waiting for $1"; return 1
}
fail=0
scenario() { echo "--- $*"; }
expect() {	# expect STATUS COMMAND...
	local want=$1; shift
	"$@" >"$tmp/out" 2>&1; local got=$?
	[ "$got" = "$want" ] || { echo "exit $got, wanted $want: $*"; cat "$tmp/out"; fail=1; }
}

scenario "helper: background start, SIGHUP with log reopen, SIGTERM"
expect 0 "${vg[@]}" "$helper" -p "$tmp/h.pid" -o "$tmp/h.log"
waitfile "$tmp/h.pid" && pid=$(cat "$tmp/h.pid")
mv "$tmp/h.log" "$tmp/h.log.1"; kill -HUP "$pid"; sleep 0.5; kill -TERM "$pid"
settle || fail=1
[ ! -e "$tmp/h.pid" ] || { echo "pidfile left behind"; fail=1; }

scenario "helper: failures before ready (fail, exit, crash is skipped), second instance, timeout"
expect 1 "${vg[@]}" "$helper" -p "$tmp/f.pid" -a fail
expect 1 "${vg[@]}" "$helper" -p "$tmp/f.pid" -a exit
expect 1 "${vg[@]}" "$helper" -p /nonexistent/dir/x.pid
expect 1 "${vg[@]}" "$helper" -p "$tmp/f.pid" -o /nonexistent/dir/log
expect 0 "${vg[@]}" "$helper" -p "$tmp/g.pid"
expect 1 "${vg[@]}" "$helper" -p "$tmp/g.pid"
kill -TERM "$(cat "$tmp/g.pid")"
settle || fail=1

scenario "helper: lock, bind, keep; a second instance stops at the lock; a thread refuses start; stderr before ready"
port=$((20000 + RANDOM % 20000))
expect 0 "${vg[@]}" "$helper" -d -l -p "$tmp/b.pid" -b "$port" -W early -R "$tmp/b.rep"
expect 1 "${vg[@]}" "$helper" -d -l -p "$tmp/b.pid" -b "$port"
grep -q "already running" "$tmp/out" || { echo "second instance: $(cat "$tmp/out")"; fail=1; }
waitfile "$tmp/b.rep"; kill -TERM "$(cat "$tmp/b.pid")"
expect 1 "${vg[@]}" "$helper" -d -T -p "$tmp/t.pid"
settle || fail=1

scenario "helper: foreground mode (-f, and -n, its old spelling)"
"${vg[@]}" "$helper" -f -p "$tmp/fg.pid" -R "$tmp/fg.rep" >"$tmp/fg.out" 2>&1 &
waitfile "$tmp/fg.rep"; sleep 0.3; kill -HUP $!; sleep 0.3; kill -TERM $!; wait $!
"${vg[@]}" "$helper" -n -p "$tmp/sv.pid" -R "$tmp/sv.rep" >"$tmp/sv.out" 2>&1 &
waitfile "$tmp/sv.rep"; sleep 0.3; kill -HUP $!; sleep 0.3; kill -TERM $!; wait $!
grep -q term "$tmp/fg.out" && grep -q term "$tmp/sv.out" ||
	{ echo "foreground/supervised helper did not stop cleanly"; fail=1; }
settle || fail=1

scenario "echod: start, serve, reload, stop; template: start, serve, stop"
port=$((20000 + RANDOM % 20000))
expect 0 "${vg[@]}" "$echod" -p "$tmp/e.pid" -l "$tmp/e.log" -P "$port"
if exec 3<>"/dev/tcp/127.0.0.1/$port"; then
	echo hello >&3; IFS= read -r -t 10 line <&3; exec 3<&-
	[ "$line" = hello ] || { echo "echod did not echo: '$line'"; fail=1; }
fi
expect 0 "$echod" -p "$tmp/e.pid" -R
sleep 0.5
expect 0 "$echod" -p "$tmp/e.pid" -k
port=$((20000 + RANDOM % 20000))
expect 0 "${vg[@]}" "$template" -p "$tmp/m.pid" -l "$tmp/m.log" -P "$port"
if exec 3<>"/dev/tcp/127.0.0.1/$port"; then
	IFS= read -r -t 10 line <&3; exec 3<&-
	[ "$line" = hello ] || { echo "template did not greet: '$line'"; fail=1; }
fi
waitfile "$tmp/m.pid"; kill -TERM "$(cat "$tmp/m.pid")"
settle || fail=1
[ ! -e "$tmp/m.pid" ] || { echo "template left its pidfile"; fail=1; }

# Every process valgrind watched must have ended clean.
logs=("$tmp"/vg.*)
bad=0
for log in "${logs[@]}"; do
	if [ -s "$log" ]; then
		echo "=== $log"; cat "$log"; bad=$((bad + 1))
	fi
done
echo "leaks.sh: ${#logs[@]} processes under valgrind, $bad with errors or leaks"
[ $bad -eq 0 ] && [ $fail -eq 0 ]
