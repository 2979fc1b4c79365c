/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * libbsd_pidfile.c - open and lock a pidfile with libbsd's pidfile_open.
 *
 * Only builds with libbsd (configure's HAVE_PIDFILE_OPEN; --without-libbsd
 * or no libbsd found) have it; elsewhere the function fails with ENOSYS
 * and the caller (pidfile.c) uses its own code.  path NULL: a probe, 0
 * when the build has libbsd.
 *
 * dz_libbsd_pidfile_open(path, mode, &fd, &what): open (creating it with
 * mode) and lock path with LOCK_EX|LOCK_NB.  On success *fdp is locked,
 * close-on-exec and >= 3; on failure -1 with errno, EEXIST when another
 * description holds the lock, and *what says which call failed, for the
 * message.  The caller checks the file (trust.c) and that the path still
 * names the locked inode.
 *
 * With libbsd (0.11) we use pidfile_open, pidfile_fileno and pidfile_close:
 * pidfile_open creates, locks with flock, re-checks the inode and truncates
 * after locking, which is what we want.  We call it with a NULL pid pointer,
 * so that a held lock is plain EEXIST: its own reader (pidfile_read) rejects
 * "PID\n" with EINVAL, which would turn "already running" into "invalid
 * argument"; the holder's pid is read with our tolerant reader instead.
 * Its descriptor is not close-on-exec (the man page says otherwise) and
 * may land on 0-2, so we keep an F_DUPFD_CLOEXEC duplicate >= 3 (same open
 * file description, so the same lock) and close libbsd's handle at once
 * with pidfile_close: no libbsd state is carried into the daemon, and
 * pidfile_close's fstat check can never fail later on a descriptor the
 * caller closed.  Replaced, not used: pidfile_write (no newline: we write
 * "PID\n"), pidfile_remove (unlinks by path, so a forked worker would delete
 * the daemon's file; we unlink only while the path still names our inode)
 * and pidfile_read (strict, see above).
 *
 * libbsd follows a symlink at the path (no O_NOFOLLOW) and, as root,
 * truncates its target before we can look at it: pidfile.c calls this
 * only where nobody but root and the effective user can write the
 * directory, after refusing a symlink there itself (see pidfile.c).
 */
#include "compat.h"

#include <errno.h>
#include <fcntl.h>

#ifdef HAVE_PIDFILE_OPEN
#include <bsd/libutil.h>
#endif

int
dz_libbsd_pidfile_open(const char *path, mode_t mode, int *fdp,
    const char **what)
{
#ifdef HAVE_PIDFILE_OPEN
	struct pidfh *pfh;
	int fd, saved;

	if (path == NULL)
		return 0;
	if ((pfh = pidfile_open(path, mode, NULL)) == NULL) {
		/* libbsd opens and locks in one call; of flock's errors only
		 * ENOLCK reaches us (EWOULDBLOCK becomes EEXIST), so errno
		 * says which of the two failed. */
		*what = errno == ENOLCK ? "cannot lock" : "cannot open";
		return -1;              /* EEXIST when the lock is held */
	}
	fd = fcntl(pidfile_fileno(pfh), F_DUPFD_CLOEXEC, 3);
	saved = errno;
	(void)pidfile_close(pfh);       /* our duplicate keeps the lock */
	if (fd == -1) {
		*what = "cannot duplicate its descriptor";
		errno = saved;
		return -1;
	}
	*fdp = fd;
	return 0;
#else
	(void)path;
	(void)mode;
	(void)fdp;
	if (what != NULL)
		*what = "cannot open";
	errno = ENOSYS;
	return -1;
#endif
}
