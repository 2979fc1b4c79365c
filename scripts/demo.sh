#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 the libdaemonize authors
# Build libdaemonize and show the example daemon at work: start echod in
# the background, talk to it, ask its status, start it a second time,
# reload it, stop it.  echod writes its log from the moment it is ready;
# -k returns once the daemon is gone, so the log is complete afterwards.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/deps.sh"
cd "$top"
[ -x configure ] || autoreconf -fi
mkdir -p build/default
cd build/default
[ -f Makefile ] || ../../configure -q
make -s -j"$(nproc)"

run=$(mktemp -d)
trap 'rm -rf "$run"' EXIT
echod=./examples/echod
port=7007
args=(-p "$run/echod.pid" -l "$run/echod.log" -P "$port")
say() { printf '\n$ %s\n' "$*"; }

say echod "${args[@]}"
"$echod" "${args[@]}"
echo "(the command returned $?: the daemon is running and ready)"
say echod -p "$run/echod.pid" -s
"$echod" -p "$run/echod.pid" -s
say echod "${args[@]}" '  (a second instance)'
"$echod" "${args[@]}" || echo "(exit status $?: the pidfile's lock is taken before the bind)"
say 'echo "hello, daemon" | (a client on 127.0.0.1:'"$port"')'
exec 3<>"/dev/tcp/127.0.0.1/$port"
echo "hello, daemon" >&3
IFS= read -r -t 5 reply <&3
exec 3<&-
echo "$reply"
say echod -p "$run/echod.pid" -R
"$echod" -p "$run/echod.pid" -R
say echod -p "$run/echod.pid" -k
"$echod" -p "$run/echod.pid" -k
echo "(the command returned $?: the daemon is gone)"
say echod -p "$run/echod.pid" -s
"$echod" -p "$run/echod.pid" -s || echo "(exit status $?)"
say cat echod.log
cat "$run/echod.log"
