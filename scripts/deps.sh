#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 the libdaemonize authors
# Install what building and testing libdaemonize needs, if it is missing.
# Debian and derivatives; run as root or with sudo available.
set -eu
pkgs="autoconf automake libtool pkg-config make gcc libbsd-dev check mandoc
valgrind clang musl-tools libclang-rt-14-dev cppcheck clang-tidy
abigail-tools dpkg-dev debhelper lintian autopkgtest build-essential"
# The service managers of the supervisor suite (tests/supervisors/).
top=$(cd "$(dirname "$0")/.." && pwd)
if [ -r "$top/tests/supervisors/packages.txt" ]; then
	pkgs="$pkgs $(grep -v '^#' "$top/tests/supervisors/packages.txt" | tr '\n' ' ')"
fi
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps.sh: installing:$missing"
sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing
