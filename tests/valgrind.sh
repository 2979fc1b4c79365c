#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 the libdaemonize authors
# LOG_COMPILER for `make check` under valgrind memcheck: the suite and every
# process it starts (the helper daemons, echod) run under memcheck, and any
# memory error fails the suite.  Leaks are checked by tests/leaks.sh on real
# daemons instead: test code leaks its own small strings on purpose.
# Every time limit of the suites is scaled (tu_ms), and Check's test case
# timeouts with it: valgrind is slow.
DZ_TIME_FACTOR=${DZ_TIME_FACTOR:-10}
CK_TIMEOUT_MULTIPLIER=${CK_TIMEOUT_MULTIPLIER:-$DZ_TIME_FACTOR}
export DZ_TIME_FACTOR CK_TIMEOUT_MULTIPLIER
exec valgrind -q --error-exitcode=99 --leak-check=no \
	--trace-children=yes --trace-children-skip='/usr/bin/*,/bin/*,*/env' \
	--vgdb=no "$@"
