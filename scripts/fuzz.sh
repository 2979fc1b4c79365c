#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 the libdaemonize authors
# scripts/fuzz.sh [SECONDS] - build the libFuzzer targets in tests/fuzz/
# and run each for SECONDS (default 60; 0 replays the corpus only).
#
# Needs clang with the libFuzzer runtime (Debian: clang, libclang-rt-14-dev).
# Everything happens under build/fuzz: a configure there provides config.h,
# lib/*.c are compiled with coverage, ASan and UBSan into an archive, each
# tests/fuzz/fuzz_*.c links against it.  Each target runs on a copy of its
# seeds (tests/fuzz/corpus/<target>/ -> build/fuzz/corpus/<target>/), which
# the run extends, so the work tree is never written; crashes are saved as
# build/fuzz/artifacts/<target>-crash-*.  A line " * FUZZ_OPTIONS: ..." in
# a target's top comment adds libFuzzer options (e.g. -max_len).
#
#   scripts/fuzz.sh 60             # CI: a minute per target
#   scripts/fuzz.sh 0              # replay the seeds (and the saved corpus)
#   FUZZ_TARGETS="fuzz_uint" scripts/fuzz.sh 600
#   FUZZ_MERGE=1 scripts/fuzz.sh 0 # minimise build corpus into the repo's
#   FUZZ_BUILDDIR=/tmp/fz scripts/fuzz.sh  # build elsewhere
#
# Prints one line per target with its executions and result; exits 1 when
# any target fails to build or finds a crash, leak or broken invariant.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-60}
case $secs in
''|*[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;;
esac
cc=${FUZZ_CC:-clang}
build=${FUZZ_BUILDDIR:-$top/build/fuzz}

command -v "$cc" >/dev/null || { echo "fuzz: $cc not found" >&2; exit 1; }

# config.h, from a configure run of our own (a fresh clone has no
# configure yet: generate it as check-all.sh does).
if [ ! -x "$top/configure" ]; then
	(cd "$top" && autoreconf -fi >/dev/null 2>&1) ||
		{ echo "fuzz: autoreconf failed" >&2; exit 1; }
fi
mkdir -p "$build" || exit 1
if [ ! -f "$build/config.status" ]; then
	(cd "$build" && "$top/configure" -q CC="$cc" --enable-werror >configure.out 2>&1) ||
		{ cat "$build/configure.out"; echo "fuzz: configure failed" >&2; exit 1; }
elif [ "$top/configure" -nt "$build/config.status" ]; then
	# A newer configure: rerun it with the options this directory was
	# configured with (it may be someone's build directory).
	(cd "$build" && ./config.status --recheck >configure.out 2>&1 &&
		./config.status >>configure.out 2>&1) ||
		{ cat "$build/configure.out"; echo "fuzz: reconfigure failed" >&2; exit 1; }
fi
mkvar() { sed -n "s/^$1 = //p" "$build/Makefile" | head -1; }
warn=$(mkvar WARN_CFLAGS)
libs="$(mkvar LIBBSD_LIBS) $(mkvar LIBS)"

san="-fsanitize=address,undefined -fno-sanitize-recover=all"
cflags="-g -O1 -fno-omit-frame-pointer $san $warn"
cppflags="-DHAVE_CONFIG_H -I$build -I$top/include -I$top/lib -I$top/lib/compat"
obj=$build/obj bin=$build/bin
rm -rf "$obj" && mkdir -p "$obj" "$bin" "$build/logs" "$build/artifacts" || exit 1

# The library's sources as Makefile.am lists them (a file being written
# in lib/ but not yet listed is not part of the library).
srcs=$(sed -n '/^lib_libdaemonize_core_la_SOURCES *=/,/[^\\]$/p' \
	"$top/Makefile.am" | grep -oE 'lib/[A-Za-z0-9_/]+\.c')
[ -n "$srcs" ] || { echo "fuzz: no library sources in Makefile.am" >&2; exit 1; }
# The library, instrumented for coverage but without libFuzzer's main.
# shellcheck disable=SC2086 # flags are word lists
for src in $srcs; do
	src=$top/$src
	o=${src#"$top"/lib/}; o=$obj/${o//\//_}; o=${o%.c}.o
	$cc $cppflags $cflags -fsanitize=fuzzer-no-link -c -o "$o" "$src" ||
		{ echo "fuzz: cannot compile $src" >&2; exit 1; }
done
rm -f "$obj/libfuzzlib.a"
ar rcs "$obj/libfuzzlib.a" "$obj"/*.o || exit 1

targets=()
for src in "$top"/tests/fuzz/fuzz_*.c; do
	name=$(basename "$src" .c)
	if [ -n "${FUZZ_TARGETS:-}" ] && ! [[ " $FUZZ_TARGETS " == *" $name "* ]]; then
		continue
	fi
	targets+=("$name")
done
[ ${#targets[@]} -gt 0 ] || { echo "fuzz: no targets" >&2; exit 1; }

failed=0
for name in "${targets[@]}"; do
	src=$top/tests/fuzz/$name.c
	log=$build/logs/$name.log
	# shellcheck disable=SC2086
	if ! $cc $cppflags $cflags -fsanitize=fuzzer -I"$top/tests/fuzz" \
		-o "$bin/$name" "$src" "$obj/libfuzzlib.a" $libs >"$log" 2>&1; then
		cat "$log"
		printf '%-22s %12s  %s\n' "$name" "-" "FAIL (build)"
		failed=$((failed + 1))
		continue
	fi
	corpus=$build/corpus/$name
	mkdir -p "$corpus" || exit 1
	if [ -d "$top/tests/fuzz/corpus/$name" ]; then
		cp -n "$top/tests/fuzz/corpus/$name"/* "$corpus"/ 2>/dev/null
	fi
	read -r -a opts <<<"$(sed -n 's/^ \* FUZZ_OPTIONS: //p' "$src" | head -1)"
	common=(-timeout=10 -rss_limit_mb=2048 -print_final_stats=1
		"-artifact_prefix=$build/artifacts/$name-")
	if [ "$secs" -eq 0 ]; then
		"$bin/$name" "${opts[@]}" "${common[@]}" -runs=0 "$corpus" >>"$log" 2>&1
	else
		"$bin/$name" "${opts[@]}" "${common[@]}" -max_total_time="$secs" \
			"$corpus" >>"$log" 2>&1
	fi
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	[ -n "$execs" ] || execs=$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#')
	files=$(find "$corpus" -type f | wc -l)
	if [ $rc -eq 0 ]; then
		printf '%-22s %12s execs  %5s corpus files  ok\n' "$name" "${execs:-?}" "$files"
	else
		grep -E 'invariant violated|ERROR: (AddressSanitizer|libFuzzer|LeakSanitizer)|runtime error|Test unit written|Seed:' \
			"$log" | head -20
		printf '%-22s %12s execs  %5s corpus files  FAIL (exit %d, log %s)\n' \
			"$name" "${execs:-?}" "$files" "$rc" "$log"
		failed=$((failed + 1))
	fi
	if [ -n "${FUZZ_MERGE:-}" ] && [ $rc -eq 0 ]; then
		# Keep the repo's corpus small: only inputs that add coverage.
		mkdir -p "$top/tests/fuzz/corpus/$name"
		"$bin/$name" "${opts[@]}" -merge=1 "$top/tests/fuzz/corpus/$name" \
			"$corpus" >>"$log" 2>&1 || { echo "fuzz: merge of $name failed" >&2; failed=$((failed + 1)); }
	fi
done
echo "fuzz: ${#targets[@]} targets, $failed failed"
[ $failed -eq 0 ]
