#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 the libdaemonize authors
# man-lint.sh - lint every manual page in man/ with mandoc and fail on any
# message of level "warning" or worse.  Pages are linted through a scratch
# tree laid out as man3/ and man8/ (as they are installed), so that the
# ".so man3/page.3" links resolve exactly as they will for man(1); a link
# to a page that does not exist is an error.
#
# Exit: 0 clean, 1 a warning or error, 77 (skip) when mandoc is absent.

srcdir=${top_srcdir:-$(dirname "$0")/..}
builddir=${top_builddir:-.}
# Absolute, because the lint runs from a scratch directory.
srcdir=$(cd "$srcdir" && pwd) || exit 1
builddir=$(cd "$builddir" && pwd) || exit 1
mandir=$srcdir/man

if ! command -v mandoc >/dev/null 2>&1; then
	echo "man-lint: mandoc not found, skipping"
	exit 77
fi
if [ ! -d "$mandir" ]; then
	echo "man-lint: no directory $mandir" >&2
	exit 1
fi

scratch=$(mktemp -d "${TMPDIR:-/tmp}/man-lint.XXXXXX") || exit 1
trap 'rm -rf "$scratch"' EXIT HUP INT TERM

pages=
n=0
for page in "$mandir"/*.[1-9]; do
	[ -f "$page" ] || continue
	base=${page##*/}
	sect=${base##*.}
	mkdir -p "$scratch/man$sect" || exit 1
	ln -s "$page" "$scratch/man$sect/$base" || exit 1
	pages="$pages man$sect/$base"
	n=$((n + 1))
done
if [ "$n" -eq 0 ]; then
	echo "man-lint: no manual pages in $mandir" >&2
	exit 1
fi

# is_link FILE: whether FILE is a link page: ".so manN/page.N" on its
# first line (man-db and dh_installman look for a link only there),
# followed by nothing but roff comment lines (the license header).
is_link() {
	head -n 1 "$1" | grep -Eq '^\.so man[1-9]/[A-Za-z0-9_.-]+\.[1-9]$' &&
	    ! sed 1d "$1" | grep -qv '^\.\\"'
}

status=0
nstub=0
cd "$scratch" || exit 1
for p in $pages; do
	# mandoc exits non-zero at the -W level too, but a message on
	# stdout is what counts: fail on either.
	out=$(mandoc -Tlint -Wwarning "$p" 2>&1)
	rc=$?
	# A link page is ".so manN/page.N" and its license comment, so that
	# "man name" works for every public name (the installed layout
	# resolves it).  mandoc 1.14 warns on every .so ("fragile, better
	# use ln(1)"): that one message, and only it, is expected for a link
	# page.  mandoc follows the .so, so a missing target is still an
	# error here, and the target itself is linted as a page of its own.
	target=
	if is_link "$p"; then
		target=$(head -n 1 "$p" | sed 's/^\.so //')
		nstub=$((nstub + 1))
		expected="mandoc: $p:1:2: WARNING: .so is fragile, better use ln(1): so $target"
		if [ ! -f "$target" ]; then
			echo "FAIL $p: .so target $target is not a page in man/"
			status=1
			continue
		fi
		if head -n 1 "$target" | grep -q '^\.so'; then
			echo "FAIL $p: .so target $target is itself a link"
			status=1
			continue
		fi
		if [ "$out" = "$expected" ]; then
			out=
			rc=0
		fi
	fi
	if [ -n "$out" ] || [ "$rc" -ne 0 ]; then
		echo "FAIL $p (mandoc exit $rc)"
		printf '%s\n' "$out" | sed "s|$scratch/||"
		status=1
	elif [ -n "$target" ]; then
		echo "ok   $p (link to $target)"
	else
		echo "ok   $p"
	fi
done
echo "man-lint: checked $n files with mandoc -Tlint -Wwarning:" \
    "$((n - nstub)) pages, $nstub .so links"

# The example daemon in libdaemonize(3) EXAMPLES must compile and link
# against the library just built, so that it cannot rot.
lib=$builddir/lib/.libs/libdaemonize.so
cc=${CC:-cc}
if [ ! -e "$lib" ]; then
	echo "man-lint: $lib not built, EXAMPLES of libdaemonize.3 not compiled"
elif ! command -v "$cc" >/dev/null 2>&1; then
	echo "man-lint: no C compiler ($cc), EXAMPLES of libdaemonize.3 not compiled"
else
	sed -n '/^\.Sh EXAMPLES/,/^\.Sh /{
		/^\.Bd -literal/,/^\.Ed/p
	}' "$mandir/libdaemonize.3" | sed '/^\.Bd/d; /^\.Ed/d; s/\\e/\\/g; s/\\&//g' \
	    >"$scratch/example.c"
	if [ ! -s "$scratch/example.c" ]; then
		echo "FAIL no example found in EXAMPLES of libdaemonize.3"
		status=1
	# The build's own CFLAGS and LDFLAGS: a sanitizer build's library
	# needs the sanitizer runtime at link time.
	# shellcheck disable=SC2086
	elif out=$($cc ${CPPFLAGS:-} ${CFLAGS:-} -Wall -Wextra -Werror -I"$srcdir/include" \
	    -o "$scratch/example" "$scratch/example.c" "$lib" ${LDFLAGS:-} 2>&1); then
		echo "ok   EXAMPLES of libdaemonize.3 compiles and links" \
		    "($(wc -l <"$scratch/example.c") lines)"
	else
		echo "FAIL EXAMPLES of libdaemonize.3 does not compile:"
		printf '%s\n' "$out"
		status=1
	fi
fi
exit $status
