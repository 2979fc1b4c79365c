/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * setresuid.c - set the real, effective and saved uids to one value.
 *
 * dz_setresuid(id, call): setresuid(id, id, id) where the C library has it
 * (Linux, FreeBSD, OpenBSD).  Elsewhere (macOS) setreuid(id, id) sets the
 * real and effective uids, and setuid(id), called while still privileged,
 * then sets the saved one too: POSIX says setuid by a privileged process
 * sets all three.  *call names the one used, for messages ("setresuid"
 * or "setuid").  Returns 0, or -1 with errno; privileges.c then verifies
 * the result, and where the saved uid cannot be read (no getresuid) the
 * proof is that root cannot be regained.  Linux can refuse with EAGAIN when
 * the target user is at its RLIMIT_NPROC.
 */
#include "compat.h"

#include <unistd.h>

int
dz_setresuid(uid_t id, const char **call)
{
#ifdef HAVE_SETRESUID
	*call = "setresuid";
	return setresuid(id, id, id);
#else
	*call = "setuid";
	return setreuid(id, id) == -1 ? -1 : setuid(id);
#endif
}
