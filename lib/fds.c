/*
 * fds.c - closing inherited descriptors.
 *
 * The cost must follow the number of open fds, not RLIMIT_NOFILE (which
 * can be a million): the kept fds are sorted and the gaps between them are
 * closed a range at a time by dz_close_range (close_range(2) where the
 * kernel has it; see lib/compat/close_range.c for the fallbacks).
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

static int
cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

DZ_PUBLIC int
daemonize_close_fds(int lowfd, const int *keep, size_t nkeep)
{
	int *sorted = NULL;
	unsigned int next;
	size_t i;

	if (lowfd < 0 || (nkeep > 0 && keep == NULL)) {
		errno = EINVAL;
		return -1;
	}
	if (nkeep > 0) {
		if ((sorted = malloc(nkeep * sizeof(*sorted))) == NULL)
			return -1;
		memcpy(sorted, keep, nkeep * sizeof(*sorted));
		qsort(sorted, nkeep, sizeof(*sorted), cmp_int);
	}
	next = (unsigned int)lowfd;
	for (i = 0; i < nkeep; i++) {
		if (sorted[i] < 0 || (unsigned int)sorted[i] < next)
			continue;	/* below lowfd, negative, or a repeat */
		if ((unsigned int)sorted[i] > next &&
		    dz_close_range(next, (unsigned int)sorted[i] - 1) == -1)
			goto fail;
		next = (unsigned int)sorted[i] + 1;
	}
	if (dz_close_range(next, UINT_MAX) == -1)
		goto fail;
	free(sorted);
	return 0;
fail:
	{
		int saved = errno;

		free(sorted);
		errno = saved;
	}
	return -1;
}

int
dz_fds_sweep(struct daemonize *d)
{
	int *keep;
	size_t n = 0, cap;
	int i, r;

	cap = d->nkeep + (size_t)d->nlisten + 4;
	if ((keep = malloc(cap * sizeof(*keep))) == NULL)
		return dz_error(d, "fds", errno, "keep list");
	/* What the library itself still needs after the sweep. */
	keep[n++] = d->pidfile.fd;
	keep[n++] = d->status_fd;
	keep[n++] = d->notify.fd;
	keep[n++] = d->notify_fd;
	for (i = 0; i < d->nlisten; i++)
		keep[n++] = d->listen_fds[i];
	if (d->nkeep > 0)
		memcpy(keep + n, d->keep, d->nkeep * sizeof(*keep));
	n += d->nkeep;
	/* 0-2 are never closed: they were made valid before the fork and
	 * are pointed at /dev/null or the log file next. */
	r = daemonize_close_fds(3, keep, n);
	free(keep);
	if (r == -1)
		return dz_error(d, "fds", errno, "closing inherited fds");
	return 0;
}

DZ_PUBLIC int
daemonize_keep_fd(struct daemonize *d, int fd)
{
	size_t i;

	if (dz_config_check(d, "keep_fd") == -1)
		return -1;
	if (fd < 0 || fcntl(fd, F_GETFD) == -1)
		return dz_error(d, "keep_fd", EBADF, "fd %d is not open", fd);
	for (i = 0; i < d->nkeep; i++)
		if (d->keep[i] == fd)
			return 0;
	if (d->nkeep == d->keepcap) {
		size_t cap = d->keepcap ? d->keepcap * 2 : 8;
		int *p = realloc(d->keep, cap * sizeof(*p));

		if (p == NULL)
			return dz_error(d, "keep_fd", errno, "fd %d", fd);
		d->keep = p;
		d->keepcap = cap;
	}
	d->keep[d->nkeep++] = fd;
	return 0;
}
