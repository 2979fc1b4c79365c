/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * socket_cloexec.c - a socket that is close-on-exec from the start.
 *
 * dz_socket_cloexec(domain, type): socket(domain, type | SOCK_CLOEXEC, 0)
 * where the system has SOCK_CLOEXEC (Linux, the BSDs, illumos).  Where it
 * does not (macOS), or where the kernel is older than the headers and
 * refuses the flag (EINVAL, EPROTOTYPE), socket then fcntl(FD_CLOEXEC),
 * which leaves a window in which a fork+exec by another thread inherits
 * the socket.  Returns the fd, or -1 with errno and no fd left open.
 */
#include "compat.h"

#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>

int
dz_socket_cloexec(int domain, int type)
{
	int fd;

#ifdef SOCK_CLOEXEC
	fd = socket(domain, type | SOCK_CLOEXEC, 0);
	if (fd >= 0 || (errno != EINVAL && errno != EPROTOTYPE))
		return fd;
#endif
	if ((fd = socket(domain, type, 0)) == -1)
		return -1;
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) == -1) {
		dz_close_quietly(fd);
		return -1;
	}
	return fd;
}
