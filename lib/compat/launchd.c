/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * launchd.c - the sockets launchd holds for this job: the only macOS
 * specific code.
 *
 * Written against Apple's launch_activate_socket(3) manual; it cannot be
 * compiled on the machines this library is developed on, so it is kept as
 * small as possible.  Everywhere else the call fails with ENOSYS.
 *
 * dz_launchd_sockets(name, fds, n): the descriptors of the entry called
 * name in the job's Sockets dictionary.  Returns 0 with *fds a malloc'ed
 * array of *n descriptors (the caller closes them and frees the array),
 * or -1 with errno: ESRCH when this process is not a launchd job, ENOENT
 * when the job has no such entry, ENOSYS where there is no launchd, and
 * whatever else launchd answers (EALREADY: already handed out).
 */
#include "compat.h"

#include <errno.h>
#include <stddef.h>

#if defined(HAVE_LAUNCH_ACTIVATE_SOCKET) && defined(HAVE_LAUNCH_H)
#include <launch.h>
#endif

int
dz_launchd_sockets(const char *name, int **fds, size_t *n)
{
	*fds = NULL;
	*n = 0;
#if defined(HAVE_LAUNCH_ACTIVATE_SOCKET) && defined(HAVE_LAUNCH_H)
	{
		int r;

		/* The error comes back as the result, not in errno. */
		if ((r = launch_activate_socket(name, fds, n)) != 0) {
			*fds = NULL;
			*n = 0;
			errno = r;
			return -1;
		}
		return 0;
	}
#else
	(void)name;
	errno = ENOSYS;
	return -1;
#endif
}
