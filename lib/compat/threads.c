/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * threads.c - how many threads this process has.
 *
 * daemonize_start() forks and then calls malloc, opendir and getpwnam's
 * cousins in the child; that is safe only if the process had one thread
 * (another thread may hold the malloc lock at the fork, and the child
 * would deadlock on it).  Where the system can tell, start refuses early
 * with a clear error instead of hanging some day.
 *
 * Linux: the entries of /proc/self/task.  FreeBSD: kinfo_proc's
 * ki_numthreads.  Elsewhere ENOSYS (the man page's CAVEATS apply).
 */
#include "compat.h"

#include <errno.h>
#include <unistd.h>
#if defined(HAVE_SYS_SYSCTL_H) && defined(HAVE_SYS_USER_H) && \
    defined(HAVE_KINFO_PROC_KI_NUMTHREADS)
#include <sys/param.h>
#include <sys/sysctl.h>
#include <sys/user.h>
#define DZ_KINFO_THREADS 1
#else
#include <dirent.h>
#endif

int
dz_thread_count(void)
{
#ifdef DZ_KINFO_THREADS
	int mib[4] = { CTL_KERN, KERN_PROC, KERN_PROC_PID, (int)getpid() };
	struct kinfo_proc kp;
	size_t len = sizeof(kp);

	if (sysctl(mib, 4, &kp, &len, NULL, 0) == -1)
		return -1;
	return kp.ki_numthreads;
#else
	struct dirent *e;
	DIR *dir;
	int n = 0;

	if ((dir = opendir("/proc/self/task")) == NULL) {
		errno = ENOSYS;
		return -1;
	}
	while ((e = readdir(dir)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	(void)closedir(dir);
	return n;
#endif
}
