#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 the libdaemonize authors
# daemonrun-vs-ssd.sh - time to ready of a program that signals readiness
# at once (tests/notifyprog ready: READY=1 on $NOTIFY_SOCKET, then sleep),
# started by
#   A: daemonrun --notify -p PIDFILE -- notifyprog ready
#   B: start-stop-daemon --start --background --notify-await
#        --pidfile PIDFILE --make-pidfile --exec notifyprog -- ready
# side by side in one run: hyperfine in ROUNDS rounds of BLOCK runs of
# each (A then B, then A then B ...), so that a slow patch of the machine
# hits both; before every timed run both are stopped (untimed --prepare):
#   daemonrun --stop -p PIDFILE
#   start-stop-daemon --stop --pidfile PIDFILE --remove-pidfile --retry TERM/5
# Prints the median, the quartiles and the range of each, and the ratio of
# the medians.
#
#   bench/daemonrun-vs-ssd.sh          (ROUNDS=6 BLOCK=5: 30 runs each)
#   DAEMONRUN=/usr/local/bin/daemonrun NOTIFYPROG=... bench/daemonrun-vs-ssd.sh
#
# DAEMONRUN defaults to build/dr/daemonrun/daemonrun, then build/
# daemonrun/daemonrun, then daemonrun in PATH; NOTIFYPROG to the
# tests/notifyprog next to it, else it is compiled from tests/notifyprog.c
# into the temporary directory.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
rounds=${ROUNDS:-6}
block=${BLOCK:-5}

for t in hyperfine start-stop-daemon python3; do
	command -v "$t" >/dev/null || { echo "$0: $t not found" >&2; exit 77; }
done
if [ -z "${DAEMONRUN:-}" ]; then
	for c in "$top/build/dr/daemonrun/daemonrun" \
	    "$top/build/daemonrun/daemonrun" "$top/daemonrun/daemonrun" \
	    "$(command -v daemonrun || true)"; do
		if [ -n "$c" ] && [ -x "$c" ]; then DAEMONRUN=$c; break; fi
	done
fi
[ -n "${DAEMONRUN:-}" ] || { echo "$0: no daemonrun (set DAEMONRUN)" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/dr-vs-ssd.XXXXXX")
stop_all() {
	"$DAEMONRUN" --stop -p "$work/a.pid" >/dev/null 2>&1 || true
	start-stop-daemon --stop --quiet --oknodo --pidfile "$work/b.pid" \
	    --remove-pidfile --retry TERM/5 >/dev/null 2>&1 || true
}
trap 'stop_all; rm -rf "$work"' EXIT HUP INT TERM

if [ -z "${NOTIFYPROG:-}" ]; then
	c=$(dirname "$(dirname "$DAEMONRUN")")/tests/notifyprog
	if [ -x "$c" ]; then
		NOTIFYPROG=$c
	else
		${CC:-cc} -O2 -o "$work/notifyprog" "$top/tests/notifyprog.c"
		NOTIFYPROG=$work/notifyprog
	fi
fi
# Both start the same binary, from a path of their own in the work dir,
# so that start-stop-daemon's --exec match sees only its own instance.
cp "$NOTIFYPROG" "$work/np-a"
cp "$NOTIFYPROG" "$work/np-b"

cmd_a="$DAEMONRUN --notify -p $work/a.pid -- $work/np-a ready"
cmd_b="start-stop-daemon --start --background --notify-await --pidfile $work/b.pid --make-pidfile --exec $work/np-b -- ready"
prepare="$DAEMONRUN --stop -p $work/a.pid >/dev/null 2>&1; start-stop-daemon --stop --quiet --oknodo --pidfile $work/b.pid --remove-pidfile --retry TERM/5 >/dev/null 2>&1; true"

# Sanity: each one really starts and is ready, once, untimed.
$cmd_a
$cmd_b
[ -s "$work/a.pid" ] && [ -s "$work/b.pid" ] || {
	echo "$0: a start did not write its pidfile" >&2; exit 1; }
stop_all

for r in $(seq 1 "$rounds"); do
	hyperfine -N --style none --warmup 1 --runs "$block" \
	    --prepare "sh -c '$prepare'" \
	    --export-json "$work/round$r.json" \
	    -n daemonrun "$cmd_a" -n start-stop-daemon "$cmd_b" >/dev/null 2>&1 ||
	    hyperfine --style none --warmup 1 --runs "$block" \
	    --prepare "$prepare" --export-json "$work/round$r.json" \
	    -n daemonrun "$cmd_a" -n start-stop-daemon "$cmd_b" >/dev/null
done
stop_all

python3 - "$work" "$rounds" <<'EOF'
import json, statistics, sys
work, rounds = sys.argv[1], int(sys.argv[2])
times = {}
for r in range(1, rounds + 1):
    for res in json.load(open(f"{work}/round{r}.json"))["results"]:
        times.setdefault(res["command"], []).extend(res["times"])
def q(v, p):
    v = sorted(v); k = (len(v) - 1) * p; f = int(k)
    return v[f] + (v[min(f + 1, len(v) - 1)] - v[f]) * (k - f)
print(f"time to ready, {rounds} rounds x {len(next(iter(times.values()))) // rounds} "
      "runs each, interleaved by round (ms)")
print(f"{'':20} {'runs':>5} {'median':>8} {'q1':>8} {'q3':>8} {'min':>8} {'max':>8}")
med = {}
for name, v in times.items():
    ms = [t * 1000 for t in v]
    med[name] = statistics.median(ms)
    print(f"{name:20} {len(ms):5d} {med[name]:8.2f} {q(ms, .25):8.2f} "
          f"{q(ms, .75):8.2f} {min(ms):8.2f} {max(ms):8.2f}")
if "daemonrun" in med and "start-stop-daemon" in med:
    print(f"ratio of medians start-stop-daemon / daemonrun: "
          f"{med['start-stop-daemon'] / med['daemonrun']:.2f}")
EOF
