#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 the libdaemonize authors
#
# add-spdx.sh [SRCDIR] - give every file that tests/license.sh reports
# as lacking it the project's license header, in the comment syntax of
# the file's type:
#
#   C, headers, linker scripts   /* SPDX-License-Identifier: ISC */
#                                /* Copyright (c) 2026 the libdaemonize authors */
#                                at the very top (two lines of their own,
#                                not merged into the first comment, so that
#                                the header reads the same in every file)
#   shell, make, m4, autoconf,   # SPDX-License-Identifier: ISC  (after a
#   .pc.in, units, debian/       # shebang and a coding line, if any)
#   files, NEWS, plain text
#   mdoc/man pages               .\" SPDX-License-Identifier: ISC  at the
#                                top; after the first line when that is a
#                                preprocessor line ('\" t) or ".so" (a
#                                page that includes another; one-line .so
#                                links are exempt, see tests/license.sh)
#   Markdown                     <!-- SPDX-License-Identifier: ISC --> at the top
#   XML, plist                   the same, after the <?xml ...?> declaration
#
# The set of files comes from tests/license.sh --missing, so this script
# and the test always agree on which files need a header and which are
# exempt.  Idempotent: a file that already has the header is not listed by
# the test, and a file with only the SPDX line gets only the copyright
# line.  A file whose type it does not know, or that names another
# license, is left alone and listed under "skipped" for a person to decide.
# File modes and inodes are kept (the new text is written through the old
# file).  Exit: 0 done (also with skipped files, which are listed), 1 an
# error.
set -eu

top=${1:-$(dirname "$0")/..}
top=$(cd "$top" && pwd -P)
test_sh=$top/tests/license.sh
if [ ! -f "$test_sh" ]; then
	echo "add-spdx: $test_sh not found" >&2
	exit 1
fi

spdx='SPDX-License-Identifier: ISC'
copyright='Copyright (c) 2026 the libdaemonize authors'

tmp=$(mktemp "${TMPDIR:-/tmp}/add-spdx.XXXXXX")
missing=$(mktemp "${TMPDIR:-/tmp}/add-spdx.XXXXXX")
trap 'rm -f "$tmp" "$missing"' EXIT
trap 'exit 1' HUP INT TERM

top_srcdir=$top sh "$test_sh" --missing >"$missing"

# kind FILE: the comment syntax of FILE: c, hash, roff, html, xml, or
# nothing when unknown.
kind() {
	k=
	name=${1##*/}
	# foo.pc.in, foo.service.in, foo.3.in: the type is that of foo.pc ...
	case $name in
	Makefile.in | *.am.in) ;;
	*.in) name=${name%.in} ;;
	esac
	case $1 in
	debian/control | debian/copyright | debian/tests/control | \
	debian/watch | debian/source/options | debian/source/lintian-overrides | \
	debian/upstream/metadata | debian/gbp.conf | debian/*.maintscript)
		k="hash" ;;
	esac
	if [ -z "$k" ]; then
		case $name in
		*.c | *.h | *.cc | *.cpp | *.hh | *.y | *.l | *.map | *.ver | \
		*.vers | *.sym | *.lds)
			k=c ;;
		*.[1-9] | *.[1-9][a-z] | *.mdoc | *.man)
			k=roff ;;
		*.md | *.markdown)
			k=html ;;
		*.xml | *.plist | *.svg)
			k=xml ;;
		*.sh | *.bash | *.am | *.ac | *.m4 | *.mk | *.pc | *.py | *.pl | \
		*.service | *.socket | *.timer | *.path | *.target | *.conf | \
		*.cfg | *.ini | *.yml | *.yaml | *.toml | *.supp | *.install | \
		*.examples | *.docs | *.manpages | *.links | *.dirs | \
		*.lintian-overrides | *.cmake | Makefile | GNUmakefile | \
		.gitignore | .gitattributes | .editorconfig | .clang-tidy | \
		.clang-format | .mailmap)
			k="hash" ;;
		# Plain text: a "#" line reads as a note and breaks nothing.
		NEWS | AUTHORS | THANKS | ChangeLog | TODO | HACKING | \
		CONTRIBUTING | *.txt)
			k="hash" ;;
		esac
	fi
	if [ -z "$k" ] && head -c 2 "$top/$1" | grep -q '^#!'; then
		k="hash"
	fi
	echo "$k"
}

# insert FILE AFTER LINE1 LINE2: put the two lines after line AFTER (0:
# at the top), writing through the file to keep its mode and owner.
insert() {
	# Through the environment: awk -v would turn the .\" of roff into ."
	DZ_L1=$3 DZ_L2=$4 awk -v after="$2" '
		NR == after + 1 { print ENVIRON["DZ_L1"]; print ENVIRON["DZ_L2"] }
		{ print }
		END { if (NR <= after) { print ENVIRON["DZ_L1"]; print ENVIRON["DZ_L2"] } }
	' "$top/$1" >"$tmp"
	cat "$tmp" >"$top/$1"
}

added=0
skipped=
while IFS= read -r f; do
	[ -n "$f" ] || continue
	path=$top/$f
	# Another license named: a person must look, never overwrite it.
	if sed -n 1,15p "$path" | grep 'SPDX-License-Identifier:' |
	    grep -vq "$spdx"; then
		skipped="$skipped  $f: names another SPDX license
"
		continue
	fi
	# The SPDX line is there but not the copyright line: add that only,
	# in the same comment syntax, right below it.
	if sed -n 1,15p "$path" | grep -q "$spdx"; then
		awk -v s="$spdx" -v c="$copyright" '
			{ print }
			!done && index($0, s) { t = $0; sub(s, c, t); print t; done = 1 }
		' "$path" >"$tmp"
		cat "$tmp" >"$path"
		echo "add-spdx: $f: copyright line"
		added=$((added + 1))
		continue
	fi
	first=$(sed -n 1p "$path")
	second=$(sed -n 2p "$path")
	k=$(kind "$f")
	case $k in
	c)
		insert "$f" 0 "/* $spdx */" "/* $copyright */" ;;
	hash)
		after=0
		case $first in '#!'*) after=1 ;; esac
		# A coding line must stay in the first two lines (Python, Emacs).
		if [ "$after" = 1 ]; then next=$second; else next=$first; fi
		case $next in '#'*coding[:=]*) after=$((after + 1)) ;; esac
		insert "$f" "$after" "# $spdx" "# $copyright" ;;
	roff)
		after=0
		case $first in .so\ * | "'\\\""*) after=1 ;; esac
		insert "$f" "$after" ".\\\" $spdx" ".\\\" $copyright" ;;
	html)
		insert "$f" 0 "<!-- $spdx -->" "<!-- $copyright -->" ;;
	xml)
		after=0
		case $first in '<?xml'*) after=1 ;; esac
		insert "$f" "$after" "<!-- $spdx -->" "<!-- $copyright -->" ;;
	*)
		skipped="$skipped  $f: unknown file type (no extension or shebang it knows)
"
		continue ;;
	esac
	echo "add-spdx: $f ($k)"
	added=$((added + 1))
done <"$missing"

echo "add-spdx: $added files changed"
if [ -n "$skipped" ]; then
	echo "add-spdx: skipped, decide by hand (add a header or an exemption" \
		"in tests/license.sh):"
	printf '%s' "$skipped"
fi
echo "add-spdx: exempt files (tests/license.sh --exempt):"
top_srcdir=$top sh "$test_sh" --exempt
