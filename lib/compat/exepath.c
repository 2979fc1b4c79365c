/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * exepath.c - the path of the running program, from the system rather
 * than from argv[0] (which the caller's caller chose, and which may be a
 * relative name or a lie): the re-exec after detach runs this file.
 *
 * Linux: readlink /proc/self/exe.  FreeBSD: sysctl KERN_PROC_PATHNAME.
 * macOS: _NSGetExecutablePath.  Elsewhere ENOSYS.
 */
#include "compat.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#if defined(HAVE_MACH_O_DYLD_H)
#include <mach-o/dyld.h>
#include <stdint.h>
#elif defined(HAVE_SYS_SYSCTL_H) && defined(HAVE_DECL_KERN_PROC_PATHNAME) && \
    HAVE_DECL_KERN_PROC_PATHNAME
#include <sys/param.h>
#include <sys/sysctl.h>
#define DZ_SYSCTL_PATHNAME 1
#endif

int
dz_executable_path(char *buf, size_t len)
{
#if defined(HAVE_MACH_O_DYLD_H)
	uint32_t size = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;

	if (_NSGetExecutablePath(buf, &size) != 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
#elif defined(DZ_SYSCTL_PATHNAME)
	int mib[4] = { CTL_KERN, KERN_PROC, KERN_PROC_PATHNAME, -1 };

	return sysctl(mib, 4, buf, &len, NULL, 0);
#else
	ssize_t n;

	if (len == 0) {
		errno = EINVAL;
		return -1;
	}
	if ((n = readlink("/proc/self/exe", buf, len - 1)) == -1) {
		if (errno == ENOENT)
			errno = ENOSYS;     /* no /proc mounted */
		return -1;
	}
	if ((size_t)n >= len - 1) {
		errno = ENAMETOOLONG;
		return -1;
	}
	buf[n] = '\0';
	/* The kernel says "PATH (deleted)" once the file was replaced. */
	if (n > 10 && strcmp(buf + n - 10, " (deleted)") == 0) {
		errno = ENOENT;
		return -1;
	}
	return 0;
#endif
}
