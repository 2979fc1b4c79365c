#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 the libdaemonize authors
# abi.sh - the shared library's ABI against the baseline in abi/
# (abi/libdaemonize.so.1.abi, written by "make abi-baseline" with abidw).
#
# Fails on any incompatible change (a removed or changed function or type:
# abidiff's ABIDIFF_ABI_INCOMPATIBLE_CHANGE bit), and on an addition to
# the LIBDAEMONIZE_1.0 version node: once 1.0.0 is released that node is
# frozen, and a new function goes into a new node (LIBDAEMONIZE_1.1).
# Compatible additions in a new node pass and are printed.
#
# Exit: 0 compatible, 1 not, 77 (skip) without abidiff/abidw or a shared
# library.

srcdir=${top_srcdir:-$(dirname "$0")/..}
builddir=${top_builddir:-.}
baseline=$srcdir/abi/libdaemonize.so.1.abi
lib=$builddir/lib/.libs/libdaemonize.so.1

for tool in abidw abidiff; do
	if ! command -v $tool >/dev/null 2>&1; then
		echo "abi: $tool not found (Debian: abigail-tools), skipping"
		exit 77
	fi
done
if [ ! -e "$lib" ]; then
	echo "abi: $lib not built, skipping"
	exit 77
fi
if [ ! -r "$baseline" ]; then
	echo "abi: no baseline $baseline" >&2
	exit 1
fi
scratch=$(mktemp -d "${TMPDIR:-/tmp}/abi.XXXXXX") || exit 1
trap 'rm -rf "$scratch"' EXIT HUP INT TERM

abidw --no-corpus-path --headers-dir "$srcdir/include" "$lib" \
    >"$scratch/current.abi" || { echo "abi: abidw failed" >&2; exit 1; }
abidiff --no-added-syms "$baseline" "$scratch/current.abi" >"$scratch/diff"
rc=$?
abidiff "$baseline" "$scratch/current.abi" >"$scratch/full"
status=0
# abidiff's exit status is a bit field: 1 error, 2 usage, 4 ABI change,
# 8 incompatible ABI change.
if [ $((rc & 3)) -ne 0 ]; then
	echo "abi: abidiff failed ($rc)"; cat "$scratch/diff"; exit 1
fi
if [ $((rc & 8)) -ne 0 ]; then
	echo "FAIL incompatible ABI change against abi/:"
	cat "$scratch/diff"
	status=1
fi
if grep -q '@@LIBDAEMONIZE_1\.0}' "$scratch/full" &&
    grep -q 'Added function' "$scratch/full"; then
	if sed -n '/Added function/,/^$/p' "$scratch/full" |
	    grep -q '@@LIBDAEMONIZE_1\.0}'; then
		echo "FAIL a function was added to the released node LIBDAEMONIZE_1.0:"
		sed -n '/Added function/,/^$/p' "$scratch/full"
		status=1
	fi
fi
if [ $status -eq 0 ]; then
	echo "abi: compatible with abi/libdaemonize.so.1.abi"
	grep -E 'Functions changes summary|Added function' "$scratch/full" || :
fi
exit $status
