/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * symlink_errno.c - which errno an O_NOFOLLOW open uses to refuse a
 * symlink.
 *
 * POSIX says ELOOP; FreeBSD says EMLINK, and NetBSD EFTYPE, an error
 * number that exists only on the BSDs.  So the answer is a function: the
 * caller compares against no errno that its system may lack.
 */
#include "compat.h"

#include <errno.h>

bool
dz_errno_is_symlink_refusal(int err)
{
	return err == ELOOP || err == EMLINK
#ifdef EFTYPE
	    || err == EFTYPE
#endif
	    ;
}
