/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * notify.c - systemd's notify protocol and socket activation, written
 * without libsystemd, and the s6/OpenRC readiness fd.
 *
 * The notify socket is connected at start before the pidfile, the fork
 * and any chroot: a connected datagram socket keeps reaching its peer
 * after the path has vanished from our view.  NOTIFY_SOCKET, WATCHDOG_*,
 * and LISTEN_* are removed from the environment once read, so that
 * children the daemon spawns do not mistake them for their own.
 *
 * Only the transport lives here: the orchestrator (daemonize.c) builds
 * the messages, decides who may send them (a worker forked from the
 * daemon must not speak for it) and hands each to dz_notify_send.
 */
#include "notify.h"
#include "compat.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* More would be a bug in whoever set LISTEN_FDS, and a bound keeps a
 * garbage count from making us probe millions of descriptors. */
#define DZ_LISTEN_MAX 4096

/* How much of a bad value an error message quotes. */
#define DZ_QUOTE 128

/* ---- helpers ------------------------------------------------------------- */

/* Set FD_CLOEXEC, keeping the other descriptor flags. */
static int
set_cloexec(int fd)
{
	int fl;

	if ((fl = fcntl(fd, F_GETFD)) == -1)
		return -1;
	if ((fl & FD_CLOEXEC) != 0)
		return 0;
	return fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
}

/* ---- the notify socket --------------------------------------------------- */

void
dz_notify_init(struct dz_notify *n)
{
	n->fd = -1;
	n->name = NULL;
	n->watchdog_usec = 0;
}

/*
 * NOTIFY_SOCKET is an absolute path or "@name" for Linux's abstract
 * namespace.  An abstract address is every byte of its length, including
 * none of the trailing zeroes: passing sizeof(struct sockaddr_un) would
 * name a different socket, padded with NULs.
 */
int
dz_notify_parse_address(const char *name, struct sockaddr_un *sun,
    socklen_t *len)
{
	size_t n;

	if (name == NULL || sun == NULL || len == NULL) {
		errno = EINVAL;
		return -1;
	}
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (name[0] == '/') {
		n = strlen(name);
		if (n >= sizeof(sun->sun_path)) {
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(sun->sun_path, name, n + 1);
		*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
		    n + 1);
		return 0;
	}
	if (name[0] == '@' && name[1] != '\0') {
		n = strlen(name + 1);
		if (1 + n > sizeof(sun->sun_path)) {
			errno = ENAMETOOLONG;
			return -1;
		}
		sun->sun_path[0] = '\0';
		memcpy(sun->sun_path + 1, name + 1, n);
		*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
		    1 + n);
		return 0;
	}
	/* systemd also speaks AF_VSOCK to VMs; nothing here does. */
	errno = strncmp(name, "vsock", 5) == 0 ? EAFNOSUPPORT : EINVAL;
	return -1;
}

static int
notify_error(struct dz_err *e, int err, const char *value, const char *why)
{
	return dz_fail(e, "notify", err, "NOTIFY_SOCKET=%.*s%s: %s", DZ_QUOTE,
	    value, strlen(value) > DZ_QUOTE ? "..." : "", why);
}

/* A close-on-exec datagram socket at fd 3 or above, or -1. */
static int
notify_socket(void)
{
	int fd;

	if ((fd = dz_socket_cloexec(AF_UNIX, SOCK_DGRAM)) == -1)
		return -1;
	/* Foreground mode does not sanitise fds 0-2, and a socket there
	 * would become someone's stdin or stdout. */
	return dz_move_high(fd);
}

/* WATCHDOG_USEC counts for us only if WATCHDOG_PID is unset or ours:
 * otherwise a parent's watchdog leaked into our environment.  *usec is 0
 * then. */
static int
watchdog_read(uint64_t *usec, struct dz_err *e)
{
	const char *value, *pid;
	unsigned long long v;

	*usec = 0;
	value = getenv("WATCHDOG_USEC");
	pid = getenv("WATCHDOG_PID");
	if (value == NULL || *value == '\0')
		return 0;
	if (pid != NULL && *pid != '\0') {
		if (dz_parse_uint(pid, (unsigned long long)INT32_MAX,
		    &v) == -1 || (pid_t)v != getpid())
			return 0;
	}
	if (dz_parse_uint(value, ~0ULL, &v) == -1)
		return dz_fail(e, "notify", errno,
		    "WATCHDOG_USEC=%.*s: not a number of microseconds",
		    DZ_QUOTE, value);
	*usec = v;
	return 0;
}

int
dz_notify_open(struct dz_notify *n, struct dz_err *e)
{
	const char *value;
	struct sockaddr_un sun;
	socklen_t len;
	uint64_t usec;
	char *name;
	int fd, r, err;

	/* Twice is harmless: the first call consumed the variables. */
	value = getenv("NOTIFY_SOCKET");
	if (n->fd >= 0 || value == NULL || *value == '\0')
		return 0;
	if (dz_notify_parse_address(value, &sun, &len) == -1) {
		if (errno == ENAMETOOLONG)
			return notify_error(e, errno, value,
			    "longer than a socket address can hold");
		if (errno == EAFNOSUPPORT)
			return notify_error(e, errno, value,
			    "only AF_UNIX sockets are supported");
		return notify_error(e, errno, value,
		    "expected an absolute path or @abstract-name");
	}
	/* Everything is prepared before n is touched: a failure changes
	 * nothing. */
	if (watchdog_read(&usec, e) == -1)
		return -1;
	if ((fd = notify_socket()) == -1)
		return notify_error(e, errno, value, "socket");
	/* Connected now, before chroot: the path is resolved once. */
	do
		r = connect(fd, (struct sockaddr *)&sun, len);
	while (r == -1 && errno == EINTR);
	if (r == -1) {
		err = errno;
		dz_close_quietly(fd);
		return notify_error(e, err, value, "cannot connect");
	}
	if ((name = strdup(value)) == NULL) {
		err = errno;
		dz_close_quietly(fd);
		return notify_error(e, err, value, "strdup");
	}
	free(n->name);
	n->name = name;
	n->fd = fd;
	n->watchdog_usec = usec;
	(void)unsetenv("NOTIFY_SOCKET");
	(void)unsetenv("WATCHDOG_USEC");
	(void)unsetenv("WATCHDOG_PID");
	return 0;
}

int
dz_notify_send(const struct dz_notify *n, const char *msg,
    struct dz_err *e)
{
	const char *name;
	size_t len;
	ssize_t r;

	if (n->fd < 0)
		return 0;
	if (msg == NULL)
		return dz_fail(e, "notify", EINVAL, "no message");
	name = n->name != NULL ? n->name : "NOTIFY_SOCKET";
	len = strlen(msg);
	/* One datagram per message: systemd reads each as a whole.  No
	 * SIGPIPE when the manager has gone: the daemon gets the error. */
	do
		r = send(n->fd, msg, len, MSG_NOSIGNAL);
	while (r == -1 && errno == EINTR);
	if (r == -1)
		return dz_fail(e, "notify", errno, "%s: cannot send", name);
	if ((size_t)r != len)
		return dz_fail(e, "notify", EMSGSIZE, "%s: short send", name);
	return 0;
}

void
dz_notify_close(struct dz_notify *n)
{
	if (n == NULL)
		return;
	dz_close_quietly(n->fd);
	free(n->name);
	dz_notify_init(n);
}

/* ---- socket activation --------------------------------------------------- */

/* systemd's sd_listen_fds unsets LISTEN_PIDFDID with the others: it
 * belongs to the same hand-over. */
static void
listen_unsetenv(void)
{
	(void)unsetenv("LISTEN_PID");
	(void)unsetenv("LISTEN_PIDFDID");
	(void)unsetenv("LISTEN_FDS");
	(void)unsetenv("LISTEN_FDNAMES");
}

static void
listen_free(int *fds, char **names, int n)
{
	int i;

	for (i = 0; names != NULL && i < n; i++)
		free(names[i]);
	free(names);
	free(fds);
}

/* Number of colon-separated fields of list; empty fields count, so ""
 * is one empty name and "a:" two names. */
static unsigned long
field_count(const char *list)
{
	unsigned long n = 1;

	for (; *list != '\0'; list++) {
		if (*list == ':')
			n++;
	}
	return n;
}

/* A copy of the first field of *list, advancing *list past it and its
 * colon; NULL with errno when out of memory. */
static char *
field_next(const char **list)
{
	const char *end;
	char *copy;

	if ((end = strchr(*list, ':')) == NULL)
		end = *list + strlen(*list);
	if ((copy = strndup(*list, (size_t)(end - *list))) == NULL)
		return NULL;
	*list = *end == ':' ? end + 1 : end;
	return copy;
}

/*
 * As systemd's sd_listen_fds_with_names: the descriptors are 3, 4, ...,
 * LISTEN_FDS of them, taken only when LISTEN_PID is our pid.  Without
 * LISTEN_FDNAMES every one is named "unknown"; with it, it must name each
 * of them, neither fewer nor more.  A failure leaves the environment and
 * l as they were.
 */
int
dz_listen_parse(struct dz_listen *l, struct dz_err *e)
{
	const char *pid, *count, *fdnames;
	unsigned long long v;
	unsigned long nnames;
	char **names;
	int *fds;
	int i, n;

	if (l->parsed)
		return 0;
	pid = getenv("LISTEN_PID");
	count = getenv("LISTEN_FDS");
	fdnames = getenv("LISTEN_FDNAMES");
	/* Descriptors passed to someone else (a parent that exec'ed us
	 * without cleaning up) are not ours to take.  Supervisor detection
	 * reads LISTEN_PID too: the orchestrator runs it before this. */
	if (pid == NULL || dz_parse_uint(pid, (unsigned long long)INT32_MAX,
	    &v) == -1 || (pid_t)v != getpid()) {
		listen_unsetenv();
		l->parsed = true;
		return 0;
	}
	if (count == NULL || *count == '\0')
		v = 0;
	else if (dz_parse_uint(count, DZ_LISTEN_MAX, &v) == -1)
		return dz_fail(e, "listen", errno, "LISTEN_FDS=%.*s: "
		    "expected a count from 0 to %d", DZ_QUOTE, count,
		    DZ_LISTEN_MAX);
	n = (int)v;
	/* All checked before any is touched, so a failure changes nothing. */
	for (i = 0; i < n; i++) {
		if (fcntl(3 + i, F_GETFD) == -1)
			return dz_fail(e, "listen", EBADF,
			    "LISTEN_FDS=%d: fd %d is not open", n, 3 + i);
	}
	/* A list of another length is someone else's, or a broken one:
	 * guessing which name belongs to which fd would be worse than
	 * refusing (systemd refuses it too). */
	if (n > 0 && fdnames != NULL &&
	    (nnames = field_count(fdnames)) != (unsigned long)n)
		return dz_fail(e, "listen", EINVAL, "LISTEN_FDNAMES has %lu "
		    "names for LISTEN_FDS=%d", nnames, n);
	fds = NULL;
	names = NULL;
	if (n > 0) {
		fds = calloc((size_t)n, sizeof(*fds));
		names = calloc((size_t)n, sizeof(*names));
		if (fds == NULL || names == NULL) {
			listen_free(fds, names, 0);
			return dz_fail(e, "listen", ENOMEM, "LISTEN_FDS=%d",
			    n);
		}
	}
	for (i = 0; i < n; i++) {
		fds[i] = 3 + i;
		if (fdnames != NULL)
			names[i] = field_next(&fdnames);
		else
			names[i] = strdup("unknown");
		if (names[i] == NULL) {
			listen_free(fds, names, i);
			return dz_fail(e, "listen", ENOMEM, "LISTEN_FDNAMES");
		}
	}
	/* They must not leak into programs we exec; the sweep keeps them. */
	for (i = 0; i < n; i++) {
		if (set_cloexec(fds[i]) == -1) {
			listen_free(fds, names, n);
			return dz_fail(e, "listen", errno,
			    "fd %d: close-on-exec", 3 + i);
		}
	}
	listen_free(l->fds, l->names, l->n);
	l->fds = fds;
	l->names = names;
	l->n = n;
	l->parsed = true;
	listen_unsetenv();
	return 0;
}

/* launchd hands out the sockets of the plist's Sockets entry named like
 * the daemon; ESRCH (not a launchd job), ENOENT (no such entry) and
 * ENOSYS (no launchd on this system) mean "none". */
int
dz_listen_launchd(struct dz_listen *l, const char *name, struct dz_err *e)
{
	int *fds, saved, fd;
	size_t n, i;
	char **names;

	if (l->n > 0 || name == NULL)
		return 0;
	saved = errno;
	if (dz_launchd_sockets(name, &fds, &n) == -1) {
		if (errno == ESRCH || errno == ENOENT || errno == ENOSYS) {
			errno = saved;  /* no sockets: nothing to report */
			return 0;
		}
		return dz_fail(e, "listen", errno, "launch_activate_socket %s",
		    name);
	}
	names = NULL;
	if (n == 0 || n > DZ_LISTEN_MAX ||
	    (names = calloc(n, sizeof(*names))) == NULL) {
		for (i = 0; i < n; i++)
			dz_close_quietly(fds[i]);
		free(fds);
		if (n == 0)
			return 0;
		return dz_fail(e, "listen", n > DZ_LISTEN_MAX ? E2BIG : ENOMEM,
		    "launchd: %zu sockets", n);
	}
	for (i = 0; i < n; i++) {
		if (set_cloexec(fds[i]) == -1) {
			saved = errno;
			fd = fds[i];
			listen_free(NULL, names, (int)i);
			for (i = 0; i < n; i++)
				dz_close_quietly(fds[i]);
			free(fds);
			return dz_fail(e, "listen", saved,
			    "launchd: fd %d: close-on-exec", fd);
		}
		if ((names[i] = strdup(name)) == NULL) {
			listen_free(NULL, names, (int)i);
			for (i = 0; i < n; i++)
				dz_close_quietly(fds[i]);
			free(fds);
			return dz_fail(e, "listen", ENOMEM, "launchd");
		}
	}
	listen_free(l->fds, l->names, l->n);
	l->fds = fds;
	l->names = names;
	l->n = (int)n;
	return 0;
}

/* The descriptors stay open: they are the caller's sockets. */
void
dz_listen_clear(struct dz_listen *l)
{
	if (l == NULL)
		return;
	listen_free(l->fds, l->names, l->n);
	l->fds = NULL;
	l->names = NULL;
	l->n = 0;
	l->parsed = false;
}

/* ---- the readiness fd (s6, OpenRC) --------------------------------------- */

/* s6's notification-fd and OpenRC's ready fd: readiness writes a newline
 * and closes it.  0-2 are refused: closing one after readiness would free
 * a stdio slot for the next open(). */
int
dz_readyfd_check(int fd, struct dz_err *e)
{
	if (fd >= 0 && fd <= 2)
		return dz_fail(e, "notify", EINVAL, "notification fd %d is "
		    "standard input, output or error", fd);
	if (fd < 0 || fcntl(fd, F_GETFD) == -1)
		return dz_fail(e, "notify", EBADF, "notification fd %d", fd);
	/* Programs the daemon execs must not hold it open: s6 would then
	 * never see the end of the notification. */
	if (set_cloexec(fd) == -1)
		return dz_fail(e, "notify", errno, "notification fd %d", fd);
	return 0;
}

/* One newline, then the fd is closed, written or not: readiness is said
 * once.  A close error is not reported: the newline is what counts, and
 * close must not be retried. */
int
dz_readyfd_signal(int fd, struct dz_err *e)
{
	int r = 0;

	if (fd < 0)
		return 0;
	if (dz_write_full(fd, "\n", 1) == -1)
		r = dz_fail(e, "ready", errno, "notification fd %d", fd);
	dz_close_quietly(fd);
	return r;
}
