/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * pipe_cloexec.c - a pipe whose ends are close-on-exec from the start.
 *
 * dz_pipe_cloexec(fds, flags): as pipe2(fds, O_CLOEXEC | flags), where
 * flags is 0 or O_NONBLOCK (the signal pipe).  pipe2 where the C library
 * has it (Linux, the BSDs, illumos); elsewhere (macOS) pipe then fcntl on
 * each end, which leaves a window in which a fork+exec by another thread
 * inherits the pipe: acceptable there, since the two callers run before
 * the daemon has threads of its own.  Returns 0, or -1 with errno and no
 * fd left open; any other flag is EINVAL.
 */
#include "compat.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

int
dz_pipe_cloexec(int fds[2], int flags)
{
	if ((flags & ~O_NONBLOCK) != 0) {
		errno = EINVAL;
		return -1;
	}
#ifdef HAVE_PIPE2
	return pipe2(fds, O_CLOEXEC | flags);
#else
	int i, fl;

	if (pipe(fds) == -1)
		return -1;
	for (i = 0; i < 2; i++) {
		if (fcntl(fds[i], F_SETFD, FD_CLOEXEC) == -1 ||
		    ((flags & O_NONBLOCK) != 0 &&
		    ((fl = fcntl(fds[i], F_GETFL)) == -1 ||
		    fcntl(fds[i], F_SETFL, fl | O_NONBLOCK) == -1))) {
			/* dz_close_quietly keeps errno. */
			dz_close_quietly(fds[0]);
			dz_close_quietly(fds[1]);
			return -1;
		}
	}
	return 0;
#endif
}
