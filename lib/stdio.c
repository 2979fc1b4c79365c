/*
 * stdio.c - standard descriptors: made valid before anything else is
 * opened, pointed at /dev/null or the log file in the daemon, and the log
 * file reopened on request (for logrotate).
 */
#include "internal.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define DZ_DEVNULL "/dev/null"

DZ_PUBLIC int
daemonize_set_output(struct daemonize *d, const char *path)
{
	/* Checked first: &d->output_path must not be formed from NULL. */
	if (dz_config_check(d, "output") == -1)
		return -1;
	return dz_set_path(d, "output", &d->output_path, path);
}

static int
dup2_retry(int from, int to)
{
	int r;

	do
		r = dup2(from, to);
	while (r == -1 && errno == EINTR);
	return r;
}

int
dz_stdio_sanitize(struct daemonize *d)
{
	int fd, nullfd;

	/* A closed 0, 1 or 2 would be handed out by the next open: the
	 * pidfile or a socket would become stdout, and the first printf
	 * would write into it. */
	for (fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
			continue;
		nullfd = open(DZ_DEVNULL, O_RDWR | O_NOCTTY);
		if (nullfd == -1)
			return dz_error(d, "stdio", errno, "%s", DZ_DEVNULL);
		if (nullfd != fd) {
			/* Only if a lower fd was closed meanwhile. */
			if (dup2_retry(nullfd, fd) == -1) {
				int saved = errno;

				dz_close_quietly(nullfd);
				return dz_error(d, "stdio", saved,
				    "dup2 onto fd %d", fd);
			}
			dz_close_quietly(nullfd);
		}
	}
	return 0;
}

/* Open the output: the log file for append, or /dev/null.  The log file
 * is opened as root, in a directory the daemon's user may be able to
 * write (so that it can reopen it): a symlink planted there must not make
 * us append to, or create, a file elsewhere, so links are refused, and so
 * is anything but a regular file or a character device (a fifo would
 * block, a directory cannot be written). */
static int
open_output(struct daemonize *d, const char *what)
{
	const char *path = d->output_path ? d->output_path : DZ_DEVNULL;
	struct stat st;
	int fd;

	do
		fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOCTTY |
		    O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0640);
	while (fd == -1 && errno == EINTR);
	if (fd == -1 && errno == ELOOP)
		return dz_error(d, "stdio", ELOOP, "%s%s: is a symbolic link",
		    what, path);
	if (fd == -1)
		return dz_error(d, "stdio", errno, "%s%s", what, path);
	if (fstat(fd, &st) == -1) {
		int err = errno;

		dz_close_quietly(fd);
		return dz_error(d, "stdio", err, "%s%s", what, path);
	}
	if (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode)) {
		dz_close_quietly(fd);
		return dz_error(d, "stdio", EINVAL,
		    "%s%s: not a regular file or a device", what, path);
	}
	/* O_NONBLOCK only kept the open from hanging on a fifo. */
	if (fcntl(fd, F_SETFL, O_WRONLY | O_APPEND) == -1) {
		int err = errno;

		dz_close_quietly(fd);
		return dz_error(d, "stdio", err, "%s%s", what, path);
	}
	return fd;
}

/* Point fds 1 and 2 at out; close out unless it is one of them. */
static int
install_output(struct daemonize *d, int out)
{
	int fd;

	for (fd = 1; fd <= 2; fd++) {
		if (out != fd && dup2_retry(out, fd) == -1) {
			int saved = errno;

			dz_close_quietly(out);
			return dz_error(d, "stdio", saved, "dup2 onto fd %d",
			    fd);
		}
	}
	if (out > 2)
		dz_close_quietly(out);
	return 0;
}

int
dz_stdio_redirect(struct daemonize *d)
{
	int in, out;

	/* The output first: if it cannot be opened, nothing has changed. */
	if ((out = open_output(d, "")) == -1)
		return -1;
	do
		in = open(DZ_DEVNULL, O_RDONLY | O_NOCTTY | O_CLOEXEC);
	while (in == -1 && errno == EINTR);
	if (in == -1) {
		int saved = errno;

		dz_close_quietly(out);
		return dz_error(d, "stdio", saved, "%s", DZ_DEVNULL);
	}
	if (in != 0) {
		if (dup2_retry(in, 0) == -1) {
			int saved = errno;

			dz_close_quietly(in);
			dz_close_quietly(out);
			return dz_error(d, "stdio", saved, "dup2 onto fd 0");
		}
		dz_close_quietly(in);
	}
	return install_output(d, out);
}

DZ_PUBLIC int
daemonize_reopen_output(struct daemonize *d)
{
	int out;

	if (d == NULL) {
		errno = EINVAL;
		return -1;
	}
	/* Only a detached daemon's output is ours; in the foreground and
	 * under a supervisor stdout belongs to someone else. */
	if (d->mode != DAEMONIZE_MODE_BACKGROUND || d->is_parent ||
	    d->output_path == NULL)
		return 0;
	/* Lines still in stdio buffers belong to the old file. */
	(void)fflush(stdout);
	(void)fflush(stderr);
	if ((out = open_output(d, "reopen ")) == -1)
		return -1;
	return install_output(d, out);
}
