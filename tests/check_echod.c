/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 the libdaemonize authors */
/*
 * check_echod.c - end-to-end tests of examples/echod, the template daemon,
 * through the built binary: what a person would check from a shell.
 *
 * Every test uses its own temp directory and a port found free just
 * before; the bind happens in echod, so another suite may take the port in
 * between, and starts are retried a few times on "Address already in use".
 * Every daemon a test starts is killed after the test case even when an
 * assertion fails (see "bookkeeping" below).
 */
#include "config.h"

#include <sys/types.h>
#include <sys/file.h>
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
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

#define RUN_MS    tu_ms(20000)  /* bound for one echod command */
#define IO_MS     tu_ms(5000)   /* bound for one client exchange */
#define TRIES     8         /* port races with parallel suites */
#define OUTLEN    8192

/* ---- bookkeeping: nothing survives a test, even a failed one ------------- */

/*
 * A failing Check assertion ends the forked test at once, so every test
 * runs echod through a private link (testutil.h), made in the runner by
 * the unchecked setup, and the unchecked teardown, tu_kill_leftovers,
 * kills whatever a failed test left running.  The setup also builds the
 * environment list every echod command gets: no inherited supervisor
 * marker may turn a background start into a supervised one (a developer
 * may run make check under systemd).
 */
static char *echod_link;
static char **clean_env;

static void
echod_setup(void)
{
	echod_link = tu_private_link(tu_tmpdir(), tu_example("echod"), "echod");
	clean_env = tu_clean_envv(NULL);
}

static const char *
echod_path(void)
{
	return echod_link;
}

/* Whether out starts with echod's name and ": ", as err(3) and warn(3)
 * print it: "echod: ", or the name of the private link echod was run
 * through ("echod-run<R>: "). */
static bool
echod_says(const char *out)
{
	const char *base = strrchr(echod_link, '/');
	char *prefix;

	base = base != NULL ? base + 1 : echod_link;
	prefix = tu_fmt("%s: ", base);
	return strncmp(out, "echod: ", 7) == 0 ||
	    strncmp(out, prefix, strlen(prefix)) == 0;
}

/* ---- running echod ------------------------------------------------------- */

/* The exit code of a wait status; -1 when it timed out, 128+N when it was
 * killed by signal N. */
static int
exit_code(int status)
{
	if (status == -1)
		return -1;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

/* Run echod with the NULL-terminated arguments; stdout and stderr go to
 * out.  Returns its exit code. */
static int
run_echod(char *out, size_t outlen, ...)
{
	char *argv[32];
	va_list ap;
	int argc = 0;

	argv[argc++] = (char *)echod_path();
	va_start(ap, outlen);
	while ((argv[argc] = va_arg(ap, char *)) != NULL)
		ck_assert_int_lt(++argc, 31);
	va_end(ap);
	return exit_code(tu_run_env(argv, clean_env, out, outlen, RUN_MS));
}

struct echod {
	char *dir;
	char *pidfile;
	char *log;
	char port[8];
	pid_t pid;
};

static void
echod_init(struct echod *e)
{
	e->dir = tu_tmpdir();
	e->pidfile = tu_fmt("%s/echod.pid", e->dir);
	e->log = tu_fmt("%s/echod.log", e->dir);
	e->port[0] = '\0';
	e->pid = -1;
}

/* Start echod in the background with -p and -l on a free port: the
 * command exits 0 and the pidfile names a live daemon holding its lock. */
static void
echod_start(struct echod *e)
{
	char out[OUTLEN];
	int i, rc = -1;

	for (i = 0; i < TRIES; i++) {
		snprintf(e->port, sizeof(e->port), "%d", tu_free_port());
		rc = run_echod(out, sizeof(out), "-p", e->pidfile, "-l",
		    e->log, "-P", e->port, NULL);
		if (rc == 0 || strstr(out, "Address already in use") == NULL)
			break;
	}
	ck_assert_msg(rc == 0, "echod start: exit %d: %s", rc, out);
	ck_assert_str_eq(out, "");      /* a successful start is silent */
	e->pid = tu_pidfile_pid(e->pidfile);
	ck_assert_int_gt(e->pid, 0);
	ck_assert(tu_alive(e->pid));
	ck_assert(tu_lock_held(e->pidfile));
}

/* -k: exits 0, the process and the pidfile are gone. */
static void
echod_stop(struct echod *e)
{
	char out[OUTLEN];
	int rc;

	rc = run_echod(out, sizeof(out), "-k", "-p", e->pidfile, NULL);
	ck_assert_msg(rc == 0, "echod -k: exit %d: %s", rc, out);
	/* The lock is released just before the exit. */
	ck_assert_int_eq(tu_wait_gone(e->pid, IO_MS), 0);
	ck_assert_int_eq(access(e->pidfile, F_OK), -1);
	ck_assert_int_eq(errno, ENOENT);
}

/* ---- clients ------------------------------------------------------------- */

static int
connect_port(int port)
{
	struct timeval tv = { IO_MS / 1000, 0 };
	struct sockaddr_in sin;
	int fd;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	/* Bounded: a daemon that never answers fails the test, not hangs. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == -1) {
		close(fd);
		return -1;
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((uint16_t)port);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		int saved = errno;

		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

static void
send_all(int fd, const char *s)
{
	size_t len = strlen(s), off = 0;
	ssize_t n;

	while (off < len) {
		n = write(fd, s + off, len - off);
		ck_assert_msg(n > 0, "write: %s", strerror(errno));
		off += (size_t)n;
	}
}

/* Read exactly strlen(want) bytes (each read bounded by SO_RCVTIMEO) and
 * compare. */
static void
expect_echo(int fd, const char *want)
{
	char buf[512];
	size_t len = strlen(want), got = 0;
	ssize_t n;

	ck_assert_uint_lt(len, sizeof(buf));
	while (got < len) {
		n = read(fd, buf + got, len - got);
		ck_assert_msg(n > 0, "read after %zu of %zu bytes: %s", got, len,
		    n == 0 ? "EOF" : strerror(errno));
		got += (size_t)n;
	}
	buf[got] = '\0';
	ck_assert_str_eq(buf, want);
}

static void
check_echo(const char *port, const char *line)
{
	int fd = connect_port(atoi(port));

	ck_assert_msg(fd >= 0, "connect to port %s: %s", port, strerror(errno));
	send_all(fd, line);
	expect_echo(fd, line);
	close(fd);
}

/* Connect until the daemon answers (a foreground or supervised process
 * binds after we spawned it); -1 after timeout_ms. */
static int
wait_listening(const char *port, int timeout_ms)
{
	int fd, waited;

	for (waited = 0; waited < timeout_ms; waited += 10) {
		if ((fd = connect_port(atoi(port))) >= 0) {
			close(fd);
			return 0;
		}
		tu_msleep(10);
	}
	return -1;
}

/* waitpid with a bound; the exit code, or -1 after timeout_ms. */
static int
wait_exit(pid_t pid, int timeout_ms)
{
	int status, waited;
	pid_t r;

	for (waited = 0; waited <= timeout_ms; waited += 5) {
		r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			return exit_code(status);
		ck_assert_int_ne(r, -1);
		tu_msleep(5);
	}
	return -1;
}

/* ---- tests --------------------------------------------------------------- */

/* The whole life of a background daemon through its command line. */
START_TEST(test_lifecycle)
{
	struct echod e;
	char out[OUTLEN], *want;
	int rc;

	echod_init(&e);
	echod_start(&e);

	/* -s names the pid in the pidfile, and it is alive. */
	rc = run_echod(out, sizeof(out), "-s", "-p", e.pidfile, NULL);
	ck_assert_int_eq(rc, 0);
	want = tu_fmt("running, pid %ld\n", (long)e.pid);
	ck_assert_str_eq(out, want);

	check_echo(e.port, "hello, echo\n");
	ck_assert_int_eq(tu_wait_contains(e.log, "serving on 127.0.0.1:", IO_MS),
	    0);

	/* -R: the daemon reopens its log, says so, and keeps serving. */
	rc = run_echod(out, sizeof(out), "-R", "-p", e.pidfile, NULL);
	ck_assert_msg(rc == 0, "echod -R: exit %d: %s", rc, out);
	ck_assert_int_eq(tu_wait_contains(e.log, "reloaded", IO_MS), 0);
	ck_assert(tu_alive(e.pid));
	check_echo(e.port, "still here after reload\n");

	echod_stop(&e);
	ck_assert_int_eq(tu_wait_contains(e.log, "stopping", IO_MS), 0);

	/* Stopping again succeeds: nothing runs, which is what -k wants. */
	rc = run_echod(out, sizeof(out), "-k", "-p", e.pidfile, NULL);
	ck_assert_msg(rc == 0, "second echod -k: exit %d: %s", rc, out);

	rc = run_echod(out, sizeof(out), "-s", "-p", e.pidfile, NULL);
	ck_assert_int_eq(rc, 3);
	ck_assert_str_eq(out, "not running\n");

	rc = run_echod(out, sizeof(out), "-R", "-p", e.pidfile, NULL);
	ck_assert_int_eq(rc, 3);
	ck_assert_ptr_nonnull(strstr(out, "not running"));

	/* The port is free again: nothing was left listening. */
	rc = connect_port(atoi(e.port));
	ck_assert_int_eq(rc, -1);
	ck_assert_int_eq(errno, ECONNREFUSED);
}
END_TEST

/* A pidfile left by a crash (unlocked, naming a live process: ours) is
 * never trusted: -s says not running, -R and -k signal nobody. */
START_TEST(test_stale_pidfile)
{
	struct echod e;
	char out[OUTLEN], *content;
	int fd, rc;

	echod_init(&e);
	content = tu_fmt("%ld\n", (long)getpid());
	fd = open(e.pidfile, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, content, strlen(content)),
	    (ssize_t)strlen(content));
	close(fd);

	rc = run_echod(out, sizeof(out), "-s", "-p", e.pidfile, NULL);
	ck_assert_int_eq(rc, 3);
	ck_assert_str_eq(out, "not running\n");
	rc = run_echod(out, sizeof(out), "-R", "-p", e.pidfile, NULL);
	ck_assert_int_eq(rc, 3);
	rc = run_echod(out, sizeof(out), "-k", "-p", e.pidfile, NULL);
	ck_assert_int_eq(rc, 0);
	/* We are still here: no SIGHUP or SIGTERM reached the pid in it. */

	/* And a new instance takes the stale file over. */
	echod_start(&e);
	ck_assert_int_ne(e.pid, getpid());
	echod_stop(&e);
}
END_TEST

/* 50 clients connected at once, each gets its own line back; then one
 * client pushes 1 MiB through, far more than the per-client buffer and
 * the socket buffers, so the partial-write path carries it. */
START_TEST(test_many_clients)
{
	enum { N = 50 };
	struct echod e;
	int fd[N], i;
	char *line;

	echod_init(&e);
	echod_start(&e);

	for (i = 0; i < N; i++) {
		fd[i] = connect_port(atoi(e.port));
		ck_assert_msg(fd[i] >= 0, "client %d: connect: %s", i,
		    strerror(errno));
	}
	for (i = 0; i < N; i++) {
		line = tu_fmt("client %d says hello\n", i);
		send_all(fd[i], line);
		free(line);
	}
	/* Read in reverse: no client's answer depends on another's turn. */
	for (i = N - 1; i >= 0; i--) {
		line = tu_fmt("client %d says hello\n", i);
		expect_echo(fd[i], line);
		free(line);
		close(fd[i]);
	}

	{
		enum { BIG = 1 << 20 };
		unsigned char *tx = malloc(BIG), *rx = malloc(BIG);
		size_t sent = 0, got = 0;
		struct pollfd p;
		time_t deadline = time(NULL) + 20;
		int c;
		ssize_t n;

		ck_assert_ptr_nonnull(tx);
		ck_assert_ptr_nonnull(rx);
		for (i = 0; i < BIG; i++)
			tx[i] = (unsigned char)(i * 7 + i / 251);
		c = connect_port(atoi(e.port));
		ck_assert_int_ge(c, 0);
		ck_assert_int_eq(fcntl(c, F_SETFL, O_NONBLOCK), 0);
		while (got < BIG) {
			ck_assert_msg(time(NULL) < deadline,
			    "1 MiB echo stalled at %zu sent, %zu back", sent,
			    got);
			p.fd = c;
			p.events = POLLIN | (sent < BIG ? POLLOUT : 0);
			p.revents = 0;
			if (poll(&p, 1, 1000) <= 0)
				continue;
			if ((p.revents & POLLOUT) && sent < BIG) {
				n = write(c, tx + sent, BIG - sent);
				if (n > 0)
					sent += (size_t)n;
			}
			if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
				n = read(c, rx + got, BIG - got);
				ck_assert_msg(n != 0, "EOF after %zu bytes", got);
				if (n > 0)
					got += (size_t)n;
			}
		}
		ck_assert_int_eq(memcmp(tx, rx, BIG), 0);
		close(c);
		free(tx);
		free(rx);
	}

	/* Clients that vanish without reading do not hurt the daemon. */
	for (i = 0; i < 10; i++) {
		int c = connect_port(atoi(e.port));
		struct linger lg = { 1, 0 };

		ck_assert_int_ge(c, 0);
		send_all(c, "gone before the answer\n");
		/* RST instead of FIN: the daemon's write gets ECONNRESET or
		 * EPIPE, which must close the client, not the daemon. */
		ck_assert_int_eq(setsockopt(c, SOL_SOCKET, SO_LINGER, &lg,
		    sizeof(lg)), 0);
		close(c);
	}
	check_echo(e.port, "survivor\n");
	ck_assert(tu_alive(e.pid));
	echod_stop(&e);
}
END_TEST

/* A taken port fails in the terminal, before anything was started. */
START_TEST(test_port_taken)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	struct echod e;
	char out[OUTLEN], port[8], *want;
	int fd, rc;

	echod_init(&e);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(fd, 1), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	snprintf(port, sizeof(port), "%d", ntohs(sin.sin_port));

	rc = run_echod(out, sizeof(out), "-p", e.pidfile, "-l", e.log, "-P",
	    port, NULL);
	ck_assert_int_eq(rc, 1);
	want = tu_fmt("bind 127.0.0.1:%s: %s\n", port,
	    tu_strerror(EADDRINUSE));
	ck_assert_msg(echod_says(out) && strstr(out, want) != NULL &&
	    strcmp(strstr(out, want), want) == 0, "got: %s", out);
	/* Nothing left behind: no pidfile, no log, no process. */
	ck_assert_int_eq(access(e.pidfile, F_OK), -1);
	ck_assert_int_eq(access(e.log, F_OK), -1);
	ck_assert_int_eq(tu_count_procs(e.pidfile), 0);
	close(fd);
}
END_TEST

/* A second instance with the same pidfile fails in the terminal with the
 * first one's pid, and the first one keeps serving. */
START_TEST(test_second_instance)
{
	struct echod e;
	char out[OUTLEN], port[8], *want;
	int rc = -1, i;

	echod_init(&e);
	echod_start(&e);
	/* Another port, or the bind would fail first. */
	for (i = 0; i < TRIES; i++) {
		snprintf(port, sizeof(port), "%d", tu_free_port());
		if (strcmp(port, e.port) == 0)
			continue;
		rc = run_echod(out, sizeof(out), "-p", e.pidfile, "-P", port,
		    NULL);
		if (strstr(out, "Address already in use") == NULL)
			break;
	}
	ck_assert_int_eq(rc, 1);
	want = tu_fmt("already running, pid %ld", (long)e.pid);
	ck_assert_msg(strstr(out, want) != NULL, "got: %s", out);
	ck_assert_msg(echod_says(out), "got: %s", out);
	ck_assert_ptr_null(strstr(out, "Address already in use"));
	ck_assert_int_eq(tu_pidfile_pid(e.pidfile), e.pid);
	ck_assert(tu_lock_held(e.pidfile));
	ck_assert_int_eq(tu_count_procs(e.pidfile), 1);
	/* The same port too: echod asks the pidfile before it binds, so
	 * the message is about the instance, not the address. */
	rc = run_echod(out, sizeof(out), "-p", e.pidfile, "-P", e.port, NULL);
	ck_assert_int_eq(rc, 1);
	ck_assert_msg(strstr(out, want) != NULL, "got: %s", out);
	ck_assert_msg(strstr(out, tu_strerror(EADDRINUSE)) == NULL, "got: %s",
	    out);
	check_echo(e.port, "first one still serves\n");
	echod_stop(&e);
}
END_TEST

/* -f: no fork, no pidfile; the spawned pid serves; SIGTERM exits 0. */
START_TEST(test_foreground)
{
	struct echod e;
	char *argv[8], buf[OUTLEN], *outfile;
	pid_t pid = -1;
	int i, rc;

	echod_init(&e);
	outfile = tu_fmt("%s/out", e.dir);
	for (i = 0; i < TRIES; i++) {
		snprintf(e.port, sizeof(e.port), "%d", tu_free_port());
		argv[0] = (char *)echod_path();
		argv[1] = (char *)"-f";
		argv[2] = (char *)"-p";
		argv[3] = e.pidfile;
		argv[4] = (char *)"-P";
		argv[5] = e.port;
		argv[6] = NULL;
		pid = tu_spawn(argv, clean_env, outfile);
		ck_assert_int_gt(pid, 0);
		if (wait_listening(e.port, IO_MS) == 0)
			break;
		/* Lost the port to a parallel suite: it exited 1. */
		ck_assert_int_eq(wait_exit(pid, IO_MS), 1);
		ck_assert_int_eq(tu_wait_contains(outfile,
		    "Address already in use", IO_MS), 0);
	}
	ck_assert_int_lt(i, TRIES);
	check_echo(e.port, "foreground\n");
	/* The process we started is the server: still alive, not exited
	 * after a fork, and -p applies in the foreground too (1.0): the
	 * pidfile names it, locked. */
	ck_assert_int_eq(waitpid(pid, NULL, WNOHANG), 0);
	ck_assert_int_eq(tu_pidfile_pid(e.pidfile), pid);
	ck_assert(tu_lock_held(e.pidfile));
	ck_assert_int_eq(tu_wait_contains(outfile, "foreground mode", IO_MS),
	    0);
	ck_assert_int_eq(tu_read_file(outfile, buf, sizeof(buf)) > 0, 1);
	ck_assert_ptr_nonnull(strstr(buf, tu_fmt("[%ld]: started", (long)pid)));

	ck_assert_int_eq(kill(pid, SIGTERM), 0);
	rc = wait_exit(pid, IO_MS);
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(tu_wait_contains(outfile, "stopping", IO_MS), 0);
	ck_assert(!tu_exists(e.pidfile));
}
END_TEST

/* Bad command lines: exit 2, a message naming the problem, and usage. */
START_TEST(test_usage)
{
	static const char *const bad[][3] = {
		{ "-x", NULL, "unknown option -x" },
		{ "-P", "0", "-P 0: not a port number" },
		{ "-P", "65536", "-P 65536: not a port number" },
		{ "-P", "7x", "-P 7x: not a port number" },
		{ "-t", "-1", "-t -1: not a number of seconds" },
		{ "-N", "three", "-N three: not a file descriptor" },
		{ "-a", "localhost", "-a localhost: not an IPv4 or IPv6" },
		{ "extra", NULL, "unexpected argument 'extra'" },
		{ "-k", "-s", "-k and -s exclude each other" },
		{ "-p", NULL, "option -p needs an argument" },
	};
	char out[OUTLEN], port[8];
	size_t i;
	int rc;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		rc = run_echod(out, sizeof(out), bad[i][0], bad[i][1], NULL);
		ck_assert_msg(rc == 2, "%s %s: exit %d", bad[i][0],
		    bad[i][1] ? bad[i][1] : "", rc);
		ck_assert_msg(strstr(out, bad[i][2]) != NULL, "%s: got %s",
		    bad[i][2], out);
		ck_assert_ptr_nonnull(strstr(out, "usage: echod"));
	}
	rc = run_echod(out, sizeof(out), "-h", NULL);
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(strncmp(out, "usage: echod", 12), 0);
	/* -u as a user that does not exist: the library's message, in the
	 * terminal, and nothing started. */
	snprintf(port, sizeof(port), "%d", tu_free_port());
	rc = run_echod(out, sizeof(out), "-P", port, "-p", "/nonexistent/x.pid",
	    "-u", "no-such-user-dz", NULL);
	ck_assert_int_ne(rc, 0);
	ck_assert_int_ne(rc, -1);
	ck_assert_msg(echod_says(out), "got: %s", out);
	ck_assert_ptr_nonnull(strstr(out, "no-such-user-dz"));
	ck_assert_int_eq(connect_port(atoi(port)), -1);
}
END_TEST

/* IPv6 literal: the listener and its label. */
START_TEST(test_ipv6)
{
	struct sockaddr_in6 sin6;
	struct echod e;
	char out[OUTLEN];
	int fd, rc, i;

	/* No IPv6 on this host (containers): nothing to test. */
	if ((fd = socket(AF_INET6, SOCK_STREAM, 0)) == -1)
		return;
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_addr = in6addr_loopback;
	if (bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)) == -1) {
		close(fd);
		return;
	}
	close(fd);

	echod_init(&e);
	for (i = 0; i < TRIES; i++) {
		snprintf(e.port, sizeof(e.port), "%d", tu_free_port());
		rc = run_echod(out, sizeof(out), "-p", e.pidfile, "-l", e.log,
		    "-a", "::1", "-P", e.port, NULL);
		if (rc == 0 || strstr(out, "Address already in use") == NULL)
			break;
	}
	ck_assert_msg(rc == 0, "exit %d: %s", rc, out);
	e.pid = tu_pidfile_pid(e.pidfile);
	ck_assert_int_eq(tu_wait_contains(e.log,
	    tu_fmt("serving on [::1]:%s", e.port), IO_MS), 0);

	fd = socket(AF_INET6, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	sin6.sin6_port = htons((uint16_t)atoi(e.port));
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin6, sizeof(sin6)),
	    0);
	send_all(fd, "over v6\n");
	expect_echo(fd, "over v6\n");
	close(fd);
	echod_stop(&e);
}
END_TEST

/* As root: bind a port below 1024 first, then chroot and drop to nobody in
 * start; the daemon serves, and /proc shows its ids and root. */
START_TEST(test_root_privileged_port)
{
	struct echod e;
	struct passwd *pw;
	char out[OUTLEN], buf[4096], link[PATH_MAX], root[PATH_MAX];
	char *jail, *line, *want;
	unsigned long ids[4];
	ssize_t n;
	int port, rc = -1, i;

	if (geteuid() != 0)
		return;
	pw = getpwnam("nobody");
	ck_assert_ptr_nonnull(pw);
	echod_init(&e);
	jail = tu_tmpdir();
	ck_assert_ptr_nonnull(realpath(jail, root));

	for (port = 700; port <= 760; port++) {
		snprintf(e.port, sizeof(e.port), "%d", port);
		rc = run_echod(out, sizeof(out), "-p", e.pidfile, "-l", e.log,
		    "-P", e.port, "-u", "nobody", "-r", jail, NULL);
		if (rc == 0 || strstr(out, "Address already in use") == NULL)
			break;
	}
	ck_assert_msg(rc == 0, "echod as root on port %s: exit %d: %s", e.port,
	    rc, out);
	e.pid = tu_pidfile_pid(e.pidfile);
	ck_assert_int_gt(e.pid, 0);
	ck_assert(tu_lock_held(e.pidfile));
	check_echo(e.port, "from a privileged port\n");

	/* Real, effective, saved and filesystem ids are all nobody's. */
	ck_assert_int_gt(tu_read_file(tu_fmt("/proc/%ld/status", (long)e.pid),
	    buf, sizeof(buf)), 0);
	line = strstr(buf, "\nUid:");
	ck_assert_ptr_nonnull(line);
	ck_assert_int_eq(sscanf(line, "\nUid: %lu %lu %lu %lu", &ids[0],
	    &ids[1], &ids[2], &ids[3]), 4);
	for (i = 0; i < 4; i++)
		ck_assert_uint_eq(ids[i], pw->pw_uid);
	line = strstr(buf, "\nGid:");
	ck_assert_ptr_nonnull(line);
	ck_assert_int_eq(sscanf(line, "\nGid: %lu %lu %lu %lu", &ids[0],
	    &ids[1], &ids[2], &ids[3]), 4);
	for (i = 0; i < 4; i++)
		ck_assert_uint_eq(ids[i], pw->pw_gid);

	/* Its root and cwd are the jail. */
	n = readlink(tu_fmt("/proc/%ld/root", (long)e.pid), link,
	    sizeof(link) - 1);
	ck_assert_int_gt(n, 0);
	link[n] = '\0';
	ck_assert_str_eq(link, root);
	n = readlink(tu_fmt("/proc/%ld/cwd", (long)e.pid), link,
	    sizeof(link) - 1);
	ck_assert_int_gt(n, 0);
	link[n] = '\0';
	ck_assert_str_eq(link, root);

	/* The log line names the ids it runs with. */
	want = tu_fmt("uid %lu, gid %lu", (unsigned long)pw->pw_uid,
	    (unsigned long)pw->pw_gid);
	ck_assert_int_eq(tu_wait_contains(e.log, want, IO_MS), 0);

	/* Reload inside the chroot: the log path is out of reach, so the
	 * old log stays, the failure is logged, and the daemon serves on. */
	rc = run_echod(out, sizeof(out), "-R", "-p", e.pidfile, NULL);
	ck_assert_msg(rc == 0, "echod -R: exit %d: %s", rc, out);
	ck_assert_int_eq(tu_wait_contains(e.log, "reloaded", IO_MS), 0);
	ck_assert(tu_alive(e.pid));
	check_echo(e.port, "after reload in the chroot\n");

	/* Stop: as nobody inside the chroot the daemon cannot unlink the
	 * pidfile, so it is removed or emptied, never left naming a pid. */
	rc = run_echod(out, sizeof(out), "-k", "-p", e.pidfile, NULL);
	ck_assert_msg(rc == 0, "echod -k: exit %d: %s", rc, out);
	ck_assert_int_eq(tu_wait_gone(e.pid, IO_MS), 0);
	ck_assert_int_eq(tu_pidfile_pid(e.pidfile), -1);
	ck_assert(!tu_lock_held(e.pidfile));
	rc = run_echod(out, sizeof(out), "-s", "-p", e.pidfile, NULL);
	ck_assert_int_eq(rc, 3);
}
END_TEST

/* As root, asking for a chroot that does not exist fails in the terminal
 * with the library's message, leaving nothing behind. */
START_TEST(test_root_bad_chroot)
{
	struct echod e;
	char out[OUTLEN], *missing;
	int rc = -1, i;

	if (geteuid() != 0)
		return;
	echod_init(&e);
	missing = tu_fmt("%s/missing", e.dir);
	for (i = 0; i < TRIES; i++) {
		snprintf(e.port, sizeof(e.port), "%d", tu_free_port());
		rc = run_echod(out, sizeof(out), "-p", e.pidfile, "-P", e.port,
		    "-u", "nobody", "-r", missing, NULL);
		if (strstr(out, "Address already in use") == NULL)
			break;
	}
	ck_assert_int_eq(rc, 1);
	ck_assert_msg(echod_says(out) && strstr(out, missing) != NULL,
	    "got: %s", out);
	ck_assert_int_eq(access(e.pidfile, F_OK), -1);
	ck_assert_int_eq(tu_count_procs(e.pidfile), 0);
	ck_assert_int_eq(connect_port(atoi(e.port)), -1);
}
END_TEST

/* systemd socket activation: the listening socket arrives as fd 3 with
 * LISTEN_PID naming echod; echod serves through it without binding. */
START_TEST(test_socket_activation)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	struct echod e;
	char *outfile, port[8];
	pid_t pid;
	int fd, rc;

	echod_init(&e);
	outfile = tu_fmt("%s/out", e.dir);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(fd, 16), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	snprintf(port, sizeof(port), "%d", ntohs(sin.sin_port));

	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		/* -P names the port of the passed socket: a bind of our
		 * own would fail, so an answer proves the socket was used. */
		char *argv[] = { (char *)echod_path(), (char *)"-p",
		    e.pidfile, (char *)"-P", port, NULL };
		char pidstr[32];
		int out, k;

		/* What systemd does between fork and exec. */
		for (k = 0; clean_env[k] != NULL; k++)
			unsetenv(clean_env[k]);
		out = open(outfile, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (out == -1 || dup2(out, 1) == -1 || dup2(out, 2) == -1 ||
		    dup2(fd, 3) == -1)
			_exit(126);
		snprintf(pidstr, sizeof(pidstr), "%ld", (long)getpid());
		if (setenv("LISTEN_PID", pidstr, 1) == -1 ||
		    setenv("LISTEN_FDS", "1", 1) == -1 ||
		    setenv("LISTEN_FDNAMES", "echod", 1) == -1)
			_exit(126);
		execv(argv[0], argv);
		_exit(127);
	}
	close(fd);      /* only echod holds the listener now */

	check_echo(port, "activated\n");
	ck_assert_int_eq(waitpid(pid, NULL, WNOHANG), 0);
	ck_assert_int_eq(tu_wait_contains(outfile, tu_fmt("serving on "
	    "127.0.0.1:%s", port), IO_MS), 0);
	ck_assert_int_eq(tu_wait_contains(outfile, "foreground mode, "
	    "supervisor systemd (LISTEN_PID)", IO_MS), 0);
	/* Supervised (foreground) still writes the pidfile, with our
	 * child's pid. */
	ck_assert_int_eq(tu_pidfile_pid(e.pidfile), pid);

	ck_assert_int_eq(kill(pid, SIGINT), 0);
	rc = wait_exit(pid, IO_MS);
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(access(e.pidfile, F_OK), -1);
}
END_TEST

/* Read one datagram from the fake systemd, bounded. */
static int
recv_notify(int fd, char *buf, size_t len, int timeout_ms)
{
	struct pollfd p = { fd, POLLIN, 0 };
	ssize_t n;

	if (poll(&p, 1, timeout_ms) != 1)
		return -1;
	n = recv(fd, buf, len - 1, 0);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

/* Wait for a datagram containing needle; the ones before it are skipped
 * (STATUS= lines come between the ones the protocol orders). */
static void
expect_notify(int fd, const char *needle)
{
	char buf[4096];
	int i;

	for (i = 0; i < 16; i++) {
		ck_assert_msg(recv_notify(fd, buf, sizeof(buf), IO_MS) == 0,
		    "no datagram with %s", needle);
		if (strstr(buf, needle) != NULL)
			return;
	}
	ck_abort_msg("no datagram with %s in 16", needle);
}

static unsigned long long
monotonic_usec(void)
{
	struct timespec ts;

	ck_assert_int_eq(clock_gettime(CLOCK_MONOTONIC, &ts), 0);
	return (unsigned long long)ts.tv_sec * 1000000ULL +
	    (unsigned long long)ts.tv_nsec / 1000ULL;
}

/* Type=notify-reload, played by the test: READY=1 once the socket
 * listens, RELOADING=1 with a MONOTONIC_USEC taken during the reload then
 * READY=1 on SIGHUP, STOPPING=1 on SIGTERM, and echod never forks.  With
 * chroot, echod runs as nobody inside an empty directory: the notify
 * socket, outside it, must have been connected before the chroot. */
static void
notify_run(bool chrooted)
{
	struct sockaddr_un sun;
	struct echod e;
	char *argv[12], *env[16], *sock, *outfile, *root = NULL, buf[4096];
	unsigned long long before, after, usec;
	const char *p;
	pid_t pid = -1;
	int fd, i, k, n;

	echod_init(&e);
	outfile = tu_fmt("%s/out", e.dir);
	sock = tu_fmt("%s/notify", e.dir);
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	ck_assert_int_ge(fd, 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	ck_assert_uint_lt(strlen(sock), sizeof(sun.sun_path));
	strcpy(sun.sun_path, sock);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	if (chrooted)
		root = tu_tmpdir();

	for (k = 0; clean_env[k] != NULL; k++)
		env[k] = clean_env[k];
	env[k++] = tu_fmt("NOTIFY_SOCKET=%s", sock);
	env[k] = NULL;
	for (i = 0; i < TRIES; i++) {
		snprintf(e.port, sizeof(e.port), "%d", tu_free_port());
		n = 0;
		argv[n++] = (char *)echod_path();
		argv[n++] = (char *)"-p";
		argv[n++] = e.pidfile;
		argv[n++] = (char *)"-P";
		argv[n++] = e.port;
		if (chrooted) {
			argv[n++] = (char *)"-u";
			argv[n++] = (char *)"nobody";
			argv[n++] = (char *)"-r";
			argv[n++] = root;
		}
		argv[n] = NULL;
		pid = tu_spawn(argv, env, outfile);
		ck_assert_int_gt(pid, 0);
		if (wait_listening(e.port, IO_MS) == 0)
			break;
		ck_assert_int_eq(wait_exit(pid, IO_MS), 1);
	}
	ck_assert_int_lt(i, TRIES);

	expect_notify(fd, "READY=1");
	/* No fork: the pid we started serves, and named itself. */
	ck_assert_int_eq(waitpid(pid, NULL, WNOHANG), 0);
	ck_assert_int_eq(tu_pidfile_pid(e.pidfile), pid);
	if (chrooted) {
		char link[4096];
		ssize_t len = readlink(tu_fmt("/proc/%ld/root", (long)pid),
		    link, sizeof(link) - 1);

		ck_assert_int_gt(len, 0);
		link[len] = '\0';
		ck_assert_str_eq(link, root);
	}
	check_echo(e.port, "notified\n");

	before = monotonic_usec();
	ck_assert_int_eq(kill(pid, SIGHUP), 0);
	/* The first datagram after the signal that is not a STATUS= line
	 * is RELOADING=1 with the time of the reload. */
	for (i = 0; i < 16; i++) {
		ck_assert_int_eq(recv_notify(fd, buf, sizeof(buf), IO_MS), 0);
		if (strncmp(buf, "STATUS=", 7) != 0)
			break;
	}
	after = monotonic_usec();
	ck_assert_msg(strncmp(buf, "RELOADING=1\nMONOTONIC_USEC=", 27) == 0,
	    "got \"%s\"", buf);
	p = buf + 27;
	usec = strtoull(p, NULL, 10);
	ck_assert_msg(usec >= before && usec <= after, "MONOTONIC_USEC %llu "
	    "not within %llu..%llu", usec, before, after);
	expect_notify(fd, "READY=1");
	ck_assert_int_eq(tu_wait_contains(outfile, "reloaded", IO_MS), 0);
	check_echo(e.port, "after reload\n");

	ck_assert_int_eq(kill(pid, SIGTERM), 0);
	expect_notify(fd, "STOPPING=1");
	ck_assert_int_eq(wait_exit(pid, IO_MS), 0);
	if (chrooted) {
		/* Outside its root and without rights to the directory, it
		 * can only empty the file: never a stale pid, never locked. */
		ck_assert_int_eq(tu_pidfile_pid(e.pidfile), -1);
		ck_assert(!tu_lock_held(e.pidfile));
	} else {
		ck_assert_int_eq(access(e.pidfile, F_OK), -1);
	}
	close(fd);
}

START_TEST(test_systemd_notify)
{
	notify_run(false);
}
END_TEST

START_TEST(test_systemd_notify_chroot)
{
	TU_NEED_ROOT();
	notify_run(true);
}
END_TEST

/* The default pidfile: $XDG_RUNTIME_DIR/echod.pid, else /tmp/echod-UID.pid
 * for a user other than root (run as nobody through setpriv). */
static void
default_pidfile_run(const char *xdg, const char *want)
{
	char *argv[16], *env[20], out[OUTLEN], port[8];
	int i, k, n, rc = -1;

	for (k = 0; clean_env[k] != NULL; k++)
		env[k] = clean_env[k];
	env[k++] = xdg != NULL ? tu_fmt("XDG_RUNTIME_DIR=%s", xdg) :
	    (char *)"XDG_RUNTIME_DIR";
	env[k] = NULL;
	(void)unlink(want);
	for (i = 0; i < TRIES; i++) {
		snprintf(port, sizeof(port), "%d", tu_free_port());
		n = 0;
		argv[n++] = (char *)"/usr/bin/setpriv";
		argv[n++] = (char *)"--reuid=65534";
		argv[n++] = (char *)"--regid=65534";
		argv[n++] = (char *)"--clear-groups";
		argv[n++] = (char *)echod_path();
		argv[n++] = (char *)"-P";
		argv[n++] = port;
		argv[n] = NULL;
		rc = exit_code(tu_run_env(argv, env, out, sizeof(out), RUN_MS));
		if (rc == 0 || strstr(out, "Address already in use") == NULL)
			break;
	}
	ck_assert_msg(rc == 0, "exit %d: %s", rc, out);
	ck_assert(tu_lock_held(want));
	ck_assert_int_gt(tu_pidfile_pid(want), 0);
	argv[5] = (char *)"-k";
	argv[6] = NULL;
	rc = exit_code(tu_run_env(argv, env, out, sizeof(out), RUN_MS));
	ck_assert_msg(rc == 0, "-k: exit %d: %s", rc, out);
	/* -k returns once the daemon is gone; as the file's owner it could
	 * remove it. */
	ck_assert_int_eq(access(want, F_OK), -1);
}

START_TEST(test_default_pidfile)
{
	char *xdg;

	TU_NEED_ROOT();
	if (access("/usr/bin/setpriv", X_OK) == -1) {
		printf("%s: skipped: no setpriv\n", __func__);
		return;
	}
	xdg = tu_tmpdir();
	ck_assert_int_eq(chown(xdg, 65534, 65534), 0);
	default_pidfile_run(xdg, tu_fmt("%s/echod.pid", xdg));
	default_pidfile_run(NULL, "/tmp/echod-65534.pid");
}
END_TEST

/* -t and -g reach the library: a readiness timeout that a healthy echod
 * meets, and a group of its own with the user's. */
START_TEST(test_timeout_and_group)
{
	struct echod e;
	char out[OUTLEN], status[4096];
	const char *gid;
	int i, rc = -1;

	TU_NEED_ROOT();
	echod_init(&e);
	for (i = 0; i < TRIES; i++) {
		snprintf(e.port, sizeof(e.port), "%d", tu_free_port());
		rc = run_echod(out, sizeof(out), "-p", e.pidfile, "-P",
		    e.port, "-t", "10", "-u", "nobody", "-g", "nogroup", NULL);
		if (rc == 0 || strstr(out, "Address already in use") == NULL)
			break;
	}
	ck_assert_msg(rc == 0, "exit %d: %s", rc, out);
	e.pid = tu_pidfile_pid(e.pidfile);
	ck_assert_int_gt(e.pid, 0);
	ck_assert_int_gt(tu_read_file(tu_fmt("/proc/%ld/status",
	    (long)e.pid), status, sizeof(status)), 0);
	gid = strstr(status, "\nGid:");
	ck_assert_ptr_nonnull(gid);
	ck_assert_msg(strncmp(gid, "\nGid:\t65534\t65534\t65534\t65534", 29)
	    == 0, "%.40s", gid);
	check_echo(e.port, "with -t and -g\n");
	ck_assert_int_eq(run_echod(out, sizeof(out), "-k", "-p", e.pidfile,
	    NULL), 0);
	ck_assert_int_eq(tu_wait_gone(e.pid, IO_MS), 0);
}
END_TEST

/* ---- 1.0: the command line's contracts ----------------------------------- */

/* Run echod with the fds in the bit mask closed (bit i: fd i), stdout and
 * stderr (where open) going to a file read into out; the exit code. */
static int
run_echod_closed(unsigned int closed, char *out, size_t outlen, ...)
{
	char tmp[] = "/tmp/dzechod.XXXXXX";
	char *argv[32];
	va_list ap;
	int argc = 0, fd, status, i;
	pid_t pid;
	ssize_t n;

	argv[argc++] = (char *)echod_path();
	va_start(ap, outlen);
	while ((argv[argc] = va_arg(ap, char *)) != NULL)
		ck_assert_int_lt(++argc, 31);
	va_end(ap);
	fd = mkstemp(tmp);
	ck_assert_int_ge(fd, 0);
	(void)unlink(tmp);
	/* out of the way of the numbers the child closes */
	i = fcntl(fd, F_DUPFD_CLOEXEC, 20);
	ck_assert_int_ge(i, 20);
	close(fd);
	fd = i;
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		if (dup2(fd, 1) == -1 || dup2(fd, 2) == -1)
			_exit(126);
		for (i = 0; i < 8; i++)
			if (closed & (1u << i))
				(void)close(i);
		for (i = 0; clean_env[i] != NULL; i++)
			(void)unsetenv(clean_env[i]);
		execv(argv[0], argv);
		_exit(127);
	}
	if (tu_wait_child(pid, RUN_MS, &status) == -1) {
		(void)kill(pid, SIGKILL);
		(void)waitpid(pid, &status, 0);
		status = -1;
	}
	n = pread(fd, out, outlen - 1, 0);
	out[n > 0 ? n : 0] = '\0';
	close(fd);
	return exit_code(status);
}

/* Started with fd 0, 1 or 2 closed, echod still starts and serves: the
 * lock makes them valid before any socket is opened, so the listener
 * never becomes the daemon's stdin, stdout or stderr. */
START_TEST(test_closed_stdio)
{
	char out[OUTLEN], *t;
	struct echod e;
	int fd, i, k, rc = -1;

	for (fd = 0; fd <= 2; fd++) {
		/* valgrind, which runs echod under make check's valgrind
		 * stage, cannot start without an fd 2 of its own */
		if (fd == 2 && getenv("LD_PRELOAD") != NULL &&
		    strstr(getenv("LD_PRELOAD"), "vgpreload") != NULL) {
			printf("%s: fd 2 not checked: under valgrind\n",
			    __func__);
			continue;
		}
		echod_init(&e);
		for (i = 0; i < TRIES; i++) {
			snprintf(e.port, sizeof(e.port), "%d", tu_free_port());
			rc = run_echod_closed(1u << fd, out, sizeof(out), "-p",
			    e.pidfile, "-l", e.log, "-P", e.port, NULL);
			if (rc == 0 || strstr(out, "Address already in use") ==
			    NULL)
				break;
		}
		ck_assert_msg(rc == 0, "fd %d closed: exit %d: %s", fd, rc,
		    out);
		e.pid = tu_pidfile_pid(e.pidfile);
		ck_assert_int_gt(e.pid, 0);
		check_echo(e.port, tu_fmt("fd %d was closed\n", fd));
		for (k = 0; k <= 2; k++) {
			t = tu_fd_target(e.pid, k);
			ck_assert_msg(strncmp(t, "socket:", 7) != 0,
			    "fd %d closed at start: the daemon's fd %d is %s",
			    fd, k, t);
			free(t);
		}
		echod_stop(&e);
	}
}
END_TEST

/* -N 3 while fd 3 is not open: the library refuses it (EBADF) when echod
 * configures, before anything is bound, so the listener, which would
 * otherwise take number 3, is never written to as the readiness fd. */
START_TEST(test_notify_fd_not_open)
{
	char out[OUTLEN], port[8];
	struct echod e;
	int rc;

	echod_init(&e);
	snprintf(port, sizeof(port), "%d", tu_free_port());
	rc = run_echod_closed(1u << 3, out, sizeof(out), "-N", "3", "-p",
	    e.pidfile, "-P", port, NULL);
	ck_assert_msg(rc == 2, "exit %d: %s", rc, out);
	ck_assert_msg(echod_says(out), "got: %s", out);
	ck_assert_msg(strstr(out, "notification fd 3") != NULL &&
	    strstr(out, tu_strerror(EBADF)) != NULL, "got: %s", out);
	ck_assert(!tu_exists(e.pidfile));
	ck_assert_int_eq(connect_port(atoi(port)), -1);
	ck_assert_int_eq(tu_count_procs(echod_path()), 0);
}
END_TEST

/* -s: 0 running (test_lifecycle), 3 not running, 4 when the pidfile is
 * locked but names no pid yet ("starting up") or a pid that cannot be
 * shown to hold the lock; -k and -R never signal such a pid. */
START_TEST(test_status_codes)
{
	char out[OUTLEN], *content;
	struct echod e;
	pid_t other;
	int fd, rc;

	echod_init(&e);
	rc = run_echod(out, sizeof(out), "-s", "-p", e.pidfile, NULL);
	ck_assert_int_eq(rc, 3);
	ck_assert_str_eq(out, "not running\n");

	/* locked, empty: an instance between its lock and its pid */
	fd = open(e.pidfile, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(flock(fd, LOCK_EX | LOCK_NB), 0);
	rc = run_echod(out, sizeof(out), "-s", "-p", e.pidfile, NULL);
	ck_assert_msg(rc == 4, "exit %d: %s", rc, out);
	ck_assert_str_eq(out, "starting up\n");

	/* locked by us, naming a live process that does not hold it */
	other = fork();
	ck_assert_int_ne(other, -1);
	if (other == 0) {
		(void)close(fd);
		tu_msleep(tu_ms(20000));
		_exit(0);
	}
	content = tu_fmt("%ld\n", (long)other);
	ck_assert_int_eq(pwrite(fd, content, strlen(content), 0),
	    (ssize_t)strlen(content));
	rc = run_echod(out, sizeof(out), "-s", "-p", e.pidfile, NULL);
	ck_assert_msg(rc == 4, "exit %d: %s", rc, out);
	ck_assert_msg(echod_says(out), "got: %s", out);
	ck_assert_ptr_null(strstr(out, "running, pid"));
	rc = run_echod(out, sizeof(out), "-R", "-p", e.pidfile, NULL);
	ck_assert_msg(rc != 0 && rc != -1, "-R: exit %d: %s", rc, out);
	rc = run_echod(out, sizeof(out), "-k", "-p", e.pidfile, NULL);
	ck_assert_msg(rc != 0 && rc != -1, "-k: exit %d: %s", rc, out);
	/* neither SIGHUP nor SIGTERM reached it */
	ck_assert(tu_alive(other));
	ck_assert_int_eq(waitpid(other, NULL, WNOHANG), 0);
	tu_kill(other);
	close(fd);
}
END_TEST

/* -k returns only once the daemon is gone: right after it, ten times, the
 * process no longer exists and the port can be bound again. */
START_TEST(test_stop_waits)
{
	struct sockaddr_in sin;
	struct echod e;
	char out[OUTLEN];
	int run, fd, on = 1, rc;

	for (run = 0; run < 10; run++) {
		echod_init(&e);
		echod_start(&e);
		check_echo(e.port, "before -k\n");
		rc = run_echod(out, sizeof(out), "-k", "-p", e.pidfile, NULL);
		ck_assert_msg(rc == 0, "run %d: -k: exit %d: %s", run, rc,
		    out);
		/* no waiting here: -k did */
		ck_assert_msg(!tu_alive(e.pid), "run %d: pid %ld still there "
		    "after -k returned", run, (long)e.pid);
		fd = socket(AF_INET, SOCK_STREAM, 0);
		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on,
		    sizeof(on)), 0);
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sin.sin_port = htons((uint16_t)atoi(e.port));
		ck_assert_msg(bind(fd, (struct sockaddr *)&sin,
		    sizeof(sin)) == 0 && listen(fd, 1) == 0,
		    "run %d: port %s still taken after -k: %s", run, e.port,
		    strerror(errno));
		close(fd);
		ck_assert(!tu_exists(e.pidfile));
		ck_assert(!tu_lock_held(e.pidfile));
	}
}
END_TEST

/*
 * Under a minimal init (tini, dumb-init, docker --init): a shell is pid 1
 * of its own pid namespace, starts echod and waits for it.  echod must
 * not fork (the init would see its child exit and end the container),
 * must serve, and must exit 0 on SIGTERM, passed on as the init's status.
 * Skipped, saying why, where unshare is refused.
 */
START_TEST(test_fake_init)
{
	char *argv[16], *outfile, buf[OUTLEN];
	struct echod e;
	pid_t init = -1, pid;
	int i, st;

	{
		char *probe[] = { "/usr/bin/unshare", "--pid", "--fork",
		    "--mount-proc", "/bin/true", NULL };

		if (access(probe[0], X_OK) == -1) {
			printf("%s: skipped: no %s\n", __func__, probe[0]);
			return;
		}
		st = tu_run(probe, buf, sizeof(buf), RUN_MS);
		if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			printf("%s: skipped: unshare --pid refused: %s\n",
			    __func__, buf);
			return;
		}
	}
	echod_init(&e);
	outfile = tu_fmt("%s/out", e.dir);
	for (i = 0; i < TRIES; i++) {
		snprintf(e.port, sizeof(e.port), "%d", tu_free_port());
		argv[0] = (char *)"/usr/bin/unshare";
		argv[1] = (char *)"--pid";
		argv[2] = (char *)"--fork";
		argv[3] = (char *)"--mount-proc";
		argv[4] = (char *)"/bin/sh";
		argv[5] = (char *)"-c";
		argv[6] = (char *)"\"$@\"; exit $?";
		argv[7] = (char *)"sh";
		argv[8] = (char *)echod_path();
		argv[9] = (char *)"-p";
		argv[10] = e.pidfile;
		argv[11] = (char *)"-P";
		argv[12] = e.port;
		argv[13] = NULL;
		init = tu_spawn(argv, clean_env, outfile);
		ck_assert_int_gt(init, 0);
		if (wait_listening(e.port, IO_MS) == 0)
			break;
		/* lost the port: echod exited 1, and so did the init */
		ck_assert_int_eq(wait_exit(init, IO_MS), 1);
	}
	ck_assert_int_lt(i, TRIES);
	check_echo(e.port, "under a fake init\n");
	/* One echod, the init's first child, which did not fork: pid 2 in
	 * the namespace, and that is the pid in its pidfile. */
	pid = tu_pid_with_arg(echod_path());
	ck_assert_int_gt(pid, 1);
	ck_assert_int_eq(tu_inner_pid(pid), 2);
	ck_assert_int_eq(tu_pidfile_pid(e.pidfile), 2);
	ck_assert_int_eq(waitpid(init, NULL, WNOHANG), 0);
	ck_assert_int_eq(tu_wait_contains(outfile, "foreground mode, "
	    "supervisor init (parent is pid 1)", IO_MS), 0);
	ck_assert_int_eq(kill(pid, SIGTERM), 0);
	st = wait_exit(init, IO_MS);
	(void)tu_read_file(outfile, buf, sizeof(buf));
	ck_assert_msg(st == 0, "init: exit %d: %s", st, buf);
	ck_assert(!tu_exists(e.pidfile));
	ck_assert_int_eq(connect_port(atoi(e.port)), -1);
}
END_TEST

/*
 * What the daemon writes to stderr before it is ready reaches the terminal
 * of the command that started it (1.0 moves stdout and stderr only at
 * ready), and what it writes after ready does not.  echod's warning before
 * ready is a failed STATUS= to systemd: background mode is forced under a
 * fake systemd whose socket no longer receives (shutdown SHUT_RD: the
 * connect works, every send fails with EPIPE).  The "status: ..." warning
 * must be in the starting command's output, the "ready: ..." one (after
 * the move, to /dev/null) must not, and the command still exits 0.
 */
START_TEST(test_warnings_before_ready)
{
	struct sockaddr_un sun;
	char **env, *sock, out[OUTLEN];
	struct echod e;
	int fd, i, rc = -1;

	echod_init(&e);
	sock = tu_fmt("%s/notify", e.dir);
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	ck_assert_int_ge(fd, 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	ck_assert_uint_lt(strlen(sock), sizeof(sun.sun_path));
	strcpy(sun.sun_path, sock);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	ck_assert_int_eq(shutdown(fd, SHUT_RD), 0);
	for (i = 0; clean_env[i] != NULL; i++)
		;
	env = calloc((size_t)i + 3, sizeof(*env));
	ck_assert_ptr_nonnull(env);
	memcpy(env, clean_env, (size_t)i * sizeof(*env));
	env[i++] = tu_fmt("NOTIFY_SOCKET=%s", sock);
	env[i++] = (char *)"DAEMONIZE_MODE=background";
	for (i = 0; i < TRIES; i++) {
		char *argv[] = { (char *)echod_path(), (char *)"-p", e.pidfile,
		    (char *)"-P", e.port, NULL };

		snprintf(e.port, sizeof(e.port), "%d", tu_free_port());
		rc = exit_code(tu_run_env(argv, env, out, sizeof(out),
		    RUN_MS));
		if (rc == 0 || strstr(out, "Address already in use") == NULL)
			break;
	}
	ck_assert_msg(rc == 0, "exit %d: %s", rc, out);
	ck_assert_msg(strstr(out, tu_fmt("status: notify: %s: cannot send: %s",
	    sock, tu_strerror(EPIPE))) != NULL,
	    "the daemon's warning before ready is not in the terminal: "
	    "\"%s\"", out);
	ck_assert_msg(strstr(out, "ready:") == NULL && strstr(out,
	    "started:") == NULL, "written after ready, yet in the "
	    "terminal: \"%s\"", out);
	e.pid = tu_pidfile_pid(e.pidfile);
	ck_assert_int_gt(e.pid, 0);
	ck_assert_str_eq(tu_fd_target(e.pid, 2), "/dev/null");
	check_echo(e.port, "after a warning\n");
	echod_stop(&e);
	close(fd);
}
END_TEST

static Suite *
echod_suite(void)
{
	Suite *s = suite_create("echod");
	TCase *tc;

	tc = tcase_create("command line");
	tcase_add_test(tc, test_usage);
	tcase_add_test(tc, test_stale_pidfile);
	tcase_add_test(tc, test_status_codes);
	tcase_add_test(tc, test_notify_fd_not_open);
	tcase_add_unchecked_fixture(tc, echod_setup, tu_kill_leftovers);
	tcase_set_timeout(tc, 120 * (tu_ms(1000) / 1000));
	suite_add_tcase(s, tc);

	tc = tcase_create("background");
	tcase_add_test(tc, test_lifecycle);
	tcase_add_test(tc, test_many_clients);
	tcase_add_test(tc, test_port_taken);
	tcase_add_test(tc, test_second_instance);
	tcase_add_test(tc, test_ipv6);
	tcase_add_test(tc, test_closed_stdio);
	tcase_add_test(tc, test_stop_waits);
	tcase_add_test(tc, test_warnings_before_ready);
	tcase_add_unchecked_fixture(tc, echod_setup, tu_kill_leftovers);
	tcase_set_timeout(tc, 120 * (tu_ms(1000) / 1000));
	suite_add_tcase(s, tc);

	tc = tcase_create("foreground and supervised");
	tcase_add_test(tc, test_foreground);
	tcase_add_test(tc, test_socket_activation);
	tcase_add_test(tc, test_systemd_notify);
	tcase_add_test(tc, test_systemd_notify_chroot);
	tcase_add_test(tc, test_default_pidfile);
	tcase_add_test(tc, test_timeout_and_group);
	tcase_add_test(tc, test_fake_init);
	tcase_add_unchecked_fixture(tc, echod_setup, tu_kill_leftovers);
	tcase_set_timeout(tc, 120 * (tu_ms(1000) / 1000));
	suite_add_tcase(s, tc);

	/* Root only; the tests return at once otherwise. */
	tc = tcase_create("root");
	tcase_add_test(tc, test_root_privileged_port);
	tcase_add_test(tc, test_root_bad_chroot);
	tcase_add_unchecked_fixture(tc, echod_setup, tu_kill_leftovers);
	tcase_set_timeout(tc, 120 * (tu_ms(1000) / 1000));
	suite_add_tcase(s, tc);
	if (geteuid() != 0)
		fprintf(stderr, "check_echod: not root: the privileged-port "
		    "and chroot tests pass without running\n");
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(echod_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
