/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * signal_kinds.c - which signals report a fault, and which are discarded
 * by their default action.
 *
 * POSIX requires SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGCHLD,
 * SIGCONT and SIGURG everywhere, but SIGSYS and SIGTRAP only with the XSI
 * option, and SIGWINCH not at all (every system we know has it, but a
 * minimal libc need not).  A signal the system does not define is simply
 * not in the list: nothing can send it.  signals.c decides what to do
 * with each kind and says why.
 */
#include "compat.h"

#include <signal.h>
#include <stddef.h>

const char *
dz_signal_fault_name(int signo)
{
	switch (signo) {
	case SIGSEGV:
		return "SIGSEGV";
	case SIGBUS:
		return "SIGBUS";
	case SIGFPE:
		return "SIGFPE";
	case SIGILL:
		return "SIGILL";
	case SIGABRT:
		return "SIGABRT";
#ifdef SIGSYS
	case SIGSYS:
		return "SIGSYS";
#endif
#ifdef SIGTRAP
	case SIGTRAP:
		return "SIGTRAP";
#endif
	default:
		return NULL;
	}
}

bool
dz_signal_reports_fault(int signo)
{
	return dz_signal_fault_name(signo) != NULL;
}

bool
dz_signal_default_discards(int signo)
{
	switch (signo) {
	case SIGCHLD:
	case SIGCONT:
	case SIGURG:
#ifdef SIGWINCH
	case SIGWINCH:
#endif
		return true;
	default:
		return false;
	}
}
