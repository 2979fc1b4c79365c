/*
 * confine.c - chroot (or a FreeBSD jail) and the working directory.
 *
 * The directory is checked in the original process, before the fork, so
 * that a typo is reported in the terminal; it is entered in the daemon
 * after everything that needs the outside filesystem (user lookup,
 * pidfile, log file, notify socket) and before the privilege drop,
 * because chroot needs root.
 */
#include "internal.h"

#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

DZ_PUBLIC int
daemonize_set_chroot(struct daemonize *d, const char *path)
{
	/* Stored absolute: the daemon enters it after chdir. */
	/* Checked first: &d->chroot_dir must not be formed from NULL. */
	if (dz_config_check(d, "chroot") == -1)
		return -1;
	return dz_set_path(d, "chroot", &d->chroot_dir, path);
}

DZ_PUBLIC int
daemonize_set_jail(struct daemonize *d, const char *jail)
{
	char *copy = NULL, err[DZ_MSGLEN];

	if (dz_config_check(d, "jail") == -1)
		return -1;
	/* Refused now rather than at start: a configuration that cannot
	 * work here should fail where it is written.  The probe fails with
	 * ENOSYS and "FreeBSD only" where there are no jails. */
	if (dz_jail_enter(NULL, NULL, err, sizeof(err)) == -1)
		return dz_error(d, "jail", errno, "%s", err);
	if (jail != NULL) {
		if (*jail == '\0')
			return dz_error(d, "jail", EINVAL, "empty jail name");
		if ((copy = strdup(jail)) == NULL)
			return dz_error(d, "jail", ENOMEM, "%s", jail);
	}
	free(d->jail);
	d->jail = copy;
	return 0;
}

/* path must be an existing directory; step and path in the message. */
static int
check_dir(struct daemonize *d, const char *step, const char *path)
{
	struct stat st;

	if (stat(path, &st) == -1)
		return dz_error(d, step, errno, "%s", path);
	if (!S_ISDIR(st.st_mode))
		return dz_error(d, step, ENOTDIR, "%s", path);
	return 0;
}

int
dz_confine_check(struct daemonize *d)
{
	char path[PATH_MAX];

	if (d->chroot_dir != NULL &&
	    check_dir(d, "chroot", d->chroot_dir) == -1)
		return -1;
	/* The working directory is a path inside the new root; checking it
	 * from outside catches a typo before the fork.  Inside a jail we
	 * attach to, the root is not known here, so it is checked later. */
	if (d->workdir != NULL && d->jail == NULL) {
		if (d->chroot_dir != NULL) {
			if ((size_t)snprintf(path, sizeof(path), "%s%s",
			    d->chroot_dir, d->workdir) >= sizeof(path))
				return dz_error(d, "workdir", ENAMETOOLONG,
				    "%s%s", d->chroot_dir, d->workdir);
		} else
			dz_strlcpy_safe(path, d->workdir, sizeof(path));
		if (check_dir(d, "workdir", path) == -1)
			return -1;
	}
	return 0;
}

int
dz_confine_enter(struct daemonize *d)
{
	char err[DZ_MSGLEN];
	bool confined = false;
	const char *dir;

	if (d->jail != NULL) {
		/* jail_attach changes root and cwd to the jail's path, and a
		 * jail we create gets the chroot directory as its path: the
		 * chroot is then already done and is not applied again. */
		err[0] = '\0';
		if (dz_jail_enter(d->jail, d->chroot_dir, err,
		    sizeof(err)) == -1)
			return dz_error(d, "jail", errno, "%s: %s", d->jail,
			    err[0] != '\0' ? err : "cannot enter");
		confined = true;
	} else if (d->chroot_dir != NULL) {
		if (chroot(d->chroot_dir) == -1)
			return dz_error(d, "chroot", errno, "%s",
			    d->chroot_dir);
		confined = true;
	}
	/* chroot leaves the cwd where it was, outside the new root, where
	 * ".." would lead out again: move inside at once. */
	if (confined && chdir("/") == -1)
		return dz_error(d, "chroot", errno, "chdir / in %s",
		    d->chroot_dir != NULL ? d->chroot_dir : d->jail);
	/* A detached daemon must not keep the directory it was started in
	 * busy (it could not be unmounted); a supervised one keeps the cwd
	 * its supervisor chose unless a workdir was set. */
	if (d->workdir != NULL || (!confined &&
	    d->mode == DAEMONIZE_MODE_BACKGROUND)) {
		dir = d->workdir != NULL ? d->workdir : "/";
		if (chdir(dir) == -1)
			return dz_error(d, "workdir", errno, "%s", dir);
	}
	return 0;
}
