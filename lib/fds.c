/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * fds.c - closing inherited descriptors in the daemon.
 *
 * The cost must follow the number of open fds, not RLIMIT_NOFILE (which
 * can be a million): the kept fds are sorted and the gaps between them are
 * closed a range at a time by dz_close_range (close_range(2) where the
 * kernel has it; see lib/compat/close_range.c for the fallbacks).
 *
 * Besides the caller's keep-list, a connection to the system logger
 * survives (see lib/compat/logger.c for why): the open descriptors are
 * listed once to find it, which also costs what the number of open fds
 * costs.
 */
#include "fds.h"
#include "compat.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* ---- the keep-list --------------------------------------------------------- */

void
dz_fdlist_clear(struct dz_fdlist *l)
{
	free(l->fd);
	l->fd = NULL;
	l->n = 0;
	l->cap = 0;
}

bool
dz_fdlist_has(const struct dz_fdlist *l, int fd)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->fd[i] == fd)
			return true;
	return false;
}

/* A failure leaves the list as it was. */
int
dz_fdlist_add(struct dz_fdlist *l, int fd)
{
	size_t cap;
	int *p;

	if (dz_fdlist_has(l, fd))
		return 0;
	if (l->n == l->cap) {
		cap = l->cap != 0 ? l->cap * 2 : 8;
		if (cap < l->cap || cap > SIZE_MAX / sizeof(*p)) {
			errno = ENOMEM;
			return -1;
		}
		if ((p = realloc(l->fd, cap * sizeof(*p))) == NULL) {
			errno = ENOMEM;
			return -1;
		}
		l->fd = p;
		l->cap = cap;
	}
	l->fd[l->n++] = fd;
	return 0;
}

/* ---- the sweep ------------------------------------------------------------- */

static int
cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/*
 * Close every fd >= lowfd but those in keep[] (sorted here, in place;
 * negative numbers and repeats are allowed and ignored).  -1 with errno.
 */
static int
close_fds(unsigned int lowfd, int *keep, size_t nkeep)
{
	unsigned int next;
	size_t i;

	if (nkeep > 0)
		qsort(keep, nkeep, sizeof(*keep), cmp_int);
	next = lowfd;
	for (i = 0; i < nkeep; i++) {
		if (keep[i] < 0 || (unsigned int)keep[i] < next)
			continue;	/* below lowfd, negative, or a repeat */
		if ((unsigned int)keep[i] > next &&
		    dz_close_range(next, (unsigned int)keep[i] - 1) == -1)
			return -1;
		next = (unsigned int)keep[i] + 1;
	}
	return dz_close_range(next, UINT_MAX);
}

/*
 * Add to loggers every open fd >= 3 that is a connection to the system
 * logger.  The list of open fds comes from /proc/self/fd (Linux) or
 * /dev/fd (the BSDs, macOS; on FreeBSD without fdescfs it shows only 0-2,
 * and then no logger is found).  Where neither can be read there is no
 * cheap way to enumerate, and the scan is skipped: the sweep then works
 * as it did before loggers were kept.  -1 only for ENOMEM.
 */
static int
find_loggers(struct dz_fdlist *loggers)
{
	static const char *const dirs[] = { "/proc/self/fd", "/dev/fd" };
	struct dirent *ent;
	DIR *dir = NULL;
	unsigned long long fd;
	size_t i;
	int self, saved;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]) && dir == NULL; i++)
		dir = opendir(dirs[i]);
	if (dir == NULL)
		return 0;
	self = dirfd(dir);
	while ((ent = readdir(dir)) != NULL) {
		if (dz_parse_uint(ent->d_name, INT_MAX, &fd) == -1 ||
		    fd < 3 || (int)fd == self)
			continue;	/* ".", "..", stdio, the listing's */
		if (dz_is_logger_socket((int)fd) &&
		    dz_fdlist_add(loggers, (int)fd) == -1) {
			saved = errno;
			(void)closedir(dir);
			errno = saved;
			return -1;
		}
	}
	(void)closedir(dir);
	return 0;
}

int
dz_fds_sweep(const int *keep, size_t nkeep, struct dz_err *e)
{
	struct dz_fdlist loggers = { NULL, 0, 0 };
	int *all;
	size_t n;
	int r, err;

	if (nkeep > 0 && keep == NULL)
		return dz_fail(e, "fds", EINVAL, "no keep list");
	if (find_loggers(&loggers) == -1)
		return dz_fail(e, "fds", errno, "keep list");
	n = nkeep + loggers.n;
	if (n > SIZE_MAX / sizeof(*all) ||
	    (all = malloc((n > 0 ? n : 1) * sizeof(*all))) == NULL) {
		dz_fdlist_clear(&loggers);
		return dz_fail(e, "fds", ENOMEM, "keep list");
	}
	if (nkeep > 0)
		memcpy(all, keep, nkeep * sizeof(*all));
	if (loggers.n > 0)
		memcpy(all + nkeep, loggers.fd, loggers.n * sizeof(*all));
	dz_fdlist_clear(&loggers);
	/* 0-2 are never closed: they were made valid before the fork and
	 * are pointed at /dev/null or the log file next. */
	r = close_fds(3, all, n);
	err = errno;
	free(all);
	if (r == -1)
		return dz_fail(e, "fds", err, "closing inherited fds");
	return 0;
}
