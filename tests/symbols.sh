#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 the libdaemonize authors
# symbols.sh - the shared library exports exactly the functions that
# include/daemonize.h declares, and every one of them has a manual page.
#
# 1. Exported: the defined dynamic symbols of lib/.libs/libdaemonize.so
#    (nm -D --defined-only).  Functions (T, W, i) are compared with the
#    header; any defined non-function symbol other than the ones the linker
#    itself adds is an accidental export and fails too.
# 2. Declared: every function prototype in the header, found by stripping
#    comments and preprocessor lines, joining the text and taking the
#    identifier before the first "(" of each ";"-terminated declaration.
# 3. Documented: man/<name>.3 exists, or <name> is listed by some page's .Nm.
#
# 4. Versioned: every exported function carries a version node of
#    lib/libdaemonize.map, and the map lists exactly the header's names.
# 5. Static: lib/.libs/libdaemonize.a defines no global name but those.
#
# Exit: 0 all agree, 1 a difference (both lists' differences are printed),
# 77 (skip) when no shared library was built or nm is missing.

srcdir=${top_srcdir:-$(dirname "$0")/..}
builddir=${top_builddir:-.}
header=$srcdir/include/daemonize.h
mandir=$srcdir/man
lib=$builddir/lib/.libs/libdaemonize.so

if ! command -v nm >/dev/null 2>&1; then
	echo "symbols: nm not found, skipping"
	exit 77
fi
if [ ! -e "$lib" ]; then
	echo "symbols: $lib not built (static only?), skipping"
	exit 77
fi
if [ ! -r "$header" ]; then
	echo "symbols: cannot read $header" >&2
	exit 1
fi

scratch=$(mktemp -d "${TMPDIR:-/tmp}/symbols.XXXXXX") || exit 1
trap 'rm -rf "$scratch"' EXIT HUP INT TERM
status=0

# Symbols the linker defines in every shared object; not ours.
linker_syms='^(_init|_fini|_edata|_end|__bss_start)$'

if ! nm -D --defined-only "$lib" >"$scratch/nm"; then
	echo "symbols: nm -D failed on $lib" >&2
	exit 1
fi
awk 'NF >= 3 && ($2 == "T" || $2 == "W" || $2 == "i") { print $3 }' \
    "$scratch/nm" | sed 's/@.*//' | grep -Ev "$linker_syms" |
    LC_ALL=C sort -u >"$scratch/exported"
# The version nodes themselves (A LIBDAEMONIZE_1.0) are the linker's too.
awk 'NF >= 3 && !($2 == "T" || $2 == "W" || $2 == "i") &&
    !($2 == "A" && $3 ~ /^LIBDAEMONIZE_/) { print $2, $3 }' \
    "$scratch/nm" | grep -Ev " ($(echo "$linker_syms" | tr -d '^$()'))$" \
    >"$scratch/other"

# Header: remove comments (also multi-line ones), drop preprocessor lines
# with their continuations, join everything, split at ";".
awk '
{
	line = $0
	out = ""
	while (length(line) > 0) {
		if (incomment) {
			i = index(line, "*/")
			if (i == 0) { line = ""; break }
			line = substr(line, i + 2)
			incomment = 0
		} else {
			i = index(line, "/*")
			if (i == 0) { out = out line; line = ""; break }
			out = out substr(line, 1, i - 1) " "
			line = substr(line, i + 2)
			incomment = 1
		}
	}
	sub(/\/\/.*/, "", out)
	if (incpp) {
		incpp = (out ~ /\\$/)
		next
	}
	if (out ~ /^[ \t]*#/) {
		incpp = (out ~ /\\$/)
		next
	}
	printf "%s ", out
}
END { printf "\n" }' "$header" | tr ';' '\n' |
    sed -n 's/^[^(]*[^A-Za-z0-9_]\([A-Za-z_][A-Za-z0-9_]*\)[ \t]*(.*/\1/p' |
    LC_ALL=C sort -u >"$scratch/declared"

if [ ! -s "$scratch/declared" ]; then
	echo "symbols: found no function declarations in $header" >&2
	exit 1
fi
if [ ! -s "$scratch/exported" ]; then
	echo "symbols: $lib exports no functions" >&2
	exit 1
fi

echo "symbols: $(wc -l <"$scratch/declared") functions declared in" \
    "include/daemonize.h, $(wc -l <"$scratch/exported") exported by" \
    "lib/.libs/libdaemonize.so"

LC_ALL=C comm -13 "$scratch/declared" "$scratch/exported" >"$scratch/extra"
LC_ALL=C comm -23 "$scratch/declared" "$scratch/exported" >"$scratch/missing"
if [ -s "$scratch/extra" ]; then
	echo "FAIL exported but not declared in the header:"
	sed 's/^/  /' "$scratch/extra"
	status=1
fi
if [ -s "$scratch/missing" ]; then
	echo "FAIL declared in the header but not exported:"
	sed 's/^/  /' "$scratch/missing"
	status=1
fi
if [ -s "$scratch/other" ]; then
	echo "FAIL exported symbols that are not functions:"
	sed 's/^/  /' "$scratch/other"
	status=1
fi

# Names documented by some page: its file name, and every .Nm in NAME.
: >"$scratch/documented"
for page in "$mandir"/*.[1-9]; do
	[ -f "$page" ] || continue
	base=${page##*/}
	echo "${base%.*}" >>"$scratch/documented"
	# .Nm lines up to the .Nd of the NAME section list the page's names.
	sed -n '/^\.Sh NAME/,/^\.Nd/s/^\.Nm[ \t]\{1,\}\([A-Za-z_][A-Za-z0-9_]*\).*/\1/p' \
	    "$page" >>"$scratch/documented"
done
LC_ALL=C sort -u -o "$scratch/documented" "$scratch/documented"
LC_ALL=C comm -23 "$scratch/exported" "$scratch/documented" \
    >"$scratch/undocumented"
if [ -s "$scratch/undocumented" ]; then
	echo "FAIL exported without a manual page (man/NAME.3 or .Nm NAME):"
	sed 's/^/  /' "$scratch/undocumented"
	status=1
fi

# Version nodes: "name@@LIBDAEMONIZE_1.0" in nm -D (where the linker took
# the version script; an unversioned build says so and is not judged).
map=$srcdir/lib/libdaemonize.map
sed -n 's/^[ \t]*\(daemonize_[a-z_]*\);.*/\1/p' "$map" | LC_ALL=C sort -u \
    >"$scratch/mapped"
if ! LC_ALL=C cmp -s "$scratch/mapped" "$scratch/declared"; then
	echo "FAIL lib/libdaemonize.map and the header differ:"
	LC_ALL=C diff "$scratch/declared" "$scratch/mapped" | sed 's/^/  /'
	status=1
fi
if grep -q '@@LIBDAEMONIZE_' "$scratch/nm"; then
	awk 'NF >= 3 && ($2 == "T" || $2 == "W" || $2 == "i") { print $3 }' \
	    "$scratch/nm" | grep -Ev "$linker_syms" |
	    grep -v '@@\{0,1\}LIBDAEMONIZE_[0-9]' >"$scratch/unversioned" || :
	if [ -s "$scratch/unversioned" ]; then
		echo "FAIL exported without a LIBDAEMONIZE_ version:"
		sed 's/^/  /' "$scratch/unversioned"
		status=1
	fi
else
	echo "symbols: no symbol versions (linker without version scripts)"
fi
static=$builddir/lib/.libs/libdaemonize.a
if [ -f "$static" ]; then
	nm --defined-only -g "$static" 2>/dev/null |
	    awk 'NF >= 3 { print $3 }' | grep -v '^daemonize_' |
	    LC_ALL=C sort -u >"$scratch/static_extra" || :
	if [ -s "$scratch/static_extra" ]; then
		echo "FAIL libdaemonize.a exposes internal names:"
		sed 's/^/  /' "$scratch/static_extra" | head -20
		status=1
	else
		echo "symbols: libdaemonize.a exposes only daemonize_ names"
	fi
fi

if [ "$status" -eq 0 ]; then
	echo "symbols: exported = declared, and every one has a page:"
	sed 's/^/  /' "$scratch/exported"
fi
exit $status
