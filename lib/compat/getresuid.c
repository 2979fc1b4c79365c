/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * getresuid.c - read the real, effective and saved uids.
 *
 * dz_getresuid(r, e, s): getresuid(2) where the C library has it (Linux,
 * FreeBSD, OpenBSD).  Elsewhere (macOS, NetBSD) the saved uid cannot be
 * read at all: the call fails with ENOSYS and stores nothing, and
 * privileges.c checks the real and effective uids and that root cannot be
 * regained instead.
 */
#include "compat.h"

#include <errno.h>
#include <unistd.h>

int
dz_getresuid(uid_t *r, uid_t *e, uid_t *s)
{
#ifdef HAVE_GETRESUID
	return getresuid(r, e, s);
#else
	(void)r;
	(void)e;
	(void)s;
	errno = ENOSYS;
	return -1;
#endif
}
