#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 the libdaemonize authors
# scripts/static-analysis.sh - cppcheck and clang-tidy over lib/*.c and
# lib/compat/*.c, with the defines configure chose; exits 1 on any finding.
#
# Needs cppcheck (2.10 tested) and clang-tidy (14 tested); Debian packages
# cppcheck, clang-tidy.  A configure run under build/static (or
# $STATIC_BUILDDIR) provides config.h.  Both tools get the flags make
# gives the compiler for lib/: -DHAVE_CONFIG_H -I<builddir> -Iinclude -Ilib
# (every configured define lives in config.h, so this is the configured
# build; no compile_commands.json is needed, and files a configuration
# does not compile are analysed too).  False positives are suppressed
# inline, next to the code, with the reason:
#   cppcheck:   /* cppcheck-suppress <id> ; why */ on the line before
#   clang-tidy: /* NOLINTNEXTLINE(<check>): why */ on the line before
# Checks switched off for the whole tree are listed below, each with why.
#
#   scripts/static-analysis.sh          # both tools
#   STATIC_TOOLS=cppcheck scripts/static-analysis.sh
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${STATIC_BUILDDIR:-$top/build/static}
tools=${STATIC_TOOLS:-cppcheck clang-tidy}
cc=${CC:-cc}

tidy=${CLANG_TIDY:-}
if [ -z "$tidy" ]; then
	for t in clang-tidy clang-tidy-14; do
		command -v "$t" >/dev/null && { tidy=$t; break; }
	done
fi

if [ ! -x "$top/configure" ]; then
	(cd "$top" && autoreconf -fi >/dev/null 2>&1) ||
		{ echo "static-analysis: autoreconf failed" >&2; exit 1; }
fi
mkdir -p "$build" || exit 1
if [ ! -f "$build/config.status" ]; then
	(cd "$build" && "$top/configure" -q >configure.out 2>&1) ||
		{ cat "$build/configure.out"; echo "static-analysis: configure failed" >&2; exit 1; }
elif [ "$top/configure" -nt "$build/config.status" ]; then
	# A newer configure: rerun it with the options this directory was
	# configured with (it may be someone's build directory).
	(cd "$build" && ./config.status --recheck >configure.out 2>&1 &&
		./config.status >>configure.out 2>&1) ||
		{ cat "$build/configure.out"; echo "static-analysis: reconfigure failed" >&2; exit 1; }
fi

cd "$top" || exit 1
srcs=(lib/*.c lib/compat/*.c)
flags=(-DHAVE_CONFIG_H "-I$build" -Iinclude -Ilib -Ilib/compat)

# cppcheck does not read system headers, so code under "#ifdef
# SOCK_CLOEXEC" and the like would silently be skipped.  Give it the
# system macros that lib/ tests in #if lines, with the values this
# platform's headers give them (config.h first: it sets _GNU_SOURCE).
sysmacros() {
	local h n v inc='#include "config.h"'
	# shellcheck disable=SC2013 # words wanted: names hold no blanks
	for h in $(grep -ohE '^#[[:space:]]*include <[^>]+>' "${srcs[@]}" lib/*.h lib/compat/*.h |
		sed 's/.*<//; s/>.*//' | sort -u); do
		printf '%s\n#include <%s>\n' "$inc" "$h" |
			$cc "-I$build" -E -x c - >/dev/null 2>&1 &&
			inc=$(printf '%s\n#include <%s>' "$inc" "$h")
	done
	# shellcheck disable=SC2013
	for n in $(grep -hE '^[[:space:]]*#[[:space:]]*(if|ifdef|ifndef|elif)\b' \
		"${srcs[@]}" lib/*.h lib/compat/*.h | grep -oE '\b[A-Za-z_][A-Za-z0-9_]*\b' |
		grep -vE '^(if|ifdef|ifndef|elif|defined|HAVE_.*|DZ_.*|DAEMONIZE_.*)$' |
		sort -u); do
		v=$(printf '%s\n#ifdef %s\nDZ_VALUE %s\n#endif\n' "$inc" "$n" "$n" |
			$cc "-I$build" -E -P -x c - 2>/dev/null | sed -n 's/^DZ_VALUE //p')
		[ -n "$v" ] || continue
		# An enum constant defined to itself (MSG_NOSIGNAL): only
		# "defined" matters in the #if lines.
		[ "$v" = "$n" ] && v=1
		printf '#define %s %s\n' "$n" "$v"
	done
}

rc=0
for tool in $tools; do
case $tool in
cppcheck)
	command -v cppcheck >/dev/null ||
		{ echo "static-analysis: cppcheck not installed" >&2; rc=1; continue; }
	sysmacros >"$build/sysmacros.h" || { rc=1; continue; }
	# Switched off, for the whole tree:
	# - variableScope: KNF (style(9)), the project's style, declares a
	#   function's variables at its top; narrowing scopes is a style
	#   this code does not follow, not a defect.
	# - redundantContinue: "for (...; cond; i++) continue;" is the KNF
	#   spelling of an empty loop body, chosen over a lone ";".
	# - readdirCalled: the advice is readdir_r, which glibc deprecates
	#   (2.24) and POSIX made obsolescent; readdir is safe on a DIR
	#   stream no other thread sees, as close_range.c's is.
	# - getpwnamCalled, getpwuidCalled, getgrnamCalled: names are
	#   resolved in daemonize_start, which must run before the caller
	#   creates threads (DESIGN.md section 4, CAVEATS in the man page);
	#   privileges.c copies what it needs before the next lookup.  The
	#   _r forms would only matter for a threaded caller, which the
	#   library does not support at that point.
	out=$(cppcheck -q --enable=warning,style,performance,portability \
		--error-exitcode=1 --inline-suppr --library=posix \
		--platform=native --std=c11 \
		--suppress=variableScope --suppress=redundantContinue \
		--suppress=readdirCalled --suppress=getpwnamCalled \
		--suppress=getpwuidCalled --suppress=getgrnamCalled \
		--include="$build/sysmacros.h" "${flags[@]}" \
		--template='{file}:{line}:{column}: {severity}: {message} [{id}]' \
		"${srcs[@]}" 2>&1)
	r=$?
	[ -n "$out" ] && echo "$out"
	n=$(printf '%s' "$out" | grep -cE ': (error|warning|style|performance|portability): ')
	echo "cppcheck $(cppcheck --version | sed 's/Cppcheck //'): ${#srcs[@]} files, $n findings"
	[ $r -eq 0 ] && [ "$n" -eq 0 ] || rc=1
	;;
clang-tidy)
	[ -n "$tidy" ] ||
		{ echo "static-analysis: clang-tidy not installed" >&2; rc=1; continue; }
	# The families: the clang static analyzer, bugprone-*, cert-*,
	# misc-*, performance-*, portability-*.  Switched off:
	# - clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling:
	#   asks for C11 Annex K (memcpy_s, snprintf_s), which glibc, musl
	#   and the BSDs do not ship; every memcpy and snprintf is flagged.
	# - clang-analyzer-valist.Uninitialized: reports a va_list as
	#   uninitialised right after va_start on x86-64 (LLVM bug 41311,
	#   llvm/llvm-project#40656, fixed after LLVM 14): both of its
	#   findings here are va_start'ed lists passed on to vsnprintf.
	# - bugprone-easily-swappable-parameters: flags every function with
	#   two adjacent parameters of one type (fd, fd; kind, value), the
	#   public API included, which cannot change for it.
	checks='-*,clang-analyzer-*,bugprone-*,cert-*,misc-*,performance-*,portability-*'
	checks+=',-clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling'
	checks+=',-clang-analyzer-valist.Uninitialized'
	checks+=',-bugprone-easily-swappable-parameters'
	out=$("$tidy" --quiet --checks="$checks" --warnings-as-errors='*' \
		"${srcs[@]}" -- "${flags[@]}" 2>&1)
	r=$?
	# Findings and their notes; not the "N warnings generated" chatter.
	printf '%s\n' "$out" | grep -vE '^[0-9]+ warnings?( and [0-9]+ errors?)? generated|^[0-9]+ errors? generated|^Suppressed [0-9]+ warnings|^Use -header-filter|^$'
	n=$(printf '%s' "$out" | grep -cE ': (warning|error): ')
	echo "clang-tidy $("$tidy" --version | sed -n 's/.*LLVM version //p'): ${#srcs[@]} files, $n findings"
	[ $r -eq 0 ] && [ "$n" -eq 0 ] || rc=1
	;;
*)
	echo "static-analysis: unknown tool $tool" >&2; rc=1 ;;
esac
done
exit $rc
