/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * check_notify.c - systemd's notify protocol, socket activation and the
 * s6 readiness fd.
 *
 * The end-to-end tests play systemd: they bind an AF_UNIX datagram socket
 * (a path in a fresh directory, or a per-test abstract name), point
 * NOTIFY_SOCKET at it, run tests/helper and read what it sends.
 */
#include "config.h"

#include "daemonize.h"
#include "notify.h"
#include "util.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

#define TIMEOUT tu_ms(5000)    /* ms for anything to happen */

static const char *const consumed[] = {
	"NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "LISTEN_PID",
	"LISTEN_FDS", "LISTEN_FDNAMES", "LISTEN_PIDFDID", NULL
};

/* The lowest free descriptor: equal before and after a call that must
 * leave nothing open. */
static int
lowest_free_fd(void)
{
	int fd = open("/dev/null", O_RDONLY);

	ck_assert_int_ge(fd, 0);
	close(fd);
	return fd;
}

static int
fd_cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFD);

	ck_assert_int_ne(fl, -1);
	return (fl & FD_CLOEXEC) != 0;
}

/* ---- a fake systemd ------------------------------------------------------ */

struct fake {
	int fd;
	char *name;         /* the NOTIFY_SOCKET value */
};

/* Binds the address by hand (not through the library's parser), so that
 * a wrong abstract length in the library would miss it. */
static struct fake
fake_path(void)
{
	struct sockaddr_un sun;
	struct fake f;

	f.name = tu_fmt("%s/notify", tu_tmpdir());
	f.fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(f.fd, 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	ck_assert_uint_lt(strlen(f.name), sizeof(sun.sun_path));
	strcpy(sun.sun_path, f.name);
	ck_assert_int_eq(bind(f.fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	return f;
}

static struct fake
fake_abstract(void)
{
	static int n;
	struct sockaddr_un sun;
	struct fake f;
	size_t len;

	f.name = tu_fmt("@dztest-%ld-%d", (long)getpid(), ++n);
	f.fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(f.fd, 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	len = strlen(f.name + 1);
	memcpy(sun.sun_path + 1, f.name + 1, len);
	ck_assert_int_eq(bind(f.fd, (struct sockaddr *)&sun,
	    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + len)), 0);
	return f;
}

/* The next datagram as a string, or NULL when none came within ms. */
static char *
fake_recv(const struct fake *f, int ms)
{
	struct pollfd pfd = { f->fd, POLLIN, 0 };
	char buf[4096];
	ssize_t n;
	int r;

	do
		r = poll(&pfd, 1, ms);
	while (r == -1 && errno == EINTR);
	ck_assert_int_ne(r, -1);
	if (r == 0)
		return NULL;
	n = recv(f->fd, buf, sizeof(buf) - 1, 0);
	ck_assert_int_ge(n, 0);
	buf[n] = '\0';
	return tu_fmt("%s", buf);
}

static void
expect_msg(const struct fake *f, const char *want)
{
	char *got = fake_recv(f, TIMEOUT);

	ck_assert_msg(got != NULL, "no datagram, expected \"%s\"", want);
	ck_assert_str_eq(got, want);
}

static void
expect_nothing(const struct fake *f)
{
	char *got = fake_recv(f, 0);

	ck_assert_msg(got == NULL, "unexpected datagram \"%s\"", got);
}

static unsigned long long
monotonic_usec(void)
{
	struct timespec ts;

	ck_assert_int_eq(clock_gettime(CLOCK_MONOTONIC, &ts), 0);
	return (unsigned long long)ts.tv_sec * 1000000ULL +
	    (unsigned long long)ts.tv_nsec / 1000ULL;
}

/* ---- parsers ------------------------------------------------------------- */

START_TEST(test_parse_uint)
{
	static const char *const bad[] = { "", " 1", "1 ", "+1", "-1", "0x10",
	    "1.0", "1e3", "12a", "\t7", "99999999999999999999999x" };
	unsigned long long v;
	size_t i;

	ck_assert_int_eq(dz_parse_uint("0", 10, &v), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(dz_parse_uint("4096", 4096, &v), 0);
	ck_assert_uint_eq(v, 4096);
	ck_assert_int_eq(dz_parse_uint("007", 10, &v), 0);
	ck_assert_uint_eq(v, 7);
	ck_assert_int_eq(dz_parse_uint("18446744073709551615", ~0ULL, &v), 0);
	ck_assert(v == ~0ULL);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 42;
		errno = 0;
		ck_assert_msg(dz_parse_uint(bad[i], ~0ULL, &v) == -1,
		    "accepted \"%s\"", bad[i]);
		ck_assert_int_eq(errno, EINVAL);
		ck_assert_uint_eq(v, 42);
	}
	errno = 0;
	ck_assert_int_eq(dz_parse_uint(NULL, 10, &v), -1);
	ck_assert_int_eq(errno, EINVAL);
	/* overflow and above the maximum */
	errno = 0;
	ck_assert_int_eq(dz_parse_uint("18446744073709551616", ~0ULL, &v), -1);
	ck_assert_int_eq(errno, ERANGE);
	errno = 0;
	ck_assert_int_eq(dz_parse_uint("99999999999999999999999", ~0ULL, &v),
	    -1);
	ck_assert_int_eq(errno, ERANGE);
	errno = 0;
	ck_assert_int_eq(dz_parse_uint("4097", 4096, &v), -1);
	ck_assert_int_eq(errno, ERANGE);
	ck_assert_uint_eq(v, 42);
}
END_TEST

START_TEST(test_parse_address)
{
	struct sockaddr_un sun;
	socklen_t len;
	char name[sizeof(sun.sun_path) + 8];
	const size_t max = sizeof(sun.sun_path);

	/* path: with its terminating NUL */
	ck_assert_int_eq(dz_notify_parse_address("/run/systemd/notify", &sun,
	    &len), 0);
	ck_assert_int_eq(sun.sun_family, AF_UNIX);
	ck_assert_str_eq(sun.sun_path, "/run/systemd/notify");
	ck_assert_uint_eq(len, offsetof(struct sockaddr_un, sun_path) +
	    strlen("/run/systemd/notify") + 1);

	/* abstract: a leading NUL, the name, and not one byte more */
	ck_assert_int_eq(dz_notify_parse_address("@abc/def", &sun, &len), 0);
	ck_assert_int_eq(sun.sun_family, AF_UNIX);
	ck_assert_int_eq(sun.sun_path[0], '\0');
	ck_assert_int_eq(memcmp(sun.sun_path + 1, "abc/def", 7), 0);
	ck_assert_uint_eq(len, offsetof(struct sockaddr_un, sun_path) + 1 + 7);
	ck_assert_uint_ne(len, sizeof(struct sockaddr_un));

	/* the longest that fit */
	name[0] = '/';
	memset(name + 1, 'a', max - 2);
	name[max - 1] = '\0';
	ck_assert_int_eq(dz_notify_parse_address(name, &sun, &len), 0);
	ck_assert_uint_eq(len, offsetof(struct sockaddr_un, sun_path) + max);
	name[0] = '@';
	memset(name + 1, 'a', max - 1);
	name[max] = '\0';
	ck_assert_int_eq(dz_notify_parse_address(name, &sun, &len), 0);
	ck_assert_uint_eq(len, offsetof(struct sockaddr_un, sun_path) + max);

	/* one byte longer */
	name[0] = '/';
	errno = 0;
	ck_assert_int_eq(dz_notify_parse_address(name, &sun, &len), -1);
	ck_assert_int_eq(errno, ENAMETOOLONG);
	name[0] = '@';
	name[max] = 'a';
	name[max + 1] = '\0';
	errno = 0;
	ck_assert_int_eq(dz_notify_parse_address(name, &sun, &len), -1);
	ck_assert_int_eq(errno, ENAMETOOLONG);

	/* not an address we can use */
	errno = 0;
	ck_assert_int_eq(dz_notify_parse_address("", &sun, &len), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(dz_notify_parse_address("run/notify", &sun, &len), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(dz_notify_parse_address("@", &sun, &len), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(dz_notify_parse_address(" /run/x", &sun, &len), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(dz_notify_parse_address("vsock:2:1234", &sun, &len),
	    -1);
	ck_assert_int_eq(errno, EAFNOSUPPORT);
	errno = 0;
	ck_assert_int_eq(dz_notify_parse_address(NULL, &sun, &len), -1);
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

/* ---- the notify socket, in process (lib/notify.h) ------------------------ */

static void
open_and_send(struct fake f)
{
	struct dz_notify n;
	struct dz_err e;
	int fd;

	ck_assert_int_eq(setenv("NOTIFY_SOCKET", f.name, 1), 0);
	ck_assert_int_eq(setenv("WATCHDOG_USEC", "3000000", 1), 0);
	dz_notify_init(&n);
	ck_assert_int_eq(n.fd, -1);
	ck_assert_int_eq(dz_notify_open(&n, &e), 0);
	fd = n.fd;
	ck_assert_int_ge(fd, 3);
	ck_assert(fd_cloexec(fd));
	ck_assert_str_eq(n.name, f.name);
	/* consumed: children will not see them */
	ck_assert_ptr_null(getenv("NOTIFY_SOCKET"));
	ck_assert_ptr_null(getenv("WATCHDOG_USEC"));
	/* WATCHDOG_USEC as systemd gave it, not half of it */
	ck_assert_uint_eq(n.watchdog_usec, 3000000);
	/* twice is harmless */
	ck_assert_int_eq(dz_notify_open(&n, &e), 0);
	ck_assert_int_eq(n.fd, fd);
	ck_assert_uint_eq(n.watchdog_usec, 3000000);

	ck_assert_int_eq(dz_notify_send(&n, "X=1\nY=2", &e), 0);
	expect_msg(&f, "X=1\nY=2");
	dz_notify_close(&n);
	ck_assert_int_eq(n.fd, -1);
	ck_assert_ptr_null(n.name);
	ck_assert_int_eq(fcntl(fd, F_GETFD), -1);
	/* nothing to send to any more: quietly nothing */
	ck_assert_int_eq(dz_notify_send(&n, "X=1", &e), 0);
	expect_nothing(&f);
}

START_TEST(test_open_path)
{
	tu_clean_slate();
	open_and_send(fake_path());
}
END_TEST

START_TEST(test_open_abstract)
{
	tu_clean_slate();
	open_and_send(fake_abstract());
}
END_TEST

/* Foreground mode does not sanitise fds 0-2 after the lock: the socket
 * must still land above them. */
START_TEST(test_open_low_fds)
{
	struct dz_notify n;
	struct dz_err e;
	struct fake f;

	tu_clean_slate();
	f = fake_path();
	ck_assert_int_eq(setenv("NOTIFY_SOCKET", f.name, 1), 0);
	close(0);
	dz_notify_init(&n);
	ck_assert_int_eq(dz_notify_open(&n, &e), 0);
	ck_assert_int_ge(n.fd, 3);
	ck_assert_int_eq(fcntl(0, F_GETFD), -1);
	dz_notify_close(&n);
}
END_TEST

START_TEST(test_open_unset)
{
	struct daemonize *d;
	struct dz_notify n;
	struct dz_err e;

	tu_clean_slate();
	dz_notify_init(&n);
	ck_assert_int_eq(dz_notify_open(&n, &e), 0);
	ck_assert_int_eq(n.fd, -1);
	ck_assert_int_eq(setenv("NOTIFY_SOCKET", "", 1), 0);
	ck_assert_int_eq(dz_notify_open(&n, &e), 0);
	ck_assert_int_eq(n.fd, -1);
	/* every message is then a quiet no-op, started or not */
	d = tu_ctx("nt");
	ck_assert_int_eq(daemonize_notify_status(d, "x %d", 1), 0);
	ck_assert_int_eq(daemonize_notify_reloading(d), 0);
	ck_assert_int_eq(daemonize_notify(d, "STOPPING=1"), 0);
	ck_assert_int_eq(daemonize_notify(d, "WATCHDOG=1"), 0);
	ck_assert_uint_eq(daemonize_watchdog_usec(d), 0);
	ck_assert_int_eq(daemonize_set_mode(d, DAEMONIZE_MODE_FOREGROUND), 0);
	ck_assert_int_eq(daemonize_start(d), 0);
	ck_assert_int_eq(daemonize_notify_status(d, "x %d", 1), 0);
	ck_assert_int_eq(daemonize_notify(d, "EXTEND_TIMEOUT_USEC=1"), 0);
	ck_assert_uint_eq(daemonize_watchdog_usec(d), 0);
	ck_assert_int_eq(daemonize_ready(d), 0);
	ck_assert_int_eq(daemonize_stop(d), 0);
	daemonize_free(d);
}
END_TEST

struct bad_socket {
	const char *value;  /* "DIR" stands for the test's directory */
	int err;
	const char *why;
};

static const struct bad_socket bad_sockets[] = {
	{ "garbage", EINVAL, "expected an absolute path or @abstract-name" },
	{ "run/notify", EINVAL, "expected an absolute path" },
	{ "@", EINVAL, "expected an absolute path" },
	{ "vsock:2:1234", EAFNOSUPPORT, "only AF_UNIX" },
	{ "/DIR/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	  ENAMETOOLONG, "longer than a socket address can hold" },
	{ "DIR/nobody", ENOENT, "cannot connect" },
	{ "DIR/file", ECONNREFUSED, "cannot connect" },
	{ "@nobody", ECONNREFUSED, "cannot connect" },
};

/* The value of b for a test using dir, where DIR/file is a plain file
 * and an abstract name is unique to this process. */
static char *
bad_value(const struct bad_socket *b, const char *dir)
{
	char *file = tu_fmt("%s/file", dir);
	const char *p;
	int fd = open(file, O_WRONLY | O_CREAT, 0644);

	ck_assert_int_ge(fd, 0);
	close(fd);
	if (strcmp(b->value, "@nobody") == 0)
		return tu_fmt("@dztest-nobody-%ld", (long)getpid());
	if ((p = strstr(b->value, "DIR")) == NULL)
		return tu_fmt("%s", b->value);
	return tu_fmt("%.*s%s%s", (int)(p - b->value), b->value, dir, p + 3);
}

START_TEST(test_open_bad)
{
	const struct bad_socket *b = &bad_sockets[_i];
	struct dz_notify n;
	struct dz_err e;
	char *dir, *value, *prefix;
	int low;

	tu_clean_slate();
	dir = tu_tmpdir();
	value = bad_value(b, dir);
	prefix = tu_fmt("notify: NOTIFY_SOCKET=%.40s", value);
	ck_assert_int_eq(setenv("NOTIFY_SOCKET", value, 1), 0);
	dz_notify_init(&n);
	low = lowest_free_fd();
	errno = 0;
	ck_assert_int_eq(dz_notify_open(&n, &e), -1);
	ck_assert_int_eq(errno, b->err);
	ck_assert_msg(strncmp(e.text, prefix, strlen(prefix)) == 0,
	    "message: %s", e.text);
	ck_assert_ptr_nonnull(strstr(e.text, b->why));
	ck_assert_ptr_nonnull(strstr(e.text, strerror(b->err)));
	ck_assert_int_eq(n.fd, -1);
	ck_assert_ptr_null(n.name);
	ck_assert_int_eq(lowest_free_fd(), low);
	/* a failure consumes nothing */
	ck_assert_str_eq(getenv("NOTIFY_SOCKET"), value);
}
END_TEST

/* A context started in foreground mode under the fake systemd f, in this
 * process: what the messages are sent through. */
static struct daemonize *
started(const struct fake *f)
{
	struct daemonize *d;

	ck_assert_int_eq(setenv("NOTIFY_SOCKET", f->name, 1), 0);
	d = tu_ctx("nt");
	ck_assert_int_eq(daemonize_set_mode(d, DAEMONIZE_MODE_FOREGROUND), 0);
	ck_assert_msg(daemonize_start(d) == 0, "start: %s", daemonize_error(d));
	ck_assert_ptr_null(getenv("NOTIFY_SOCKET"));
	return d;
}

/* WATCHDOG_USEC is for us only when WATCHDOG_PID is unset or ours, and
 * is reported as systemd gave it. */
START_TEST(test_watchdog)
{
	struct daemonize *d;
	struct dz_notify n;
	struct dz_err e;
	struct fake f;

	tu_clean_slate();
	f = fake_path();

	ck_assert_int_eq(setenv("WATCHDOG_USEC", "2000000", 1), 0);
	ck_assert_int_eq(setenv("WATCHDOG_PID", tu_pidstr(getpid()), 1), 0);
	d = started(&f);
	ck_assert_uint_eq(daemonize_watchdog_usec(d), 2000000);
	ck_assert_ptr_null(getenv("WATCHDOG_PID"));
	ck_assert_ptr_null(getenv("WATCHDOG_USEC"));
	ck_assert_int_eq(daemonize_notify(d, "WATCHDOG=1"), 0);
	expect_msg(&f, "WATCHDOG=1");
	ck_assert_int_eq(daemonize_stop(d), 0);
	expect_msg(&f, "STOPPING=1");
	daemonize_free(d);
	/* after the context, nothing */
	ck_assert_uint_eq(daemonize_watchdog_usec(NULL), 0);

	/* someone else's watchdog: ignored, but still removed */
	ck_assert_int_eq(setenv("NOTIFY_SOCKET", f.name, 1), 0);
	ck_assert_int_eq(setenv("WATCHDOG_USEC", "2000000", 1), 0);
	ck_assert_int_eq(setenv("WATCHDOG_PID", tu_pidstr(getpid() + 1), 1), 0);
	dz_notify_init(&n);
	ck_assert_int_eq(dz_notify_open(&n, &e), 0);
	ck_assert_uint_eq(n.watchdog_usec, 0);
	ck_assert_ptr_null(getenv("WATCHDOG_PID"));
	ck_assert_ptr_null(getenv("WATCHDOG_USEC"));
	dz_notify_close(&n);

	/* no watchdog at all */
	ck_assert_int_eq(setenv("NOTIFY_SOCKET", f.name, 1), 0);
	dz_notify_init(&n);
	ck_assert_int_eq(dz_notify_open(&n, &e), 0);
	ck_assert_uint_eq(n.watchdog_usec, 0);
	dz_notify_close(&n);

	/* the largest value passes through whole */
	ck_assert_int_eq(setenv("NOTIFY_SOCKET", f.name, 1), 0);
	ck_assert_int_eq(setenv("WATCHDOG_USEC", "18446744073709551615", 1),
	    0);
	dz_notify_init(&n);
	ck_assert_int_eq(dz_notify_open(&n, &e), 0);
	ck_assert(n.watchdog_usec == ~(uint64_t)0);
	dz_notify_close(&n);

	/* garbage is an error, and nothing is left open */
	ck_assert_int_eq(setenv("NOTIFY_SOCKET", f.name, 1), 0);
	ck_assert_int_eq(setenv("WATCHDOG_USEC", "2s", 1), 0);
	dz_notify_init(&n);
	errno = 0;
	ck_assert_int_eq(dz_notify_open(&n, &e), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_nonnull(strstr(e.text,
	    "notify: WATCHDOG_USEC=2s: not a number"));
	ck_assert_int_eq(n.fd, -1);
	expect_nothing(&f);

	/* NULL */
	errno = 0;
	ck_assert_uint_eq(daemonize_watchdog_usec(NULL), 0);
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

/* A refused daemonize_notify: -1, errno, the text, and nothing sent. */
static void
notify_refused(struct daemonize *d, const struct fake *f, const char *msg,
    int want, const char *frag)
{
	errno = 0;
	ck_assert_int_eq(daemonize_notify(d, "%s", msg), -1);
	ck_assert_int_eq(errno, want);
	tu_assert_text(d, frag);
	expect_nothing(f);
}

START_TEST(test_messages)
{
	struct daemonize *d;
	unsigned long long before, after, usec;
	struct fake f;
	char *got, *end, *big;

	tu_clean_slate();
	f = fake_abstract();
	d = started(&f);

	ck_assert_int_eq(daemonize_notify_status(d, "serving %d clients", 3),
	    0);
	expect_msg(&f, "STATUS=serving 3 clients");
	/* a newline cannot smuggle in another key: folded into a space */
	ck_assert_int_eq(daemonize_notify_status(d, "%s", "x\nREADY=1\n"), 0);
	expect_msg(&f, "STATUS=x READY=1 ");

	before = monotonic_usec();
	ck_assert_int_eq(daemonize_notify_reloading(d), 0);
	after = monotonic_usec();
	got = fake_recv(&f, TIMEOUT);
	ck_assert_ptr_nonnull(got);
	ck_assert_int_eq(strncmp(got, "RELOADING=1\nMONOTONIC_USEC=", 27), 0);
	usec = strtoull(got + 27, &end, 10);
	ck_assert_int_eq(*end, '\0');
	ck_assert(usec >= before && usec <= after);

	/* generic fields, one datagram each call */
	ck_assert_int_eq(daemonize_notify(d, "EXTEND_TIMEOUT_USEC=%d",
	    5000000), 0);
	expect_msg(&f, "EXTEND_TIMEOUT_USEC=5000000");
	ck_assert_int_eq(daemonize_notify(d, "STATUS=a\nERRNO=0\nX_9=="), 0);
	expect_msg(&f, "STATUS=a\nERRNO=0\nX_9==");
	ck_assert_int_eq(daemonize_notify(d, "WATCHDOG=1"), 0);
	expect_msg(&f, "WATCHDOG=1");

	/* and what it refuses */
	notify_refused(d, &f, "READY=1", EINVAL,
	    "notify: READY=1: call daemonize_ready instead");
	notify_refused(d, &f, "STATUS=x\nREADY=1", EINVAL,
	    "READY=1: call daemonize_ready instead");
	notify_refused(d, &f, "status=lower", EINVAL, "notify: \"status="
	    "lower\": expected KEY=VALUE lines, keys of A-Z, 0-9 and _");
	notify_refused(d, &f, "", EINVAL, "expected KEY=VALUE lines");
	notify_refused(d, &f, "=1", EINVAL, "expected KEY=VALUE lines");
	notify_refused(d, &f, "NOVALUE", EINVAL, "expected KEY=VALUE lines");
	notify_refused(d, &f, "A=1\nbad", EINVAL, "expected KEY=VALUE lines");
	notify_refused(d, &f, "KEY =1", EINVAL, "expected KEY=VALUE lines");
	big = malloc(5000);
	ck_assert_ptr_nonnull(big);
	memset(big, 'x', 4999);
	memcpy(big, "STATUS=", 7);
	big[4999] = '\0';
	notify_refused(d, &f, big, EMSGSIZE, "notify: message longer than "
	    "4095 bytes");
	free(big);
	errno = 0;
	ck_assert_int_eq(daemonize_notify(d, NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	tu_assert_text(d, "notify: no format");
	errno = 0;
	ck_assert_int_eq(daemonize_notify_status(d, NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	expect_nothing(&f);

	/* the peer went away: a clear error; stop still succeeds */
	close(f.fd);
	errno = 0;
	ck_assert_int_eq(daemonize_notify_status(d, "gone"), -1);
	ck_assert_int_eq(errno, ECONNREFUSED);
	tu_assert_text(d, tu_fmt("notify: %s: cannot send", f.name));
	ck_assert_int_eq(daemonize_stop(d), 0);
	daemonize_free(d);

	errno = 0;
	ck_assert_int_eq(daemonize_notify_status(NULL, "x"), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(daemonize_notify_reloading(NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(daemonize_notify(NULL, "STOPPING=1"), -1);
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

/* Before start returned 0, nothing speaks for the service, even with a
 * socket: the lock opened it, but the process is not the daemon yet. */
START_TEST(test_messages_before_start)
{
	struct daemonize *d;
	struct fake f;

	tu_clean_slate();
	f = fake_path();
	ck_assert_int_eq(setenv("NOTIFY_SOCKET", f.name, 1), 0);
	d = tu_ctx("nt");
	ck_assert_int_eq(daemonize_set_mode(d, DAEMONIZE_MODE_FOREGROUND), 0);
	ck_assert_int_eq(daemonize_lock(d), 0);
	errno = 0;
	ck_assert_int_eq(daemonize_notify_status(d, "early"), -1);
	ck_assert_int_eq(errno, EINVAL);
	tu_assert_text(d, "notify: daemonize_start has not returned 0 in this "
	    "process");
	errno = 0;
	ck_assert_int_eq(daemonize_notify(d, "STATUS=early"), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(daemonize_ready(d), -1);
	ck_assert_int_eq(errno, EINVAL);
	expect_nothing(&f);
	/* a lock given up sends nothing either */
	ck_assert_int_eq(daemonize_stop(d), 0);
	daemonize_free(d);
	expect_nothing(&f);
}
END_TEST

/* Through daemonize_start in foreground mode, in this process: the order
 * a Type=notify-reload service needs. */
START_TEST(test_sequence)
{
	struct daemonize *d;
	struct fake f;
	char *got;
	int low;

	tu_clean_slate();
	f = fake_path();
	d = started(&f);
	ck_assert_int_eq(daemonize_ready(d), 0);
	expect_msg(&f, tu_fmt("READY=1\nMAINPID=%ld", (long)getpid()));
	ck_assert_int_eq(daemonize_notify_reloading(d), 0);
	got = fake_recv(&f, TIMEOUT);
	ck_assert_ptr_nonnull(got);
	ck_assert_int_eq(strncmp(got, "RELOADING=1\nMONOTONIC_USEC=", 27), 0);
	ck_assert_int_eq(daemonize_ready(d), 0);
	expect_msg(&f, "READY=1");
	ck_assert_int_eq(daemonize_fail(d, EADDRINUSE, "cannot bind %d", 80),
	    0);
	expect_msg(&f, tu_fmt("ERRNO=%d\nSTATUS=cannot bind 80: %s",
	    EADDRINUSE, strerror(EADDRINUSE)));
	ck_assert_int_eq(daemonize_stop(d), 0);
	expect_msg(&f, "STOPPING=1");
	/* once only */
	ck_assert_int_eq(daemonize_stop(d), 0);
	daemonize_free(d);
	expect_nothing(&f);

	/* STOPPING=1 once: the caller's own, then stop adds none */
	d = started(&f);
	ck_assert_int_eq(daemonize_notify(d, "STOPPING=1"), 0);
	expect_msg(&f, "STOPPING=1");
	ck_assert_int_eq(daemonize_stop(d), 0);
	daemonize_free(d);
	expect_nothing(&f);

	/* free alone says nothing to the supervisor (1.0): only stop
	 * announces the end */
	d = started(&f);
	ck_assert_int_eq(daemonize_ready(d), 0);
	expect_msg(&f, tu_fmt("READY=1\nMAINPID=%ld", (long)getpid()));
	daemonize_free(d);
	expect_nothing(&f);

	/* a bad NOTIFY_SOCKET fails start, leaving nothing open and the
	 * context startable */
	ck_assert_int_eq(setenv("NOTIFY_SOCKET", "relative", 1), 0);
	d = tu_ctx("nt");
	ck_assert_int_eq(daemonize_set_mode(d, DAEMONIZE_MODE_FOREGROUND), 0);
	low = lowest_free_fd();
	errno = 0;
	ck_assert_int_eq(daemonize_start(d), -1);
	ck_assert_int_eq(errno, EINVAL);
	tu_assert_text(d, "notify: NOTIFY_SOCKET=relative: expected");
	ck_assert_int_eq(lowest_free_fd(), low);
	ck_assert_int_eq(daemonize_set_timeout(d, 1000), 0);
	ck_assert_int_eq(setenv("NOTIFY_SOCKET", f.name, 1), 0);
	ck_assert_int_eq(daemonize_start(d), 0);
	ck_assert_int_eq(daemonize_ready(d), 0);
	expect_msg(&f, tu_fmt("READY=1\nMAINPID=%ld", (long)getpid()));
	daemonize_free(d);
}
END_TEST

/* A start that fails after the socket was connected tells the supervisor
 * why: ERRNO= and STATUS= (the error text, on one line), then nothing
 * is left: no socket, no pidfile, no lock. */
START_TEST(test_failed_start)
{
	struct daemonize *d;
	struct fake f;
	char *dir, *pidfile, *missing, *got;
	int low, err;

	tu_clean_slate();
	f = fake_path();
	dir = tu_tmpdir();
	pidfile = tu_fmt("%s/nt.pid", dir);
	missing = tu_fmt("%s/missing", dir);

	/* a chroot that does not exist */
	ck_assert_int_eq(setenv("NOTIFY_SOCKET", f.name, 1), 0);
	d = tu_ctx("nt");
	ck_assert_int_eq(daemonize_set_mode(d, DAEMONIZE_MODE_FOREGROUND), 0);
	ck_assert_int_eq(daemonize_set_pidfile(d, pidfile), 0);
	ck_assert_int_eq(daemonize_set_chroot(d, missing), 0);
	low = lowest_free_fd();
	errno = 0;
	ck_assert_int_eq(daemonize_start(d), -1);
	err = errno;
	ck_assert_int_ne(err, 0);
	tu_assert_text(d, missing);
	got = fake_recv(&f, TIMEOUT);
	ck_assert_msg(got != NULL, "no ERRNO/STATUS datagram");
	ck_assert_str_eq(got, tu_fmt("ERRNO=%d\nSTATUS=%s", err,
	    daemonize_error(d)));
	expect_nothing(&f);
	ck_assert_int_eq(lowest_free_fd(), low);
	ck_assert(!tu_exists(pidfile));
	daemonize_free(d);

	/* a user that does not exist, through the lock alone */
	ck_assert_int_eq(setenv("NOTIFY_SOCKET", f.name, 1), 0);
	d = tu_ctx("nt");
	ck_assert_int_eq(daemonize_set_pidfile(d, pidfile), 0);
	ck_assert_int_eq(daemonize_set_user(d, "no-such-user-dz", NULL), 0);
	errno = 0;
	ck_assert_int_eq(daemonize_lock(d), -1);
	err = errno;
	ck_assert_int_ne(err, 0);
	tu_assert_text(d, "no-such-user-dz");
	got = fake_recv(&f, TIMEOUT);
	ck_assert_msg(got != NULL, "no ERRNO/STATUS datagram");
	ck_assert_str_eq(got, tu_fmt("ERRNO=%d\nSTATUS=%s", err,
	    daemonize_error(d)));
	ck_assert_int_eq(lowest_free_fd(), low);
	ck_assert(!tu_exists(pidfile));
	daemonize_free(d);
	expect_nothing(&f);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* A worker forked from the daemon inherits the context and the socket:
 * it must not speak for the service (no READY, no STATUS, and freeing
 * its copy sends nothing).  And a message cannot inject fields. */
START_TEST(test_worker_and_injection)
{
	struct daemonize *d;
	struct fake f;
	pid_t pid;
	int st;

	tu_clean_slate();
	f = fake_path();
	d = started(&f);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int ok = daemonize_ready(d) == -1 && errno == EPERM &&
		    strstr(daemonize_error(d), "ready: not the process") !=
		    NULL && daemonize_notify_status(d, "x") == -1 &&
		    errno == EPERM && daemonize_notify(d, "STOPPING=1") ==
		    -1 && errno == EPERM;

		daemonize_free(d);
		_exit(ok ? 0 : 1);
	}
	st = tu_child_status(pid, TIMEOUT);
	ck_assert(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	expect_nothing(&f);
	/* Newlines in a failure message stay inside STATUS=. */
	ck_assert_int_eq(daemonize_fail(d, EINVAL, "bad line\nREADY=1\n"
	    "MAINPID=1"), 0);
	expect_msg(&f, tu_fmt("ERRNO=%d\nSTATUS=bad line READY=1 MAINPID=1: "
	    "%s", EINVAL, strerror(EINVAL)));
	/* An argument may be the context's own error text. */
	ck_assert_int_eq(daemonize_fail(d, EIO, "setup failed: %s",
	    daemonize_error(d)), 0);
	ck_assert_str_eq(daemonize_error(d), tu_fmt("setup failed: bad line\n"
	    "READY=1\nMAINPID=1: %s: %s", strerror(EINVAL), strerror(EIO)));
	ck_assert_ptr_nonnull(fake_recv(&f, TIMEOUT));
	daemonize_free(d);
	expect_nothing(&f);
}
END_TEST

/* ---- s6 / OpenRC readiness fd -------------------------------------------- */

START_TEST(test_notify_fd)
{
	struct daemonize *d;
	char buf[8];
	int p[2], q[2];

	tu_clean_slate();
	errno = 0;
	ck_assert_int_eq(daemonize_set_notify_fd(NULL, 5), -1);
	ck_assert_int_eq(errno, EINVAL);

	d = tu_ctx("nt");
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_ge(p[0], 3);
	ck_assert_int_eq(pipe(q), 0);
	/* a closed fd */
	errno = 0;
	ck_assert_int_eq(daemonize_set_notify_fd(d, 999), -1);
	ck_assert_int_eq(errno, EBADF);
	tu_assert_text(d, "notify: notification fd 999");
	errno = 0;
	ck_assert_int_eq(daemonize_set_notify_fd(d, -5), -1);
	ck_assert_int_eq(errno, EBADF);
	/* stdio */
	errno = 0;
	ck_assert_int_eq(daemonize_set_notify_fd(d, 1), -1);
	ck_assert_int_eq(errno, EINVAL);
	tu_assert_text(d, "notify: notification fd 1 is standard");
	/* a kept fd is the caller's: never the notification fd, nor the
	 * other way round */
	ck_assert_int_eq(daemonize_keep_fd(d, q[1]), 0);
	errno = 0;
	ck_assert_int_eq(daemonize_set_notify_fd(d, q[1]), -1);
	ck_assert_int_eq(errno, EINVAL);
	tu_assert_text(d, tu_fmt("notify: notification fd %d is also kept "
	    "with daemonize_keep_fd", q[1]));
	/* set, cleared, set */
	ck_assert_int_eq(daemonize_set_notify_fd(d, p[1]), 0);
	ck_assert_int_eq(daemonize_set_notify_fd(d, -1), 0);
	ck_assert_int_eq(daemonize_keep_fd(d, p[0]), 0);
	ck_assert_int_eq(daemonize_set_notify_fd(d, p[1]), 0);
	ck_assert(fd_cloexec(p[1]));
	errno = 0;
	ck_assert_int_eq(daemonize_keep_fd(d, p[1]), -1);
	ck_assert_int_eq(errno, EINVAL);
	tu_assert_text(d, tu_fmt("keep_fd: fd %d is the notification fd",
	    p[1]));

	ck_assert_int_eq(daemonize_set_mode(d, DAEMONIZE_MODE_FOREGROUND), 0);
	ck_assert_int_eq(daemonize_lock(d), 0);
	errno = 0;
	ck_assert_int_eq(daemonize_set_notify_fd(d, -1), -1);
	ck_assert_int_eq(errno, EBUSY);
	tu_assert_text(d, "configuration cannot change after daemonize_lock");
	ck_assert_int_eq(daemonize_start(d), 0);
	errno = 0;
	ck_assert_int_eq(daemonize_set_notify_fd(d, p[1]), -1);
	ck_assert_int_eq(errno, EBUSY);
	/* nothing before ready */
	ck_assert_int_eq(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
	errno = 0;
	ck_assert_int_eq(read(p[0], buf, sizeof(buf)), -1);
	ck_assert_int_eq(errno, EAGAIN);
	/* one newline, then the end */
	ck_assert_int_eq(daemonize_ready(d), 0);
	ck_assert_int_eq(fcntl(p[1], F_GETFD), -1);
	ck_assert_int_eq(read(p[0], buf, sizeof(buf)), 1);
	ck_assert_int_eq(buf[0], '\n');
	ck_assert_int_eq(read(p[0], buf, sizeof(buf)), 0);
	ck_assert_int_eq(daemonize_ready(d), 0);
	/* the kept one is still the caller's */
	ck_assert_int_ne(fcntl(q[1], F_GETFD), -1);
	daemonize_free(d);
}
END_TEST

/* ---- socket activation, in process --------------------------------------- */

/*
 * Check's own channel may sit on fd 3: every test that puts sockets at
 * 3.. saves what was there, runs, restores, and only then asserts.
 */
struct saved_fds {
	int fd[4];          /* dups of 3..6, or -1 where closed */
};

static void
save_fds(struct saved_fds *s)
{
	int i;

	for (i = 0; i < 4; i++)
		s->fd[i] = fcntl(3 + i, F_DUPFD_CLOEXEC, 50);
}

static void
restore_fds(struct saved_fds *s)
{
	int i;

	for (i = 0; i < 4; i++) {
		if (s->fd[i] >= 0) {
			(void)dup2(s->fd[i], 3 + i);
			close(s->fd[i]);
		} else {
			close(3 + i);
		}
	}
}

/* n sockets at 3..3+n-1, without close-on-exec as systemd passes them. */
static void
place_sockets(int n)
{
	int i, s;

	for (i = 0; i < n; i++) {
		s = socket(AF_INET, SOCK_STREAM, 0);
		if (s >= 0 && s != 3 + i) {
			(void)dup2(s, 3 + i);
			close(s);
		}
	}
}

struct listen_result {
	int r, err, cloexec[3];
	int fds[3];
	char names[3][32];
	char error[DZ_ERRLEN];
	bool env_left;		/* LISTEN_PID, _FDS or _FDNAMES set */
	bool pidfdid_left;	/* LISTEN_PIDFDID still set */
};

static struct listen_result
run_listen(int nplace, const char *pid, const char *count,
    const char *names)
{
	struct listen_result res;
	struct saved_fds saved;
	struct daemonize *d;
	const int *fds;
	const char *const *nm;
	int i;

	memset(&res, 0, sizeof(res));
	tu_clean_slate();
	if (pid != NULL)
		ck_assert_int_eq(setenv("LISTEN_PID", pid, 1), 0);
	if (count != NULL)
		ck_assert_int_eq(setenv("LISTEN_FDS", count, 1), 0);
	if (names != NULL)
		ck_assert_int_eq(setenv("LISTEN_FDNAMES", names, 1), 0);
	/* systemd 254+ passes the pidfd id of the process it started with
	 * the others: it belongs to the same hand-over */
	ck_assert_int_eq(setenv("LISTEN_PIDFDID", "4242", 1), 0);
	d = tu_ctx("nt");

	save_fds(&saved);
	place_sockets(nplace);
	for (i = nplace; i < 4; i++)
		close(3 + i);
	errno = 0;
	res.r = daemonize_listen_fds(d, &fds, &nm);
	res.err = errno;
	for (i = 0; i < res.r && i < 3; i++) {
		res.fds[i] = fds[i];
		snprintf(res.names[i], sizeof(res.names[i]), "%s", nm[i]);
		res.cloexec[i] = (fcntl(fds[i], F_GETFD) & FD_CLOEXEC) != 0;
	}
	if (res.r >= 0) {
		/* asked again: the same answer, not parsed twice */
		const int *fds2;

		if (daemonize_listen_fds(d, &fds2, NULL) != res.r ||
		    fds2 != fds)
			res.r = -100;
	}
	snprintf(res.error, sizeof(res.error), "%s", daemonize_error(d));
	res.env_left = getenv("LISTEN_PID") != NULL ||
	    getenv("LISTEN_FDS") != NULL || getenv("LISTEN_FDNAMES") != NULL;
	res.pidfdid_left = getenv("LISTEN_PIDFDID") != NULL;
	daemonize_free(d);
	restore_fds(&saved);
	return res;
}

START_TEST(test_listen_one)
{
	struct listen_result r;

	r = run_listen(1, tu_pidstr(getpid()), "1", "echo");
	ck_assert_int_eq(r.r, 1);
	ck_assert_int_eq(r.fds[0], 3);
	ck_assert_str_eq(r.names[0], "echo");
	ck_assert(r.cloexec[0]);
	ck_assert(!r.env_left);
	ck_assert(!r.pidfdid_left);
}
END_TEST

START_TEST(test_listen_names)
{
	struct listen_result r;

	/* one name per fd; empty fields are names too */
	r = run_listen(3, tu_pidstr(getpid()), "3", "a::c");
	ck_assert_int_eq(r.r, 3);
	ck_assert_int_eq(r.fds[2], 5);
	ck_assert_str_eq(r.names[0], "a");
	ck_assert_str_eq(r.names[1], "");
	ck_assert_str_eq(r.names[2], "c");
	ck_assert(r.cloexec[0] && r.cloexec[1] && r.cloexec[2]);
	ck_assert(!r.env_left);
	ck_assert(!r.pidfdid_left);
	r = run_listen(2, tu_pidstr(getpid()), "2", "web:");
	ck_assert_int_eq(r.r, 2);
	ck_assert_str_eq(r.names[0], "web");
	ck_assert_str_eq(r.names[1], "");

	/* absent: every one "unknown", as sd_listen_fds_with_names */
	r = run_listen(2, tu_pidstr(getpid()), "2", NULL);
	ck_assert_int_eq(r.r, 2);
	ck_assert_str_eq(r.names[0], "unknown");
	ck_assert_str_eq(r.names[1], "unknown");
	ck_assert(!r.pidfdid_left);

	/* zero and unset counts: none, names or not */
	r = run_listen(0, tu_pidstr(getpid()), "0", NULL);
	ck_assert_int_eq(r.r, 0);
	ck_assert(!r.env_left);
	ck_assert(!r.pidfdid_left);
	r = run_listen(1, tu_pidstr(getpid()), "0", "x:y");
	ck_assert_int_eq(r.r, 0);
	ck_assert(!r.env_left);
	r = run_listen(0, tu_pidstr(getpid()), NULL, "x");
	ck_assert_int_eq(r.r, 0);
	ck_assert(!r.env_left);
	ck_assert(!r.pidfdid_left);
}
END_TEST

/* LISTEN_FDNAMES naming another number of descriptors than LISTEN_FDS is
 * refused (systemd refuses it too): guessing which name is which fd
 * would be worse.  Nothing is taken over, the environment stays. */
START_TEST(test_listen_names_count)
{
	static const struct {
		int nplace;
		const char *count, *names;
		unsigned long nnames;
	} bad[] = {
		{ 3, "3", "a:", 2 },
		{ 3, "3", "a", 1 },
		{ 1, "1", "web:admin", 2 },
		{ 2, "2", "", 1 },
		{ 1, "1", "::", 3 },
	};
	struct listen_result r;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = run_listen(bad[i].nplace, tu_pidstr(getpid()),
		    bad[i].count, bad[i].names);
		ck_assert_msg(r.r == -1, "%s for %s: %d", bad[i].names,
		    bad[i].count, r.r);
		ck_assert_int_eq(r.err, EINVAL);
		ck_assert_ptr_nonnull(strstr(r.error, tu_fmt("listen: "
		    "LISTEN_FDNAMES has %lu names for LISTEN_FDS=%s: %s",
		    bad[i].nnames, bad[i].count, strerror(EINVAL))));
		ck_assert(r.env_left);
	}
}
END_TEST

/* Passed to someone else: not ours, but removed all the same. */
START_TEST(test_listen_wrong_pid)
{
	static const char *const pids[] = { "1", "", "abc", " 5", "-1",
	    "99999999999999999999" };
	struct listen_result r;
	size_t i;

	r = run_listen(1, tu_pidstr(getpid() + 1), "1", "echo");
	ck_assert_int_eq(r.r, 0);
	ck_assert(!r.env_left);
	ck_assert(!r.pidfdid_left);
	for (i = 0; i < sizeof(pids) / sizeof(pids[0]); i++) {
		r = run_listen(1, pids[i], "1", "echo");
		ck_assert_int_eq(r.r, 0);
		ck_assert(!r.env_left);
		ck_assert(!r.pidfdid_left);
	}
	r = run_listen(1, NULL, "1", "echo");
	ck_assert_int_eq(r.r, 0);
	ck_assert(!r.env_left);
	ck_assert(!r.pidfdid_left);
}
END_TEST

START_TEST(test_listen_bad)
{
	static const char *const garbage[] = { "x", "", " 1", "1x", "-1",
	    "0x1" };
	struct listen_result r;
	size_t i;

	for (i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++) {
		if (*garbage[i] == '\0')
			continue;   /* empty counts as none, like unset */
		r = run_listen(1, tu_pidstr(getpid()), garbage[i], NULL);
		ck_assert_int_eq(r.r, -1);
		ck_assert_int_eq(r.err, EINVAL);
		ck_assert_ptr_nonnull(strstr(r.error, tu_fmt(
		    "listen: LISTEN_FDS=%s: expected a count", garbage[i])));
		/* not consumed: nothing was taken over */
		ck_assert(r.env_left);
	}
	r = run_listen(1, tu_pidstr(getpid()), "4097", NULL);
	ck_assert_int_eq(r.r, -1);
	ck_assert_int_eq(r.err, ERANGE);
	ck_assert_ptr_nonnull(strstr(r.error, "LISTEN_FDS=4097"));
	r = run_listen(1, tu_pidstr(getpid()), "99999999999999999999999", NULL);
	ck_assert_int_eq(r.r, -1);
	ck_assert_int_eq(r.err, ERANGE);

	/* a count beyond the fds actually there */
	r = run_listen(2, tu_pidstr(getpid()), "3", NULL);
	ck_assert_int_eq(r.r, -1);
	ck_assert_int_eq(r.err, EBADF);
	ck_assert_ptr_nonnull(strstr(r.error,
	    "listen: LISTEN_FDS=3: fd 5 is not open"));

	errno = 0;
	ck_assert_int_eq(daemonize_listen_fds(NULL, NULL, NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

/* ---- end to end: the helper under a fake systemd ------------------------- */

static bool
env_has(const char *envfile, const char *name)
{
	char buf[65536];
	char *needle = tu_fmt("\n%s=", name);

	buf[0] = '\n';
	ck_assert_int_ge(tu_read_file(envfile, buf + 1, sizeof(buf) - 1), 0);
	return strstr(buf, needle) != NULL;
}

static void
supervised_run(struct fake f)
{
	char *dir, *pidfile, *report, *envfile, *out, *helper;
	pid_t pid;
	int i, status;

	tu_clean_slate();
	dir = tu_tmpdir();
	pidfile = tu_fmt("%s/h.pid", dir);
	report = tu_fmt("%s/report", dir);
	envfile = tu_fmt("%s/env", dir);
	out = tu_fmt("%s/out", dir);
	helper = tu_private_helper(dir);
	{
		char *argv[] = { helper, "-p", pidfile, "-R", report, "-E",
		    envfile, NULL };
		char **env = tu_clean_envv(tu_fmt("NOTIFY_SOCKET=%s", f.name),
		    "WATCHDOG_USEC=30000000", "LISTEN_PID=1", "LISTEN_FDS=1",
		    "LISTEN_FDNAMES=x", "LISTEN_PIDFDID=77", NULL);

		pid = tu_spawn(argv, env, out);
	}
	ck_assert_int_gt(pid, 0);
	{
		char *got = fake_recv(&f, TIMEOUT);

		if (got == NULL)
			tu_kill(pid);
		ck_assert_ptr_nonnull(got);
		ck_assert_str_eq(got, tu_fmt("READY=1\nMAINPID=%ld",
		    (long)pid));
	}
	/* it did not fork: the pid we started is the one serving */
	ck_assert_int_eq(tu_wait_report(report, TIMEOUT), 0);
	ck_assert_str_eq(tu_report_get(report, "pid"), tu_pidstr(pid));
	ck_assert_str_eq(tu_report_get(report, "mode"),
	    tu_fmt("%d", DAEMONIZE_MODE_FOREGROUND));
	ck_assert_str_eq(tu_report_get(report, "supervisor"), "systemd");
	ck_assert_str_eq(tu_report_get(report, "marker"), "NOTIFY_SOCKET");
	ck_assert_int_eq(tu_pidfile_pid(pidfile), pid);
	ck_assert(tu_lock_held(pidfile));

	/* the env child ran before the loop: after "hup 1" it is done */
	ck_assert_int_eq(kill(pid, SIGHUP), 0);
	ck_assert_int_eq(tu_wait_contains(out, "hup 1\n", TIMEOUT), 0);
	for (i = 0; consumed[i] != NULL; i++)
		ck_assert_msg(!env_has(envfile, consumed[i]),
		    "%s inherited by a child", consumed[i]);
	ck_assert(env_has(envfile, "PATH"));

	ck_assert_int_eq(kill(pid, SIGTERM), 0);
	expect_msg(&f, "STOPPING=1");
	status = tu_child_status(pid, TIMEOUT);
	ck_assert(status != -1 && WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	/* STOPPING=1 once, and nothing at free */
	expect_nothing(&f);
	ck_assert(!tu_exists(pidfile));
	ck_assert_int_eq(tu_wait_no_procs(helper, TIMEOUT), 0);
}

START_TEST(test_e2e_path)
{
	supervised_run(fake_path());
}
END_TEST

START_TEST(test_e2e_abstract)
{
	supervised_run(fake_abstract());
}
END_TEST

/* Forced to detach under systemd (Type=forking with NotifyAccess=all):
 * the socket connected before the fork serves the daemon. */
START_TEST(test_e2e_detach)
{
	char *dir, *pidfile, *report, *helper;
	char out[4096];
	struct fake f;
	pid_t pid;
	int status;

	tu_clean_slate();
	f = fake_abstract();
	dir = tu_tmpdir();
	pidfile = tu_fmt("%s/h.pid", dir);
	report = tu_fmt("%s/report", dir);
	helper = tu_private_helper(dir);
	{
		char *argv[] = { helper, "-d", "-p", pidfile, "-R", report,
		    NULL };
		char **env = tu_clean_envv(tu_fmt("NOTIFY_SOCKET=%s", f.name),
		    NULL);

		status = tu_run_env(argv, env, out, sizeof(out),
		    tu_ms(10000));
	}
	ck_assert_msg(status != -1 && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0, "helper: %d: %s", status, out);
	pid = tu_pidfile_pid(pidfile);
	ck_assert_int_gt(pid, 1);
	expect_msg(&f, tu_fmt("READY=1\nMAINPID=%ld", (long)pid));
	ck_assert_int_eq(tu_wait_report(report, TIMEOUT), 0);
	/* the supervisor is really there: named, not "forced" */
	ck_assert_str_eq(tu_report_get(report, "supervisor"), "systemd");
	ck_assert_str_eq(tu_report_get(report, "marker"), "NOTIFY_SOCKET");
	ck_assert_str_eq(tu_report_get(report, "mode"),
	    tu_fmt("%d", DAEMONIZE_MODE_BACKGROUND));
	ck_assert_int_eq(kill(pid, SIGTERM), 0);
	expect_msg(&f, "STOPPING=1");
	ck_assert_int_eq(tu_wait_gone(pid, TIMEOUT), 0);
	ck_assert_int_eq(tu_wait_no_procs(helper, TIMEOUT), 0);
	expect_nothing(&f);
	ck_assert(!tu_exists(pidfile));
}
END_TEST

/* A NOTIFY_SOCKET that cannot work fails start in the terminal. */
START_TEST(test_e2e_bad_socket)
{
	const struct bad_socket *b = &bad_sockets[_i];
	char *dir, *pidfile, *helper, *value, *prefix;
	char out[4096];
	int status;

	tu_clean_slate();
	dir = tu_tmpdir();
	pidfile = tu_fmt("%s/h.pid", dir);
	helper = tu_private_helper(dir);
	value = bad_value(b, dir);
	prefix = tu_fmt("helper: notify: NOTIFY_SOCKET=%.40s", value);
	{
		char *argv[] = { helper, "-p", pidfile, NULL };
		char **env = tu_clean_envv(tu_fmt("NOTIFY_SOCKET=%s", value),
		    NULL);

		status = tu_run_env(argv, env, out, sizeof(out),
		    tu_ms(10000));
	}
	ck_assert(status != -1 && WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 1);
	ck_assert_msg(strncmp(out, prefix, strlen(prefix)) == 0, "output: %s",
	    out);
	ck_assert_ptr_nonnull(strstr(out, b->why));
	ck_assert_ptr_nonnull(strstr(out, tu_strerror(b->err)));
	ck_assert(!tu_exists(pidfile));
	ck_assert_int_eq(tu_wait_no_procs(helper, TIMEOUT), 0);
}
END_TEST

/* A supervised start that fails (in the original process, as the lock
 * checks the chroot and the user) sends ERRNO= and STATUS= to the fake
 * systemd, STATUS= being exactly what the helper printed; nothing else
 * is sent (no READY=1), and nothing is left. */
static const char *const failing_starts[][2] = {
	{ "-r", "DIR/missing" },
	{ "-u", "no-such-user-dz" },
};

START_TEST(test_e2e_failed_start)
{
	char *dir, *pidfile, *helper, *value, *got, *text, *nl;
	char out[4096];
	struct fake f;
	long errnum;
	int status;

	tu_clean_slate();
	f = _i % 2 == 0 ? fake_path() : fake_abstract();
	dir = tu_tmpdir();
	pidfile = tu_fmt("%s/h.pid", dir);
	helper = tu_private_helper(dir);
	value = strncmp(failing_starts[_i][1], "DIR", 3) == 0 ?
	    tu_fmt("%s%s", dir, failing_starts[_i][1] + 3) :
	    tu_fmt("%s", failing_starts[_i][1]);
	{
		char *argv[] = { helper, "-f", "-p", pidfile,
		    (char *)failing_starts[_i][0], value, NULL };
		char **env = tu_clean_envv(tu_fmt("NOTIFY_SOCKET=%s", f.name),
		    NULL);

		status = tu_run_env(argv, env, out, sizeof(out),
		    tu_ms(10000));
	}
	ck_assert_msg(status != -1 && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 1, "status %d: %s", status, out);
	ck_assert_msg(strncmp(out, "helper: ", 8) == 0, "output: %s", out);
	text = out + 8;
	if ((nl = strchr(text, '\n')) != NULL)
		*nl = '\0';
	ck_assert_ptr_nonnull(strstr(text, value));
	got = fake_recv(&f, TIMEOUT);
	ck_assert_msg(got != NULL, "no datagram after a failed start: %s",
	    text);
	ck_assert_msg(strncmp(got, "ERRNO=", 6) == 0, "got \"%s\"", got);
	errnum = strtol(got + 6, &nl, 10);
	ck_assert_int_gt(errnum, 0);
	ck_assert_str_eq(nl, tu_fmt("\nSTATUS=%s", text));
	/* the text ends with the errno's own words */
	ck_assert_msg(strstr(text, tu_strerror((int)errnum)) != NULL,
	    "ERRNO=%ld but \"%s\"", errnum, text);
	expect_nothing(&f);
	ck_assert(!tu_exists(pidfile));
	ck_assert_int_eq(tu_wait_no_procs(helper, TIMEOUT), 0);
}
END_TEST

/* A failure reported by the daemon itself (daemonize_fail) reaches the
 * supervisor the same way. */
START_TEST(test_e2e_daemon_fail)
{
	char *dir, *pidfile, *helper;
	char out[4096];
	struct fake f;
	int status;

	tu_clean_slate();
	f = fake_path();
	dir = tu_tmpdir();
	pidfile = tu_fmt("%s/h.pid", dir);
	helper = tu_private_helper(dir);
	{
		char *argv[] = { helper, "-p", pidfile, "-a", "fail", NULL };
		char **env = tu_clean_envv(tu_fmt("NOTIFY_SOCKET=%s", f.name),
		    NULL);

		status = tu_run_env(argv, env, out, sizeof(out),
		    tu_ms(10000));
	}
	ck_assert_msg(status != -1 && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 1, "status %d: %s", status, out);
	expect_msg(&f, tu_fmt("ERRNO=%d\nSTATUS=cannot bind port 80: %s",
	    EADDRINUSE, tu_strerror(EADDRINUSE)));
	expect_nothing(&f);
	ck_assert(!tu_exists(pidfile));
	ck_assert_int_eq(tu_wait_no_procs(helper, TIMEOUT), 0);
}
END_TEST

/* A TCP listener on 127.0.0.1, and its port. */
static int
tcp_listener(int *port)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int s = socket(AF_INET, SOCK_STREAM, 0);

	ck_assert_int_ge(s, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(s, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(s, 16), 0);
	ck_assert_int_eq(getsockname(s, (struct sockaddr *)&sin, &len), 0);
	*port = ntohs(sin.sin_port);
	return s;
}

static int
tcp_connect(int port)
{
	struct sockaddr_in sin;
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), r, err;

	ck_assert_int_ge(s, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((uint16_t)port);
	r = connect(s, (struct sockaddr *)&sin, sizeof(sin));
	err = errno;
	close(s);
	errno = err;
	return r;
}

/* What systemd does for a socket unit: the listener at fd 3 and
 * LISTEN_PID naming the new process, which only it can know. */
static pid_t
spawn_activated(int lfd, char *const argv[], const char *notify,
    const char *out)
{
	pid_t pid = fork();
	int fd;

	ck_assert_int_ne(pid, -1);
	if (pid != 0)
		return pid;
	if (dup2(lfd, 3) == -1)
		_exit(126);
	if (lfd != 3)
		close(lfd);
	fd = open(out, O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (fd == -1 || dup2(fd, 1) == -1 || dup2(fd, 2) == -1)
		_exit(126);
	close(fd);
	if (setenv("LISTEN_PID", tu_fmt("%ld", (long)getpid()), 1) == -1 ||
	    setenv("LISTEN_FDS", "1", 1) == -1 ||
	    setenv("LISTEN_FDNAMES", "echo", 1) == -1 ||
	    (notify != NULL && setenv("NOTIFY_SOCKET", notify, 1) == -1))
		_exit(126);
	execv(argv[0], argv);
	_exit(127);
}

static void
activated_run(bool detach)
{
	char *dir, *pidfile, *report, *out, *helper, *envfile;
	struct fake f;
	pid_t pid, daemon;
	int lfd, port, status;

	tu_clean_slate();
	f = fake_path();
	dir = tu_tmpdir();
	pidfile = tu_fmt("%s/h.pid", dir);
	report = tu_fmt("%s/report", dir);
	envfile = tu_fmt("%s/env", dir);
	out = tu_fmt("%s/out", dir);
	helper = tu_private_helper(dir);
	lfd = tcp_listener(&port);
	{
		/* Supervised by the LISTEN_PID marker alone, or forced to
		 * detach: then the fd sweep must keep fd 3, and the output
		 * file carries the "hup" lines. */
		char *argv[] = { helper, "-p", pidfile, "-R", report, "-E",
		    envfile, detach ? "-d" : NULL, "-o", out, NULL };

		pid = spawn_activated(lfd, argv, f.name, out);
	}
	/* only the daemon holds the listener from here on */
	close(lfd);
	{
		char *got = fake_recv(&f, TIMEOUT);

		if (got == NULL)
			tu_kill(pid);
		ck_assert_ptr_nonnull(got);
		if (detach) {
			ck_assert_int_eq(waitpid(pid, &status, 0), pid);
			ck_assert(WIFEXITED(status));
			ck_assert_int_eq(WEXITSTATUS(status), 0);
			daemon = tu_pidfile_pid(pidfile);
			ck_assert_int_ne(daemon, pid);
		} else {
			daemon = pid;
		}
		ck_assert_str_eq(got, tu_fmt("READY=1\nMAINPID=%ld",
		    (long)daemon));
	}
	ck_assert_int_eq(tu_wait_report(report, TIMEOUT), 0);
	ck_assert_str_eq(tu_report_get(report, "pid"), tu_pidstr(daemon));
	if (!detach) {
		ck_assert_str_eq(tu_report_get(report, "supervisor"),
		    "systemd");
		ck_assert_str_eq(tu_report_get(report, "marker"),
		    "LISTEN_PID");
	}
	/* fd 3 survived (the sweep too, when detached) */
	ck_assert_ptr_nonnull(strstr(tu_fmt(",%s,",
	    tu_report_get(report, "fds")), ",3,"));
	ck_assert_int_eq(tcp_connect(port), 0);
	/* consumed: not in a child's environment */
	ck_assert_int_eq(tu_wait_contains(envfile, "PATH=", TIMEOUT), 0);
	ck_assert_int_eq(kill(daemon, SIGHUP), 0);
	ck_assert_int_eq(tu_wait_contains(out, "hup 1\n", TIMEOUT), 0);
	ck_assert(!env_has(envfile, "LISTEN_PID"));
	ck_assert(!env_has(envfile, "LISTEN_FDS"));
	ck_assert(!env_has(envfile, "LISTEN_FDNAMES"));
	ck_assert(!env_has(envfile, "NOTIFY_SOCKET"));

	ck_assert_int_eq(kill(daemon, SIGTERM), 0);
	expect_msg(&f, "STOPPING=1");
	ck_assert_int_eq(tu_wait_gone(daemon, TIMEOUT), 0);
	if (!detach)
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	/* nobody holds the listener any more */
	errno = 0;
	ck_assert_int_eq(tcp_connect(port), -1);
	ck_assert_int_eq(errno, ECONNREFUSED);
	ck_assert_int_eq(tu_count_procs(helper), 0);
}

START_TEST(test_e2e_activation)
{
	activated_run(false);
}
END_TEST

START_TEST(test_e2e_activation_detach)
{
	activated_run(true);
}
END_TEST

static Suite *
notify_suite(void)
{
	Suite *s = suite_create("notify");
	TCase *tc;

	tc = tcase_create("parse");
	tcase_set_timeout(tc, 60 * (tu_ms(1000) / 1000));
	tcase_add_test(tc, test_parse_uint);
	tcase_add_test(tc, test_parse_address);
	suite_add_tcase(s, tc);

	tc = tcase_create("notify");
	tcase_set_timeout(tc, 60 * (tu_ms(1000) / 1000));
	tcase_add_test(tc, test_open_path);
	tcase_add_test(tc, test_open_abstract);
	tcase_add_test(tc, test_open_low_fds);
	tcase_add_test(tc, test_open_unset);
	tcase_add_loop_test(tc, test_open_bad, 0,
	    (int)(sizeof(bad_sockets) / sizeof(bad_sockets[0])));
	tcase_add_test(tc, test_watchdog);
	tcase_add_test(tc, test_messages);
	tcase_add_test(tc, test_messages_before_start);
	tcase_add_test(tc, test_sequence);
	tcase_add_test(tc, test_failed_start);
	tcase_add_test(tc, test_worker_and_injection);
	tcase_add_test(tc, test_notify_fd);
	suite_add_tcase(s, tc);

	tc = tcase_create("listen");
	tcase_set_timeout(tc, 60 * (tu_ms(1000) / 1000));
	tcase_add_test(tc, test_listen_one);
	tcase_add_test(tc, test_listen_names);
	tcase_add_test(tc, test_listen_names_count);
	tcase_add_test(tc, test_listen_wrong_pid);
	tcase_add_test(tc, test_listen_bad);
	suite_add_tcase(s, tc);

	tc = tcase_create("end to end");
	tcase_set_timeout(tc, 60 * (tu_ms(1000) / 1000));
	tcase_add_unchecked_fixture(tc, NULL, tu_kill_leftovers);
	tcase_add_test(tc, test_e2e_path);
	tcase_add_test(tc, test_e2e_abstract);
	tcase_add_test(tc, test_e2e_detach);
	tcase_add_loop_test(tc, test_e2e_bad_socket, 0,
	    (int)(sizeof(bad_sockets) / sizeof(bad_sockets[0])));
	tcase_add_loop_test(tc, test_e2e_failed_start, 0,
	    (int)(sizeof(failing_starts) / sizeof(failing_starts[0])));
	tcase_add_test(tc, test_e2e_daemon_fail);
	tcase_add_test(tc, test_e2e_activation);
	tcase_add_test(tc, test_e2e_activation_detach);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(notify_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
