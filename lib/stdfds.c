/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * stdfds.c - descriptors 0, 1 and 2: made valid before anything else is
 * opened, stdin pointed at /dev/null in the daemon, stdout and stderr at
 * the log file (or /dev/null, or left on systemd's journal) only once the
 * daemon is ready, and the log file reopened on request (for logrotate).
 */
#include "stdfds.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define DZ_DEVNULL "/dev/null"

/* Bound on retries when the log file vanishes or appears between our
 * exclusive create and the open of an existing file. */
#define DZ_OPEN_TRIES 4

void
dz_output_init(struct dz_output *out)
{
	out->path = NULL;
	out->fd = -1;
	out->keep_journal = false;
}

void
dz_output_clear(struct dz_output *out)
{
	dz_close_quietly(out->fd);
	free(out->path);
	dz_output_init(out);
}

/* ---- /dev/null ------------------------------------------------------------ */

/* Open /dev/null (flags: the access mode) and make sure it is the null
 * device.  It is never created (no O_CREAT): in an empty /dev, or a chroot
 * without one, that would make a regular file there, and everything the
 * daemon writes to "nowhere" would pile up in it.  A fifo in its place
 * would block the open, hence O_NONBLOCK until we know what it is.  Which
 * character device: the numbers differ between systems (1:3 on Linux,
 * others elsewhere), so there is nothing portable to compare st_rdev with;
 * a character device at that path, which only root can make, is trusted
 * to be the null device.  Close-on-exec; -1 with the error set. */
static int
open_null(int flags, struct dz_err *e)
{
	struct stat st;
	int fd, fl, err;

	fd = dz_open(DZ_DEVNULL, flags | O_NOCTTY | O_NONBLOCK | O_CLOEXEC, 0);
	if (fd == -1 && errno == ENOENT) {
		(void)dz_fail(e, "stdio", 0, "%s: not the null device "
		    "(a regular file? an empty /dev?)", DZ_DEVNULL);
		errno = ENOENT;
		return -1;
	}
	if (fd == -1)
		return dz_fail(e, "stdio", errno, "%s", DZ_DEVNULL);
	if (fstat(fd, &st) == -1) {
		err = errno;
		dz_close_quietly(fd);
		return dz_fail(e, "stdio", err, "%s", DZ_DEVNULL);
	}
	if (!S_ISCHR(st.st_mode)) {
		dz_close_quietly(fd);
		(void)dz_fail(e, "stdio", 0, "%s: not the null device "
		    "(a regular file? an empty /dev?)", DZ_DEVNULL);
		errno = ENODEV;
		return -1;
	}
	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) == -1) {
		err = errno;
		dz_close_quietly(fd);
		return dz_fail(e, "stdio", err, "%s", DZ_DEVNULL);
	}
	return fd;
}

/* Put /dev/null (flags: the access mode) on descriptor target. */
static int
null_onto(int target, int flags, struct dz_err *e)
{
	int fd, err;

	if ((fd = open_null(flags, e)) == -1)
		return -1;
	if (fd == target) {
		/* It took the free number itself: a standard descriptor
		 * must survive exec, unlike our own. */
		if (fcntl(fd, F_SETFD, 0) == -1) {
			err = errno;
			dz_close_quietly(fd);
			return dz_fail(e, "stdio", err, "fd %d", target);
		}
		return 0;
	}
	/* Only if a lower fd was closed meanwhile. */
	if (dz_dup2(fd, target) == -1) {
		err = errno;
		dz_close_quietly(fd);
		return dz_fail(e, "stdio", err, "dup2 onto fd %d", target);
	}
	dz_close_quietly(fd);
	return 0;
}

int
dz_stdio_sanitize(struct dz_err *e)
{
	int fd;

	/* A closed 0, 1 or 2 would be handed out by the next open: the
	 * pidfile or a socket would become stdout, and the first printf
	 * would write into it. */
	for (fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
			continue;
		if (null_onto(fd, O_RDWR, e) == -1)
			return -1;
	}
	return 0;
}

int
dz_stdio_stdin_null(struct dz_err *e)
{
	return null_onto(0, O_RDONLY, e);
}

/* ---- the output ------------------------------------------------------------ */

/* Whether fds 1 or 2 are the journal stream systemd names in
 * JOURNAL_STREAM ("DEV:INO", decimal).  The variable alone is only a
 * hint: it is inherited by everything the service starts, whose stdout may
 * be elsewhere; only a descriptor with that very device and inode is the
 * journal. */
static bool
on_journal(void)
{
	char buf[64];
	const char *env;
	unsigned long long dev, ino;
	struct stat st;
	size_t i;
	int fd;

	if ((env = getenv("JOURNAL_STREAM")) == NULL)
		return false;
	dz_strlcpy_safe(buf, env, sizeof(buf));
	for (i = 0; buf[i] != '\0' && buf[i] != ':'; i++)
		;
	if (buf[i] != ':')
		return false;
	buf[i] = '\0';
	if (dz_parse_uint(buf, ~0ULL, &dev) == -1 ||
	    dz_parse_uint(buf + i + 1, ~0ULL, &ino) == -1)
		return false;
	for (fd = 1; fd <= 2; fd++) {
		if (fstat(fd, &st) == -1)
			continue;
		if ((unsigned long long)st.st_dev == dev &&
		    (unsigned long long)st.st_ino == ino)
			return true;
	}
	return false;
}

/* Open the log file for append; *created says whether this open made it.
 * The exclusive create comes first, then the open of an existing file
 * without O_CREAT, so that we know which of the two happened (only a file
 * we made is given to the target user).  The log file is opened as root,
 * in a directory the daemon's user may be able to write (so that it can
 * reopen it): a symlink planted there must not make us append to, or
 * create, a file elsewhere, so links are refused (O_EXCL does not follow
 * one either).  O_NONBLOCK keeps the open from hanging on a fifo. */
static int
open_log(const char *path, const char *what, bool *created,
    struct dz_err *e)
{
	const int flags = O_WRONLY | O_APPEND | O_NOFOLLOW | O_NONBLOCK |
	    O_NOCTTY | O_CLOEXEC;
	int fd, tries;

	for (tries = 0; tries < DZ_OPEN_TRIES; tries++) {
		fd = dz_open(path, flags | O_CREAT | O_EXCL, 0640);
		if (fd != -1) {
			*created = true;
			return fd;
		}
		if (errno != EEXIST)
			break;
		fd = dz_open(path, flags, 0);
		if (fd != -1) {
			*created = false;
			return fd;
		}
		/* Removed between the two opens (logrotate): again. */
		if (errno != ENOENT)
			break;
	}
	/* FreeBSD says EMLINK for O_NOFOLLOW on a symbolic link. */
	if (errno == ELOOP || errno == EMLINK)
		return dz_fail(e, "stdio", ELOOP, "%s%s: is a symbolic link",
		    what, path);
	return dz_fail(e, "stdio", errno, "%s%s", what, path);
}

/* Open out->path with the trust rules; a file this call creates is given
 * to owner:owner_group when we are root and they are not -1.  The new fd
 * (above 2, close-on-exec) replaces out->fd only on success. */
static int
open_output(struct dz_output *out, const struct dz_owners *trust,
    uid_t owner, gid_t owner_group, const char *what, struct dz_err *e)
{
	const char *path = out->path;
	struct stat st;
	bool created = false;
	int fd, err;

	/* No directory rule here, unlike the pidfile's: the log is opened
	 * with O_NOFOLLOW and only appended to, never truncated, and what
	 * was opened is checked below (one link, a trusted owner), so a
	 * file planted in a group-writable /var/log cannot redirect us. */
	if ((fd = open_log(path, what, &created, e)) == -1)
		return -1;
	if (fstat(fd, &st) == -1) {
		err = errno;
		goto fail_errno;
	}
	/* A fifo would block, a directory cannot be written. */
	if (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode)) {
		(void)dz_fail(e, "stdio", EINVAL,
		    "%s%s: not a regular file or a device", what, path);
		goto fail;
	}
	if (S_ISREG(st.st_mode) &&
	    dz_trust_file(trust, &st, path, "stdio", "log file", e) == -1)
		goto fail;
	/* Made by root before the drop: the daemon's user must own it, or
	 * it could not reopen it after logrotate moved it away. */
	if (created && (owner != (uid_t)-1 || owner_group != (gid_t)-1) &&
	    geteuid() == 0 && fchown(fd, owner, owner_group) == -1) {
		err = errno;
		/* Not left behind owned by root: the next start would
		 * open it as an existing file and never give it away. */
		(void)unlink(path);
		goto fail_errno;
	}
	/* O_NONBLOCK only kept the open from hanging on a fifo. */
	if (fcntl(fd, F_SETFL, O_WRONLY | O_APPEND) == -1) {
		err = errno;
		goto fail_errno;
	}
	if ((fd = dz_move_high(fd)) == -1)
		return dz_fail(e, "stdio", errno, "%s%s", what, path);
	dz_close_quietly(out->fd);
	out->fd = fd;
	out->created = created;
	return 0;
fail_errno:
	(void)dz_fail(e, "stdio", err, "%s%s", what, path);
fail:
	err = errno;
	dz_close_quietly(fd);
	errno = err;
	return -1;
}

int
dz_output_open(struct dz_output *out, const struct dz_owners *trust,
    uid_t owner, gid_t owner_group, struct dz_err *e)
{
	int fd;

	out->keep_journal = false;
	if (out->path != NULL)
		return open_output(out, trust, owner, owner_group, "", e);
	/* A Type=forking systemd unit: what the daemon writes goes to the
	 * journal, as the unit says, if it is still attached to it. */
	if (on_journal()) {
		out->keep_journal = true;
		dz_close_quietly(out->fd);
		out->fd = -1;
		return 0;
	}
	/* /dev/null is opened now as well, before chroot: the new root may
	 * have no /dev. */
	if ((fd = open_null(O_WRONLY, e)) == -1)
		return -1;
	if ((fd = dz_move_high(fd)) == -1)
		return dz_fail(e, "stdio", errno, "%s", DZ_DEVNULL);
	dz_close_quietly(out->fd);
	out->fd = fd;
	return 0;
}

int
dz_output_install(struct dz_output *out, struct dz_err *e)
{
	int src, fd, err;

	if (out->keep_journal)
		return 0;
	/* Lines still in stdio buffers belong to the old output (the
	 * terminal while the daemon initialised, or the old log file). */
	(void)fflush(stdout);
	(void)fflush(stderr);
	src = out->fd;
	out->fd = -1;
	if (src < 0) {
		/* Not opened before: a fresh /dev/null. */
		if ((src = open_null(O_WRONLY, e)) == -1)
			return -1;
		if ((src = dz_move_high(src)) == -1)
			return dz_fail(e, "stdio", errno, "%s", DZ_DEVNULL);
	}
	for (fd = 1; fd <= 2; fd++) {
		if (dz_dup2(src, fd) == -1) {
			err = errno;
			dz_close_quietly(src);
			return dz_fail(e, "stdio", err, "dup2 onto fd %d", fd);
		}
	}
	/* 1 and 2 hold it now; reopen opens the path again. */
	dz_close_quietly(src);
	return 0;
}

int
dz_output_reopen(struct dz_output *out, const struct dz_owners *trust,
    struct dz_err *e)
{
	/* Only a log file is reopened; /dev/null and the journal stay. */
	if (out->path == NULL)
		return 0;
	if (open_output(out, trust, (uid_t)-1, (gid_t)-1, "reopen ", e) == -1)
		return -1;
	return dz_output_install(out, e);
}

void
dz_output_discard(struct dz_output *out)
{
	struct stat fst, pst;
	int saved = errno;

	if (out->created && out->path != NULL && out->fd >= 0 &&
	    fstat(out->fd, &fst) == 0 && fst.st_size == 0 &&
	    lstat(out->path, &pst) == 0 && pst.st_dev == fst.st_dev &&
	    pst.st_ino == fst.st_ino)
		(void)unlink(out->path);
	out->created = false;
	dz_close_quietly(out->fd);
	out->fd = -1;
	errno = saved;
}

/*
 * When the library is loaded, before main() runs: fds 0-2 made valid.
 * A server started with one of them closed that calls openlog(LOG_NDELAY)
 * as its first action (most do, before any call of ours) would otherwise
 * get its logger connection on 0, 1 or 2, where the daemon's stdio later
 * replaces it; daemonize_lock() does the same again, for programs that
 * load the library later (dlopen).  Only closed descriptors are touched,
 * and only with /dev/null.
 */
static void __attribute__((constructor))
stdio_at_load(void)
{
	int saved = errno;

	(void)dz_stdio_sanitize(NULL);
	errno = saved;
}
