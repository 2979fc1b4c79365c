/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * jail.c - enter a FreeBSD jail: the only FreeBSD-specific code.
 *
 * Written against FreeBSD's jail(2) and jail(3) manual pages; it cannot be
 * compiled on the machines this library is developed on, so it is kept as
 * small as possible.  Everywhere else the call fails with ENOSYS.
 *
 * dz_jail_enter(jail, path, err, errlen): attach the calling process to
 * the jail named jail (a name or a jid, as jail_getid(3) accepts).  If no
 * such jail exists and path is not NULL, create one with that name and
 * path as its root and attach to it in the same jail_set(2) call.  Returns
 * 0, or -1 with errno and the reason (libjail's jail_errmsg) in err.
 *
 * With jail NULL it is a probe that changes nothing: 0 where jails can be
 * entered, -1 with ENOSYS and "FreeBSD only" in err elsewhere, so that
 * daemonize_set_jail can refuse when it is called rather than at start.
 */
#include "compat.h"

#include <errno.h>
#include <string.h>

#ifdef HAVE_JAIL_SETV

#include <sys/param.h>
#include <sys/jail.h>
#include <sys/uio.h>

#include <jail.h>

int
dz_jail_enter(const char *jail, const char *path, char *err, size_t errlen)
{
	int jid;

	if (errlen > 0)
		err[0] = '\0';
	if (jail == NULL)
		return 0;       /* the probe: jails exist here */
	jail_errmsg[0] = '\0';
	/* jail_getid takes a name or a decimal jid, -1 when there is none. */
	if ((jid = jail_getid(jail)) != -1) {
		/* Changes our root and cwd to the jail's path. */
		if (jail_attach(jid) == -1) {
			int saved = errno;

			dz_strlcpy_safe(err, "jail_attach failed", errlen);
			errno = saved;
			return -1;
		}
		return 0;
	}
	if (path == NULL) {
		dz_strlcpy_safe(err, "no such jail, and no chroot directory "
		    "to create it with", errlen);
		errno = ENOENT;
		return -1;
	}
	/* JAIL_CREATE fails if the name exists (a race with another
	 * creator), which is the right answer; JAIL_ATTACH enters it as
	 * jail_attach(2) would.  Not persistent: the jail goes away with
	 * its last process, as the daemon's chroot would. */
	if (jail_setv(JAIL_CREATE | JAIL_ATTACH, "name", jail, "path", path,
	    (char *)NULL) == -1) {
		int saved = errno;

		dz_strlcpy_safe(err, jail_errmsg[0] != '\0' ? jail_errmsg :
		    "jail_setv failed", errlen);
		errno = saved != 0 ? saved : EPERM;
		return -1;
	}
	return 0;
}

#else /* !HAVE_JAIL_SETV */

int
dz_jail_enter(const char *jail, const char *path, char *err, size_t errlen)
{
	(void)jail;
	(void)path;
	dz_strlcpy_safe(err, "FreeBSD only", errlen);
	errno = ENOSYS;
	return -1;
}

#endif
