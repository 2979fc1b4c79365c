#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 the libdaemonize authors
#
# hardening.sh BUILDDIR SRCDIR - build and test libdaemonize the way a
# Debian package build compiles it: the compiler and linker flags come from
# dpkg-buildflags (fortify, stack protector, format-security, relro, and
# with the default DEB_BUILD_MAINT_OPTIONS=hardening=+all also bindnow,
# stack-clash and CET), plus --enable-werror, so that a warning that only
# these flags raise (warn_unused_result under _FORTIFY_SOURCE, for one)
# fails here and not first in a package build.
#
# SRCDIR must hold a generated configure (scripts/check-all.sh runs
# autoreconf first); BUILDDIR is removed and created again.  Extra
# arguments after SRCDIR go to configure (e.g. --without-libbsd).
# Ends with one line: "hardening: ok" or "hardening: FAILED (step)".
# Exit: 0 ok, 1 failed, 77 when dpkg-buildflags is missing.
set -eu

if [ $# -lt 2 ]; then
	echo "usage: $0 BUILDDIR SRCDIR [configure args...]" >&2
	exit 2
fi
builddir=$1
srcdir=$(cd "$2" && pwd)
shift 2

if ! command -v dpkg-buildflags >/dev/null 2>&1; then
	echo "hardening: skipped: dpkg-buildflags not found (apt-get install dpkg-dev)"
	exit 77
fi
if [ ! -x "$srcdir/configure" ]; then
	echo "hardening: FAILED (no $srcdir/configure: run autoreconf -fi first)"
	exit 1
fi

# The same hardening set debian/rules asks for, unless the caller chose.
DEB_BUILD_MAINT_OPTIONS=${DEB_BUILD_MAINT_OPTIONS:-hardening=+all}
export DEB_BUILD_MAINT_OPTIONS
CFLAGS=$(dpkg-buildflags --get CFLAGS)
CPPFLAGS=$(dpkg-buildflags --get CPPFLAGS)
LDFLAGS=$(dpkg-buildflags --get LDFLAGS)

rm -rf "$builddir"
mkdir -p "$builddir"
cd "$builddir"
jobs=$(nproc 2>/dev/null || echo 2)

fail() {
	echo "hardening: FAILED ($1)"
	exit 1
}

echo "hardening: CFLAGS=$CFLAGS"
echo "hardening: CPPFLAGS=$CPPFLAGS"
echo "hardening: LDFLAGS=$LDFLAGS"
"$srcdir/configure" -q --enable-werror "$@" \
	CFLAGS="$CFLAGS" CPPFLAGS="$CPPFLAGS" LDFLAGS="$LDFLAGS" \
	>configure.out 2>&1 || { cat configure.out; fail configure; }
# Warnings are errors here; print every diagnostic so that all of them
# are seen at once, not only the first file that stopped make.
if ! make -k -j"$jobs" >make.out 2>&1; then
	grep -E '^[^ ]+:[0-9]+:[0-9]+: (warning|error):' make.out ||
		tail -40 make.out
	fail make
fi
# The test programs are built by make check, with -Werror as well: build
# all of them first (TESTS= runs none) so that every warning is listed.
if ! make -k -j"$jobs" check TESTS= >check-build.out 2>&1; then
	grep -E '^[^ ]+:[0-9]+:[0-9]+: (warning|error):' check-build.out ||
		tail -40 check-build.out
	fail "make check (building the tests)"
fi
if ! make -j"$jobs" check >check.out 2>&1; then
	grep -E '^(FAIL|ERROR):' check.out || true
	for log in tests/*.log; do
		[ -f "$log" ] || continue
		grep -qE '^(FAIL|ERROR)' "${log%.log}.trs" 2>/dev/null &&
			{ echo "--- $log"; tail -40 "$log"; }
	done
	tail -20 check.out
	fail "make check"
fi
grep -E '^# (TOTAL|PASS|FAIL|ERROR|SKIP)' check.out | tr '\n' ' '
echo
echo "hardening: ok"
