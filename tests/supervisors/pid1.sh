#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 the libdaemonize authors
#
# echod alone in a fresh pid namespace: echod itself is its pid 1.
# shellcheck source=container.sh
. "$(dirname "$0")/container.sh"
dz_container_test "pid 1"
