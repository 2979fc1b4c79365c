#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 the libdaemonize authors
#
# Run echod under every real service manager (tests/supervisors/*.sh)
# against an existing build:
#
#   scripts/supervisors.sh ECHOD LIBDIR [TEST...]
#   e.g. scripts/supervisors.sh build/gcc-libbsd/examples/echod build/gcc-libbsd/lib/.libs
#
# Builds nothing and installs nothing: the Debian packages the tests need
# are listed in tests/supervisors/packages.txt (.ci/run installs them); a
# test whose manager is missing reports SKIP with the reason.  Prints each
# test's result lines, then "PASS:", "FAIL:" or "SKIP:" with its name, and
# ends with "N passed, N failed, N skipped".  Exit status 1 if any failed.
# DZ_TIME_FACTOR (default 1) scales every timeout, this script's too.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
dir=$top/tests/supervisors

if [ $# -lt 2 ]; then
	echo "usage: $0 ECHOD LIBDIR [TEST...]" >&2
	printf 'tests: ' >&2
	# Test scripts are the executable ones; the sourced helpers are not.
	for f in "$dir"/*.sh; do
		[ -x "$f" ] && printf '%s ' "$(basename "$f" .sh)"
	done >&2
	echo >&2
	exit 2
fi
ECHOD=$(cd "$(dirname "$1")" 2>/dev/null && pwd)/$(basename "$1")
LIBDIR=$(cd "$2" 2>/dev/null && pwd) || { echo "$0: no directory $2" >&2; exit 2; }
[ -x "$ECHOD" ] || { echo "$0: $1 is not executable" >&2; exit 2; }
export ECHOD LIBDIR
shift 2

# The order is the cheap ones first; the systemd containers last.
all=(ssd-classic ssd-notify s6 runit daemontools supervisord tini dumb-init
    pid1 systemd-notify systemd-forking systemd-socket systemd254-notify-reload)
[ $# -gt 0 ] && all=("$@")

factor=${DZ_TIME_FACTOR:-1}
# Each test bounds its own waits; this is the backstop.  SIGTERM lets its
# EXIT trap clean up; SIGKILL follows if that hangs.
limit=$(awk -v f="$factor" 'BEGIN { printf "%d", 240 * f }')

pass=0 fail=0 skip=0 failed=()
start=${EPOCHREALTIME/./}
for t in "${all[@]}"; do
	if [ ! -x "$dir/$t.sh" ]; then
		echo "FAIL: $t (no such test)"; fail=$((fail + 1)); failed+=("$t")
		continue
	fi
	t0=${EPOCHREALTIME/./}
	timeout -k 30 "$limit" "$dir/$t.sh" </dev/null 2>&1 | sed 's/^/    /'
	rc=${PIPESTATUS[0]}
	secs=$(( (${EPOCHREALTIME/./} - t0) / 1000000 ))
	case $rc in
	0)  echo "PASS: $t (${secs} s)"; pass=$((pass + 1)) ;;
	77) echo "SKIP: $t"; skip=$((skip + 1)) ;;
	124|137) echo "FAIL: $t (timed out after $limit s)"; fail=$((fail + 1)); failed+=("$t") ;;
	*)  echo "FAIL: $t (exit $rc, ${secs} s)"; fail=$((fail + 1)); failed+=("$t") ;;
	esac
done
echo "supervisor suite: $(( (${EPOCHREALTIME/./} - start) / 1000000 )) s"
[ ${#failed[@]} -eq 0 ] || echo "failed: ${failed[*]}"
if [ "$skip" -gt 0 ]; then
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
[ "$fail" -eq 0 ]
