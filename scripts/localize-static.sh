#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 the libdaemonize authors
# localize-static.sh ARCHIVE LD OBJCOPY AR: rebuild a static archive as one
# relocatable object whose hidden (internal dz_) symbols are local, so that
# the archive exposes only the public daemonize_ names, as the shared
# library does.  Idempotent: an archive already made of one localized
# object is rebuilt the same way.
set -eu
archive=$1 ld=$2 objcopy=$3 ar=$4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
abs=$(cd "$(dirname "$archive")" && pwd)/$(basename "$archive")
mkdir "$tmp/in" "$tmp/out"
(cd "$tmp/in" && $ar x "$abs")
$ld -r -o "$tmp/out/libdaemonize.o" "$tmp"/in/*.o
$objcopy --localize-hidden "$tmp/out/libdaemonize.o"
rm -f "$archive.new"
$ar rcs "$archive.new" "$tmp/out/libdaemonize.o"
mv "$archive.new" "$archive"
