#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 the libdaemonize authors
# readme-sample.sh - the C sample in README.md compiles, warning-free,
# against the library and header of this tree, and runs: it starts in the
# background, serves, is refused a second time, and stops on SIGTERM.
# Exit: 0 ok, 1 not, 77 (skip) without a shared library.
srcdir=${top_srcdir:-$(dirname "$0")/..}
builddir=${top_builddir:-.}
lib=$builddir/lib/.libs/libdaemonize.so
[ -e "$lib" ] || { echo "readme-sample: $lib not built, skipping"; exit 77; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/readme.XXXXXX") || exit 1
pid=
cleanup() {
	[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT HUP INT TERM
# The first ```c block of the README.
sed -n '/^```c$/,/^```$/p' "$srcdir/README.md" | sed '1d;$d' | \
    awk 'done { next } /^```$/ { done = 1; next } { print }' >"$tmp/sample.c"
[ -s "$tmp/sample.c" ] || { echo "FAIL no C sample in README.md"; exit 1; }
# The compiler and flags of this build (make check exports them): a
# sanitizer build's library needs its runtime in the program too.
# shellcheck disable=SC2086 # flags are words
if ! ${CC:-cc} ${CFLAGS:-} -Wall -Wextra -Werror -I"$srcdir/include" \
    -o "$tmp/sample" "$tmp/sample.c" ${LDFLAGS:-} "$lib" \
    -Wl,-rpath,"$(cd "$(dirname "$lib")" && pwd)" >"$tmp/cc.out" 2>&1; then
	echo "FAIL the README sample does not compile:"; cat "$tmp/cc.out"
	exit 1
fi
echo "readme-sample: compiles with -Wall -Wextra -Werror"
# Its pidfile and port are fixed (/tmp/hello.pid, 7009): run it only when
# they are free, so that parallel runs of the suite do not collide.
if [ -e /tmp/hello.pid ] && ! rm -f /tmp/hello.pid 2>/dev/null; then
	echo "readme-sample: /tmp/hello.pid in use, not run"; exit 0
fi
if ! "$tmp/sample" >"$tmp/out" 2>&1; then
	if grep -q 'in use' "$tmp/out"; then
		echo "readme-sample: port 7009 in use, not run"; exit 0
	fi
	echo "FAIL the sample did not start:"; cat "$tmp/out"; exit 1
fi
pid=$(cat /tmp/hello.pid 2>/dev/null)
[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null ||
	{ echo "FAIL no live pid in /tmp/hello.pid"; exit 1; }
if "$tmp/sample" >"$tmp/out2" 2>&1 ||
    ! grep -q "already running, pid $pid" "$tmp/out2"; then
	echo "FAIL second instance:"; cat "$tmp/out2"; exit 1
fi
kill -TERM "$pid"
i=0
while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
kill -0 "$pid" 2>/dev/null && { echo "FAIL still running after SIGTERM"; exit 1; }
pid=
[ -e /tmp/hello.pid ] && { echo "FAIL /tmp/hello.pid left behind"; exit 1; }
echo "readme-sample: ran, refused a second instance, stopped, left nothing"
exit 0
