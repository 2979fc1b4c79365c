/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * getgrouplist.c - getgrouplist(3) with gid_t arrays everywhere.
 *
 * glibc, musl and the BSDs declare
 *	int getgrouplist(const char *, gid_t, gid_t *, int *);
 * macOS (and older BSDs it inherited it from) declare
 *	int getgrouplist(const char *, int, int *, int *);
 * configure tells the two apart (HAVE_GETGROUPLIST_GID_T, by redeclaring
 * the first form, which is a hard error where the second is in force);
 * for the int form the list is fetched into an int array and converted.
 *
 * dz_getgrouplist(user, gid, groups, ngroups) behaves as getgrouplist:
 * on entry *ngroups is the capacity of groups, on return the number of
 * groups stored (or, where the C library says so, the number needed);
 * -1 means the array was too small.  Without any getgrouplist it fails
 * with ENOSYS; privileges.c refuses to guess a group list then.
 */
#include "compat.h"

#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <unistd.h>

#if defined(HAVE_GETGROUPLIST) && defined(HAVE_GETGROUPLIST_GID_T)

int
dz_getgrouplist(const char *user, gid_t gid, gid_t *groups, int *ngroups)
{
	return getgrouplist(user, gid, groups, ngroups);
}

#elif defined(HAVE_GETGROUPLIST)

int
dz_getgrouplist(const char *user, gid_t gid, gid_t *groups, int *ngroups)
{
	int *list, cap = *ngroups, i, r;

	if (cap <= 0) {
		errno = EINVAL;
		return -1;
	}
	if ((list = calloc((size_t)cap, sizeof(*list))) == NULL)
		return -1;
	/* gid_t and int have the same width there; the casts keep the
	 * bits, so a gid above INT_MAX round-trips unchanged. */
	r = getgrouplist(user, (int)gid, list, ngroups);
	/* Whatever the call stored is valid up to the smaller of the two
	 * counts, also when it says the array was too small. */
	for (i = 0; i < cap && i < *ngroups; i++)
		groups[i] = (gid_t)list[i];
	free(list);
	return r;
}

#else /* !HAVE_GETGROUPLIST */

int
dz_getgrouplist(const char *user, gid_t gid, gid_t *groups, int *ngroups)
{
	(void)user;
	(void)gid;
	(void)groups;
	(void)ngroups;
	errno = ENOSYS;
	return -1;
}

#endif
