#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 the libdaemonize authors
# portability.sh - build and test libdaemonize beyond gcc on glibc.
#
#   musl  The library, examples/echod, examples/template and tests/helper
#         built with musl-gcc --without-libbsd (musl has no libbsd: the
#         library's own pidfile code is used).  Check is a glibc library
#         and cannot be linked with musl-gcc, so the end-to-end suites are
#         built with the system compiler and run against the musl binaries:
#         DZ_HELPER and DZ_EXAMPLES_DIR (tests/testutil.c) make every test
#         that execs tests/helper or examples/echod exec the musl ones.  The
#         in-process tests of those suites still exercise the glibc build
#         of the library.  Also: make check in the musl tree (mandoc lint,
#         with the man page example compiled by musl-gcc, and the exported
#         symbols of the musl libdaemonize.so), and a start/stop run of the
#         musl examples/template.
#   c99   -std=c99 -pedantic -D_POSIX_C_SOURCE=200809L with --enable-werror
#         (so zero warnings), plus only the extensions configure turns on in
#         config.h (AC_USE_SYSTEM_EXTENSIONS); the full make check.
#
# Usage: scripts/portability.sh [musl] [c99]        (default: both)
# Environment: DZ_BUILD_ROOT (default <top>/build): build directories go
# to $DZ_BUILD_ROOT/musl, musl-suites and c99.  DZ_GLIBC_BUILD: an existing
# glibc build directory whose suites are used instead of building them in
# musl-suites (scripts/check-all.sh passes its gcc-own stage).
#
# Prints automake-style result lines ("PASS: musl/tests/check_fork") and
# ends with "# TOTAL:", "# PASS:", ... lines summing every step; exits 1
# if anything failed or errored, else 0.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
root=${DZ_BUILD_ROOT:-$top/build}
jobs=$(nproc 2>/dev/null || echo 2)
pass=0 fail=0 skip=0 error=0 xfail=0 xpass=0

# The suites that start tests/helper or examples/echod as separate
# programs.  Not check_daemonize (in-process only) and not check_faults:
# its LD_PRELOAD shim is built for glibc and cannot enter a musl process.
musl_suites=${DZ_MUSL_SUITES:-"tests/check_fork tests/check_stdio
tests/check_fds tests/check_pidfile tests/check_signals tests/check_echod
tests/check_confine tests/check_privileges tests/check_notify
tests/check_supervisor"}

# result STATUS NAME [why]: one automake-style line, counted.
result() {
	echo "$1: $2${3:+ ($3)}"
	case $1 in
	PASS) pass=$((pass + 1)) ;;
	SKIP) skip=$((skip + 1)) ;;
	FAIL) fail=$((fail + 1)) ;;
	XFAIL) xfail=$((xfail + 1)) ;;
	XPASS) xpass=$((xpass + 1)) ;;
	*) error=$((error + 1)) ;;
	esac
}

# harvest PREFIX DIR OUT RC: the result lines of a make check (in OUT, run
# in DIR, exit status RC) with PREFIX, counted; the logs of failed tests
# are shown.  A failure without a failed test (it did not build) is an
# ERROR of its own, so that it cannot pass unnoticed.
harvest() {
	local prefix=$1 dir=$2 out=$3 rc=$4 st name trs bad=0
	while read -r st name; do
		result "${st%:}" "$prefix/$name"
		case $st in FAIL:|ERROR:|XPASS:) bad=1 ;; esac
	done < <(grep -E '^(PASS|FAIL|ERROR|SKIP|XPASS|XFAIL):' "$out")
	if [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then
		grep -E 'error|Error' "$out" | head -20
		tail -10 "$out"
		result ERROR "$prefix/make-check" "exit status $rc"
	fi
	for trs in "$dir"/tests/*.trs; do
		[ -e "$trs" ] || continue
		grep -qE '^:test-result: (FAIL|ERROR|XPASS)' "$trs" || continue
		echo "--- ${trs%.trs}.log"
		tail -40 "${trs%.trs}.log"
	done
}

# configure_build NAME DIR CONFIGURE-ARGS...: fresh DIR, configure, make.
configure_build() {
	local name=$1 dir=$2
	shift 2
	if ! { rm -rf "$dir" && mkdir -p "$dir"; }; then
		result ERROR "$name/mkdir"
		return 1
	fi
	if ! (cd "$dir" && "$top/configure" -q "$@") >"$dir/configure.out" 2>&1; then
		tail -30 "$dir/configure.out"
		result ERROR "$name/configure" "$*"
		return 1
	fi
	if ! make -C "$dir" -s -j"$jobs" >"$dir/make.out" 2>&1; then
		tail -40 "$dir/make.out"
		result ERROR "$name/make"
		return 1
	fi
	result PASS "$name/build" "$*"
}

# Whether the ELF file $1 runs on musl's dynamic linker.
is_musl() {
	readelf -l "$1" 2>/dev/null | grep -q 'interpreter: .*ld-musl'
}

# tests/helper with musl-gcc.  Makefile.am builds it only together with the
# Check suites, which musl-gcc cannot link; so unless the Makefile knows
# how, compile and link it here the way Makefile.am would (with libtool,
# -no-install, against the musl libdaemonize.la).
build_musl_helper() {
	local mb=$1 warn
	if make -C "$mb" -s tests/helper >"$mb/helper.out" 2>&1 &&
	    [ -x "$mb/tests/helper" ]; then
		return 0
	fi
	warn=$(sed -n 's/^WARN_CFLAGS = //p' "$mb/Makefile")
	# shellcheck disable=SC2086
	(cd "$mb" && mkdir -p tests &&
	    musl-gcc -DHAVE_CONFIG_H -I. -I"$top/include" -I"$top/lib" -I"$top/lib/compat" $warn \
	    -g -O2 -c "$top/tests/helper.c" -o tests/helper.o &&
	    ./libtool --quiet --tag=CC --mode=link musl-gcc -g -O2 \
	    -no-install -o tests/helper tests/helper.o lib/libdaemonize.la) \
	    >"$mb/helper.out" 2>&1
}

# examples/template (musl): starts, is refused a second time, stops on
# SIGTERM and removes its pidfile.  Every wait is bounded.
template_run() {
	local m=$1 tmp pid out rc=0 port=$((20000 + $$ % 20000))
	tmp=$(mktemp -d /tmp/dzport.XXXXXX) || return 1
	if ! "$m" -p "$tmp/m.pid" -P "$port" >"$tmp/out" 2>&1; then
		echo "first start failed: $(cat "$tmp/out")"; rc=1
	fi
	pid=$(cat "$tmp/m.pid" 2>/dev/null)
	if [ "$rc" -eq 0 ] && ! { [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; }; then
		echo "no live pid in $tmp/m.pid ('$pid')"; rc=1
	fi
	if [ "$rc" -eq 0 ]; then
		out=$("$m" -p "$tmp/m.pid" -P "$port" 2>&1) &&
			{ echo "second start succeeded"; rc=1; }
		case $out in
		*"already running, pid $pid"*) ;;
		*) echo "second start said: $out"; rc=1 ;;
		esac
	fi
	[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null
	for _ in $(seq 1 200); do
		[ -e "$tmp/m.pid" ] || break
		sleep 0.05
	done
	if [ -e "$tmp/m.pid" ]; then
		echo "pidfile left behind after SIGTERM"; rc=1
		[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
	fi
	rm -rf "$tmp"
	return $rc
}

run_musl() {
	local mb=$root/musl gb f bin
	echo "=== musl: CC=musl-gcc --without-libbsd, suites from glibc"
	if ! command -v musl-gcc >/dev/null 2>&1; then
		result ERROR musl/musl-gcc "not found; apt-get install musl-tools"
		return
	fi
	configure_build musl "$mb" --enable-werror CC=musl-gcc \
	    --without-libbsd || return
	if grep -q '^#define HAVE_PIDFILE_OPEN 1' "$mb/config.h"; then
		result FAIL musl/own-pidfile-code "HAVE_PIDFILE_OPEN is set"
	else
		result PASS musl/own-pidfile-code
	fi
	if build_musl_helper "$mb"; then
		result PASS musl/tests/helper
	else
		tail -30 "$mb/helper.out"
		result ERROR musl/tests/helper
		return
	fi
	# The binaries under test really are musl programs on the musl
	# library (a glibc fallback would make every result below moot).
	for bin in tests/helper examples/echod examples/template; do
		f=$mb/$bin
		if is_musl "$f" && ldd_musl_lib "$f" "$mb"; then
			result PASS "musl/$bin-is-musl"
		else
			result FAIL "musl/$bin-is-musl"
		fi
	done
	if template_run "$mb/examples/template"; then
		result PASS musl/examples/template
	else
		result FAIL musl/examples/template
	fi
	# make check in the musl tree: only the script tests (no Check).
	make -C "$mb" -j"$jobs" check >"$mb/check.out" 2>&1
	harvest musl "$mb" "$mb/check.out" $?

	gb=${DZ_GLIBC_BUILD:-}
	if [ -z "$gb" ] || [ ! -x "$gb/tests/check_fork" ]; then
		gb=$root/musl-suites
		echo "=== musl: the Check suites, built with ${CC:-the system cc}"
		configure_build musl-suites "$gb" --enable-werror \
		    --without-libbsd || return
		if ! make -C "$gb" -s -j"$jobs" check TESTS= >"$gb/build.out" 2>&1; then
			tail -40 "$gb/build.out"
			result ERROR musl-suites/make
			return
		fi
	fi
	echo "=== musl: end-to-end suites ($gb) against $mb"
	DZ_HELPER=$mb/tests/helper DZ_EXAMPLES_DIR=$mb/examples \
	    make -C "$gb" -j"$jobs" check TESTS="$(echo "$musl_suites" | tr '\n' ' ')" \
	    >"$gb/musl-check.out" 2>&1
	harvest musl "$gb" "$gb/musl-check.out" $?
}

# The musl program $1 loads libdaemonize.so from the musl tree $2.
ldd_musl_lib() {
	local runpath
	runpath=$(readelf -d "$1" 2>/dev/null | sed -n 's/.*R[UN]*PATH.*\[\(.*\)\]/\1/p')
	case ":$runpath:" in
	*":$2/lib/.libs:"*) return 0 ;;
	esac
	echo "$1: runpath '$runpath' does not name $2/lib/.libs"
	return 1
}

run_c99() {
	local cb=$root/c99
	local flags="-std=c99 -pedantic -D_POSIX_C_SOURCE=200809L -O2 -g"
	echo "=== c99: CFLAGS=$flags --enable-werror"
	configure_build c99 "$cb" --enable-werror "CFLAGS=$flags" || return
	make -C "$cb" -j"$jobs" check >"$cb/check.out" 2>&1
	harvest c99 "$cb" "$cb/check.out" $?
}

[ -x "$top/configure" ] || (cd "$top" && autoreconf -fi >/dev/null 2>&1) ||
	{ echo "portability: no configure and autoreconf failed"; exit 1; }
[ $# -gt 0 ] || set -- musl c99
for what in "$@"; do
	case $what in
	musl) run_musl ;;
	c99) run_c99 ;;
	*) echo "usage: $0 [musl] [c99]" >&2; exit 2 ;;
	esac
done

echo "# TOTAL: $((pass + fail + skip + error + xfail + xpass))"
echo "# PASS:  $pass"
echo "# SKIP:  $skip"
echo "# XFAIL: $xfail"
echo "# FAIL:  $fail"
echo "# XPASS: $xpass"
echo "# ERROR: $error"
[ $((fail + error + xpass)) -eq 0 ]
