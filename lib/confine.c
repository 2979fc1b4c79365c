/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * confine.c - chroot (or a FreeBSD jail) and the working directory.
 *
 * The directory is checked in the original process, before the fork, so
 * that a typo is reported in the terminal; it is entered in the daemon
 * after everything that needs the outside filesystem (user lookup,
 * pidfile, log file, notify socket) and before the privilege drop,
 * because chroot needs root.
 *
 * The orchestrator stores the chroot directory (absolute, through
 * dz_replace_path) in c->root; the jail and the working directory have
 * their setters here.
 */
#include "confine.h"
#include "compat.h"

#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void
dz_confine_clear(struct dz_confine *c)
{
	if (c == NULL)
		return;
	free(c->root);
	free(c->jail);
	free(c->workdir);
	c->root = NULL;
	c->jail = NULL;
	c->workdir = NULL;
}

/* NULL clears; a failure changes nothing. */
int
dz_confine_set_jail(struct dz_confine *c, const char *jail,
    struct dz_err *e)
{
	char err[DZ_ERRLEN];
	char *copy = NULL;

	if (jail != NULL) {
		/* Refused now rather than at start: a configuration that
		 * cannot work here should fail where it is written.  The
		 * probe fails with ENOSYS and "FreeBSD only" where there are
		 * no jails.  Clearing needs no probe: it works everywhere. */
		err[0] = '\0';
		if (dz_jail_enter(NULL, NULL, err, sizeof(err)) == -1)
			return dz_fail(e, "jail", errno, "%s",
			    err[0] != '\0' ? err : "cannot probe");
		if (*jail == '\0')
			return dz_fail(e, "jail", EINVAL, "empty jail name");
		if ((copy = strdup(jail)) == NULL)
			return dz_fail(e, "jail", ENOMEM, "%s", jail);
	}
	free(c->jail);
	c->jail = copy;
	return 0;
}

/* NULL clears; a failure (a relative path, no memory) keeps the old
 * value. */
int
dz_confine_set_workdir(struct dz_confine *c, const char *path,
    struct dz_err *e)
{
	/* Applied after any chroot, so it is a path inside the new root and
	 * must be absolute: a relative one would depend on where we were. */
	if (path != NULL && *path != '/')
		return dz_fail(e, "workdir", EINVAL,
		    "%s: not an absolute path", path);
	return dz_replace_string(e, "workdir", &c->workdir, path);
}

/* path must be an existing directory; step and path in the message. */
static int
check_dir(const char *step, const char *path, struct dz_err *e)
{
	struct stat st;

	if (stat(path, &st) == -1)
		return dz_fail(e, step, errno, "%s", path);
	if (!S_ISDIR(st.st_mode))
		return dz_fail(e, step, ENOTDIR, "%s", path);
	return 0;
}

int
dz_confine_check(const struct dz_confine *c, struct dz_err *e)
{
	char path[PATH_MAX];

	if (c->root != NULL && check_dir("chroot", c->root, e) == -1)
		return -1;
	/* The working directory is a path inside the new root; checking it
	 * from outside catches a typo before the fork.  Inside a jail we
	 * attach to, the root is not known here, so it is checked later. */
	if (c->workdir != NULL && c->jail == NULL) {
		if (c->root != NULL) {
			if ((size_t)snprintf(path, sizeof(path), "%s%s",
			    c->root, c->workdir) >= sizeof(path))
				return dz_fail(e, "workdir", ENAMETOOLONG,
				    "%s%s", c->root, c->workdir);
		} else
			dz_strlcpy_safe(path, c->workdir, sizeof(path));
		if (check_dir("workdir", path, e) == -1)
			return -1;
	}
	return 0;
}

int
dz_confine_enter(const struct dz_confine *c, bool detached,
    struct dz_err *e)
{
	char err[DZ_ERRLEN];
	bool confined = false;
	const char *dir;

	if (c->jail != NULL) {
		/* jail_attach changes root and cwd to the jail's path, and a
		 * jail we create gets the chroot directory as its path: the
		 * chroot is then already done and is not applied again. */
		err[0] = '\0';
		if (dz_jail_enter(c->jail, c->root, err, sizeof(err)) == -1)
			return dz_fail(e, "jail", errno, "%s: %s", c->jail,
			    err[0] != '\0' ? err : "cannot enter");
		confined = true;
	} else if (c->root != NULL) {
		if (chroot(c->root) == -1)
			return dz_fail(e, "chroot", errno, "%s", c->root);
		confined = true;
	}
	/* chroot leaves the cwd where it was, outside the new root, where
	 * ".." would lead out again: move inside at once. */
	if (confined && chdir("/") == -1)
		return dz_fail(e, "chroot", errno, "chdir / in %s",
		    c->root != NULL ? c->root : c->jail);
	/* A detached daemon must not keep the directory it was started in
	 * busy (it could not be unmounted); a supervised one keeps the cwd
	 * its supervisor chose unless a workdir was set. */
	if (c->workdir != NULL || (!confined && detached)) {
		dir = c->workdir != NULL ? c->workdir : "/";
		if (chdir(dir) == -1)
			return dz_fail(e, "workdir", errno, "%s", dir);
	}
	return 0;
}
