#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 the libdaemonize authors
#
# debian.sh [SRCDIR] - the Debian stage of the project's test command:
#   1. build the binary packages once, from a copy of the source tree (the
#      tree itself stays clean), with DEB_BUILD_OPTIONS=nocheck: make check
#      has run in every configuration already (scripts/check-all.sh);
#   2. lintian on the result: any E: or W: line fails (overrides, each
#      with its reason, live in debian/*.lintian-overrides);
#   3. install the built .debs on this machine (apt-get install ./*.deb);
#   4. run the autopkgtest against the installed packages (null server:
#      on this machine, no container);
#   5. remove the packages again, also when a step failed (trap).
# The daemonrun package is built only when the tree has daemonrun (its
# man page man/daemonrun.1); otherwise the build profile
# pkg.libdaemonize.nodaemonrun leaves it out.
# DZ_DEBIAN_KEEP=1 keeps the work directory (packages, logs).
# Needs root or sudo (apt-get).  Ends with one line: "debian: ok", or
# "debian: FAILED (step)"; exit 0, 1, or 77 when it cannot run here.
set -eu

top=$(cd "${1:-$(dirname "$0")/..}" && pwd -P)
if [ ! -f "$top/debian/control" ]; then
	echo "debian: FAILED (no debian/control in $top)"
	exit 1
fi
for tool in dpkg-buildpackage lintian autopkgtest apt-get; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "debian: skipped: $tool not found" \
			"(apt-get install dpkg-dev debhelper lintian autopkgtest)"
		exit 77
	fi
done
if [ "$(id -u)" -eq 0 ]; then
	as_root=
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
	as_root=sudo
else
	echo "debian: skipped: installing packages needs root or sudo"
	exit 77
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/libdaemonize-deb.XXXXXX")
installed=
step=setup
cleanup() {
	rc=$?
	set +e
	# Remove what step 3 installed, whatever failed after it.
	if [ -n "$installed" ]; then
		# shellcheck disable=SC2086 # a list of package names
		$as_root env DEBIAN_FRONTEND=noninteractive \
			apt-get purge -y -q $installed >"$work/purge.log" 2>&1 ||
			{ cat "$work/purge.log"; echo "debian: could not remove $installed"; rc=1; }
	fi
	# DZ_DEBIAN_KEEP=1 keeps the packages and every log for a look.
	if [ -n "${DZ_DEBIAN_KEEP:-}" ]; then
		echo "debian: kept $work"
	else
		rm -rf "$work"
	fi
	if [ "$rc" -eq 0 ]; then
		echo "debian: ok"
	else
		echo "debian: FAILED ($step)"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

# show LOG: the tail of a failed step's log.
show() {
	echo "--- $1 (last 60 lines)"
	tail -60 "$1"
}

# 1. A copy of the files under version control (plus new, not ignored
# ones), or of the whole tree when it is not a git checkout, without the
# build directories of check-all.sh and distcheck.  Whatever autoreconf
# generated may come along or not: dh_autoreconf makes it again.
step="copy the source tree"
src=$work/libdaemonize
mkdir "$src"
if git -C "$top" rev-parse --show-toplevel >/dev/null 2>&1 &&
    [ "$(cd "$(git -C "$top" rev-parse --show-toplevel)" && pwd -P)" = "$top" ]; then
	# A tracked file deleted in the work tree is left out.
	# shellcheck disable=SC2016 # expanded by the inner sh
	(cd "$top" && git ls-files -z --cached --others --exclude-standard |
		xargs -0 sh -c 'for f; do if [ -e "$f" ]; then printf "%s\n" "$f"; fi; done' sh |
		tar -cf - -T -) | tar -xf - -C "$src"
else
	(cd "$top" && tar -cf - --exclude=./build --exclude='./build-*' \
		--exclude=./_build --exclude=./autom4te.cache .) | tar -xf - -C "$src"
fi

step="dpkg-buildpackage"
profiles=${DEB_BUILD_PROFILES:-}
if [ ! -f "$src/man/daemonrun.1" ]; then
	profiles="${profiles:+$profiles }pkg.libdaemonize.nodaemonrun"
	echo "debian: no daemonrun in this tree: not building its package"
fi
echo "debian: dpkg-buildpackage -us -uc -b${profiles:+ (profiles: $profiles)}"
if ! (cd "$src" &&
    DEB_BUILD_OPTIONS=${DEB_BUILD_OPTIONS:-nocheck} \
    DEB_BUILD_PROFILES=$profiles \
    dpkg-buildpackage -us -uc -b) >"$work/build.log" 2>&1; then
	show "$work/build.log"
	exit 1
fi
# dpkg-gensymbols reports symbol differences without failing at some
# levels: show them whenever there are any.
grep -A30 '^dpkg-gensymbols: warning' "$work/build.log" || true
set -- "$work"/*.deb
[ -f "$1" ] || { echo "no .deb was built"; exit 1; }
for deb; do
	echo "debian: built ${deb##*/}"
done

# 2. lintian in its default profile, on the .changes (all the .debs and
# the .buildinfo).  E: and W: fail; I:, P:, X: and overridden tags are
# only shown.
step="lintian"
changes=$(ls "$work"/*.changes)
lintian "$changes" >"$work/lintian.log" 2>&1 || true
sed 's/^/lintian: /' "$work/lintian.log"
if grep -Eq '^(E|W): ' "$work/lintian.log"; then
	exit 1
fi

# 3. Install them, remembering their names for the removal.
step="apt-get install ./*.deb"
names=
for deb; do
	names="$names $(dpkg-deb -f "$deb" Package)"
done
installed=$names
if ! (cd "$work" && $as_root env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends "$@") \
    >"$work/install.log" 2>&1; then
	show "$work/install.log"
	exit 1
fi
echo "debian: installed$names"

# 4. The autopkgtest against what is installed: -B uses no binaries of
# the tree (nothing is built again), the null server runs it right here.
# DZ_AUTOPKGTEST_EXAMPLE names another example for the test to compile
# (see debian/tests/template), e.g. minimal.c.
step="autopkgtest"
example_env=
[ -n "${DZ_AUTOPKGTEST_EXAMPLE:-}" ] &&
	example_env=--env=DZ_AUTOPKGTEST_EXAMPLE=$DZ_AUTOPKGTEST_EXAMPLE
# shellcheck disable=SC2086 # empty or one word
if ! autopkgtest -B $example_env --output-dir "$work/autopkgtest" "$src" -- null \
    >"$work/autopkgtest.log" 2>&1; then
	show "$work/autopkgtest.log"
	exit 1
fi
sed -n '/^template/p' "$work/autopkgtest/summary" 2>/dev/null |
	sed 's/^/autopkgtest: /'
step="removing the packages"
