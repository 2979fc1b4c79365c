/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * close_range.c - close every open fd in [first, last], at a cost that
 * follows the number of open fds rather than RLIMIT_NOFILE.
 *
 * In order of preference: close_range(2) (Linux 5.9, FreeBSD 12.2), the
 * raw system call where libc has no wrapper (musl), the list of open fds
 * in /proc/self/fd or /dev/fd, closefrom(3) when the range runs to the
 * end (the BSDs, illumos), and last a loop up to the fd limit.
 */
#include "compat.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>
#if HAVE_DECL_SYS_CLOSE_RANGE
#include <sys/syscall.h>
#endif

static int
close_by_listing(unsigned int first, unsigned int last)
{
	static const char *const dirs[] = { "/proc/self/fd", "/dev/fd" };
	struct dirent *e;
	DIR *dir = NULL;
	size_t i;
	int self;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]) && dir == NULL; i++)
		dir = opendir(dirs[i]);
	if (dir == NULL)
		return -1;
	self = dirfd(dir);
	while ((e = readdir(dir)) != NULL) {
		char *end;
		unsigned long fd;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		fd = strtoul(e->d_name, &end, 10);
		if (*end != '\0' || fd > INT_MAX || (int)fd == self)
			continue;
		/* Closing an entry while reading the directory is safe: the
		 * listing is of fds, and we only remove ones already seen. */
		if (fd >= first && fd <= last)
			dz_close_quietly((int)fd);
	}
	(void)closedir(dir);
	return 0;
}

static int
close_by_loop(unsigned int first, unsigned int last)
{
	long max = sysconf(_SC_OPEN_MAX);
	unsigned int fd, end;

	if (max <= 0)
		max = 1024;
	end = (unsigned long)max - 1 < last ? (unsigned int)(max - 1) : last;
	for (fd = first; fd <= end && fd <= INT_MAX; fd++)
		dz_close_quietly((int)fd);
	return 0;
}

int
dz_close_range(unsigned int first, unsigned int last)
{
	if (first > last)
		return 0;
#if defined(HAVE_CLOSE_RANGE)
	if (close_range(first, last, 0) == 0)
		return 0;
	if (errno != ENOSYS && errno != EPERM)
		return -1;      /* EPERM: some seccomp filters; fall back */
#elif HAVE_DECL_SYS_CLOSE_RANGE
	if (syscall(SYS_close_range, first, last, 0) == 0)
		return 0;
	if (errno != ENOSYS && errno != EPERM)
		return -1;
#endif
	/* The listing before closefrom: glibc's closefrom aborts the process
	 * when it cannot close everything (close_range failed, e.g. under a
	 * seccomp filter), and the listing fails softly. */
	if (close_by_listing(first, last) == 0)
		return 0;
#if defined(HAVE_CLOSEFROM)
	if (last == UINT_MAX && first <= INT_MAX) {
		closefrom((int)first);
		return 0;
	}
#endif
	return close_by_loop(first, last);
}
