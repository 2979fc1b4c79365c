#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 the libdaemonize authors
# layers.sh - the library reads top-down: no object of lib/ uses a name
# defined by an object of a higher layer, and step files do not use each
# other.  Built from the objects' defined and undefined symbols (nm), so
# it checks what the code does, not what its #includes say.
#
# Layers, top-down:
#   4  daemonize      the orchestrator: may use every layer below
#   3  step files     supervisor stdfds pidfile notify privileges confine
#                     signals fds detach: each may use layers 0-2 only
#   2  trust          may use 0-1
#   1  compat/*       may use 0
#   0  util           uses nothing of ours
# Any arrow that does not point down (a circle, a step using a step, util
# using anything) fails the test and is printed.
#
# Exit: 0 layered, 1 a violation, 77 no objects or no nm.

builddir=${top_builddir:-.}
if ! command -v nm >/dev/null 2>&1; then
	echo "layers: nm not found, skipping"; exit 77
fi
# libtool keeps the PIC objects in .libs and the others beside them: one
# set is enough.
objs=$(find "$builddir/lib" -path '*/.libs/*' -name 'libdaemonize_core_la-*.o' | sort)
[ -n "$objs" ] || objs=$(find "$builddir/lib" -name 'libdaemonize_core_la-*.o' | sort)
if [ -z "$objs" ]; then
	echo "layers: no objects of the core library in $builddir/lib, skipping"
	exit 77
fi

scratch=$(mktemp -d "${TMPDIR:-/tmp}/layers.XXXXXX") || exit 1
trap 'rm -rf "$scratch"' EXIT HUP INT TERM

layer_of() {
	case $1 in
	daemonize) echo 4 ;;
	trust) echo 2 ;;
	util) echo 0 ;;
	close_range|reaper|jail|getgrouplist|pipe_cloexec|setresuid|\
	setresgid|getresuid|getresgid|launchd|threads|exepath|logger|\
	pidfd|libbsd_pidfile|symlink_errno|socket_cloexec|signal_kinds) echo 1 ;;
	*) echo 3 ;;
	esac
}

# name of an object: libdaemonize_core_la-pidfile.o -> pidfile
for o in $objs; do
	n=${o##*/libdaemonize_core_la-}; n=${n%.o}
	nm --defined-only "$o" | awk -v n="$n" \
	    'NF >= 3 && $2 ~ /^[TDBRVW]$/ { print $3, n }' >>"$scratch/defs"
	nm -u "$o" | awk -v n="$n" '{ print n, $NF }' >>"$scratch/uses"
done
status=0 edges=0
while read -r user sym; do
	def=$(awk -v s="$sym" '$1 == s { print $2; exit }' "$scratch/defs")
	[ -n "$def" ] || continue	# the C library's
	[ "$def" = "$user" ] && continue
	edges=$((edges + 1))
	lu=$(layer_of "$user") ld=$(layer_of "$def")
	if [ "$ld" -ge "$lu" ]; then
		echo "FAIL $user (layer $lu) uses $sym of $def (layer $ld)"
		status=1
	fi
done <"$scratch/uses"
echo "layers: $(echo "$objs" | wc -l) objects, $edges uses between them"
[ $status -eq 0 ] && echo "layers: every use points to a lower layer"
exit $status
