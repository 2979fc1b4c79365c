/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * trust.c - which files and directories the library may write, follow or
 * believe (trust.h, libdaemonize(3) SECURITY).
 *
 * The rule for the directory that holds a file we write (its parent, with
 * symlinks resolved: /var/run -> /run is normal, so the parent is stat'ed,
 * not lstat'ed, and the directory it resolves to is judged):
 * - it is owned by root, the effective user or the target user, and
 * - nobody else can write it: no group or other write permission, except
 *   with the sticky bit on a directory owned by root (/tmp, /var/tmp),
 *   where others may create names but never remove or rename ours.
 * Anything else is refused with EPERM: whoever can write the directory can
 * replace the file between our check and our open, or plant a symlink or
 * hard link that turns root's write into a write to a file of his choice.
 *
 * "Trusted" is not "only we can write it": in a sticky directory, and in
 * one owned by the target user, someone other than root and the effective
 * user can plant a name before we come.  dz_parent_dir_writable_by_others
 * tells the caller so; it must then open with O_NOFOLLOW (never libbsd's
 * pidfile_open, which follows symlinks and truncates before any check)
 * and judge what it opened with dz_trust_file.
 *
 * Only the last directory is judged, not its ancestors (whoever can write
 * /var could replace /var/run): a path under a tree that other users
 * control is a configuration mistake this library does not try to find.
 * ACLs are not read; the mode bits are what is checked.
 */
#include "trust.h"

#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void
dz_owners_init(struct dz_owners *o, bool has_target, uid_t target)
{
	o->euid = geteuid();
	o->has_target = has_target;
	o->target = has_target ? target : 0;
}

bool
dz_owner_trusted(const struct dz_owners *o, uid_t uid)
{
	return uid == 0 || uid == o->euid || (o->has_target && uid == o->target);
}

/* Who may own what we trust, for messages: "root", "root or uid 1000",
 * "root, uid 1000 or uid 33". */
static void
trusted_names(const struct dz_owners *o, char *buf, size_t size)
{
	unsigned long ids[2];
	size_t n = 0;

	if (o->euid != 0)
		ids[n++] = (unsigned long)o->euid;
	if (o->has_target && o->target != 0 && o->target != o->euid)
		ids[n++] = (unsigned long)o->target;
	if (n == 0)
		(void)snprintf(buf, size, "root");
	else if (n == 1)
		(void)snprintf(buf, size, "root or uid %lu", ids[0]);
	else
		(void)snprintf(buf, size, "root, uid %lu or uid %lu", ids[0],
		    ids[1]);
}

/* The directory that holds path, computed by hand (dirname(3) may modify
 * its argument or return static storage): "/run/x.pid" -> "/run",
 * "/x.pid" -> "/", "x.pid" -> ".".  Trailing slashes are not part of the
 * last name.  -1 with ENAMETOOLONG when it does not fit. */
static int
parent_of(const char *path, char *buf, size_t size)
{
	size_t end = strlen(path);

	while (end > 1 && path[end - 1] == '/')
		end--;
	while (end > 0 && path[end - 1] != '/')
		end--;
	if (end == 0) {
		dz_strlcpy_safe(buf, ".", size);
		return 0;
	}
	while (end > 1 && path[end - 1] == '/')
		end--;
	if (end >= size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, path, end);
	buf[end] = '\0';
	return 0;
}

static bool
writable_by_group_or_other(const struct stat *st)
{
	return (st->st_mode & (S_IWGRP | S_IWOTH)) != 0;
}

int
dz_trust_parent_dir(const struct dz_owners *o, const char *path,
    const char *step, const char *what, struct dz_err *e)
{
	char dir[PATH_MAX], names[64];
	struct stat st;
	bool shared;

	if (path == NULL || *path == '\0')
		return dz_fail(e, step, EINVAL, "empty path");
	if (parent_of(path, dir, sizeof(dir)) == -1)
		return dz_fail(e, step, errno, "%s", path);
	/* stat, not lstat: see the rule above. */
	if (stat(dir, &st) == -1)
		return dz_fail(e, step, errno, "%s: its directory %s", path,
		    dir);
	if (!S_ISDIR(st.st_mode))
		return dz_fail(e, step, ENOTDIR, "%s: %s is not a directory",
		    path, dir);
	/* Written by others: acceptable only as /tmp is, root's and sticky. */
	shared = writable_by_group_or_other(&st) &&
	    !((st.st_mode & S_ISVTX) != 0 && st.st_uid == 0);
	if (!dz_owner_trusted(o, st.st_uid) || shared) {
		trusted_names(o, names, sizeof(names));
		return dz_fail(e, step, EPERM,
		    "%s: owned by uid %lu, mode %04o: another user could "
		    "replace the %s; use a directory only %s can write", dir,
		    (unsigned long)st.st_uid, (unsigned int)(st.st_mode & 07777),
		    what, names);
	}
	return 0;
}

int
dz_parent_dir_writable_by_others(const char *path, bool *others)
{
	char dir[PATH_MAX];
	struct stat st;

	if (path == NULL || *path == '\0' || others == NULL) {
		errno = EINVAL;
		return -1;
	}
	if (parent_of(path, dir, sizeof(dir)) == -1)
		return -1;
	if (stat(dir, &st) == -1)
		return -1;
	/* The target user counts as other here: the daemon runs as it and
	 * could plant a symlink for the next start as root. */
	*others = writable_by_group_or_other(&st) ||
	    (st.st_uid != 0 && st.st_uid != geteuid());
	return 0;
}

int
dz_trust_file(const struct dz_owners *o, const struct stat *st,
    const char *path, const char *step, const char *what, struct dz_err *e)
{
	char names[64];

	if (!S_ISREG(st->st_mode))
		return dz_fail(e, step, EINVAL, "%s: not a regular file", path);
	/* A second name elsewhere (a hard link planted to another file) would
	 * make our write or truncation land there too. */
	if (st->st_nlink != 1)
		return dz_fail(e, step, EMLINK,
		    "%s: has %llu hard links: refusing a %s linked elsewhere",
		    path, (unsigned long long)st->st_nlink, what);
	if (!dz_owner_trusted(o, st->st_uid)) {
		trusted_names(o, names, sizeof(names));
		return dz_fail(e, step, EPERM,
		    "%s: owned by uid %lu, not by %s: refusing a %s another "
		    "user controls", path, (unsigned long)st->st_uid, names,
		    what);
	}
	return 0;
}
