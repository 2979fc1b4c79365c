#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 the libdaemonize authors
#
# echod started by the shipped SysV init script with start-stop-daemon
# --pidfile, echod detaching itself (the classic init-script flow).
# shellcheck source=initscript.sh
. "$(dirname "$0")/initscript.sh"
dz_initscript_test classic
