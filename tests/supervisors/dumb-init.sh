#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 the libdaemonize authors
#
# echod in a fresh pid namespace whose pid 1 is dumb-init, as with
# dumb-init as an image's ENTRYPOINT.
# shellcheck source=container.sh
. "$(dirname "$0")/container.sh"
command -v dumb-init >/dev/null || dz_skip_all "dumb-init not installed"
dz_container_test dumb-init dumb-init
