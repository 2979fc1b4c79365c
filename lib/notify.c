/*
 * notify.c - systemd's notify protocol and socket activation, written
 * without libsystemd (DESIGN.md section 5), and the s6/OpenRC readiness fd.
 *
 * The notify socket is connected in daemonize_start() before the pidfile,
 * the fork and any chroot: a connected datagram socket keeps reaching its
 * peer after the path has vanished from our view.  NOTIFY_SOCKET,
 * WATCHDOG_*, and LISTEN_* are removed from the environment once read, so
 * that children the daemon spawns do not mistake them for their own.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0  /* no SIGPIPE on datagram sockets there anyway */
#endif

/* More would be a bug in whoever set LISTEN_FDS, and a bound keeps a
 * garbage count from making us probe millions of descriptors. */
#define DZ_LISTEN_MAX 4096

/* How much of a bad value an error message quotes. */
#define DZ_QUOTE 128

/* ---- parsers ------------------------------------------------------------- */

/* Strict: one or more decimal digits and nothing else, no sign, no
 * spaces.  strtoull would accept " -1" as a huge number. */
int
dz_parse_uint(const char *s, unsigned long long max, unsigned long long *out)
{
	unsigned long long v = 0;
	unsigned int digit;

	if (s == NULL || *s == '\0') {
		errno = EINVAL;
		return -1;
	}
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9') {
			errno = EINVAL;
			return -1;
		}
		digit = (unsigned int)(*s - '0');
		if (v > (~0ULL - digit) / 10) {
			/* Keep scanning: garbage after an overflow is still
			 * garbage, and EINVAL is the better answer. */
			for (s++; *s >= '0' && *s <= '9'; s++)
				;
			errno = *s == '\0' ? ERANGE : EINVAL;
			return -1;
		}
		v = v * 10 + digit;
	}
	if (v > max) {
		errno = ERANGE;
		return -1;
	}
	*out = v;
	return 0;
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

/* ---- the notify socket --------------------------------------------------- */

static int
notify_error(struct daemonize *d, int err, const char *value, const char *why)
{
	return dz_error(d, "notify", err, "NOTIFY_SOCKET=%.*s%s: %s", DZ_QUOTE,
	    value, strlen(value) > DZ_QUOTE ? "..." : "", why);
}

/* A close-on-exec datagram socket at fd 3 or above, or -1. */
static int
notify_socket(void)
{
	int fd, fd3;

#ifdef SOCK_CLOEXEC
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd == -1 && errno != EINVAL && errno != EPROTOTYPE)
		return -1;
	if (fd == -1)
#endif
	{
		if ((fd = socket(AF_UNIX, SOCK_DGRAM, 0)) == -1)
			return -1;
		if (fcntl(fd, F_SETFD, FD_CLOEXEC) == -1) {
			dz_close_quietly(fd);
			return -1;
		}
	}
	/* Foreground mode does not sanitise fds 0-2, and a socket there
	 * would become someone's stdin or stdout. */
	if (fd < 3) {
		fd3 = fcntl(fd, F_DUPFD_CLOEXEC, 3);
		dz_close_quietly(fd);
		fd = fd3;
	}
	return fd;
}

/* WATCHDOG_USEC counts for us only if WATCHDOG_PID is unset or ours:
 * otherwise a parent's watchdog leaked into our environment. */
static int
watchdog_read(struct daemonize *d)
{
	const char *usec = getenv("WATCHDOG_USEC");
	const char *pid = getenv("WATCHDOG_PID");
	unsigned long long v;

	d->notify.watchdog_usec = 0;
	if (usec == NULL || *usec == '\0')
		return 0;
	if (pid != NULL && *pid != '\0') {
		if (dz_parse_uint(pid, (unsigned long long)INT32_MAX,
		    &v) == -1 || (pid_t)v != getpid())
			return 0;
	}
	if (dz_parse_uint(usec, ~0ULL, &v) == -1)
		return dz_error(d, "notify", errno,
		    "WATCHDOG_USEC=%.*s: not a number of microseconds",
		    DZ_QUOTE, usec);
	d->notify.watchdog_usec = v;
	return 0;
}

int
dz_notify_open(struct daemonize *d)
{
	const char *value = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun;
	socklen_t len;
	char *name;
	int fd, r;

	/* Twice is harmless: the first call consumed the variables. */
	if (d->notify.fd >= 0 || value == NULL || *value == '\0')
		return 0;
	if (dz_notify_parse_address(value, &sun, &len) == -1) {
		if (errno == ENAMETOOLONG)
			return notify_error(d, errno, value,
			    "longer than a socket address can hold");
		if (errno == EAFNOSUPPORT)
			return notify_error(d, errno, value,
			    "only AF_UNIX sockets are supported");
		return notify_error(d, errno, value,
		    "expected an absolute path or @abstract-name");
	}
	if (watchdog_read(d) == -1)
		return -1;
	if ((fd = notify_socket()) == -1)
		return notify_error(d, errno, value, "socket");
	/* Connected now, before chroot: the path is resolved once. */
	do
		r = connect(fd, (struct sockaddr *)&sun, len);
	while (r == -1 && errno == EINTR);
	if (r == -1) {
		int err = errno;

		dz_close_quietly(fd);
		d->notify.watchdog_usec = 0;
		return notify_error(d, err, value, "cannot connect");
	}
	if ((name = strdup(value)) == NULL) {
		int err = errno;

		dz_close_quietly(fd);
		d->notify.watchdog_usec = 0;
		return notify_error(d, err, value, "strdup");
	}
	free(d->notify.name);
	d->notify.name = name;
	d->notify.fd = fd;
	(void)unsetenv("NOTIFY_SOCKET");
	(void)unsetenv("WATCHDOG_USEC");
	(void)unsetenv("WATCHDOG_PID");
	return 0;
}

int
dz_notify_send(struct daemonize *d, const char *msg)
{
	size_t len = strlen(msg);
	ssize_t n;

	if (d->notify.fd < 0)
		return 0;
	/* A worker forked from the daemon shares the socket, but systemd
	 * (NotifyAccess=all) would take its STOPPING=1 for the service's. */
	if (d->owner != 0 && dz_not_owner(d, "notify"))
		return -1;
	/* One datagram per message: systemd reads each as a whole. */
	do
		n = send(d->notify.fd, msg, len, MSG_NOSIGNAL);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return dz_error(d, "notify", errno, "%s: cannot send",
		    d->notify.name != NULL ? d->notify.name : "NOTIFY_SOCKET");
	if ((size_t)n != len)
		return dz_error(d, "notify", EMSGSIZE, "%s: short send",
		    d->notify.name != NULL ? d->notify.name : "NOTIFY_SOCKET");
	return 0;
}

void
dz_notify_close(struct daemonize *d)
{
	if (d == NULL)
		return;
	dz_close_quietly(d->notify.fd);
	d->notify.fd = -1;
	d->notify.watchdog_usec = 0;
}

/* ---- socket activation --------------------------------------------------- */

static void
listen_unsetenv(void)
{
	(void)unsetenv("LISTEN_PID");
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

/* The i-th colon-separated field of list (empty fields count), or NULL
 * when the list is shorter. */
static char *
field_dup(const char *list, int i)
{
	const char *end;

	for (; list != NULL && i > 0; i--) {
		if ((list = strchr(list, ':')) != NULL)
			list++;
	}
	if (list == NULL)
		return NULL;
	if ((end = strchr(list, ':')) == NULL)
		end = list + strlen(list);
	return strndup(list, (size_t)(end - list));
}

int
dz_listen_parse(struct daemonize *d)
{
	const char *pid = getenv("LISTEN_PID");
	const char *count = getenv("LISTEN_FDS");
	const char *fdnames = getenv("LISTEN_FDNAMES");
	unsigned long long v;
	char **names;
	int *fds;
	int i, n, fl;

	if (d->listen_parsed)
		return 0;
	/* Descriptors passed to someone else (a parent that exec'ed us
	 * without cleaning up) are not ours to take. */
	if (pid == NULL || dz_parse_uint(pid, (unsigned long long)INT32_MAX,
	    &v) == -1 || (pid_t)v != getpid()) {
		listen_unsetenv();
		d->listen_parsed = true;
		return 0;
	}
	/* LISTEN_PID is also the strongest systemd marker: when the caller
	 * asks for its sockets before daemonize_start, detection must see
	 * it before it is removed below. */
	if (!d->detected)
		dz_supervisor_detect(d);
	if (count == NULL || *count == '\0')
		v = 0;
	else if (dz_parse_uint(count, DZ_LISTEN_MAX, &v) == -1)
		return dz_error(d, "listen", errno, "LISTEN_FDS=%.*s: "
		    "expected a count from 0 to %d", DZ_QUOTE, count,
		    DZ_LISTEN_MAX);
	n = (int)v;
	/* All checked before any is touched, so a failure changes nothing. */
	for (i = 0; i < n; i++) {
		if (fcntl(3 + i, F_GETFD) == -1)
			return dz_error(d, "listen", EBADF,
			    "LISTEN_FDS=%d: fd %d is not open", n, 3 + i);
	}
	fds = NULL;
	names = NULL;
	if (n > 0) {
		fds = calloc((size_t)n, sizeof(*fds));
		names = calloc((size_t)n, sizeof(*names));
		if (fds == NULL || names == NULL) {
			listen_free(fds, names, 0);
			return dz_error(d, "listen", ENOMEM, "LISTEN_FDS=%d",
			    n);
		}
	}
	for (i = 0; i < n; i++) {
		fds[i] = 3 + i;
		/* systemd's convention for a missing or short list. */
		names[i] = field_dup(fdnames, i);
		if (names[i] == NULL)
			names[i] = strdup("unknown");
		if (names[i] == NULL) {
			listen_free(fds, names, i);
			return dz_error(d, "listen", ENOMEM, "LISTEN_FDNAMES");
		}
	}
	/* They must not leak into programs we exec; the sweep keeps them. */
	for (i = 0; i < n; i++) {
		if ((fl = fcntl(fds[i], F_GETFD)) == -1 ||
		    fcntl(fds[i], F_SETFD, fl | FD_CLOEXEC) == -1) {
			int err = errno;

			listen_free(fds, names, n);
			return dz_error(d, "listen", err,
			    "fd %d: close-on-exec", 3 + i);
		}
	}
	d->listen_fds = fds;
	d->listen_names = names;
	d->nlisten = n;
	d->listen_parsed = true;
	listen_unsetenv();
	return 0;
}

/* launchd hands out the sockets of the plist's Sockets entry named like
 * the daemon; ESRCH (not a launchd job), ENOENT (no such entry) and
 * ENOSYS (no launchd on this system) mean "none". */
static int
listen_launchd(struct daemonize *d)
{
	int *fds, saved = errno;
	size_t n, i;
	char **names;

	if (dz_launchd_sockets(d->name, &fds, &n) == -1) {
		if (errno == ESRCH || errno == ENOENT || errno == ENOSYS) {
			errno = saved;  /* no sockets: nothing to report */
			return 0;
		}
		return dz_error(d, "listen", errno,
		    "launch_activate_socket %s", d->name);
	}
	if (n == 0 || n > DZ_LISTEN_MAX ||
	    (names = calloc(n, sizeof(*names))) == NULL) {
		for (i = 0; i < n; i++)
			dz_close_quietly(fds[i]);
		free(fds);
		return n == 0 ? 0 : dz_error(d, "listen", ENOMEM, "launchd");
	}
	for (i = 0; i < n; i++) {
		(void)fcntl(fds[i], F_SETFD, FD_CLOEXEC);
		if ((names[i] = strdup(d->name)) == NULL) {
			listen_free(NULL, names, (int)i);
			for (i = 0; i < n; i++)
				dz_close_quietly(fds[i]);
			free(fds);
			return dz_error(d, "listen", ENOMEM, "launchd");
		}
	}
	d->listen_fds = fds;
	d->listen_names = names;
	d->nlisten = (int)n;
	return 0;
}

DZ_PUBLIC int
daemonize_listen_fds(struct daemonize *d, const int **fds,
    const char *const **names)
{
	if (fds != NULL)
		*fds = NULL;
	if (names != NULL)
		*names = NULL;
	if (d == NULL) {
		errno = EINVAL;
		return -1;
	}
	if (dz_listen_parse(d) == -1)
		return -1;
	if (d->nlisten == 0 && listen_launchd(d) == -1)
		return -1;
	if (fds != NULL)
		*fds = d->listen_fds;
	if (names != NULL)
		*names = (const char *const *)d->listen_names;
	return d->nlisten;
}

/* ---- messages ------------------------------------------------------------ */

DZ_PUBLIC int
daemonize_status(struct daemonize *d, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	size_t i;

	if (d == NULL || fmt == NULL)
		return dz_error(d, "status", EINVAL, "no format");
	if (d->notify.fd < 0)
		return 0;
	memcpy(msg, "STATUS=", 7);
	va_start(ap, fmt);
	(void)vsnprintf(msg + 7, sizeof(msg) - 7, fmt, ap);
	va_end(ap);
	/* A newline would start another KEY=VALUE line: a status text must
	 * not be able to send READY=1 or MAINPID= on its own. */
	for (i = 7; msg[i] != '\0'; i++) {
		if (msg[i] == '\n')
			msg[i] = ' ';
	}
	return dz_notify_send(d, msg);
}

DZ_PUBLIC int
daemonize_reloading(struct daemonize *d)
{
	struct timespec ts;
	char msg[64];

	if (d == NULL) {
		errno = EINVAL;
		return -1;
	}
	if (d->notify.fd < 0)
		return 0;
	/* Type=notify-reload matches the timestamp against its own clock
	 * to tell this reload from an earlier one. */
	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		return dz_error(d, "notify", errno, "clock_gettime");
	(void)snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)ts.tv_sec * 1000000ULL +
	    (unsigned long long)ts.tv_nsec / 1000ULL);
	return dz_notify_send(d, msg);
}

DZ_PUBLIC int
daemonize_stopping(struct daemonize *d)
{
	if (d == NULL) {
		errno = EINVAL;
		return -1;
	}
	d->stopping_sent = true;
	return dz_notify_send(d, "STOPPING=1");
}

DZ_PUBLIC int
daemonize_watchdog(struct daemonize *d)
{
	if (d == NULL) {
		errno = EINVAL;
		return -1;
	}
	if (d->notify.watchdog_usec == 0)
		return 0;
	return dz_notify_send(d, "WATCHDOG=1");
}

DZ_PUBLIC uint64_t
daemonize_watchdog_interval(const struct daemonize *d)
{
	if (d == NULL) {
		errno = EINVAL;
		return 0;
	}
	if (d->notify.fd < 0)
		return 0;
	/* Half, as systemd recommends: a late tick must still arrive in
	 * time. */
	return d->notify.watchdog_usec / 2;
}

/* s6's notification-fd and OpenRC's ready fd: daemonize_ready writes a
 * newline and closes it.  -1 clears it.  0-2 are refused: closing one
 * after readiness would free a stdio slot for the next open(). */
DZ_PUBLIC int
daemonize_set_notify_fd(struct daemonize *d, int fd)
{
	int fl;

	if (dz_config_check(d, "notify") == -1)
		return -1;
	if (fd == -1) {
		d->notify_fd = -1;
		return 0;
	}
	if (fd >= 0 && fd <= 2)
		return dz_error(d, "notify", EINVAL, "notification fd %d is "
		    "standard input, output or error", fd);
	if (fd < 0 || (fl = fcntl(fd, F_GETFD)) == -1)
		return dz_error(d, "notify", EBADF, "notification fd %d", fd);
	/* Programs the daemon execs must not hold it open: s6 would then
	 * never see the end of the notification. */
	if (fcntl(fd, F_SETFD, fl | FD_CLOEXEC) == -1)
		return dz_error(d, "notify", errno, "notification fd %d", fd);
	d->notify_fd = fd;
	return 0;
}
