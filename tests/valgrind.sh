#!/bin/sh
# LOG_COMPILER for `make check` under valgrind memcheck: the suite and every
# process it starts (the helper daemons, echod) run under memcheck, and any
# memory error fails the suite.  Leaks are checked by tests/leaks.sh on real
# daemons instead: test code leaks its own small strings on purpose.
exec valgrind -q --error-exitcode=99 --leak-check=no \
	--trace-children=yes --trace-children-skip='/usr/bin/*,/bin/*,*/env' \
	--vgdb=no "$@"
