#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 the libdaemonize authors
#
# echod in a fresh pid namespace whose pid 1 is tini, as with
# "docker run --init" or tini as an image's ENTRYPOINT.
# shellcheck source=container.sh
. "$(dirname "$0")/container.sh"
command -v tini >/dev/null || dz_skip_all "tini not installed"
dz_container_test tini tini --
