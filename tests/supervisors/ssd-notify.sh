#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 the libdaemonize authors
#
# echod started by the shipped SysV init script with start-stop-daemon
# --background --notify-await (ECHOD_START=notify in /etc/default/echod).
# shellcheck source=initscript.sh
. "$(dirname "$0")/initscript.sh"
dz_initscript_test notify
