#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 the libdaemonize authors
# Build libdaemonize every way CI does and run the whole test suite each
# time: gcc with libbsd, gcc with the own pidfile code, clang,
# strict C99, musl,
# AddressSanitizer + UBSan, valgrind memcheck, cppcheck and clang-tidy,
# libFuzzer (FUZZ_SECONDS per target, default 60), Debian's hardening
# flags with -Werror, echod under the real service managers (once), the
# Debian packages (build, lintian, install, autopkgtest, remove), and
# make distcheck.
# Ends with one line "N passed, N failed" counting the runs of all suites.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/deps.sh" || exit 1
cd "$top" || exit 1
autoreconf -fi >/dev/null 2>&1 || { echo "autoreconf failed"; exit 1; }
jobs=$(nproc)
pass=0 fail=0
failed_stages=()

# stage NAME CONFIGURE-ARGS... -- MAKE-ARGS...
stage() {
	local name=$1; shift
	local conf=() mk=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do conf+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	mk=("$@")
	local dir="$top/build/$name"
	echo "=== $name: configure ${conf[*]}"
	rm -rf "$dir" && mkdir -p "$dir" && cd "$dir" || return 1
	if ! "$top/configure" -q "${conf[@]}" >configure.out 2>&1; then
		cat configure.out; failed_stages+=("$name"); fail=$((fail + 1))
		cd "$top"; return 1
	fi
	make -s -j"$jobs" >make.out 2>&1 || { cat make.out;
		failed_stages+=("$name"); fail=$((fail + 1)); cd "$top"; return 1; }
	make -j"$jobs" check "${mk[@]}" >check.out 2>&1
	local rc=$?
	grep -E '^(PASS|FAIL|ERROR|SKIP|XPASS|XFAIL):' check.out
	grep -E '^# (TOTAL|PASS|FAIL|ERROR|SKIP)' check.out | tr '\n' ' '; echo
	local p f e
	p=$(sed -n 's/^# PASS: *//p' check.out | tail -1)
	f=$(sed -n 's/^# FAIL: *//p' check.out | tail -1)
	e=$(sed -n 's/^# ERROR: *//p' check.out | tail -1)
	pass=$((pass + ${p:-0})); fail=$((fail + ${f:-0} + ${e:-0}))
	if [ $rc -ne 0 ]; then
		[ -z "$p" ] && fail=$((fail + 1))
		failed_stages+=("$name")
		for log in tests/*.log; do
			grep -qE '^:test-result: (FAIL|ERROR)' "${log%.log}.trs" 2>/dev/null &&
				{ echo "--- $log"; tail -40 "$log"; }
		done
		tail -20 check.out
	fi
	cd "$top"
}

stage gcc-libbsd --enable-werror --with-libbsd
stage gcc-own --enable-werror --without-libbsd
stage clang --enable-werror CC=clang
# Strict C99 plus POSIX, and only the extensions configure detects.
stage c99 --enable-werror "CFLAGS=-std=c99 -pedantic -O2 -g" \
	"CPPFLAGS=-D_POSIX_C_SOURCE=200809L"
# musl: the library, examples and helper built with musl-gcc (so the
# library's own pidfile code), driven by the glibc-built Check suites.
echo "=== musl: scripts/portability.sh musl"
DZ_BUILD_ROOT="$top/build" DZ_GLIBC_BUILD="$top/build/gcc-own" \
	"$top/scripts/portability.sh" musl >"$top/build/musl.out" 2>&1
musl_rc=$?
grep -E '^(PASS|FAIL|ERROR|SKIP|XPASS|XFAIL):' "$top/build/musl.out"
grep -E '^# (TOTAL|PASS|FAIL|ERROR|SKIP)' "$top/build/musl.out" | tr '\n' ' '; echo
p=$(sed -n 's/^# PASS: *//p' "$top/build/musl.out" | tail -1)
f=$(sed -n 's/^# FAIL: *//p' "$top/build/musl.out" | tail -1)
e=$(sed -n 's/^# ERROR: *//p' "$top/build/musl.out" | tail -1)
pass=$((pass + ${p:-0})); fail=$((fail + ${f:-0} + ${e:-0}))
if [ "$musl_rc" -ne 0 ]; then
	[ -z "$p" ] && fail=$((fail + 1))
	failed_stages+=(musl)
	tail -60 "$top/build/musl.out"
fi
# Memory errors and undefined behaviour in every process.  Leaks are
# checked by tests/leaks.sh in the valgrind stage, on real daemons: the
# test programs leak their own small strings on purpose.
san="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g -O1"
# Time limits in the tests scale by DZ_TIME_FACTOR (tests/testutil.h):
# sanitizers slow every process down; valgrind.sh sets its own factor.
DZ_TIME_FACTOR=${DZ_TIME_FACTOR_ASAN:-3} \
ASAN_OPTIONS=detect_leaks=0 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	stage asan-ubsan --enable-werror CC=clang "CFLAGS=$san" "LDFLAGS=-fsanitize=address,undefined"
DZ_LEAK_CHECK=1 stage valgrind --enable-werror "CFLAGS=-g -O1" -- \
	LOG_COMPILER="$top/tests/valgrind.sh"

echo "=== static analysis: cppcheck, clang-tidy"
if "$top/scripts/static-analysis.sh" >"$top/build/static.out" 2>&1; then
	tail -3 "$top/build/static.out"; pass=$((pass + 1))
else
	tail -40 "$top/build/static.out"
	failed_stages+=(static-analysis); fail=$((fail + 1))
fi
echo "=== fuzz: ${FUZZ_SECONDS:-60} s per target"
if "$top/scripts/fuzz.sh" "${FUZZ_SECONDS:-60}" >"$top/build/fuzz.out" 2>&1; then
	grep -E '^(fuzz|  )' "$top/build/fuzz.out" | tail -8; pass=$((pass + 1))
else
	tail -40 "$top/build/fuzz.out"
	failed_stages+=(fuzz); fail=$((fail + 1))
fi

# Debian's hardening flags (dpkg-buildflags) with --enable-werror.
echo "=== hardening: dpkg-buildflags + --enable-werror"
if "$top/scripts/hardening.sh" "$top/build/hardening" "$top" \
    >"$top/build/hardening.out" 2>&1; then
	tail -2 "$top/build/hardening.out"; pass=$((pass + 1))
else
	tail -40 "$top/build/hardening.out"
	failed_stages+=(hardening); fail=$((fail + 1))
fi

# echod under the real service managers, once, against the gcc-libbsd
# build.  Each supervisor is one result; on CI every one of them must run
# (a skip fails the stage there), elsewhere a skip says why.
echo "=== supervisors: scripts/supervisors.sh (real service managers)"
"$top/scripts/supervisors.sh" "$top/build/gcc-libbsd/examples/echod" \
    "$top/build/gcc-libbsd/lib/.libs" >"$top/build/supervisors.out" 2>&1
sup_rc=$?
grep -E '^(PASS|FAIL|SKIP|ERROR):' "$top/build/supervisors.out"
sup_line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$top/build/supervisors.out" | tail -1)
echo "supervisors: ${sup_line:-no summary}"
p=$(echo "$sup_line" | sed -n 's/^\([0-9]*\) passed.*/\1/p')
f=$(echo "$sup_line" | sed -n 's/.* \([0-9]*\) failed.*/\1/p')
sk=$(echo "$sup_line" | sed -n 's/.* \([0-9]*\) skipped.*/\1/p')
pass=$((pass + ${p:-0})); fail=$((fail + ${f:-0}))
if [ "$sup_rc" -ne 0 ] || [ -z "$sup_line" ] ||
    { [ -n "${CI:-}" ] && [ "${sk:-0}" -gt 0 ]; }; then
	[ -n "${CI:-}" ] && [ "${sk:-0}" -gt 0 ] &&
		echo "supervisors: $sk skipped on CI, where all must run"
	[ -z "$sup_line" ] && fail=$((fail + 1))
	[ "${f:-0}" -eq 0 ] && [ -n "$sup_line" ] && fail=$((fail + 1))
	tail -60 "$top/build/supervisors.out"
	failed_stages+=(supervisors)
fi

# The Debian packages: built once (nocheck: make check ran above),
# lintian, installed, the autopkgtest against them, removed again.
echo "=== debian: dpkg-buildpackage, lintian, install, autopkgtest, remove"
if "$top/scripts/debian.sh" "$top" >"$top/build/debian.out" 2>&1; then
	grep -E '^(lintian|autopkgtest|debian):' "$top/build/debian.out"
	pass=$((pass + 1))
else
	tail -60 "$top/build/debian.out"
	failed_stages+=(debian); fail=$((fail + 1))
fi

echo "=== distcheck"
if (cd "$top/build/gcc-libbsd" && make -s -j"$jobs" distcheck >distcheck.out 2>&1); then
	echo "distcheck: ok"; pass=$((pass + 1))
else
	tail -30 "$top/build/gcc-libbsd/distcheck.out"
	failed_stages+=(distcheck); fail=$((fail + 1))
fi

echo
[ ${#failed_stages[@]} -eq 0 ] || echo "failed stages: ${failed_stages[*]}"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
