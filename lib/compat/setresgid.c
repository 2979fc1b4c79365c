/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * setresgid.c - set the real, effective and saved gids to one value.
 *
 * dz_setresgid(id, call): setresgid(id, id, id) where the C library has it
 * (Linux, FreeBSD, OpenBSD).  Elsewhere (macOS) setregid(id, id) sets the
 * real and effective gids, and setgid(id), called while still privileged,
 * then sets the saved one too: POSIX says setgid by a privileged process
 * sets all three.  *call names the one used, for messages ("setresgid"
 * or "setgid").  Returns 0, or -1 with errno; privileges.c then verifies
 * the result, and where the saved gid cannot be read (no getresgid) the
 * proof is that root cannot be regained.  Needs root, so the caller does it
 * before dropping the uid.
 */
#include "compat.h"

#include <unistd.h>

int
dz_setresgid(gid_t id, const char **call)
{
#ifdef HAVE_SETRESGID
	*call = "setresgid";
	return setresgid(id, id, id);
#else
	*call = "setgid";
	return setregid(id, id) == -1 ? -1 : setgid(id);
#endif
}
