/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * getresgid.c - read the real, effective and saved gids.
 *
 * dz_getresgid(r, e, s): getresgid(2) where the C library has it (Linux,
 * FreeBSD, OpenBSD).  Elsewhere (macOS, NetBSD) the saved gid cannot be
 * read at all: the call fails with ENOSYS and stores nothing, and
 * privileges.c checks the real and effective gids and that root cannot be
 * regained instead.
 */
#include "compat.h"

#include <errno.h>
#include <unistd.h>

int
dz_getresgid(gid_t *r, gid_t *e, gid_t *s)
{
#ifdef HAVE_GETRESGID
	return getresgid(r, e, s);
#else
	(void)r;
	(void)e;
	(void)s;
	errno = ENOSYS;
	return -1;
#endif
}
