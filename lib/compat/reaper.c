/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * reaper.c - become (and stop being) a subreaper, so that the original
 * process inherits the daemon when the middle child exits and can report
 * the daemon's exit status if it dies before it is ready.
 *
 * dz_reaper_acquire returns 1 if it made us a subreaper, 0 if we already
 * were one (then dz_reaper_release must not be called), and -1 with ENOSYS
 * where the system has no such notion; the handshake then still reports a
 * death, only without the status.
 */
#include "compat.h"

#include <errno.h>
#include <unistd.h>
#if HAVE_DECL_PR_SET_CHILD_SUBREAPER
#include <sys/prctl.h>
#elif defined(HAVE_PROCCTL) && defined(HAVE_SYS_PROCCTL_H)
#include <sys/procctl.h>
#endif

int
dz_reaper_acquire(void)
{
#if HAVE_DECL_PR_SET_CHILD_SUBREAPER
	int was = 0;

	if (prctl(PR_GET_CHILD_SUBREAPER, &was, 0, 0, 0) == 0 && was)
		return 0;
	return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0 ? 1 : -1;
#elif defined(HAVE_PROCCTL) && defined(PROC_REAP_ACQUIRE)
	if (procctl(P_PID, getpid(), PROC_REAP_ACQUIRE, NULL) == 0)
		return 1;
	return errno == EBUSY ? 0 : -1;   /* EBUSY: already a reaper */
#else
	errno = ENOSYS;
	return -1;
#endif
}

int
dz_reaper_release(void)
{
#if HAVE_DECL_PR_SET_CHILD_SUBREAPER
	return prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
#elif defined(HAVE_PROCCTL) && defined(PROC_REAP_RELEASE)
	return procctl(P_PID, getpid(), PROC_REAP_RELEASE, NULL);
#else
	errno = ENOSYS;
	return -1;
#endif
}
