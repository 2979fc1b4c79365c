#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 the libdaemonize authors
#
# echod under systemd 254 (Debian bookworm-backports, unpacked into the
# container's /usr only) with the shipped
# examples/services/echod-notify-reload.service (Type=notify-reload).
# The checks are those of systemd-notify.sh.
DZ_NAME=systemd254-notify-reload DZ_VARIANT=notify-reload \
    exec "$(dirname "$0")/systemd-notify.sh" "$@"
